"""The Newton finish of marginal ML: its analytic Hessian, pattern collapsing and the
L-BFGS path all give the same optimum and standard errors."""

from __future__ import annotations

import numpy as np
import pytest

from measurand.latent.irt import fit_mml, response_probability
from measurand.latent.irt import mml as mml_module


def _simulate(
    n: int, p: int, n_dims: int, missing: float, seed: int, trials: int = 1
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.6, 2.0, (p, n_dims))
    d = rng.normal(0, 1, p)
    theta = rng.standard_normal((n, n_dims))
    P = response_probability(theta, A, d)[:, :, None]
    Y = (rng.random((n, p, trials)) < P).mean(axis=2)  # trials > 1: fractional outcomes
    Y[rng.random((n, p)) < missing] = np.nan
    return Y


@pytest.mark.parametrize(
    ("model", "n_dims", "missing", "trials"),
    [
        ("2pl", 1, 0.0, 1),
        ("2pl", 1, 0.15, 1),
        ("2pl", 1, 0.15, 3),
        ("1pl", 1, 0.15, 1),
        ("m2pl", 2, 0.1, 1),
    ],
)
def test_analytic_hessian_matches_differences_of_the_gradient(model, n_dims, missing, trials):
    Y = _simulate(300, 6, n_dims, missing, seed=3, trials=trials)
    Yu, f, _ = mml_module._collapse(Y, np.ones(len(Y)))
    problem = mml_module._Problem(Yu, f, model, n_dims, None, 15 if n_dims > 1 else None)
    rng = np.random.default_rng(0)
    a = np.tril(rng.uniform(0.5, 1.5, (6, n_dims)))
    psi = problem.pack(a, rng.normal(0, 1, 6), problem.fixed_c)
    st = problem.posterior(problem.beta_of(psi))
    grad, H = problem.derivatives(st, hessian=True)
    loglik, grad_3pl_path = problem.gradient(psi)
    assert loglik == pytest.approx(st.loglik, rel=1e-13)
    np.testing.assert_allclose(grad, grad_3pl_path, rtol=1e-10, atol=1e-9)
    numeric = mml_module._hessian_by_differences(problem, psi)
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())
    np.testing.assert_allclose(H, H.T, atol=1e-9 * np.abs(H).max())


def test_left_out_posterior_weights_are_below_rounding(monkeypatch):
    Y = _simulate(400, 6, 1, 0.1, seed=5)
    fit = fit_mml(Y)
    Yu, f, _ = mml_module._collapse(Y, np.ones(len(Y)))
    problem = mml_module._Problem(Yu, f, "2pl", 1, None, None)
    st = problem.posterior(np.column_stack([fit.a, fit.d]))
    pruned = problem.derivatives(st, hessian=True)[1]
    monkeypatch.setattr(mml_module, "_TINY_WEIGHT", -1.0)
    every = problem.derivatives(st, hessian=True)[1]
    np.testing.assert_allclose(pruned, every, rtol=0, atol=1e-12 * np.abs(every).max())
    se = np.sqrt(np.diag(np.linalg.inv(-every)))
    np.testing.assert_allclose(np.concatenate([fit.se_a[:, 0], fit.se_d]), se, rtol=1e-10)


def test_pattern_collapsing_matches_the_uncollapsed_fit():
    """Collapsing rows into patterns (missing cells part of the pattern) changes nothing: the
    same fit run on every row, one pattern each, agrees to 1e-8."""
    Y = _simulate(400, 5, 1, 0.2, seed=7)
    Y = np.concatenate([Y, Y[:150]])  # duplicated rows, missing cells included
    collapsed = fit_mml(Y, gtol=1e-11)
    assert collapsed.extra["n_patterns"] < len(Y)
    full = mml_module._fit(
        Y, np.ones(len(Y)), np.arange(len(Y)), "2pl", 1, None, None, 500, 1e-11, 600, None, 0.0
    )
    assert full.extra["n_patterns"] == len(Y)
    assert collapsed.loglik == pytest.approx(full.loglik, abs=1e-8)
    for name in ("a", "d", "se_a", "se_d", "theta", "theta_se"):
        np.testing.assert_allclose(getattr(collapsed, name), getattr(full, name), atol=1e-8)
    # frequencies given by the caller are the same thing
    Yu, f, _ = mml_module._collapse(Y, np.ones(len(Y)))
    weighted = fit_mml(Yu, freq=f, gtol=1e-11)
    assert weighted.loglik == pytest.approx(full.loglik, abs=1e-8)
    np.testing.assert_allclose(weighted.se_a, full.se_a, atol=1e-8)


@pytest.mark.parametrize("model", ["2pl", "1pl"])
def test_newton_and_quasi_newton_reach_the_same_optimum(model, monkeypatch):
    Y = _simulate(500, 8, 1, 0.1, seed=11)
    newton = fit_mml(Y, model=model)
    assert newton.extra["newton_iterations"] > 0 and newton.converged
    monkeypatch.setattr(mml_module, "NEWTON_MAX_PARAMS", 0)
    lbfgs = fit_mml(Y, model=model)
    assert lbfgs.extra["newton_iterations"] == 0 and lbfgs.converged
    assert newton.loglik == pytest.approx(lbfgs.loglik, abs=1e-7)
    np.testing.assert_allclose(newton.a, lbfgs.a, atol=1e-5)
    np.testing.assert_allclose(newton.d, lbfgs.d, atol=1e-5)
    np.testing.assert_allclose(newton.se_a, lbfgs.se_a, rtol=1e-4)
    np.testing.assert_allclose(newton.se_d, lbfgs.se_d, rtol=1e-4)


def test_rows_with_zero_frequency_get_abilities():
    Y = _simulate(200, 6, 1, 0.1, seed=2)
    freq = np.where(np.arange(200) % 4 == 0, 0.0, 1.0)
    fit = fit_mml(Y, freq=freq)
    assert fit.converged and np.isfinite(fit.theta).all() and np.isfinite(fit.theta_se).all()
    dropped = fit_mml(Y[freq > 0])
    assert fit.loglik == pytest.approx(dropped.loglik, abs=1e-8)
    np.testing.assert_allclose(fit.theta[freq > 0], dropped.theta, atol=1e-7)
