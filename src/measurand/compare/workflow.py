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
import fnmatch
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from measurand._compat import renamed_kwargs
from measurand._result import Result, to_builtin
from measurand.compare._options import accepts_alpha
from measurand.compare._statistics import root_or_generator
from measurand.compare.aggregates import AcrossTasksResult
from measurand.compare.aggregates import across_tasks as aggregate_tasks
from measurand.compare.curves import learning_curves
from measurand.compare.litmus import LitmusResult, LitmusRules, evaluate_litmus, load_rules
from measurand.compare.multiple import (
    check_ordering_from_table,
    compare_all_from_table,
    parse_ordering,
)
from measurand.compare.options import CompareOptions
from measurand.compare.two_conditions import significance_from_table
from measurand.errors import InputError
from measurand.io._frames import RunData, ragged_note
from measurand.stats import adjust_pvalues
from measurand.stats._window import RunTable, run_table

__all__ = [
    "PRIMARY_METRICS",
    "SCHEMA_VERSION",
    "CompareOptions",
    "CompareResult",
    "run_compare",
]

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
    # The reader's ragged-runs note covers every condition of the file: say it again for the
    # selected ones only, so that no warning names a condition left out.
    kept = [w for w in data.warnings if _RAGGED not in w]
    note = ragged_note(frame)
    if note is not None:
        kept.append(f"{data.source}: {note}")
    return dataclasses.replace(
        data,
        frame=frame,
        counts=keep(data.counts),
        generations=keep(data.generations),
        warnings=tuple(kept),
    )


_RAGGED = "ragged runs: in "


def _seed_value(seed: Any) -> int | None:
    return int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None


def _directions(data: RunData, higher_is_better: Any) -> Any:
    """``higher_is_better`` with every name checked against the data: a metric named as
    lower-is-better that the data lack is an error, not a silent no-op."""
    if not isinstance(higher_is_better, dict | Mapping):
        return higher_is_better
    available = data.metrics()
    unknown = [m for m in higher_is_better if m not in available]
    if unknown:
        raise InputError(
            f"higher_is_better names metric(s) {unknown} that the data lack; available: "
            f"{', '.join(available)}",
            source=data.source,
        )
    return higher_is_better


def expand_metric_patterns(patterns: Sequence[str], available: Sequence[str]) -> list[str]:
    """The metrics matched by shell-style ``patterns`` (``loss``, ``*_loss``); InputError for
    a pattern that matches none (a typo must not silently flip nothing)."""
    matched: list[str] = []
    for pattern in patterns:
        hits = [m for m in available if fnmatch.fnmatchcase(m, pattern)]
        if not hits:
            raise InputError(
                f"--lower-is-better {pattern!r} matches no metric; available: "
                f"{', '.join(available)}"
            )
        matched.extend(hits)
    return list(dict.fromkeys(matched))


def _across_conditions(
    data: RunData, options: CompareOptions, baseline: str | None, candidate: str | None
) -> tuple[list[str] | None, str | None]:
    """Conditions of the across-task aggregates, and a note when some are left out.

    With a named pair (and no ``conditions``), the pair decides: the conditions that have
    every task the pair shares join it, the others are left out (a condition run on a handful
    of tasks must not empty the comparison of the pair). Otherwise every condition.
    """
    if options.conditions is not None or baseline is None or candidate is None:
        return None, None
    frame = data.frame.select("condition", "task").unique()
    tasks = {c: set(t) for c, t in frame.group_by("condition").agg(pl.col("task")).iter_rows()}
    shared = tasks[baseline] & tasks[candidate]
    chosen = [c for c in data.conditions() if shared <= tasks.get(c, set())]
    left_out = [c for c in data.conditions() if c not in chosen]
    if not left_out:
        return None, None
    shown = ", ".join(left_out[:8]) + (" ..." if len(left_out) > 8 else "")
    return chosen, (
        f"aggregates cover the {len(chosen)} condition(s) that have all {len(shared)} task(s) "
        f"shared by {baseline} and {candidate}; left out (fewer tasks): {shown}. Use "
        "--conditions to choose others"
    )


def _many_tasks_note(sig: Any, alpha: float) -> str | None:
    """How many per-task tests ran, and how many verdicts survive a Holm adjustment over them."""
    by_metric: dict[str, list[Any]] = {}
    for c in sig.comparisons:
        by_metric.setdefault(c.metric, []).append(c)
    notes = []
    for metric, items in by_metric.items():
        tested = [c for c in items if math.isfinite(c.pvalue)]
        if len(tested) < 2:
            continue
        significant = sum(c.verdict != "insufficient_evidence" for c in tested)
        holm = adjust_pvalues([c.pvalue for c in tested], method="holm")
        kept = sum(
            p < alpha and c.verdict != "insufficient_evidence"
            for p, c in zip(holm, tested, strict=True)
        )
        notes.append(
            f"{metric}: {len(tested)} tasks were tested, one test per task; each p-value and "
            f"verdict is per task, not adjusted for the {len(tested)} tests (about "
            f"{alpha * len(tested):.3g} false positives expected at alpha {alpha:g} if nothing "
            f"differed). {significant} verdict(s) are significant unadjusted, {kept} after a "
            "Holm adjustment over the tasks"
        )
    return "; ".join(notes) or None


def _window_all_note(data: RunData) -> str:
    steps = data.frame.group_by(["condition", "seed", "task"]).agg(pl.col("step").n_unique())
    typical = int(steps.get_column("step").median() or 0)
    suggestion = max(1, typical // 10)
    return (
        "window 'all' averages every logged step of each run, including the start of training; "
        "when the learning curves still move (or to compare final performance), choose a late "
        f"window such as --window last:{suggestion} (the last tenth of a typical run's "
        f"{typical} steps)"
    )


@renamed_kwargs(n_permutations="permutation_resamples")
@accepts_alpha
def run_compare(
    data: RunData,
    options: CompareOptions | None = None,
    *,
    progress: Progress | None = None,
    **fields: Any,
) -> CompareResult:
    """Run the comparisons that apply (see the module docstring) and collect their results.

    ``options`` (a :class:`CompareOptions`, which the CLI builds once) says what to compute;
    keyword ``fields`` build one (or change the given one), so ``run_compare(data,
    baseline="A", candidate="B", window="last:100")`` also works. The fields mirror the
    analysis functions: :func:`measurand.compare.learning_curves` (``band``, ``smoothing``),
    :func:`measurand.compare.significance` (``confidence_level``, ``power``, ``min_effect``,
    ``permutation_resamples``, ``n_resamples``, ``ci_method``, ``hierarchical``, ``pooled``,
    ``higher_is_better``), :func:`measurand.compare.compare_all` (``adjust``),
    :func:`measurand.compare.check_ordering`, :func:`measurand.compare.evaluate_litmus`
    (``rules``: a :class:`LitmusRules` or a TOML path) and
    :func:`measurand.compare.across_tasks` (``normalization``, ``reference``, ``aggregates``,
    ``across_resamples``). ``window`` applies to every analysis except a litmus rule file that
    names its own window. ``conditions`` restricts every analysis to those conditions (in that
    order). ``progress`` is called with a short label before each analysis.

    The input is reduced once over the window into a run-level table (condition, seed, task,
    metric → window mean, with counts; :func:`measurand.stats._window.run_table`) that every
    analysis reads.

    Raises :class:`InputError` for unknown conditions or metrics and inconsistent options.
    """
    if options is None:
        options = CompareOptions(**fields)
    elif fields:
        options = options.replace(**fields)
    say = progress or (lambda _label: None)
    window_obj = options.window
    if options.conditions is not None:
        data = _restrict(data, options.conditions)
    conditions = data.conditions()
    tasks = data.frame.get_column("task").unique(maintain_order=True).to_list()
    has_steps = data.frame.get_column("step").null_count() < data.frame.height
    warnings: list[str] = list(data.warnings)
    # Notes about the run as a whole (how many tests, which conditions, which window) lead the
    # list: a terminal shows the first few warnings only.
    leading: list[str] = []
    higher_is_better = _directions(data, options.higher_is_better)
    baseline, candidate, all_pairs = options.baseline, options.candidate, options.all_pairs

    if candidate is not None and baseline is None:
        raise InputError("--candidate needs --baseline (the condition it is compared with)")
    for role, name in (("baseline", baseline), ("candidate", candidate)):
        if name is not None:
            _check_condition(data, name, role)
    if baseline is not None and baseline == candidate:
        raise InputError(f"baseline and candidate are both {baseline!r}")

    rule_set: LitmusRules | None = None
    if options.rules is not None:
        rules = options.rules
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

    metrics = options.metrics
    chosen_metrics = (
        _check_metrics(data, metrics) if metrics else _default_metrics(data, conditions)
    )
    across_tasks = options.across_tasks
    if across_tasks is None:
        across_tasks = len(tasks) > 1

    curves_result = None
    curve_notes: list[str] = []
    if options.curves and has_steps:
        say("learning curves")
        curves_result = learning_curves(
            data,
            metrics=chosen_metrics,
            band=options.band,
            smoothing=options.smoothing,
            seed=options.seed,
        )
        # Per-curve notes go last: the analyses' warnings matter more to a reader.
        curve_notes = [f"curves: {note}" for note in curves_result.ragged]

    pair_options = options.pair_options()
    root = root_or_generator(options.seed)
    tables: dict[bool, RunTable] = {}

    def table(values: bool = False) -> RunTable:
        # One reduction of the input over the window; the values per step are kept only when
        # the hierarchical bootstrap or the pooled analysis needs them.
        if values not in tables:
            tables[values] = tables.get(True) or run_table(data, window_obj, keep_values=values)
        return tables[values]

    needs_values = options.hierarchical or options.pooled
    counts = data.counts
    significance_result = None
    pooled_result = None
    multiple_result = None
    tested = False
    if baseline is not None and candidate is not None and not all_pairs:
        say(f"significance: {candidate} vs {baseline}")
        significance_result = significance_from_table(
            table(needs_values),
            counts,
            baseline=baseline,
            candidate=candidate,
            metrics=chosen_metrics,
            options=dataclasses.replace(pair_options, higher_is_better=higher_is_better),
            root=root,
        )
        tested = True
        warnings.extend(f"significance: {w}" for w in significance_result.warnings)
        note = _many_tasks_note(significance_result, pair_options.alpha)
        if note:
            leading.append(f"significance: {note}")
        if options.pooled:
            say("pooled (pseudo-replicated) significance")
            pooled_result = significance_from_table(
                table(True),
                counts,
                baseline=baseline,
                candidate=candidate,
                metrics=chosen_metrics,
                options=options.pair_options(pooled=True),
                root=root,
            )
            warnings.extend(
                f"significance (pseudo-replicated): {w}" for w in pooled_result.warnings
            )
    elif len(conditions) >= 2 and (
        all_pairs or baseline is not None or (len(tasks) == 1 and not across_tasks)
    ):
        pair_baseline = None if all_pairs else baseline
        say("all pairs" if pair_baseline is None else f"every condition vs {pair_baseline}")
        multiple_result = compare_all_from_table(
            table(options.hierarchical),
            counts,
            metrics=chosen_metrics,
            baseline=pair_baseline,
            conditions=None,
            adjust=options.adjust,
            family="metric",
            options=dataclasses.replace(
                pair_options, pooled=False, higher_is_better=higher_is_better
            ),
            root=root,
        )
        tested = True
        warnings.extend(f"multiple: {w}" for w in multiple_result.warnings)
        if options.pooled:
            warnings.append(
                "pooled: the pseudo-replicated analysis is only run for a baseline/candidate "
                "pair; pairwise comparisons are seed-level"
            )

    ordering_result = None
    if options.ordering is not None:
        ordering = options.ordering
        order = parse_ordering(ordering) if isinstance(ordering, str) else list(ordering)
        for name in order:
            _check_condition(data, name, "ordering")
        metric = options.ordering_metric or chosen_metrics[0]
        _check_metrics(data, [metric])
        say(f"ordering on {metric}")
        ordering_result = check_ordering_from_table(
            table(options.hierarchical),
            counts,
            order,
            metric=metric,
            task=None,
            adjust=options.adjust[0] if options.adjust else "holm",
            options=dataclasses.replace(
                pair_options, pooled=False, higher_is_better=True, min_effect=None
            ),
            root=root,
        )
        tested = True
        warnings.extend(f"ordering: {w}" for w in ordering_result.warnings)

    litmus_result = None
    if rule_set is not None:
        say("litmus rules")
        litmus_result = evaluate_litmus(
            data,
            rule_set,
            baseline=baseline if baseline != rule_set.baseline else None,
            candidate=candidate if candidate != rule_set.candidate else None,
            window=None if rule_set.window is not None else window_obj,
            seed=options.seed,
            # the rule file's own window needs its own reduction; else share the run's
            table=None if rule_set.window is not None else table(False),
        )
        warnings.extend(f"litmus: {note}" for note in litmus_result.notes)

    across: list[AcrossTasksResult] = []
    if across_tasks:
        if len(tasks) < 2:
            warnings.append("across tasks: the data holds a single task; aggregates are per run")
        across_conditions, left_out = _across_conditions(data, options, baseline, candidate)
        if left_out:
            leading.append(f"across tasks: {left_out}")
        for metric in chosen_metrics:
            say(f"across tasks: {metric}")
            item = aggregate_tasks(
                data,
                metric=metric,
                window=window_obj,
                conditions=across_conditions,
                baseline=baseline,
                normalization=options.normalization,  # type: ignore[arg-type]
                reference=options.reference,
                metrics=options.aggregates,
                higher_is_better=options.direction(metric)
                if not isinstance(higher_is_better, Mapping)
                else bool(higher_is_better.get(metric, True)),
                n_resamples=options.across_resamples,
                confidence_level=options.confidence_level,
                seed=options.seed,
                table=table(False),
            )
            across.append(item)
            tested = True
            warnings.extend(f"across tasks ({metric}): {note}" for note in item.notes)

    if tested and has_steps and window_obj.kind == "all":
        leading.append(_window_all_note(data))
    warnings = [*leading, *warnings, *curve_notes]

    runs = data.frame.select("condition", "seed").unique().group_by("condition").len().iter_rows()
    runs_per_condition = dict(sorted(runs, key=lambda kv: conditions.index(kv[0])))
    settings = {
        "conditions": list(conditions),
        "baseline": baseline,
        "candidate": candidate,
        "all_pairs": all_pairs,
        "alpha": options.alpha,
        "confidence_level": options.confidence_level,
        "power": options.power,
        "min_effect": options.min_effect,
        "n_permutations": options.permutation_resamples,
        "n_resamples": options.n_resamples,
        "ci_method": options.ci_method,
        "hierarchical": options.hierarchical,
        "pooled": options.pooled,
        "higher_is_better": higher_is_better,
        "adjust": list(options.adjust),
        "band": options.band,
        "smoothing": options.smoothing,
        "normalization": options.normalization if across_tasks else None,
        "across_resamples": options.across_resamples if across_tasks else None,
        "rules": None if rule_set is None else rule_set.source,
    }
    return CompareResult(
        source=data.source,
        conditions=tuple(conditions),
        tasks=tuple(tasks),
        metrics=tuple(chosen_metrics),
        window=window_obj.label,
        seed=_seed_value(options.seed),
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
