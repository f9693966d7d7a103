"""Power and sample size for t tests and the two-proportion z test.

Solve for whichever of effect size, sample size or power is left out, as R's
``power.t.test`` / ``power.prop.test`` and statsmodels' ``TTestIndPower`` / ``TTestPower``.
Roots are found to full double precision (R's ``uniroot`` stops at about 1e-4), and a request
that has no solution raises :class:`~measurand.errors.NoSolutionError` instead of returning a
clipped bracket end.

Two-sided tests: by default (``strict=False``, as R) the power counts only rejections in the
direction of the effect, ``P(T > c)``; ``strict=True`` adds the rejections in the opposite tail,
``P(T < -c)`` (R's ``strict=TRUE``; statsmodels always includes it). The difference is below
``alpha/2`` and negligible unless the effect is tiny.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy import optimize, special, stats

from measurand._result import Result
from measurand.errors import InputError, NoSolutionError
from measurand.stats import _validate
from measurand.stats._effect import nct_tail

__all__ = ["PowerResult", "power_proportions", "power_t_test"]

Alternative = Literal["two-sided", "less", "greater"]
TTestKind = Literal["two-sample", "paired", "one-sample"]
_T_KINDS = ("two-sample", "paired", "one-sample")

# Smallest n the t-test solver considers: below it the variance has no degrees of freedom
# worth the name (and scipy's noncentral t is unreliable for df << 1). R and statsmodels
# start their search at 2 as well.
_T_MIN_N = 2.0
# Largest n searched before declaring the requested power unattainable.
_MAX_N = 1e10
_XTOL = 1e-10
_RTOL = 1e-14


@dataclasses.dataclass(frozen=True)
class PowerResult(Result):
    """A power calculation; ``solved_for`` names the quantity that was computed.

    ``n`` is the sample size per group (two-sample t test, two proportions) or the number of
    observations / pairs (one-sample, paired). ``n_ceil`` is ``ceil(n)`` when ``n`` was solved
    for (the whole-unit sample size to plan for) and ``None`` otherwise. For the t test
    ``effect_size`` is the standardised difference (Cohen's d / d_z); for proportions it is
    ``p2 - p1`` and ``p1``, ``p2`` are filled in (``None`` for t tests).
    """

    effect_size: float
    n: float
    power: float
    alpha: float
    alternative: str
    kind: str
    solved_for: str
    n_ceil: int | None
    p1: float | None = None
    p2: float | None = None


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _exactly_one_missing(**values: object) -> str:
    missing = [name for name, value in values.items() if value is None]
    if len(missing) != 1:
        names = ", ".join(values)
        raise InputError(
            f"exactly one of {names} must be None (the quantity to solve for); "
            f"got {len(missing)} missing: {missing or 'none'}"
        )
    return missing[0]


def _target_power(power: object, alpha: float) -> float:
    target = _validate.open_unit(power, "power")
    if target <= alpha:
        raise NoSolutionError(
            f"requested power {target} does not exceed alpha {alpha}: a test has power alpha "
            "at no effect, so no effect size or sample size is needed to reach it"
        )
    return target


def _solve_increasing(
    function: Callable[[float], float], low: float, high: float, *, grow: bool, limit: float
) -> float | None:
    """Root of an increasing ``function`` in ``[low, ...]``; widens ``high`` (doubling) up to
    ``limit`` when ``grow``. Returns ``None`` when ``function`` never reaches 0."""
    f_high = function(high)
    while f_high < 0.0:
        if not grow or high >= limit:
            return None
        low, high = high, min(2.0 * high, limit)
        f_high = function(high)
    if f_high == 0.0:
        return high
    return float(optimize.brentq(function, low, high, xtol=_XTOL, rtol=_RTOL, maxiter=500))


# ---------------------------------------------------------------------------------------------
# t tests
# ---------------------------------------------------------------------------------------------


def _t_degrees_of_freedom(n: float, kind: str) -> float:
    return (n - 1.0) * (2.0 if kind == "two-sample" else 1.0)


def _t_power(
    effect_size: float, n: float, alpha: float, alternative: str, kind: str, strict: bool
) -> float:
    samples_per_df = 2.0 if kind == "two-sample" else 1.0
    df = _t_degrees_of_freedom(n, kind)
    ncp = effect_size * math.sqrt(n / samples_per_df)
    if alternative == "two-sided":
        critical = float(stats.t.isf(alpha / 2.0, df))
        ncp = abs(ncp)
        power = nct_tail(critical, df, ncp, upper=True)
        if strict:
            # P(T < -c | ncp) = P(T > c | -ncp) by the reflection T -> -T.
            power += nct_tail(critical, df, -ncp, upper=True)
        return min(1.0, power)
    critical = float(stats.t.isf(alpha, df))
    if alternative == "less":
        ncp = -ncp
    return nct_tail(critical, df, ncp, upper=True)


def power_t_test(
    *,
    effect_size: float | None = None,
    n: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    kind: TTestKind = "two-sample",
    strict: bool = False,
) -> PowerResult:
    """Power of a t test, or the sample size / effect size that gives a target power.

    Exactly one of ``effect_size``, ``n`` and ``power`` must be ``None``; it is solved for.
    ``effect_size`` is the standardised difference ``delta / sd`` (Cohen's d for
    ``kind="two-sample"``, d_z for ``"paired"`` and ``"one-sample"``). ``n`` is per group for
    the two-sample test, else the number of observations (pairs). With

        two-sample:          df = 2 (n - 1),  ncp = effect_size * sqrt(n / 2)
        one-sample / paired: df = n - 1,      ncp = effect_size * sqrt(n)

    the power is ``P(T' > t_{1-alpha/2, df})`` for two-sided tests with ``T'`` noncentral t
    (``ncp`` taken as ``|ncp|``), plus ``P(T' < -t_{1-alpha/2, df})`` when ``strict=True``;
    ``"greater"`` gives ``P(T' > t_{1-alpha, df})`` and ``"less"`` gives
    ``P(T' < -t_{1-alpha, df})`` (so a "less" effect is negative). This is R's
    ``power.t.test(n, delta, sd=1, sig.level, type, strict)`` (R's "one.sided" is "greater")
    and statsmodels' ``TTestIndPower`` / ``TTestPower`` with ``strict=True``.

    When solving for ``n`` the search starts at ``n = 2`` (as R and statsmodels); if ``n = 2``
    already reaches the target, ``n = 2`` is returned with its (higher) power. When solving
    for the effect size, the minimum detectable effect is positive, except for
    ``alternative="less"`` where it is negative.

    Raises :class:`~measurand.errors.NoSolutionError` when the request cannot be met: power
    at or below ``alpha``, an ``n`` giving fewer than 1 degree of freedom (``n < 2``, or
    ``n < 1.5`` per group for two samples), a zero or wrong-signed effect when solving for
    ``n``, or a power not reached by ``n = 1e10``.
    """
    solved_for = _exactly_one_missing(effect_size=effect_size, n=n, power=power)
    alpha_value = _validate.open_unit(alpha, "alpha")
    alternative = _validate.alternative(alternative)
    kind = _validate.choice(kind, "kind", _T_KINDS)
    strict = bool(strict)

    def power_at(effect: float, size: float) -> float:
        return _t_power(effect, size, alpha_value, alternative, kind, strict)

    n_ceil: int | None = None
    if solved_for == "power":
        effect = _validate.finite(effect_size, "effect_size")
        size = _t_sample_size(n, kind)
        result_power = power_at(effect, size)
    elif solved_for == "effect_size":
        size = _t_sample_size(n, kind)
        target = _target_power(power, alpha_value)
        sign = -1.0 if alternative == "less" else 1.0
        magnitude = _solve_increasing(
            lambda m: power_at(sign * m, size) - target, 0.0, 10.0, grow=True, limit=1e12
        )
        if magnitude is None:  # pragma: no cover - power -> 1 as the effect grows
            raise NoSolutionError(f"no effect size reaches power {target} with n={size}")
        effect = sign * magnitude
        result_power = target
    else:
        effect = _validate.finite(effect_size, "effect_size")
        target = _target_power(power, alpha_value)
        if effect == 0.0:
            raise NoSolutionError(
                "effect_size is 0: the power equals alpha (or alpha/2) whatever the sample "
                "size, so no n reaches the requested power"
            )
        if (alternative == "greater" and effect < 0) or (alternative == "less" and effect > 0):
            raise NoSolutionError(
                f"effect_size {effect} points away from alternative={alternative!r}: the power "
                "stays below alpha for every n"
            )
        if power_at(effect, _T_MIN_N) >= target:
            size = _T_MIN_N
            result_power = power_at(effect, size)
        else:
            root = _solve_increasing(
                lambda m: power_at(effect, m) - target,
                _T_MIN_N,
                2.0 * _T_MIN_N,
                grow=True,
                limit=_MAX_N,
            )
            if root is None:
                raise NoSolutionError(
                    f"power {target} is not reached for effect_size {effect} with n up to "
                    f"{_MAX_N:.0e}"
                )
            size = root
            result_power = target
        n_ceil = _ceil(size)
    return PowerResult(
        effect_size=effect,
        n=size,
        power=result_power,
        alpha=alpha_value,
        alternative=alternative,
        kind=kind,
        solved_for=solved_for,
        n_ceil=n_ceil,
    )


def _t_sample_size(n: object, kind: str) -> float:
    size = _validate.finite(n, "n")
    # Below one degree of freedom the t distribution has no mean and scipy's noncentral t is
    # unreliable; such an n is no real design either.
    if _t_degrees_of_freedom(size, kind) < 1.0:
        smallest = 1.5 if kind == "two-sample" else 2.0
        raise NoSolutionError(
            f"n={size} leaves fewer than 1 degree of freedom for the {kind} t test; "
            f"n must be at least {smallest}"
        )
    return size


def _ceil(size: float) -> int:
    # A root like 22.000000000001 is 22 up to solver tolerance, not 23.
    return math.ceil(size - 1e-9 * max(1.0, size))


# ---------------------------------------------------------------------------------------------
# Two proportions
# ---------------------------------------------------------------------------------------------


def _proportion_spreads(p1: float, p2: np.ndarray, pooled: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(s0, s1)``: the spread of ``sqrt(n) (phat2 - phat1)`` under H0 and under H1."""
    spread_alternative = np.sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2))
    if pooled:
        p_bar = (p1 + p2) / 2.0
        spread_null = np.sqrt(2.0 * p_bar * (1.0 - p_bar))
    else:
        spread_null = spread_alternative
    return spread_null, spread_alternative


def _proportions_power(
    p1: float,
    p2: float | np.ndarray,
    n: float,
    alpha: float,
    alternative: str,
    pooled: bool,
    strict: bool,
) -> np.ndarray:
    """Power for each ``p2`` (vectorised over ``p2`` so the p2 solver can scan a grid)."""
    second = np.asarray(p2, dtype=float)
    spread_null, spread_alternative = _proportion_spreads(p1, second, pooled)
    difference = second - p1
    root_n = math.sqrt(n)

    def upper_tail(shift: np.ndarray, critical: float) -> np.ndarray:
        return special.ndtr((root_n * shift - critical * spread_null) / spread_alternative)

    if alternative == "two-sided":
        critical = float(special.ndtri(1.0 - alpha / 2.0))
        power = upper_tail(np.abs(difference), critical)
        if strict:
            power = power + upper_tail(-np.abs(difference), critical)
        return np.minimum(1.0, power)
    critical = float(special.ndtri(1.0 - alpha))
    return upper_tail(difference if alternative == "greater" else -difference, critical)


def power_proportions(
    *,
    p1: float,
    p2: float | None = None,
    n: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    pooled: bool = True,
    strict: bool = False,
) -> PowerResult:
    """Power of the two-sample z test for proportions, or the ``n`` / ``p2`` for a target power.

    ``n`` is the size of each group; exactly one of ``p2``, ``n`` and ``power`` must be
    ``None``. With ``d = p2 - p1``, ``z = Phi^{-1}(1 - alpha/2)`` (two-sided) or
    ``Phi^{-1}(1 - alpha)`` (one-sided),

        s1 = sqrt(p1 q1 + p2 q2)                     (spread under the alternative)
        s0 = sqrt(2 pbar qbar), pbar = (p1 + p2)/2   (pooled=True: spread under H0)
        s0 = s1                                      (pooled=False)

        power = Phi((sqrt(n) |d| - z s0) / s1)

    (``d`` in place of ``|d|`` for ``alternative="greater"``, H1: p2 > p1, and ``-d`` for
    ``"less"``). ``pooled=True`` is exactly R's ``power.prop.test``; as in R the opposite
    rejection tail ``Phi((-sqrt(n) |d| - z s0) / s1)`` is added only when ``strict=True``,
    which then equals statsmodels' ``power_proportions_2indep``.

    Solving for ``p2`` returns the minimum detectable ``p2 > p1`` (``p2 < p1`` for
    ``alternative="less"``) and raises :class:`~measurand.errors.NoSolutionError` when no
    ``p2`` in that direction inside (0, 1) reaches the power. Solving for ``n`` uses the closed
    form ``n = ((z s0 + Phi^{-1}(power) s1) / |d|)^2`` (refined numerically when
    ``strict=True``).
    """
    solved_for = _exactly_one_missing(p2=p2, n=n, power=power)
    first = _validate.open_unit(p1, "p1")
    alpha_value = _validate.open_unit(alpha, "alpha")
    alternative = _validate.alternative(alternative)
    pooled, strict = bool(pooled), bool(strict)

    def power_at(second: float, size: float) -> float:
        return float(
            _proportions_power(first, second, size, alpha_value, alternative, pooled, strict)
        )

    n_ceil: int | None = None
    if solved_for == "power":
        second = _validate.open_unit(p2, "p2")
        size = _proportion_sample_size(n)
        result_power = power_at(second, size)
    elif solved_for == "p2":
        size = _proportion_sample_size(n)
        target = _target_power(power, alpha_value)
        second = _minimum_detectable_p2(
            first,
            target,
            alternative,
            lambda q: _proportions_power(first, q, size, alpha_value, alternative, pooled, strict),
        )
        result_power = target
    else:
        second = _validate.open_unit(p2, "p2")
        target = _target_power(power, alpha_value)
        difference = second - first
        if difference == 0.0:
            raise NoSolutionError("p1 equals p2: the power stays at alpha whatever the sample size")
        if (alternative == "greater" and difference < 0) or (
            alternative == "less" and difference > 0
        ):
            raise NoSolutionError(
                f"p2 - p1 = {difference} points away from alternative={alternative!r}: the "
                "power stays below alpha for every n"
            )
        size = _proportions_n_closed_form(first, second, target, alpha_value, alternative, pooled)
        if strict and alternative == "two-sided":
            # The extra tail only adds power, so the root lies below the non-strict n.
            root = _solve_increasing(
                lambda m: power_at(second, m) - target, 0.0, size, grow=False, limit=size
            )
            size = size if root is None else root
        result_power = target
        n_ceil = _ceil(size)
    return PowerResult(
        effect_size=second - first,
        n=size,
        power=result_power,
        alpha=alpha_value,
        alternative=alternative,
        kind="two-proportions",
        solved_for=solved_for,
        n_ceil=n_ceil,
        p1=first,
        p2=second,
    )


def _proportion_sample_size(n: object) -> float:
    size = _validate.finite(n, "n")
    if size <= 0.0:
        raise NoSolutionError(f"n must be positive, got {size}")
    return size


def _proportions_n_closed_form(
    p1: float, p2: float, target: float, alpha: float, alternative: str, pooled: bool
) -> float:
    spread_null, spread_alternative = (
        float(spread) for spread in _proportion_spreads(p1, np.asarray(p2), pooled)
    )
    tail = alpha / 2.0 if alternative == "two-sided" else alpha
    z_alpha = float(special.ndtri(1.0 - tail))
    z_power = float(special.ndtri(target))
    return ((z_alpha * spread_null + z_power * spread_alternative) / abs(p2 - p1)) ** 2


def _minimum_detectable_p2(
    p1: float, target: float, alternative: str, power_of: Callable[[np.ndarray], np.ndarray]
) -> float:
    """Smallest move of ``p2`` away from ``p1`` that reaches ``target`` power.

    Power need not be monotone in ``p2`` near the boundary, so a grid locates the first
    crossing before ``brentq`` refines it.
    """
    upward = alternative != "less"
    end = 1.0 if upward else 0.0
    grid = np.linspace(p1, end, 4097)[1:]
    excess = power_of(grid) - target
    reached = np.flatnonzero(excess >= 0.0)
    if reached.size == 0:
        direction = "above" if upward else "below"
        hint = " (alternative='less' searches below p1)" if alternative == "two-sided" else ""
        raise NoSolutionError(
            f"no p2 {direction} p1={p1} within (0, 1) reaches power {target}{hint}"
        )
    index = int(reached[0])
    if excess[index] == 0.0:
        return float(grid[index])
    previous = p1 if index == 0 else float(grid[index - 1])
    return float(
        optimize.brentq(
            lambda q: float(power_of(np.asarray(q))) - target,
            previous,
            float(grid[index]),
            xtol=1e-14,
            rtol=_RTOL,
            maxiter=500,
        )
    )
