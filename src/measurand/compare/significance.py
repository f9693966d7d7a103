"""Two-condition significance: is the candidate better than the baseline, by how much, how sure?

The unit of analysis is the **seed**: each run is first reduced to its mean over the step window
(:func:`measurand.compare.window.window_means`), and the two conditions are compared on those
per-seed means. Steps of one run are not independent observations (they share the run's
initialisation, data order and trajectory), so treating them as such ("pooling steps across
runs") overstates the evidence; it is done only when asked (``pooled=True``) and labelled
``"step (pseudo-replicated)"`` in every output.

For each metric (and task) :func:`significance` reports:

- ``delta = mean(candidate seed means) - mean(baseline seed means)`` and a bootstrap confidence
  interval (percentile, BCa or basic; resampling seeds within each arm; ``hierarchical=True``
  resamples seeds, then steps within each resampled seed, a conservative interval: see
  :func:`significance`);
- a two-sided permutation p-value for the difference of means, exact (all relabelings of the
  seeds, e.g. C(16, 8) = 12,870 for 8 vs 8 seeds) when there are at most ``n_permutations`` of
  them, else Monte Carlo with ``p = (count + 1) / (B + 1)``;
- Cohen's d and Hedges' g (candidate minus baseline over the pooled seed sd) with noncentral-t
  confidence intervals;
- power of the two-sample t test: the power at the observed d (a re-expression of the p-value,
  not evidence of absence), the seeds per arm needed for ``power`` at the observed d and at a
  user-given minimum effect, and the minimum detectable effect at the current number of seeds;
- for ``correct_rate`` when the data carry correct/total counts: Fisher's exact test, Wilson
  intervals per arm, Newcombe's interval for the rate difference and the episodes per arm for
  ``power`` (episode-level: it ignores seed-to-seed variation, a supplement to the seed-level
  test, not a replacement);
- a verdict (see :data:`VERDICTS`).

All intervals have confidence level ``1 - alpha``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import warnings
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from measurand._result import ConfidenceInterval, Result
from measurand.compare.window import (
    Window,
    excluded_stop_note,
    filter_window,
    long_frame,
    parse_window,
)
from measurand.errors import InputError, NoSolutionError
from measurand.stats import (
    bootstrap,
    cohens_d,
    fisher_exact,
    newcombe_difference,
    permutation_test,
    power_proportions,
    power_t_test,
    wilson,
)
from measurand.stats._effect import _hedges_correction
from measurand.stats._rng import SeedLike

__all__ = [
    "UNIT_POOLED",
    "UNIT_SEED",
    "VERDICTS",
    "CountsComparison",
    "MetricComparison",
    "SignificanceResult",
    "significance",
]

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

UNIT_SEED = "seed"
UNIT_POOLED = "step (pseudo-replicated)"
COUNTS_UNIT = "episode (pooled across seeds and steps; ignores seed-to-seed variation)"
COUNTS_METRIC = "correct_rate"

_CI_METHODS = ("percentile", "bca", "basic")
# Bytes of the (resamples x seeds x steps) arrays held at once by the hierarchical bootstrap.
_CHUNK_BYTES = 50_000_000
_NAN_CI = ConfidenceInterval(math.nan, math.nan)


@dataclasses.dataclass(frozen=True)
class CountsComparison(Result):
    """Episode-level comparison of pooled correct/total counts (candidate vs baseline).

    Counts are summed over the seeds and the window steps of each arm (the window is applied to
    the counts' own steps; for ``last:N``, to each run's last N counted steps). ``odds_ratio`` is
    the conditional maximum-likelihood odds ratio of Fisher's exact test for the table
    ``[[correct_candidate, wrong_candidate], [correct_baseline, wrong_baseline]]`` (> 1: the
    candidate is more often correct), with its exact interval; ``rate_*_ci`` are Wilson score
    intervals, ``rate_difference_ci`` Newcombe's hybrid score interval for
    ``rate_candidate - rate_baseline``. ``episodes_per_arm`` is the per-arm sample size for
    ``power`` at the observed rates (two-proportion z test, as R's ``power.prop.test``);
    ``episodes_per_arm_min_effect`` the same for a rate difference of ``min_effect``.
    """

    correct_baseline: int
    total_baseline: int
    correct_candidate: int
    total_candidate: int
    rate_baseline: float
    rate_baseline_ci: ConfidenceInterval
    rate_candidate: float
    rate_candidate_ci: ConfidenceInterval
    rate_difference: float
    rate_difference_ci: ConfidenceInterval
    fisher_pvalue: float
    odds_ratio: float
    odds_ratio_ci: ConfidenceInterval
    sample_odds_ratio: float
    episodes_per_arm: int | None
    episodes_per_arm_min_effect: int | None
    n_runs_baseline: int
    n_runs_candidate: int
    unit: str = COUNTS_UNIT


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


# ---------------------------------------------------------------------------------------------
# options and data preparation shared with measurand.compare.multiple


@dataclasses.dataclass(frozen=True)
class _Options:
    alpha: float
    power: float
    min_effect: Mapping[str, float] | float | None
    n_permutations: int
    n_resamples: int
    ci_method: str
    hierarchical: bool
    pooled: bool
    higher_is_better: Mapping[str, bool] | bool

    @property
    def confidence_level(self) -> float:
        return 1.0 - self.alpha

    def direction(self, metric: str) -> bool:
        if isinstance(self.higher_is_better, Mapping):
            return bool(self.higher_is_better.get(metric, True))
        return bool(self.higher_is_better)

    def minimum_effect(self, metric: str) -> float | None:
        if isinstance(self.min_effect, Mapping):
            value = self.min_effect.get(metric)
            return None if value is None else float(value)
        return None if self.min_effect is None else float(self.min_effect)


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}", source=name)
    return int(value)


def _open_unit(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not 0.0 < number < 1.0:
        raise InputError(f"{name} must lie strictly between 0 and 1, got {value!r}", source=name)
    return number


def _make_options(
    *,
    alpha: float,
    power: float,
    min_effect: Mapping[str, float] | float | None,
    n_permutations: int,
    n_resamples: int,
    ci_method: str,
    hierarchical: bool,
    pooled: bool,
    higher_is_better: Mapping[str, bool] | bool,
) -> _Options:
    if ci_method not in _CI_METHODS:
        raise InputError(
            f"ci_method must be one of {list(_CI_METHODS)}, got {ci_method!r}", source="ci_method"
        )
    if hierarchical and pooled:
        raise InputError(
            "hierarchical=True (resample seeds, then steps) and pooled=True (steps as "
            "independent units) contradict each other; choose one",
            source="hierarchical",
        )
    if hierarchical and ci_method != "percentile":
        raise InputError(
            "the hierarchical bootstrap gives percentile intervals only; use "
            "ci_method='percentile' with hierarchical=True",
            source="ci_method",
        )
    effects = min_effect.values() if isinstance(min_effect, Mapping) else [min_effect]
    for value in effects:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0
        ):
            raise InputError(
                f"min_effect must be a positive difference in metric units, got {value!r}",
                source="min_effect",
            )
    directions = (
        higher_is_better.values() if isinstance(higher_is_better, Mapping) else [higher_is_better]
    )
    for value in directions:
        if not isinstance(value, bool | np.bool_):
            raise InputError(
                f"higher_is_better must be a bool or a mapping metric -> bool, got {value!r}",
                source="higher_is_better",
            )
    return _Options(
        alpha=_open_unit("alpha", alpha),
        power=_open_unit("power", power),
        min_effect=min_effect,
        n_permutations=_positive_int("n_permutations", n_permutations),
        n_resamples=_positive_int("n_resamples", n_resamples),
        ci_method=ci_method,
        hierarchical=bool(hierarchical),
        pooled=bool(pooled),
        higher_is_better=higher_is_better,
    )


@dataclasses.dataclass(frozen=True)
class _Arm:
    """One condition on one (metric, task): its seeds, per-seed means and window values."""

    seeds: tuple[str, ...]
    means: np.ndarray
    steps: tuple[np.ndarray, ...] | None


@dataclasses.dataclass(frozen=True)
class _Prepared:
    arms: dict[tuple[str, str, str], _Arm]  # (condition, metric, task) -> arm
    tasks: dict[tuple[str, str], list[str]]  # (condition, metric) -> tasks with data
    dropped: dict[tuple[str, str, str], list[str]]  # seeds with no value in the window
    counts: pl.DataFrame | None
    window: Window
    messages: tuple[str, ...]  # data-level warnings (metrics left out)


def _metric_list(
    metrics: Sequence[str] | str | None,
    frame: pl.DataFrame,
    present: dict[str, list[str]],
    conditions: Sequence[str],
    messages: list[str],
) -> list[str]:
    """The metrics to compare. ``None``: those every condition has (the others are reported);
    a named metric absent from a condition raises InputError naming both."""
    if metrics is None:
        names = frame.get_column("metric").unique(maintain_order=True).to_list()
        shared = [m for m in names if all(m in present.get(c, []) for c in conditions)]
        partial = [m for m in names if m not in shared]
        if partial:
            messages.append(f"metric(s) {partial} are missing from some conditions; left out")
        if not shared:
            raise InputError(f"conditions {list(conditions)} share no metric", source="metric")
        return shared
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise InputError("metrics is empty; name at least one metric", source="metrics")
    for condition in conditions:
        have = present.get(condition, [])
        for name in names:
            if name not in have:
                raise InputError(
                    f"metric {name!r} is absent from condition {condition!r} (it has: "
                    f"{sorted(have)})",
                    source="metric",
                )
    return list(dict.fromkeys(names))


def _check_conditions(frame: pl.DataFrame, names: Sequence[str]) -> list[str]:
    available = frame.get_column("condition").unique(maintain_order=True).to_list()
    for name in names:
        if not isinstance(name, str) or name not in available:
            raise InputError(
                f"unknown condition {name!r}; available conditions: {available}",
                source="condition",
            )
    return available


def _prepare(
    frame: pl.DataFrame,
    counts: pl.DataFrame | None,
    conditions: Sequence[str],
    metrics: Sequence[str] | str | None,
    window: Window | str | Sequence[int | None] | None,
    need_steps: bool,
) -> tuple[_Prepared, list[str]]:
    """Window a canonical long frame once and split it into arms; InputError for absent
    metrics.

    The window is applied before the metrics are selected, so that ``last:N`` counts back from
    each run's last step over all its metrics (as :func:`~measurand.compare.window.window_means`
    does) and a comparison does not depend on which other metrics are requested.
    """
    _check_conditions(frame, conditions)
    window = parse_window(window)
    frame = frame.filter(pl.col("condition").is_in(list(conditions)))
    present = dict(frame.group_by("condition").agg(pl.col("metric").unique()).iter_rows())
    messages: list[str] = []
    names = _metric_list(metrics, frame, present, conditions, messages)
    rows = filter_window(frame, window).filter(pl.col("metric").is_in(names))
    frame = frame.filter(pl.col("metric").is_in(names))
    stop_note = excluded_stop_note(frame, window)
    if stop_note:
        messages.append(stop_note)
    keys = ["condition", "metric", "task", "seed"]
    before = frame.select(keys).unique(maintain_order=True)

    aggregations = [pl.col("value").mean().alias("mean")]
    if need_steps:
        aggregations.append(pl.col("value").sort_by("step").alias("values"))
    per_seed = rows.group_by(keys, maintain_order=True).agg(aggregations)
    dropped_rows = before.join(per_seed.select(keys), on=keys, how="anti", maintain_order="left")

    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in per_seed.iter_rows(named=True):
        grouped.setdefault((row["condition"], row["metric"], row["task"]), []).append(row)
    arms = {
        key: _Arm(
            seeds=tuple(r["seed"] for r in items),
            means=np.array([r["mean"] for r in items], dtype=float),
            steps=tuple(np.asarray(r["values"], dtype=float) for r in items)
            if need_steps
            else None,
        )
        for key, items in grouped.items()
    }
    tasks: dict[tuple[str, str], list[str]] = {}
    for condition, metric, task, _seed in before.iter_rows():
        listed = tasks.setdefault((condition, metric), [])
        if task not in listed:
            listed.append(task)
    dropped: dict[tuple[str, str, str], list[str]] = {}
    for condition, metric, task, seed in dropped_rows.iter_rows():
        dropped.setdefault((condition, metric, task), []).append(seed)
    return _Prepared(arms, tasks, dropped, counts, window, tuple(messages)), names


# ---------------------------------------------------------------------------------------------
# random streams


def _base_sequence(seed: SeedLike) -> np.random.SeedSequence | np.random.Generator:
    if isinstance(seed, np.random.Generator | np.random.SeedSequence):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise InputError(f"seed must be an integer, a Generator or None, got {seed!r}")
    return np.random.SeedSequence(None if seed is None else int(seed))


def _streams(
    base: np.random.SeedSequence | np.random.Generator, *labels: str
) -> tuple[np.random.Generator, np.random.Generator]:
    """(bootstrap, permutation) generators for one comparison.

    From an integer seed each comparison gets its own child sequence keyed by its labels, so its
    numbers do not depend on which other metrics, tasks or pairs are analysed in the same call:
    ``compare_all`` reproduces ``significance`` exactly. A Generator is used as is, in order.
    """
    if isinstance(base, np.random.Generator):
        return base, base
    key = zlib.crc32("\x1f".join(labels).encode("utf-8"))
    child = np.random.SeedSequence(base.entropy, spawn_key=(*base.spawn_key, key))
    boot, perm = child.spawn(2)
    return np.random.default_rng(boot), np.random.default_rng(perm)


# ---------------------------------------------------------------------------------------------
# the statistics of one comparison


def _mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _hierarchical_means(
    steps: Sequence[np.ndarray], n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Two-stage bootstrap of the mean of seed means: ``n_resamples`` values.

    Each resample draws the seeds with replacement, then, for every drawn seed, as many of its
    window values as it has, with replacement; the statistic is the mean over drawn seeds of
    their resampled means. Vectorized over resamples in chunks of about 50 MB.
    """
    lengths = np.array([s.size for s in steps])
    n_seeds, width = lengths.size, int(lengths.max())
    packed = np.zeros((n_seeds, width))
    for k, values in enumerate(steps):
        packed[k, : values.size] = values
    columns = np.arange(width)
    rows = max(1, _CHUNK_BYTES // (32 * n_seeds * width))
    out = np.empty(n_resamples)
    for first in range(0, n_resamples, rows):
        count = min(rows, n_resamples - first)
        drawn = rng.integers(0, n_seeds, size=(count, n_seeds))
        drawn_lengths = lengths[drawn]
        offsets = (rng.random((count, n_seeds, width)) * drawn_lengths[..., None]).astype(np.intp)
        values = packed[drawn[..., None], offsets]
        values *= columns < drawn_lengths[..., None]
        seed_means = values.sum(axis=-1) / drawn_lengths
        out[first : first + count] = seed_means.mean(axis=-1)
    return out


def _difference_interval(
    candidate: _Arm,
    baseline: _Arm,
    x_candidate: np.ndarray,
    x_baseline: np.ndarray,
    options: _Options,
    rng: np.random.Generator,
    notes: list[str],
) -> ConfidenceInterval:
    level = options.confidence_level
    if options.hierarchical:
        assert candidate.steps is not None and baseline.steps is not None
        distribution = _hierarchical_means(
            candidate.steps, options.n_resamples, rng
        ) - _hierarchical_means(baseline.steps, options.n_resamples, rng)
        tail = (1.0 - level) / 2.0
        low, high = np.quantile(distribution, [tail, 1.0 - tail])
        return ConfidenceInterval(float(low), float(high))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = bootstrap(
            (x_candidate, x_baseline),
            _mean_difference,
            n_resamples=options.n_resamples,
            method=options.ci_method,
            confidence_level=level,
            seed=rng,
        )
    notes.extend(f"bootstrap: {w.message}" for w in caught)
    return result.confidence_interval


def _effect_sizes(
    x_candidate: np.ndarray, x_baseline: np.ndarray, level: float, notes: list[str]
) -> tuple[float, ConfidenceInterval, float, ConfidenceInterval]:
    try:
        d = cohens_d(x_candidate, x_baseline, confidence_level=level)
    except (InputError, NoSolutionError) as error:
        notes.append(f"effect size not computed: {error}")
        return math.nan, _NAN_CI, math.nan, _NAN_CI
    # Hedges' g and its interval are d and d's interval times J(df) (what hedges_g returns);
    # scaling d's interval avoids inverting the noncentral t a second time.
    correction = _hedges_correction(d.df)
    low, high = d.confidence_interval
    g_ci = ConfidenceInterval(correction * low, correction * high)
    return d.statistic, d.confidence_interval, correction * d.statistic, g_ci


@functools.lru_cache(maxsize=256)
def _detectable_effect_size(n: float, power: float, alpha: float) -> float:
    # Depends on the sizes only, so all pairs of a balanced campaign share one root search.
    return power_t_test(n=n, power=power, alpha=alpha).effect_size


def _power_figures(
    d: float,
    pooled_sd: float,
    n_baseline: int,
    n_candidate: int,
    min_effect: float | None,
    options: _Options,
    unit: str,
    notes: list[str],
) -> tuple[float, int | None, int | None, float, float]:
    """(power at d, n per arm at d, n per arm at min_effect, mde, mde in d units)."""
    n = 2.0 * n_baseline * n_candidate / (n_baseline + n_candidate)
    alpha, target = options.alpha, options.power
    units = _noun(unit)
    if n_baseline != n_candidate:
        notes.append(
            f"unequal arms ({n_baseline} vs {n_candidate} {units}): power figures use their "
            f"harmonic mean n = {n:.3g} per arm"
        )
    observed = needed = needed_min = None
    mde_d = math.nan
    try:
        mde_d = _detectable_effect_size(n, target, alpha)
    except NoSolutionError as error:
        notes.append(f"minimum detectable effect not computed: {error}")
    if math.isfinite(d):
        observed = power_t_test(effect_size=d, n=n, alpha=alpha).power
        try:
            needed = power_t_test(effect_size=abs(d), power=target, alpha=alpha).n_ceil
        except NoSolutionError as error:
            notes.append(f"{units} per arm at the observed effect not computed: {error}")
    if min_effect is not None:
        if pooled_sd > 0 and math.isfinite(pooled_sd):
            try:
                needed_min = power_t_test(
                    effect_size=min_effect / pooled_sd, power=target, alpha=alpha
                ).n_ceil
            except NoSolutionError as error:
                notes.append(f"{units} per arm at min_effect not computed: {error}")
        else:
            notes.append(f"{units} per arm at min_effect not computed: the pooled sd is not > 0")
    mde = mde_d * pooled_sd if math.isfinite(pooled_sd) else math.nan
    return (math.nan if observed is None else observed), needed, needed_min, mde, mde_d


def _verdict(
    pvalue: float, ci: ConfidenceInterval, delta: float, alpha: float, higher: bool
) -> str:
    if not (math.isfinite(pvalue) and pvalue < alpha):
        return "insufficient_evidence"
    if ci.low > 0 and delta > 0:
        return "significant_improvement" if higher else "significant_degradation"
    if ci.high < 0 and delta < 0:
        return "significant_degradation" if higher else "significant_improvement"
    return "insufficient_evidence"


def smallest_pvalue(exact: bool, n_permutations: int) -> float:
    """The smallest two-sided permutation p-value attainable: ``2 / N`` over ``N`` enumerated
    relabelings, ``2 / (B + 1)`` from ``B`` Monte Carlo ones (two-sided p doubles the smaller
    tail). When it is ``>= alpha`` no data can give a significant result."""
    return 2.0 / (n_permutations if exact else n_permutations + 1)


def _noun(unit: str) -> str:
    return "seeds" if unit == UNIT_SEED else "steps"


def _sd(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if values.size >= 2 else math.nan


def _compare_arms(
    metric: str,
    task: str,
    baseline: _Arm,
    candidate: _Arm,
    options: _Options,
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
        "ci": _NAN_CI,
        "pvalue": math.nan,
        "permutation_exact": False,
        "n_permutations": 0,
        "cohens_d": math.nan,
        "cohens_d_ci": _NAN_CI,
        "hedges_g": math.nan,
        "hedges_g_ci": _NAN_CI,
        "pooled_sd": math.nan,
        "power_observed": math.nan,
        "n_per_arm_observed": None,
        "n_per_arm_min_effect": None,
        "mde": math.nan,
        "mde_effect_size": math.nan,
    }
    if min(n_base, n_cand) < 2:
        notes.append(
            f"needs >= 2 {_noun(unit)} per arm (baseline has {n_base}, candidate has {n_cand}): no "
            "test, verdict insufficient_evidence"
        )
    else:
        boot_rng, perm_rng = streams
        stats["ci"] = _difference_interval(
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
                f"with {n_base} and {n_cand} {_noun(unit)} the smallest attainable permutation "
                f"p-value is {smallest:.3g} >= alpha {options.alpha:g}: significance is "
                "impossible; add seeds"
            )
        d, d_ci, g, g_ci = _effect_sizes(x_cand, x_base, level, notes)
        stats.update(cohens_d=d, cohens_d_ci=d_ci, hedges_g=g, hedges_g_ci=g_ci)
        pooled_sd = math.sqrt(
            ((n_base - 1) * np.var(x_base, ddof=1) + (n_cand - 1) * np.var(x_cand, ddof=1))
            / (n_base + n_cand - 2)
        )
        stats["pooled_sd"] = pooled_sd
        power_obs, needed, needed_min, mde, mde_d = _power_figures(
            d, pooled_sd, n_base, n_cand, min_effect, options, unit, notes
        )
        stats.update(
            power_observed=power_obs,
            n_per_arm_observed=needed,
            n_per_arm_min_effect=needed_min,
            mde=mde,
            mde_effect_size=mde_d,
        )
    verdict = _verdict(stats["pvalue"], stats["ci"], delta, options.alpha, higher)
    return MetricComparison(
        metric=metric,
        task=task,
        unit=unit,
        n_baseline=n_base,
        n_candidate=n_cand,
        mean_baseline=mean_base,
        mean_candidate=mean_cand,
        sd_baseline=_sd(x_base),
        sd_candidate=_sd(x_cand),
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


# ---------------------------------------------------------------------------------------------
# pooled correct/total counts


def _counts_comparison(
    counts: pl.DataFrame,
    baseline: str,
    candidate: str,
    window: Window,
    options: _Options,
    min_effect: float | None,
    notes: list[str],
) -> CountsComparison | None:
    frame = counts.filter(pl.col("condition").is_in([baseline, candidate])).with_columns(
        pl.lit("", dtype=pl.Utf8).alias("task")
    )
    if window.kind != "all":
        frame = filter_window(frame, window)
    sums = dict(
        (row[0], row[1:])
        for row in frame.group_by("condition")
        .agg(
            pl.col("correct_count").sum(),
            pl.col("total_count").sum(),
            pl.col("seed").n_unique(),
        )
        .iter_rows()
    )
    if baseline not in sums or candidate not in sums:
        notes.append("counts analysis skipped: no correct/total counts for both arms in the window")
        return None
    k_base, n_base, runs_base = (int(v) for v in sums[baseline])
    k_cand, n_cand, runs_cand = (int(v) for v in sums[candidate])
    if n_base == 0 or n_cand == 0:
        notes.append("counts analysis skipped: an arm has no episodes in the window")
        return None
    level = options.confidence_level
    fisher = fisher_exact(
        [[k_cand, n_cand - k_cand], [k_base, n_base - k_base]], confidence_level=level
    )
    rate_base = wilson(k_base, n_base, confidence_level=level)
    rate_cand = wilson(k_cand, n_cand, confidence_level=level)
    difference = newcombe_difference(k_cand, n_cand, k_base, n_base, confidence_level=level)

    def episodes(p_other: float) -> int | None:
        try:
            return power_proportions(
                p1=rate_base.estimate, p2=p_other, power=options.power, alpha=options.alpha
            ).n_ceil
        except (InputError, NoSolutionError) as error:
            notes.append(f"episodes per arm not computed: {error}")
            return None

    needed = episodes(rate_cand.estimate)
    needed_min = None
    if min_effect is not None:
        p_up = rate_base.estimate + min_effect
        needed_min = episodes(p_up if p_up < 1.0 else rate_base.estimate - min_effect)
    return CountsComparison(
        correct_baseline=k_base,
        total_baseline=n_base,
        correct_candidate=k_cand,
        total_candidate=n_cand,
        rate_baseline=rate_base.estimate,
        rate_baseline_ci=rate_base.confidence_interval,
        rate_candidate=rate_cand.estimate,
        rate_candidate_ci=rate_cand.confidence_interval,
        rate_difference=difference.estimate,
        rate_difference_ci=difference.confidence_interval,
        fisher_pvalue=fisher.pvalue,
        odds_ratio=fisher.statistic,
        odds_ratio_ci=fisher.confidence_interval,
        sample_odds_ratio=fisher.sample_odds_ratio,
        episodes_per_arm=needed,
        episodes_per_arm_min_effect=needed_min,
        n_runs_baseline=runs_base,
        n_runs_candidate=runs_cand,
    )


# ---------------------------------------------------------------------------------------------
# one pair of conditions on every metric and task


def _label(metric: str, task: str) -> str:
    return metric if task == "" else f"{metric} / {task}"


def _compare_pair(
    prepared: _Prepared,
    baseline: str,
    candidate: str,
    metrics: Sequence[str],
    options: _Options,
    base: np.random.SeedSequence | np.random.Generator,
) -> tuple[list[MetricComparison], list[str]]:
    """Comparisons of ``candidate`` vs ``baseline`` for every metric and shared task."""
    comparisons: list[MetricComparison] = []
    messages: list[str] = []
    empty = _Arm((), np.empty(0), ())
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
                    counts = _counts_comparison(
                        prepared.counts,
                        baseline,
                        candidate,
                        prepared.window,
                        options,
                        options.minimum_effect(metric),
                        notes,
                    )
            comparison = _compare_arms(
                metric,
                task,
                prepared.arms.get((baseline, metric, task), empty),
                prepared.arms.get((candidate, metric, task), empty),
                options,
                _streams(base, baseline, candidate, metric, task),
                counts,
                notes,
            )
            comparisons.append(comparison)
            messages.extend(f"{_label(metric, task)}: {note}" for note in comparison.notes)
    return comparisons, messages


def _pair_result(
    prepared: _Prepared,
    baseline: str,
    candidate: str,
    metrics: Sequence[str],
    options: _Options,
    base: np.random.SeedSequence | np.random.Generator,
    leading: Sequence[str] = (),
) -> SignificanceResult:
    """:class:`SignificanceResult` of ``candidate`` vs ``baseline``; its ``warnings`` are
    ``leading`` then the notes of the pair's comparisons."""
    comparisons, messages = _compare_pair(prepared, baseline, candidate, metrics, options, base)
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


def significance(
    data: Any,
    *,
    baseline: str,
    candidate: str,
    metrics: Sequence[str] | str | None,
    window: Window | str | Sequence[int | None] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    min_effect: Mapping[str, float] | float | None = None,
    n_permutations: int = 20_000,
    n_resamples: int = 10_000,
    ci_method: str = "percentile",
    hierarchical: bool = False,
    pooled: bool = False,
    higher_is_better: Mapping[str, bool] | bool = True,
    seed: SeedLike = 0,
) -> SignificanceResult:
    """Compare ``candidate`` with ``baseline`` on each metric, the seed being the unit.

    Parameters
    ----------
    data
        :class:`measurand.io.RunData` (or a canonical long frame). Its ``counts`` (correct/total
        per run and step) feed the episode-level analysis of ``correct_rate``.
    baseline, candidate
        Condition names; unknown names raise :class:`~measurand.errors.InputError` listing the
        available conditions.
    metrics
        Metric name(s) to compare (``None``: every metric of the two conditions). A metric absent
        from either condition raises :class:`~measurand.errors.InputError` naming both. Data with
        tasks give one comparison per task the two conditions share.
    window
        Steps averaged per run first (see :func:`measurand.compare.window.parse_window`):
        ``"400:500"`` (start included, stop excluded), ``"last:100"``, ``(400, 500)``, ``None`` =
        all steps.
    alpha
        Significance level of the permutation test; every interval has level ``1 - alpha``.
    power
        Target power for the sample-size and minimum-detectable-effect figures.
    min_effect
        Smallest difference worth detecting, in metric units (a number, or per metric).
    n_permutations, n_resamples
        Monte Carlo relabelings (exact enumeration when there are no more relabelings than
        this) and bootstrap resamples.
    ci_method
        ``"percentile"`` (default), ``"bca"`` or ``"basic"`` bootstrap interval of ``delta``.
    hierarchical
        Bootstrap seeds, then steps within each seed (percentile interval). The seed bootstrap
        already reflects within-run noise (it is part of the spread of the seed means); the
        second stage adds it once more, so this interval is conservative, wider than the seed
        bootstrap by about the within-run variance of the window means (Davison & Hinkley
        1997, sec. 3.8). p-value and effect sizes stay on seed means.
    pooled
        Treat every window step of every seed as an independent observation (the
        pseudo-replicated analysis of older scripts); labelled ``unit="step
        (pseudo-replicated)"``. Only for comparison with such scripts.
    higher_is_better
        Direction of improvement, for all metrics or per metric (missing metrics: True).
    seed
        Integer seed (each comparison gets its own stream derived from it and its labels, so
        results do not depend on which other metrics are requested), a Generator, or None.

    Returns
    -------
    SignificanceResult
        ``verdict`` per comparison: ``significant_improvement`` when ``p < alpha``, the interval
        excludes 0 and ``delta`` points in the better direction; ``significant_degradation``
        when the same holds in the worse direction; otherwise ``insufficient_evidence`` (also
        with fewer than 2 seeds in an arm, which yields a warning "needs >= 2 seeds per arm"
        rather than an error, so the curves can still be drawn).
    """
    options = _make_options(
        alpha=alpha,
        power=power,
        min_effect=min_effect,
        n_permutations=n_permutations,
        n_resamples=n_resamples,
        ci_method=ci_method,
        hierarchical=hierarchical,
        pooled=pooled,
        higher_is_better=higher_is_better,
    )
    if baseline == candidate:
        raise InputError(
            f"baseline and candidate are the same condition {baseline!r}", source="candidate"
        )
    prepared, names = _prepare(
        long_frame(data),
        getattr(data, "counts", None),
        [baseline, candidate],
        metrics,
        window,
        options.hierarchical or options.pooled,
    )
    return _pair_result(
        prepared, baseline, candidate, names, options, _base_sequence(seed), prepared.messages
    )
