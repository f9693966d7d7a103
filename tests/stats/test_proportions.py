"""Tests for measurand.stats._proportions against scipy, statsmodels and published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import odds_ratio
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from measurand.errors import InputError
from measurand.stats import (
    FisherResult,
    McNemarResult,
    ProportionDifferenceResult,
    ProportionResult,
    clopper_pearson,
    fisher_exact,
    mcnemar_exact,
    newcombe_difference,
    wilson,
    zero_event_upper_bound,
)

ALTERNATIVES = ("two-sided", "less", "greater")

# ---------------------------------------------------------------------------------------------
# Fisher's exact test
# ---------------------------------------------------------------------------------------------

FISHER_TABLES = [
    [[3, 1], [1, 3]],
    [[10, 2], [3, 15]],
    [[1, 9], [11, 3]],
    [[0, 5], [3, 3]],
    [[5, 0], [3, 3]],
    [[7, 0], [0, 9]],
    [[100, 2], [0, 150]],
    [[1000, 2000], [1500, 2600]],
    [[12, 5], [30, 1]],
    [[2, 31], [136, 15532]],
]


def test_fisher_tea_tasting_matches_r() -> None:
    # R: TeaTasting <- matrix(c(3, 1, 1, 3), nrow = 2); fisher.test(TeaTasting)
    #    p-value = 0.4857, odds ratio 6.408309 (R's uniroot tolerance is ~1e-4, so R's estimate
    #    is accurate to ~1e-6 relative only);
    #    fisher.test(TeaTasting, alternative = "greater"): p-value = 0.2429,
    #    95 percent confidence interval 0.3135693 Inf.
    result = fisher_exact([[3, 1], [1, 3]])
    assert isinstance(result, FisherResult)
    assert result.pvalue == pytest.approx(17 / 35, rel=1e-12)  # 0.4857 exactly
    assert result.statistic == pytest.approx(6.408309, rel=1e-5)
    assert result.sample_odds_ratio == 9.0
    assert result.table == ((3, 1), (1, 3))
    greater = fisher_exact([[3, 1], [1, 3]], alternative="greater")
    assert greater.pvalue == pytest.approx(17 / 70, rel=1e-12)  # 0.2429
    assert greater.confidence_interval.low == pytest.approx(0.3135693, rel=1e-4)
    assert greater.confidence_interval.high == math.inf
    less = fisher_exact([[3, 1], [1, 3]], alternative="less")
    assert less.confidence_interval.low == 0.0
    assert less.pvalue == pytest.approx(69 / 70, rel=1e-12)


@pytest.mark.parametrize("table", FISHER_TABLES)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_fisher_pvalue_matches_scipy(table: list[list[int]], alternative: str) -> None:
    expected = stats.fisher_exact(table, alternative=alternative).pvalue
    assert fisher_exact(table, alternative=alternative).pvalue == pytest.approx(
        expected, rel=1e-9, abs=1e-300
    )


@pytest.mark.parametrize("table", FISHER_TABLES)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_fisher_conditional_odds_ratio_matches_scipy(
    table: list[list[int]], alternative: str
) -> None:
    result = fisher_exact(table, alternative=alternative, confidence_level=0.9)
    reference = odds_ratio(table, kind="conditional")
    expected_ci = reference.confidence_interval(confidence_level=0.9, alternative=alternative)
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-8)
    assert result.confidence_interval.low == pytest.approx(expected_ci.low, rel=1e-7)
    assert result.confidence_interval.high == pytest.approx(expected_ci.high, rel=1e-7)


@pytest.mark.parametrize("table", [[[3, 1], [1, 3]], [[10, 2], [3, 15]], [[12, 5], [30, 1]]])
def test_fisher_interval_ends_solve_the_exact_tail_equations(table: list[list[int]]) -> None:
    # Independent check with scipy's noncentral hypergeometric: the two-sided 95% ends are the
    # odds ratios at which P(X >= a) and P(X <= a) equal alpha/2 = 0.025.
    (a, b), (c, d) = table
    low, high = fisher_exact(table).confidence_interval
    total, column1, row1 = a + b + c + d, a + c, a + b
    upper_tail = stats.nchypergeom_fisher.sf(a - 1, total, column1, row1, low)
    lower_tail = stats.nchypergeom_fisher.cdf(a, total, column1, row1, high)
    assert upper_tail == pytest.approx(0.025, rel=1e-6)
    assert lower_tail == pytest.approx(0.025, rel=1e-6)
    # The conditional MLE makes the observed cell the conditional mean.
    mle = fisher_exact(table).statistic
    assert stats.nchypergeom_fisher.mean(total, column1, row1, mle) == pytest.approx(a, rel=1e-8)


def test_fisher_zero_cells_follow_r_conventions() -> None:
    # a at the bottom of its support: MLE 0 and lower end 0; at the top: MLE and upper end inf.
    bottom = fisher_exact([[0, 5], [3, 3]])
    assert bottom.statistic == 0.0
    assert bottom.confidence_interval.low == 0.0
    assert 0 < bottom.confidence_interval.high < math.inf
    assert bottom.sample_odds_ratio == 0.0
    top = fisher_exact([[7, 0], [0, 9]])
    assert top.statistic == math.inf
    assert top.confidence_interval.high == math.inf
    assert top.sample_odds_ratio == math.inf


def test_fisher_empty_margin_gives_undetermined_odds_ratio() -> None:
    result = fisher_exact([[0, 5], [0, 3]])
    assert math.isnan(result.statistic)
    assert math.isnan(result.sample_odds_ratio)
    assert result.pvalue == 1.0
    assert result.confidence_interval == (0.0, math.inf)
    assert result.to_dict()["statistic"] is None


def test_fisher_rejects_bad_tables() -> None:
    with pytest.raises(InputError, match="2x2"):
        fisher_exact([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(InputError, match="non-negative integer"):
        fisher_exact([[1, -2], [3, 4]])
    with pytest.raises(InputError, match="non-negative integer"):
        fisher_exact([[1, 2.5], [3, 4]])
    with pytest.raises(InputError, match="alternative"):
        fisher_exact([[1, 2], [3, 4]], alternative="two.sided")
    with pytest.raises(InputError, match="confidence_level"):
        fisher_exact([[1, 2], [3, 4]], confidence_level=95)


small_counts = st.integers(min_value=0, max_value=25)


@settings(max_examples=60, deadline=None)
@given(
    a=small_counts,
    b=small_counts,
    c=small_counts,
    d=small_counts,
    alternative=st.sampled_from(ALTERNATIVES),
)
def test_fisher_property_matches_scipy(a: int, b: int, c: int, d: int, alternative: str) -> None:
    table = [[a, b], [c, d]]
    result = fisher_exact(table, alternative=alternative)
    assert result.pvalue == pytest.approx(
        stats.fisher_exact(table, alternative=alternative).pvalue, rel=1e-9, abs=1e-300
    )
    assert 0.0 <= result.pvalue <= 1.0
    low, high = result.confidence_interval
    assert 0.0 <= low <= high
    if not math.isnan(result.statistic):
        assert low <= result.statistic <= high
        reference = odds_ratio(table, kind="conditional")
        expected = reference.confidence_interval(alternative=alternative)
        assert result.statistic == pytest.approx(reference.statistic, rel=1e-7)
        assert low == pytest.approx(expected.low, rel=1e-6)
        assert high == pytest.approx(expected.high, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Clopper-Pearson and the zero-event bound
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 20), (10, 10), (1, 1), (57, 1000), (999, 1000)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_clopper_pearson_matches_scipy_and_statsmodels(k: int, n: int, level: float) -> None:
    result = clopper_pearson(k, n, confidence_level=level)
    assert isinstance(result, ProportionResult)
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    assert result.confidence_interval.low == pytest.approx(expected.low, rel=1e-10, abs=1e-15)
    assert result.confidence_interval.high == pytest.approx(expected.high, rel=1e-10)
    low, high = proportion_confint(k, n, alpha=1 - level, method="beta")
    assert result.confidence_interval.low == pytest.approx(low, rel=1e-10, abs=1e-15)
    assert result.confidence_interval.high == pytest.approx(high, rel=1e-10)
    assert result.estimate == k / n
    assert (result.k, result.n, result.method) == (k, n, "clopper-pearson")


@pytest.mark.parametrize("alternative", ["less", "greater"])
@pytest.mark.parametrize(("k", "n"), [(0, 30), (7, 30), (30, 30)])
def test_clopper_pearson_one_sided_matches_scipy(k: int, n: int, alternative: str) -> None:
    result = clopper_pearson(k, n, alternative=alternative)
    expected = stats.binomtest(k, n, alternative=alternative).proportion_ci(method="exact")
    assert result.confidence_interval.low == pytest.approx(expected.low, rel=1e-10, abs=1e-15)
    assert result.confidence_interval.high == pytest.approx(expected.high, rel=1e-10)


def test_clopper_pearson_exact_coverage_is_at_least_nominal() -> None:
    # Exact coverage: sum of Binomial(n, p) probabilities of the k whose interval covers p.
    n = 40
    intervals = np.array([clopper_pearson(k, n).confidence_interval for k in range(n + 1)])
    ks = np.arange(n + 1)
    for p in np.linspace(0.01, 0.99, 99):
        covers = (intervals[:, 0] <= p) & (p <= intervals[:, 1])
        coverage = stats.binom.pmf(ks[covers], n, p).sum()
        assert coverage >= 0.95 - 1e-12


def test_zero_event_upper_bound_values() -> None:
    result = zero_event_upper_bound(254)
    # 1 - 0.05 ** (1 / 254) = 0.011724942350669...
    assert result.confidence_interval.high == pytest.approx(0.0117249423506698, rel=1e-12)
    assert result.confidence_interval.low == 0.0
    assert (result.estimate, result.k, result.n) == (0.0, 0, 254)
    # Equal to the one-sided exact Clopper-Pearson bound at k = 0 (scipy).
    for n, level in [(1, 0.95), (254, 0.95), (3000, 0.99), (10**9, 0.9)]:
        bound = zero_event_upper_bound(n, confidence_level=level).confidence_interval.high
        expected = stats.binomtest(0, n, alternative="less").proportion_ci(
            confidence_level=level, method="exact"
        )
        assert bound == pytest.approx(expected.high, rel=1e-9)
    with pytest.raises(InputError, match="at least 1"):
        zero_event_upper_bound(0)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 500), data=st.data(), level=st.floats(0.5, 0.999))
def test_clopper_pearson_property(n: int, data: st.DataObject, level: float) -> None:
    k = data.draw(st.integers(0, n))
    result = clopper_pearson(k, n, confidence_level=level)
    low, high = result.confidence_interval
    assert 0.0 <= low <= k / n <= high <= 1.0
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    assert low == pytest.approx(expected.low, rel=1e-8, abs=1e-14)
    assert high == pytest.approx(expected.high, rel=1e-8, abs=1e-14)
    if k == 0:
        one_sided = clopper_pearson(0, n, confidence_level=level, alternative="less")
        zero = zero_event_upper_bound(n, confidence_level=level)
        assert zero.confidence_interval.high == pytest.approx(
            one_sided.confidence_interval.high, rel=1e-10
        )


# ---------------------------------------------------------------------------------------------
# Wilson
# ---------------------------------------------------------------------------------------------


def test_wilson_matches_newcombe_1998_table_i() -> None:
    # Newcombe (1998a) Stat Med 17:857, Table I, methods 3 (score) and 4 (score with
    # continuity correction), 95% intervals to 4 decimals.
    published = {
        (81, 263): ((0.2553, 0.3662), (0.2535, 0.3682)),
        (15, 148): ((0.0624, 0.1605), (0.0598, 0.1644)),
        (0, 20): ((0.0, 0.1611), (0.0, 0.2005)),
        (1, 29): ((0.0061, 0.1718), (0.0018, 0.1963)),
    }
    for (k, n), (score, corrected) in published.items():
        assert wilson(k, n).confidence_interval == pytest.approx(score, abs=5e-5)
        assert wilson(k, n, correction=True).confidence_interval == pytest.approx(
            corrected, abs=5e-5
        )


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 20), (10, 10), (1, 1), (1, 2), (57, 1000)])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_wilson_matches_statsmodels_and_scipy(k: int, n: int, level: float) -> None:
    result = wilson(k, n, confidence_level=level)
    low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
    assert result.confidence_interval == pytest.approx((low, high), rel=1e-12, abs=1e-15)
    scipy_ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert result.confidence_interval == pytest.approx(tuple(scipy_ci), rel=1e-12, abs=1e-15)
    corrected = wilson(k, n, confidence_level=level, correction=True)
    scipy_cc = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilsoncc")
    assert corrected.confidence_interval == pytest.approx(tuple(scipy_cc), rel=1e-12, abs=1e-15)
    assert corrected.method == "wilson-cc"


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 2000), data=st.data(), level=st.floats(0.5, 0.999))
def test_wilson_property(n: int, data: st.DataObject, level: float) -> None:
    k = data.draw(st.integers(0, n))
    plain = wilson(k, n, confidence_level=level)
    corrected = wilson(k, n, confidence_level=level, correction=True)
    low, high = plain.confidence_interval
    assert 0.0 <= low <= k / n <= high <= 1.0
    # The continuity correction only widens the interval.
    assert corrected.confidence_interval.low <= low + 1e-12
    assert corrected.confidence_interval.high >= high - 1e-12
    expected = proportion_confint(k, n, alpha=1 - level, method="wilson")
    assert plain.confidence_interval == pytest.approx(expected, rel=1e-9, abs=1e-14)


# ---------------------------------------------------------------------------------------------
# Newcombe's difference interval
# ---------------------------------------------------------------------------------------------


def test_newcombe_matches_published_table_ii() -> None:
    # Newcombe (1998b) Stat Med 17:873, Table II, method 10, 95% intervals to 4 decimals.
    published = {
        (56, 70, 48, 80): (0.0524, 0.3339),
        (9, 10, 3, 10): (0.1705, 0.8090),
        (5, 56, 0, 29): (-0.0381, 0.1926),
        (0, 10, 0, 20): (-0.1611, 0.2775),
        (0, 10, 0, 10): (-0.2775, 0.2775),
    }
    for counts, interval in published.items():
        result = newcombe_difference(*counts)
        assert result.confidence_interval == pytest.approx(interval, abs=5e-5)
    first = newcombe_difference(56, 70, 48, 80)
    assert isinstance(first, ProportionDifferenceResult)
    assert first.estimate == pytest.approx(0.2, abs=1e-15)
    assert (first.p1, first.p2, first.n1, first.n2) == (0.8, 0.6, 70, 80)


@pytest.mark.parametrize(
    "counts",
    [(56, 70, 48, 80), (9, 10, 3, 10), (0, 15, 15, 15), (7, 7, 0, 3), (123, 1000, 97, 900)],
)
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_newcombe_matches_statsmodels(counts: tuple[int, int, int, int], level: float) -> None:
    expected = confint_proportions_2indep(*counts, method="newcomb", alpha=1 - level)
    result = newcombe_difference(*counts, confidence_level=level)
    assert result.confidence_interval == pytest.approx(tuple(expected), rel=1e-10, abs=1e-14)


@settings(max_examples=80, deadline=None)
@given(n1=st.integers(1, 300), n2=st.integers(1, 300), data=st.data())
def test_newcombe_property(n1: int, n2: int, data: st.DataObject) -> None:
    k1 = data.draw(st.integers(0, n1))
    k2 = data.draw(st.integers(0, n2))
    result = newcombe_difference(k1, n1, k2, n2)
    low, high = result.confidence_interval
    assert -1.0 <= low <= result.estimate <= high <= 1.0
    expected = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")
    assert (low, high) == pytest.approx(tuple(expected), rel=1e-9, abs=1e-13)
    # Swapping the groups mirrors the interval.
    swapped = newcombe_difference(k2, n2, k1, n1).confidence_interval
    assert swapped == pytest.approx((-high, -low), abs=1e-13)


# ---------------------------------------------------------------------------------------------
# McNemar
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        [[10, 5], [12, 3]],
        [[101, 121], [59, 33]],
        [[4, 0], [0, 9]],
        [[0, 1], [0, 0]],
        [[3, 40], [2, 1]],
    ],
)
def test_mcnemar_matches_statsmodels(table: list[list[int]]) -> None:
    expected = mcnemar(np.array(table), exact=True)
    result = mcnemar_exact(table)
    assert isinstance(result, McNemarResult)
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.statistic == expected.statistic
    assert (result.b, result.c) == (table[0][1], table[1][0])
    assert mcnemar_exact(table[0][1], table[1][0]) == result


def test_mcnemar_known_value() -> None:
    # b=5, c=12: 2 * P(Bin(17, 1/2) <= 5) = 2 * 9402 / 131072.
    assert mcnemar_exact(5, 12).pvalue == pytest.approx(2 * 9402 / 2**17, rel=1e-12)


def test_mcnemar_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="2x2 table or both"):
        mcnemar_exact(5)
    with pytest.raises(InputError, match="non-negative"):
        mcnemar_exact(-1, 3)
    with pytest.raises(InputError, match="non-negative"):
        mcnemar_exact(1.5, 3)
    with pytest.raises(InputError, match="2x2"):
        mcnemar_exact([1, 2, 3, 4])
    with pytest.raises(InputError, match="either"):
        mcnemar_exact([[1, 2], [3, 4]], 3)


@settings(max_examples=80, deadline=None)
@given(b=st.integers(0, 400), c=st.integers(0, 400))
def test_mcnemar_property(b: int, c: int) -> None:
    result = mcnemar_exact(b, c)
    expected = mcnemar(np.array([[0, b], [c, 0]]), exact=True).pvalue
    assert result.pvalue == pytest.approx(expected, rel=1e-10, abs=1e-300)
    assert 0.0 <= result.pvalue <= 1.0
    assert mcnemar_exact(c, b).pvalue == result.pvalue
    assert result.statistic == min(b, c)


# ---------------------------------------------------------------------------------------------
# Validation shared by the proportion functions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: clopper_pearson(-1, 10), "non-negative integer"),
        (lambda: clopper_pearson(11, 10), "exceeds"),
        (lambda: clopper_pearson(2.5, 10), "non-negative integer"),
        (lambda: clopper_pearson(0, 0), "at least 1"),
        (lambda: clopper_pearson(1, 10, alternative="up"), "alternative"),
        (lambda: clopper_pearson(1, 10, confidence_level=1.0), "confidence_level"),
        (lambda: wilson(3, 2), "exceeds"),
        (lambda: wilson(True, 2), "boolean"),
        (lambda: wilson(float("nan"), 2), "non-negative integer"),
        (lambda: newcombe_difference(1, 0, 1, 2), "n1 must be at least 1"),
        (lambda: newcombe_difference(1, 2, 3, 2), "k2=3 exceeds"),
        (lambda: zero_event_upper_bound(-3), "non-negative"),
    ],
)
def test_invalid_counts_raise_input_error(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


def test_integral_floats_are_accepted_and_results_serialise() -> None:
    result = clopper_pearson(3.0, np.int64(20))
    assert (result.k, result.n) == (3, 20)
    as_dict = result.to_dict()
    assert as_dict["confidence_interval"] == pytest.approx(list(result.confidence_interval))
    assert fisher_exact([[7, 0], [0, 9]]).to_dict()["statistic"] == "inf"


def test_estimate_is_a_deprecated_alias_of_statistic():
    result = clopper_pearson(3, 10)
    with pytest.warns(DeprecationWarning, match="renamed .statistic"):
        assert result.estimate == result.statistic == 0.3
