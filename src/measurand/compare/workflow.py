"""The ``measurand compare`` workflow: run the requested analyses and hold their results.

:func:`run_compare` is what the command line calls; it decides which analyses apply to the data
and the options, runs them with one seed, and returns a :class:`CompareResult` whose
``to_dict()`` is the stable ``results.json`` (keys documented in ``docs/compare.md``).

Which analyses run
------------------
- **learning curves**: whenever the data has steps (``curves=False`` turns them off);
- **two-condition significance**: when ``baseline`` and ``candidate`` are given (or named by the
  rule file), with the seed as the unit; ``pooled=True`` adds the pseudo-replicated analysis
  (steps pooled as if independent) next to it, never instead of it;
- **many conditions** (Holm and Benjamini-Hochberg adjusted): ``all_pairs=True`` for every pair,
  or ``baseline`` alone for every condition against it; by default (no pair named) every pair of
  a single-task dataset with at least two conditions;
- **ordering**: when ``ordering`` is given (``"A >= B >= C"``), on ``ordering_metric`` (default
  the first metric);
- **litmus**: when ``rules`` is given;
- **across tasks**: ``across_tasks=True``, or by default when the data holds two or more tasks.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from measurand._result import Result, to_builtin
from measurand.compare.aggregates import AGGREGATE_METRICS, AcrossTasksResult
from measurand.compare.aggregates import across_tasks as aggregate_tasks
from measurand.compare.curves import learning_curves
from measurand.compare.litmus import LitmusResult, LitmusRules, evaluate_litmus, load_rules
from measurand.compare.multiple import check_ordering, compare_all, parse_ordering
from measurand.compare.two_conditions import significance
from measurand.errors import InputError
from measurand.io._frames import RunData
from measurand.stats._window import parse_window

__all__ = ["PRIMARY_METRICS", "SCHEMA_VERSION", "CompareResult", "run_compare"]

SCHEMA_VERSION = 2
"""Version of the ``results.json`` layout; bumped when a key changes meaning or disappears.
2: ``curves.series`` (one entry per curve, its labels written once) replaces the row-wise
``curves.columns``."""

PRIMARY_METRICS = ("correct_rate", "running_correct_rate", "mean_reward")
"""Metrics compared by default when the data has them (the training-campaign primaries)."""

Progress = Callable[[str], None]


_CURVE_LABELS = ["condition", "task", "metric"]


def _curve_series(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One entry per curve: its labels once, then its per-step values as parallel lists.

    A campaign has thousands of (condition, task, metric, step) rows; writing the labels once
    per curve rather than once per row keeps ``results.json`` about a quarter smaller.
    """
    per_curve = frame.group_by(_CURVE_LABELS, maintain_order=True).agg(pl.exclude(_CURVE_LABELS))
    return to_builtin(per_curve.to_dicts())


@dataclasses.dataclass(frozen=True)
class CompareResult(Result):
    """Everything :func:`run_compare` computed; None for an analysis that did not run."""

    source: str
    conditions: tuple[str, ...]
    tasks: tuple[str, ...]
    metrics: tuple[str, ...]
    window: str
    seed: int | None
    runs_per_condition: dict[str, int]
    settings: dict[str, Any]
    curves: Any | None
    significance: Any | None
    significance_pooled: Any | None
    multiple: Any | None
    ordering: Any | None
    litmus: LitmusResult | None
    across_tasks: tuple[AcrossTasksResult, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The stable ``results.json`` document (see ``docs/compare.md``)."""
        from measurand import __version__

        curves = None
        if self.curves is not None:
            curves = {
                "band": self.curves.band,
                "smoothing": self.curves.smoothing,
                "confidence_level": self.curves.confidence_level,
                "ragged": list(self.curves.ragged),
                "series": _curve_series(self.curves.frame),
            }
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": "measurand compare",
            "measurand_version": __version__,
            "source": self.source,
            "conditions": list(self.conditions),
            "tasks": list(self.tasks),
            "metrics": list(self.metrics),
            "window": self.window,
            "seed": self.seed,
            "runs_per_condition": dict(self.runs_per_condition),
            "settings": to_builtin(self.settings),
            "curves": curves,
            "significance": None if self.significance is None else self.significance.to_dict(),
            "significance_pooled": (
                None if self.significance_pooled is None else self.significance_pooled.to_dict()
            ),
            "multiple": None if self.multiple is None else self.multiple.to_dict(),
            "ordering": None if self.ordering is None else self.ordering.to_dict(),
            "litmus": None if self.litmus is None else self.litmus.to_dict(),
            "across_tasks": [item.to_dict() for item in self.across_tasks],
            "warnings": list(self.warnings),
        }


def _default_metrics(data: RunData, conditions: Sequence[str]) -> list[str]:
    frame = data.frame.filter(pl.col("condition").is_in(list(conditions)))
    available = frame.get_column("metric").unique(maintain_order=True).to_list()
    primary = [m for m in PRIMARY_METRICS if m in available]
    return primary or available


def _check_metrics(data: RunData, metrics: Sequence[str]) -> list[str]:
    available = data.metrics()
    chosen = list(dict.fromkeys(metrics))
    unknown = [m for m in chosen if m not in available]
    if unknown:
        raise InputError(
            f"unknown metric(s) {unknown}; available: {', '.join(available)}", source=data.source
        )
    if not chosen:
        raise InputError("no metric to compare", source=data.source)
    return chosen


def _check_condition(data: RunData, name: str, role: str) -> None:
    available = data.conditions()
    if name not in available:
        raise InputError(
            f"{role} condition {name!r} is not in the data; available: {', '.join(available)}",
            source=data.source,
        )


def _restrict(data: RunData, conditions: Sequence[str]) -> RunData:
    """``data`` limited to ``conditions``, which are then listed in the given order."""
    chosen = list(dict.fromkeys(conditions))
    for name in chosen:
        _check_condition(data, name, "selected")
    if len(chosen) < 1:
        raise InputError("no condition selected", source=data.source)
    order = {name: i for i, name in enumerate(chosen)}

    def keep(frame: pl.DataFrame | None) -> pl.DataFrame | None:
        if frame is None:
            return None
        return frame.filter(pl.col("condition").is_in(chosen))

    frame = keep(data.frame)
    assert frame is not None
    # Stable sort by the requested order so that "order of appearance" follows the selection.
    frame = (
        frame.with_row_index("_row")
        .sort(pl.col("condition").replace_strict(order, return_dtype=pl.Int64), "_row")
        .drop("_row")
    )
    return dataclasses.replace(
        data, frame=frame, counts=keep(data.counts), generations=keep(data.generations)
    )


def _seed_value(seed: Any) -> int | None:
    return int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None


def run_compare(
    data: RunData,
    *,
    baseline: str | None = None,
    candidate: str | None = None,
    metrics: Sequence[str] | str | None = None,
    conditions: Sequence[str] | None = None,
    window: Any = None,
    all_pairs: bool = False,
    ordering: str | Sequence[str] | None = None,
    ordering_metric: str | None = None,
    rules: LitmusRules | str | os.PathLike[str] | None = None,
    across_tasks: bool | None = None,
    normalization: str | None = "minmax",
    reference: Mapping[str, tuple[float, float]] | None = None,
    aggregates: Sequence[str] = AGGREGATE_METRICS,
    curves: bool = True,
    band: str = "sd",
    smoothing: str | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    min_effect: Mapping[str, float] | float | None = None,
    n_permutations: int = 20_000,
    n_resamples: int = 10_000,
    across_resamples: int = 50_000,
    ci_method: str = "percentile",
    hierarchical: bool = False,
    pooled: bool = False,
    higher_is_better: Mapping[str, bool] | bool = True,
    adjust: Sequence[str] = ("holm", "bh"),
    seed: Any = 0,
    progress: Progress | None = None,
) -> CompareResult:
    """Run the comparisons that apply (see the module docstring) and collect their results.

    Parameters mirror the analysis functions: :func:`measurand.compare.learning_curves`
    (``band``, ``smoothing``), :func:`measurand.compare.significance` (``alpha``, ``power``,
    ``min_effect``, ``n_permutations``, ``n_resamples``, ``ci_method``, ``hierarchical``,
    ``pooled``, ``higher_is_better``), :func:`measurand.compare.compare_all` (``adjust``),
    :func:`measurand.compare.check_ordering`, :func:`measurand.compare.evaluate_litmus`
    (``rules``: a :class:`LitmusRules` or a TOML path) and
    :func:`measurand.compare.across_tasks` (``normalization``, ``reference``, ``aggregates``,
    ``across_resamples``). ``window`` applies to every analysis except a litmus rule file that
    names its own window. ``conditions`` restricts every analysis to those conditions (in that
    order). ``progress`` is called with a short label before each analysis.

    Raises :class:`InputError` for unknown conditions or metrics and inconsistent options.
    """
    say = progress or (lambda _label: None)
    window_obj = parse_window(window)
    if conditions is not None:
        data = _restrict(data, conditions)
    conditions = data.conditions()
    tasks = data.frame.get_column("task").unique(maintain_order=True).to_list()
    has_steps = data.frame.get_column("step").null_count() < data.frame.height
    warnings: list[str] = list(data.warnings)

    if candidate is not None and baseline is None:
        raise InputError("--candidate needs --baseline (the condition it is compared with)")
    for role, name in (("baseline", baseline), ("candidate", candidate)):
        if name is not None:
            _check_condition(data, name, role)
    if baseline is not None and baseline == candidate:
        raise InputError(f"baseline and candidate are both {baseline!r}")

    rule_set: LitmusRules | None = None
    if rules is not None:
        rule_set = rules if isinstance(rules, LitmusRules) else load_rules(rules)
        for role, mine, theirs in (
            ("baseline", baseline, rule_set.baseline),
            ("candidate", candidate, rule_set.candidate),
        ):
            if mine is None and theirs is not None and theirs not in conditions:
                raise InputError(
                    f"the rule file's {role} condition {theirs!r} is not in the data; "
                    f"available: {', '.join(conditions)}",
                    source=rule_set.source,
                )
            if mine is not None and theirs is not None and mine != theirs:
                warnings.append(
                    f"litmus: {role} {mine!r} given on the command line replaces the rule "
                    f"file's {theirs!r}"
                )
        if baseline is None and candidate is None and not all_pairs:
            baseline, candidate = rule_set.baseline, rule_set.candidate

    if isinstance(metrics, str):
        metrics = [metrics]
    chosen_metrics = (
        _check_metrics(data, metrics) if metrics else _default_metrics(data, conditions)
    )
    if across_tasks is None:
        across_tasks = len(tasks) > 1

    curves_result = None
    if curves and has_steps:
        say("learning curves")
        curves_result = learning_curves(
            data, metrics=chosen_metrics, band=band, smoothing=smoothing, seed=seed
        )
        warnings.extend(f"curves: {note}" for note in curves_result.ragged)

    test_options: dict[str, Any] = {
        "window": window_obj,
        "alpha": alpha,
        "n_permutations": n_permutations,
        "n_resamples": n_resamples,
        "seed": seed,
    }
    significance_result = None
    pooled_result = None
    multiple_result = None
    if baseline is not None and candidate is not None and not all_pairs:
        pair_options: dict[str, Any] = {
            "baseline": baseline,
            "candidate": candidate,
            "metrics": chosen_metrics,
            "power": power,
            "min_effect": min_effect,
            "ci_method": ci_method,
            "hierarchical": hierarchical,
            "higher_is_better": higher_is_better,
            **test_options,
        }
        say(f"significance: {candidate} vs {baseline}")
        significance_result = significance(data, pooled=False, **pair_options)
        warnings.extend(f"significance: {w}" for w in significance_result.warnings)
        if pooled:
            say("pooled (pseudo-replicated) significance")
            pooled_result = significance(data, pooled=True, **pair_options)
            warnings.extend(
                f"significance (pseudo-replicated): {w}" for w in pooled_result.warnings
            )
    elif len(conditions) >= 2 and (
        all_pairs or baseline is not None or (len(tasks) == 1 and not across_tasks)
    ):
        pair_baseline = None if all_pairs else baseline
        say("all pairs" if pair_baseline is None else f"every condition vs {pair_baseline}")
        multiple_result = compare_all(
            data,
            metrics=chosen_metrics,
            baseline=pair_baseline,
            adjust=tuple(adjust),
            power=power,
            min_effect=min_effect,
            ci_method=ci_method,
            hierarchical=hierarchical,
            higher_is_better=higher_is_better,
            **test_options,
        )
        warnings.extend(f"multiple: {w}" for w in multiple_result.warnings)
        if pooled:
            warnings.append(
                "pooled: the pseudo-replicated analysis is only run for a baseline/candidate "
                "pair; pairwise comparisons are seed-level"
            )

    ordering_result = None
    if ordering is not None:
        order = parse_ordering(ordering) if isinstance(ordering, str) else list(ordering)
        for name in order:
            _check_condition(data, name, "ordering")
        metric = ordering_metric or chosen_metrics[0]
        _check_metrics(data, [metric])
        say(f"ordering on {metric}")
        ordering_result = check_ordering(
            data,
            order,
            metric=metric,
            adjust=adjust[0] if adjust else "holm",
            ci_method=ci_method,
            hierarchical=hierarchical,
            **test_options,
        )
        warnings.extend(f"ordering: {w}" for w in ordering_result.warnings)

    litmus_result = None
    if rule_set is not None:
        say("litmus rules")
        litmus_result = evaluate_litmus(
            data,
            rule_set,
            baseline=baseline if baseline != rule_set.baseline else None,
            candidate=candidate if candidate != rule_set.candidate else None,
            window=None if rule_set.window is not None else window,
            seed=seed,
        )
        warnings.extend(f"litmus: {note}" for note in litmus_result.notes)

    across: list[AcrossTasksResult] = []
    if across_tasks:
        if len(tasks) < 2:
            warnings.append("across tasks: the data holds a single task; aggregates are per run")
        for metric in chosen_metrics:
            say(f"across tasks: {metric}")
            item = aggregate_tasks(
                data,
                metric=metric,
                window=window_obj,
                baseline=baseline,
                normalization=normalization,  # type: ignore[arg-type]
                reference=reference,
                metrics=aggregates,
                n_resamples=across_resamples,
                confidence_level=1.0 - alpha,
                seed=seed,
            )
            across.append(item)
            warnings.extend(f"across tasks ({metric}): {note}" for note in item.notes)

    runs = data.frame.select("condition", "seed").unique().group_by("condition").len().iter_rows()
    runs_per_condition = dict(sorted(runs, key=lambda kv: conditions.index(kv[0])))
    settings = {
        "conditions": list(conditions),
        "baseline": baseline,
        "candidate": candidate,
        "all_pairs": all_pairs,
        "alpha": alpha,
        "power": power,
        "min_effect": min_effect,
        "n_permutations": n_permutations,
        "n_resamples": n_resamples,
        "ci_method": ci_method,
        "hierarchical": hierarchical,
        "pooled": pooled,
        "higher_is_better": higher_is_better,
        "adjust": list(adjust),
        "band": band,
        "smoothing": smoothing,
        "normalization": normalization if across_tasks else None,
        "across_resamples": across_resamples if across_tasks else None,
        "rules": None if rule_set is None else rule_set.source,
    }
    return CompareResult(
        source=data.source,
        conditions=tuple(conditions),
        tasks=tuple(tasks),
        metrics=tuple(chosen_metrics),
        window=window_obj.label,
        seed=_seed_value(seed),
        runs_per_condition={str(k): int(v) for k, v in runs_per_condition.items()},
        settings=settings,
        curves=curves_result,
        significance=significance_result,
        significance_pooled=pooled_result,
        multiple=multiple_result,
        ordering=ordering_result,
        litmus=litmus_result,
        across_tasks=tuple(across),
        warnings=tuple(dict.fromkeys(warnings)),
    )
