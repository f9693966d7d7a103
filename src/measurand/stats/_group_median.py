"""Bootstrap of the median of a variable within each of two classes, in O(resamples) draws.

A bootstrap resample draws ``n`` examples with replacement from ``n`` examples, each carrying its
value and its class. Within one class only two things about a resample matter:

1. how many of its draws fall in the class, ``k`` — ``Binomial(n, n_c / n)`` unstratified (the two
   classes' counts add up to ``n``, so both medians come from the same resamples), and exactly
   ``n_c`` when resampling within each class (stratified);
2. given ``k``, the class's draws are ``k`` independent draws from its ``n_c`` sorted values
   ``v_1 <= ... <= v_(n_c)``, i.e. ``v_ceil(n_c U_i)`` for ``k`` uniforms ``U_i``. The map is
   monotone, so the ``j``-th smallest draw is ``v_ceil(n_c U_(j))``, and the uniform order
   statistic ``U_(j)`` is ``Beta(j, k - j + 1)`` (David & Nagaraja, *Order Statistics*, 2003,
   §2.2). For an even ``k`` the median also needs ``U_(j+1)``; given ``U_(j) = u`` the other
   ``k - j`` uniforms are uniform on ``(u, 1)`` and their minimum is ``u + (1 - u) Beta(1, k - j)``.

So each resample costs one binomial and one or two beta variates per class instead of ``n``
index draws and a sort: the draws have exactly the distribution of the resampled medians of
the classic bootstrap (Efron 1979), at any ``n``. The tests compare the distribution with a
brute-force bootstrap. BCa's acceleration uses the exact leave-one-out medians (dropping a
member of the other class leaves a class median unchanged; dropping the member at sorted
position ``i`` shifts the middle positions by one when they lie at or above ``i``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from measurand._result import ConfidenceInterval
from measurand.errors import DegenerateDataWarning
from measurand.stats import _validate
from measurand.stats._resampling import (
    BootstrapResult,
    bootstrap_interval,
    jackknife_acceleration,
)
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["bootstrap_group_medians"]

# Resamples handled per chunk: a few arrays of this many float64 (about 8 MB each).
_ROWS_PER_CHUNK = 1_000_000


def _median_of_draws(
    sorted_values: np.ndarray, k: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Median of ``k[r]`` draws with replacement from ``sorted_values``, one per entry of ``k``
    (NaN where ``k[r] == 0``), sampled through the uniform order statistics."""
    n_values = sorted_values.size
    medians = np.full(k.size, np.nan)
    valid = np.flatnonzero(k > 0)
    kk = k[valid].astype(np.float64)
    lower = np.floor((kk + 1) / 2)  # 1-based position of the lower middle draw
    u_low = rng.beta(lower, kk - lower + 1)
    u_high = u_low.copy()
    even = np.flatnonzero(k[valid] % 2 == 0)
    gap = rng.beta(1.0, kk[even] - lower[even])
    u_high[even] = u_low[even] + (1.0 - u_low[even]) * gap
    low_index = np.clip(np.ceil(u_low * n_values).astype(np.int64) - 1, 0, n_values - 1)
    high_index = np.clip(np.ceil(u_high * n_values).astype(np.int64) - 1, 0, n_values - 1)
    # Halving each term first cannot overflow near the float64 maximum.
    medians[valid] = 0.5 * sorted_values[low_index] + 0.5 * sorted_values[high_index]
    return medians


def _leave_one_out_medians(sorted_values: np.ndarray) -> np.ndarray:
    """Median of ``sorted_values`` without its ``i``-th element, for every ``i`` (NaN if n = 1)."""
    n_values = sorted_values.size
    if n_values < 2:
        return np.full(n_values, np.nan)
    remaining = n_values - 1
    dropped = np.arange(n_values)
    middle = []
    for position in ((remaining - 1) // 2, remaining // 2):
        middle.append(
            np.where(
                position < dropped,
                sorted_values[position],
                sorted_values[min(position + 1, n_values - 1)],
            )
        )
    return 0.5 * middle[0] + 0.5 * middle[1]


def _sorted_median(sorted_values: np.ndarray) -> float:
    """``numpy.median`` of sorted values, halving before adding so that it cannot overflow."""
    n_values = sorted_values.size
    return float(0.5 * sorted_values[(n_values - 1) // 2] + 0.5 * sorted_values[n_values // 2])


def _standard_deviation(values: np.ndarray) -> float:
    """Sample standard deviation (ddof 1), scaled by the largest magnitude against overflow."""
    if values.size < 2:
        return math.nan
    scale = float(np.max(np.abs(values)))
    if scale == 0.0 or not math.isfinite(scale):
        return float(np.std(values, ddof=1)) if scale == 0.0 else math.nan
    return float(np.std(values / scale, ddof=1)) * scale


def _interval(
    distribution: np.ndarray,
    statistic: float,
    jackknife: np.ndarray,
    method: str,
    confidence_level: float,
    n_resamples: int,
) -> BootstrapResult:
    valid = distribution[~np.isnan(distribution)]
    low = high = math.nan
    if valid.size == 0:
        warnings.warn(
            f"all {n_resamples} bootstrap resamples gave a NaN statistic; the confidence "
            "interval is NaN",
            DegenerateDataWarning,
            stacklevel=3,
        )
    else:
        acceleration = jackknife_acceleration([jackknife]) if method == "bca" else 0.0
        interval = bootstrap_interval(
            valid, statistic, method, (1 - confidence_level) / 2, acceleration
        )
        if interval is None:
            warnings.warn(
                "the BCa confidence interval cannot be computed (NaN bias correction or "
                "acceleration: degenerate data or a statistic that is NaN on jackknife samples); "
                "the interval is NaN",
                DegenerateDataWarning,
                stacklevel=3,
            )
        else:
            low, high = interval
    return BootstrapResult(
        statistic=statistic,
        confidence_interval=ConfidenceInterval(low, high),
        standard_error=_standard_deviation(valid),
        bootstrap_distribution=valid,
        n_resamples=n_resamples,
        n_invalid=int(n_resamples - valid.size),
        method=method,
        confidence_level=confidence_level,
        alternative="two-sided",
    )


def bootstrap_group_medians(
    values: np.ndarray,
    label: np.ndarray,
    *,
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    method: str = "percentile",
    stratified: bool = False,
    seed: SeedLike = None,
) -> dict[bool, BootstrapResult | None]:
    """Bootstrap the median of ``values`` among ``label == True`` and among ``label == False``.

    Examples are resampled with their labels (``stratified``: within each class); both classes'
    medians come from the same resamples. Resamples without a member of a class give NaN and
    are counted in that class's ``n_invalid``. ``method`` is ``"percentile"``, ``"basic"`` or
    ``"bca"`` (the jackknife over all examples, as :func:`measurand.stats.bootstrap` with
    ``paired=True``). A class without members maps to ``None``. Cost: O(n log n) for the sort
    plus O(n_resamples), independent of ``n`` per resample.
    """
    values = np.asarray(values, dtype=np.float64)
    label = np.asarray(label).astype(bool)
    n_resamples = _validate.positive_int(n_resamples, "n_resamples")
    confidence_level = _validate.confidence_level(confidence_level)
    method = _validate.choice(method, "method", ("percentile", "basic", "bca"))
    rng = as_generator(seed)
    n_total = values.size
    classes = [np.sort(values[label == flag]) for flag in (True, False)]
    distributions = [np.empty(n_resamples) for _ in classes]
    for start in range(0, n_resamples, _ROWS_PER_CHUNK):
        rows = min(_ROWS_PER_CHUNK, n_resamples - start)
        if stratified:
            counts = [np.full(rows, members.size, dtype=np.int64) for members in classes]
        else:
            k_true = rng.binomial(n_total, classes[0].size / n_total if n_total else 0.0, rows)
            counts = [k_true, n_total - k_true]
        for members, k, distribution in zip(classes, counts, distributions, strict=True):
            if members.size:
                distribution[start : start + rows] = _median_of_draws(members, k, rng)
    results: dict[bool, BootstrapResult | None] = {}
    for flag, members, distribution in zip((True, False), classes, distributions, strict=True):
        if members.size == 0:
            results[flag] = None
            continue
        statistic = _sorted_median(members)
        jackknife = np.concatenate(
            [np.full(n_total - members.size, statistic), _leave_one_out_medians(members)]
        )
        results[flag] = _interval(
            distribution, statistic, jackknife, method, confidence_level, n_resamples
        )
    return results
