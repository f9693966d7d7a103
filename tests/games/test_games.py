"""One-shot and repeated games, the misalignment bound and the closed-form k*."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from measurand.games import (
    closed_form_loss,
    kl_to_uniform,
    misalignment_bound,
    one_shot_cell,
    optimal_k,
    optimal_loss,
    plug_in_sigma,
    prefix_bias,
    repeated_cell,
    synthetic_pool,
    transparency_cell,
)
from measurand.games.oneshot import gumbel_top_k
from measurand.games.repeated import _sample_counts

POOL = synthetic_pool(4, 40, seed=0)
Z = POOL.z
N = Z.shape[0]
PI = prefix_bias(N)


def test_gumbel_top_k_is_without_replacement_and_weighted() -> None:
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.3, 0.1, 0.05, 0.05])
    idx = gumbel_top_k(rng, p, 1, 40_000)
    freq = np.bincount(idx[:, 0], minlength=5) / 40_000
    np.testing.assert_allclose(freq, p, atol=0.01)
    idx = gumbel_top_k(rng, p, 3, 1000)
    assert all(len(set(row)) == 3 for row in idx.tolist())


def test_sample_counts_match_multinomial_means() -> None:
    rng = np.random.default_rng(1)
    pi = np.stack([PI, np.full(N, 1 / N)])
    pi = np.repeat(pi, 2000, axis=0)
    counts = _sample_counts(rng, pi, 5)
    assert (counts.sum(axis=1) == 5).all()
    np.testing.assert_allclose(counts[:2000].mean(axis=0).sum(), 5)
    np.testing.assert_allclose(counts[0::2000].shape, (2, N))
    first = counts[:2000, : int(0.4 * N)].sum(axis=1).mean() / 5
    assert first == pytest.approx(PI[: int(0.4 * N)].sum(), abs=0.02)


def test_transparency_loses_to_randomized_at_low_awareness() -> None:
    rng = np.random.default_rng(2)
    for k in (4, 16):
        transparent = transparency_cell(Z, PI, k, reps=400, rng=rng)
        randomized = one_shot_cell(Z, PI, k, [0.0, 0.2], reps=400, rng=rng)
        for cell in randomized:
            gap = cell.alignment - transparent.alignment
            assert gap > 3 * np.hypot(cell.alignment_se, transparent.alignment_se)
        # Transparency inflates the benchmark score over the model's average performance.
        assert transparent.asymmetry > randomized[0].asymmetry + 3 * transparent.asymmetry_se
        assert 0 < transparent.alignment <= 1 and all(c.alignment <= 1 for c in randomized)


def test_full_awareness_aims_at_pi() -> None:
    rng = np.random.default_rng(3)
    aware = one_shot_cell(Z, PI, 8, [1.0], reps=50, rng=rng)[0]
    assert aware.alignment_se == pytest.approx(0.0, abs=1e-12)  # the belief is pi itself


@pytest.mark.parametrize("rho", [0.0, 0.05, 0.5])
def test_delta_is_zero_when_pi_is_uniform(rho: float) -> None:
    uniform = np.full(N, 1 / N)
    cell = repeated_cell(
        Z,
        uniform,
        rho=rho,
        k=3,
        rounds=30,
        reps=8,
        rng=np.random.default_rng(4),
        correction="uniform",
    )
    np.testing.assert_allclose(cell.delta, 0.0, atol=1e-14)
    np.testing.assert_allclose(cell.kl, 0.0, atol=1e-14)
    if rho == 0.0:  # no correction at all: the gap-targeted game leaves pi alone too
        gap = repeated_cell(
            Z, uniform, rho=0.0, k=3, rounds=30, reps=8, rng=np.random.default_rng(4)
        )
        np.testing.assert_allclose(gap.delta, 0.0, atol=1e-14)


@pytest.mark.parametrize("correction", ["uniform", "gap"])
def test_misalignment_decays_for_rho_positive_and_persists_at_zero(correction: str) -> None:
    finals = {}
    for rho in (0.0, 0.05, 0.2):
        cell = repeated_cell(
            Z,
            PI,
            rho=rho,
            k=5,
            rounds=120,
            reps=20,
            rng=np.random.default_rng(5),
            correction=correction,  # type: ignore[arg-type]
        )
        finals[rho] = cell
    persist = finals[0.0]
    assert persist.final_delta > 0.01 and persist.final_delta > 5 * persist.final_delta_se
    assert persist.kl[-1] == pytest.approx(kl_to_uniform(PI))
    for rho in (0.05, 0.2):
        cell = finals[rho]
        if correction == "uniform":  # pi -> U geometrically, so Delta -> 0
            assert abs(cell.final_delta) < 1e-3
            assert cell.kl[-1] < 1e-3 * cell.kl[0] + 1e-6
        else:  # gap-targeted: the builder's inflation is removed (it may overshoot below 0)
            assert cell.final_delta < persist.final_delta - 5 * persist.final_delta_se
            assert abs(cell.final_delta) < persist.final_delta


def test_pinsker_term_holds_on_whole_grid_for_uniform_correction() -> None:
    d0 = float(kl_to_uniform(PI))
    for rho in (0.0, 0.01, 0.1, 0.3, 1.0):
        for k in (1, 4, 16):
            cell = repeated_cell(
                Z,
                PI,
                rho=rho,
                k=k,
                rounds=40,
                reps=6,
                rng=np.random.default_rng(6),
                correction="uniform",
            )
            t = np.arange(1, 41)
            pinsker = (1 - rho) ** t * np.sqrt(d0 / 2)
            assert (cell.delta <= pinsker + 1e-12).all()
            # The recorded bound is the min of both terms, and violations are counted.
            np.testing.assert_allclose(cell.bound, misalignment_bound(rho, k, N, d0, t))
            check = cell.bound_check
            assert check.n_checked == 40 * 6
            assert (check.n_violations > 0) == (check.worst_excess > 1e-12)
            assert (check.n_violations > 0) == bool(check.rounds_violated)


def test_loss_has_variance_over_k_and_leakage_terms() -> None:
    # Uniform pi, uniform correction: E[(s_hat - u/N)^2] = Var_U f / k exactly.
    uniform = np.full(N, 1 / N)
    sigma = plug_in_sigma(Z, uniform)
    cell = repeated_cell(
        Z,
        uniform,
        rho=0.5,
        k=4,
        rounds=5,
        reps=4000,
        rng=np.random.default_rng(7),
        correction="uniform",
        gamma=0.0,
    )
    np.testing.assert_allclose(cell.loss[0], sigma**2 / 4, rtol=0.08)
    leaky = repeated_cell(
        Z,
        uniform,
        rho=0.5,
        k=4,
        rounds=5,
        reps=4000,
        rng=np.random.default_rng(7),
        correction="uniform",
        gamma=1e-3,
    )
    np.testing.assert_allclose(leaky.loss - cell.loss, 1e-3 * 4 * np.array([1, 2, 2, 2, 2]))


def test_closed_form_k_star_minimizes_loss() -> None:
    for sigma, gamma, rho in [(0.1, 1e-5, 0.01), (0.1, 1e-5, 0.1), (2.0, 0.3, 0.7)]:
        k_star = optimal_k(sigma=sigma, gamma=gamma, rho=rho)
        found = optimize.minimize_scalar(
            lambda k, s=sigma, g=gamma, r=rho: float(closed_form_loss(k, sigma=s, gamma=g, rho=r)),
            bounds=(1e-3, 1e4),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert found.x == pytest.approx(k_star, rel=1e-4)
        l_star = optimal_loss(sigma=sigma, gamma=gamma, rho=rho)
        assert float(closed_form_loss(k_star, sigma=sigma, gamma=gamma, rho=rho)) == pytest.approx(
            l_star, rel=1e-12
        )
        grid = np.linspace(k_star / 10, 10 * k_star, 1001)
        assert closed_form_loss(grid, sigma=sigma, gamma=gamma, rho=rho).min() >= l_star - 1e-15


def test_logistic_link_runs_through_both_games() -> None:
    rng = np.random.default_rng(8)
    uniform = np.full(N, 1 / N)
    cell = repeated_cell(
        Z,
        uniform,
        rho=0.2,
        k=3,
        rounds=5,
        reps=3,
        rng=rng,
        correction="uniform",
        link="logistic",
    )
    np.testing.assert_allclose(cell.delta, 0.0, atol=1e-14)
    transparent = transparency_cell(Z, PI, 4, reps=20, rng=rng, link="logistic")
    randomized = one_shot_cell(Z, PI, 4, [0.0], reps=20, rng=rng, link="logistic")[0]
    # max u_E is a stationary point for this link: allow a hair above 1.
    assert 0.5 < transparent.alignment < randomized.alignment < 1.01
