"""Per-model, paired and clustered intervals against statsmodels; McNemar; run variance."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import mcnemar

from measurand.errors import InputError
from measurand.stats import clustered_mean, paired_items, run_variance


def _clustered_data(rng, n_clusters=40, size=(3, 12)):
    sizes = rng.integers(size[0], size[1], n_clusters)
    clusters = np.repeat(np.arange(n_clusters), sizes)
    effect = rng.normal(0, 0.3, n_clusters)[clusters]
    a = (rng.random(clusters.size) < 0.55 + effect.clip(-0.5, 0.4)).astype(float)
    b = (rng.random(clusters.size) < 0.50 + effect.clip(-0.5, 0.4)).astype(float)
    return a, b, clusters


def _ols(y, groups=None):
    model = sm.OLS(y, np.ones_like(y))
    if groups is None:
        return model.fit()
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


def test_mean_matches_statsmodels_ols_iid_and_cluster():
    rng = np.random.default_rng(1)
    a, _, clusters = _clustered_data(rng)
    for groups in (None, clusters):
        res = clustered_mean(a, groups)
        ref = _ols(a, groups)
        assert res.statistic == pytest.approx(ref.params[0], rel=1e-12)
        assert res.standard_error == pytest.approx(ref.bse[0], rel=1e-10)
        np.testing.assert_allclose(res.confidence_interval, ref.conf_int()[0], rtol=1e-10)
        assert res.pvalue == pytest.approx(ref.pvalues[0], rel=1e-8, abs=1e-300)
    res = clustered_mean(a, clusters)
    assert res.df == 39 and res.n_clusters == 40
    assert res.design_effect == pytest.approx((res.standard_error / res.standard_error_iid) ** 2)
    assert res.design_effect > 1.2  # positively correlated items


def test_paired_difference_matches_statsmodels_on_differences():
    rng = np.random.default_rng(2)
    a, b, clusters = _clustered_data(rng)
    for groups in (None, clusters):
        res = paired_items(a, b, groups)
        ref = _ols(a - b, groups)
        assert res.statistic == pytest.approx(ref.params[0], rel=1e-12)
        assert res.standard_error == pytest.approx(ref.bse[0], rel=1e-10)
        np.testing.assert_allclose(res.confidence_interval, ref.conf_int()[0], rtol=1e-10)
        assert res.pvalue == pytest.approx(ref.pvalues[0], rel=1e-8)
    res = paired_items(a, b, clusters)
    assert res.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])
    # pairing removes the shared cluster effect: the paired SE is well below the unpaired one
    assert res.pairing_ratio < 0.9
    se_a = _ols(a, clusters).bse[0]
    se_b = _ols(b, clusters).bse[0]
    assert res.standard_error_unpaired == pytest.approx(np.hypot(se_a, se_b), rel=1e-10)


def test_mcnemar_matches_statsmodels_exact():
    rng = np.random.default_rng(3)
    a = (rng.random(300) < 0.6).astype(float)
    b = np.where(rng.random(300) < 0.8, a, 1 - a)
    res = paired_items(a, b)
    table = [
        [np.sum((a == 1) & (b == 1)), np.sum((a == 1) & (b == 0))],
        [np.sum((a == 0) & (b == 1)), np.sum((a == 0) & (b == 0))],
    ]
    ref = mcnemar(table, exact=True)
    assert res.mcnemar.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.mcnemar.b == table[0][1] and res.mcnemar.c == table[1][0]
    assert paired_items(a + 0.5, b).mcnemar is None


def test_identical_models_and_bad_input():
    a = np.array([1.0, 0.0, 1.0, 1.0])
    res = paired_items(a, a)
    assert res.statistic == 0 and res.pvalue == 1.0
    assert res.confidence_interval == (0.0, 0.0)
    with pytest.raises(InputError, match="NaN"):
        clustered_mean([1.0, np.nan, 0.0])
    with pytest.raises(InputError, match="same items"):
        paired_items([1.0, 0.0], [1.0, 0.0, 1.0])
    with pytest.raises(InputError, match="one label per item"):
        clustered_mean([1.0, 0.0, 1.0], [1, 2])
    single = clustered_mean([1.0, 0.0, 1.0], ["x", "x", "x"])
    assert np.isnan(single.standard_error)


def test_run_variance_against_anova_decomposition():
    rng = np.random.default_rng(4)
    n_items, runs = 500, 4
    item_mean = rng.normal(0, 1.0, n_items)
    y = item_mean[:, None] + rng.normal(0, 0.5, (n_items, runs))
    codes = np.repeat(np.arange(n_items), runs)
    res = run_variance(y.ravel(), codes)
    expected_within = y.var(axis=1, ddof=1).mean()
    assert res.within == pytest.approx(expected_within, rel=1e-12)
    assert res.within == pytest.approx(0.25, rel=0.1)
    assert res.between == pytest.approx(1.0, rel=0.15)
    assert res.runs == 4 and res.n_items == n_items
    assert res.share_of_mean_variance == pytest.approx(0.0625 / 1.0625, rel=0.2)
    one = run_variance(np.arange(5.0), np.arange(5))
    assert np.isnan(one.within) and one.n_items == 0
