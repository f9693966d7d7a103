"""Holm / Benjamini–Hochberg / Bonferroni against statsmodels, scipy and the BH (1995) example."""

from __future__ import annotations

import gc
from unittest import mock

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from statsmodels.stats.multitest import multipletests

from measurand.errors import InputError
from measurand.stats import adjust_pvalues, benjamini_hochberg, holm

_STATSMODELS_NAME = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni"}

# Benjamini & Hochberg (1995), JRSS B 57:289, section 4: the 15 p-values of Neuhaus et al.
# At level 0.05 the BH procedure rejects the four smallest; Bonferroni rejects three.
_BH_1995 = np.array(
    [0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000,
     0.0001, 0.0004, 0.0019, 0.0095]
)  # fmt: skip


def _samples() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(99)
    return {
        "uniform": rng.random(40),
        "mostly_signal": np.concatenate([rng.random(5) * 1e-4, rng.random(20)]),
        "ties": np.array([0.01, 0.01, 0.04, 0.04, 0.04, 0.2, 0.2, 0.9]),
        "zeros_and_ones": np.array([0.0, 1.0, 0.0, 0.5, 1.0, 0.03]),
        "single": np.array([0.03]),
        "bh_1995": _BH_1995,
    }


@pytest.mark.parametrize("name", list(_samples()))
@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni"])
def test_equals_statsmodels_multipletests(name, method):
    p = _samples()[name]
    expected = multipletests(p, method=_STATSMODELS_NAME[method])[1]
    np.testing.assert_allclose(adjust_pvalues(p, method=method), expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", list(_samples()))
def test_bh_equals_scipy_false_discovery_control(name):
    p = _samples()[name]
    expected = scipy.stats.false_discovery_control(p, method="bh")
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12, atol=1e-15)


def test_named_helpers_match_adjust_pvalues():
    p = _samples()["uniform"]
    np.testing.assert_array_equal(holm(p), adjust_pvalues(p, "holm"))
    np.testing.assert_array_equal(benjamini_hochberg(p), adjust_pvalues(p, "bh"))
    np.testing.assert_array_equal(adjust_pvalues(p, "none"), p)
    np.testing.assert_array_equal(adjust_pvalues(p), holm(p))  # Holm is the default


def test_published_bh_1995_example_rejections():
    assert np.count_nonzero(benjamini_hochberg(_BH_1995) <= 0.05) == 4
    assert np.count_nonzero(adjust_pvalues(_BH_1995, "bonferroni") <= 0.05) == 3
    assert np.count_nonzero(holm(_BH_1995) <= 0.05) == 3
    # The fourth-smallest BH value: min over j >= 4 of 15 p_(j) / j = 15 * 0.0095 / 4.
    assert benjamini_hochberg(_BH_1995)[-1] == pytest.approx(15 * 0.0095 / 4, rel=1e-14)


@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni", "none"])
def test_nan_stays_nan_and_is_excluded_from_m(method):
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan, 0.5])
    adjusted = adjust_pvalues(p, method=method)
    present = ~np.isnan(p)
    assert np.isnan(adjusted[~present]).all()
    if method == "none":
        expected = p[present]
    else:
        expected = multipletests(p[present], method=_STATSMODELS_NAME[method])[1]
    np.testing.assert_allclose(adjusted[present], expected, rtol=1e-15)
    assert np.isnan(adjust_pvalues([np.nan, np.nan], method=method)).all()


def test_shape_and_order_are_kept():
    p = _samples()["uniform"][:12].reshape(3, 4)
    adjusted = holm(p)
    assert adjusted.shape == (3, 4)
    np.testing.assert_allclose(adjusted.ravel(), multipletests(p.ravel(), method="holm")[1])
    assert adjust_pvalues([], "bh").shape == (0,)


@pytest.mark.parametrize(
    ("p", "method", "match"),
    [
        ([0.1, 1.2], "holm", r"\[0, 1\]"),
        ([-0.1, 0.2], "bh", r"\[0, 1\]"),
        ([0.1, np.inf], "holm", r"\[0, 1\]"),
        (["0.1"], "holm", "numeric"),
        ([0.1, 0.2], "fdr_by", "method must be"),
    ],
)
def test_invalid_input_raises_input_error(p, method, match):
    with pytest.raises(InputError, match=match):
        adjust_pvalues(p, method=method)


_P_VALUES = hnp.arrays(
    np.float64,
    st.integers(min_value=1, max_value=60),
    elements=st.one_of(
        st.floats(min_value=0, max_value=1),
        st.sampled_from([0.0, 1e-300, 0.01, 0.05, 1.0]),  # exact ties and extremes
    ),
)


@settings(max_examples=300, deadline=None)
@given(_P_VALUES, st.sampled_from(["holm", "bh", "bonferroni"]), st.randoms())
def test_property_bounds_monotonicity_order_invariance_and_statsmodels(p, method, random):
    adjusted = adjust_pvalues(p, method=method)
    assert np.all(adjusted >= p) and np.all((adjusted >= 0) & (adjusted <= 1))
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= 0)  # monotone in the raw p-values
    permutation = np.array(random.sample(range(p.size), p.size))
    permuted = adjust_pvalues(p[permutation], method=method)
    np.testing.assert_array_equal(permuted, adjusted[permutation])
    # statsmodels' Holm branch calls gc.collect() (~0.2 s a call); nothing here needs it.
    with mock.patch.object(gc, "collect"):
        expected = multipletests(p, method=_STATSMODELS_NAME[method])[1]
    np.testing.assert_allclose(adjusted, expected, rtol=1e-15, atol=0)


@settings(max_examples=200, deadline=None)
@given(_P_VALUES)
def test_property_bh_at_most_holm_at_most_bonferroni(p):
    # m / i <= m - i + 1 for every rank i, and Holm's step-down never exceeds Bonferroni.
    bh, holm_adjusted = benjamini_hochberg(p), holm(p)
    bonferroni = adjust_pvalues(p, "bonferroni")
    assert np.all(bh <= holm_adjusted * (1 + 1e-15)) and np.all(holm_adjusted <= bonferroni)
