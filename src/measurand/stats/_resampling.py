"""Resampling core: the bootstrap (percentile, basic, BCa) and permutation tests.

Everything is vectorized across resamples: resamples are built as ``(batch, n)`` matrices, in
chunks of about ``_CHUNK_BYTES`` so memory stays bounded, and the user's statistic is called
once per chunk with ``axis=-1``.

References
----------
B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall, 1993
(percentile interval ch. 13; BCa interval eq. 14.9-14.15; basic interval ch. 13 problem 13.5).
A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, CUP, 1997
(basic interval eq. 5.6; stratified resampling section 3.7; permutation p-value (count+1)/(B+1)
section 4.3). The numerical conventions (quantile interpolation, BCa with several samples,
tie tolerance of permutation p-values) follow ``scipy.stats.bootstrap`` and
``scipy.stats.permutation_test`` so results agree with SciPy.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, combinations, islice
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from measurand._result import ConfidenceInterval, Result
from measurand.errors import DegenerateDataWarning, InputError
from measurand.stats import _validate
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["BootstrapResult", "PermutationResult", "bootstrap", "permutation_test"]

_CHUNK_BYTES = _validate.CHUNK_BYTES
# Bytes held per resampled observation: drawn offsets, sample indices, gathered value.
_BYTES_PER_CELL = 3 * 8

_BOOTSTRAP_METHODS = ("percentile", "basic", "bca")

Statistic = Callable[..., Any]


@dataclasses.dataclass(frozen=True)
class BootstrapResult(Result):
    """Result of :func:`bootstrap`.

    ``bootstrap_distribution`` holds the valid (non-NaN) resampled statistics only;
    ``n_resamples`` is the number of resamples drawn and ``n_invalid`` how many of them gave NaN.
    ``standard_error`` is the standard deviation (ddof=1) of ``bootstrap_distribution``.
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    standard_error: float
    bootstrap_distribution: np.ndarray = dataclasses.field(repr=False)
    n_resamples: int
    n_invalid: int
    method: str
    confidence_level: float
    alternative: str


@dataclasses.dataclass(frozen=True)
class PermutationResult(Result):
    """Result of :func:`permutation_test`.

    ``n_resamples`` is the number of relabelings evaluated (all of them when ``exact``).
    """

    statistic: float
    pvalue: float
    null_distribution: np.ndarray = dataclasses.field(repr=False)
    n_resamples: int
    exact: bool
    alternative: str


# --------------------------------------------------------------------------------------------
# inputs shared by both procedures


def _as_sample(values: Any, name: str) -> np.ndarray:
    sample = np.asarray(values)
    if sample.ndim != 1:
        raise InputError(
            f"{name} must be a 1-D array, got an array with shape {sample.shape}", source=name
        )
    if sample.size == 0:
        raise InputError(f"{name} is empty; at least one observation is needed", source=name)
    return sample


def _as_samples(data: Any) -> list[np.ndarray]:
    if isinstance(data, str | bytes) or not isinstance(data, Sequence | np.ndarray):
        raise InputError(
            "data must be a sequence of 1-D samples, e.g. (x,) for one sample or (x, y)",
            source="data",
        )
    if len(data) == 0:
        raise InputError("data must contain at least one sample", source="data")
    if (isinstance(data, np.ndarray) and data.ndim < 2) or np.ndim(data[0]) == 0:
        raise InputError(
            "data must be a sequence of samples, not one sample: pass (x,) instead of x",
            source="data",
        )
    return [_as_sample(sample, f"data[{k}]") for k, sample in enumerate(data)]


def _rows_per_chunk(n_columns: int) -> int:
    return max(1, _CHUNK_BYTES // (_BYTES_PER_CELL * max(n_columns, 1)))


def _evaluate(statistic: Statistic, arrays: Sequence[np.ndarray], n_rows: int) -> np.ndarray:
    """Call a vectorized statistic on ``(n_rows, n_i)`` arrays; check it gave ``(n_rows,)``."""
    values = np.asarray(statistic(*arrays, axis=-1), dtype=float)
    if values.shape != (n_rows,):
        raise InputError(
            "statistic must be vectorized: called with arrays of shape (batch, n) and axis=-1 it "
            f"must return shape ({n_rows},), got shape {values.shape}",
            source="statistic",
        )
    return values


def _point_estimate(statistic: Statistic, arrays: Sequence[np.ndarray]) -> float:
    value = np.asarray(statistic(*arrays, axis=-1), dtype=float)
    if value.size != 1:
        raise InputError(
            f"statistic must return a single number for 1-D samples, got shape {value.shape}",
            source="statistic",
        )
    return float(value.reshape(()))


# --------------------------------------------------------------------------------------------
# bootstrap


@dataclasses.dataclass(frozen=True)
class _DrawPlan:
    """How to draw one resample of a group of samples.

    Column ``j`` of a resample is ``order[start[j] + u]`` with ``u`` uniform on
    ``[0, size[j])``: ``order`` lists each sample's positions grouped by stratum, ``start[j]``
    and ``size[j]`` locate the stratum block of original position ``j``. Without strata there is
    one block per sample. Every resample keeps each stratum's size (and original layout).
    """

    order: np.ndarray | None  # None without strata: ``order[start[j] + u]`` is then ``u``
    start: np.ndarray
    size: np.ndarray
    bounds: list[tuple[int, int]]  # column range of each resampled sample

    def draw(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        """Row indices (local to each sample) of ``rows`` resamples, shape ``(rows, columns)``."""
        # A scalar bound draws the same numbers as an array of equal bounds, several times faster.
        equal = self.size.min() == self.size.max()
        offsets = rng.integers(0, self.size[0] if equal else self.size, (rows, self.size.size))
        return offsets if self.order is None else self.order[self.start + offsets]


def _stratum_blocks(n: int, strata: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (order, start, size) local to one sample of length ``n``."""
    if strata is None:
        return np.arange(n), np.zeros(n, dtype=np.int64), np.full(n, n, dtype=np.int64)
    labels = np.asarray(strata)
    if labels.shape != (n,):
        raise InputError(
            f"{name} must be a 1-D array with one label per observation ({n}), "
            f"got shape {labels.shape}",
            source=name,
        )
    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(-1)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    block_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return order, block_start[codes], counts[codes]


def _normalize_strata(strata: Any, n_groups: int) -> list[Any]:
    """One strata entry per resampled group (a single array is accepted for one group)."""
    if strata is None:
        return [None] * n_groups
    if n_groups == 1:
        if (
            isinstance(strata, list | tuple)
            and len(strata) == 1
            and (strata[0] is None or np.ndim(strata[0]) == 1)
        ):
            return [strata[0]]
        return [strata]
    if isinstance(strata, np.ndarray) or not isinstance(strata, Sequence):
        raise InputError(
            f"with {n_groups} independent samples, strata must be a sequence of {n_groups} label "
            "arrays (or None entries), one per sample",
            source="strata",
        )
    if len(strata) != n_groups:
        raise InputError(
            f"strata has {len(strata)} entries but data has {n_groups} samples", source="strata"
        )
    return list(strata)


def _draw_plan(lengths: Sequence[int], strata: Sequence[Any]) -> _DrawPlan:
    orders, starts, sizes, bounds = [], [], [], []
    offset = 0
    for k, (n, labels) in enumerate(zip(lengths, strata, strict=True)):
        name = "strata" if len(lengths) == 1 else f"strata[{k}]"
        order, start, size = _stratum_blocks(n, labels, name)
        orders.append(order)
        starts.append(start + offset)
        sizes.append(size)
        bounds.append((offset, offset + n))
        offset += n
    return _DrawPlan(
        order=None if all(labels is None for labels in strata) else np.concatenate(orders),
        start=np.concatenate(starts),
        size=np.concatenate(sizes),
        bounds=bounds,
    )


def _bootstrap_distribution(
    samples: list[np.ndarray],
    statistic: Statistic,
    plan: _DrawPlan,
    paired: bool,
    n_resamples: int,
    batch: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Statistic of ``n_resamples`` resamples, drawn row after row from ``rng``.

    The indices of a resample are drawn in one contiguous block of the generator's stream, so the
    result for a seed does not depend on ``batch``.
    """
    distribution = np.empty(n_resamples)
    for first in range(0, n_resamples, batch):
        rows = min(batch, n_resamples - first)
        indices = plan.draw(rng, rows)
        if paired:
            resampled = [sample[indices] for sample in samples]
        else:
            resampled = [
                sample[indices[:, lo:hi]]
                for sample, (lo, hi) in zip(samples, plan.bounds, strict=True)
            ]
        distribution[first : first + rows] = _evaluate(statistic, resampled, rows)
    return distribution


def _leave_one_out_indices(n: int, rows: np.ndarray) -> np.ndarray:
    """Rows of the (n, n-1) jackknife index matrix: row ``i`` is ``0..n-1`` without ``i``."""
    columns = np.arange(n - 1)
    return columns + (columns >= rows[:, None])


def _jackknife_values(
    samples: list[np.ndarray], statistic: Statistic, paired: bool
) -> list[np.ndarray]:
    """Leave-one-out statistics, one array per jackknifed group.

    Paired data form one group (a row is left out of every sample). Independent samples are
    jackknifed one at a time with the other samples whole, as ``scipy.stats.bootstrap`` does.
    """
    groups = [None] if paired else list(range(len(samples)))
    values = []
    for group in groups:
        n = samples[0].size if group is None else samples[group].size
        chunk = _rows_per_chunk(n * (len(samples) if paired else 1))
        group_values = np.empty(n)
        for first in range(0, n, chunk):
            rows = np.arange(first, min(first + chunk, n))
            indices = _leave_one_out_indices(n, rows)
            if group is None:
                arrays = [sample[indices] for sample in samples]
            else:
                arrays = [
                    sample[indices]
                    if k == group
                    else np.broadcast_to(sample, (rows.size, sample.size))
                    for k, sample in enumerate(samples)
                ]
            group_values[first : first + rows.size] = _evaluate(statistic, arrays, rows.size)
        values.append(group_values)
    return values


def jackknife_acceleration(jackknife: Sequence[np.ndarray]) -> float:
    """BCa acceleration (Efron & Tibshirani eq. 14.15, summed over samples as in SciPy).

    With ``U_i = (n-1)(mean(theta_(.)) - theta_(i))``:
    ``a = sum_j sum_i U_ji^3 / n_j^3  /  (6 (sum_j sum_i U_ji^2 / n_j^2)^(3/2))``.
    Zero spread of the jackknife values gives ``a = 0`` (no skewness to correct).
    """
    numerator = 0.0
    denominator = 0.0
    for theta in jackknife:
        n = theta.size
        influence = (n - 1) * (theta.mean() - theta)
        numerator += float(np.sum(influence**3)) / n**3
        denominator += float(np.sum(influence**2)) / n**2
    if not math.isfinite(numerator) or not math.isfinite(denominator):
        return math.nan
    if denominator == 0.0:
        return 0.0
    return numerator / (6.0 * denominator**1.5)


def _bca_levels(
    distribution: np.ndarray, theta_hat: float, acceleration: float, alpha: float
) -> tuple[float, float]:
    """Adjusted quantile levels of the BCa interval (Efron & Tibshirani eq. 14.10).

    ``z0 = Phi^-1(fraction of theta* below theta_hat)``, counting ties as half (SciPy's
    convention); level ``= Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z = z_alpha, z_(1-alpha)``.
    """
    below = np.count_nonzero(distribution < theta_hat) + np.count_nonzero(distribution <= theta_hat)
    z0 = float(ndtri(below / (2 * distribution.size)))
    z_alpha = float(ndtri(alpha))
    levels = []
    for z in (z_alpha, -z_alpha):
        shifted = z0 + z
        levels.append(float(ndtr(z0 + shifted / (1 - acceleration * shifted))))
    return levels[0], levels[1]


def bootstrap_interval(
    distribution: np.ndarray, theta_hat: float, method: str, alpha: float, acceleration: float
) -> tuple[float, float] | None:
    """``(low, high)`` from the valid bootstrap values, as ``scipy.stats.bootstrap``.

    Quantiles (linear interpolation) at ``(alpha, 1 - alpha)``, at the BCa-adjusted levels for
    ``"bca"``, reflected about ``theta_hat`` for ``"basic"``. ``None`` when the BCa levels are
    undefined (every value on one side of ``theta_hat``, or a NaN acceleration).
    """
    if method == "bca":
        levels = _bca_levels(distribution, theta_hat, acceleration, alpha)
        if not all(math.isfinite(level) for level in levels):
            return None
    else:
        levels = (alpha, 1 - alpha)
    low, high = (float(q) for q in np.quantile(distribution, levels))
    if method == "basic":
        low, high = 2 * theta_hat - high, 2 * theta_hat - low
    return low, high


def bootstrap(
    data: Sequence[Any],
    statistic: Statistic,
    *,
    n_resamples: int = 10_000,
    method: str = "percentile",
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    strata: Any = None,
    paired: bool = False,
    batch: int | None = None,
    seed: SeedLike = None,
) -> BootstrapResult:
    """Bootstrap confidence interval of ``statistic(*data)``.

    Parameters
    ----------
    data
        Sequence of 1-D samples, e.g. ``(x,)`` or ``(x, y)``. Each sample is resampled with
        replacement independently of the others, unless ``paired``.
    statistic
        Vectorized function ``statistic(*samples, axis=-1)``: given arrays of shape
        ``(batch, n_i)`` it returns shape ``(batch,)``; on the original 1-D samples it returns the
        point estimate. Example: ``lambda x, y, axis: x.mean(axis) - y.mean(axis)``.
    n_resamples
        Number of bootstrap resamples ``B`` (>= 1).
    method
        ``"percentile"``: quantiles ``(q_alpha, q_(1-alpha))`` of the bootstrap distribution.
        ``"basic"``: ``(2 theta_hat - q_(1-alpha), 2 theta_hat - q_alpha)``.
        ``"bca"``: bias-corrected and accelerated percentile interval; bias from the bootstrap
        distribution, acceleration from the jackknife (one observation of one sample left out at
        a time; one row of all samples when ``paired``). Quantiles interpolate linearly.
    confidence_level
        In (0, 1). ``alpha = (1 - level) / 2`` two-sided, ``1 - level`` one-sided.
    alternative
        ``"two-sided"``; ``"less"`` gives ``(-inf, high]``, ``"greater"`` gives ``[low, inf)``.
    strata
        Labels of strata to resample within (each resample keeps every stratum's size): one label
        array for a single sample or for paired data, otherwise a sequence with one array (or
        ``None``) per sample. The BCa jackknife ignores strata.
    paired
        All samples have equal length and are resampled with the same row indices.
    batch
        Resamples per vectorized chunk; by default chosen so a chunk uses about 50 MB.
    seed
        Seed or Generator. Indices are drawn resample after resample from one stream, so the
        same seed gives the same distribution whatever ``batch`` is.

    Returns
    -------
    BootstrapResult
        Resamples whose statistic is NaN (e.g. a group missing from the resample) are dropped
        from the distribution and counted in ``n_invalid``; if all are invalid the interval is
        NaN and a ``DegenerateDataWarning`` is issued.
    """
    samples = _as_samples(data)
    if not callable(statistic):
        raise InputError("statistic must be a callable", source="statistic")
    n_resamples = _validate.positive_int(n_resamples, "n_resamples")
    method = _validate.choice(method, "method", _BOOTSTRAP_METHODS)
    alternative = _validate.alternative(alternative)
    confidence_level = _validate.confidence_level(confidence_level)
    if batch is not None:
        batch = _validate.positive_int(batch, "batch")
    paired = bool(paired)
    if paired and len({sample.size for sample in samples}) > 1:
        raise InputError(
            "paired=True needs samples of equal length, got lengths "
            f"{[sample.size for sample in samples]}",
            source="paired",
        )
    if method == "bca" and min(sample.size for sample in samples) < 2:
        raise InputError(
            "method='bca' needs at least two observations per sample for the jackknife",
            source="data",
        )

    lengths = [samples[0].size] if paired else [sample.size for sample in samples]
    plan = _draw_plan(lengths, _normalize_strata(strata, len(lengths)))
    n_columns = plan.size.size * (len(samples) if paired else 1)
    batch = min(batch or _rows_per_chunk(n_columns), n_resamples)

    theta_hat = _point_estimate(statistic, samples)
    rng = as_generator(seed)
    distribution = _bootstrap_distribution(
        samples, statistic, plan, paired, n_resamples, batch, rng
    )
    valid = distribution[~np.isnan(distribution)]
    n_invalid = n_resamples - valid.size

    alpha = (1 - confidence_level) / 2 if alternative == "two-sided" else 1 - confidence_level
    low = high = math.nan
    if valid.size == 0:
        warnings.warn(
            f"all {n_resamples} bootstrap resamples gave a NaN statistic; the confidence "
            "interval is NaN",
            DegenerateDataWarning,
            stacklevel=2,
        )
    else:
        acceleration = (
            jackknife_acceleration(_jackknife_values(samples, statistic, paired))
            if method == "bca"
            else 0.0
        )
        interval = bootstrap_interval(valid, theta_hat, method, alpha, acceleration)
        if interval is None:
            warnings.warn(
                "the BCa confidence interval cannot be computed (NaN bias correction or "
                "acceleration: degenerate data or a statistic that is NaN on jackknife samples); "
                "the interval is NaN",
                DegenerateDataWarning,
                stacklevel=2,
            )
        else:
            low, high = interval
    if alternative == "less":
        low = -math.inf
    elif alternative == "greater":
        high = math.inf

    standard_error = float(np.std(valid, ddof=1)) if valid.size > 1 else math.nan
    return BootstrapResult(
        statistic=theta_hat,
        confidence_interval=ConfidenceInterval(low, high),
        standard_error=standard_error,
        bootstrap_distribution=valid,
        n_resamples=n_resamples,
        n_invalid=n_invalid,
        method=method,
        confidence_level=confidence_level,
        alternative=alternative,
    )


# --------------------------------------------------------------------------------------------
# permutation test


def _mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _median_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis) - np.median(y, axis=axis)


_NAMED_STATISTICS: dict[str, Statistic] = {
    "mean_difference": _mean_difference,
    "median_difference": _median_difference,
}


def _independent_relabelings(
    pooled: np.ndarray, n_x: int, exact: bool, n_draws: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks of ``(x*, y*)``: all C(n, n_x) splits of ``pooled`` or ``n_draws`` random ones."""
    n = pooled.size
    chunk = _rows_per_chunk(n)
    if exact:
        splits = combinations(range(n), n_x)
        while True:
            block = list(islice(splits, chunk))
            if not block:
                return
            rows = len(block)
            chosen = np.fromiter(chain.from_iterable(block), dtype=np.intp, count=rows * n_x)
            in_x = np.zeros((rows, n), dtype=bool)
            in_x[np.repeat(np.arange(rows), n_x), chosen] = True
            tiled = np.broadcast_to(pooled, (rows, n))
            yield tiled[in_x].reshape(rows, n_x), tiled[~in_x].reshape(rows, n - n_x)
    else:
        for first in range(0, n_draws, chunk):
            rows = min(chunk, n_draws - first)
            permutation = np.argsort(rng.random((rows, n)), axis=1)
            relabeled = pooled[permutation]
            yield relabeled[:, :n_x], relabeled[:, n_x:]


def _paired_relabelings(
    x: np.ndarray, y: np.ndarray, exact: bool, n_draws: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks of ``(x*, y*)`` with the members of some pairs swapped: all 2**n or random."""
    n = x.size
    chunk = _rows_per_chunk(2 * n)
    total = 2**n if exact else n_draws
    for first in range(0, total, chunk):
        rows = min(chunk, total - first)
        if exact:
            codes = np.arange(first, first + rows, dtype=np.int64)
            swap = ((codes[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(bool)
        else:
            swap = rng.random((rows, n)) < 0.5
        yield np.where(swap, y, x), np.where(swap, x, y)


def permutation_test(
    x: Any,
    y: Any,
    *,
    statistic: str | Statistic = "mean_difference",
    paired: bool = False,
    n_resamples: int = 10_000,
    alternative: str = "two-sided",
    seed: SeedLike = None,
) -> PermutationResult:
    """Permutation test of ``statistic(x, y)`` against relabelings of the observations.

    Independent samples: the pooled observations are split into groups of sizes ``(n_x, n_y)``
    at random (group labels permuted). Paired samples: the two members of each pair are swapped
    at random (for the mean difference this is a sign flip of ``x - y``).

    When the number of distinct relabelings (``C(n_x + n_y, n_x)``, or ``2**n`` paired) is at
    most ``n_resamples`` all of them are enumerated (``exact=True``) and
    ``p = count / total`` (the observed labeling is among them). Otherwise ``n_resamples``
    random relabelings give ``p = (count + 1) / (B + 1)`` (Davison & Hinkley 1997, eq. 4.11).
    ``count`` counts null values ``<= observed + gamma`` ("less") or ``>= observed - gamma``
    ("greater") with ``gamma = 100 * eps * max(|observed|, max|null|)`` so that ties computed
    with rounding error count (``scipy.stats.permutation_test`` scales by ``|observed|`` only,
    which misses ties when the observed statistic is near zero); two-sided
    ``p = min(1, 2 * min(p_less, p_greater))``.

    Parameters
    ----------
    statistic
        ``"mean_difference"`` (``mean(x) - mean(y)``), ``"median_difference"``, or a vectorized
        callable ``f(x, y, axis=-1)`` (arrays of shape ``(batch, n)`` in, ``(batch,)`` out).
    seed
        Seed or Generator for the Monte Carlo relabelings (unused when exact).
    """
    x = _as_sample(x, "x")
    y = _as_sample(y, "y")
    paired = bool(paired)
    if paired and x.size != y.size:
        raise InputError(
            f"paired=True needs x and y of equal length, got {x.size} and {y.size}",
            source="paired",
        )
    n_resamples = _validate.positive_int(n_resamples, "n_resamples")
    alternative = _validate.alternative(alternative)
    if isinstance(statistic, str):
        if statistic not in _NAMED_STATISTICS:
            raise InputError(
                f"statistic must be one of {list(_NAMED_STATISTICS)} or a callable, "
                f"got {statistic!r}",
                source="statistic",
            )
        statistic = _NAMED_STATISTICS[statistic]
    elif not callable(statistic):
        raise InputError("statistic must be a name or a callable", source="statistic")

    observed = _point_estimate(statistic, [x, y])
    n_relabelings = 2**x.size if paired else math.comb(x.size + y.size, x.size)
    exact = n_relabelings <= n_resamples
    rng = as_generator(seed)
    if paired:
        relabelings = _paired_relabelings(x, y, exact, n_resamples, rng)
    else:
        pooled = np.concatenate([x, y])
        relabelings = _independent_relabelings(pooled, x.size, exact, n_resamples, rng)
    null_distribution = np.concatenate(
        [_evaluate(statistic, (xs, ys), xs.shape[0]) for xs, ys in relabelings]
    )
    n_evaluated = null_distribution.size

    if math.isnan(observed):
        warnings.warn(
            "the observed statistic is NaN; the p-value is NaN", DegenerateDataWarning, stacklevel=2
        )
        pvalue = math.nan
    else:
        adjustment = 0 if exact else 1
        # Rounding error scales with the size of the statistic's values, not with |observed|
        # alone: near zero a relative tolerance misses the observed labeling itself.
        finite = null_distribution[np.isfinite(null_distribution)]
        scale = max(abs(observed), float(np.max(np.abs(finite))) if finite.size else 0.0)
        gamma = 100 * np.finfo(float).eps * scale

        def p_less() -> float:
            count = np.count_nonzero(null_distribution <= observed + gamma)
            return (count + adjustment) / (n_evaluated + adjustment)

        def p_greater() -> float:
            count = np.count_nonzero(null_distribution >= observed - gamma)
            return (count + adjustment) / (n_evaluated + adjustment)

        if alternative == "less":
            pvalue = p_less()
        elif alternative == "greater":
            pvalue = p_greater()
        else:
            pvalue = min(1.0, 2 * min(p_less(), p_greater()))

    return PermutationResult(
        statistic=observed,
        pvalue=float(pvalue),
        null_distribution=null_distribution,
        n_resamples=n_evaluated,
        exact=exact,
        alternative=alternative,
    )
