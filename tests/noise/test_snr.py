"""Projection SNR, benchmark SNR and decision accuracy.

References
----------
* ``sklearn.decomposition.FactorAnalysis.transform`` computes the posterior mean
  (X − mean) Ψ⁻¹Λ (I + ΛᵀΨ⁻¹Λ)⁻¹ from ``components_`` = Λᵀ and ``noise_variance_`` = ψ: the
  posterior map is checked against it.
* The benchmark SNR and decision accuracy follow the authors' code of Heineman et al. (2025),
  allenai/signal-and-noise ``snr/metrics.py`` (``signal_to_noise_ratio``, ``decision_acc_fast``),
  restated literally below as reference functions; for untied scores the decision accuracy is
  also (1 + Kendall's τ)/2 with ``scipy.stats.kendalltau``.
* Coverage: a simulation with known truth (a non-negative 2-factor model plus known per-task
  noise, a sweep of 240 runs and a noise baseline of 10 reruns), fitted with the noise-anchored
  model exactly as the workflow does.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.decomposition import FactorAnalysis

from measurand.errors import InputError
from measurand.latent._nonneg_em import fit_nonneg_em
from measurand.noise.floors import f_ratio_interval, noise_floors
from measurand.noise.snr import (
    _Anchor,
    _cross_fitted_noise_var,
    benchmark_snr,
    decision_accuracy,
    posterior_map,
    projection_snr,
)


# ----------------------------------------------------------------------------------------------
# Posterior map
# ----------------------------------------------------------------------------------------------
def test_posterior_map_by_hand() -> None:
    # Λ = (1, 2)ᵀ, ψ = (1, 4): ΛᵀΨ⁻¹Λ = 1 + 1 = 2, so W = Ψ⁻¹Λ / 3 = (1/3, 1/6).
    weights = posterior_map(np.array([[1.0], [2.0]]), np.array([1.0, 4.0]))
    np.testing.assert_allclose(weights, [[1 / 3], [1 / 6]], rtol=1e-14)


def test_posterior_map_matches_sklearn_transform() -> None:
    rng = np.random.default_rng(5)
    p, k = 9, 3
    loadings = np.abs(rng.normal(size=(p, k)))
    psi = rng.uniform(0.1, 1.0, p)
    x = rng.normal(size=(50, p))
    fa = FactorAnalysis(n_components=k)
    fa.components_ = loadings.T
    fa.noise_variance_ = psi
    fa.mean_ = np.zeros(p)
    np.testing.assert_allclose(x @ posterior_map(loadings, psi), fa.transform(x), rtol=1e-10)


def test_posterior_map_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="positive"):
        posterior_map(np.ones((2, 1)), np.array([1.0, 0.0]))
    with pytest.raises(InputError, match="uniquenesses"):
        posterior_map(np.ones((3, 1)), np.ones(2))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    p=st.integers(2, 12),
    k=st.integers(1, 3),
)
def test_posterior_map_property(seed: int, p: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    loadings = rng.uniform(0, 1.5, (p, k))
    psi = rng.uniform(0.05, 2.0, p)
    weights = posterior_map(loadings, psi)
    # The defining identity: (I + ΛᵀΨ⁻¹Λ) Wᵀ = ΛᵀΨ⁻¹.
    inner = np.eye(k) + loadings.T @ (loadings / psi[:, None])
    np.testing.assert_allclose(inner @ weights.T, (loadings / psi[:, None]).T, atol=1e-10)


# ----------------------------------------------------------------------------------------------
# Projection SNR
# ----------------------------------------------------------------------------------------------
def _tiny():
    loadings = np.array([[1.0], [2.0]])
    psi = np.array([1.0, 4.0])
    sweep = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0], [2.0, 1.0]])
    noise = np.array([[0.3, 0.0], [0.0, 0.6], [-0.3, 0.3]])
    return loadings, psi, sweep, noise


def test_fixed_map_by_hand() -> None:
    loadings, psi, sweep, noise = _tiny()
    result = projection_snr(sweep, noise, loadings, psi)
    w = np.array([1 / 3, 1 / 6])
    theta_sweep = sweep @ w  # 1/3, 1/3, -1/2, 5/6
    theta_noise = noise @ w  # 0.1, 0.1, -0.05
    var_s = np.var(theta_sweep, ddof=1)
    var_n = np.var(theta_noise, ddof=1)
    assert var_n == pytest.approx(0.0075)
    # One factor: the factor and the mean θ coincide.
    np.testing.assert_allclose(result.var_sweep, [var_s, var_s])
    np.testing.assert_allclose(result.var_noise, [var_n, var_n])
    share = var_n / var_s
    assert result.noise_share[0] == pytest.approx(share)
    assert result.snr[0] == pytest.approx((var_s - var_n) / var_n)
    assert result.noise_share_low[0] == pytest.approx(share / stats.f.ppf(0.975, 2, 3))
    assert result.noise_share_high[0] == pytest.approx(share / stats.f.ppf(0.025, 2, 3))
    assert result.method == "fixed map"
    assert result.labels == ("factor 1", "mean θ")
    assert result.rows()[1]["label"] == "mean θ"


def test_aggregate_uses_the_mean_of_the_factor_weights() -> None:
    rng = np.random.default_rng(3)
    loadings = np.abs(rng.normal(size=(6, 2)))
    psi = rng.uniform(0.2, 0.8, 6)
    sweep, noise = rng.normal(size=(40, 6)), rng.normal(size=(8, 6)) * 0.3
    result = projection_snr(sweep, noise, loadings, psi)
    weights = posterior_map(loadings, psi)
    aggregate = sweep @ weights.mean(axis=1)
    assert result.var_sweep[2] == pytest.approx(np.var(aggregate, ddof=1))
    assert result.var_noise[2] == pytest.approx(np.var(noise @ weights.mean(axis=1), ddof=1))


def test_cross_fit_reduces_to_the_sample_variance_for_a_fixed_map() -> None:
    rng = np.random.default_rng(11)
    loadings = np.abs(rng.normal(size=(5, 2)))
    psi = rng.uniform(0.2, 0.9, 5)
    sweep, noise = rng.normal(size=(30, 5)), rng.normal(size=(7, 5))
    anchor = _Anchor(sweep, psi, np.zeros(5, dtype=bool), (1e-3, 0.999))
    weights = posterior_map(loadings, psi)
    combined = np.column_stack([weights, weights.mean(axis=1)])
    np.testing.assert_allclose(
        _cross_fitted_noise_var(noise, loadings, anchor),
        np.var(noise @ combined, axis=0, ddof=1),
        rtol=1e-10,
    )


def test_cross_fit_uses_maps_reanchored_without_each_rerun() -> None:
    rng = np.random.default_rng(12)
    p = 4
    loadings = np.abs(rng.normal(size=(p, 1)))
    sweep, noise = rng.normal(size=(25, p)), rng.normal(size=(5, p)) * 0.4
    anchored = np.array([True, True, False, True])
    psi = np.array([0.2, 0.3, 0.5, 0.4])
    anchor = _Anchor(sweep, psi, anchored, (1e-3, 0.999))
    deviations = []
    for r in range(5):
        rest = np.delete(noise, r, axis=0)
        share = np.clip(rest.var(axis=0, ddof=1) / sweep.var(axis=0, ddof=1), 1e-3, 0.999)
        psi_r = np.where(anchored, share * sweep.var(axis=0), psi)
        w = posterior_map(loadings, psi_r)
        deviations.append((noise[r] - rest.mean(axis=0)) @ w)
    expected = 4 / 5 * np.mean(np.square(deviations))
    assert _cross_fitted_noise_var(noise, loadings, anchor)[0] == pytest.approx(expected)


def test_projection_rejects_bad_input() -> None:
    loadings, psi, sweep, noise = _tiny()
    with pytest.raises(InputError, match="shape"):
        projection_snr(sweep[:, :1], noise, loadings, psi)
    with pytest.raises(InputError, match="non-finite"):
        projection_snr(sweep, np.where(noise == 0.0, np.nan, noise), loadings, psi)
    with pytest.raises(InputError, match="3 reruns"):
        projection_snr(sweep, noise[:2], loadings, psi, anchored=np.array([True, True]))
    with pytest.raises(InputError, match="n_draws"):
        projection_snr(sweep, noise, loadings, psi, anchored=np.array([True, True]), n_draws=5)


def _simulate(seed: int, p: int = 12, n_sweep: int = 240, n_noise: int = 10):
    """Truth: x = 5 + Λθ + ε, θ ~ N(0, I₂), ε ~ N(0, diag(σ²)); the reruns share one θ."""
    half = p // 2
    lam = np.zeros((p, 2))
    lam[:half, 0] = np.linspace(0.5, 1.0, half)
    lam[half:, 1] = np.linspace(0.4, 0.9, p - half)
    lam[half - 1, 1] = lam[half, 0] = 0.3
    sigma = np.linspace(0.2, 0.8, p)
    rng = np.random.default_rng(seed)
    sweep = (
        5 + rng.standard_normal((n_sweep, 2)) @ lam.T + rng.standard_normal((n_sweep, p)) * sigma
    )
    config = rng.standard_normal(2)
    noise = 5 + config @ lam.T + rng.standard_normal((n_noise, p)) * sigma
    return lam, sigma, sweep, noise


def _anchored_fit(sweep: np.ndarray, noise: np.ndarray, seed: int, n_draws: int):
    floors = noise_floors(sweep, noise)
    mean, sd = sweep.mean(axis=0), sweep.std(axis=0)
    z, z_noise = (sweep - mean) / sd, (noise - mean) / sd
    fit = fit_nonneg_em(z, 2, fixed_psi=np.clip(floors.noise_share, 1e-3, 0.999))
    result = projection_snr(
        z,
        z_noise,
        fit.loadings,
        fit.uniquenesses,
        anchored=np.ones(sweep.shape[1], dtype=bool),
        n_draws=n_draws,
        seed=seed,
    )
    return floors, sd, result


def _truth(lam, sigma, sd, weights):
    """Noise share of the scores the fitted map produces, under the true covariances."""
    combined = np.column_stack([weights, weights.mean(axis=1)]) / sd[:, None]
    var_sweep = np.einsum("pf,pq,qf->f", combined, lam @ lam.T + np.diag(sigma**2), combined)
    var_noise = np.einsum("pf,p,pf->f", combined, sigma**2, combined)
    return var_noise / var_sweep, var_noise


def test_cross_fitting_removes_the_in_sample_bias() -> None:
    in_sample, cross_fitted, covered = [], [], []
    for seed in range(30):
        lam, sigma, sweep, noise = _simulate(seed)
        _, sd, result = _anchored_fit(sweep, noise, seed, n_draws=300)
        share, var_noise = _truth(lam, sigma, sd, result.weights)
        in_sample.append(np.log(result.var_noise_in_sample / var_noise))
        cross_fitted.append(np.log(result.var_noise / var_noise))
        covered.append((result.noise_share_low <= share) & (share <= result.noise_share_high))
    # An unbiased variance of 9 df has E[log(s²/σ²)] = ψ(4.5) − log(4.5) ≈ −0.115; projecting
    # the reruns that anchored ψ understates the noise far more (about −0.5 in this design).
    assert np.mean(in_sample) < -0.3
    assert -0.3 < np.mean(cross_fitted) < 0.1
    assert np.mean(covered) >= 0.85


@pytest.mark.slow
def test_simulation_recovers_the_truth_at_the_nominal_rate() -> None:
    task_covered, factor_covered, snr_covered = [], [], []
    for seed in range(300):
        lam, sigma, sweep, noise = _simulate(1000 + seed)
        floors, sd, result = _anchored_fit(sweep, noise, seed, n_draws=1000)
        true_task_share = sigma**2 / (np.sum(lam**2, axis=1) + sigma**2)
        task_covered.append(
            (floors.noise_share_low <= true_task_share)
            & (true_task_share <= floors.noise_share_high)
        )
        share, _ = _truth(lam, sigma, sd, result.weights)
        factor_covered.append(
            (result.noise_share_low <= share) & (share <= result.noise_share_high)
        )
        snr = 1 / share - 1
        snr_covered.append((result.snr_low <= snr) & (snr <= result.snr_high))
    assert 0.935 <= np.mean(task_covered) <= 0.965
    rate = np.mean(factor_covered, axis=0)  # factor 1, factor 2, mean θ
    assert np.all((rate >= 0.92) & (rate <= 0.98)), rate
    np.testing.assert_array_equal(np.mean(snr_covered, axis=0), rate)


def test_projection_is_reproducible_for_a_seed() -> None:
    _, _, sweep, noise = _simulate(7, p=8)
    first = _anchored_fit(sweep, noise, 99, n_draws=200)[2]
    second = _anchored_fit(sweep, noise, 99, n_draws=200)[2]
    np.testing.assert_array_equal(first.snr_low, second.snr_low)
    np.testing.assert_array_equal(first.snr_high, second.snr_high)


# ----------------------------------------------------------------------------------------------
# Benchmark SNR and decision accuracy (Heineman et al. 2025)
# ----------------------------------------------------------------------------------------------
def reference_snr(signal_scores, noise_scores) -> float:
    """allenai/signal-and-noise snr/metrics.py ``signal_to_noise_ratio``, restated."""
    dispersion = np.max([np.abs(mj - mk) for mj in signal_scores for mk in signal_scores])
    signal = dispersion / np.mean(signal_scores)
    noise = np.std(noise_scores) / np.mean(noise_scores)
    return signal / noise


def reference_decision_accuracy(small, target) -> float:
    """allenai/signal-and-noise snr/metrics.py ``decision_acc_fast``, restated."""
    small, target = np.asarray(small), np.asarray(target)
    small_diffs = small[:, None] > small[None, :]
    target_diffs = target[:, None] > target[None, :]
    mask = np.triu(np.ones_like(small_diffs), k=1).astype(bool)
    return float(np.mean((small_diffs == target_diffs)[mask]))


def test_benchmark_snr_by_hand() -> None:
    # scores 0.2, 0.3, 0.6: range 0.4, mean 1.1/3 -> signal 12/11; noise 0.5, 0.52, 0.54: sd
    # (ddof 0) sqrt(8/3)·0.01 = 0.016330, mean 0.52 -> noise 0.031404; SNR 34.74.
    result = benchmark_snr([0.2, 0.3, 0.6], [0.5, 0.52, 0.54], tasks=["t"])
    assert result.signal[0] == pytest.approx(12 / 11)
    assert result.noise[0] == pytest.approx(np.sqrt(8 / 3) * 0.01 / 0.52)
    assert result.snr[0] == pytest.approx((12 / 11) / (np.sqrt(8 / 3) * 0.01 / 0.52))
    sd = benchmark_snr([0.2, 0.3, 0.6], [0.5, 0.52, 0.54], dispersion="sd", ddof=1)
    # sd of the scores (ddof 1) = sqrt(0.0433...) = 0.208167
    assert sd.signal[0] == pytest.approx(0.2081665999 / (1.1 / 3))
    assert sd.noise[0] == pytest.approx(0.02 / 0.52)


def test_benchmark_snr_matches_the_authors_formula() -> None:
    rng = np.random.default_rng(8)
    scores = rng.uniform(0.2, 0.9, (25, 4))
    noise = rng.uniform(0.4, 0.5, (10, 4))
    result = benchmark_snr(scores, noise)
    expected = [reference_snr(scores[:, j], noise[:, j]) for j in range(4)]
    np.testing.assert_allclose(result.snr, expected, rtol=1e-12)
    # A negated (lower-is-better) metric keeps its SNR: the means enter as |mean|.
    np.testing.assert_allclose(benchmark_snr(-scores, -noise).snr, expected, rtol=1e-12)


def test_benchmark_snr_bad_input() -> None:
    with pytest.raises(InputError, match="dispersion"):
        benchmark_snr([1.0, 2.0], [1.0, 2.0], dispersion="iqr")
    with pytest.raises(InputError, match="fewer than 2"):
        benchmark_snr([1.0, 2.0], [1.0])
    with pytest.raises(InputError, match="task column"):
        benchmark_snr(np.ones((3, 2)), np.ones((3, 1)))


def test_decision_accuracy_by_hand() -> None:
    # Pairs of 4 models: orderings (small) 1<2<3<4, (target) 1<3<2<4 -> only pair (2, 3) flips.
    result = decision_accuracy([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0])
    assert result.n_pairs[0] == 6 and result.n_agree[0] == 5
    assert result.accuracy[0] == pytest.approx(5 / 6)
    # Ties: a pair tied on both scales agrees, on one scale only it does not.
    tied = decision_accuracy([1.0, 1.0, 2.0], [5.0, 5.0, 6.0])
    assert tied.accuracy[0] == 1.0
    half = decision_accuracy([1.0, 1.0, 2.0], [5.0, 6.0, 7.0])
    assert half.accuracy[0] == pytest.approx(2 / 3)


def test_decision_accuracy_matches_kendall_and_the_authors_code() -> None:
    rng = np.random.default_rng(21)
    small = rng.normal(size=(60, 5))
    target = small + rng.normal(size=(60, 5)) * 0.8
    result = decision_accuracy(small, target)
    for j in range(5):
        tau = stats.kendalltau(small[:, j], target[:, j]).statistic
        assert result.accuracy[j] == pytest.approx((1 + tau) / 2, rel=1e-12)
        assert result.accuracy[j] == pytest.approx(
            reference_decision_accuracy(small[:, j], target[:, j]), rel=1e-12
        )


def test_decision_accuracy_skips_missing_models_per_task() -> None:
    small = np.array([[1.0, 1.0], [2.0, np.nan], [3.0, 3.0], [4.0, 2.0]])
    target = np.array([[1.0, 1.0], [3.0, 9.0], [2.0, 2.0], [4.0, 3.0]])
    result = decision_accuracy(small, target)
    assert result.n_pairs.tolist() == [6, 3]
    assert result.n_models.tolist() == [4, 3]
    # Task 2 keeps models 1, 3, 4: small 1, 3, 2 vs target 1, 2, 3 -> pair (3, 4) flips.
    assert result.accuracy[1] == pytest.approx(2 / 3)


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=2, max_size=25)
)
def test_decision_accuracy_properties(values) -> None:
    small = np.array([v[0] for v in values], dtype=float)
    target = np.array([v[1] for v in values], dtype=float)
    result = decision_accuracy(small, target)
    assert 0.0 <= result.accuracy[0] <= 1.0
    assert decision_accuracy(target, small).accuracy[0] == result.accuracy[0]
    # Invariant to strictly increasing transformations of either scale.
    assert decision_accuracy(np.exp(small / 50), target * 3 + 1).accuracy[0] == result.accuracy[0]


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(min_value=1e-3, max_value=1e3),
)
def test_benchmark_snr_is_scale_free(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    scores, noise = rng.uniform(1, 2, (12, 3)), rng.uniform(1, 2, (5, 3))
    np.testing.assert_allclose(
        benchmark_snr(scores * scale, noise * scale).snr,
        benchmark_snr(scores, noise).snr,
        rtol=1e-9,
    )


def test_interval_helper_is_the_same_for_factor_and_task() -> None:
    low, high = f_ratio_interval(0.3, 9, 239)
    assert low < 0.3 < high


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(min_value=1e-2, max_value=1e2))
def test_projection_snr_properties(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    loadings = rng.uniform(0, 1, (5, 2))
    psi = rng.uniform(0.1, 1.0, 5)
    sweep, noise = rng.normal(size=(30, 5)), rng.normal(size=(6, 5)) * rng.uniform(0.1, 1.0)
    result = projection_snr(sweep, noise, loadings, psi)
    scaled = projection_snr(sweep * scale, noise * scale, loadings, psi)
    np.testing.assert_allclose(scaled.noise_share, result.noise_share, rtol=1e-9)
    assert np.all(result.noise_share_low <= result.noise_share)
    assert np.all(result.noise_share <= result.noise_share_high)
    assert np.all(result.snr_low <= result.snr) and np.all(result.snr <= result.snr_high)
