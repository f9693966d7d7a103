"""Exact and score methods for counts: binomial proportions, 2x2 tables, paired 2x2 tables.

Everything here takes plain integer counts (scalars) and returns a small frozen result object.

References
----------
- Clopper & Pearson (1934), Biometrika 26:404-413.
- Wilson (1927), JASA 22:209-212; Newcombe (1998a), Stat Med 17:857-872 (single proportion,
  methods 3 and 4); Newcombe (1998b), Stat Med 17:873-890 (difference, method 10).
- Fisher's exact test and the conditional maximum-likelihood odds ratio with its exact
  conditional interval follow R's ``fisher.test`` (Fay 2010, R Journal 2/1:53-58).
- McNemar's exact test: binomial test on the discordant pairs (as
  ``statsmodels.stats.contingency_tables.mcnemar(table, exact=True)``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from scipy import optimize, special, stats

from measurand._result import ConfidenceInterval, Result
from measurand.errors import InputError, NoSolutionError
from measurand.stats import _validate

Alternative = Literal["two-sided", "less", "greater"]

__all__ = [
    "FisherResult",
    "McNemarResult",
    "ProportionDifferenceResult",
    "ProportionResult",
    "clopper_pearson",
    "fisher_exact",
    "mcnemar_exact",
    "newcombe_difference",
    "wilson",
    "zero_event_upper_bound",
]


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------


def _deprecated_estimate(result: Any) -> float:
    warnings.warn(
        f"{type(result).__name__}.estimate is renamed .statistic (scipy's name); .estimate goes "
        "in the next release",
        DeprecationWarning,
        stacklevel=3,
    )
    return result.statistic


@dataclasses.dataclass(frozen=True)
class ProportionResult(Result):
    """A binomial proportion ``k / n`` with a confidence interval.

    ``method`` names the interval ("clopper-pearson", "wilson", "wilson-cc",
    "zero-event-exact-upper").
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    k: int
    n: int
    method: str
    confidence_level: float

    @property
    def estimate(self) -> float:
        """Deprecated name of :attr:`statistic` (removed in the next release)."""
        return _deprecated_estimate(self)


@dataclasses.dataclass(frozen=True)
class ProportionDifferenceResult(Result):
    """The difference ``p1 - p2`` of two independent proportions with a confidence interval."""

    statistic: float
    confidence_interval: ConfidenceInterval
    p1: float
    p2: float
    n1: int
    n2: int
    method: str

    @property
    def estimate(self) -> float:
        """Deprecated name of :attr:`statistic` (removed in the next release)."""
        return _deprecated_estimate(self)


@dataclasses.dataclass(frozen=True)
class FisherResult(Result):
    """Fisher's exact test on a 2x2 table.

    ``statistic`` is the conditional maximum-likelihood odds ratio (R's ``fisher.test``
    estimate); ``sample_odds_ratio`` is the unconditional ``a*d / (b*c)`` (which is what
    ``scipy.stats.fisher_exact`` reports as its statistic). ``table`` is ``((a, b), (c, d))``.
    """

    statistic: float
    pvalue: float
    confidence_interval: ConfidenceInterval
    sample_odds_ratio: float
    alternative: str
    table: tuple[tuple[int, int], tuple[int, int]]


@dataclasses.dataclass(frozen=True)
class McNemarResult(Result):
    """McNemar's exact test: ``statistic`` is ``min(b, c)``; ``b`` and ``c`` are the discordant
    counts."""

    statistic: int
    pvalue: float
    b: int
    c: int


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _count(value: object, name: str) -> int:
    """A non-negative integer count; integral floats (``3.0``) are accepted."""
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be a non-negative integer count, got the boolean {value!r}")
    if isinstance(value, numbers.Integral):
        result = int(value)
    elif isinstance(value, numbers.Real):
        as_float = float(value)
        if not math.isfinite(as_float) or as_float != math.floor(as_float):
            raise InputError(f"{name} must be a non-negative integer count, got {value!r}")
        result = int(as_float)
    else:
        raise InputError(
            f"{name} must be a non-negative integer count, got {type(value).__name__} {value!r}"
        )
    if result < 0:
        raise InputError(f"{name} must be a non-negative integer count, got {result}")
    return result


def _trials(k: object, n: object, k_name: str = "k", n_name: str = "n") -> tuple[int, int]:
    k_int = _count(k, k_name)
    n_int = _count(n, n_name)
    if n_int == 0:
        raise InputError(f"{n_name} must be at least 1 (a proportion of zero trials is undefined)")
    if k_int > n_int:
        raise InputError(f"{k_name}={k_int} exceeds the number of trials {n_name}={n_int}")
    return k_int, n_int


def _table_2x2(table: object, name: str = "table") -> tuple[int, int, int, int]:
    try:
        array = np.asarray(table, dtype=object)
    except Exception as exc:  # ragged nested sequences
        raise InputError(f"{name} must be a 2x2 table of counts: {exc}") from None
    if array.shape != (2, 2):
        raise InputError(f"{name} must be a 2x2 table of counts, got shape {array.shape}")
    a, b, c, d = (
        _count(array[i, j], f"{name}[{i}][{j}]") for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))
    )
    return a, b, c, d


# --------------------------------------------------------------------------------------------
# Single proportion
# --------------------------------------------------------------------------------------------


def clopper_pearson(
    k: int,
    n: int,
    *,
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> ProportionResult:
    """Exact (Clopper-Pearson) interval for a binomial proportion.

    With ``alpha = 1 - confidence_level`` the two-sided bounds are the beta quantiles

        low  = Beta.ppf(alpha/2,     k,     n - k + 1)   (0 when k == 0)
        high = Beta.ppf(1 - alpha/2, k + 1, n - k)       (1 when k == n)

    ``alternative="less"`` gives the one-sided ``[0, Beta.ppf(1 - alpha, k + 1, n - k)]`` and
    ``"greater"`` gives ``[Beta.ppf(alpha, k, n - k + 1), 1]``. Same numbers as
    ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` and statsmodels
    ``proportion_confint(k, n, method="beta")``.
    """
    k, n = _trials(k, n)
    level = _validate.confidence_level(confidence_level)
    alternative = _validate.alternative(alternative)
    alpha = 1.0 - level
    tail = alpha / 2.0 if alternative == "two-sided" else alpha
    low = 0.0
    high = 1.0
    if alternative != "less" and k > 0:
        low = float(stats.beta.ppf(tail, k, n - k + 1))
    if alternative != "greater" and k < n:
        high = float(stats.beta.isf(tail, k + 1, n - k))
    return ProportionResult(
        statistic=k / n,
        confidence_interval=ConfidenceInterval(low, high),
        k=k,
        n=n,
        method="clopper-pearson",
        confidence_level=level,
    )


def zero_event_upper_bound(n: int, *, confidence_level: float = 0.95) -> ProportionResult:
    """Exact one-sided upper bound on a rate when 0 events were seen in ``n`` trials.

    The interval is ``[0, 1 - alpha**(1/n)]`` with ``alpha = 1 - confidence_level``: the largest
    rate ``p`` for which seeing zero events, ``(1 - p)**n``, still has probability ``>= alpha``.
    It equals the one-sided Clopper-Pearson upper bound at ``k = 0``
    (``clopper_pearson(0, n, alternative="less")``) and is the exact form of the "rule of
    three" (``3/n`` at 95%). Example: ``n = 254`` gives ``0.01173``.
    """
    n_int = _count(n, "n")
    if n_int == 0:
        raise InputError("n must be at least 1 (a bound from zero trials is undefined)")
    level = _validate.confidence_level(confidence_level)
    # -expm1(log(alpha)/n) keeps full precision when the bound is tiny (large n).
    high = float(-math.expm1(math.log1p(-level) / n_int))
    return ProportionResult(
        statistic=0.0,
        confidence_interval=ConfidenceInterval(0.0, high),
        k=0,
        n=n_int,
        method="zero-event-exact-upper",
        confidence_level=level,
    )


def _wilson_bounds(k: int, n: int, z: float, correction: bool) -> tuple[float, float]:
    p = k / n
    q = 1.0 - p
    z2 = z * z
    denom = 2.0 * (n + z2)
    centre = (2.0 * n * p + z2) / denom
    if correction:
        # Newcombe (1998a) method 4; the square roots are non-negative for 0 < k < n.
        if k == 0:
            low = 0.0
        else:
            root = math.sqrt(z2 - 2.0 - 1.0 / n + 4.0 * p * (n * q + 1.0))
            low = centre - (1.0 + z * root) / denom
        if k == n:
            high = 1.0
        else:
            root = math.sqrt(z2 + 2.0 - 1.0 / n + 4.0 * p * (n * q - 1.0))
            high = centre + (1.0 + z * root) / denom
    else:
        half_width = z * math.sqrt(4.0 * n * p * q + z2) / denom
        low = 0.0 if k == 0 else centre - half_width
        high = 1.0 if k == n else centre + half_width
    return max(0.0, low), min(1.0, high)


def wilson(
    k: int, n: int, *, confidence_level: float = 0.95, correction: bool = False
) -> ProportionResult:
    """Wilson score interval for a binomial proportion (two-sided).

    With ``p = k/n``, ``q = 1 - p`` and ``z = Phi^{-1}(1 - alpha/2)``:

        (2np + z^2 -+ z sqrt(z^2 + 4npq)) / (2(n + z^2))

    (Newcombe 1998a, method 3). ``correction=True`` applies the continuity correction of
    Newcombe's method 4:

        low  = (2np + z^2 - 1 - z sqrt(z^2 - 2 - 1/n + 4p(nq + 1))) / (2(n + z^2))
        high = (2np + z^2 + 1 + z sqrt(z^2 + 2 - 1/n + 4p(nq - 1))) / (2(n + z^2))

    with ``low = 0`` when ``k = 0`` and ``high = 1`` when ``k = n``. Matches statsmodels
    ``proportion_confint(method="wilson")`` and scipy ``binomtest(...).proportion_ci`` with
    ``method="wilson"`` / ``"wilsoncc"``.
    """
    k, n = _trials(k, n)
    level = _validate.confidence_level(confidence_level)
    z = float(special.ndtri(0.5 + 0.5 * level))
    low, high = _wilson_bounds(k, n, z, bool(correction))
    return ProportionResult(
        statistic=k / n,
        confidence_interval=ConfidenceInterval(low, high),
        k=k,
        n=n,
        method="wilson-cc" if correction else "wilson",
        confidence_level=level,
    )


def newcombe_difference(
    k1: int, n1: int, k2: int, n2: int, *, confidence_level: float = 0.95
) -> ProportionDifferenceResult:
    """Newcombe's hybrid score interval for ``p1 - p2`` (Newcombe 1998b, method 10).

    With Wilson intervals ``(l1, u1)`` and ``(l2, u2)`` for each proportion and ``d = p1 - p2``:

        low  = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    Newcombe's Table II example, 56/70 vs 48/80, gives ``0.2`` with ``(0.0524, 0.3339)``.
    Matches statsmodels ``confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")``.
    """
    k1, n1 = _trials(k1, n1, "k1", "n1")
    k2, n2 = _trials(k2, n2, "k2", "n2")
    level = _validate.confidence_level(confidence_level)
    z = float(special.ndtri(0.5 + 0.5 * level))
    p1, p2 = k1 / n1, k2 / n2
    low1, high1 = _wilson_bounds(k1, n1, z, False)
    low2, high2 = _wilson_bounds(k2, n2, z, False)
    difference = p1 - p2
    low = difference - math.hypot(p1 - low1, high2 - p2)
    high = difference + math.hypot(high1 - p1, p2 - low2)
    return ProportionDifferenceResult(
        statistic=difference,
        confidence_interval=ConfidenceInterval(max(-1.0, low), min(1.0, high)),
        p1=p1,
        p2=p2,
        n1=n1,
        n2=n2,
        method="newcombe-hybrid-score",
    )


# --------------------------------------------------------------------------------------------
# Fisher's exact test
# --------------------------------------------------------------------------------------------

# R's fisher.test counts outcomes as "as extreme" when their probability is within this
# relative tolerance of the observed one, so ties survive floating-point rounding.
_FISHER_RELATIVE_TOLERANCE = 1e-7
# |log odds ratio| beyond which the conditional distribution is a point mass in double
# precision; brackets never need to reach this far.
_LOG_ODDS_LIMIT = 1e4


def _log_sum_exp(values: np.ndarray) -> float:
    # Plain numpy: scipy.special.logsumexp's generality costs ~10x on long supports.
    largest = float(np.max(values))
    return largest + math.log(float(np.sum(np.exp(values - largest))))


class _NoncentralHypergeometric:
    """Fisher's noncentral hypergeometric distribution of the top-left cell given the margins.

    Parameterised by ``theta = log(odds ratio)`` and evaluated in log space, so extreme odds
    ratios neither overflow nor lose their tails.
    """

    def __init__(self, a: int, b: int, c: int, d: int) -> None:
        column1, column2, row1 = a + c, b + d, a + b
        self.low = max(0, row1 - column2)
        self.high = min(row1, column1)
        self.support = np.arange(self.low, self.high + 1, dtype=float)
        self.log_central = stats.hypergeom.logpmf(self.support, column1 + column2, column1, row1)

    def log_weights(self, theta: float) -> np.ndarray:
        weights = self.log_central + theta * self.support
        return weights - _log_sum_exp(weights)

    def mean(self, theta: float) -> float:
        return float(np.sum(self.support * np.exp(self.log_weights(theta))))

    def tail(self, x: int, theta: float, *, upper: bool) -> float:
        """``P(X >= x)`` if ``upper`` else ``P(X <= x)``."""
        log_weights = self.log_weights(theta)
        mask = self.support >= x if upper else self.support <= x
        return math.exp(min(0.0, _log_sum_exp(log_weights[mask])))


def _solve_increasing_in_theta(function: Callable[[float], float]) -> float:
    """Root in ``theta`` of an increasing function whose sign changes somewhere on the line."""
    width = 1.0
    while function(width) < 0.0:
        width *= 2.0
        if width > _LOG_ODDS_LIMIT:  # pragma: no cover - guarded by the support checks
            raise NoSolutionError("conditional odds-ratio equation has no finite root")
    low_end = -1.0
    while function(low_end) > 0.0:
        low_end *= 2.0
        if low_end < -_LOG_ODDS_LIMIT:  # pragma: no cover - guarded by the support checks
            raise NoSolutionError("conditional odds-ratio equation has no finite root")
    if function(width) == 0.0:
        return width
    if function(low_end) == 0.0:
        return low_end
    return float(optimize.brentq(function, low_end, width, xtol=1e-13, rtol=1e-15, maxiter=500))


def _conditional_mle(dist: _NoncentralHypergeometric, x: int) -> float:
    if x == dist.low:
        return 0.0
    if x == dist.high:
        return math.inf
    theta = _solve_increasing_in_theta(lambda t: dist.mean(t) - x)
    return math.exp(theta)


def _conditional_upper(dist: _NoncentralHypergeometric, x: int, alpha: float) -> float:
    """Largest odds ratio with ``P(X <= x) >= alpha`` (R's ``ncp.U``)."""
    if x == dist.high:
        return math.inf
    theta = _solve_increasing_in_theta(lambda t: alpha - dist.tail(x, t, upper=False))
    return math.exp(theta)


def _conditional_lower(dist: _NoncentralHypergeometric, x: int, alpha: float) -> float:
    """Smallest odds ratio with ``P(X >= x) >= alpha`` (R's ``ncp.L``)."""
    if x == dist.low:
        return 0.0
    theta = _solve_increasing_in_theta(lambda t: dist.tail(x, t, upper=True) - alpha)
    return math.exp(theta)


def fisher_exact(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    alternative: Alternative = "two-sided",
    confidence_level: float = 0.95,
) -> FisherResult:
    """Fisher's exact test for a 2x2 table ``[[a, b], [c, d]]``, as R's ``fisher.test``.

    Conditioning on the margins, ``X = a`` follows Fisher's noncentral hypergeometric
    distribution with odds ratio ``psi``. Under ``H0: psi = 1``:

    - two-sided p-value: the sum of ``P(X = x)`` over outcomes with
      ``P(X = x) <= P(X = a) * (1 + 1e-7)`` (R and scipy);
    - ``"less"``: ``P(X <= a)``; ``"greater"``: ``P(X >= a)``.

    ``statistic`` is the conditional maximum-likelihood estimate of ``psi`` (solves
    ``E_psi[X] = a``; 0 when ``a`` is at the bottom of its support, ``inf`` at the top). The
    confidence interval inverts the two one-sided exact tests (``P_psi(X >= a) = alpha/2`` and
    ``P_psi(X <= a) = alpha/2`` for two-sided; ``[0, U]`` for "less" and ``[L, inf]`` for
    "greater" with the full ``alpha``), with the lower end 0 when ``a`` is at the bottom of its
    support and the upper end ``inf`` at the top, as in R. The roots are found in
    ``log(psi)`` to full double precision, so they agree with
    ``scipy.stats.contingency.odds_ratio(table, kind="conditional")`` to ~1e-9 and with R's
    printed values only to R's ``uniroot`` tolerance (about 1e-4 relative, worse for large
    upper ends). If a margin is zero the odds ratio is undetermined: ``statistic`` is ``nan``,
    the interval is ``(0, inf)`` and the p-value is 1 (as scipy).

    Example: the tea-tasting table ``[[3, 1], [1, 3]]`` gives p = 0.4857, conditional MLE
    6.4083, 95% interval (0.2117, 626.24).
    """
    a, b, c, d = _table_2x2(table)
    alternative = _validate.alternative(alternative)
    level = _validate.confidence_level(confidence_level)

    if b * c > 0:
        sample_odds_ratio = (a * d) / (b * c)
    elif a * d > 0:
        sample_odds_ratio = math.inf
    else:
        sample_odds_ratio = math.nan

    table_tuple = ((a, b), (c, d))
    dist = _NoncentralHypergeometric(a, b, c, d)
    if dist.low == dist.high:
        return FisherResult(
            statistic=math.nan,
            pvalue=1.0,
            confidence_interval=ConfidenceInterval(0.0, math.inf),
            sample_odds_ratio=sample_odds_ratio,
            alternative=alternative,
            table=table_tuple,
        )

    population, column1, row1 = a + b + c + d, a + c, a + b
    if alternative == "less":
        pvalue = float(stats.hypergeom.cdf(a, population, column1, row1))
    elif alternative == "greater":
        pvalue = float(stats.hypergeom.sf(a - 1, population, column1, row1))
    else:
        log_pmf = dist.log_central
        observed = log_pmf[a - dist.low]
        as_extreme = log_pmf <= observed + math.log1p(_FISHER_RELATIVE_TOLERANCE)
        pvalue = math.exp(_log_sum_exp(log_pmf[as_extreme]))
    pvalue = min(1.0, pvalue)

    alpha = 1.0 - level
    if alternative == "less":
        interval = ConfidenceInterval(0.0, _conditional_upper(dist, a, alpha))
    elif alternative == "greater":
        interval = ConfidenceInterval(_conditional_lower(dist, a, alpha), math.inf)
    else:
        interval = ConfidenceInterval(
            _conditional_lower(dist, a, alpha / 2.0), _conditional_upper(dist, a, alpha / 2.0)
        )

    return FisherResult(
        statistic=_conditional_mle(dist, a),
        pvalue=pvalue,
        confidence_interval=interval,
        sample_odds_ratio=sample_odds_ratio,
        alternative=alternative,
        table=table_tuple,
    )


# --------------------------------------------------------------------------------------------
# McNemar
# --------------------------------------------------------------------------------------------


def mcnemar_exact(
    table_or_b: Sequence[Sequence[int]] | np.ndarray | int, c: int | None = None
) -> McNemarResult:
    """McNemar's exact test for paired binary outcomes.

    Pass either the paired 2x2 table ``[[a, b], [c, d]]`` (rows: first rater/model
    correct/incorrect, columns: second) or the two discordant counts ``(b, c)``. Under H0 the
    ``b`` discordant pairs of one kind among ``b + c`` are ``Binomial(b + c, 1/2)``; the two-sided
    p-value is ``min(1, 2 * P(X <= min(b, c)))`` (statsmodels ``mcnemar(table, exact=True)``).
    With no discordant pairs the p-value is 1.
    """
    if c is None:
        if np.ndim(table_or_b) == 0:
            raise InputError(
                "mcnemar_exact needs a 2x2 table or both discordant counts b and c; "
                "got a single number"
            )
        _, b_count, c_count, _ = _table_2x2(table_or_b)
    else:
        if np.ndim(table_or_b) != 0:
            raise InputError("pass either a 2x2 table alone or two discordant counts (b, c)")
        b_count = _count(table_or_b, "b")
        c_count = _count(c, "c")
    smaller = min(b_count, c_count)
    pvalue = min(1.0, 2.0 * float(stats.binom.cdf(smaller, b_count + c_count, 0.5)))
    return McNemarResult(statistic=smaller, pvalue=pvalue, b=b_count, c=c_count)
