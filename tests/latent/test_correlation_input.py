"""FactorAnalysis from a correlation matrix and n_obs, against psych and factanal.

Reference: Harman's eight physical measures of 305 girls (R ``datasets::Harman23.cor``;
Harman 1976, Table 2.3), fitted by ``psych::fa(r, 2, n.obs = 305, fm = ..., rotate = ...)`` and
``factanal(covmat = r, factors = 2, n.obs = 305)`` in ``tests/reference/factor_fixtures.R``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _factor_reference import data as _data
from _factor_reference import reference as _reference

from measurand.errors import InputError
from measurand.latent import FactorAnalysis


def _harman():
    ref = _reference()["harman23"]
    return np.array(ref["correlation"]), int(ref["n_obs"]), ref


@pytest.mark.parametrize("method", ["ml", "minres"])
@pytest.mark.parametrize("rotation", ["none", "varimax", "oblimin"])
def test_harman23_matches_psych(method: str, rotation: str) -> None:
    R, n_obs, ref = _harman()
    expected = ref["fa"][f"{method}_{rotation}"]
    fa = FactorAnalysis(2, method=method, rotation=rotation).fit(R, n_obs=n_obs)
    # psych's fa stops stats::varimax at eps = 1e-5; ours runs to convergence.
    loadings = (
        ref["fa"][f"{method}_varimax_converged"]["loadings"]
        if rotation == "varimax"
        else expected["loadings"]
    )
    np.testing.assert_allclose(fa.loadings_, loadings, atol=2e-4)
    np.testing.assert_allclose(fa.uniquenesses_, expected["uniquenesses"], atol=2e-4)
    if expected["Phi"] is not None:
        np.testing.assert_allclose(fa.phi_, expected["Phi"], atol=2e-4)
    stats = fa.fit_stats_
    assert stats["n_obs"] == n_obs == 305
    assert stats["df"] == expected["dof"] == 13
    np.testing.assert_allclose(stats["chi2"], expected["STATISTIC"], rtol=2e-4)
    np.testing.assert_allclose(stats["tli"], expected["TLI"], rtol=2e-4)
    np.testing.assert_allclose(stats["rmsea"], expected["RMSEA"][0], rtol=2e-4)
    np.testing.assert_allclose(stats["bic"], expected["BIC"], rtol=1e-3)
    assert fa.scores_ is None


def test_harman23_matches_factanal_and_a_covariance_matrix_gives_the_same_fit() -> None:
    R, n_obs, ref = _harman()
    fa = FactorAnalysis(2, method="ml").fit(R, n_obs=n_obs)
    np.testing.assert_allclose(fa.uniquenesses_, ref["factanal"]["uniquenesses"], atol=2e-4)
    np.testing.assert_allclose(fa.fit_stats_["chi2"], ref["factanal"]["STATISTIC"], rtol=2e-4)
    sd = np.linspace(1.0, 40.0, R.shape[0])
    cov = fa.fit(R * np.outer(sd, sd), n_obs=n_obs)
    np.testing.assert_allclose(cov.loadings_, fa.loadings_, atol=1e-8)


@pytest.mark.parametrize("method", ["ml", "minres", "nonneg_em"])
def test_matrix_input_reproduces_the_data_fit(method: str) -> None:
    X = _data("hs")
    rotation = None if method == "nonneg_em" else "oblimin"
    from_data = FactorAnalysis(3, method=method, rotation=rotation).fit(X)
    from_matrix = FactorAnalysis(3, method=method, rotation=rotation).fit(
        np.cov(X, rowvar=False), n_obs=X.shape[0]
    )
    np.testing.assert_allclose(from_matrix.loadings_, from_data.loadings_, atol=1e-6)
    np.testing.assert_allclose(
        from_matrix.fit_stats_["chi2"], from_data.fit_stats_["chi2"], rtol=1e-6
    )
    with pytest.raises(InputError, match="correlation matrix"):
        from_matrix.transform(X)


def test_bad_matrices_are_refused() -> None:
    R, n_obs, _ = _harman()
    with pytest.raises(InputError, match="square"):
        FactorAnalysis(2).fit(R[:, :5], n_obs=n_obs)
    asym = R.copy()
    asym[0, 1] += 0.1
    with pytest.raises(InputError, match="symmetric"):
        FactorAnalysis(2).fit(asym, n_obs=n_obs)
    bad = R.copy()
    bad[0, 0] = 0.0
    with pytest.raises(InputError, match="diagonal"):
        FactorAnalysis(2).fit(bad, n_obs=n_obs)
    holes = R.copy()
    holes[2, 3] = holes[3, 2] = np.nan
    with pytest.raises(InputError, match="missing"):
        FactorAnalysis(2).fit(holes, n_obs=n_obs)
    with pytest.raises(InputError, match="n_obs"):
        FactorAnalysis(2).fit(R, n_obs=1)


def test_duplicate_screen_equals_the_blocked_rule() -> None:
    from measurand.latent._corr import _duplicate_pairs_blocked, duplicate_column_pairs

    rng = np.random.default_rng(3)
    X = rng.standard_normal((25, 3000))
    X[:, 2999] = 2.0 * X[:, 10] - 5.0
    X[:, 1500] = -X[:, 20]
    X[:, 700] = X[:, 30] + 1e-12 * rng.standard_normal(25)
    X[:, 701] = X[:, 31] + 1e-3 * rng.standard_normal(25)  # close, but |r| < 1 - 1e-10
    centred = X - X.mean(axis=0)
    unit = centred / np.linalg.norm(centred, axis=0)
    expected = sorted(_duplicate_pairs_blocked(unit, 10))
    assert duplicate_column_pairs(X) == expected == [(10, 2999), (20, 1500), (30, 700)]
