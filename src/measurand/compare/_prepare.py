"""Data preparation of the pairwise analyses: window the long frame once, split it into arms."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from measurand.errors import InputError
from measurand.stats._window import Window, excluded_stop_note, filter_window, parse_window


@dataclasses.dataclass(frozen=True)
class Arm:
    """One condition on one (metric, task): its seeds, per-seed means and window values."""

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


def check_conditions(frame: pl.DataFrame, names: Sequence[str]) -> list[str]:
    available = frame.get_column("condition").unique(maintain_order=True).to_list()
    for name in names:
        if not isinstance(name, str) or name not in available:
            raise InputError(
                f"unknown condition {name!r}; available conditions: {available}",
                source="condition",
            )
    return available


def prepare(
    frame: pl.DataFrame,
    counts: pl.DataFrame | None,
    conditions: Sequence[str],
    metrics: Sequence[str] | str | None,
    window: Window | str | Sequence[int | None] | None,
    need_steps: bool,
) -> tuple[Prepared, list[str]]:
    """Window a canonical long frame once and split it into arms; InputError for absent
    metrics.

    The window is applied before the metrics are selected, so that ``last:N`` counts back from
    each run's last step over all its metrics (as :func:`~measurand.compare.window.window_means`
    does) and a comparison does not depend on which other metrics are requested.
    """
    check_conditions(frame, conditions)
    window = parse_window(window)
    frame = frame.filter(pl.col("condition").is_in(list(conditions)))
    present = dict(frame.group_by("condition").agg(pl.col("metric").unique()).iter_rows())
    messages: list[str] = []
    names = metric_list(metrics, frame, present, conditions, messages)
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
        key: Arm(
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
    return Prepared(arms, tasks, dropped, counts, window, tuple(messages)), names
