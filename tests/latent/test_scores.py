"""Factor scores and communalities against psych 2.2.9 and scikit-learn.

psych references (tests/reference/factor_reference.json, from factor_fixtures.R): the weights and
scores of ``fa(x, k, fm = "ml", rotate = "oblimin")`` (``scores = "regression"``, which psych
computes as Thurstone's ``solve(R, Lambda Phi)``) and ``factor.scores(x, f, Phi, method =
"Bartlett")``. Those tests feed R's own loadings, so they check the score formulas alone.
"""

from __future__ import annotations

import numpy as np
import pytest
from _factor_reference import data as _data
from _factor_reference import reference as _reference
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.decomposition import FactorAnalysis as SklearnFactorAnalysis

from measurand.errors import InputError
from measurand.latent._corr import correlation_matrix
from measurand.latent.scores import communality, factor_score_weights, factor_scores


def _scale(X: np.ndarray) -> np.ndarray:
    """R's scale(): centre and divide by the sd (ddof = 1), ignoring missing cells."""
    return (X - np.nanmean(X, axis=0)) / np.nanstd(X, axis=0, ddof=1)


def _psych_oblimin(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    record = _reference()["fa"][dataset]["ml"]["oblimin"]
    L = np.array(record["loadings"])
    phi = np.array(record["Phi"])
    h2 = np.einsum("ij,jk,ik->i", L, phi, L)
    return L, phi, 1.0 - h2, record


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
def test_bartlett_matches_psych(dataset: str) -> None:
    L, phi, psi, _ = _psych_oblimin(dataset)
    expected = _reference()["bartlett"][dataset]
    weights = factor_score_weights(L, psi, phi, "bartlett")
    np.testing.assert_allclose(weights, expected["weights"], rtol=1e-10, atol=1e-12)
    X = _data(dataset)
    R_scores = np.array(expected["scores"], dtype=float)
    ours = factor_scores(_scale(X), L, psi, phi, "bartlett")[: len(R_scores)]
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(R_scores))
    np.testing.assert_allclose(ours, R_scores, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dataset", ["bfi", "hs"])
def test_thurstone_matches_psych_regression(dataset: str) -> None:
    L, phi, psi, record = _psych_oblimin(dataset)
    X = _data(dataset)
    R = correlation_matrix(X)[0]  # pairwise-complete, as psych
    weights = factor_score_weights(L, psi, phi, "thurstone", correlation=R)
    np.testing.assert_allclose(weights, record["weights"], rtol=1e-9, atol=1e-11)
    R_scores = np.array(record["scores"], dtype=float)
    if dataset == "hs":  # complete data: factor_scores computes the same R itself
        ours = factor_scores(_scale(X), L, psi, phi, "thurstone")
        np.testing.assert_allclose(ours, R_scores, rtol=1e-9, atol=1e-10)


def test_regression_matches_sklearn_posterior_mean() -> None:
    X = _data("hs")
    sk = SklearnFactorAnalysis(n_components=3, tol=1e-10, max_iter=5000, random_state=0).fit(X)
    ours = factor_scores(X - sk.mean_, sk.components_.T, sk.noise_variance_)
    np.testing.assert_allclose(ours, sk.transform(X), rtol=1e-9, atol=1e-11)


def test_communality_matches_psych() -> None:
    record = _reference()["fa"]["hs"]["ml"]["promax"]
    L, phi = np.array(record["loadings"]), np.array(record["Phi"])
    psi = np.array(record["uniquenesses"])
    # psych's communality is diag of the (unrotated) model: rotation-invariant.
    np.testing.assert_allclose(communality(L, psi, phi), record["communality"], atol=1e-6)
    # With psi = 1 - h2 the share is h2 itself; with inflated psi it shrinks accordingly.
    h2 = np.einsum("ij,jk,ik->i", L, phi, L)
    np.testing.assert_allclose(communality(L, 1.0 - h2, phi), h2, rtol=1e-12)
    np.testing.assert_allclose(communality(L, 2.0 * (1.0 - h2), phi), h2 / (2.0 - h2), rtol=1e-12)


def test_missing_rows_score_nan_and_errors() -> None:
    L, phi, psi, _ = _psych_oblimin("hs")
    Z = _scale(_data("hs"))[:5].copy()
    Z[2, 4] = np.nan
    scores = factor_scores(Z, L, psi, phi)
    assert np.isnan(scores[2]).all() and np.isfinite(np.delete(scores, 2, axis=0)).all()
    with pytest.raises(InputError, match="columns"):
        factor_scores(Z[:, :5], L, psi, phi)
    with pytest.raises(InputError, match="positive uniquenesses"):
        factor_score_weights(L, np.zeros_like(psi), phi, "bartlett")
    with pytest.raises(InputError, match="unknown score method"):
        factor_score_weights(L, psi, phi, "tenberge")
    with pytest.raises(InputError, match="correlation"):
        factor_score_weights(L, psi, phi, "thurstone")
    with pytest.raises(InputError, match="uniquenesses"):
        factor_score_weights(L, psi[:3], phi)
    with pytest.raises(InputError, match="more factors"):
        factor_score_weights(L[:2], psi[:2], phi)
    with pytest.raises(InputError, match="full column rank"):
        factor_score_weights(np.column_stack([L[:, 0], L[:, 0], L[:, 1]]), psi, phi, "bartlett")


models = st.tuples(st.integers(4, 30), st.integers(1, 4), st.integers(0, 2**32 - 1))


def _random_model(p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    L = rng.uniform(-0.8, 0.8, size=(p, k)) / np.sqrt(k)
    B = rng.normal(size=(k, k + 2))
    cov = B @ B.T
    d = np.sqrt(np.diag(cov))
    phi = cov / np.outer(d, d)
    psi = rng.uniform(0.1, 1.0, size=p)
    return L, psi, phi


@settings(max_examples=40, deadline=None)
@given(models)
def test_score_weight_identities(model: tuple[int, int, int]) -> None:
    L, psi, phi = _random_model(*model)
    sigma = L @ phi @ L.T + np.diag(psi)
    # Regression (Woodbury form) = Sigma^-1 Lambda Phi computed directly.
    regression = factor_score_weights(L, psi, phi, "regression")
    np.testing.assert_allclose(regression, np.linalg.solve(sigma, L @ phi), rtol=1e-8, atol=1e-10)
    # Bartlett scores are conditionally unbiased: W' Lambda = I.
    bartlett = factor_score_weights(L, psi, phi, "bartlett")
    np.testing.assert_allclose(bartlett.T @ L, np.eye(L.shape[1]), atol=1e-8)
    # Thurstone with the model-implied correlation matrix is the regression estimator.
    thurstone = factor_score_weights(L, psi, phi, "thurstone", correlation=sigma)
    np.testing.assert_allclose(thurstone, regression, rtol=1e-7, atol=1e-9)
    h2 = communality(L, psi, phi)
    assert np.all((h2 >= 0) & (h2 <= 1))
