"""Data preparation of the pairwise analyses: split the run-level table into arms."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from measurand.errors import InputError
from measurand.stats._window import RunTable, Window


@dataclasses.dataclass(frozen=True)
class Arm:
    """One condition on one (metric, task): its seeds (sorted by label), per-seed means and
    window values."""

    seeds: tuple[str, ...]
    means: np.ndarray
    steps: tuple[np.ndarray, ...] | None


@dataclasses.dataclass(frozen=True)
class Prepared:
    arms: dict[tuple[str, str, str], Arm]  # (condition, metric, task) -> arm
    tasks: dict[tuple[str, str], list[str]]  # (condition, metric) -> tasks with data
    dropped: dict[tuple[str, str, str], list[str]]  # seeds with no value in the window
    counts: pl.DataFrame | None
    window: Window
    messages: tuple[str, ...]  # data-level warnings (metrics left out)


def metric_list(
    metrics: Sequence[str] | str | None,
    table: RunTable,
    present: dict[str, list[str]],
    conditions: Sequence[str],
    messages: list[str],
) -> list[str]:
    """The metrics to compare. ``None``: those every condition has (the others are reported);
    a named metric absent from a condition raises InputError naming both."""
    if metrics is None:
        names = [m for m in table.metrics if any(m in present.get(c, []) for c in conditions)]
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


def check_conditions(table: RunTable, names: Sequence[str]) -> list[str]:
    available = list(table.conditions)
    for name in names:
        if not isinstance(name, str) or name not in available:
            raise InputError(
                f"unknown condition {name!r}; available conditions: {available}",
                source="condition",
            )
    return available


def prepare(
    table: RunTable,
    counts: pl.DataFrame | None,
    conditions: Sequence[str],
    metrics: Sequence[str] | str | None,
    task: str | None = None,
) -> tuple[Prepared, list[str]]:
    """Split the run-level ``table`` into arms; InputError for absent metrics.

    The table was windowed before any metric was selected, so that ``last:N`` counts back
    from each run's last step over all its metrics and a comparison does not depend on which
    other metrics are requested. ``task`` keeps that task only.
    """
    check_conditions(table, conditions)
    keep = pl.col("condition").is_in(list(conditions))
    if task is not None:
        keep = keep & (pl.col("task") == task)
    runs = table.runs.filter(keep)
    present = {
        c: m for c, m in runs.group_by("condition").agg(pl.col("metric").unique()).iter_rows()
    }
    messages: list[str] = []
    names = metric_list(metrics, table, present, conditions, messages)
    runs = runs.filter(pl.col("metric").is_in(names))
    per_seed = table.means.filter(keep & pl.col("metric").is_in(names))
    stop_note = table.stop_note(names, conditions)
    if stop_note:
        messages.append(stop_note)
    keys = ["condition", "metric", "task", "seed"]
    dropped_rows = runs.join(per_seed.select(keys), on=keys, how="anti", maintain_order="left")

    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in per_seed.iter_rows(named=True):
        grouped.setdefault((row["condition"], row["metric"], row["task"]), []).append(row)
    arms = {
        key: Arm(
            seeds=tuple(r["seed"] for r in items),
            means=np.array([r["value"] for r in items], dtype=float),
            steps=tuple(np.asarray(r["values"], dtype=float) for r in items)
            if table.has_values
            else None,
        )
        for key, items in grouped.items()
    }
    # Tasks in order of first appearance (for display); the numbers do not depend on it.
    rank = {t: i for i, t in enumerate(table.tasks)}
    tasks: dict[tuple[str, str], list[str]] = {}
    for condition, metric, task_name in (
        runs.select("condition", "metric", "task").unique().iter_rows()
    ):
        tasks.setdefault((condition, metric), []).append(task_name)
    for listed in tasks.values():
        listed.sort(key=rank.__getitem__)
    dropped: dict[tuple[str, str, str], list[str]] = {}
    for condition, metric, task_name, seed in dropped_rows.select(keys).iter_rows():
        dropped.setdefault((condition, metric, task_name), []).append(seed)
    return Prepared(arms, tasks, dropped, counts, table.window, tuple(messages)), names
