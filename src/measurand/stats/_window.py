"""Step windows, and the reduction of each run to one number per metric over a window.

The **seed (run) is the unit of analysis**: the values a run logged inside the window are
averaged first, so that every seed contributes exactly one number per ``(task, metric)`` to the
comparisons of :mod:`measurand.compare` and to the seed split of :mod:`measurand.noise`,
however many steps it logged. (Shared by both verbs, hence here, one layer below them;
``measurand.compare.window`` re-exports it.)

Window syntax (:func:`parse_window`)
------------------------------------
``"all"``
    every step (also ``None`` and ``""``); the only window for data without a step column.
``"400:500"``
    steps ``400 <= step < 500``: start included, stop excluded, like a Python slice and like
    ``range(400, 500)``. Either end may be left out: ``"400:"`` (from 400 on), ``":500"``.
``"last:100"``
    the last 100 steps **of each run**: ``step > last_step - 100`` where ``last_step`` is the
    highest step the run (``condition, seed, task``) logged for any metric. Steps a run did not
    log (training logs skip uninformative steps) are simply absent, so a run may contribute fewer
    than 100 values; ``n_steps`` says how many.

A tuple ``(start, stop)`` means ``"start:stop"``; ``None`` in a tuple leaves that end open.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from measurand._result import Result
from measurand.errors import InputError

__all__ = [
    "Window",
    "excluded_stop_note",
    "filter_window",
    "long_frame",
    "parse_window",
    "select_rows",
    "window_means",
    "window_rows",
]

RUN_KEYS: tuple[str, ...] = ("condition", "seed", "task")
"""Columns that identify one run (one seed of one condition on one task)."""

_REQUIRED_COLUMNS = ("condition", "seed", "metric", "value")
_RANGE = re.compile(r"^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*$")
_LAST = re.compile(r"^\s*last\s*:\s*(\d+)\s*$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Window(Result):
    """A step window; build it with :func:`parse_window`.

    ``kind`` is ``"all"``, ``"range"`` (``start <= step < stop``, either end ``None`` = open) or
    ``"last"`` (the last ``last`` steps of each run). ``label`` is the canonical text form, which
    :func:`parse_window` reads back to an equal window.
    """

    kind: str
    start: int | None = None
    stop: int | None = None
    last: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "all":
            return "all"
        if self.kind == "last":
            return f"last:{self.last}"
        start = "" if self.start is None else str(self.start)
        stop = "" if self.stop is None else str(self.stop)
        return f"{start}:{stop}"

    def __str__(self) -> str:
        return self.label

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "label": self.label}


def _as_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"{what} must be an integer step, got {value!r}", source="window")
    try:
        return operator.index(value)
    except TypeError:
        raise InputError(
            f"{what} must be an integer step, got {value!r}", source="window"
        ) from None


def _range_window(start: int | None, stop: int | None) -> Window:
    if start is not None and stop is not None and start >= stop:
        raise InputError(
            f"window {start}:{stop} is empty: the start (included) must be below the stop "
            "(excluded)",
            source="window",
        )
    if start is None and stop is None:
        return Window("all")
    return Window("range", start=start, stop=stop)


def parse_window(window: Window | str | Sequence[int | None] | None) -> Window:
    """Parse a step window: ``"all"``, ``"400:500"`` (start included, stop excluded),
    ``"400:"``, ``":500"``, ``"last:100"`` (last 100 steps of each run), a ``(start, stop)``
    tuple, a :class:`Window` (returned as is) or ``None`` (= ``"all"``).

    Raises :class:`~measurand.errors.InputError` for anything else, for an empty range
    (``start >= stop``) and for ``last:0``.
    """
    if window is None or isinstance(window, Window):
        return window or Window("all")
    if isinstance(window, str):
        text = window.strip()
        if text.lower() in ("", "all"):
            return Window("all")
        last = _LAST.match(text)
        if last:
            count = int(last.group(1))
            if count < 1:
                raise InputError("window last:N needs N >= 1", source="window")
            return Window("last", last=count)
        bounds = _RANGE.match(text)
        if bounds:
            start, stop = (None if g is None else int(g) for g in bounds.groups())
            return _range_window(start, stop)
        raise InputError(
            f"cannot read window {window!r}; use 'all', 'START:STOP' (start included, stop "
            "excluded, e.g. '400:500', '400:', ':500') or 'last:N' (last N steps of each run)",
            source="window",
        )
    if isinstance(window, Sequence) and len(window) == 2:
        return _range_window(_as_int(window[0], "window start"), _as_int(window[1], "window stop"))
    raise InputError(
        f"window must be a string, a (start, stop) pair, a Window or None, got {window!r}",
        source="window",
    )


def long_frame(data: Any) -> pl.DataFrame:
    """The canonical long frame of ``data``: a :class:`measurand.io.RunData` (its ``frame``) or
    a polars frame with columns ``condition, seed, metric, value`` and optional ``task`` (``""``
    when absent) and ``step`` (null when absent)."""
    frame = getattr(data, "frame", data)
    if not isinstance(frame, pl.DataFrame):
        raise InputError(
            "data must be a measurand.io.RunData (from read_campaign / read_table) or a polars "
            f"long frame, got {type(data).__name__}",
            source="data",
        )
    missing = [c for c in _REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"the long frame lacks column(s) {missing}; it has {frame.columns}", source="data"
        )
    extra: list[pl.Expr] = []
    if "task" not in frame.columns:
        extra.append(pl.lit("", dtype=pl.Utf8).alias("task"))
    if "step" not in frame.columns:
        extra.append(pl.lit(None, dtype=pl.Int64).alias("step"))
    if extra:
        frame = frame.with_columns(extra)
    return frame.select(
        pl.col("condition").cast(pl.Utf8),
        pl.col("seed").cast(pl.Utf8),
        pl.col("task").cast(pl.Utf8),
        pl.col("step").cast(pl.Int64),
        pl.col("metric").cast(pl.Utf8),
        pl.col("value").cast(pl.Float64),
    )


def _ordered_unique(frame: pl.DataFrame, column: str) -> list[str]:
    return frame.get_column(column).unique(maintain_order=True).to_list()


def select_rows(
    frame: pl.DataFrame,
    *,
    conditions: Sequence[str] | None = None,
    metrics: Sequence[str] | str | None = None,
) -> pl.DataFrame:
    """Rows of the named conditions and metrics; :class:`InputError` listing the available
    names when one is unknown."""
    if conditions is not None:
        available = _ordered_unique(frame, "condition")
        unknown = [c for c in conditions if c not in available]
        if unknown:
            raise InputError(
                f"unknown condition(s) {unknown}; available: {available}", source="condition"
            )
        frame = frame.filter(pl.col("condition").is_in(list(conditions)))
    if metrics is not None:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        available = _ordered_unique(frame, "metric")
        unknown = [m for m in names if m not in available]
        if unknown:
            raise InputError(
                f"unknown metric(s) {unknown}; available: {available}", source="metric"
            )
        frame = frame.filter(pl.col("metric").is_in(names))
    return frame


def filter_window(frame: pl.DataFrame, window: Window) -> pl.DataFrame:
    """Rows of a frame with ``condition, seed, task, step`` columns inside ``window``."""
    if window.kind == "all":
        return frame
    if frame.height and frame.get_column("step").null_count() == frame.height:
        raise InputError(
            f"window {window.label!r} needs steps, but the data has no step column; use 'all'",
            source="window",
        )
    if window.kind == "last":
        run_last = pl.col("step").max().over(list(RUN_KEYS))
        return frame.filter(pl.col("step") > run_last - window.last)
    keep = pl.lit(True)
    if window.start is not None:
        keep = keep & (pl.col("step") >= window.start)
    if window.stop is not None:
        keep = keep & (pl.col("step") < window.stop)
    return frame.filter(keep)


def excluded_stop_note(frame: pl.DataFrame, window: Window) -> str | None:
    """A warning when a range window's stop step, which it excludes, is the last step some runs
    logged (``400:500`` on runs numbered up to 500 leaves their final step out); else None."""
    if window.kind != "range" or window.stop is None or frame.height == 0:
        return None
    last_steps = frame.group_by(list(RUN_KEYS)).agg(pl.col("step").max())
    n_runs = last_steps.filter(pl.col("step") == window.stop).height
    if n_runs == 0:
        return None
    start = "" if window.start is None else str(window.start)
    return (
        f"window {window.label!r} excludes step {window.stop} (start included, stop excluded), "
        f"the last step of {n_runs} run(s); write '{start}:{window.stop + 1}' to include it"
    )


def window_rows(
    data: Any,
    window: Window | str | Sequence[int | None] | None = None,
    *,
    metrics: Sequence[str] | str | None = None,
    conditions: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The long-frame rows (``condition, seed, task, step, metric, value``) inside ``window``.

    For ``last:N`` each run's last step is taken over all its metrics before ``metrics``
    filters the rows, so the window of a run does not depend on which metrics are asked for.
    Unknown conditions or metrics raise :class:`~measurand.errors.InputError` listing the
    available ones; a known metric with no value inside the window gives no rows.
    """
    window = parse_window(window)
    frame = select_rows(long_frame(data), conditions=conditions)
    if metrics is None:
        return filter_window(frame, window)
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    select_rows(frame.select("metric").unique(maintain_order=True), metrics=names)
    return filter_window(frame, window).filter(pl.col("metric").is_in(names))


def window_means(
    data: Any,
    window: Window | str | Sequence[int | None] | None = None,
    *,
    metrics: Sequence[str] | str | None = None,
    conditions: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Reduce each run to its mean over ``window``: one row per ``(condition, seed, task,
    metric)``.

    Returns a polars frame with columns ``condition, seed, task, metric, value`` (the arithmetic
    mean of the run's values inside the window) and ``n_steps`` (how many values were
    averaged), in order of first appearance. Runs with no value inside the window are absent.
    The seed is the unit of analysis: downstream tests treat each row as one observation.

    ``metrics`` / ``conditions`` restrict the output (unknown names raise
    :class:`~measurand.errors.InputError` listing the available ones). Data without steps
    accept only the window ``"all"``.
    """
    rows = window_rows(data, window, metrics=metrics, conditions=conditions)
    return rows.group_by(["condition", "seed", "task", "metric"], maintain_order=True).agg(
        pl.col("value").mean().alias("value"),
        pl.len().cast(pl.Int64).alias("n_steps"),
    )


RUN_METRIC_KEYS: tuple[str, ...] = ("condition", "seed", "task", "metric")
"""Columns of one row of a :class:`RunTable`: one run's one metric."""


@dataclasses.dataclass(frozen=True)
class RunTable:
    """The input reduced once per window: one row per ``(condition, seed, task, metric)``.

    ``means`` has columns ``condition, seed, task, metric, value`` (the run's mean over the
    window), ``n_steps`` (how many values were averaged) and, when built with
    ``keep_values=True``, ``values`` (the window values in step order, for the hierarchical
    bootstrap and the pooled analysis). Rows are sorted by their labels (and each run's values
    by step), so the same data in any row order gives the same table, and every analysis that
    resamples it draws the same numbers. ``runs`` lists every ``(condition, seed, task,
    metric)`` of the input before the window (a run absent from ``means`` has no value inside
    it); ``last_steps`` each ``(condition, seed, task, metric)``'s last logged step; ``order``
    the conditions, tasks and metrics in order of first appearance (for display).
    """

    window: Window
    means: pl.DataFrame
    runs: pl.DataFrame
    last_steps: pl.DataFrame
    has_values: bool
    conditions: tuple[str, ...]
    tasks: tuple[str, ...]
    metrics: tuple[str, ...]

    def restrict(
        self, conditions: Sequence[str] | None = None, task: str | None = None
    ) -> RunTable:
        """The table of ``conditions`` (and ``task``) only. Windows are per run, so restricting
        after the reduction equals reducing the restricted input."""
        keep = pl.lit(True)
        if conditions is not None:
            keep = keep & pl.col("condition").is_in(list(conditions))
        if task is not None:
            keep = keep & (pl.col("task") == task)
        return dataclasses.replace(
            self,
            means=self.means.filter(keep),
            runs=self.runs.filter(keep),
            last_steps=self.last_steps.filter(keep),
        )

    def stop_note(
        self, metrics: Sequence[str] | None = None, conditions: Sequence[str] | None = None
    ) -> str | None:
        """:func:`excluded_stop_note` of the runs of ``metrics`` and ``conditions`` (default:
        all)."""
        window = self.window
        if window.kind != "range" or window.stop is None:
            return None
        frame = self.last_steps
        if metrics is not None:
            frame = frame.filter(pl.col("metric").is_in(list(metrics)))
        if conditions is not None:
            frame = frame.filter(pl.col("condition").is_in(list(conditions)))
        per_run = frame.group_by(list(RUN_KEYS)).agg(pl.col("step").max())
        n_runs = per_run.filter(pl.col("step") == window.stop).height
        if n_runs == 0:
            return None
        start = "" if window.start is None else str(window.start)
        return (
            f"window {window.label!r} excludes step {window.stop} (start included, stop "
            f"excluded), the last step of {n_runs} run(s); write '{start}:{window.stop + 1}' "
            "to include it"
        )


def run_table(
    data: Any,
    window: Window | str | Sequence[int | None] | None = None,
    *,
    keep_values: bool = False,
) -> RunTable:
    """Reduce the long frame of ``data`` once over ``window`` into a :class:`RunTable`.

    For ``last:N`` each run's last step is taken over all its metrics (as in
    :func:`window_rows`), so a metric's window never depends on which metrics are analysed.
    """
    window = parse_window(window)
    frame = long_frame(data)
    keys = list(RUN_METRIC_KEYS)
    rows = filter_window(frame, window).sort([*keys, "step"], nulls_last=True)
    aggregations = [
        pl.col("value").mean().alias("value"),
        pl.len().cast(pl.Int64).alias("n_steps"),
    ]
    if keep_values:
        aggregations.append(pl.col("value").alias("values"))
    means = rows.group_by(keys, maintain_order=True).agg(aggregations)
    last_steps = frame.group_by(keys).agg(pl.col("step").max()).sort(keys)
    runs = last_steps.select(keys)
    return RunTable(
        window=window,
        means=means,
        runs=runs,
        last_steps=last_steps,
        has_values=keep_values,
        conditions=tuple(_ordered_unique(frame, "condition")),
        tasks=tuple(_ordered_unique(frame, "task")),
        metrics=tuple(_ordered_unique(frame, "metric")),
    )
