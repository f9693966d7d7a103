"""Learning curves: the mean over seeds at each step, with a band, ragged runs made explicit.

Each run (``condition, seed, task, metric``) is optionally smoothed first, in step order; then,
at every step, the values of the seeds that logged that step are summarised. Seeds are never
padded or truncated to a common length: a step's mean and band use exactly the seeds present
there, and ``n_seeds`` records how many that was.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from measurand._result import Result, to_builtin
from measurand.errors import InputError
from measurand.stats._rng import SeedLike, as_generator
from measurand.stats._validate import CHUNK_BYTES, open_unit
from measurand.stats._window import long_frame, select_rows

__all__ = ["CurvesResult", "learning_curves", "parse_smoothing"]

_BANDS = ("sd", "sem", "ci")
_CELL = ["condition", "task", "metric", "step"]
_CURVE = ["condition", "task", "metric"]
_RUN = ["condition", "task", "metric", "seed"]
# Bytes of resampled means held at once by the "ci" band (cells x resamples x 8 bytes).
_CHUNK_BYTES = CHUNK_BYTES
_MAX_NOTES = 20


@dataclasses.dataclass(frozen=True)
class CurvesResult(Result):
    """Learning curves returned by :func:`learning_curves`.

    ``frame`` has one row per ``(condition, task, metric, step)`` with columns ``condition,
    task, metric, step, mean, low, high, n_seeds``: ``mean`` is the mean over the ``n_seeds``
    seeds that logged the step, ``[low, high]`` the band (null where ``n_seeds < 2``).
    ``ragged`` holds one human-readable note per curve whose seeds cover different step ranges
    or that has steps with fewer than 2 seeds. ``to_dict`` writes the frame as a list of rows.
    """

    frame: pl.DataFrame = dataclasses.field(repr=False)
    ragged: tuple[str, ...]
    band: str
    smoothing: str | None
    confidence_level: float | None
    n_resamples: int | None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["frame"] = to_builtin(self.frame.to_dicts())
        return out


def parse_smoothing(smoothing: str | None) -> tuple[str, float] | None:
    """``None``/``"none"``, ``"ema:W"`` (weight ``0 <= W < 1``) or ``"rolling:N"`` (``N >= 1``).

    Returns ``None`` or ``(kind, parameter)``; raises :class:`~measurand.errors.InputError`.
    """
    if smoothing is None or smoothing.strip().lower() in ("", "none"):
        return None
    match = re.fullmatch(r"\s*(ema|rolling)\s*:\s*([0-9.eE+-]+)\s*", smoothing.lower())
    if match:
        kind, raw = match.groups()
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if kind == "ema" and 0.0 <= value < 1.0:
            return kind, value
        if kind == "rolling" and value >= 1 and value == int(value):
            return kind, int(value)
    raise InputError(
        f"cannot read smoothing {smoothing!r}; use 'ema:W' with 0 <= W < 1 (e.g. 'ema:0.9') or "
        "'rolling:N' with an integer N >= 1 (e.g. 'rolling:10')",
        source="smoothing",
    )


def _smooth(frame: pl.DataFrame, smoothing: tuple[str, float] | None) -> pl.DataFrame:
    """Smooth each run's values in step order.

    ``ema:W`` is the bias-corrected exponential moving average of TensorBoard / wandb's
    smoothing slider: ``s_t = sum_i W^(t-i) x_i / sum_i W^(t-i)`` over the run's logged points
    (pandas ``ewm(alpha=1-W, adjust=True)``). ``rolling:N`` is the trailing mean of the last
    ``N`` logged points (fewer at the start of the run).
    """
    if smoothing is None:
        return frame
    kind, parameter = smoothing
    if kind == "ema":
        smoothed = pl.col("value").ewm_mean(alpha=1.0 - parameter, adjust=True)
    else:
        smoothed = pl.col("value").rolling_mean(window_size=int(parameter), min_samples=1)
    return frame.with_columns(smoothed.over(_RUN).alias("value"))


def _packed_cells(frame: pl.DataFrame, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """``(values, counts)``: cell ``i``'s seed values left-aligned in row ``i`` (NaN padded).

    ``frame`` is sorted by cell and carries the cell index in ``cell``.
    """
    cell = frame.get_column("cell").to_numpy()
    values = frame.get_column("value").to_numpy()
    counts = np.bincount(cell, minlength=n_cells)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    position = np.arange(cell.size) - first[cell]
    packed = np.full((n_cells, max(int(counts.max(initial=0)), 1)), np.nan)
    packed[cell, position] = values
    return packed, counts


def _order_statistics(
    sorted_values: np.ndarray, cumulative: np.ndarray, positions: np.ndarray
) -> np.ndarray:
    """Order statistics (0-based ``positions``) of rows given as sorted distinct values with
    cumulative multiplicities: statistic ``j`` is the first value whose cumulative count
    exceeds ``j``."""
    rows = np.arange(sorted_values.shape[0])[:, None]
    index = (cumulative[:, :, None] <= positions[None, None, :]).sum(axis=1)
    return sorted_values[rows, index]


def _bootstrap_bands(
    packed: np.ndarray,
    counts: np.ndarray,
    n_resamples: int,
    confidence_level: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean over seeds, for every cell at once.

    For each seed count ``k >= 2`` (ascending) one index matrix ``rng.integers(0, k, (B, k))``
    is drawn and shared by all cells with ``k`` seeds (the seeds of a cell taken in label
    order), so neighbouring steps are resampled alike and the band is as smooth as the curve.
    A resample's mean is ``values @ c / k`` with ``c`` its count vector. With few seeds the ``B``
    count vectors take few distinct values (at most C(2k-1, k): 126 for 5 seeds), so the means
    are computed once per distinct vector and the quantiles read from the sorted distinct means
    weighted by their multiplicities -- the same numbers as sorting all ``B`` means. Quantiles
    interpolate linearly between order statistics (``numpy.quantile``'s default, as
    :func:`measurand.stats.bootstrap`).
    """
    alpha = (1.0 - confidence_level) / 2.0
    position = np.array([alpha, 1.0 - alpha]) * (n_resamples - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, n_resamples - 1)
    fraction = position - below
    wanted = np.concatenate([below, above])
    low = np.full(counts.size, np.nan)
    high = np.full(counts.size, np.nan)
    for k in np.unique(counts[counts >= 2]):
        k = int(k)
        indices = rng.integers(0, k, size=(n_resamples, k))
        weights = np.zeros((n_resamples, k))
        np.add.at(weights, (np.arange(n_resamples)[:, None], indices), 1.0)
        distinct, multiplicity = np.unique(weights, axis=0, return_counts=True)
        grouped = distinct.shape[0] * 4 <= n_resamples
        columns = distinct.shape[0] if grouped else n_resamples
        rows_per_chunk = max(1, _CHUNK_BYTES // (8 * columns * (3 if grouped else 1)))
        cells = np.flatnonzero(counts == k)
        for first in range(0, cells.size, rows_per_chunk):
            chunk = cells[first : first + rows_per_chunk]
            if grouped:
                means = packed[chunk, :k] @ (distinct.T / k)
                order = np.argsort(means, axis=1)
                stats = _order_statistics(
                    np.take_along_axis(means, order, axis=1),
                    np.cumsum(multiplicity[order], axis=1),
                    wanted,
                )
            else:
                means = packed[chunk, :k] @ (weights.T / k)
                stats = np.partition(means, np.unique(wanted), axis=1)[:, wanted]
            lower, upper = stats[:, :2], stats[:, 2:]
            bounds = lower + fraction * (upper - lower)
            low[chunk], high[chunk] = bounds[:, 0], bounds[:, 1]
    return low, high


def _ragged_notes(summary: pl.DataFrame, runs: pl.DataFrame) -> tuple[str, ...]:
    ranges = runs.group_by(_CURVE, maintain_order=True).agg(
        n_seeds=pl.len(),
        first_min=pl.col("first").min(),
        first_max=pl.col("first").max(),
        last_min=pl.col("last").min(),
        last_max=pl.col("last").max(),
    )
    thin = (
        summary.filter(pl.col("n_seeds") < 2)
        .group_by(_CURVE, maintain_order=True)
        .agg(n_thin=pl.len(), thin_first=pl.col("step").min(), thin_last=pl.col("step").max())
    )
    curves = ranges.join(thin, on=_CURVE, how="left", maintain_order="left").filter(
        (pl.col("first_min") != pl.col("first_max"))
        | (pl.col("last_min") != pl.col("last_max"))
        | pl.col("n_thin").is_not_null()
    )
    notes = []
    for row in curves.head(_MAX_NOTES).iter_rows(named=True):
        where = " / ".join(x for x in (row["condition"], row["task"], row["metric"]) if x)
        parts = []
        if row["first_min"] != row["first_max"] or row["last_min"] != row["last_max"]:
            parts.append(
                f"the {row['n_seeds']} seeds cover different step ranges (first step "
                f"{row['first_min']}..{row['first_max']}, last step "
                f"{row['last_min']}..{row['last_max']}); each step uses the seeds present"
            )
        if row["n_thin"] is not None:
            parts.append(
                f"{row['n_thin']} step(s) between {row['thin_first']} and {row['thin_last']} "
                "have fewer than 2 seeds: mean only, no band"
            )
        notes.append(f"{where}: " + "; ".join(parts))
    if curves.height > _MAX_NOTES:
        notes.append(f"... and {curves.height - _MAX_NOTES} more ragged curve(s)")
    return tuple(notes)


def learning_curves(
    data: Any,
    *,
    metrics: Sequence[str] | str | None = None,
    conditions: Sequence[str] | None = None,
    band: str = "sd",
    smoothing: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    seed: SeedLike = 0,
) -> CurvesResult:
    """Mean learning curve per ``(condition, task, metric)`` with a band over seeds.

    Parameters
    ----------
    data
        :class:`measurand.io.RunData` or a canonical long frame; it must have steps.
    metrics, conditions
        Restrict the curves (default: all); unknown names raise
        :class:`~measurand.errors.InputError` listing the available ones.
    band
        Computed at each step over the ``n`` seeds present there:
        ``"sd"``: ``mean +/- s`` (sample standard deviation, ``ddof=1``: the spread of seeds, as
        wandb's "std" error band); ``"sem"``: ``mean +/- s / sqrt(n)``; ``"ci"``: percentile
        bootstrap confidence interval of the mean over seeds (``n_resamples`` resamples of the
        seeds, level ``confidence_level``; with fewer than ~10 seeds it is somewhat narrower than
        nominal, as every percentile interval of a mean). Null where ``n < 2``.
    smoothing
        ``None``, ``"ema:W"`` (TensorBoard-style debiased exponential moving average with weight
        ``W``) or ``"rolling:N"`` (trailing mean of ``N`` logged points), applied to each run
        before averaging over seeds.
    seed
        Seed or Generator for the ``"ci"`` band; the same seed gives the same band.
    """
    if band not in _BANDS:
        raise InputError(f"band must be one of {list(_BANDS)}, got {band!r}", source="band")
    level = open_unit(confidence_level, "confidence_level")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise InputError(f"n_resamples must be an integer, got {n_resamples!r}")
    if n_resamples < 1:
        raise InputError(f"n_resamples must be >= 1, got {n_resamples}", source="n_resamples")
    parsed_smoothing = parse_smoothing(smoothing)

    frame = select_rows(long_frame(data), conditions=conditions, metrics=metrics)
    if frame.height == 0:
        raise InputError("no data to draw curves from", source="data")
    if frame.get_column("step").null_count() == frame.height:
        raise InputError("learning curves need steps, but the data has no step column")
    # Curves keep the order in which their condition, task and metric first appear.
    curve_order = frame.select(_CURVE).unique(maintain_order=True).with_row_index("curve")
    frame = (
        frame.filter(pl.col("step").is_not_null())
        .join(curve_order, on=_CURVE, how="left")
        .sort(["curve", "seed", "step"], maintain_order=True)
    )
    frame = _smooth(frame, parsed_smoothing)

    summary = (
        frame.group_by(["curve", *_CELL])
        .agg(
            mean=pl.col("value").mean(),
            spread=pl.col("value").std(ddof=1),
            n_seeds=pl.len().cast(pl.Int64),
        )
        .sort(["curve", "step"])
    )
    enough = pl.col("n_seeds") >= 2
    if band == "sd":
        half = pl.col("spread")
    elif band == "sem":
        half = pl.col("spread") / pl.col("n_seeds").cast(pl.Float64).sqrt()
    if band in ("sd", "sem"):
        summary = summary.with_columns(
            low=pl.when(enough).then(pl.col("mean") - half),
            high=pl.when(enough).then(pl.col("mean") + half),
        )
    else:
        cells = summary.select(_CELL).with_row_index("cell")
        indexed = frame.join(cells, on=_CELL, how="left").sort(
            ["cell", "seed"], maintain_order=True
        )
        packed, counts = _packed_cells(indexed, summary.height)
        low, high = _bootstrap_bands(packed, counts, n_resamples, level, as_generator(seed))
        summary = summary.with_columns(
            low=pl.Series(low, nan_to_null=True), high=pl.Series(high, nan_to_null=True)
        )

    runs = frame.group_by(_RUN, maintain_order=True).agg(
        first=pl.col("step").min(), last=pl.col("step").max()
    )
    result_frame = summary.select([*_CELL, "mean", "low", "high", "n_seeds"])
    return CurvesResult(
        frame=result_frame,
        ragged=_ragged_notes(result_frame, runs),
        band=band,
        smoothing=None
        if parsed_smoothing is None
        else f"{parsed_smoothing[0]}:{parsed_smoothing[1]:g}",
        confidence_level=level if band == "ci" else None,
        n_resamples=n_resamples if band == "ci" else None,
    )
