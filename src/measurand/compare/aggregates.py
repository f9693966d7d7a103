"""Across-task aggregates (rliable-style): IQM, mean, median, optimality gap, P(X > Y), profiles.

One score per run and task: each run is reduced to its mean over the step window first
(:func:`measurand.compare.window_means`), so runs, not steps, are the unit. Scores are then
normalized per task (min-max over every run of every condition, or user-given reference scores)
and handed to :mod:`measurand.stats.aggregate`, whose intervals come from a stratified bootstrap
that resamples runs within each task.

Ragged inputs are handled, not refused, and written in ``notes``:

- a task that some condition lacks entirely is dropped for every condition (aggregates must
  cover the same tasks to be comparable);
- a run missing in some task (a condition's tasks hold different numbers of runs) is kept as a
  missing entry: every task keeps equal weight, split among the runs it has, and the bootstrap
  resamples each task's present runs (see :mod:`measurand.stats.aggregate`). No run is dropped.
  Conditions may differ in run count.

Reference: R. Agarwal, M. Schwarzer, P. S. Castro, A. Courville, M. G. Bellemare, "Deep
Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS 2021.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from measurand._result import Result, to_builtin
from measurand.errors import InputError
from measurand.io._frames import RunData
from measurand.stats import aggregate as agg
from measurand.stats._rng import SeedLike, keyed_generator, root_sequence
from measurand.stats._window import RunTable, parse_window, run_table

__all__ = ["AGGREGATE_METRICS", "AcrossTasksResult", "across_tasks", "score_matrices"]

AGGREGATE_METRICS = ("mean", "median", "iqm", "optimality_gap")
Normalization = Literal["minmax", "reference"] | None


def _frame_to_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return to_builtin(frame.to_dicts())


@dataclasses.dataclass(frozen=True)
class AcrossTasksResult(Result):
    """Result of :func:`across_tasks`.

    ``aggregates``: condition, metric (mean/median/iqm/optimality_gap), estimate, ci_low, ci_high.
    ``improvement``: x, y, probability (P(X > Y), averaged over tasks), ci_low, ci_high.
    ``per_task``: condition, task, n_runs, mean (raw window mean over runs), normalized (mean of
    the normalized scores, oriented so that higher is better). ``n_runs[condition]``: the most
    runs any task of it has.
    ``profile_taus`` and, per condition, ``profiles`` (fraction of runs with a normalized score
    above tau) with bootstrap bands ``profile_low``/``profile_high``.
    """

    metric: str
    window: str
    normalization: str | None
    higher_is_better: bool
    conditions: tuple[str, ...]
    tasks: tuple[str, ...]
    n_runs: dict[str, int]
    aggregates: pl.DataFrame
    improvement: pl.DataFrame
    per_task: pl.DataFrame
    profile_taus: np.ndarray
    profiles: dict[str, np.ndarray]
    profile_low: dict[str, np.ndarray]
    profile_high: dict[str, np.ndarray]
    confidence_level: float
    n_resamples: int
    profile_resamples: int
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            out[field.name] = (
                _frame_to_rows(value) if isinstance(value, pl.DataFrame) else to_builtin(value)
            )
        return out


def score_matrices(
    data: RunData,
    *,
    metric: str,
    window: Any = None,
    conditions: Sequence[str] | None = None,
    table: RunTable | None = None,
) -> tuple[dict[str, np.ndarray], list[str], list[str], pl.DataFrame, list[str]]:
    """Per condition a ``(n_runs, n_tasks)`` matrix of window means (raw, not normalized).

    ``n_runs`` is the largest number of runs any task of the condition has; a task with fewer
    runs holds NaN in the missing places. Returns ``(scores, conditions, tasks, run_means,
    notes)`` where ``run_means`` is the frame of per-run window means of the kept tasks.
    ``tasks`` are in order of first appearance; the matrices' rows (runs) and columns (tasks)
    are sorted by their labels, so that the resampled numbers do not depend on row order.
    ``table``: the run-level table of ``data`` over ``window`` when the caller has it.
    """
    available = data.conditions()
    if metric not in data.metrics():
        raise InputError(
            f"metric {metric!r} is not in the data; available: {', '.join(data.metrics())}",
            source=data.source,
        )
    if conditions is None:
        chosen = available
    else:
        chosen = list(dict.fromkeys(conditions))
        unknown = [c for c in chosen if c not in available]
        if unknown:
            raise InputError(
                f"unknown condition(s) {unknown}; available: {', '.join(available)}",
                source=data.source,
            )
    if len(chosen) < 1:
        raise InputError("no condition to aggregate", source=data.source)
    # Every metric stays in until the window is applied: last:N counts back from each run's
    # last step over all its metrics, as everywhere else.
    if table is None:
        table = run_table(data, window)
    means = table.means.filter(
        pl.col("condition").is_in(chosen) & (pl.col("metric") == metric)
    ).drop("n_steps")
    notes: list[str] = []
    stop_note = table.stop_note([metric], chosen)
    if stop_note:
        notes.append(stop_note)
    present = {
        cond: set(means.filter(pl.col("condition") == cond).get_column("task").to_list())
        for cond in chosen
    }
    missing_conditions = [c for c in chosen if not present[c]]
    if missing_conditions:
        raise InputError(
            f"condition(s) {missing_conditions} have no {metric!r} value in the window",
            source=data.source,
        )
    seen = set(means.get_column("task").to_list())
    all_tasks = [t for t in table.tasks if t in seen]
    tasks = [t for t in all_tasks if all(t in present[c] for c in chosen)]
    dropped = [t for t in all_tasks if t not in tasks]
    if dropped:
        lacking = {t: [c for c in chosen if t not in present[c]] for t in dropped}
        shown = "; ".join(
            f"{t} (missing for {', '.join(cs)})" for t, cs in list(lacking.items())[:5]
        )
        notes.append(
            f"dropped {len(dropped)} task(s) that not every condition has: {shown}"
            + (" ..." if len(dropped) > 5 else "")
        )
    if not tasks:
        sizes = ", ".join(f"{c}: {len(present[c])}" for c in chosen)
        raise InputError(
            f"no task is shared by every condition (tasks per condition: {sizes}); choose "
            "conditions that share tasks (conditions=..., --conditions on the command line)",
            source=data.source,
        )
    means = means.filter(pl.col("task").is_in(tasks))

    run_values = {
        (cond, task): np.asarray(values, dtype=float)
        for cond, task, values in means.sort("condition", "task", "seed")
        .group_by(["condition", "task"], maintain_order=True)
        .agg(pl.col("value"))
        .iter_rows()
    }
    columns = sorted(tasks)
    scores: dict[str, np.ndarray] = {}
    for cond in chosen:
        per_task = {t: run_values[(cond, t)] for t in tasks}
        counts = {t: v.size for t, v in per_task.items()}
        n_runs = max(counts.values())
        if min(counts.values()) < n_runs:
            short = {t: n for t, n in counts.items() if n < n_runs}
            shown = ", ".join(f"{t}: {n}" for t, n in list(short.items())[:5])
            notes.append(
                f"{cond}: {len(short)} task(s) hold fewer than {n_runs} runs ({shown}"
                + (" ..." if len(short) > 5 else "")
                + "); each task keeps equal weight, split among the runs it has"
            )
        matrix = np.full((n_runs, len(tasks)), np.nan)
        for j, t in enumerate(columns):
            matrix[: counts[t], j] = per_task[t]
        scores[cond] = matrix
    return scores, chosen, columns, means, notes


def _reference_bounds(
    reference: Mapping[str, tuple[float, float]], tasks: list[str], source: str
) -> tuple[np.ndarray, np.ndarray]:
    missing = [t for t in tasks if t not in reference]
    if missing:
        raise InputError(
            f"reference scores lack task(s) {missing[:10]}{' ...' if len(missing) > 10 else ''}",
            source=source,
        )
    low = np.array([float(reference[t][0]) for t in tasks])
    high = np.array([float(reference[t][1]) for t in tasks])
    if np.any(~np.isfinite(low) | ~np.isfinite(high)) or np.any(high == low):
        bad = [t for t, lo, hi in zip(tasks, low, high, strict=True) if not hi != lo]
        raise InputError(
            f"reference scores must be finite with high != low; bad task(s): {bad[:10]}",
            source=source,
        )
    return low, high


def across_tasks(
    data: RunData,
    *,
    metric: str,
    window: Any = None,
    conditions: Sequence[str] | None = None,
    baseline: str | None = None,
    normalization: Normalization = "minmax",
    reference: Mapping[str, tuple[float, float]] | None = None,
    metrics: Sequence[str] = AGGREGATE_METRICS,
    taus: Sequence[float] | np.ndarray | None = None,
    higher_is_better: bool = True,
    n_resamples: int = 50_000,
    profile_resamples: int = 2_000,
    confidence_level: float = 0.95,
    seed: SeedLike = 0,
    table: RunTable | None = None,
) -> AcrossTasksResult:
    """Aggregate one metric across tasks, per condition, with stratified bootstrap CIs.

    Parameters
    ----------
    metric:
        The metric to aggregate (one score per run and task: its mean over ``window``).
    conditions:
        Conditions to include (default: all, in order of appearance).
    baseline:
        When given, probabilities of improvement are P(X > baseline) for every other X;
        otherwise P(X > Y) for every pair in condition order.
    normalization:
        ``"minmax"``: per task, ``(score - min) / (max - min)`` over every run of every included
        condition; ``"reference"``: per task ``(score - low) / (high - low)`` with ``reference``
        = ``{task: (low, high)}`` (e.g. random and human scores); None: raw scores.
    metrics:
        Aggregates among ``mean, median, iqm, optimality_gap`` (rliable definitions: the
        optimality gap is ``mean(max(1 - score, 0))``, meaningful for normalized scores).
    taus:
        Thresholds of the performance profile; default 101 points spanning the scores.
    higher_is_better:
        Direction of ``metric``. Every aggregate assumes that higher scores are better, so a
        lower-is-better metric (a loss, an error rate) is oriented before aggregating:
        ``"minmax"`` maps each task's best run to 1 and its worst to 0, ``(max - x) / (max -
        min)``; ``"reference"`` gives ``(high - x) / (high - low)`` (the reference ``low`` is
        the good end); raw scores are negated. IQM, mean, median, optimality gap, P(X > Y) and
        the performance profiles then all rank the lower raw score as the better one.
    n_resamples, confidence_level, seed:
        Stratified bootstrap (runs resampled within each task), percentile intervals, for the
        aggregates and the probabilities of improvement.
    profile_resamples:
        Resamples of the pointwise performance-profile bands (rliable's default is 2,000).
    table:
        The run-level table of ``data`` over ``window`` (:func:`measurand.stats._window.
        run_table`) when the caller already has it, so the input is reduced once.

    Each resampled quantity draws from its own stream keyed by what it computes (the metric,
    the condition or pair), and runs and tasks enter in label order: the numbers do not depend
    on the input's row order nor on which other conditions are included.

    Every aggregate is computed on per-run window means; for the exact estimator definitions
    see :mod:`measurand.stats.aggregate`.
    """
    unknown = [m for m in metrics if m not in AGGREGATE_METRICS]
    if unknown or not metrics:
        raise InputError(
            f"unknown aggregate(s) {unknown}; choose from {', '.join(AGGREGATE_METRICS)}"
        )
    if normalization not in ("minmax", "reference", None):
        raise InputError(
            f"normalization must be 'minmax', 'reference' or None, got {normalization!r}"
        )
    if normalization == "reference" and reference is None:
        raise InputError("normalization='reference' needs reference={task: (low, high)}")
    for name, value in (("n_resamples", n_resamples), ("profile_resamples", profile_resamples)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")

    if table is None:
        table = run_table(data, window)
    raw, chosen, tasks, _run_means, notes = score_matrices(
        data, metric=metric, window=window, conditions=conditions, table=table
    )
    if baseline is not None and baseline not in chosen:
        raise InputError(
            f"baseline {baseline!r} is not among the conditions: {', '.join(chosen)}",
            source=data.source,
        )
    if not isinstance(higher_is_better, bool | np.bool_):
        raise InputError(f"higher_is_better must be a bool, got {higher_is_better!r}")
    lower = not higher_is_better
    if normalization == "minmax":
        stacked = np.concatenate(list(raw.values()), axis=0)
        flat = [
            t for j, t in enumerate(tasks) if np.nanmax(stacked[:, j]) == np.nanmin(stacked[:, j])
        ]
        if flat:
            raise InputError(
                f"cannot min-max normalize task(s) {flat[:10]}: every run has the same score "
                "there; leave them out (conditions=..., or filter the data) or give reference "
                "scores",
                source=data.source,
            )
        # Min-max of the negated scores is (max - x) / (max - min): best run 1, worst 0.
        scores = agg.normalize_scores(
            {c: -v for c, v in raw.items()} if lower else raw, method="minmax"
        )
    elif normalization == "reference":
        assert reference is not None
        low, high = _reference_bounds(reference, tasks, data.source)
        if lower:  # (high - x) / (high - low): the reference `low` is the good end
            scores = agg.normalize_scores(
                {c: -v for c, v in raw.items()}, method="reference", low=-high, high=-low
            )
        else:
            scores = agg.normalize_scores(raw, method="reference", low=low, high=high)
    else:
        scores = {c: (-1.0 if lower else 1.0) * np.asarray(v, dtype=float) for c, v in raw.items()}
        if lower:
            notes.append(
                f"{metric} is lower-is-better: raw scores are negated so that every aggregate "
                "ranks the lower score as the better one (estimates are negated scores)"
            )
        if "optimality_gap" in metrics:
            notes.append("optimality gap of raw (unnormalized) scores is measured against 1")

    # One stream per quantity, keyed by what it computes: adding a condition or a pair does
    # not shift the others' resamples.
    root = root_sequence(seed)
    aggregates = pl.concat(
        [
            agg.aggregate_metrics(
                {cond: scores[cond]},
                metrics=tuple(metrics),
                n_resamples=int(n_resamples),
                confidence_level=confidence_level,
                seed=keyed_generator(root, "across_tasks", metric, "aggregates", cond),
            ).to_frame()
            for cond in chosen
        ]
    )

    if baseline is not None:
        pairs = [(c, baseline) for c in chosen if c != baseline]
    else:
        pairs = list(itertools.combinations(chosen, 2))
    improvement_rows = []
    for x, y in pairs:
        poi = agg.probability_of_improvement(
            scores[x],
            scores[y],
            n_resamples=int(n_resamples),
            seed=keyed_generator(root, "across_tasks", metric, "improvement", x, y),
        )
        ci = poi.confidence_interval
        improvement_rows.append(
            {
                "x": x,
                "y": y,
                "probability": float(poi.statistic),
                "ci_low": float(ci[0]),
                "ci_high": float(ci[1]),
            }
        )
    improvement = pl.DataFrame(
        improvement_rows,
        schema={
            "x": pl.Utf8,
            "y": pl.Utf8,
            "probability": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    )

    if taus is None:
        everything = np.concatenate([s.ravel() for s in scores.values()])
        low_tau, high_tau = float(np.nanmin(everything)), float(np.nanmax(everything))
        if low_tau == high_tau:
            low_tau, high_tau = low_tau - 0.5, high_tau + 0.5
        tau_grid = np.linspace(low_tau, high_tau, 101)
    else:
        tau_grid = np.asarray(taus, dtype=float)
        if tau_grid.ndim != 1 or tau_grid.size == 0 or not np.all(np.isfinite(tau_grid)):
            raise InputError("taus must be a non-empty 1-D sequence of finite numbers")
    profiles, profile_low, profile_high = {}, {}, {}
    for cond in chosen:
        profile = agg.performance_profile(
            {cond: scores[cond]},
            tau_grid,
            n_resamples=int(profile_resamples),
            seed=keyed_generator(root, "across_tasks", metric, "profile", cond),
        )
        profiles[cond] = np.asarray(profile.profiles[cond], dtype=float)
        profile_low[cond] = np.asarray(profile.bands[cond][0], dtype=float)
        profile_high[cond] = np.asarray(profile.bands[cond][1], dtype=float)

    # Display in order of first appearance; the matrices' columns are in label order.
    rank = {t: i for i, t in enumerate(table.tasks)}
    shown = sorted(tasks, key=rank.__getitem__)
    column = {t: j for j, t in enumerate(tasks)}
    per_task_rows = []
    for cond in chosen:
        for task in shown:
            j = column[task]
            per_task_rows.append(
                {
                    "condition": cond,
                    "task": task,
                    "n_runs": int(np.count_nonzero(~np.isnan(raw[cond][:, j]))),
                    "mean": float(np.nanmean(raw[cond][:, j])),
                    "normalized": float(np.nanmean(scores[cond][:, j])),
                }
            )
    per_task = pl.DataFrame(per_task_rows)
    return AcrossTasksResult(
        metric=metric,
        window=parse_window(window).label,
        normalization=normalization,
        higher_is_better=bool(higher_is_better),
        conditions=tuple(chosen),
        tasks=tuple(shown),
        n_runs={c: int(raw[c].shape[0]) for c in chosen},
        aggregates=aggregates,
        improvement=improvement,
        per_task=per_task,
        profile_taus=tau_grid,
        profiles=profiles,
        profile_low=profile_low,
        profile_high=profile_high,
        confidence_level=confidence_level,
        n_resamples=int(n_resamples),
        profile_resamples=int(profile_resamples),
        notes=tuple(notes),
    )
