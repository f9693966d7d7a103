"""Standardised mean differences with exact (noncentral t) confidence intervals.

The interval for a standardised difference ``delta`` comes from inverting the noncentral t
distribution of the t statistic ``T = delta_hat * c`` (``c = sqrt(n1 n2 / (n1 + n2))`` for two
independent groups, ``sqrt(n)`` for paired data): the bounds are the noncentrality parameters
``ncp_low`` and ``ncp_high`` with

    nct.cdf(t_obs, df, ncp_low) = 1 - alpha/2,    nct.cdf(t_obs, df, ncp_high) = alpha/2,

divided by ``c`` (Steiger & Fouladi 1997; Cumming & Finch 2001). This is the interval given by
R's ``MBESS::ci.smd`` (two groups) and ``MBESS::ci.sm`` (paired differences).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from measurand._result import ConfidenceInterval, Result
from measurand.errors import InputError, NoSolutionError
from measurand.stats import _validate

__all__ = ["EffectSizeResult", "cohens_d", "cohens_dz", "hedges_g"]


@dataclasses.dataclass(frozen=True)
class EffectSizeResult(Result):
    """A standardised effect size with its noncentral-t confidence interval.

    ``method`` is "cohens_d", "hedges_g" or "cohens_dz"; ``n2`` is ``None`` for the paired
    ``cohens_dz`` (``n1`` is then the number of pairs); ``df`` is the t statistic's degrees of
    freedom.
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    n1: int
    n2: int | None
    df: int
    method: str
    confidence_level: float


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _sample(values: ArrayLike, name: str) -> np.ndarray:
    return _validate.real_vector(values, name, min_size=2, why=" to estimate a standard deviation")


# ---------------------------------------------------------------------------------------------
# Noncentral t inversion
# ---------------------------------------------------------------------------------------------


def nct_tail(x: float, df: float, ncp: float, *, upper: bool) -> float:
    """``P(T > x)`` (``upper``) or ``P(T <= x)`` for noncentral t, guarded against the NaN scipy
    returns deep in a tail (seen for df = 1).

    There the complement is usually finite; if neither is, the probability is a point mass on
    the side of ``ncp`` (the tail is many standard deviations away), which is accurate enough
    for root finding and power.
    """
    tail, complement = (stats.nct.sf, stats.nct.cdf) if upper else (stats.nct.cdf, stats.nct.sf)
    probability = float(tail(x, df, ncp))
    if math.isfinite(probability):
        return probability
    other = float(complement(x, df, ncp))
    if math.isfinite(other):
        return 1.0 - other
    return 1.0 if (ncp > x) == upper else 0.0


def _ncp_for_cdf(t_observed: float, df: float, probability: float) -> float:
    """The noncentrality ``ncp`` with ``nct.cdf(t_observed, df, ncp) == probability``.

    ``nct.cdf`` falls monotonically from 1 to 0 as ``ncp`` grows, so the root is unique; the
    bracket starts at ``t_observed`` and widens until it changes sign.
    """

    def excess(ncp: float) -> float:
        return nct_tail(t_observed, df, ncp, upper=False) - probability

    step = 2.0 + 0.1 * abs(t_observed)
    low, high = t_observed - step, t_observed + step
    for _ in range(200):
        if excess(low) > 0.0:
            break
        high, low = low, low - step
        step *= 2.0
    else:  # pragma: no cover - nct.cdf -> 1 as ncp -> -inf
        raise NoSolutionError("could not bracket the lower noncentrality parameter")
    for _ in range(200):
        if excess(high) < 0.0:
            break
        low, high = high, high + step
        step *= 2.0
    else:  # pragma: no cover - nct.cdf -> 0 as ncp -> +inf
        raise NoSolutionError("could not bracket the upper noncentrality parameter")
    return float(optimize.brentq(excess, low, high, xtol=1e-12, rtol=1e-13, maxiter=500))


def _noncentral_t_interval(
    t_observed: float, df: float, scale: float, level: float
) -> ConfidenceInterval:
    """Interval for ``delta = ncp / scale`` from the observed t statistic."""
    alpha = 1.0 - level
    ncp_low = _ncp_for_cdf(t_observed, df, 1.0 - alpha / 2.0)
    ncp_high = _ncp_for_cdf(t_observed, df, alpha / 2.0)
    return ConfidenceInterval(ncp_low / scale, ncp_high / scale)


def _hedges_correction(df: float) -> float:
    """Exact small-sample bias factor ``J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))``."""
    return math.exp(
        special.gammaln(df / 2.0) - 0.5 * math.log(df / 2.0) - special.gammaln((df - 1.0) / 2.0)
    )


def _two_group(
    x: ArrayLike, y: ArrayLike, confidence_level: float
) -> tuple[float, ConfidenceInterval, int, int, int, float]:
    x_array = _sample(x, "x")
    y_array = _sample(y, "y")
    level = _validate.confidence_level(confidence_level)
    n1, n2 = x_array.size, y_array.size
    df = n1 + n2 - 2
    pooled_variance = ((n1 - 1) * np.var(x_array, ddof=1) + (n2 - 1) * np.var(y_array, ddof=1)) / df
    mean_difference = float(np.mean(x_array) - np.mean(y_array))
    spread = float(np.sqrt(pooled_variance))
    # A spread that is rounding noise relative to the values behaves like zero variance.
    magnitude = max(float(np.max(np.abs(x_array))), float(np.max(np.abs(y_array))), 1e-300)
    if not spread > 1e-12 * magnitude:
        raise InputError(
            "both groups have zero variance (every value within each group is identical), so "
            "the standardised effect size is undefined"
        )
    d = mean_difference / spread
    scale = math.sqrt(n1 * n2 / (n1 + n2))
    interval = _noncentral_t_interval(d * scale, df, scale, level)
    return d, interval, n1, n2, df, level


def cohens_d(x: ArrayLike, y: ArrayLike, *, confidence_level: float = 0.95) -> EffectSizeResult:
    """Cohen's d for two independent samples, ``(mean(x) - mean(y)) / s_pooled``.

    ``s_pooled^2 = ((n1 - 1) s1^2 + (n2 - 1) s2^2) / (n1 + n2 - 2)`` (sample variances with
    ``ddof=1``). The confidence interval inverts the noncentral t distribution of
    ``t = d * sqrt(n1 n2 / (n1 + n2))`` with ``df = n1 + n2 - 2`` (as R's ``MBESS::ci.smd``):
    it is exact under normality with equal variances.

    Raises :class:`~measurand.errors.InputError` when a group has fewer than 2 values or the
    pooled variance is zero.
    """
    d, interval, n1, n2, df, level = _two_group(x, y, confidence_level)
    return EffectSizeResult(
        statistic=d,
        confidence_interval=interval,
        n1=n1,
        n2=n2,
        df=df,
        method="cohens_d",
        confidence_level=level,
    )


def hedges_g(x: ArrayLike, y: ArrayLike, *, confidence_level: float = 0.95) -> EffectSizeResult:
    """Hedges' g: Cohen's d times the exact bias correction ``J(df)``.

    ``J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df - 1)/2))`` with ``df = n1 + n2 - 2``
    (Hedges 1981), so that ``E[g] = delta`` under normality. The interval is the Cohen's d
    noncentral-t interval multiplied by the same ``J`` (the transformation is monotone).
    """
    d, interval, n1, n2, df, level = _two_group(x, y, confidence_level)
    correction = _hedges_correction(df)
    return EffectSizeResult(
        statistic=correction * d,
        confidence_interval=ConfidenceInterval(
            correction * interval.low, correction * interval.high
        ),
        n1=n1,
        n2=n2,
        df=df,
        method="hedges_g",
        confidence_level=level,
    )


def cohens_dz(
    x: ArrayLike, y: ArrayLike | None = None, *, confidence_level: float = 0.95
) -> EffectSizeResult:
    """Cohen's d_z for paired data: ``mean(diff) / sd(diff)`` with ``diff = x - y``.

    Pass the paired samples ``x`` and ``y`` or, with ``y=None``, the differences directly.
    ``sd`` uses ``ddof=1``. The interval inverts the noncentral t of
    ``t = d_z * sqrt(n)`` with ``df = n - 1`` (the one-sample/paired t statistic).
    """
    x_array = _sample(x, "x")
    if y is None:
        differences = x_array
    else:
        y_array = _sample(y, "y")
        if y_array.size != x_array.size:
            raise InputError(
                f"paired samples need equal lengths, got len(x)={x_array.size} and "
                f"len(y)={y_array.size}"
            )
        differences = x_array - y_array
    level = _validate.confidence_level(confidence_level)
    n = differences.size
    spread = float(np.std(differences, ddof=1))
    magnitude = max(float(np.max(np.abs(differences))), 1e-300)
    if not spread > 1e-12 * magnitude:
        raise InputError(
            "the paired differences have zero variance (all differences are identical), so "
            "the standardised effect size d_z is undefined"
        )
    dz = float(np.mean(differences)) / spread
    scale = math.sqrt(n)
    interval = _noncentral_t_interval(dz * scale, n - 1, scale, level)
    return EffectSizeResult(
        statistic=dz,
        confidence_interval=interval,
        n1=n,
        n2=None,
        df=n - 1,
        method="cohens_dz",
        confidence_level=level,
    )
