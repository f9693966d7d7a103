"""Parallel analysis: observed eigenvalues against psych 2.2.9, the random reference against a
straightforward simulation, and the dual (n x n) eigenvalue trick against the direct one.

psych references (tests/reference/factor_reference.json, from factor_fixtures.R):
``fa.parallel(x, fa = "both", SMC = TRUE)$pc.values`` / ``$fa.values`` and
``smc(cor(x, use = "pairwise"))`` for bfi (missing cells, pairwise) and HolzingerSwineford1939.
"""

from __future__ import annotations

import numpy as np
import pytest
from _factor_reference import data as _data
from _factor_reference import reference as _reference
from hypothesis import given, settings
from hypothesis import strategies as st

from measurand.errors import InputError
from measurand.latent._corr import correlation_matrix, smc
from measurand.latent.parallel import correlation_eigenvalues, parallel_analysis


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
@pytest.mark.parametrize(("kind", "key"), [("pca", "pc_values"), ("fa_smc", "fa_values")])
def test_observed_eigenvalues_match_psych(dataset: str, kind: str, key: str) -> None:
    result = parallel_analysis(_data(dataset), kind=kind, n_resamples=20, seed=0)
    np.testing.assert_allclose(
        result.observed, _reference()["parallel"][dataset][key], rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
def test_smc_matches_psych(dataset: str) -> None:
    R = correlation_matrix(_data(dataset))[0]
    np.testing.assert_allclose(smc(R), _reference()["parallel"][dataset]["smc"], atol=1e-12)
    np.testing.assert_allclose(
        np.linalg.eigvalsh(R)[::-1], _reference()["parallel"][dataset]["eigen"], atol=1e-10
    )


def test_pairwise_correlation_matches_per_pair_computation() -> None:
    X = _data("bfi")[:400, :8]
    R = correlation_matrix(X)[0]
    for i in range(8):
        for j in range(i + 1, 8):
            both = ~np.isnan(X[:, i]) & ~np.isnan(X[:, j])
            np.testing.assert_allclose(
                R[i, j], np.corrcoef(X[both, i], X[both, j])[0, 1], rtol=1e-12
            )


@pytest.mark.parametrize("shape", [(12, 40), (30, 31), (48, 500), (60, 20)])
def test_dual_trick_equals_direct(shape: tuple[int, int]) -> None:
    X = np.random.default_rng(sum(shape)).standard_normal(shape) @ np.diag(
        np.linspace(1, 5, shape[1])
    )
    dual = correlation_eigenvalues(X, method="dual")
    direct = correlation_eigenvalues(X, method="direct")
    np.testing.assert_allclose(dual, direct, atol=1e-10)
    reference = np.linalg.eigvalsh(np.corrcoef(X, rowvar=False))[::-1]
    np.testing.assert_allclose(correlation_eigenvalues(X), reference, atol=1e-10)
    assert correlation_eigenvalues(X).shape == (shape[1],)


@pytest.mark.parametrize(("n", "p", "kind"), [(40, 12, "pca"), (15, 60, "pca"), (50, 8, "fa_smc")])
def test_random_reference_matches_direct_simulation(n: int, p: int, kind: str) -> None:
    # The sphere representation must give the distribution of eigenvalues of cor() of n x p
    # normal data. Compare means with 5 Monte Carlo standard errors of the difference.
    n_iter = 600
    result = parallel_analysis(
        np.random.default_rng(1).standard_normal((n, p)), kind=kind, n_resamples=n_iter, seed=2
    )
    rng = np.random.default_rng(3)
    direct = []
    for _ in range(n_iter):
        R = np.corrcoef(rng.standard_normal((n, p)), rowvar=False)
        if kind == "fa_smc":
            np.fill_diagonal(R, 1.0 - 1.0 / np.diag(np.linalg.inv(R)))
        direct.append(np.linalg.eigvalsh(R)[::-1])
    direct = np.array(direct)
    se = direct.std(axis=0, ddof=1) * np.sqrt(2.0 / n_iter) + 1e-12
    assert np.all(np.abs(result.random_mean - direct.mean(axis=0)) < 5 * se)
    if kind == "pca":  # trace(R) = p exactly, for every replicate
        np.testing.assert_allclose(result.random_mean.sum(), p, rtol=1e-10)


def test_counts_on_two_factor_data() -> None:
    rng = np.random.default_rng(11)
    n, p = 400, 12
    L = np.zeros((p, 2))
    L[:6, 0] = 0.7
    L[6:, 1] = 0.7
    X = rng.standard_normal((n, 2)) @ L.T + rng.standard_normal((n, p)) * np.sqrt(0.51)
    for kind in ("pca", "fa", "fa_smc"):
        result = parallel_analysis(X, kind=kind, n_resamples=200, seed=5)
        assert result.k == result.k_first_crossing == 2
        assert result.k_mean >= 2 and result.k_count >= 2
        assert np.all(result.observed[:2] > result.random_quantile[:2])
        assert result.observed[2] <= result.random_quantile[2]


def test_k_is_the_first_crossing_and_does_not_find_factors_in_noise() -> None:
    # Counting every observed eigenvalue above the random 95th percentile finds "factors" in
    # pure noise (trailing eigenvalues rise when leading ones fall: both sum to p); the first
    # crossing keeps the false-positive rate near the nominal 5%.
    runs = [
        parallel_analysis(
            np.random.default_rng(seed).standard_normal((120, 20)), n_resamples=100, seed=seed
        )
        for seed in range(40)
    ]
    first = np.array([r.k for r in runs])
    count = np.array([r.k_count for r in runs])
    for r in runs:
        above = r.observed > r.random_quantile
        expected = int(np.argmin(above)) if not above.all() else above.size
        assert r.k == expected == r.k_first_crossing
        assert r.k_count == int(above.sum())
    assert np.mean(first > 0) <= 0.15  # nominal 0.05; 40 data sets
    assert np.mean(count > 0) >= 0.3  # the count rule's false positives


def test_reproducible_and_seed_dependent() -> None:
    X = np.random.default_rng(0).standard_normal((48, 300))
    a = parallel_analysis(X, n_resamples=30, seed=4)
    b = parallel_analysis(X, n_resamples=30, seed=np.random.default_rng(4))
    c = parallel_analysis(X, n_resamples=30, seed=5)
    np.testing.assert_array_equal(a.random_quantile, b.random_quantile)
    assert not np.array_equal(a.random_mean, c.random_mean)
    assert a.to_dict()["n_vars"] == 300


def test_bad_input() -> None:
    X = np.random.default_rng(0).standard_normal((20, 30))
    with pytest.raises(InputError, match="fewer columns than rows"):
        parallel_analysis(X, kind="fa")
    Xm = X.copy()
    Xm[0, 0] = np.nan
    with pytest.raises(InputError, match="impute"):
        parallel_analysis(Xm)
    Xc = X[:, :5].copy()
    Xc[:, 2] = 1.0
    with pytest.raises(InputError, match="constant"):
        parallel_analysis(Xc)
    with pytest.raises(InputError, match="quantile"):
        parallel_analysis(X, quantile=1.0)
    with pytest.raises(InputError, match="n_iter"):
        parallel_analysis(X, n_resamples=0)
    with pytest.raises(InputError, match="kind"):
        parallel_analysis(X, kind="pc")


@settings(max_examples=25, deadline=None)
@given(st.integers(5, 40), st.integers(2, 60), st.integers(0, 2**32 - 1))
def test_parallel_analysis_properties(n: int, p: int, seed: int) -> None:
    X = np.random.default_rng(seed).standard_normal((n, p))
    result = parallel_analysis(X, n_resamples=10, seed=seed)
    assert result.observed.shape == result.random_mean.shape == (p,)
    assert np.all(np.diff(result.observed) <= 1e-12)
    np.testing.assert_allclose(result.observed.sum(), p, rtol=1e-10)
    np.testing.assert_allclose(result.random_mean.sum(), p, rtol=1e-10)
    # Eigenvalues beyond the rank n - 1 are zeros, observed and random alike.
    assert np.all(result.observed[n - 1 :] == 0.0)
    assert 0 <= result.k == result.k_first_crossing <= result.k_count <= p
    assert result.k <= result.k_mean  # the mean lies below the 95th percentile


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 30), st.integers(2, 50), st.integers(0, 2**32 - 1))
def test_dual_equals_direct_property(n: int, p: int, seed: int) -> None:
    X = np.random.default_rng(seed).standard_normal((n, p))
    np.testing.assert_allclose(
        correlation_eigenvalues(X, method="dual"),
        correlation_eigenvalues(X, method="direct"),
        atol=1e-10,
    )


def test_default_factor_eigenvalues_match_psych_fa_parallel_defaults() -> None:
    # psych's fa.parallel(bfi) (SMC = FALSE): one-factor minres communalities on the diagonal.
    ref = _reference()["parallel_default"]["bfi"]
    result = parallel_analysis(_data("bfi"), kind="fa", n_resamples=100, seed=0)
    np.testing.assert_allclose(result.observed, ref["fa_values"], rtol=0, atol=2e-6)
    pca = parallel_analysis(_data("bfi"), kind="pca", n_resamples=100, seed=0)
    np.testing.assert_allclose(pca.observed, ref["pc_values"], rtol=0, atol=1e-10)
    # The same answer as R: 6 factors and 6 components (the SMC variant retains 8, as psych's
    # SMC = TRUE does).
    assert (result.k, pca.k) == (ref["nfact"], ref["ncomp"]) == (6, 6)
    smc_variant = parallel_analysis(_data("bfi"), kind="fa_smc", n_resamples=100, seed=0)
    assert smc_variant.k == ref["smc_nfact"] == 8
    # The random reference: R's 100 simulated data sets against ours (means; Monte Carlo error
    # of the leading random eigenvalues at n = 2,800 is ~0.005).
    np.testing.assert_allclose(result.random_mean[:10], ref["fa_sim_mean"][:10], atol=0.02)
    np.testing.assert_allclose(pca.random_mean[:10], ref["pc_sim_mean"][:10], atol=0.02)
    assert result.kind_label.startswith("factor eigenvalues") and "SMC = FALSE" in (
        result.kind_label
    )


def test_old_n_iter_keyword_still_works() -> None:
    X = np.random.default_rng(0).standard_normal((30, 5))
    with pytest.warns(DeprecationWarning, match="n_resamples"):
        old = parallel_analysis(X, n_iter=20, seed=1)
    new = parallel_analysis(X, n_resamples=20, seed=1)
    np.testing.assert_array_equal(old.random_quantile, new.random_quantile)
    assert old.n_iter == old.n_resamples == 20
