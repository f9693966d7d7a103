"""Tests for measurand.latent._nonneg_em (non-negative k-factor model, plain EM and SQUAREM).

References:
* scikit-learn's ``FactorAnalysis`` (unconstrained Gaussian ML factor analysis): where the ML
  solution has non-negative loadings, the non-negative fit must reach the same likelihood,
  loadings (one factor) and implied covariance ΛΛᵀ + Ψ (several factors);
* ``scipy.stats.multivariate_normal.logpdf`` for the log-likelihood and, by finite differences,
  for its gradient, which must satisfy the Karush-Kuhn-Tucker conditions at the fitted point;
* simulated data with known non-negative loadings for parameter recovery.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from sklearn.decomposition import FactorAnalysis as SkFactorAnalysis

from measurand.errors import InputError
from measurand.latent._nonneg_em import (
    PSI_FLOOR,
    NonnegEMResult,
    fit_nonneg_em,
    fit_nonneg_em_batch,
)


def simulate(loadings: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p, k = loadings.shape
    psi = 1.0 - np.sum(loadings**2, axis=1)
    theta = rng.standard_normal((n, k))
    return theta @ loadings.T + rng.standard_normal((n, p)) * np.sqrt(psi)


def zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0)


TWO_FACTOR = np.array(
    [
        [0.8, 0.0],
        [0.7, 0.0],
        [0.6, 0.3],
        [0.75, 0.0],
        [0.0, 0.7],
        [0.0, 0.8],
        [0.2, 0.6],
        [0.0, 0.65],
    ]
)


THREE_FACTOR = np.array(
    [
        [0.8, 0.0, 0.0],
        [0.7, 0.2, 0.0],
        [0.75, 0.0, 0.0],
        [0.0, 0.8, 0.0],
        [0.0, 0.7, 0.3],
        [0.0, 0.75, 0.0],
        [0.0, 0.0, 0.8],
        [0.3, 0.0, 0.7],
        [0.0, 0.0, 0.75],
    ]
)


def match_columns(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Reorder estimate's factor columns to best match truth (k is small: try permutations)."""
    from itertools import permutations

    k = truth.shape[1]
    best = min(permutations(range(k)), key=lambda perm: np.sum((estimate[:, perm] - truth) ** 2))
    return estimate[:, list(best)]


def loglik_gradient(z: np.ndarray, lam: np.ndarray, psi: np.ndarray):
    """Analytic gradient of ℓ = −n/2 (log|Σ| + tr(Σ⁻¹S)) + const w.r.t. Λ and ψ."""
    n = z.shape[0]
    zc = z - z.mean(axis=0)
    s = zc.T @ zc / n
    sigma_inv = np.linalg.inv(lam @ lam.T + np.diag(psi))
    inner = sigma_inv @ s @ sigma_inv - sigma_inv
    return n * inner @ lam, 0.5 * n * np.diag(inner)


def scipy_loglik(z: np.ndarray, lam: np.ndarray, psi: np.ndarray) -> float:
    zc = z - z.mean(axis=0)
    cov = lam @ lam.T + np.diag(psi)
    return float(np.sum(sps.multivariate_normal(mean=np.zeros(len(psi)), cov=cov).logpdf(zc)))


# ----------------------------------------------------------------------------------------------
# Against scikit-learn's maximum-likelihood factor analysis
# ----------------------------------------------------------------------------------------------
def test_one_factor_matches_sklearn_ml():
    truth = np.array([[0.8], [0.7], [0.6], [0.75], [0.5], [0.65]])
    z = zscore(simulate(truth, 400, seed=1))
    fit = fit_nonneg_em(z, 1, tol=1e-11, max_iter=100_000)
    sk = SkFactorAnalysis(n_components=1, tol=1e-13, max_iter=100_000).fit(z)
    assert fit.converged
    np.testing.assert_allclose(fit.loadings[:, 0], np.abs(sk.components_[0]), atol=1e-5)
    np.testing.assert_allclose(fit.uniquenesses, sk.noise_variance_, atol=1e-5)
    assert fit.loglik == pytest.approx(sk.score(z) * len(z), rel=1e-8)


def test_two_factors_reach_the_ml_likelihood_and_covariance():
    # All loadings positive: some rotation of the ML solution is non-negative, so the constrained
    # maximum is the unconstrained one (reached on a ridge of rotations; ΛΛᵀ + Ψ is unique).
    positive = np.array(
        [[0.8, 0.3], [0.7, 0.3], [0.75, 0.35], [0.3, 0.8], [0.35, 0.7], [0.3, 0.75], [0.5, 0.5]]
    )
    z = zscore(simulate(positive, 600, seed=2))
    fit = fit_nonneg_em(z, 2, tol=1e-11, max_iter=100_000)
    sk = SkFactorAnalysis(n_components=2, tol=1e-13, max_iter=100_000).fit(z)
    implied = fit.loadings @ fit.loadings.T + np.diag(fit.uniquenesses)
    np.testing.assert_allclose(implied, sk.get_covariance(), atol=1e-5)
    assert fit.loglik == pytest.approx(sk.score(z) * len(z), rel=1e-8)


def test_loglik_matches_scipy_multivariate_normal():
    z = zscore(simulate(TWO_FACTOR, 300, seed=3))
    fit = fit_nonneg_em(z, 2)
    assert fit.loglik == pytest.approx(scipy_loglik(z, fit.loadings, fit.uniquenesses), rel=1e-12)
    assert fit.loglik_trace[-1] == pytest.approx(fit.loglik, rel=1e-12)


def test_gradient_formula_matches_finite_differences_of_scipy():
    z = zscore(simulate(TWO_FACTOR, 200, seed=4))
    rng = np.random.default_rng(0)
    lam = np.abs(rng.normal(0.5, 0.2, size=(8, 2)))
    psi = rng.uniform(0.2, 0.6, size=8)
    d_lam, d_psi = loglik_gradient(z, lam, psi)
    h = 1e-6
    bumped = lam.copy()
    bumped[2, 1] += h
    lowered = lam.copy()
    lowered[2, 1] -= h
    numeric = (scipy_loglik(z, bumped, psi) - scipy_loglik(z, lowered, psi)) / (2 * h)
    assert d_lam[2, 1] == pytest.approx(numeric, rel=1e-6)
    up, down = psi.copy(), psi.copy()
    up[5] += h
    down[5] -= h
    numeric = (scipy_loglik(z, lam, up) - scipy_loglik(z, lam, down)) / (2 * h)
    assert d_psi[5] == pytest.approx(numeric, rel=1e-6)


def test_fixed_point_satisfies_kkt_conditions_with_fixed_psi():
    # Loadings that want to be negative make the bounds active; two uniquenesses are fixed.
    truth = TWO_FACTOR.copy()
    z = simulate(truth, 500, seed=5)
    z[:, 7] -= 0.4 * z[:, 0]
    z = zscore(z)
    fixed = np.full(8, np.nan)
    fixed[[1, 4]] = [0.3, 0.45]
    fit = fit_nonneg_em(z, 2, fixed_psi=fixed, tol=1e-12, max_iter=200_000)
    assert fit.converged
    assert np.any(fit.loadings == 0.0)
    d_lam, d_psi = loglik_gradient(z, fit.loadings, fit.uniquenesses)
    n = len(z)
    positive = fit.loadings > 0
    assert np.max(np.abs(d_lam[positive])) / n < 1e-7
    assert np.max(d_lam[~positive]) / n < 1e-7  # at a bound, ℓ must not increase inwards
    free = ~fit.fixed
    assert np.max(np.abs(d_psi[free])) / n < 1e-7


# ----------------------------------------------------------------------------------------------
# Plain EM and SQUAREM
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3])
def test_plain_and_squarem_reach_the_same_fixed_point(k):
    truth = THREE_FACTOR if k == 3 else TWO_FACTOR
    z = zscore(simulate(truth, 400, seed=10 + k))
    fixed = np.full(truth.shape[0], np.nan)
    fixed[3] = 0.35
    plain = fit_nonneg_em(z, k, fixed_psi=fixed, accelerate=False, tol=1e-12, max_iter=200_000)
    fast = fit_nonneg_em(z, k, fixed_psi=fixed, accelerate=True, tol=1e-12, max_iter=200_000)
    assert plain.converged and fast.converged
    np.testing.assert_allclose(fast.loadings, plain.loadings, atol=1e-6)
    np.testing.assert_allclose(fast.uniquenesses, plain.uniquenesses, atol=1e-6)
    assert fast.loglik == pytest.approx(plain.loglik, rel=1e-10)
    assert fast.n_iter < plain.n_iter
    assert fast.n_cycles < fast.n_iter and plain.n_cycles == plain.n_iter


def test_plain_em_loglik_never_decreases():
    z = zscore(simulate(TWO_FACTOR, 150, seed=20))
    fit = fit_nonneg_em(z, 2, accelerate=False, init="random", seed=1, tol=1e-9)
    trace = fit.loglik_trace
    assert len(trace) == fit.n_iter + 1
    assert np.all(np.diff(trace) >= -1e-9 * np.abs(trace[:-1]))
    assert trace[-1] > trace[0] + 1.0  # it did climb from the random start


def test_squarem_trace_never_decreases():
    z = zscore(simulate(TWO_FACTOR, 150, seed=21))
    fit = fit_nonneg_em(z, 2, init="random", seed=2, tol=1e-9)
    assert np.all(np.diff(fit.loglik_trace) >= -1e-9 * np.abs(fit.loglik_trace[:-1]))
    assert len(fit.loglik_trace) == fit.n_cycles + 1


def test_parameter_recovery_with_known_nonnegative_loadings():
    truth = THREE_FACTOR
    z = simulate(truth, 20_000, seed=30)
    fit = fit_nonneg_em(z / z.std(axis=0), 3, tol=1e-9)
    estimate = match_columns(fit.loadings, truth)
    assert np.max(np.abs(estimate - truth)) < 0.03
    psi_true = 1.0 - np.sum(truth**2, axis=1)
    assert np.max(np.abs(fit.uniquenesses - psi_true)) < 0.03


def test_fixed_uniquenesses_stay_fixed_and_are_clipped():
    raw = simulate(TWO_FACTOR, 300, seed=40) * np.array([1, 2, 3, 4, 0.5, 1, 1, 1])
    fixed = np.array([1e-5, 1.7, 0.25, np.nan, np.nan, np.nan, np.nan, np.nan])
    fit = fit_nonneg_em(raw, 2, fixed_psi=fixed)
    variance = raw.var(axis=0)
    expected = np.array([1e-3, 0.999, 0.25]) * variance[:3]
    np.testing.assert_array_equal(fit.uniquenesses[:3], expected)
    np.testing.assert_array_equal(fit.fixed, ~np.isnan(fixed))
    assert np.all(fit.uniquenesses[3:] >= PSI_FLOOR * variance[3:])
    # z-scored columns: the fixed uniqueness is the share itself
    zfit = fit_nonneg_em(zscore(raw), 2, fixed_psi=fixed, accelerate=False)
    np.testing.assert_allclose(zfit.uniquenesses[:3], [1e-3, 0.999, 0.25], rtol=1e-12)


def test_loadings_are_nonnegative_and_factors_ordered_by_mass():
    z = zscore(simulate(THREE_FACTOR, 200, seed=50))
    fit = fit_nonneg_em(z, 3)
    assert isinstance(fit, NonnegEMResult)
    assert np.all(fit.loadings >= 0)
    mass = np.sum(fit.loadings**2, axis=0)
    assert np.all(np.diff(mass) <= 0)
    # posterior-mean scores: Z Ψ⁻¹Λ (I + ΛᵀΨ⁻¹Λ)⁻¹
    a = fit.loadings / fit.uniquenesses[:, None]
    expected = z @ a @ np.linalg.inv(np.eye(3) + fit.loadings.T @ a)
    np.testing.assert_allclose(fit.scores, expected, atol=1e-12)


def test_batched_fits_equal_single_fits_on_the_chosen_columns():
    z = zscore(simulate(TWO_FACTOR, 300, seed=60))
    full = fit_nonneg_em(z, 2, tol=1e-11, max_iter=50_000)
    masks = np.array([[1, 1, 1, 1, 1, 1, 1, 1], [1, 0, 1, 1, 1, 1, 0, 1], [0, 1, 1, 1, 1, 1, 1, 1]])
    lam, psi, converged, _ = fit_nonneg_em_batch(
        z, masks, full.loadings, full.uniquenesses, tol=1e-11, max_iter=50_000
    )
    assert converged.all()
    for b, mask in enumerate(masks.astype(bool)):
        # Same maximum as a fit on those columns alone (the maximiser may sit elsewhere on a
        # ridge of equally good non-negative rotations, so compare ℓ and ΛΛᵀ + Ψ).
        single = fit_nonneg_em(z[:, mask], 2, tol=1e-11, max_iter=50_000)
        lam_b, psi_b = lam[b][mask], psi[b][mask]
        assert scipy_loglik(z[:, mask], lam_b, psi_b) == pytest.approx(single.loglik, rel=1e-9)
        np.testing.assert_allclose(
            lam_b @ lam_b.T + np.diag(psi_b),
            single.loadings @ single.loadings.T + np.diag(single.uniquenesses),
            atol=1e-5,
        )


def test_wide_matrix_uses_the_data_not_the_covariance(monkeypatch):
    # With p > n and p above the dense limit, products with S go through Z: same fit as dense.
    from measurand.latent import _nonneg_em

    rng = np.random.default_rng(70)
    lam = np.minimum(np.abs(rng.normal(0.6, 0.1, size=(120, 1))), 0.9)
    z = zscore(simulate(lam, 60, seed=71))
    dense = fit_nonneg_em(z, 1, tol=1e-9)
    monkeypatch.setattr(_nonneg_em, "_MAX_DENSE_P", 50)
    wide = fit_nonneg_em(z, 1, tol=1e-9)
    np.testing.assert_allclose(wide.loadings, dense.loadings, atol=1e-9)
    assert wide.loglik == pytest.approx(dense.loglik, rel=1e-12)
    assert wide.n_iter == dense.n_iter


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 80),
    p=st.integers(4, 8),
    k=st.integers(1, 2),
    accelerate=st.booleans(),
)
def test_property_constraints_hold_and_likelihood_climbs(seed, n, p, k, accelerate):
    rng = np.random.default_rng(seed)
    truth = np.abs(rng.normal(0.5, 0.25, size=(p, k)))
    truth = truth / np.maximum(1.0, 1.05 * np.linalg.norm(truth, axis=1, keepdims=True))
    z = zscore(simulate(truth, n, seed))
    fixed = np.where(rng.random(p) < 0.3, rng.uniform(0, 1, p), np.nan)
    fit = fit_nonneg_em(z, k, fixed_psi=fixed, accelerate=accelerate, tol=1e-8, max_iter=1000)
    assert np.all(fit.loadings >= 0)
    assert np.all(fit.uniquenesses[~fit.fixed] >= PSI_FLOOR)
    np.testing.assert_allclose(fit.uniquenesses[fit.fixed], np.clip(fixed[fit.fixed], 1e-3, 0.999))
    trace = fit.loglik_trace
    assert np.all(np.diff(trace) >= -1e-8 * np.abs(trace[:-1]))
    assert fit.loglik == pytest.approx(scipy_loglik(z, fit.loadings, fit.uniquenesses), rel=1e-9)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 80),
    p=st.integers(4, 8),
    k=st.integers(1, 2),
)
def test_property_em_map_is_column_permutation_equivariant(seed, n, p, k):
    # The start and every EM step commute with a permutation of the columns, so the same number
    # of plain EM steps on permuted columns gives the permuted parameters, up to rounding.
    rng = np.random.default_rng(seed)
    truth = np.abs(rng.normal(0.5, 0.25, size=(p, k)))
    truth = truth / np.maximum(1.0, 1.05 * np.linalg.norm(truth, axis=1, keepdims=True))
    z = zscore(simulate(truth, n, seed))
    fixed = np.where(rng.random(p) < 0.3, rng.uniform(0, 1, p), np.nan)
    perm = rng.permutation(p)
    steps = {"accelerate": False, "tol": 1e-300, "max_iter": 300}  # exactly 300 EM steps
    fit = fit_nonneg_em(z, k, fixed_psi=fixed, **steps)
    permuted = fit_nonneg_em(z[:, perm], k, fixed_psi=fixed[perm], **steps)
    np.testing.assert_allclose(permuted.loadings, fit.loadings[perm], atol=1e-10)
    np.testing.assert_allclose(permuted.uniquenesses, fit.uniquenesses[perm], atol=1e-10)


def distance_to_fixed_point(z: np.ndarray, fit: NonnegEMResult, steps: int = 200) -> float:
    """Estimated max-norm distance from a fit's parameters to the EM fixed point it approaches.

    Near a fixed point EM converges linearly, |x_{m+1} − x_m| ≈ ρ |x_m − x_{m−1}|, so the rest of
    the way after m steps is about |x_{m+1} − x_m| ρ / (1 − ρ). Returns the distance covered by
    ``steps`` more plain EM steps plus that tail (inf while ρ >= 1: not yet in the linear regime).
    """

    def em(lam, psi, n_steps):
        lam, psi, _, _ = fit_nonneg_em_batch(
            z, np.ones((1, z.shape[1])), lam, psi, tol=1e-300, max_iter=n_steps, accelerate=False
        )
        return lam[0], psi[0]

    start = np.r_[fit.loadings.ravel(), fit.uniquenesses]
    lam, psi = em(fit.loadings, fit.uniquenesses, steps - 2)
    points = [np.r_[lam.ravel(), psi]]
    for _ in range(2):
        lam, psi = em(lam, psi, 1)
        points.append(np.r_[lam.ravel(), psi])
    covered = np.max(np.abs(points[2] - start))
    previous = np.max(np.abs(points[1] - points[0]))
    last = np.max(np.abs(points[2] - points[1]))
    if last < 1e-13:  # converged to rounding
        return float(covered + 1e-12)
    rate = last / previous
    return float(covered + last * rate / (1.0 - rate)) if rate < 1.0 else math.inf


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(30, 80), p=st.integers(4, 8))
def test_property_one_factor_fit_is_column_permutation_equivariant(seed, n, p):
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.3, 0.85, size=(p, 1))
    z = zscore(simulate(truth, n, seed))
    fit = fit_nonneg_em(z, 1, tol=1e-10, max_iter=20_000)
    perm = rng.permutation(p)
    permuted = fit_nonneg_em(z[:, perm], 1, tol=1e-10, max_iter=20_000)
    # A Heywood case (a free ψ sliding to 0) converges sublinearly: there the stopping rule pins
    # neither ℓ nor the parameters (ψ ~ 1e-4 at the stop, ℓ still rising by ~1e-6).
    assume(min(fit.uniquenesses.min(), permuted.uniquenesses.min()) > 1e-3)
    assert permuted.loglik == pytest.approx(fit.loglik, rel=1e-9)
    # SQUAREM accepts or rejects an extrapolation by comparing two log-likelihoods that differ
    # by rounding near the optimum, so the two runs take different paths and stop at different
    # points: each within the distance that is left after max|F(x) − x| < tol, about
    # tol / (1 − ρ). Near a Heywood case EM's rate ρ approaches 1 and that distance is ~1e-5,
    # far above tol; compare within the distances measured at both end points (x2 for safety).
    slack = distance_to_fixed_point(z, fit) + distance_to_fixed_point(z[:, perm], permuted)
    if math.isfinite(slack):  # else EM is not yet converging linearly: no distance to compare
        atol = 2.0 * slack + 1e-9
        np.testing.assert_allclose(permuted.loadings, fit.loadings[perm], atol=atol)
        np.testing.assert_allclose(permuted.uniquenesses, fit.uniquenesses[perm], atol=atol)


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------
def test_bad_input_is_reported():
    z = zscore(simulate(TWO_FACTOR, 50, seed=80))
    with pytest.raises(InputError, match="fewer than needed"):
        fit_nonneg_em(z[:2], 3)
    with pytest.raises(InputError, match="need more than"):
        fit_nonneg_em(z[:, :2], 2)
    bad = z.copy()
    bad[3, 4] = np.nan
    with pytest.raises(InputError, match="row 3, column 4"):
        fit_nonneg_em(bad, 1)
    constant = z.copy()
    constant[:, 2] = 1.0
    with pytest.raises(InputError, match=r"column\(s\) \[2\]"):
        fit_nonneg_em(constant, 1)
    with pytest.raises(InputError, match="one entry per column"):
        fit_nonneg_em(z, 1, fixed_psi=np.ones(3))
    with pytest.raises(InputError, match="positive integer"):
        fit_nonneg_em(z, 1.5)
    with pytest.raises(InputError, match="init"):
        fit_nonneg_em(z, 1, init="pca")
    with pytest.raises(InputError, match="non-negative"):
        fit_nonneg_em(z, 1, init=-np.ones((8, 1)))


def test_same_seed_same_result_for_random_starts():
    z = zscore(simulate(TWO_FACTOR, 100, seed=90))
    a = fit_nonneg_em(z, 2, init="random", seed=5)
    b = fit_nonneg_em(z, 2, init="random", seed=5)
    np.testing.assert_array_equal(a.loadings, b.loadings)
    assert a.to_dict()["n_iter"] == b.n_iter
