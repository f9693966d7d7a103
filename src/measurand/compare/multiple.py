"""Many conditions: all pairs (or all against a baseline) with multiplicity adjustment, and the
check of an expected ordering such as ``"A >= B >= C >= D >= E"``.

Every pair is analysed exactly as :func:`measurand.compare.significance` does (seed
means as the unit, bootstrap interval, permutation p-value); with an integer ``seed`` a pair's
numbers are identical to those of a ``significance`` call on that pair alone. The p-values of a
family are then adjusted (Holm's step-down for the family-wise error rate, Benjamini-Hochberg for
the false discovery rate).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from measurand._compat import renamed_kwargs
from measurand._result import ConfidenceInterval, Result, to_builtin
from measurand.compare._options import (
    PairOptions,
    accepts_alpha,
    alpha_from_confidence,
    make_pair_options,
)
from measurand.compare._pairwise import (
    MetricComparison,
    SignificanceResult,
    compare_pair,
    pair_result,
)
from measurand.compare._prepare import check_conditions, prepare
from measurand.compare._statistics import (
    UNIT_POOLED,
    UNIT_SEED,
    decide_verdict,
    root_or_generator,
    smallest_pvalue,
)
from measurand.errors import InputError
from measurand.stats import adjust_pvalues
from measurand.stats._rng import SeedLike
from measurand.stats._window import RunTable, Window, run_table

__all__ = [
    "ORDERING_STATUSES",
    "MultipleComparisonResult",
    "OrderingPair",
    "OrderingResult",
    "check_ordering",
    "compare_all",
    "parse_ordering",
]

ADJUST_METHODS = ("holm", "bh", "bonferroni", "none")
ORDERING_STATUSES: tuple[str, ...] = ("supported", "contradicted", "unresolved")
"""Per pair ``A >= B``: ``supported`` when ``mean(A) - mean(B)`` is significantly positive
(adjusted ``p < alpha`` and the CI above 0), ``contradicted`` when significantly negative,
``unresolved`` otherwise. Overall: ``contradicted`` if any pair is, ``supported`` if all are,
else ``unresolved``."""

_FRAME_COLUMNS = ("metric", "task", "baseline", "candidate", "delta", "ci_low", "ci_high")
_RELATION = re.compile(r"(>=|<=|≥|≤|>|<)")


@dataclasses.dataclass(frozen=True)
class MultipleComparisonResult(Result):
    """Result of :func:`compare_all`.

    ``frame``: one row per (metric, task, pair) with ``metric, task, baseline, candidate,
    delta (candidate - baseline), ci_low, ci_high, pvalue`` (unadjusted permutation p),
    ``p_<method>`` for each method of ``adjust`` (e.g. ``p_holm``, ``p_bh``), ``verdict``
    (decided with ``p_<adjust[0]>``), then ``n_baseline, n_candidate, cohens_d``. ``pairs``
    holds the full :class:`SignificanceResult` of every pair, exactly as a ``significance``
    call on that pair alone gives it: its comparisons' ``verdict`` uses the *unadjusted*
    p-value; the frame's ``verdict`` is the multiplicity-adjusted decision. ``family`` says
    which p-values were adjusted together. ``to_dict`` writes the frame as a list of rows.
    """

    frame: pl.DataFrame = dataclasses.field(repr=False)
    pairs: tuple[SignificanceResult, ...] = dataclasses.field(repr=False)
    adjust: tuple[str, ...]
    family: str
    alpha: float
    window: str
    unit: str
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["frame"] = to_builtin(self.frame.to_dicts())
        return out


@dataclasses.dataclass(frozen=True)
class OrderingPair(Result):
    """One adjacent pair ``higher >= lower`` of an expected ordering.

    ``difference = mean(higher) - mean(lower)`` (seed means) with its bootstrap ``ci``;
    ``pvalue`` is the two-sided permutation p-value and ``p_adjusted`` its adjustment over the
    pairs of the ordering. ``status`` is one of :data:`ORDERING_STATUSES`.
    """

    higher: str
    lower: str
    difference: float
    ci: ConfidenceInterval
    pvalue: float
    p_adjusted: float
    status: str
    comparison: MetricComparison


@dataclasses.dataclass(frozen=True)
class OrderingResult(Result):
    """Result of :func:`check_ordering`: ``ordering`` lists the conditions from the highest
    expected value to the lowest; ``status`` is the overall verdict (see
    :data:`ORDERING_STATUSES`)."""

    pairs: tuple[OrderingPair, ...]
    status: str
    ordering: tuple[str, ...]
    metric: str
    task: str
    window: str
    alpha: float
    adjust: str
    warnings: tuple[str, ...]


def _adjust_methods(adjust: Sequence[str] | str) -> tuple[str, ...]:
    methods = (adjust,) if isinstance(adjust, str) else tuple(adjust)
    for method in methods:
        if method not in ADJUST_METHODS:
            raise InputError(
                f"adjust must name methods among {list(ADJUST_METHODS)}, got {method!r}",
                source="adjust",
            )
    return tuple(dict.fromkeys(methods)) or ("none",)


def _adjusted(pvalues: np.ndarray, method: str) -> np.ndarray:
    """Adjust the finite p-values of one family; NaN (untested) entries stay NaN."""
    out = np.full(pvalues.shape, np.nan)
    finite = np.isfinite(pvalues)
    if finite.any():
        out[finite] = (
            pvalues[finite]
            if method == "none"
            else np.asarray(adjust_pvalues(pvalues[finite], method=method), dtype=float)
        )
    return out


def _pairs(conditions: list[str], baseline: str | None) -> list[tuple[str, str]]:
    if baseline is None:
        return [
            (conditions[i], conditions[j])
            for i in range(len(conditions))
            for j in range(i + 1, len(conditions))
        ]
    return [(baseline, other) for other in conditions if other != baseline]


@renamed_kwargs(n_permutations="permutation_resamples")
@accepts_alpha
def compare_all(
    data: Any,
    *,
    metrics: Sequence[str] | str | None,
    baseline: str | None = None,
    conditions: Sequence[str] | None = None,
    window: Window | str | Sequence[int | None] | None = None,
    adjust: Sequence[str] | str = ("holm", "bh"),
    family: str = "metric",
    confidence_level: float = 0.95,
    power: float = 0.8,
    min_effect: Mapping[str, float] | float | None = None,
    permutation_resamples: int = 20_000,
    n_resamples: int = 10_000,
    ci_method: str = "percentile",
    hierarchical: bool = False,
    pooled: bool = False,
    higher_is_better: Mapping[str, bool] | bool = True,
    seed: SeedLike = 0,
) -> MultipleComparisonResult:
    """Compare conditions pairwise on each metric, adjusting the p-values for multiplicity.

    Parameters
    ----------
    baseline
        ``None``: every pair of ``conditions`` (in their order; the earlier one is the pair's
        baseline, so ``delta = later - earlier``). A name: each other condition against it.
    conditions
        Conditions to include (default: all, in order of first appearance).
    adjust
        Adjustment methods (``"holm"``, ``"bh"``, ``"bonferroni"``, ``"none"``); the frame gets a
        ``p_<method>`` column for each and ``verdict`` uses the first. The interval is not
        adjusted.
    family
        ``"metric"`` (default): the pairs of one (metric, task) form a family, so with several
        tasks the adjustment does not span tasks; ``"all"``: every test of the call (every
        metric, task and pair) forms one family.

    Everything else is as in :func:`measurand.compare.significance`; each pair's
    verdict is decided by the rule there, with the adjusted p-value in place of the raw one.
    """
    options = make_pair_options(
        alpha=alpha_from_confidence(confidence_level),
        power=power,
        min_effect=min_effect,
        n_permutations=permutation_resamples,
        n_resamples=n_resamples,
        ci_method=ci_method,
        hierarchical=hierarchical,
        pooled=pooled,
        higher_is_better=higher_is_better,
    )
    table = run_table(data, window, keep_values=options.hierarchical or options.pooled)
    return compare_all_from_table(
        table,
        getattr(data, "counts", None),
        metrics=metrics,
        baseline=baseline,
        conditions=conditions,
        adjust=adjust,
        family=family,
        options=options,
        root=root_or_generator(seed),
    )


def compare_all_from_table(
    table: RunTable,
    counts: Any,
    *,
    metrics: Sequence[str] | str | None,
    baseline: str | None,
    conditions: Sequence[str] | None,
    adjust: Sequence[str] | str,
    family: str,
    options: PairOptions,
    root: np.random.SeedSequence | np.random.Generator,
) -> MultipleComparisonResult:
    """:func:`compare_all` on a run-level table already reduced over its window."""
    methods = _adjust_methods(adjust)
    if family not in ("metric", "all"):
        raise InputError(f"family must be 'metric' or 'all', got {family!r}", source="family")
    available = check_conditions(table, [*(conditions or []), *([baseline] if baseline else [])])
    chosen = list(dict.fromkeys(conditions)) if conditions is not None else available
    if baseline is not None and baseline not in chosen:
        chosen = [baseline, *chosen]
    if len(chosen) < 2:
        raise InputError(f"need at least 2 conditions to compare, got {chosen}")
    prepared, names = prepare(table, counts, chosen, metrics)
    base = root

    pairs: list[SignificanceResult] = []
    rows: list[dict[str, Any]] = []
    messages: list[str] = list(prepared.messages)
    for first, second in _pairs(chosen, baseline):
        pair = pair_result(prepared, first, second, names, options, base)
        pairs.append(pair)
        messages.extend(f"{second} vs {first}: {note}" for note in pair.warnings)
        for item in pair.comparisons:
            rows.append(
                {
                    "metric": item.metric,
                    "task": item.task,
                    "baseline": first,
                    "candidate": second,
                    "delta": item.delta,
                    "ci_low": item.ci.low,
                    "ci_high": item.ci.high,
                    "pvalue": item.pvalue,
                    "n_baseline": item.n_baseline,
                    "n_candidate": item.n_candidate,
                    "cohens_d": item.cohens_d,
                    "higher_is_better": item.higher_is_better,
                    "smallest_p": smallest_pvalue(item.permutation_exact, item.n_permutations)
                    if item.n_permutations
                    else math.nan,
                }
            )

    pvalues = np.array([row["pvalue"] for row in rows], dtype=float)
    families = (
        [(row["metric"], row["task"]) for row in rows] if family == "metric" else [0] * len(rows)
    )
    adjusted = {method: np.full(len(rows), np.nan) for method in methods}
    for key in dict.fromkeys(families):
        members = np.array([f == key for f in families])
        for method in methods:
            adjusted[method][members] = _adjusted(pvalues[members], method)
    # The family-level verdict on what is attainable goes first: it explains every row.
    messages[len(prepared.messages) : len(prepared.messages)] = _impossible_families(
        rows, families, methods[0], options.alpha
    )
    for k, row in enumerate(rows):
        row["verdict"] = decide_verdict(
            float(adjusted[methods[0]][k]),
            ConfidenceInterval(row["ci_low"], row["ci_high"]),
            row["delta"],
            options.alpha,
            row["higher_is_better"],
        )

    schema: dict[str, Any] = {
        "metric": pl.Utf8,
        "task": pl.Utf8,
        "baseline": pl.Utf8,
        "candidate": pl.Utf8,
        "delta": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "pvalue": pl.Float64,
    }
    columns: dict[str, Any] = {name: [row[name] for row in rows] for name in schema}
    for method in methods:
        schema[f"p_{method}"] = pl.Float64
        columns[f"p_{method}"] = adjusted[method].tolist()
    for name, dtype in (
        ("verdict", pl.Utf8),
        ("n_baseline", pl.Int64),
        ("n_candidate", pl.Int64),
        ("cohens_d", pl.Float64),
    ):
        schema[name] = dtype
        columns[name] = [row[name] for row in rows]
    frame = pl.DataFrame(columns, schema=schema).with_columns(pl.col(pl.Float64).fill_nan(None))
    return MultipleComparisonResult(
        frame=frame,
        pairs=tuple(pairs),
        adjust=methods,
        family=family,
        alpha=options.alpha,
        window=prepared.window.label,
        unit=UNIT_POOLED if options.pooled else UNIT_SEED,
        warnings=tuple(messages),
    )


def _impossible_families(
    rows: Sequence[dict[str, Any]], families: Sequence[Any], method: str, alpha: float
) -> list[str]:
    """A warning per family in which no pair can be significant after adjustment.

    The smallest p a permutation test can give is ``2 / N`` (:func:`smallest_pvalue`); Holm
    and Bonferroni multiply the smallest p of a family of ``m`` tests by ``m``, so when
    ``m * min p >= alpha`` no data can give a significant adjusted verdict (Benjamini-Hochberg
    can reach ``min p`` itself, when every test attains it).
    """
    grouped: dict[str, list[str]] = {}
    for key in dict.fromkeys(families):
        members = [row for row, f in zip(rows, families, strict=True) if f == key]
        floors = [row["smallest_p"] for row in members if math.isfinite(row["smallest_p"])]
        if not floors:
            continue
        floor = min(floors)
        m = len(floors)
        attainable = min(1.0, floor * m) if method in ("holm", "bonferroni") else floor
        if attainable < alpha:
            continue
        sizes = sorted({(row["n_baseline"], row["n_candidate"]) for row in members})
        shown = ", ".join(f"{a} vs {b}" for a, b in sizes[:3])
        text = (
            f"no pair can be significant: with {shown} seeds the smallest attainable "
            f"permutation p-value is {floor:.3g}, and {method}-adjusted over {m} pair(s) the "
            f"smallest attainable adjusted p is {attainable:.3g} >= alpha {alpha:g}; every "
            "verdict is insufficient_evidence whatever the data. Add seeds, or compare fewer "
            "pairs (--baseline for all-vs-one, or a named pair)"
        )
        where = "all tests" if key == 0 else (key[0] if not key[1] else f"{key[0]} / {key[1]}")
        grouped.setdefault(text, []).append(where)
    out = []
    for text, wheres in grouped.items():
        listed = ", ".join(wheres[:5]) + (f" and {len(wheres) - 5} more" if len(wheres) > 5 else "")
        out.append(f"{listed}: {text}")
    return out


def parse_ordering(text: str) -> list[str]:
    """Read an expected ordering such as ``"A >= B >= C"`` (or ``"C <= B <= A"``).

    Relations are ``>=``, ``>``, ``≥`` (descending) or ``<=``, ``<``, ``≤`` (ascending); one
    chain uses one direction. ``>`` and ``>=`` are tested alike (see :func:`check_ordering`).
    Condition names are stripped of surrounding spaces and may contain any other character
    (``maxrl+gtpo_sepa``). Returns the conditions from the highest expected value to the
    lowest; raises :class:`~measurand.errors.InputError` for fewer than 2 names, an empty or
    repeated name, or mixed directions.
    """
    if not isinstance(text, str):
        raise InputError(f"ordering must be a string like 'A >= B >= C', got {text!r}")
    parts = _RELATION.split(text)
    names = [part.strip() for part in parts[0::2]]
    relations = parts[1::2]
    if len(names) < 2 or any(not name for name in names):
        raise InputError(
            f"cannot read ordering {text!r}: write conditions separated by '>=' (or '<='), "
            "e.g. 'A >= B >= C'",
            source="ordering",
        )
    descending = {relation in (">=", ">", "≥") for relation in relations}
    if len(descending) > 1:
        raise InputError(
            f"ordering {text!r} mixes '>' and '<' relations; one chain must go one way",
            source="ordering",
        )
    if len(set(names)) != len(names):
        raise InputError(f"ordering {text!r} repeats a condition", source="ordering")
    return names if descending.pop() else names[::-1]


def _overall(statuses: Sequence[str]) -> str:
    if "contradicted" in statuses:
        return "contradicted"
    if all(status == "supported" for status in statuses):
        return "supported"
    return "unresolved"


@renamed_kwargs(n_permutations="permutation_resamples")
@accepts_alpha
def check_ordering(
    data: Any,
    ordering: Sequence[str] | str,
    *,
    metric: str,
    task: str | None = None,
    window: Window | str | Sequence[int | None] | None = None,
    confidence_level: float = 0.95,
    adjust: str = "holm",
    permutation_resamples: int = 20_000,
    n_resamples: int = 10_000,
    ci_method: str = "percentile",
    hierarchical: bool = False,
    seed: SeedLike = 0,
) -> OrderingResult:
    """Check an expected ordering of conditions on one metric, adjacent pair by adjacent pair.

    ``ordering`` lists the conditions from the highest expected value to the lowest (a list, or
    text for :func:`parse_ordering`, e.g. ``"A >= B >= C"``). For each adjacent pair
    ``(higher, lower)`` the difference ``mean(higher) - mean(lower)`` of seed means gets a
    bootstrap CI and a two-sided permutation p-value (as in
    :func:`~measurand.compare.significance`); the ``k - 1`` p-values are adjusted
    with ``adjust`` (``"holm"`` default). A pair is ``supported`` when the adjusted ``p < alpha``
    and the CI lies above 0, ``contradicted`` when adjusted ``p < alpha`` and the CI lies below
    0, else ``unresolved`` (``>`` and ``>=`` are tested alike: equality cannot be shown). The
    overall status is ``contradicted`` if a pair is, ``supported`` if every pair is, else
    ``unresolved``. Data with several tasks need ``task``.
    """
    options = make_pair_options(
        alpha=alpha_from_confidence(confidence_level),
        power=0.8,
        min_effect=None,
        n_permutations=permutation_resamples,
        n_resamples=n_resamples,
        ci_method=ci_method,
        hierarchical=hierarchical,
        pooled=False,
        higher_is_better=True,
    )
    table = run_table(data, window, keep_values=options.hierarchical)
    return check_ordering_from_table(
        table,
        getattr(data, "counts", None),
        ordering,
        metric=metric,
        task=task,
        adjust=adjust,
        options=options,
        root=root_or_generator(seed),
    )


def check_ordering_from_table(
    table: RunTable,
    counts: Any,
    ordering: Sequence[str] | str,
    *,
    metric: str,
    task: str | None,
    adjust: str,
    options: PairOptions,
    root: np.random.SeedSequence | np.random.Generator,
) -> OrderingResult:
    """:func:`check_ordering` on a run-level table already reduced over its window."""
    names = parse_ordering(ordering) if isinstance(ordering, str) else list(ordering)
    if len(names) < 2 or len(set(names)) != len(names):
        raise InputError(
            f"ordering needs at least 2 distinct conditions, got {names}", source="ordering"
        )
    (method,) = _adjust_methods(adjust)
    if not isinstance(metric, str):
        raise InputError(f"metric must be one metric name, got {metric!r}", source="metric")
    check_conditions(table, names)
    rank = {t: i for i, t in enumerate(table.tasks)}
    tasks = sorted(
        table.runs.filter(pl.col("condition").is_in(names) & (pl.col("metric") == metric))
        .get_column("task")
        .unique()
        .to_list(),
        key=rank.__getitem__,
    )
    if task is None and len(tasks) > 1:
        raise InputError(
            f"metric {metric!r} has several tasks {tasks}; pass task= to choose one",
            source="task",
        )
    if task is not None and task not in tasks:
        raise InputError(f"unknown task {task!r}; available: {tasks}", source="task")
    prepared, _ = prepare(table, counts, names, [metric], task)
    task = task if task is not None else (tasks[0] if tasks else "")
    base = root

    comparisons: list[MetricComparison] = []
    messages: list[str] = []
    for higher, lower in itertools.pairwise(names):
        results, notes = compare_pair(prepared, lower, higher, [metric], options, base)
        item = next(r for r in results if r.task == task)
        comparisons.append(item)
        messages.extend(f"{higher} vs {lower}: {note}" for note in notes)
    raw = np.array([c.pvalue for c in comparisons], dtype=float)
    adjusted = _adjusted(raw, method)
    pairs = []
    for (higher, lower), item, p_adj in zip(
        itertools.pairwise(names), comparisons, adjusted, strict=True
    ):
        verdict = decide_verdict(float(p_adj), item.ci, item.delta, options.alpha, True)
        status = {
            "significant_improvement": "supported",
            "significant_degradation": "contradicted",
        }.get(verdict, "unresolved")
        pairs.append(
            OrderingPair(
                higher=higher,
                lower=lower,
                difference=item.delta,
                ci=item.ci,
                pvalue=item.pvalue,
                p_adjusted=float(p_adj) if math.isfinite(p_adj) else math.nan,
                status=status,
                comparison=item,
            )
        )
    return OrderingResult(
        pairs=tuple(pairs),
        status=_overall([p.status for p in pairs]),
        ordering=tuple(names),
        metric=metric,
        task=task,
        window=prepared.window.label,
        alpha=options.alpha,
        adjust=method,
        warnings=tuple(messages),
    )
