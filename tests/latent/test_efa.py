"""FactorAnalysis against psych 2.2.9 ``fa``, ``factanal`` (R 4.2.2) and scikit-learn.

Reference values: tests/reference/factor_reference.json, written by
tests/reference/factor_fixtures.R from psychTools::bfi (25 items, 2,800 rows with missing cells:
psych's default pairwise correlations, n.obs = 2,800) with 5 factors and
lavaan::HolzingerSwineford1939 (x1..x9, 301 rows) with 3 factors:

* ``fa``            ``fa(x, k, fm = "ml" | "minres", rotate = rot)``, psych defaults;
* ``fa_converged``  the same rotations run to convergence (``eps = 1e-7``; varimax and promax
  with ``stats::varimax(eps = 1e-15)`` and psych's sign/order rule): psych's own varimax step
  stops when the criterion changes by < 1e-5 relative, ~1e-3 short of the optimum in the
  loadings on bfi, and GPArotation's default ``eps = 1e-5`` leaves quartimax ~4e-4 short;
* ``factanal``      ``factanal(na.omit(x), factors = k, rotation = "none")``.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pytest
from _factor_reference import data as _data
from _factor_reference import reference as _reference
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from sklearn.decomposition import FactorAnalysis as SklearnFactorAnalysis

from measurand.errors import DegenerateDataWarning, InputError
from measurand.latent._nonneg_em import fit_nonneg_em
from measurand.latent.efa import FactorAnalysis

K = {"bfi": 5, "hs": 3}
R_ROTATIONS = ["none", "varimax", "quartimax", "oblimin", "quartimin", "geominQ", "promax"]


@cache
def _fit(dataset: str, method: str, rotation: str, score_method: str = "thurstone"):
    return FactorAnalysis(
        K[dataset], method=method, rotation=rotation, score_method=score_method
    ).fit(_data(dataset))


# psych's verbatim output vs the optimum, measured (max |difference| in the loadings): these
# rotations stop early in R (see the module docstring); everything else agrees to < 3e-5.
PSYCH_STOPS_EARLY = {
    ("bfi", "varimax"): 2e-3,
    ("bfi", "quartimax"): 1e-3,
    ("bfi", "promax"): 1e-3,
    ("hs", "varimax"): 1e-3,
}


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
@pytest.mark.parametrize("rotation", R_ROTATIONS)
def test_ml_matches_psych_fa(dataset: str, rotation: str) -> None:
    fa = _fit(dataset, "ml", rotation)
    record = _reference()["fa"][dataset]["ml"][rotation]
    converged = _reference()["fa_converged"][dataset].get(rotation)
    if converged is not None:
        np.testing.assert_allclose(fa.loadings_, converged["loadings"], atol=1e-4, rtol=0)
        if converged["Phi"] is not None:
            np.testing.assert_allclose(fa.phi_, converged["Phi"], atol=1e-4, rtol=0)
    tolerance = PSYCH_STOPS_EARLY.get((dataset, rotation), 1e-4)
    np.testing.assert_allclose(fa.loadings_, record["loadings"], atol=tolerance, rtol=0)
    expected_phi = np.eye(K[dataset]) if record["Phi"] is None else np.array(record["Phi"])
    np.testing.assert_allclose(fa.phi_, expected_phi, atol=tolerance, rtol=0)
    np.testing.assert_allclose(fa.uniquenesses_, record["uniquenesses"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(fa.communalities_, record["communality"], atol=1e-4, rtol=0)
    assert fa.converged_


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
def test_ml_fit_statistics_match_psych(dataset: str) -> None:
    stats = _fit(dataset, "ml", "oblimin").fit_stats_
    record = _reference()["fa"][dataset]["ml"]["oblimin"]
    assert stats["df"] == record["dof"]
    assert stats["n_obs"] == record["n_obs"]
    np.testing.assert_allclose(stats["objective"], record["objective"], rtol=1e-6)
    np.testing.assert_allclose(stats["chi2"], record["STATISTIC"], rtol=1e-6)
    np.testing.assert_allclose(stats["pvalue"], record["PVAL"], rtol=1e-4)
    np.testing.assert_allclose(stats["tli"], record["TLI"], rtol=1e-7)
    np.testing.assert_allclose(stats["bic"], record["BIC"], rtol=1e-6)
    np.testing.assert_allclose(stats["null_chi2"], record["null_chisq"], rtol=1e-10)
    assert stats["null_df"] == record["null_dof"]
    rmsea, low, high, level = record["RMSEA"]
    np.testing.assert_allclose(stats["rmsea"], rmsea, rtol=1e-6)
    # psych's uniroot stops at tol = eps^0.25 in the noncentrality: ~1e-6 relative here.
    np.testing.assert_allclose(stats["rmsea_ci"], [low, high], rtol=1e-5)
    assert stats["rmsea_confidence_level"] == level


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
@pytest.mark.parametrize("rotation", ["none", "varimax", "oblimin"])
def test_minres_matches_psych_fa(dataset: str, rotation: str) -> None:
    fa = _fit(dataset, "minres", rotation)
    record = _reference()["fa"][dataset]["minres"][rotation]
    if rotation == "varimax":
        converged = _reference()["fa_converged"][dataset]["minres_varimax"]
        np.testing.assert_allclose(fa.loadings_, converged["loadings"], atol=1e-4, rtol=0)
    else:
        np.testing.assert_allclose(fa.loadings_, record["loadings"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(fa.uniquenesses_, record["uniquenesses"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(fa.fit_stats_["chi2"], record["STATISTIC"], rtol=1e-5)
    np.testing.assert_allclose(fa.fit_stats_["rmsea"], record["RMSEA"][0], rtol=1e-5)


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
@pytest.mark.parametrize("rotation", ["none", "oblimin", "geominQ"])
def test_scores_match_psych(dataset: str, rotation: str) -> None:
    # psych's scores = "regression" are Thurstone's: solve(R, Lambda Phi) applied to scale(x).
    fa = _fit(dataset, "ml", rotation, "thurstone")
    record = _reference()["fa"][dataset]["ml"][rotation]
    np.testing.assert_allclose(fa.score_weights_, record["weights"], atol=1e-4, rtol=0)
    expected = np.array(record["scores"], dtype=float)
    ours = fa.scores_[: len(expected)]
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    np.testing.assert_allclose(ours, expected, atol=5e-4, rtol=0)
    np.testing.assert_allclose(fa.transform(_data(dataset)), fa.scores_, rtol=1e-12)


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
def test_ml_matches_factanal(dataset: str) -> None:
    X = _data(dataset)
    complete = X[~np.isnan(X).any(axis=1)]
    fa = FactorAnalysis(K[dataset]).fit(complete)
    record = _reference()["factanal"][dataset]["none"]
    # factanal sorts by sum of squares and flips signs to positive column sums, as psych.
    np.testing.assert_allclose(fa.loadings_, record["loadings"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(fa.uniquenesses_, record["uniquenesses"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(fa.fit_stats_["chi2"], record["STATISTIC"], rtol=1e-6)
    np.testing.assert_allclose(fa.fit_stats_["objective"], record["objective"], rtol=1e-6)
    assert fa.fit_stats_["df"] == record["dof"]
    assert fa.n_obs_ == record["n_obs"]
    for rotation in ("varimax", "promax"):  # rotations leave the uniquenesses alone
        np.testing.assert_allclose(
            fa.uniquenesses_,
            _reference()["factanal"][dataset][rotation]["uniquenesses"],
            atol=1e-4,
        )


def _align(reference: np.ndarray, loadings: np.ndarray) -> np.ndarray:
    """Permute and reflect the columns of ``loadings`` to match ``reference`` best."""
    cross = reference.T @ loadings
    rows, cols = optimize.linear_sum_assignment(-np.abs(cross))
    return loadings[:, cols] * np.sign(cross[rows, cols])


def test_ml_matches_sklearn_on_standardised_data() -> None:
    # sklearn's FactorAnalysis is ML on the covariance of its input; on columns z-scored with
    # ddof = 0 that covariance is the correlation matrix, so the two optima coincide.
    X = _data("hs")
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    sk = SklearnFactorAnalysis(n_components=3, tol=1e-12, max_iter=20000, svd_method="lapack").fit(
        Z
    )
    fa = FactorAnalysis(3).fit(X)
    ours = fa.unrotated_loadings_
    np.testing.assert_allclose(ours @ ours.T, sk.components_.T @ sk.components_, atol=2e-4)
    np.testing.assert_allclose(fa.uniquenesses_, sk.noise_variance_, atol=2e-4)
    np.testing.assert_allclose(fa.fit_stats_["loglik"], sk.score(Z) * len(Z), rtol=1e-6)


def test_parameter_recovery_ml_oblimin() -> None:
    rng = np.random.default_rng(2024)
    p, k, n = 12, 3, 20_000
    true = np.zeros((p, k))
    for j in range(k):
        true[4 * j : 4 * j + 4, j] = [0.8, 0.7, 0.6, 0.5]
    phi = np.array([[1.0, 0.3, 0.2], [0.3, 1.0, 0.25], [0.2, 0.25, 1.0]])
    psi = 1.0 - np.einsum("ij,jk,ik->i", true, phi, true)
    theta = rng.multivariate_normal(np.zeros(k), phi, size=n)
    X = theta @ true.T + rng.standard_normal((n, p)) * np.sqrt(psi)
    fa = FactorAnalysis(k, rotation="oblimin").fit(X)
    estimate = _align(true, fa.loadings_)
    np.testing.assert_allclose(estimate, true, atol=0.04)
    np.testing.assert_allclose(fa.uniquenesses_, psi, atol=0.03)
    cross = true.T @ fa.loadings_
    order = optimize.linear_sum_assignment(-np.abs(cross))[1]
    np.testing.assert_allclose(np.abs(fa.phi_[np.ix_(order, order)]), phi, atol=0.05)
    assert fa.fit_stats_["pvalue"] > 0.001  # the true model is not rejected


def _exact_data(loadings: np.ndarray, psi: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Data whose sample correlation matrix is exactly Lambda Lambda' + Psi."""
    R = loadings @ loadings.T + np.diag(psi)
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, R.shape[0]))
    Q = np.linalg.qr(M - M.mean(axis=0))[0]
    return Q @ np.linalg.cholesky(R).T * 3.0 + 10.0


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_ml_recovers_an_exact_factor_structure(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = int(rng.integers(2 * k + 2, 10))
    loadings = np.zeros((p, k))
    for j in range(p):
        loadings[j, j % k] = rng.uniform(0.55, 0.85)
    loadings += rng.uniform(-0.15, 0.15, size=(p, k)) * (k > 1)
    psi = 1.0 - np.sum(loadings**2, axis=1)
    X = _exact_data(loadings, psi, 60, seed)
    fa = FactorAnalysis(k).fit(X)
    assert fa.fit_stats_["objective"] < 1e-9
    np.testing.assert_allclose(fa.loadings_ @ fa.loadings_.T, loadings @ loadings.T, atol=1e-5)
    np.testing.assert_allclose(fa.uniquenesses_, psi, atol=1e-5)


def test_scale_invariance_and_transform() -> None:
    X = _data("hs")
    fa = FactorAnalysis(3, rotation="promax").fit(X)
    shifted = FactorAnalysis(3, rotation="promax").fit(X * np.arange(1, 10) - 7.0)
    np.testing.assert_allclose(shifted.loadings_, fa.loadings_, atol=1e-8)
    np.testing.assert_allclose(shifted.scores_, fa.scores_, atol=1e-7)
    np.testing.assert_allclose(fa.transform(X[:10]), fa.scores_[:10], rtol=1e-12)
    assert fa.scores_.shape == (301, 3)


def test_fixed_uniquenesses() -> None:
    X = _data("hs")
    free = FactorAnalysis(3).fit(X)
    held_all = FactorAnalysis(3, fixed_uniquenesses=free.uniquenesses_).fit(X)
    np.testing.assert_allclose(held_all.loadings_, free.loadings_, atol=1e-6)
    fixed = np.full(9, np.nan)
    fixed[0] = 0.9
    held = FactorAnalysis(3, fixed_uniquenesses=fixed).fit(X)
    assert held.uniquenesses_[0] == 0.9
    assert held.fit_stats_["objective"] > free.fit_stats_["objective"] + 1e-3
    with pytest.raises(InputError, match=r"\[0\.005, 1\]"):
        FactorAnalysis(3, fixed_uniquenesses=np.full(9, 1.5)).fit(X)


def test_heywood_case_is_flagged() -> None:
    loadings = np.array([[0.999], [0.6], [0.6], [0.6], [0.6], [0.6]])
    psi = 1.0 - np.sum(loadings**2, axis=1)
    X = _exact_data(loadings, psi, 80, 1)
    with pytest.warns(DegenerateDataWarning, match="Heywood"):
        fa = FactorAnalysis(1).fit(X)
    np.testing.assert_array_equal(fa.heywood_, [True] + [False] * 5)


def test_nonneg_em_through_the_estimator() -> None:
    rng = np.random.default_rng(3)
    true = np.abs(rng.uniform(0.3, 0.8, size=(10, 2))) * (rng.uniform(size=(10, 2)) > 0.4)
    psi = np.clip(1.0 - np.sum(true**2, axis=1), 0.2, None)
    X = rng.standard_normal((500, 2)) @ true.T + rng.standard_normal((500, 10)) * np.sqrt(psi)
    fa = FactorAnalysis(2, method="nonneg_em", seed=0).fit(X)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    direct = fit_nonneg_em(Z, 2, seed=0)
    assert np.all(fa.loadings_ >= 0)
    np.testing.assert_allclose(fa.loadings_, direct.loadings, atol=1e-10)
    np.testing.assert_allclose(fa.uniquenesses_, direct.uniquenesses, atol=1e-10)
    np.testing.assert_array_equal(fa.phi_, np.eye(2))
    with pytest.raises(InputError, match="rotation=None"):
        FactorAnalysis(2, method="nonneg_em", rotation="varimax").fit(X)


def test_bad_input_messages() -> None:
    X = _data("hs")
    with pytest.raises(InputError, match="more rows than factors"):
        FactorAnalysis(3).fit(X[:3])
    with pytest.raises(InputError, match="needs more than 9 columns"):
        FactorAnalysis(9).fit(X)
    duplicated = np.column_stack([X, X[:, 2]])
    names = [f"x{j}" for j in range(1, 10)] + ["x3_copy"]
    with pytest.raises(InputError, match="'x3' = 'x3_copy'"):
        FactorAnalysis(2).fit(duplicated, column_names=names)
    constant = X.copy()
    constant[:, 4] = 2.0
    with pytest.raises(InputError, match="'x5'"):
        FactorAnalysis(2).fit(constant, column_names=names[:9])
    wide = np.random.default_rng(0).standard_normal((8, 12))
    with pytest.raises(InputError, match="singular"):
        FactorAnalysis(2).fit(wide)
    missing = X.copy()
    missing[0, 0] = np.nan
    with pytest.raises(InputError, match="complete data"):
        FactorAnalysis(2, method="nonneg_em").fit(missing)
    with pytest.raises(InputError, match="unknown method"):
        FactorAnalysis(2, method="pa").fit(X)
    with pytest.raises(InputError, match="unknown rotation"):
        FactorAnalysis(2, rotation="equamax").fit(X)
    with pytest.raises(InputError, match="n_factors"):
        FactorAnalysis(0).fit(X)
    with pytest.raises(InputError, match="not fitted"):
        FactorAnalysis(2).transform(X)
    with pytest.raises(InputError, match="9"):
        FactorAnalysis(2).fit(X).transform(X[:, :4])


def test_underidentified_model_warns_and_reports_nan() -> None:
    X = _data("hs")[:, :4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(DegenerateDataWarning, match="df"):
            fa = FactorAnalysis(3, method="minres").fit(X)
    assert fa.fit_stats_["df"] < 0 and np.isnan(fa.fit_stats_["rmsea"])


def test_minres_on_a_singular_matrix_reports_undefined_fit() -> None:
    X = np.random.default_rng(0).standard_normal((8, 12))
    with pytest.warns(DegenerateDataWarning, match="singular"):
        fa = FactorAnalysis(2, method="minres").fit(X)
    assert np.isnan(fa.fit_stats_["chi2"]) and np.isnan(fa.fit_stats_["rmsea"])
    assert np.isfinite(fa.fit_stats_["loglik"]) and np.isfinite(fa.loadings_).all()
