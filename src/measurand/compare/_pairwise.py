"""One pair of conditions on every metric and task: the result types and the orchestration
shared by :func:`measurand.compare.significance` and :mod:`measurand.compare.multiple`."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurand._result import ConfidenceInterval, Result
from measurand.compare._counts import COUNTS_METRIC, CountsComparison, counts_comparison
from measurand.compare._options import PairOptions
from measurand.compare._prepare import Arm, Prepared
from measurand.compare._statistics import (
    NAN_CI,
    UNIT_POOLED,
    UNIT_SEED,
    decide_verdict,
    difference_interval,
    effect_sizes,
    pair_streams,
    power_figures,
    sample_sd,
    smallest_pvalue,
    unit_noun,
)
from measurand.errors import InputError
from measurand.stats import permutation_test

VERDICTS: tuple[str, ...] = (
    "significant_improvement",
    "significant_degradation",
    "insufficient_evidence",
)
"""``significant_improvement``: ``p < alpha``, the CI excludes 0 and ``delta`` points in the
better direction (``> 0`` when higher is better, ``< 0`` when lower is better).
``significant_degradation``: the same in the worse direction. ``insufficient_evidence``:
anything else (``p >= alpha``, a CI that includes 0, fewer than 2 seeds in an arm) — it says the
data cannot tell, not that the conditions are equal."""


@dataclasses.dataclass(frozen=True)
class MetricComparison(Result):
    """Candidate vs baseline on one metric (and task); see :func:`significance`.

    ``n_baseline`` / ``n_candidate`` count observations in ``unit``: seeds (default) or, with
    ``unit == "step (pseudo-replicated)"``, window steps pooled over seeds. ``values_*`` are
    the per-seed window means (whatever the unit). ``delta = mean_candidate -
    mean_baseline``; ``ci`` is its bootstrap interval (``ci_method``, ``hierarchical``) and
    ``pvalue`` the two-sided permutation p-value (``permutation_exact``: all relabelings were
    enumerated; ``n_permutations``: how many were evaluated). ``cohens_d`` / ``hedges_g`` are
    ``delta / pooled_sd`` (Hedges' with its small-sample correction). ``power_observed`` is the
    t-test power at the observed d; ``n_per_arm_observed`` / ``n_per_arm_min_effect`` are units
    per arm for ``power`` at the observed d and at ``min_effect`` (metric units); ``mde`` is the
    minimum detectable difference (metric units; ``mde_effect_size`` in d units) at the current
    sizes (their harmonic mean when unequal). None / NaN where not computable, with the reason
    in ``notes``. ``verdict`` is one of :data:`VERDICTS`.
    """

    metric: str
    task: str
    unit: str
    n_baseline: int
    n_candidate: int
    mean_baseline: float
    mean_candidate: float
    sd_baseline: float
    sd_candidate: float
    delta: float
    ci: ConfidenceInterval
    ci_method: str
    hierarchical: bool
    confidence_level: float
    pvalue: float
    permutation_exact: bool
    n_permutations: int
    cohens_d: float
    cohens_d_ci: ConfidenceInterval
    hedges_g: float
    hedges_g_ci: ConfidenceInterval
    pooled_sd: float
    alpha: float
    power: float
    power_observed: float
    n_per_arm_observed: int | None
    min_effect: float | None
    n_per_arm_min_effect: int | None
    mde: float
    mde_effect_size: float
    higher_is_better: bool
    verdict: str
    counts: CountsComparison | None
    seeds_baseline: tuple[str, ...]
    seeds_candidate: tuple[str, ...]
    values_baseline: tuple[float, ...]
    values_candidate: tuple[float, ...]
    notes: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SignificanceResult(Result):
    """Result of :func:`significance`: one :class:`MetricComparison` per (metric, task).

    ``window`` is the window's label (``"all"``, ``"400:500"``, ``"last:100"``); ``warnings``
    collects the notes of every comparison (prefixed by metric and task) and the data-level
    ones (seeds or tasks left out).
    """

    comparisons: tuple[MetricComparison, ...]
    baseline: str
    candidate: str
    window: str
    alpha: float
    power: float
    unit: str
    warnings: tuple[str, ...]

    def comparison(self, metric: str, task: str = "") -> MetricComparison:
        """The comparison of ``metric`` (on ``task``); KeyError if absent."""
        for item in self.comparisons:
            if item.metric == metric and item.task == task:
                return item
        raise KeyError((metric, task))


def _ci_p_disagreement(
    pvalue: float, ci: ConfidenceInterval, options: PairOptions, n_base: int, n_cand: int
) -> str | None:
    """A note when the interval and the p-value point different ways (one says "differs from
    0", the other does not): which one decides, and why they can disagree."""
    if not (math.isfinite(pvalue) and math.isfinite(ci.low) and math.isfinite(ci.high)):
        return None
    excludes = ci.low > 0 or ci.high < 0
    significant = pvalue < options.alpha
    if excludes == significant:
        return None
    level = f"{100 * options.confidence_level:g}%"
    interval = f"[{ci.low:.4g}, {ci.high:.4g}]"
    if excludes:
        first = (
            f"the {level} bootstrap CI {interval} excludes 0 but the permutation p = "
            f"{pvalue:.3g} >= alpha {options.alpha:g}"
        )
    else:
        first = (
            f"the permutation p = {pvalue:.3g} < alpha {options.alpha:g} but the {level} "
            f"bootstrap CI {interval} includes 0"
        )
    return f"{first}: insufficient_evidence (the verdict needs both; {_DISAGREE_HINT})"


_DISAGREE_HINT = "the permutation test decides"
DISAGREEMENT_NOTE = (
    "why a bootstrap CI and the permutation p can disagree: the verdict needs both (p < alpha "
    "and a CI that excludes 0). At a few seeds per arm the permutation p is exact (it enumerates "
    "or samples relabelings and holds its level at any n), while a percentile bootstrap "
    "resamples only the few observed values per arm and tends to be too narrow (it "
    "under-covers); read the p-value as the test and the interval as the size of the effect"
)


def compare_arms(
    metric: str,
    task: str,
    baseline: Arm,
    candidate: Arm,
    options: PairOptions,
    streams: tuple[np.random.Generator, np.random.Generator],
    counts: CountsComparison | None,
    notes: list[str],
) -> MetricComparison:
    """All the statistics of one comparison on per-seed means (or pooled steps)."""
    if options.pooled:
        assert baseline.steps is not None and candidate.steps is not None
        unit = UNIT_POOLED
        x_base = np.concatenate(baseline.steps) if baseline.steps else np.empty(0)
        x_cand = np.concatenate(candidate.steps) if candidate.steps else np.empty(0)
        notes.append(
            "pooled=True: window steps of all seeds are treated as independent observations "
            "(pseudo-replication); p-values and intervals are too optimistic"
        )
    else:
        unit = UNIT_SEED
        x_base, x_cand = baseline.means, candidate.means
    n_base, n_cand = int(x_base.size), int(x_cand.size)
    mean_base = float(np.mean(x_base)) if n_base else math.nan
    mean_cand = float(np.mean(x_cand)) if n_cand else math.nan
    delta = mean_cand - mean_base
    higher = options.direction(metric)
    min_effect = options.minimum_effect(metric)
    level = options.confidence_level

    stats: dict[str, Any] = {
        "ci": NAN_CI,
        "pvalue": math.nan,
        "permutation_exact": False,
        "n_permutations": 0,
        "cohens_d": math.nan,
        "cohens_d_ci": NAN_CI,
        "hedges_g": math.nan,
        "hedges_g_ci": NAN_CI,
        "pooled_sd": math.nan,
        "power_observed": math.nan,
        "n_per_arm_observed": None,
        "n_per_arm_min_effect": None,
        "mde": math.nan,
        "mde_effect_size": math.nan,
    }
    if min(n_base, n_cand) < 2:
        notes.append(
            f"needs >= 2 {unit_noun(unit)} per arm (baseline has {n_base}, candidate has "
            f"{n_cand}): no test, verdict insufficient_evidence"
        )
    else:
        boot_rng, perm_rng = streams
        stats["ci"] = difference_interval(
            candidate, baseline, x_cand, x_base, options, boot_rng, notes
        )
        permutation = permutation_test(
            x_cand, x_base, n_resamples=options.n_permutations, seed=perm_rng
        )
        stats["pvalue"] = permutation.pvalue
        stats["permutation_exact"] = permutation.exact
        stats["n_permutations"] = permutation.n_resamples
        smallest = smallest_pvalue(permutation.exact, permutation.n_resamples)
        if smallest >= options.alpha:
            notes.append(
                f"with {n_base} and {n_cand} {unit_noun(unit)} the smallest attainable permutation "
                f"p-value is {smallest:.3g} >= alpha {options.alpha:g}: significance is "
                "impossible; add seeds"
            )
        d, d_ci, g, g_ci = effect_sizes(x_cand, x_base, level, notes)
        stats.update(cohens_d=d, cohens_d_ci=d_ci, hedges_g=g, hedges_g_ci=g_ci)
        pooled_sd = math.sqrt(
            ((n_base - 1) * np.var(x_base, ddof=1) + (n_cand - 1) * np.var(x_cand, ddof=1))
            / (n_base + n_cand - 2)
        )
        stats["pooled_sd"] = pooled_sd
        power_obs, needed, needed_min, mde, mde_d = power_figures(
            d, pooled_sd, n_base, n_cand, min_effect, options, unit, notes
        )
        stats.update(
            power_observed=power_obs,
            n_per_arm_observed=needed,
            n_per_arm_min_effect=needed_min,
            mde=mde,
            mde_effect_size=mde_d,
        )
    verdict = decide_verdict(stats["pvalue"], stats["ci"], delta, options.alpha, higher)
    disagreement = _ci_p_disagreement(stats["pvalue"], stats["ci"], options, n_base, n_cand)
    if disagreement:
        notes.append(disagreement)
    return MetricComparison(
        metric=metric,
        task=task,
        unit=unit,
        n_baseline=n_base,
        n_candidate=n_cand,
        mean_baseline=mean_base,
        mean_candidate=mean_cand,
        sd_baseline=sample_sd(x_base),
        sd_candidate=sample_sd(x_cand),
        delta=delta,
        ci_method=options.ci_method,
        hierarchical=options.hierarchical,
        confidence_level=level,
        alpha=options.alpha,
        power=options.power,
        min_effect=min_effect,
        higher_is_better=higher,
        verdict=verdict,
        counts=counts,
        seeds_baseline=baseline.seeds,
        seeds_candidate=candidate.seeds,
        values_baseline=tuple(float(v) for v in baseline.means),
        values_candidate=tuple(float(v) for v in candidate.means),
        notes=tuple(notes),
        **stats,
    )


def comparison_label(metric: str, task: str) -> str:
    return metric if task == "" else f"{metric} / {task}"


def compare_pair(
    prepared: Prepared,
    baseline: str,
    candidate: str,
    metrics: Sequence[str],
    options: PairOptions,
    base: np.random.SeedSequence | np.random.Generator,
) -> tuple[list[MetricComparison], list[str]]:
    """Comparisons of ``candidate`` vs ``baseline`` for every metric and shared task."""
    comparisons: list[MetricComparison] = []
    messages: list[str] = []
    noted: dict[str, list[str]] = {}
    empty = Arm((), np.empty(0), ())
    for metric in metrics:
        tasks_base = prepared.tasks.get((baseline, metric), [])
        tasks_cand = prepared.tasks.get((candidate, metric), [])
        shared = [t for t in tasks_base if t in tasks_cand]
        only = [t for t in tasks_base + tasks_cand if t not in shared]
        if only:
            messages.append(
                f"{metric}: task(s) {only} appear in only one of {baseline!r} and "
                f"{candidate!r}; left out"
            )
        if not shared:
            raise InputError(
                f"conditions {baseline!r} and {candidate!r} share no task for metric {metric!r}",
                source="task",
            )
        for task in shared:
            notes: list[str] = []
            for condition in (baseline, candidate):
                lost = prepared.dropped.get((condition, metric, task))
                if lost:
                    notes.append(
                        f"seed(s) {lost} of {condition!r} have no {metric!r} value in window "
                        f"{prepared.window.label!r}; left out"
                    )
            counts = None
            if metric == COUNTS_METRIC:
                if prepared.counts is None or prepared.counts.height == 0:
                    notes.append(
                        "counts analysis skipped: the data carry no correct/total counts "
                        "(emergence/steps.jsonl)"
                    )
                else:
                    counts = counts_comparison(
                        prepared.counts,
                        baseline,
                        candidate,
                        prepared.window,
                        options,
                        options.minimum_effect(metric),
                        notes,
                    )
            comparison = compare_arms(
                metric,
                task,
                prepared.arms.get((baseline, metric, task), empty),
                prepared.arms.get((candidate, metric, task), empty),
                options,
                pair_streams(base, baseline, candidate, metric, task),
                counts,
                notes,
            )
            comparisons.append(comparison)
            label = comparison_label(metric, task)
            for note in comparison.notes:
                noted.setdefault(note, []).append(label)
    # One message per distinct note, naming every comparison it concerns: 180 tasks with the
    # same note give one line, not 180.
    for note, labels in noted.items():
        listed = ", ".join(labels[:6]) + (f" and {len(labels) - 6} more" if len(labels) > 6 else "")
        messages.append(f"{listed}: {note}")
    if any(_DISAGREE_HINT in note for note in noted):
        messages.append(DISAGREEMENT_NOTE)
    return comparisons, messages


def pair_result(
    prepared: Prepared,
    baseline: str,
    candidate: str,
    metrics: Sequence[str],
    options: PairOptions,
    base: np.random.SeedSequence | np.random.Generator,
    leading: Sequence[str] = (),
) -> SignificanceResult:
    """:class:`SignificanceResult` of ``candidate`` vs ``baseline``; its ``warnings`` are
    ``leading`` then the notes of the pair's comparisons."""
    comparisons, messages = compare_pair(prepared, baseline, candidate, metrics, options, base)
    return SignificanceResult(
        comparisons=tuple(comparisons),
        baseline=baseline,
        candidate=candidate,
        window=prepared.window.label,
        alpha=options.alpha,
        power=options.power,
        unit=UNIT_POOLED if options.pooled else UNIT_SEED,
        warnings=(*leading, *messages),
    )
