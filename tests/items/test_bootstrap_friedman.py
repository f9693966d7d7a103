"""Item bootstrap (clusters whole, max-T), Friedman/Nemenyi/Wilcoxon against scipy and Demšar."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from measurand.errors import InputError
from measurand.stats import (
    friedman_nemenyi,
    item_bootstrap,
    nemenyi_critical_difference,
    romano_wolf,
)
from measurand.stats._item_bootstrap import disagreement, resampled_means

# Demšar (2006), Table 5(a): q_0.05 of the two-tailed Nemenyi test for k = 2..10 models.
DEMSAR_Q05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]


def test_nemenyi_critical_difference_matches_demsar_table():
    n = 7
    for k, q in zip(range(2, 11), DEMSAR_Q05, strict=True):
        cd = nemenyi_critical_difference(k, n)
        assert cd / np.sqrt(k * (k + 1) / (6 * n)) == pytest.approx(q, abs=1.1e-3)


def test_friedman_and_wilcoxon_match_scipy():
    rng = np.random.default_rng(5)
    scores = rng.normal(0, 1, (12, 4)) + np.array([0.0, 0.3, 0.8, 1.2])
    res = friedman_nemenyi(scores)
    ref = stats.friedmanchisquare(*scores.T)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    ranks = stats.rankdata(-scores, axis=1).mean(axis=0)
    np.testing.assert_allclose(res.average_rank, ranks)
    for p, (i, j) in enumerate(res.pairs):
        assert res.wilcoxon_pvalue[p] == pytest.approx(
            stats.wilcoxon(scores[:, i], scores[:, j]).pvalue, rel=1e-12
        )
    m = len(res.pairs)
    order = np.argsort(res.wilcoxon_pvalue)
    holm = np.maximum.accumulate(res.wilcoxon_pvalue[order] * np.arange(m, 0, -1)).clip(max=1)
    np.testing.assert_allclose(res.wilcoxon_holm[order], holm)
    # Nemenyi p < alpha exactly when the rank gap exceeds the critical difference
    gaps = np.abs(ranks[res.pairs[:, 0]] - ranks[res.pairs[:, 1]])
    np.testing.assert_array_equal(res.nemenyi_pvalue < 0.05, gaps > res.critical_difference)
    # the best model (3) and the worst (0) differ; every clique is within one CD
    for clique in res.cliques:
        assert np.ptp(ranks[clique]) < res.critical_difference


def test_friedman_refuses_too_few():
    with pytest.raises(InputError, match="3 models"):
        friedman_nemenyi(np.ones((5, 2)))


def test_resampled_means_are_cluster_bootstrap_draws():
    # 2 clusters of different size: a resample's mean can only be one of 3 ratio values
    scores = np.array([[1.0, 1.0, 1.0, 0.0]])
    codes = np.array([0, 0, 0, 1])
    reps = resampled_means(scores, codes, 2, 4000, np.random.default_rng(0))
    values, counts = np.unique(np.round(reps[:, 0], 12), return_counts=True)
    np.testing.assert_allclose(values, [0.0, 0.75, 1.0])
    np.testing.assert_allclose(counts / 4000, [0.25, 0.5, 0.25], atol=0.03)


def test_item_bootstrap_pairs_ranks_and_seed():
    rng = np.random.default_rng(6)
    n = 600
    clusters = np.repeat(np.arange(60), 10)
    base = rng.normal(0, 1, 60)[clusters]
    p = 1 / (1 + np.exp(-(base[None, :] + np.array([[0.0], [0.05], [0.6]]))))
    scores = (rng.random((3, n)) < p).astype(float)
    res = item_bootstrap(scores, clusters, n_resamples=4000, seed=1)
    again = item_bootstrap(scores, clusters, n_resamples=4000, seed=1)
    np.testing.assert_array_equal(res.difference_ci, again.difference_ci)
    np.testing.assert_allclose(res.means, scores.mean(axis=1))
    assert res.pairs.tolist() == [[0, 1], [0, 2], [1, 2]]
    np.testing.assert_allclose(
        res.difference,
        [res.means[0] - res.means[1], res.means[0] - res.means[2], res.means[1] - res.means[2]],
    )
    # the bootstrap SE of a paired difference agrees with the CR1 standard error
    from measurand.stats import paired_items

    for p_index, (i, j) in enumerate(res.pairs):
        cr1 = paired_items(scores[i], scores[j], clusters).standard_error
        assert res.difference_se[p_index] == pytest.approx(cr1, rel=0.1)
    assert res.rank.tolist() == [2, 3, 1] or res.rank[2] == 1
    assert res.rank_ci[2].tolist() == [1, 1]
    np.testing.assert_allclose(res.rank_probability.sum(axis=1), 1.0)
    assert res.pvalue_fwer[1] < 0.01 and res.pvalue_fwer[0] > 0.05
    with pytest.raises(InputError, match="2 clusters"):
        item_bootstrap(scores, np.zeros(n), n_resamples=10)


def test_romano_wolf_is_max_t_stepdown():
    rng = np.random.default_rng(7)
    observed = np.array([3.0, 0.1, 2.2])
    reps = observed + rng.normal(0, 1, (20000, 3))  # bootstrap replicates centred on the estimate
    p = romano_wolf(observed, reps, np.ones(3))
    # first step: max over all 3 of |N(0,1)|; P(max >= 3) = 1 - (1 - 2 Phi(-3))^3
    assert p[0] == pytest.approx(1 - (1 - 2 * stats.norm.sf(3.0)) ** 3, abs=0.002)
    # second step drops hypothesis 0: max over 2
    assert p[2] == pytest.approx(1 - (1 - 2 * stats.norm.sf(2.2)) ** 2, abs=0.006)
    assert p[1] >= p[2] and p[1] == pytest.approx(2 * stats.norm.sf(0.1), abs=0.01)


def test_disagreement_orders_even_splits_first():
    scores = np.array([[1, 1, 0, 1], [1, 0, 0, 1], [1, 0, 0, 0], [1, 1, 0, 0.0]])
    order, spread = disagreement(scores, top=2)
    assert set(order.tolist()) == {1, 3}
    assert spread[0] == 0 and spread[1] == pytest.approx(0.5)


def test_compressed_units_give_the_same_resamples():
    rng = np.random.default_rng(8)
    scores = (rng.random((3, 400)) < 0.6).astype(float)  # at most 8 distinct patterns
    codes = np.arange(400)
    reps = resampled_means(scores, codes, 400, 50, np.random.default_rng(5))
    draws = np.random.default_rng(5).integers(0, 400, size=(50, 400))
    expected = np.stack([scores[:, d].mean(axis=1) for d in draws])
    np.testing.assert_allclose(reps, expected, rtol=1e-12)
