"""Factor scores and communalities for a fitted factor model.

Model: standardised data ``z = Lambda theta + e`` with ``Cov(theta) = Phi``, ``Cov(e) = Psi``
(diagonal), so ``Sigma = Lambda Phi Lambda' + Psi``. Scores are ``Z @ W`` for a (p, k) weight
matrix ``W``:

* ``"regression"`` — the posterior mean ``E[theta | z] = Phi Lambda' Sigma^-1 z`` (Thomson's
  regression scores with the model-implied ``Sigma``; sklearn's ``FactorAnalysis.transform`` and
  the E-step of the EM algorithms): ``W = Psi^-1 Lambda Phi (I + Lambda' Psi^-1 Lambda Phi)^-1``
  (Woodbury; no p x p inverse, so p in the thousands is fine).
* ``"bartlett"`` — weighted least squares, conditionally unbiased (``W' Lambda = I``):
  ``W = Psi^-1 Lambda (Lambda' Psi^-1 Lambda)^-1`` (Bartlett 1937; psych ``"Bartlett"``).
* ``"thurstone"`` — ``W = R^-1 Lambda Phi`` with the *observed* correlation matrix ``R``
  (Thurstone 1935); this is what ``psych::factor.scores(method="regression")`` and therefore
  ``psych::fa(scores="regression")`` compute. It equals ``"regression"`` when the model
  reproduces ``R`` exactly.

Rows of ``Z`` with a missing cell get NaN scores (psych with ``impute="none"``).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

from measurand.errors import DegenerateDataWarning, InputError
from measurand.latent._corr import as_data_matrix, correlation_matrix

__all__ = ["SCORE_METHODS", "communality", "factor_score_weights", "factor_scores"]

SCORE_METHODS = ("regression", "bartlett", "thurstone")


def _model(
    loadings: ArrayLike, uniquenesses: ArrayLike, phi: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    L = np.array(loadings, dtype=float, ndmin=2)
    if L.ndim != 2:
        raise InputError(f"loadings must be a (p, k) matrix, got shape {L.shape}")
    p, k = L.shape
    if k > p:
        raise InputError(f"loadings have more factors ({k}) than variables ({p})")
    psi = np.array(uniquenesses, dtype=float).reshape(-1)
    if psi.shape != (p,):
        raise InputError(f"uniquenesses must have length {p} (one per row of loadings)")
    Phi = np.eye(k) if phi is None else np.array(phi, dtype=float)
    if Phi.shape != (k, k):
        raise InputError(f"phi must be ({k}, {k}), got {Phi.shape}")
    if not (np.all(np.isfinite(L)) and np.all(np.isfinite(psi)) and np.all(np.isfinite(Phi))):
        raise InputError("loadings, uniquenesses and phi must be finite")
    return L, psi, Phi


def factor_score_weights(
    loadings: ArrayLike,
    uniquenesses: ArrayLike,
    phi: ArrayLike | None = None,
    method: str = "regression",
    *,
    correlation: ArrayLike | None = None,
) -> np.ndarray:
    """The (p, k) weights ``W`` with scores ``Z @ W`` (formulas in the module docstring).

    ``correlation`` (p, p) is the observed correlation matrix, needed for ``"thurstone"`` only.
    """
    L, psi, Phi = _model(loadings, uniquenesses, phi)
    k = L.shape[1]
    if method not in SCORE_METHODS:
        raise InputError(f"unknown score method {method!r}; choose one of {SCORE_METHODS}")
    if method == "thurstone":
        if correlation is None:
            raise InputError("thurstone scores need the observed correlation matrix")
        R = np.array(correlation, dtype=float)
        if R.shape != (L.shape[0], L.shape[0]):
            raise InputError(f"correlation must be ({L.shape[0]}, {L.shape[0]})")
        structure = L @ Phi
        try:
            return np.linalg.solve(R, structure)
        except np.linalg.LinAlgError:
            warnings.warn(
                "the correlation matrix is singular; thurstone weights use its pseudo-inverse",
                DegenerateDataWarning,
                stacklevel=2,
            )
            return np.linalg.pinv(R) @ structure
    if np.any(psi <= 0):
        raise InputError(f"{method} scores need positive uniquenesses")
    scaled = L / psi[:, None]  # Psi^-1 Lambda
    information = L.T @ scaled  # Lambda' Psi^-1 Lambda
    if method == "bartlett":
        try:
            return np.linalg.solve(information, scaled.T).T
        except np.linalg.LinAlgError:
            raise InputError(
                "Bartlett scores need loadings of full column rank (Lambda' Psi^-1 Lambda is "
                "singular)"
            ) from None
    # (I + M Phi)' W' = (Psi^-1 Lambda Phi)'  <=>  W = Psi^-1 Lambda Phi (I + M Phi)^-1
    return np.linalg.solve((np.eye(k) + information @ Phi).T, (scaled @ Phi).T).T


def factor_scores(
    Z: ArrayLike,
    loadings: ArrayLike,
    uniquenesses: ArrayLike,
    phi: ArrayLike | None = None,
    method: str = "regression",
) -> np.ndarray:
    """Factor scores (n, k) of standardised data ``Z`` (n, p) under a fitted factor model.

    ``Z`` must already be on the scale the model describes (z-scores); this function does not
    re-standardise (``FactorAnalysis.transform`` does). For ``"thurstone"`` the correlation
    matrix is that of ``Z`` itself (pairwise-complete). Rows with a NaN cell score NaN.
    """
    X = as_data_matrix(Z)
    L, psi, Phi = _model(loadings, uniquenesses, phi)
    if X.shape[1] != L.shape[0]:
        raise InputError(
            f"Z has {X.shape[1]} columns but the loadings describe {L.shape[0]} variables"
        )
    correlation = correlation_matrix(X)[0] if method == "thurstone" else None
    W = factor_score_weights(L, psi, Phi, method, correlation=correlation)
    return X @ W


def communality(
    loadings: ArrayLike, uniquenesses: ArrayLike, phi: ArrayLike | None = None
) -> np.ndarray:
    """Share of each variable's model variance due to the common factors.

    ``h2_j = c_j / (c_j + psi_j)`` with ``c = diag(Lambda Phi Lambda')``; for a correlation
    matrix fit (``c + psi = 1``) this is the usual ``h2 = sum_k lambda^2`` (orthogonal case).
    """
    L, psi, Phi = _model(loadings, uniquenesses, phi)
    common = np.einsum("ij,jk,ik->i", L, Phi, L)
    total = common + psi
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, common / total, np.nan)
