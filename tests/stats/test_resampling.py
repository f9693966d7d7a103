"""Tests of measurand.stats bootstrap and permutation_test.

References: ``scipy.stats.bootstrap`` and ``scipy.stats.permutation_test`` run in the tests, and the
closed-form ideal-bootstrap variance of a mean, ``Var*(mean*) = sum((x - mean)^2) / n^2``
(Efron & Tibshirani 1993, eq. 5.9), with its stratified form
``sum_h (n_h / n)^2 * Var*_h / n_h``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from measurand._result import ConfidenceInterval
from measurand.errors import InputError
from measurand.stats import BootstrapResult, PermutationResult, bootstrap, permutation_test

SCIPY_METHOD = {"percentile": "percentile", "basic": "basic", "bca": "BCa"}


def mean(x, axis=-1):
    return np.mean(x, axis=axis)


def mean_difference(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def ratio_of_means(x, y, axis=-1):
    return np.mean(x, axis=axis) / np.mean(y, axis=axis)


def ideal_bootstrap_variance_of_mean(x):
    return np.var(x) / x.size  # ddof=0: the plug-in variance


@pytest.fixture(scope="module")
def skewed():
    rng = np.random.default_rng(20240611)
    return rng.exponential(size=30), rng.lognormal(sigma=0.6, size=23)


# --------------------------------------------------------------------------------------------
# bootstrap: agreement with SciPy


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
@pytest.mark.parametrize(
    ("design", "statistic"),
    [("one", mean), ("two", mean_difference), ("two", ratio_of_means), ("paired", mean_difference)],
)
def test_interval_from_distribution_matches_scipy(skewed, method, alternative, design, statistic):
    """Given our bootstrap distribution, SciPy computes the same interval (BCa jackknife incl.)."""
    x, y = skewed
    data = {"one": (x,), "two": (x, y), "paired": (x[:23], y)}[design]
    paired = design == "paired"
    ours = bootstrap(
        data,
        statistic,
        n_resamples=3000,
        method=method,
        confidence_level=0.9,
        alternative=alternative,
        paired=paired,
        seed=7,
    )
    reference = scipy.stats.bootstrap(
        data,
        statistic,
        n_resamples=0,
        bootstrap_result=ours,
        method=SCIPY_METHOD[method],
        confidence_level=0.9,
        alternative=alternative,
        paired=paired,
    )
    np.testing.assert_allclose(ours.confidence_interval, reference.confidence_interval, rtol=1e-12)
    assert ours.standard_error == pytest.approx(float(reference.standard_error), rel=1e-12)
    assert ours.statistic == statistic(*data)  # exactly the point estimate
    assert ours.n_invalid == 0 and ours.bootstrap_distribution.shape == (3000,)


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
@pytest.mark.parametrize(("two_samples", "paired"), [(False, False), (True, False), (True, True)])
def test_interval_agrees_with_scipy_within_monte_carlo_error(skewed, method, two_samples, paired):
    x, y = skewed
    if two_samples:
        data, statistic = ((x[:23], y) if paired else (x, y)), mean_difference
    else:
        data, statistic = (x,), mean
    ours = bootstrap(data, statistic, n_resamples=20_000, method=method, paired=paired, seed=11)
    reference = scipy.stats.bootstrap(
        data,
        statistic,
        n_resamples=20_000,
        method=SCIPY_METHOD[method],
        paired=paired,
        rng=12,
    )
    low, high = reference.confidence_interval
    width = high - low
    # Each endpoint has a Monte Carlo s.e. of ~0.5% of the width at B = 20,000.
    assert ours.confidence_interval.low == pytest.approx(low, abs=0.04 * width)
    assert ours.confidence_interval.high == pytest.approx(high, abs=0.04 * width)
    assert ours.standard_error == pytest.approx(reference.standard_error, rel=0.03)


def test_standard_error_of_mean_matches_ideal_bootstrap(skewed):
    x, _ = skewed
    result = bootstrap((x,), mean, n_resamples=20_000, seed=3)
    expected = math.sqrt(ideal_bootstrap_variance_of_mean(x))
    # relative s.e. of a sd estimated from B draws is about 1/sqrt(2B) = 0.5%
    assert result.standard_error == pytest.approx(expected, rel=0.025)
    assert result.bootstrap_distribution.mean() == pytest.approx(x.mean(), abs=0.03 * expected)


def test_paired_and_unpaired_standard_errors_differ_as_theory_says():
    rng = np.random.default_rng(5)
    x = rng.normal(10, 3, size=40)
    y = x + rng.normal(0.5, 0.3, size=40)  # strongly correlated with x
    paired = bootstrap((x, y), mean_difference, paired=True, n_resamples=20_000, seed=1)
    unpaired = bootstrap((x, y), mean_difference, n_resamples=20_000, seed=1)
    assert paired.statistic == unpaired.statistic == pytest.approx(x.mean() - y.mean())
    expected_paired = math.sqrt(ideal_bootstrap_variance_of_mean(x - y))
    expected_unpaired = math.sqrt(
        ideal_bootstrap_variance_of_mean(x) + ideal_bootstrap_variance_of_mean(y)
    )
    assert paired.standard_error == pytest.approx(expected_paired, rel=0.03)
    assert unpaired.standard_error == pytest.approx(expected_unpaired, rel=0.03)
    assert unpaired.standard_error > 5 * paired.standard_error


# --------------------------------------------------------------------------------------------
# bootstrap: strata


def test_stratified_resamples_keep_stratum_sizes_and_layout():
    labels = np.array([0] * 5 + [1] * 12 + [2] * 3)
    np.random.default_rng(0).shuffle(labels)
    values = labels.astype(float)  # the value reveals the stratum it was drawn from

    def stratum_counts(x, axis=-1):
        return np.sum(x == 0, axis=axis) + 100 * np.sum(x == 1, axis=axis)

    def layout_preserved(x, axis=-1):
        return np.all(x == values, axis=axis).astype(float)

    counts = bootstrap((values,), stratum_counts, strata=labels, n_resamples=500, seed=1)
    np.testing.assert_array_equal(counts.bootstrap_distribution, 5 + 100 * 12)
    layout = bootstrap((values,), layout_preserved, strata=labels, n_resamples=500, seed=1)
    np.testing.assert_array_equal(layout.bootstrap_distribution, 1.0)
    unstratified = bootstrap((values,), stratum_counts, n_resamples=500, seed=1)
    assert np.ptp(unstratified.bootstrap_distribution) > 0


def test_stratified_standard_error_matches_ideal_bootstrap():
    rng = np.random.default_rng(8)
    groups = [rng.normal(0, 1, 30), rng.normal(5, 4, 10), rng.normal(-2, 0.5, 60)]
    values = np.concatenate(groups)
    labels = np.repeat(["a", "b", "c"], [30, 10, 60])
    result = bootstrap((values,), mean, strata=labels, n_resamples=20_000, seed=2)
    n = values.size
    expected = math.sqrt(
        sum((g.size / n) ** 2 * ideal_bootstrap_variance_of_mean(g) for g in groups)
    )
    assert result.standard_error == pytest.approx(expected, rel=0.03)
    # the unstratified s.e. includes the between-strata spread and is much larger here
    plain = bootstrap((values,), mean, n_resamples=20_000, seed=2)
    assert plain.standard_error == pytest.approx(
        math.sqrt(ideal_bootstrap_variance_of_mean(values)), rel=0.03
    )
    assert plain.standard_error > 1.3 * result.standard_error


def test_strata_per_sample_for_two_samples():
    x = np.array([0.0] * 4 + [1.0] * 6)
    y = np.array([0.0] * 7 + [1.0] * 2)

    def ones_difference(a, b, axis=-1):
        return np.sum(a, axis=axis) - 10 * np.sum(b, axis=axis)

    result = bootstrap(
        (x, y), ones_difference, strata=[x.astype(int), None], n_resamples=300, seed=4
    )
    ones_in_y = 6 - result.bootstrap_distribution  # x keeps exactly 6 ones
    assert np.all(ones_in_y % 10 == 0)
    assert np.ptp(ones_in_y) > 0  # y is resampled freely


# --------------------------------------------------------------------------------------------
# bootstrap: determinism, degenerate cases, errors


def test_same_seed_gives_same_distribution_whatever_the_batch(skewed):
    x, y = skewed
    reference = bootstrap((x, y), mean_difference, n_resamples=1001, seed=42)
    for batch in (1, 7, 500, 5000):
        other = bootstrap((x, y), mean_difference, n_resamples=1001, seed=42, batch=batch)
        np.testing.assert_array_equal(
            other.bootstrap_distribution, reference.bootstrap_distribution
        )
        assert other.confidence_interval == reference.confidence_interval
    generator = bootstrap((x, y), mean_difference, n_resamples=1001, seed=np.random.default_rng(42))
    np.testing.assert_array_equal(
        generator.bootstrap_distribution, reference.bootstrap_distribution
    )
    different = bootstrap((x, y), mean_difference, n_resamples=1001, seed=43)
    assert not np.array_equal(different.bootstrap_distribution, reference.bootstrap_distribution)


def test_nan_resamples_are_dropped_and_counted():
    x = np.array([0.0] * 19 + [1.0])

    def rare_present(a, axis=-1):
        return np.any(a == 1, axis=axis).astype(float)

    def mean_if_rare_present(a, axis=-1):
        return np.where(np.any(a == 1, axis=axis), np.mean(a, axis=axis), np.nan)

    present = bootstrap((x,), rare_present, n_resamples=4000, seed=9).bootstrap_distribution
    result = bootstrap((x,), mean_if_rare_present, n_resamples=4000, seed=9)
    assert result.n_invalid == np.count_nonzero(present == 0)
    assert result.n_resamples == 4000
    assert result.bootstrap_distribution.size == 4000 - result.n_invalid
    assert not np.any(np.isnan(result.bootstrap_distribution))
    # P(the single 1 is absent from a resample) = (19/20)^20
    assert result.n_invalid / 4000 == pytest.approx((19 / 20) ** 20, abs=0.03)
    assert result.confidence_interval.low >= 0.05  # every valid resample contains the 1


def test_all_invalid_gives_nan_interval_with_warning():
    with pytest.warns(RuntimeWarning, match="NaN"):
        result = bootstrap(
            ([1.0, 2.0, 3.0],), lambda a, axis=-1: np.full(np.shape(a)[:-1], np.nan), seed=1
        )
    assert math.isnan(result.confidence_interval.low)
    assert math.isnan(result.confidence_interval.high)
    assert result.n_invalid == result.n_resamples == 10_000
    assert math.isnan(result.standard_error)


def test_constant_data_gives_point_interval_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("percentile", "basic", "bca"):
            result = bootstrap(([2.5] * 8,), mean, method=method, n_resamples=200, seed=0)
            assert result.confidence_interval == ConfidenceInterval(2.5, 2.5)


def test_result_fields_and_to_dict(skewed):
    x, _ = skewed
    result = bootstrap((x,), mean, n_resamples=100, method="bca", alternative="less", seed=0)
    assert isinstance(result, BootstrapResult)
    assert result.confidence_interval.low == -math.inf
    as_dict = result.to_dict()
    assert as_dict["method"] == "bca" and as_dict["alternative"] == "less"
    assert as_dict["confidence_interval"][0] == "-inf"
    assert len(as_dict["bootstrap_distribution"]) == 100


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"data": ([],)}, "empty"),
        ({"data": np.arange(5.0)}, r"pass \(x,\)"),
        ({"n_resamples": 0}, "n_resamples"),
        ({"n_resamples": 2.5}, "n_resamples"),
        ({"method": "studentized"}, "method"),
        ({"alternative": "both"}, "alternative"),
        ({"confidence_level": 1.0}, "confidence_level"),
        ({"confidence_level": "high"}, "confidence_level"),
        ({"batch": 0}, "batch"),
        ({"statistic": lambda a, axis=-1: 1.0}, "vectorized"),
        ({"data": ([1.0, 2.0], [1.0, 2.0, 3.0]), "paired": True}, "equal length"),
        ({"strata": [0, 1]}, "strata"),
        ({"data": ([1.0],), "method": "bca"}, "two observations"),
    ],
)
def test_bad_arguments_raise_input_error(kwargs, match):
    arguments = {"data": ([1.0, 2.0, 4.0],), "statistic": mean, "n_resamples": 10}
    arguments.update(kwargs)
    with pytest.raises(InputError, match=match):
        bootstrap(arguments.pop("data"), arguments.pop("statistic"), **arguments)


def test_percentile_interval_coverage_for_normal_mean():
    rng = np.random.default_rng(2024)
    n, reps = 25, 400
    covered = 0
    for _ in range(reps):
        x = rng.normal(3.0, 2.0, size=n)
        low, high = bootstrap((x,), mean, n_resamples=1000, seed=rng).confidence_interval
        covered += low <= 3.0 <= high
    # the percentile interval of a mean undercovers slightly (z instead of t, plug-in sd): ~0.93
    assert 0.90 <= covered / reps <= 0.98


finite_samples = hnp.arrays(
    np.float64,
    st.integers(2, 30),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
).filter(lambda a: np.ptp(a) > 1e-6)


@settings(max_examples=40, deadline=None)
@given(x=finite_samples, seed=st.integers(0, 2**32 - 1))
def test_property_percentile_interval_contains_mean(x, seed):
    result = bootstrap((x,), mean, n_resamples=1000, seed=seed)
    slack = 1e-9 * (np.abs(x).max() + 1)
    assert result.confidence_interval.low - slack <= result.statistic
    assert result.statistic <= result.confidence_interval.high + slack
    assert result.confidence_interval.low < result.confidence_interval.high


@settings(max_examples=25, deadline=None)
@given(
    x=finite_samples,
    seed=st.integers(0, 2**32 - 1),
    batch=st.integers(1, 400),
    method=st.sampled_from(["percentile", "basic", "bca"]),
)
def test_property_same_seed_same_result(x, seed, batch, method):
    first = bootstrap((x, x[::-1]), mean_difference, n_resamples=300, method=method, seed=seed)
    again = bootstrap(
        (x, x[::-1]), mean_difference, n_resamples=300, method=method, seed=seed, batch=batch
    )
    np.testing.assert_array_equal(first.bootstrap_distribution, again.bootstrap_distribution)
    assert first.confidence_interval == again.confidence_interval
    assert first.standard_error == again.standard_error


# --------------------------------------------------------------------------------------------
# permutation test


def median_difference(x, y, axis=-1):
    return np.median(x, axis=axis) - np.median(y, axis=axis)


def scipy_permutation(x, y, statistic, *, paired=False, alternative="two-sided", **kwargs):
    return scipy.stats.permutation_test(
        (x, y),
        statistic,
        permutation_type="samples" if paired else "independent",
        alternative=alternative,
        vectorized=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def eight_vs_eight():
    rng = np.random.default_rng(99)
    return rng.normal(0.0, 1.0, 8), rng.normal(1.0, 1.0, 8)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("mean_difference", mean_difference),
        ("median_difference", median_difference),
        (lambda x, y, axis=-1: np.max(x, axis=axis) - np.min(y, axis=axis), None),
    ],
)
def test_exact_independent_pvalue_equals_scipy(eight_vs_eight, alternative, name, function):
    x, y = eight_vs_eight
    function = function or name
    ours = permutation_test(x, y, statistic=name, n_resamples=20_000, alternative=alternative)
    reference = scipy_permutation(x, y, function, alternative=alternative, n_resamples=np.inf)
    assert ours.exact and ours.n_resamples == math.comb(16, 8) == 12_870
    assert ours.pvalue == reference.pvalue
    assert ours.statistic == reference.statistic
    np.testing.assert_allclose(
        np.sort(ours.null_distribution), np.sort(reference.null_distribution), rtol=1e-12
    )


@pytest.mark.parametrize("statistic", ["mean_difference", "median_difference"])
def test_exact_pvalue_with_ties_equals_scipy(statistic):
    x = np.array([3, 1, 4, 1, 5, 9, 2], dtype=float)
    y = np.array([6, 5, 3, 5, 8, 9, 7, 9, 3], dtype=float)
    function = {"mean_difference": mean_difference, "median_difference": median_difference}
    for alternative in ("two-sided", "less", "greater"):
        ours = permutation_test(
            x, y, statistic=statistic, alternative=alternative, n_resamples=20_000
        )
        reference = scipy_permutation(
            x, y, function[statistic], alternative=alternative, n_resamples=np.inf
        )
        assert ours.exact and ours.n_resamples == math.comb(16, 7)
        assert ours.pvalue == reference.pvalue


def test_exact_pvalue_counts_ties_lost_to_rounding_like_scipy():
    # one-decimal values: many relabelings tie with the observed mean difference in exact
    # arithmetic but differ from it by a few ulps in floating point
    x = np.array([0.6, 0.3, 0.0, 0.0, 0.8, 0.9])
    y = np.array([0.6, 0.7, 0.5, 0.9, 0.8, 0.0, 0.9])
    ours = permutation_test(x, y)
    reference = scipy_permutation(x, y, mean_difference, n_resamples=np.inf)
    assert ours.pvalue == reference.pvalue
    strictly_less = np.count_nonzero(ours.null_distribution <= ours.statistic)
    assert ours.pvalue > 2 * strictly_less / math.comb(13, 6)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
@pytest.mark.parametrize("statistic", ["mean_difference", "median_difference"])
def test_exact_paired_pvalue_equals_scipy(alternative, statistic):
    rng = np.random.default_rng(17)
    x = rng.normal(0, 1, 11)
    y = x + rng.normal(0.4, 0.6, 11)
    function = {"mean_difference": mean_difference, "median_difference": median_difference}
    ours = permutation_test(
        x, y, statistic=statistic, paired=True, n_resamples=5000, alternative=alternative
    )
    reference = scipy_permutation(
        x, y, function[statistic], paired=True, alternative=alternative, n_resamples=np.inf
    )
    assert ours.exact and ours.n_resamples == 2**11
    assert ours.pvalue == reference.pvalue
    np.testing.assert_allclose(
        np.sort(ours.null_distribution), np.sort(reference.null_distribution), atol=1e-12
    )


@pytest.mark.parametrize("paired", [False, True])
def test_monte_carlo_pvalue_agrees_with_scipy(paired):
    rng = np.random.default_rng(23)
    x = rng.normal(0.0, 1.0, 16)
    y = (x if paired else 0) + rng.normal(0.45 if paired else 0.8, 1.0, 16)
    ours = permutation_test(x, y, paired=paired, n_resamples=20_000, seed=1)
    reference = scipy_permutation(x, y, mean_difference, paired=paired, n_resamples=20_000, rng=2)
    assert not ours.exact and ours.n_resamples == 20_000
    # both are Monte Carlo estimates: s.e. of the difference is sqrt(2 p (1-p) / B) * 2
    tolerance = 4 * 2 * math.sqrt(2 * reference.pvalue * (1 - reference.pvalue) / 20_000)
    assert ours.pvalue == pytest.approx(reference.pvalue, abs=tolerance)
    assert 0.01 < ours.pvalue < 0.5  # the test has a real signal to estimate
    # p = (count + 1) / (B + 1) for each side
    greater = (np.count_nonzero(ours.null_distribution >= ours.statistic) + 1) / 20_001
    less = (np.count_nonzero(ours.null_distribution <= ours.statistic) + 1) / 20_001
    assert ours.pvalue == pytest.approx(min(1.0, 2 * min(less, greater)), rel=1e-12)


def test_monte_carlo_is_deterministic_for_a_seed(eight_vs_eight):
    x, y = eight_vs_eight
    first = permutation_test(x, y, n_resamples=3000, seed=5)
    again = permutation_test(x, y, n_resamples=3000, seed=np.random.default_rng(5))
    assert not first.exact
    np.testing.assert_array_equal(first.null_distribution, again.null_distribution)
    assert first.pvalue == again.pvalue
    assert not np.array_equal(
        first.null_distribution, permutation_test(x, y, n_resamples=3000, seed=6).null_distribution
    )


def test_exact_versus_monte_carlo_choice(eight_vs_eight):
    # Timing targets live in bench/; here only the choice of method is checked.
    x, y = eight_vs_eight
    rng = np.random.default_rng(0)
    exact = permutation_test(x, y, n_resamples=20_000)
    monte_carlo = permutation_test(rng.normal(size=16), rng.normal(size=16), n_resamples=20_000)
    paired = permutation_test(rng.normal(size=16), rng.normal(size=16), paired=True, seed=0)
    assert exact.exact and exact.n_resamples == 12_870
    assert not monte_carlo.exact and monte_carlo.n_resamples == 20_000
    assert not paired.exact  # 2**16 sign flips > 10,000


def test_permutation_result_fields(eight_vs_eight):
    x, y = eight_vs_eight
    result = permutation_test(x, y, alternative="greater", n_resamples=500, seed=0)
    assert isinstance(result, PermutationResult)
    assert result.statistic == pytest.approx(x.mean() - y.mean())
    assert result.null_distribution.shape == (500,)
    assert result.to_dict()["alternative"] == "greater"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": []}, "empty"),
        ({"x": [[1.0, 2.0]]}, "1-D"),
        ({"paired": True, "y": [1.0, 2.0]}, "equal length"),
        ({"n_resamples": 0}, "n_resamples"),
        ({"statistic": "t_statistic"}, "statistic"),
        ({"alternative": "two_sided"}, "alternative"),
        ({"statistic": lambda x, y, axis=-1: 0.0}, "vectorized"),
    ],
)
def test_permutation_bad_arguments_raise_input_error(kwargs, match):
    arguments = {"x": [1.0, 2.0, 3.0], "y": [4.0, 5.0, 6.0, 7.0], "n_resamples": 10}
    arguments.update(kwargs)
    with pytest.raises(InputError, match=match):
        permutation_test(arguments.pop("x"), arguments.pop("y"), **arguments)


small_integer_samples = st.lists(st.integers(-20, 20), min_size=1, max_size=6).map(
    lambda values: np.array(values, dtype=float)
)


@settings(max_examples=60, deadline=None)
@given(
    x=small_integer_samples,
    y=small_integer_samples,
    alternative=st.sampled_from(["two-sided", "less", "greater"]),
)
def test_property_exact_pvalue_in_unit_interval_and_symmetric(x, y, alternative):
    result = permutation_test(x, y, alternative=alternative)
    assert result.exact
    assert 0.0 < result.pvalue <= 1.0
    mirrored = {"two-sided": "two-sided", "less": "greater", "greater": "less"}[alternative]
    assert permutation_test(y, x, alternative=mirrored).pvalue == result.pvalue


@settings(max_examples=30, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(8, 25), elements=st.floats(-100, 100)),
    y=hnp.arrays(np.float64, st.integers(8, 25), elements=st.floats(-100, 100)),
    paired=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_monte_carlo_pvalue_in_unit_interval(x, y, paired, seed):
    if paired:
        y = y[: x.size] if y.size >= x.size else np.resize(y, x.size)
    result = permutation_test(x, y, paired=paired, n_resamples=200, seed=seed)
    assert not result.exact
    assert 1 / 201 <= result.pvalue <= 1.0
