"""Marginal ML against R (fixture made by tests/reference/irt/make_irt_reference.R) and ltm's
published LSAT6 estimates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from measurand.errors import InputError
from measurand.latent.irt import fit_mml, gauss_hermite_grid, response_probability

REF = Path(__file__).parents[1] / "reference" / "irt"


def _data(name: str) -> np.ndarray:
    frame = pl.read_csv(REF / f"{name}.csv")
    return frame.drop("id", strict=False).to_numpy().astype(float)


@pytest.mark.parametrize("name", ["lsat6", "lsat7", "ability"])
def test_2pl_matches_r_reference(name):
    ref = pl.read_csv(REF / "irt_2pl_reference.csv").filter(pl.col("dataset") == name)
    fit = fit_mml(_data(name))
    assert fit.converged
    assert fit.loglik == pytest.approx(ref["loglik"][0], abs=1e-6)
    np.testing.assert_allclose(fit.a[:, 0], ref["a"].to_numpy(), atol=1e-5)
    np.testing.assert_allclose(fit.d, ref["d"].to_numpy(), atol=1e-5)
    np.testing.assert_allclose(fit.se_a[:, 0], ref["se_a"].to_numpy(), atol=1e-5)
    np.testing.assert_allclose(fit.se_d, ref["se_d"].to_numpy(), atol=1e-5)


def test_lsat6_published_ltm():
    """ltm (Rizopoulos 2006), ``ltm(LSAT ~ z1)``: log-lik -2466.653; Dffclt and Dscrmn below.
    ltm stops ~2e-3 short of the optimum in the difficulties (21 quadrature points give the
    same optimum as 61 here), hence the tolerance."""
    fit = fit_mml(_data("lsat6"))
    assert round(fit.loglik, 3) == -2466.653
    np.testing.assert_allclose(
        fit.difficulty, [-3.360, -1.370, -0.280, -1.866, -3.124], atol=2.5e-3
    )
    np.testing.assert_allclose(fit.a[:, 0], [0.825, 0.723, 0.891, 0.689, 0.658], atol=1.5e-3)


def test_lsat6_rasch_published_ltm():
    """``ltm::rasch(LSAT)``: common discrimination 0.755, log-lik -2466.938,
    Dffclt -3.615 -1.322 -0.318 -1.730 -2.780."""
    fit = fit_mml(_data("lsat6"), model="1pl")
    assert fit.loglik == pytest.approx(-2466.938, abs=1e-3)
    np.testing.assert_allclose(fit.a[:, 0], 0.755, atol=1e-3)
    np.testing.assert_allclose(fit.difficulty, [-3.615, -1.322, -0.318, -1.730, -2.780], atol=2e-3)


def test_3pl_fixed_guessing_and_eap():
    Y = _data("lsat6")
    fit = fit_mml(Y, model="3pl", guessing=0.2)
    np.testing.assert_array_equal(fit.c, 0.2)
    two = fit_mml(Y)
    assert fit.loglik < two.loglik  # a forced floor fits LSAT6 worse
    # EAP increases with the number right for the 2PL with positive slopes
    order = np.argsort(Y.sum(axis=1))
    assert (
        np.all(np.diff(two.theta[order, 0]) >= -1e-9)
        or np.corrcoef(two.theta[:, 0], Y.sum(axis=1))[0, 1] > 0.95
    )
    assert np.all((two.theta_se > 0.3) & (two.theta_se < 1.0))


def test_quadrature_grid_moments():
    for D in (1, 2, 3):
        nodes, w = gauss_hermite_grid(D, 9)
        np.testing.assert_allclose(w.sum(), 1.0)
        np.testing.assert_allclose(w @ nodes, 0.0, atol=1e-12)
        np.testing.assert_allclose((w[:, None] * nodes).T @ nodes, np.eye(D), atol=1e-12)


def test_m2pl_recovers_two_dimensions():
    rng = np.random.default_rng(1)
    n, p = 1500, 12
    A = np.zeros((p, 2))
    A[:6, 0] = rng.uniform(1.0, 2.0, 6)
    A[6:, 1] = rng.uniform(1.0, 2.0, 6)
    d = rng.normal(0, 1, p)
    theta = rng.standard_normal((n, 2))
    Y = (rng.random((n, p)) < response_probability(theta, A, d)).astype(float)
    Y[rng.random((n, p)) < 0.1] = np.nan
    fit = fit_mml(Y, model="m2pl", n_dims=2, n_points=15)
    assert fit.converged
    assert fit.a[0, 1] == 0.0  # identification constraint
    one = fit_mml(Y)
    assert fit.loglik > one.loglik + 50
    # the fitted loadings span the true ones: implied A A' matches
    implied, true = fit.a @ fit.a.T, A @ A.T
    assert np.corrcoef(implied.ravel(), true.ravel())[0, 1] > 0.97
    assert np.abs(implied - true).mean() < 0.25
    np.testing.assert_allclose(fit.d, d, atol=0.25)


def test_bad_arguments():
    Y = _data("lsat6")
    with pytest.raises(InputError, match="model takes"):
        fit_mml(Y, model="4pl")
    with pytest.raises(InputError, match="1-3 dimensions"):
        fit_mml(Y, model="m2pl", n_dims=4)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        fit_mml(Y * 2)


def test_3pl_estimated_guessing_nests_the_2pl():
    """The 3PL contains the 2PL (c = 0): its optimum can only be higher."""
    Y = _data("lsat6")
    three = fit_mml(Y, model="3pl", guessing="estimate")
    two = fit_mml(Y)
    assert three.converged
    assert three.loglik >= two.loglik - 1e-8
    assert np.all((three.c >= 0) & (three.c <= 0.6))
