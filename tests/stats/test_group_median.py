"""The order-statistic bootstrap of class medians against a brute-force bootstrap."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as sps

from measurand.stats._group_median import (
    _leave_one_out_medians,
    _median_of_draws,
    bootstrap_group_medians,
)
from measurand.stats._resampling import _jackknife_values, jackknife_acceleration


def _ks_critical(n: int, m: int, alpha: float = 1e-3) -> float:
    return math.sqrt(-0.5 * math.log(alpha / 2)) * math.sqrt((n + m) / (n * m))


@pytest.mark.parametrize("k", [1, 2, 7, 8, 31])
def test_median_of_k_draws_has_the_brute_force_distribution(k):
    rng = np.random.default_rng(k)
    values = np.sort(np.round(rng.normal(size=23), 1))
    draws = 40_000
    fast = _median_of_draws(values, np.full(draws, k), np.random.default_rng(100 + k))
    brute = np.median(values[rng.integers(0, values.size, (draws, k))], axis=1)
    # Both are discrete on the midpoints of the support: the two-sample KS distance bounds
    # the largest CDF gap; under equal distributions it exceeds this bound with prob 1e-3.
    assert sps.ks_2samp(fast, brute).statistic < _ks_critical(draws, draws)
    support = np.union1d(fast, brute)
    assert set(np.unique(fast)) <= set(support)


@pytest.mark.parametrize("stratified", [False, True])
def test_class_medians_match_brute_force_resampling_of_rows(stratified):
    rng = np.random.default_rng(7)
    n = 40
    values = np.round(rng.normal(size=n), 1)
    label = rng.random(n) < 0.35
    draws = 30_000
    out = bootstrap_group_medians(values, label, n_resamples=draws, stratified=stratified, seed=1)
    for flag in (True, False):
        if stratified:
            members = values[label == flag]
            brute = np.median(members[rng.integers(0, members.size, (draws, members.size))], 1)
        else:
            rows = rng.integers(0, n, (draws, n))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                brute = np.nanmedian(np.where(label[rows] == flag, values[rows], np.nan), 1)
        fast = out[flag].bootstrap_distribution
        brute = brute[~np.isnan(brute)]
        assert sps.ks_2samp(fast, brute).statistic < _ks_critical(fast.size, brute.size)
        assert out[flag].statistic == np.median(values[label == flag])


def test_both_classes_share_resamples_unstratified():
    # Unstratified, the class counts add up to n: with 1 wrong example among 10, a resample
    # lacks it with probability 0.9^10 ≈ 0.35 — counted as invalid for that class only.
    values = np.arange(10.0)
    label = np.arange(10) > 0
    out = bootstrap_group_medians(values, label, n_resamples=20_000, seed=3)
    assert out[False].n_invalid / 20_000 == pytest.approx(0.9**10, abs=0.02)
    assert out[True].n_invalid == 0  # P(no correct drawn) = 0.1^10


def test_leave_one_out_medians_and_acceleration_equal_the_generic_jackknife():
    rng = np.random.default_rng(2)
    for n in (2, 3, 8, 9):
        values = np.sort(np.round(rng.normal(size=n), 1))
        expected = [np.median(np.delete(values, i)) for i in range(n)]
        np.testing.assert_array_equal(_leave_one_out_medians(values), expected)
    values = np.round(rng.normal(size=30), 1)
    label = rng.random(30) < 0.4

    def median_of(flag):
        def statistic(v, y, axis=-1):
            member = np.where(y == flag, v, np.nan)
            return np.nanmedian(member, axis=axis)

        return statistic

    for flag in (True, False):
        generic = _jackknife_values([values, label.astype(np.int8)], median_of(flag), True)
        members = np.sort(values[label == flag])
        own = np.concatenate(
            [np.full(30 - members.size, np.median(members)), _leave_one_out_medians(members)]
        )
        np.testing.assert_allclose(np.sort(own), np.sort(generic[0]), rtol=0, atol=1e-15)
        assert jackknife_acceleration([own]) == pytest.approx(
            jackknife_acceleration(generic), rel=1e-12
        )


def test_values_near_the_float_maximum_do_not_overflow():
    values = np.array([1.7e308, 1.7e308, 1.6e308, -1.7e308, 1.5e308, 1.7e308])
    label = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = bootstrap_group_medians(values, label, n_resamples=500, seed=0)
    assert np.isfinite(out[True].bootstrap_distribution).all()
    assert np.isfinite(out[False].bootstrap_distribution).all()


def test_same_seed_same_draws_and_bca_runs():
    rng = np.random.default_rng(0)
    values, label = rng.normal(size=200), rng.random(200) < 0.5
    one = bootstrap_group_medians(values, label, n_resamples=500, method="bca", seed=9)
    two = bootstrap_group_medians(values, label, n_resamples=500, method="bca", seed=9)
    assert one[True].confidence_interval == two[True].confidence_interval
    ci = one[True].confidence_interval
    assert ci.low < one[True].statistic < ci.high
