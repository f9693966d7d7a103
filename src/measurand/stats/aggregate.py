"""Aggregate performance across tasks, with stratified-bootstrap confidence intervals.

The estimators of rliable (Agarwal, Schwarzer, Castro, Courville & Bellemare, "Deep
Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS 2021): for one condition,
``scores`` is an array of shape ``(n_runs, n_tasks)``; ``scores[n, m]`` is the (normalized) score
of run ``n`` on task ``m``.

* ``mean``: mean over tasks of the per-task mean score.
* ``median``: median over tasks of the per-task mean score.
* ``iqm``: interquartile mean, the 25% trimmed mean of all ``n_runs * n_tasks`` scores
  (``scipy.stats.trim_mean(scores, 0.25, axis=None)``: ``floor(N / 4)`` values cut at each end).
* ``optimality_gap``: ``gamma - mean(min(scores, gamma))``, how far the scores fall short of
  ``gamma``.

Confidence intervals come from the *stratified* bootstrap: each resample draws, within every task
independently, ``n_runs`` runs with replacement from that task's runs (rliable's
``StratifiedBootstrap``; tasks are kept fixed). Resamples are computed as whole matrices in chunks,
never in a Python loop over resamples.

Missing runs. A NaN entry means "this run is missing for this task"; every task needs at least one
run. With missing runs each task keeps equal weight and that weight is split evenly between the
task's present runs (task ``m`` with ``k_m`` present runs gives each of them weight
``1 / (k_m * n_tasks)``). Then ``mean`` and ``median`` use the per-task means of the present runs,
``optimality_gap`` and the performance profile are weighted means, and ``iqm`` is the trimmed mean
of the weighted distribution that cuts a weight ``floor(N / 4) / N`` at each end (``N``: number of
present scores). The bootstrap resamples ``k_m`` runs from the present runs of task ``m``. With no
missing run all of this is exactly rliable's definition.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import special
from scipy import stats as sps

from measurand._result import ConfidenceInterval, Result
from measurand.errors import InputError
from measurand.stats import _validate
from measurand.stats._rng import SeedLike, as_generator

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "AggregateResult",
    "PerformanceProfileResult",
    "ProbabilityOfImprovementResult",
    "aggregate_metrics",
    "iqm",
    "mean",
    "median",
    "normalize_scores",
    "optimality_gap",
    "performance_profile",
    "probability_of_improvement",
]

METRICS: tuple[str, ...] = ("mean", "median", "iqm", "optimality_gap")
INTERVAL_METHODS: tuple[str, ...] = ("percentile", "basic", "bc")

IntervalMethod = Literal["percentile", "basic", "bc"]

# Scores per bootstrap chunk: 5e5 float64 (4 MB) per working array keeps a chunk's temporaries
# far below 50 MB and mostly in cache; larger chunks measured no faster.
_CHUNK_ELEMENTS = 500_000


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Strata:
    """One condition's scores with each task's present runs moved to the top of its column."""

    values: np.ndarray  # (n_runs, n_tasks); missing entries set to 0.0 (they never get weight)
    present: np.ndarray  # (n_runs, n_tasks) bool
    n_present: np.ndarray  # (n_tasks,) runs present per task

    @property
    def n_runs(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_tasks(self) -> int:
        return int(self.values.shape[1])

    @property
    def balanced(self) -> bool:
        return bool(np.all(self.n_present == self.n_runs))

    @property
    def n_scores(self) -> int:
        return int(self.n_present.sum())

    @functools.cached_property
    def pool(self) -> _Pool:
        return _Pool.of(self)


@dataclasses.dataclass(frozen=True)
class _Pool:
    """The present scores of one condition in ascending order, for count-based resampling.

    A resample is described by how often it draws each run (counts of shape (size, n_tasks,
    n_runs)); metrics are weighted sums of the counts, and the IQM and the score distribution are
    cumulative sums of the counts taken in this ascending order.
    """

    scores: np.ndarray  # (N,) ascending
    cells: np.ndarray  # (N,) task-major cell ``task * n_runs + run`` of each score
    weight: np.ndarray  # (N,) 1 / (k_task * n_tasks): each task weighs 1/n_tasks in all

    @classmethod
    def of(cls, strata: _Strata) -> _Pool:
        cells = np.flatnonzero(strata.present.T.ravel())
        flat = strata.values.T.ravel()
        cells = cells[np.argsort(flat[cells], kind="stable")]
        task = cells // strata.n_runs
        return cls(
            scores=flat[cells],
            cells=cells,
            weight=1.0 / (strata.n_present[task] * strata.n_tasks),
        )


def _score_matrix(values: Any, condition: str) -> np.ndarray:
    array = _validate.numeric_array(values, f"scores of condition {condition!r}")
    if array.ndim != 2:
        raise InputError(
            f"scores of condition {condition!r} must be a 2-D array of shape (n_runs, n_tasks); "
            f"got shape {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            f"scores of condition {condition!r} are empty (shape {array.shape}); "
            "need at least one run and one task"
        )
    infinite = np.argwhere(np.isinf(array))
    if infinite.size:
        run, task = (int(i) for i in infinite[0])
        raise InputError(
            f"scores of condition {condition!r} hold an infinite value (run {run}, task {task}); "
            "use NaN only for a missing run"
        )
    empty_tasks = np.flatnonzero(np.isnan(array).all(axis=0))
    if empty_tasks.size:
        raise InputError(
            f"condition {condition!r}, task {int(empty_tasks[0])} (column index) has no run: "
            "every task needs at least one non-NaN score"
        )
    return array


def _strata(values: Any, condition: str, n_tasks: int | None = None) -> _Strata:
    array = _score_matrix(values, condition)
    if n_tasks is not None and array.shape[1] != n_tasks:
        raise InputError(
            f"condition {condition!r} has {array.shape[1]} tasks, expected {n_tasks} "
            "(every condition must be scored on the same tasks, in the same column order)"
        )
    missing = np.isnan(array)
    if not missing.any():
        # The caller's array as is (memory order included): point estimates then repeat
        # rliable's floating-point operations exactly.
        return _Strata(
            values=array, present=~missing, n_present=np.full(array.shape[1], len(array))
        )
    # Stable sort on the missing flag moves present runs first, keeping their order.
    order = np.argsort(missing, axis=0, kind="stable")
    present = ~np.take_along_axis(missing, order, axis=0)
    compact = np.where(present, np.take_along_axis(array, order, axis=0), 0.0)
    return _Strata(values=compact, present=present, n_present=present.sum(axis=0))


def _condition_strata(scores: Mapping[str, Any]) -> dict[str, _Strata]:
    if not isinstance(scores, Mapping):
        raise InputError(
            "scores must be a mapping condition -> array of shape (n_runs, n_tasks); "
            f"got {type(scores).__name__}"
        )
    if not scores:
        raise InputError("scores is empty: give at least one condition")
    strata: dict[str, _Strata] = {}
    n_tasks: int | None = None
    for condition, values in scores.items():
        strata[condition] = _strata(values, str(condition), n_tasks)
        n_tasks = strata[condition].n_tasks
    return strata


def _check_resampling(n_resamples: int, confidence_level: float, method: str) -> None:
    _validate.positive_int(n_resamples, "n_resamples")
    _validate.confidence_level(confidence_level)
    if method not in INTERVAL_METHODS:
        raise InputError(f"method must be one of {INTERVAL_METHODS}; got {method!r}")


# --------------------------------------------------------------------------------------------
# Normalization
# --------------------------------------------------------------------------------------------


def normalize_scores(
    scores: Mapping[str, npt.ArrayLike],
    *,
    method: Literal["minmax", "reference"] = "minmax",
    low: npt.ArrayLike | None = None,
    high: npt.ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """Normalize scores per task: ``(x - low_m) / (high_m - low_m)``.

    ``method="minmax"``: ``low_m`` and ``high_m`` are the smallest and largest score of task ``m``
    over all conditions and runs (so normalized scores span [0, 1] on every task).
    ``method="reference"``: ``low`` and ``high`` are user-given reference scores per task (e.g. a
    random and a human score, giving human-normalized scores); each a scalar or a sequence of
    length ``n_tasks``. NaN (missing runs) stays NaN.

    Raises InputError when ``high_m == low_m`` for some task, naming the task.
    """
    strata = _condition_strata(scores)  # validates shapes and equal task counts
    arrays = {c: _score_matrix(v, str(c)) for c, v in scores.items()}
    n_tasks = next(iter(strata.values())).n_tasks
    if method == "minmax":
        if low is not None or high is not None:
            raise InputError("low/high are only used with method='reference'")
        stacked = np.concatenate(list(arrays.values()), axis=0)
        low_m = np.nanmin(stacked, axis=0)
        high_m = np.nanmax(stacked, axis=0)
    elif method == "reference":
        if low is None or high is None:
            raise InputError(
                "method='reference' needs both low and high (per-task reference scores)"
            )
        low_m = _reference_vector(low, "low", n_tasks)
        high_m = _reference_vector(high, "high", n_tasks)
    else:
        raise InputError(f"method must be 'minmax' or 'reference'; got {method!r}")
    span = high_m - low_m
    flat = np.flatnonzero(span == 0)
    if flat.size:
        task = int(flat[0])
        raise InputError(
            f"cannot normalize task {task} (column index): high == low == {low_m[task]!r}"
        )
    return {c: (a - low_m) / span for c, a in arrays.items()}


def _reference_vector(value: Any, name: str, n_tasks: int) -> np.ndarray:
    try:
        vector = np.broadcast_to(np.asarray(value, dtype=float), (n_tasks,)).copy()
    except (TypeError, ValueError):
        raise InputError(
            f"{name} must be a scalar or a sequence of {n_tasks} per-task reference scores"
        ) from None
    if not np.all(np.isfinite(vector)):
        raise InputError(f"{name} reference scores must be finite")
    return vector


# --------------------------------------------------------------------------------------------
# Point metrics
# --------------------------------------------------------------------------------------------


def mean(scores: npt.ArrayLike) -> float:
    """Mean over tasks of the per-task mean score (rliable ``aggregate_mean``)."""
    return float(_point_metrics(_strata(scores, "scores"), ("mean",), 1.0)[0])


def median(scores: npt.ArrayLike) -> float:
    """Median over tasks of the per-task mean score (rliable ``aggregate_median``)."""
    return float(_point_metrics(_strata(scores, "scores"), ("median",), 1.0)[0])


def iqm(scores: npt.ArrayLike) -> float:
    """Interquartile mean ``scipy.stats.trim_mean(scores, 0.25, axis=None)`` (rliable
    ``aggregate_iqm``): the mean of the scores left after cutting ``floor(N/4)`` at each end."""
    return float(_point_metrics(_strata(scores, "scores"), ("iqm",), 1.0)[0])


def optimality_gap(scores: npt.ArrayLike, gamma: float = 1.0) -> float:
    """Optimality gap ``gamma - mean(min(scores, gamma))`` (rliable
    ``aggregate_optimality_gap``)."""
    return float(_point_metrics(_strata(scores, "scores"), ("optimality_gap",), float(gamma))[0])


def _point_metrics(strata: _Strata, metrics: Sequence[str], gamma: float) -> np.ndarray:
    if not strata.balanced:
        counts = strata.present.T[None].astype(float)  # every present run drawn once
        return _metrics_from_counts(counts, strata, metrics, gamma)[0]
    # Same operations, in the same order, as rliable's metrics (identical floating point).
    x = strata.values
    out = []
    for metric in metrics:
        if metric == "mean":
            out.append(np.mean(np.mean(x, axis=0)))
        elif metric == "median":
            out.append(np.median(np.mean(x, axis=0)))
        elif metric == "iqm":
            out.append(sps.trim_mean(x, proportiontocut=0.25, axis=None))
        else:
            out.append(gamma - np.mean(np.minimum(x, gamma)))
    return np.asarray(out, dtype=float)


def _trim_count(n_scores: int) -> int:
    return int(0.25 * n_scores)


def _row_medians(values: np.ndarray) -> np.ndarray:
    # A sort of short rows is several times faster than np.median's partition here.
    ordered = np.sort(values, axis=1)
    half = values.shape[1] // 2
    if values.shape[1] % 2:
        return ordered[:, half]
    return (ordered[:, half - 1] + ordered[:, half]) / 2.0


# --------------------------------------------------------------------------------------------
# Stratified bootstrap machinery
# --------------------------------------------------------------------------------------------


def _draw_run_indices(rng: np.random.Generator, strata: _Strata, size: int) -> np.ndarray:
    """Run indices of ``size`` resamples, shape (size, n_runs, n_tasks).

    Entry ``[b, r, m]`` is a uniform draw from the present runs ``0..k_m-1`` of task ``m``; only
    rows ``r < k_m`` are used (a task with ``k_m`` present runs gets ``k_m`` draws).
    """
    shape = (size, strata.n_runs, strata.n_tasks)
    if strata.balanced:
        return rng.integers(0, strata.n_runs, size=shape)
    # floor(u * k) is uniform on 0..k-1 up to 2**-53 and much faster than integers() with an
    # array of upper bounds.
    return (rng.random(shape) * strata.n_present).astype(np.intp)


def _used_draws(strata: _Strata) -> np.ndarray:
    return np.arange(strata.n_runs)[:, None] < strata.n_present[None, :]


def _run_counts(indices: np.ndarray, strata: _Strata) -> np.ndarray:
    """How often each run is drawn: (size, n_tasks, n_runs) from (size, n_runs, n_tasks) draws."""
    size, n_runs, n_tasks = indices.shape
    cell = np.arange(n_tasks) * n_runs + indices  # task-major cell (task, run)
    cell += (np.arange(size) * (n_tasks * n_runs))[:, None, None]
    if not strata.balanced:
        cell = cell[:, _used_draws(strata)]
    counts = np.bincount(cell.ravel(), minlength=size * n_tasks * n_runs)
    return counts.reshape(size, n_tasks, n_runs)


def _metrics_from_gathered(draws: np.ndarray, metrics: Sequence[str], gamma: float) -> np.ndarray:
    """Metrics of balanced resamples given as scores, shape (size, n_runs, n_tasks)."""
    size = draws.shape[0]
    out = np.empty((size, len(metrics)))
    task_means = draws.mean(axis=1) if {"mean", "median"} & set(metrics) else None
    for j, metric in enumerate(metrics):
        if metric == "mean":
            out[:, j] = task_means.mean(axis=1)
        elif metric == "median":
            out[:, j] = _row_medians(task_means)
        elif metric == "optimality_gap":
            out[:, j] = gamma - np.minimum(draws, gamma).mean(axis=(1, 2))
    if "iqm" in metrics:
        # A full sort of each resample beats np.partition here (numpy's SIMD sort; see
        # bench/iqm_rliable.py); done last because it sorts ``draws`` in place.
        flat = draws.reshape(size, -1)
        flat.sort(axis=1)
        cut = _trim_count(flat.shape[1])
        out[:, metrics.index("iqm")] = flat[:, cut : flat.shape[1] - cut].mean(axis=1)
    return out


def _metrics_from_counts(
    counts: np.ndarray, strata: _Strata, metrics: Sequence[str], gamma: float
) -> np.ndarray:
    """Metrics of resamples given as run counts (size, n_tasks, n_runs): the weighted definitions
    of the module docstring (each task weighs 1/n_tasks, split evenly over its draws).

    Elementwise products and sums only: BLAS calls on these small matrices spend more time
    starting threads than computing.
    """
    size = counts.shape[0]
    values_t = strata.values.T  # (n_tasks, n_runs), missing runs hold 0 and are never drawn
    out = np.empty((size, len(metrics)))
    for j, metric in enumerate(metrics):
        if metric in ("mean", "median"):
            task_means = (counts * values_t).sum(axis=2) / strata.n_present
            out[:, j] = task_means.mean(axis=1) if metric == "mean" else _row_medians(task_means)
        elif metric == "optimality_gap":
            weights = counts / (strata.n_present[:, None] * strata.n_tasks)
            out[:, j] = gamma - (weights * np.minimum(values_t, gamma)).sum(axis=(1, 2))
        else:
            pool = strata.pool
            cut = _trim_count(pool.scores.size) / pool.scores.size
            weights = counts.reshape(size, -1)[:, pool.cells] * pool.weight
            cumulative = np.cumsum(weights, axis=1)
            kept = np.diff(np.clip(cumulative, cut, 1.0 - cut), axis=1, prepend=cut)
            out[:, j] = (kept * pool.scores).sum(axis=1) / (1.0 - 2.0 * cut)
    return out


def _aggregate_replicates(
    strata: _Strata,
    metrics: Sequence[str],
    gamma: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bootstrap replicates of ``metrics``, shape (n_resamples, len(metrics))."""
    chunk = max(1, _CHUNK_ELEMENTS // strata.values.size)
    flat_values = strata.values.ravel()
    task_offsets = np.arange(strata.n_tasks)
    out = np.empty((n_resamples, len(metrics)))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        indices = _draw_run_indices(rng, strata, size)
        if strata.balanced:
            indices *= strata.n_tasks  # in place: index arithmetic dominates the gather
            indices += task_offsets
            draws = np.take(flat_values, indices)
            out[start : start + size] = _metrics_from_gathered(draws, metrics, gamma)
        else:
            counts = _run_counts(indices, strata)
            out[start : start + size] = _metrics_from_counts(counts, strata, metrics, gamma)
    return out


def _intervals(
    replicates: np.ndarray, estimates: np.ndarray, confidence_level: float, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided bootstrap intervals per column of ``replicates`` (n_resamples, p).

    percentile: the ``alpha/2`` and ``1 - alpha/2`` quantiles (numpy's linear interpolation, as in
    arch / rliable). basic: ``2*estimate - q_high``, ``2*estimate - q_low``. bc (bias-corrected,
    Efron 1981): percentiles ``Phi(2 z0 + z_{alpha/2})`` and ``Phi(2 z0 + z_{1-alpha/2})`` with
    ``z0 = Phi^-1(mean(replicates < estimate))``; NaN where that fraction is 0 or 1.
    """
    alpha = (1.0 - confidence_level) / 2.0
    if method in ("percentile", "basic"):
        q_low, q_high = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)], axis=0)
        if method == "percentile":
            return q_low, q_high
        return 2 * estimates - q_high, 2 * estimates - q_low
    below = (replicates < estimates).mean(axis=0)
    low = np.full(estimates.shape, np.nan)
    high = np.full(estimates.shape, np.nan)
    z_alpha = special.ndtri(np.array([alpha, 1 - alpha]))
    for j in np.flatnonzero((below > 0) & (below < 1)):
        z0 = special.ndtri(below[j])
        low[j], high[j] = np.percentile(replicates[:, j], 100 * special.ndtr(2 * z0 + z_alpha))
    return low, high


# --------------------------------------------------------------------------------------------
# Aggregate metrics
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AggregateResult(Result):
    """Per condition and metric: point estimate and stratified-bootstrap confidence interval.

    ``estimates[condition][metric]`` is a float, ``confidence_intervals[condition][metric]`` a
    :class:`ConfidenceInterval`.
    """

    estimates: dict[str, dict[str, float]]
    confidence_intervals: dict[str, dict[str, ConfidenceInterval]]
    metrics: tuple[str, ...]
    n_resamples: int
    confidence_level: float
    method: str
    gamma: float

    @property
    def conditions(self) -> tuple[str, ...]:
        return tuple(self.estimates)

    def to_frame(self) -> pl.DataFrame:
        """Long table with columns condition, metric, estimate, ci_low, ci_high."""
        import polars as pl

        rows = [
            (condition, metric, self.estimates[condition][metric], *interval)
            for condition, intervals in self.confidence_intervals.items()
            for metric, interval in intervals.items()
        ]
        return pl.DataFrame(
            rows,
            schema={
                "condition": pl.String,
                "metric": pl.String,
                "estimate": pl.Float64,
                "ci_low": pl.Float64,
                "ci_high": pl.Float64,
            },
            orient="row",
        )


def aggregate_metrics(
    scores: Mapping[str, npt.ArrayLike],
    *,
    metrics: Sequence[str] = METRICS,
    n_resamples: int = 50_000,
    confidence_level: float = 0.95,
    method: IntervalMethod = "percentile",
    gamma: float = 1.0,
    seed: SeedLike = None,
) -> AggregateResult:
    """Aggregate metrics per condition with stratified-bootstrap confidence intervals.

    ``scores`` maps each condition to an array of shape (n_runs, n_tasks) (NaN: missing run; see
    the module docstring). ``metrics`` is any of ``"mean"``, ``"median"``, ``"iqm"``,
    ``"optimality_gap"`` (threshold ``gamma``). The bootstrap resamples runs with replacement
    within each task (rliable's ``StratifiedBootstrap`` with ``task_bootstrap=False``);
    conditions are resampled one after the other from one generator seeded by ``seed``.
    ``method``: ``"percentile"`` (rliable's default), ``"basic"`` or ``"bc"``.
    """
    _check_resampling(n_resamples, confidence_level, method)
    metrics = tuple(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics or len(set(metrics)) != len(metrics):
        raise InputError(f"metrics must be distinct names among {METRICS}; got {metrics}")
    gamma = float(gamma)
    if not np.isfinite(gamma):
        raise InputError(f"gamma must be finite; got {gamma}")
    strata = _condition_strata(scores)
    rng = as_generator(seed)
    estimates: dict[str, dict[str, float]] = {}
    intervals: dict[str, dict[str, ConfidenceInterval]] = {}
    for condition, stratum in strata.items():
        point = _point_metrics(stratum, metrics, gamma)
        replicates = _aggregate_replicates(stratum, metrics, gamma, n_resamples, rng)
        low, high = _intervals(replicates, point, confidence_level, method)
        estimates[condition] = {m: float(v) for m, v in zip(metrics, point, strict=True)}
        intervals[condition] = {
            m: ConfidenceInterval(float(lo), float(hi))
            for m, lo, hi in zip(metrics, low, high, strict=True)
        }
    return AggregateResult(
        estimates=estimates,
        confidence_intervals=intervals,
        metrics=metrics,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        method=method,
        gamma=gamma,
    )


# --------------------------------------------------------------------------------------------
# Probability of improvement
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProbabilityOfImprovementResult(Result):
    """``statistic``: P(X > Y) averaged over tasks; ``task_probabilities``: the per-task values."""

    statistic: float
    confidence_interval: ConfidenceInterval
    task_probabilities: np.ndarray
    n_resamples: int
    confidence_level: float
    method: str


def probability_of_improvement(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    n_resamples: int = 50_000,
    confidence_level: float = 0.95,
    method: IntervalMethod = "percentile",
    seed: SeedLike = None,
) -> ProbabilityOfImprovementResult:
    """Average probability of improvement of X over Y across tasks.

    For task ``m``, ``P_m = (#{(i, j): x_im > y_jm} + #{ties} / 2) / (k_x,m * k_y,m)``, the
    Mann-Whitney U statistic of X over Y divided by the number of pairs; the statistic is the mean
    of ``P_m`` over tasks (rliable ``probability_of_improvement``). ``x`` and ``y`` have shapes
    (n_runs_x, n_tasks) and (n_runs_y, n_tasks); NaN marks a missing run. The interval resamples
    the runs of X and of Y independently within each task (rliable's
    ``StratifiedIndependentBootstrap``).
    """
    _check_resampling(n_resamples, confidence_level, method)
    sx = _strata(x, "x")
    sy = _strata(y, "y", sx.n_tasks)
    kernel, pairs = _improvement_kernel(sx, sy)
    task_probabilities = kernel.sum(axis=(1, 2)) / pairs
    statistic = float(np.mean(task_probabilities))
    replicates = _improvement_replicates(sx, sy, n_resamples, as_generator(seed))[:, None]
    low, high = _intervals(replicates, np.array([statistic]), confidence_level, method)
    return ProbabilityOfImprovementResult(
        statistic=statistic,
        confidence_interval=ConfidenceInterval(float(low[0]), float(high[0])),
        task_probabilities=task_probabilities,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        method=method,
    )


def _improvement_kernel(sx: _Strata, sy: _Strata) -> tuple[np.ndarray, np.ndarray]:
    """``kernel[m, i, j]`` = 1 if x_im > y_jm, 1/2 on a tie, 0 otherwise or for a missing run;
    and the number of pairs ``k_x,m * k_y,m`` per task."""
    xv, yv = sx.values.T[:, :, None], sy.values.T[:, None, :]
    kernel = (xv > yv) + 0.5 * (xv == yv)
    kernel *= sx.present.T[:, :, None] & sy.present.T[:, None, :]
    return kernel, (sx.n_present * sy.n_present).astype(float)


def _improvement_replicates(
    sx: _Strata, sy: _Strata, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Stratified-bootstrap replicates of the probability of improvement, shape (n_resamples,)."""
    kernel, pairs = _improvement_kernel(sx, sy)
    per_resample = sx.n_tasks * max(sx.n_runs * sy.n_runs, sx.n_runs + sy.n_runs)
    chunk = max(1, _CHUNK_ELEMENTS // per_resample)
    replicates = np.empty(n_resamples)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        counts_x = _run_counts(_draw_run_indices(rng, sx, size), sx).astype(float)
        counts_y = _run_counts(_draw_run_indices(rng, sy, size), sy).astype(float)
        # sum_ij cx_i K_ij cy_j per resample and task, in einsum's own loops rather than BLAS
        # (see _metrics_from_counts)
        wins = np.einsum("bti,tij,btj->bt", counts_x, kernel, counts_y)
        replicates[start : start + size] = (wins / pairs).mean(axis=1)
    return replicates


# --------------------------------------------------------------------------------------------
# Performance profiles
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PerformanceProfileResult(Result):
    """``profiles[condition]``: the profile at each of ``taus``; ``bands[condition]``: array of
    shape (2, len(taus)), row 0 the lower and row 1 the upper confidence bound."""

    taus: np.ndarray
    profiles: dict[str, np.ndarray]
    bands: dict[str, np.ndarray]
    use_score_distribution: bool
    n_resamples: int
    confidence_level: float
    method: str


def performance_profile(
    scores: Mapping[str, npt.ArrayLike],
    taus: npt.ArrayLike,
    *,
    use_score_distribution: bool = True,
    n_resamples: int = 2_000,
    confidence_level: float = 0.95,
    method: IntervalMethod = "percentile",
    seed: SeedLike = None,
) -> PerformanceProfileResult:
    """Performance profiles with pointwise stratified-bootstrap confidence bands.

    Score distribution (default, ``use_score_distribution=True``): the fraction of runs, over all
    runs x tasks, whose score exceeds ``tau`` (``mean(scores > tau)``). Average score distribution
    (``False``): the fraction of tasks whose mean score exceeds ``tau``. Both as rliable's
    ``create_performance_profile`` (whose default is ``reps=2000``, kept here).
    """
    _check_resampling(n_resamples, confidence_level, method)
    tau_array = np.asarray(taus, dtype=float)
    if tau_array.ndim == 0:
        tau_array = tau_array[None]
    if tau_array.ndim != 1 or tau_array.size == 0 or not np.all(np.isfinite(tau_array)):
        raise InputError("taus must be a non-empty 1-D sequence of finite thresholds")
    strata = _condition_strata(scores)
    rng = as_generator(seed)
    profiles: dict[str, np.ndarray] = {}
    bands: dict[str, np.ndarray] = {}
    for condition, stratum in strata.items():
        profile = _profile_point(stratum, tau_array, use_score_distribution)
        replicates = _profile_replicates(
            stratum, tau_array, use_score_distribution, n_resamples, rng
        )
        low, high = _intervals(replicates, profile, confidence_level, method)
        profiles[condition] = profile
        bands[condition] = np.vstack([low, high])
    return PerformanceProfileResult(
        taus=tau_array,
        profiles=profiles,
        bands=bands,
        use_score_distribution=bool(use_score_distribution),
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        method=method,
    )


def _profile_replicates(
    strata: _Strata,
    taus: np.ndarray,
    use_score_distribution: bool,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Stratified-bootstrap replicates of a profile, shape (n_resamples, len(taus))."""
    per_resample = max(strata.values.size, strata.n_tasks * taus.size)
    chunk = max(1, _CHUNK_ELEMENTS // per_resample)
    replicates = np.empty((n_resamples, taus.size))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        counts = _run_counts(_draw_run_indices(rng, strata, size), strata)
        replicates[start : start + size] = _profile_from_counts(
            counts, strata, taus, use_score_distribution
        )
    return replicates


def _profile_point(strata: _Strata, taus: np.ndarray, use_score_distribution: bool) -> np.ndarray:
    if strata.balanced:
        x = strata.values
        if use_score_distribution:
            return np.array([np.mean(x > tau) for tau in taus])
        task_means = np.mean(x, axis=0)
        return np.array([np.mean(task_means > tau) for tau in taus])
    counts = strata.present.T[None].astype(np.int64)
    return _profile_from_counts(counts, strata, taus, use_score_distribution)[0]


def _profile_from_counts(
    counts: np.ndarray, strata: _Strata, taus: np.ndarray, use_score_distribution: bool
) -> np.ndarray:
    """Profiles of resamples given as run counts (size, n_tasks, n_runs)."""
    if not use_score_distribution:
        task_means = (counts * strata.values.T).sum(axis=2) / strata.n_present
        return (task_means[:, :, None] > taus).mean(axis=1)
    pool = strata.pool
    ordered = counts.reshape(counts.shape[0], -1)[:, pool.cells]
    if strata.balanced:
        # integer counts keep the fractions exact (count / N, as mean(scores > tau))
        cumulative, total = np.cumsum(ordered, axis=1), float(strata.n_scores)
    else:
        cumulative, total = np.cumsum(ordered * pool.weight, axis=1), 1.0
    # weight at or below tau: cumulative weight up to the last pooled score <= tau
    n_at_or_below = np.searchsorted(pool.scores, taus, side="right")
    below = np.where(n_at_or_below > 0, cumulative[:, np.maximum(n_at_or_below - 1, 0)], 0.0)
    return (total - below) / total
