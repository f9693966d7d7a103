"""Tests for measurand.stats._effect: Cohen's d, Hedges' g, Cohen's d_z with noncentral-t CIs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special, stats
from statsmodels.stats.meta_analysis import effectsize_smd

from measurand.errors import InputError
from measurand.stats import EffectSizeResult, cohens_d, cohens_dz, hedges_g


def _samples(seed: int, n1: int, n2: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(shift, 1.0, n1), rng.normal(0.0, 1.3, n2)


CASES = [(0, 20, 25, 0.5), (1, 5, 7, 1.5), (2, 2, 2, -0.3), (3, 200, 150, 0.1), (4, 40, 3, 2.0)]


@pytest.mark.parametrize(("seed", "n1", "n2", "shift"), CASES)
def test_cohens_d_matches_direct_formula_statsmodels_and_t_statistic(
    seed: int, n1: int, n2: int, shift: float
) -> None:
    x, y = _samples(seed, n1, n2, shift)
    result = cohens_d(x, y)
    assert isinstance(result, EffectSizeResult)
    pooled_sd = math.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
    assert result.statistic == pytest.approx((x.mean() - y.mean()) / pooled_sd, rel=1e-12)
    # statsmodels returns the approximately bias-corrected smd; undo its factor.
    smd_bc, _ = effectsize_smd(x.mean(), x.std(ddof=1), n1, y.mean(), y.std(ddof=1), n2)
    assert result.statistic == pytest.approx(smd_bc / (1 - 3 / (4 * (n1 + n2) - 9)), rel=1e-12)
    # d * sqrt(n1 n2 / (n1 + n2)) is the pooled two-sample t statistic.
    t_statistic = stats.ttest_ind(x, y).statistic
    assert result.statistic * math.sqrt(n1 * n2 / (n1 + n2)) == pytest.approx(
        t_statistic, rel=1e-12
    )
    assert (result.n1, result.n2, result.df, result.method) == (n1, n2, n1 + n2 - 2, "cohens_d")


@pytest.mark.parametrize(("seed", "n1", "n2", "shift"), CASES)
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_cohens_d_interval_inverts_the_noncentral_t(
    seed: int, n1: int, n2: int, shift: float, level: float
) -> None:
    x, y = _samples(seed, n1, n2, shift)
    result = cohens_d(x, y, confidence_level=level)
    scale = math.sqrt(n1 * n2 / (n1 + n2))
    df = n1 + n2 - 2
    t_observed = result.statistic * scale
    alpha = 1 - level
    low, high = result.confidence_interval
    assert low < result.statistic < high
    # Defining identities (scipy's noncentral t).
    assert stats.nct.cdf(t_observed, df, low * scale) == pytest.approx(1 - alpha / 2, rel=1e-9)
    assert stats.nct.cdf(t_observed, df, high * scale) == pytest.approx(alpha / 2, rel=1e-7)
    # Independent inversion: cdflib's nctdtrinc (its own tolerance is ~1e-5 relative).
    assert low == pytest.approx(special.nctdtrinc(df, 1 - alpha / 2, t_observed) / scale, rel=1e-4)
    assert high == pytest.approx(special.nctdtrinc(df, alpha / 2, t_observed) / scale, rel=1e-4)


def test_cohens_d_interval_at_zero_effect_is_symmetric() -> None:
    # With t = 0 the noncentral t inversion is symmetric: ncp bounds are -/+ the same value,
    # and for large df close to the normal +-1.96 / scale (scale = sqrt(n1 n2 / (n1 + n2))).
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([4.0, 3.0, 2.0, 1.0])
    result = cohens_d(x, y)
    assert result.statistic == 0.0
    assert result.confidence_interval.low == pytest.approx(-result.confidence_interval.high)
    big = np.tile([-1.0, 1.0], 5000)
    wide = cohens_d(big, -big)
    assert wide.confidence_interval.high == pytest.approx(1.959964 / math.sqrt(5000), rel=1e-3)


@pytest.mark.parametrize(("seed", "n1", "n2", "shift"), CASES)
def test_hedges_g_is_exact_j_times_d(seed: int, n1: int, n2: int, shift: float) -> None:
    x, y = _samples(seed, n1, n2, shift)
    d = cohens_d(x, y)
    g = hedges_g(x, y)
    df = n1 + n2 - 2
    # Gamma(df/2) / Gamma((df-1)/2) is the Pochhammer symbol ((df-1)/2)_{1/2} (no overflow).
    correction = special.poch((df - 1) / 2, 0.5) / math.sqrt(df / 2)
    assert g.statistic == pytest.approx(correction * d.statistic, rel=1e-12)
    assert g.confidence_interval == pytest.approx(
        (correction * d.confidence_interval.low, correction * d.confidence_interval.high),
        rel=1e-12,
    )
    assert g.method == "hedges_g"
    # statsmodels uses the approximation J ~ 1 - 3 / (4 df - 1), good to O(df^-2).
    smd_bc, _ = effectsize_smd(x.mean(), x.std(ddof=1), n1, y.mean(), y.std(ddof=1), n2)
    assert g.statistic == pytest.approx(smd_bc, rel=2.0 / df**2)


def test_hedges_correction_known_values() -> None:
    # J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)); J(2) = 1/sqrt(pi) exactly.
    x = np.array([0.0, 2.0])
    y = np.array([1.0, 1.5])
    assert hedges_g(x, y).statistic == pytest.approx(cohens_d(x, y).statistic / math.sqrt(math.pi))


@pytest.mark.parametrize(("seed", "n", "shift"), [(0, 12, 0.4), (1, 2, 1.0), (2, 300, -0.2)])
def test_cohens_dz_matches_paired_t(seed: int, n: int, shift: float) -> None:
    rng = np.random.default_rng(seed)
    before = rng.normal(0.0, 1.0, n)
    after = before + rng.normal(shift, 0.5, n)
    result = cohens_dz(after, before)
    differences = after - before
    assert result.statistic == pytest.approx(
        differences.mean() / differences.std(ddof=1), rel=1e-12
    )
    t_statistic = stats.ttest_rel(after, before).statistic
    assert result.statistic * math.sqrt(n) == pytest.approx(t_statistic, rel=1e-12)
    assert cohens_dz(differences) == result
    assert (result.n1, result.n2, result.df, result.method) == (n, None, n - 1, "cohens_dz")
    low, high = result.confidence_interval
    t_observed = result.statistic * math.sqrt(n)
    assert stats.nct.cdf(t_observed, n - 1, low * math.sqrt(n)) == pytest.approx(0.975, rel=1e-9)
    assert stats.nct.cdf(t_observed, n - 1, high * math.sqrt(n)) == pytest.approx(0.025, rel=1e-7)
    assert low == pytest.approx(
        special.nctdtrinc(n - 1, 0.975, t_observed) / math.sqrt(n), rel=1e-4
    )
    assert high == pytest.approx(
        special.nctdtrinc(n - 1, 0.025, t_observed) / math.sqrt(n), rel=1e-4
    )


def test_cohens_d_coverage_simulation() -> None:
    # The noncentral-t interval is exact under normality: ~95% of intervals cover delta.
    rng = np.random.default_rng(20240601)
    delta, sims = 0.8, 1500
    x = rng.normal(delta, 1.0, (sims, 8))
    y = rng.normal(0.0, 1.0, (sims, 12))
    covered = 0
    for row_x, row_y in zip(x, y, strict=True):
        low, high = cohens_d(row_x, row_y).confidence_interval
        covered += low <= delta <= high
    # Binomial standard error is 0.0056 at 1500 simulations; allow ~3 SE.
    assert 0.933 <= covered / sims <= 0.967


def test_cohens_dz_coverage_simulation() -> None:
    rng = np.random.default_rng(7)
    delta, sims = -0.5, 1000
    differences = rng.normal(delta, 1.0, (sims, 6))
    intervals = [cohens_dz(row).confidence_interval for row in differences]
    covered = sum(low <= delta <= high for low, high in intervals)
    assert 0.93 <= covered / sims <= 0.97


finite_values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    x=st.lists(finite_values, min_size=2, max_size=30),
    y=st.lists(finite_values, min_size=2, max_size=30),
    location=st.floats(-100, 100),
    scale=st.floats(0.1, 10),
)
def test_effect_size_properties(
    x: list[float], y: list[float], location: float, scale: float
) -> None:
    x_array, y_array = np.array(x), np.array(y)
    spread = math.sqrt(
        ((x_array.size - 1) * x_array.var(ddof=1) + (y_array.size - 1) * y_array.var(ddof=1))
        / (x_array.size + y_array.size - 2)
    )
    if spread == 0.0:
        with pytest.raises(InputError, match="undefined"):
            cohens_d(x_array, y_array)
        return
    assume(spread > 1e-6)  # near-degenerate spreads make the invariance checks ill-conditioned
    d = cohens_d(x_array, y_array)
    low, high = d.confidence_interval
    assert low <= d.statistic <= high
    # Invariant to a common affine change of units; swapping the groups flips the sign.
    moved = cohens_d(location + scale * x_array, location + scale * y_array)
    assert moved.statistic == pytest.approx(d.statistic, rel=1e-6, abs=1e-9)
    swapped = cohens_d(y_array, x_array)
    assert swapped.statistic == pytest.approx(-d.statistic, rel=1e-12, abs=1e-12)
    assert swapped.confidence_interval == pytest.approx((-high, -low), rel=1e-7, abs=1e-9)
    g = hedges_g(x_array, y_array)
    assert abs(g.statistic) <= abs(d.statistic)
    assert g.confidence_interval.low <= g.statistic <= g.confidence_interval.high


@settings(max_examples=60, deadline=None)
@given(
    differences=st.lists(finite_values, min_size=2, max_size=40),
    level=st.floats(0.5, 0.99),
)
def test_cohens_dz_properties(differences: list[float], level: float) -> None:
    array = np.array(differences)
    assume(array.std(ddof=1) > 1e-6)
    result = cohens_dz(array, confidence_level=level)
    low, high = result.confidence_interval
    assert low <= result.statistic <= high
    wider = cohens_dz(array, confidence_level=min(0.999, level + 0.005))
    assert wider.confidence_interval.low <= low + 1e-12
    assert wider.confidence_interval.high >= high - 1e-12
    mirrored = cohens_dz(-array, confidence_level=level)
    assert mirrored.confidence_interval == pytest.approx((-high, -low), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cohens_d([1.0], [1.0, 2.0]), "at least 2"),
        (lambda: cohens_d([1.0, 2.0], [3.0]), "at least 2"),
        (lambda: cohens_d([1.0, 1.0], [2.0, 2.0, 2.0]), "undefined"),
        (lambda: hedges_g([5.0, 5.0], [5.0, 5.0]), "undefined"),
        (lambda: cohens_d([1.0, np.nan, 2.0], [1.0, 2.0]), "NaN"),
        (lambda: cohens_d([[1.0, 2.0]], [1.0, 2.0]), "1-D"),
        (lambda: cohens_d([1.0, 2.0], [1.0, 3.0], confidence_level=0), "confidence_level"),
        (lambda: cohens_dz([1.0]), "at least 2"),
        (lambda: cohens_dz([1.0, 2.0], [1.0, 2.0]), "undefined"),
        (lambda: cohens_dz([1.0, 2.0, 3.0], [1.0, 2.0]), "equal lengths"),
        (lambda: cohens_d(["a", "b"], [1.0, 2.0]), "numbers"),
    ],
)
def test_invalid_input_raises(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


def test_result_serialises() -> None:
    result = cohens_dz([0.5, 1.0, 2.0])
    as_dict = result.to_dict()
    assert as_dict["n2"] is None
    assert as_dict["confidence_interval"] == pytest.approx(list(result.confidence_interval))
    assert as_dict["confidence_level"] == 0.95


def test_values_whose_squares_overflow_are_refused_not_turned_into_nan() -> None:
    # issue 10: values near ±1e308 gave all-NaN results with cohens_d -0.0
    with pytest.raises(InputError, match="overflow float64 when squared"):
        cohens_d([1e308, -1e308, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="complex"):
        cohens_d(np.array([1 + 1j, 2.0, 3.0]), [1.0, 2.0])
    assert math.isfinite(cohens_d([1e150, -1e150, 1.0], [1.0, 2.0, 3.0]).statistic)


def test_confidence_level_accepts_numpy_floats() -> None:
    result = cohens_d([1.0, 2.0, 3.0], [2.0, 3.0, 5.0], confidence_level=np.float32(0.9))
    assert result.confidence_level == pytest.approx(0.9)
