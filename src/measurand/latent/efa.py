"""Exploratory factor analysis estimator (sklearn-style ``fit`` / ``transform``).

``FactorAnalysis(k, method="ml").fit(Z)`` reproduces ``psych::fa(Z, k, fm="ml", rotate=...)``
(psych 2.2.9): the same correlation matrix (pairwise-complete when cells are missing, psych's
default ``use="pairwise"``), the same concentrated likelihood (``factanal``'s), the same
rotations, the same sign/order convention and the same fit statistics. See :mod:`._ml`,
:mod:`._minres`, :mod:`.rotation` and :mod:`.scores` for the formulas.

Conventions (documented, never silent):

* ``ml`` and ``minres`` work on the correlation matrix of ``Z``: raw or standardised input gives
  the same loadings. Factor scores standardise ``Z`` with the fitted column means and standard
  deviations (ddof = 1, R's ``scale()`` as psych uses).
* Rotations use Kaiser normalisation where ``psych::fa`` does: varimax and promax yes;
  quartimax, oblimin, quartimin and geomin (GPArotation's geominQ) no. Pass
  ``rotation_kwargs={"normalize": ...}`` to override.
* Signs and order: every factor's loadings sum to a positive number, and factors are sorted by
  decreasing variance accounted for, ``diag(Phi Lambda' Lambda)`` (sum of squared loadings for
  orthogonal solutions) — psych's rule (:func:`measurand.latent.rotation.orient_factors`).
* ``uniquenesses_`` are ``1 - communalities_`` for free uniquenesses (psych's
  ``diag(R - Lambda Phi Lambda')``) and the given value for fixed ones.
* ``fit_stats_`` uses ``n_obs = `` the number of rows, also with missing cells (psych).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from measurand.errors import DegenerateDataWarning, InputError
from measurand.latent._corr import (
    as_data_matrix,
    blas_threads_for,
    check_correlation,
    check_duplicate_columns,
    correlation_from_matrix,
    correlation_matrix,
    smc,
)
from measurand.latent._minres import minres_parts
from measurand.latent._ml import (
    LOWER_BOUND,
    degrees_of_freedom,
    fit_statistics,
    fit_uniquenesses,
    is_numerically_singular,
    ml_parts,
    undefined_fit_statistics,
)
from measurand.latent.parallel import correlation_eigenvalues
from measurand.latent.rotation import ROTATIONS, RotationResult, orient_factors, rotate
from measurand.latent.scores import SCORE_METHODS, factor_score_weights
from measurand.stats._rng import SeedLike

__all__ = ["METHODS", "FactorAnalysis"]

METHODS = ("ml", "minres", "nonneg_em")

# psych::fa: stats::varimax (normalize = TRUE) and kaiser(rotate = "Promax") normalise; the
# GPArotation criteria are called with their default normalize = FALSE.
_PSYCH_NORMALIZE = {
    "varimax": True,
    "promax": True,
    "quartimax": False,
    "oblimin": False,
    "quartimin": False,
    "geomin": False,
}
_CONSTANT_SD = 1e-12
# Above this many columns (and at least as many columns as rows) the non-negative model never
# forms the p x p correlation matrix (memory O(n p) instead of O(p^2)).
_WIDE_P = 2000
# The concentrated discrepancy F(psi) that each method minimises over the uniquenesses.
_DISCREPANCIES = {"ml": ml_parts, "minres": minres_parts}


class FactorAnalysis:
    """Exploratory factor analysis: ML (psych/factanal), minres (psych) or non-negative EM.

    Parameters
    ----------
    n_factors
        Number of common factors ``k`` (1 <= k < number of columns, k < number of rows).
    method
        ``"ml"`` (maximum likelihood, the default), ``"minres"`` (unweighted least squares,
        psych's default) or ``"nonneg_em"`` (the non-negative model ``Lambda >= 0`` fitted by
        projected EM, :func:`measurand.latent._nonneg_em.fit_nonneg_em`; no rotation).
    rotation
        None/"none", "varimax", "quartimax", "oblimin", "quartimin", "geomin", "promax". With
        one factor there is nothing to rotate and the rotation is skipped (as psych does).
    rotation_kwargs
        Passed to :func:`measurand.latent.rotation.rotate` (``normalize``, ``gamma``, ``delta``,
        ``power``, ``max_iter``, ``tol``, ``random_starts``).
    fixed_uniquenesses
        Optional (p,) array: NaN = estimate, a number = hold that uniqueness fixed (for ml and
        minres within [0.005, 1]; nonneg_em clips to [1e-3, 0.999]).
    max_iter, tol
        Optimiser limits: L-BFGS-B iterations and projected-gradient tolerance for ml/minres
        (defaults 1000 and 1e-10), EM steps and max parameter change for nonneg_em (5000,
        1e-7). None = the method's default.
    seed
        Seeds the random rotation starts (``rotation_kwargs["random_starts"]``) and nonneg_em.
    score_method
        "regression" (posterior mean, model-implied covariance), "bartlett", or "thurstone"
        (psych's "regression": observed correlation matrix). See :mod:`.scores`.

    Attributes (after ``fit``)
    --------------------------
    loadings_ (p, k), uniquenesses_ (p,), communalities_ (p,), phi_ (k, k; identity when
    orthogonal), scores_ (n, k), score_weights_ (p, k), fit_stats_ (dict, see
    :func:`measurand.latent._ml.fit_statistics`), n_iter_, converged_, unrotated_loadings_,
    rotation_ (:class:`RotationResult` or None), correlation_ (p, p), pair_counts_ (p, p or
    None), eigenvalues_ (of ``correlation_``), mean_, scale_, n_obs_, n_features_in_,
    feature_names_in_, heywood_ (bool (p,): a free uniqueness at the 0.005 bound).
    """

    def __init__(
        self,
        n_factors: int,
        *,
        method: str = "ml",
        rotation: str | None = None,
        rotation_kwargs: dict[str, Any] | None = None,
        fixed_uniquenesses: ArrayLike | None = None,
        max_iter: int | None = None,
        tol: float | None = None,
        seed: SeedLike = None,
        score_method: str = "regression",
    ) -> None:
        self.n_factors = n_factors
        self.method = method
        self.rotation = rotation
        self.rotation_kwargs = rotation_kwargs
        self.fixed_uniquenesses = fixed_uniquenesses
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed
        self.score_method = score_method

    # -----------------------------------------------------------------------------------------
    def _validate(self, n: int, p: int) -> tuple[int, str | None, np.ndarray | None]:
        k = self.n_factors
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise InputError(f"n_factors must be a positive integer, got {k!r}")
        k = int(k)
        if self.method not in METHODS:
            raise InputError(f"unknown method {self.method!r}; choose one of {METHODS}")
        if k >= p:
            raise InputError(f"n_factors = {k} needs more than {k} columns; Z has {p}")
        if n <= k:
            raise InputError(
                f"Z has {n} rows, fewer than or equal to n_factors = {k}; need more rows than "
                "factors"
            )
        rotation = None if self.rotation in (None, "none") else str(self.rotation).lower()
        if rotation == "geominq":
            rotation = "geomin"
        if rotation is not None and rotation not in ROTATIONS:
            raise InputError(
                f"unknown rotation {self.rotation!r}; choose None or one of {ROTATIONS}"
            )
        if rotation is not None and self.method == "nonneg_em":
            raise InputError(
                "method='nonneg_em' fits non-negative loadings, which a rotation would break; "
                "use rotation=None"
            )
        if self.score_method not in SCORE_METHODS:
            raise InputError(
                f"unknown score_method {self.score_method!r}; choose one of {SCORE_METHODS}"
            )
        fixed = None
        if self.fixed_uniquenesses is not None:
            fixed = np.array(self.fixed_uniquenesses, dtype=float).reshape(-1)
            if fixed.shape != (p,):
                raise InputError(
                    f"fixed_uniquenesses must have one entry per column ({p}), got {fixed.size}"
                )
            values = fixed[~np.isnan(fixed)]
            if self.method != "nonneg_em" and np.any((values < LOWER_BOUND) | (values > 1.0)):
                raise InputError(
                    "fixed_uniquenesses must lie in [0.005, 1] for ml and minres (they are "
                    "shares of a standardised variable's variance)"
                )
            if np.isnan(fixed).all():
                fixed = None
        return k, rotation, fixed

    # -----------------------------------------------------------------------------------------
    def fit(
        self,
        Z: ArrayLike,
        column_names: Sequence[str] | None = None,
        *,
        n_obs: int | None = None,
    ) -> FactorAnalysis:
        """Fit the model to data ``Z`` (n, p), or to a correlation matrix with ``n_obs``.

        NaN cells are allowed in data for ml/minres (pairwise correlations).

        With ``n_obs`` given, ``Z`` is a (p, p) correlation (or covariance, rescaled to
        correlations) matrix of ``n_obs`` observations, as ``psych::fa(r, n.obs=)``,
        ``factanal(covmat=, n.obs=)`` and factor_analyzer's ``is_corr_matrix=True``: the
        loadings are those of the data it came from, the fit statistics use ``n_obs``, and
        there are no scores (``scores_`` is None, ``transform`` refuses).
        """
        if n_obs is not None:
            if isinstance(n_obs, bool) or not isinstance(n_obs, int | np.integer) or n_obs < 2:
                raise InputError(f"n_obs must be an integer >= 2, got {n_obs!r}")
            R = correlation_from_matrix(Z)
            with blas_threads_for(R.shape[0]):
                return self._fit(None, R, int(n_obs), column_names)
        X = as_data_matrix(Z)
        if self.method == "nonneg_em":
            return self._fit(X, None, X.shape[0], column_names)
        with blas_threads_for(X.shape[1]):
            return self._fit(X, None, X.shape[0], column_names)

    def _fit(
        self,
        X: np.ndarray | None,
        R: np.ndarray | None,
        n: int,
        column_names: Sequence[str] | None,
    ) -> FactorAnalysis:
        p = R.shape[0] if X is None else X.shape[1]
        names = [f"column {j}" for j in range(p)] if column_names is None else list(column_names)
        if len(names) != p:
            raise InputError(f"column_names has {len(names)} names for {p} columns")
        k, rotation, fixed = self._validate(n, p)

        counts = None
        if X is None:
            mean = scale = None
        else:
            mean = np.nanmean(X, axis=0)
            scale = np.nanstd(X, axis=0, ddof=1)
            constant = [names[j] for j in np.flatnonzero(~(scale > _CONSTANT_SD))]
            if constant:
                raise InputError(
                    "constant (or all-missing) columns have no correlation structure: "
                    + ", ".join(repr(c) for c in constant[:20])
                )
        if X is not None and self._wide(X):
            # p >> n: R (p x p) is singular and too large to hold; its eigenvalues come from the
            # n x n dual and the duplicate-column check runs in blocks.
            check_duplicate_columns(X, names)
            eigenvalues = correlation_eigenvalues(X)
            positive_definite = False
        else:
            if X is not None:
                R, counts = correlation_matrix(X)
            check_correlation(R, names)
            eigenvalues = np.linalg.eigvalsh(R)[::-1]
            positive_definite = not is_numerically_singular(eigenvalues)
        if R is None and self.method != "nonneg_em":
            raise InputError(
                f"method={self.method!r} needs the p x p correlation matrix, which is singular "
                f"and too large here (n = {n}, p = {p}); use method='nonneg_em', which works "
                "on the n x p data"
            )

        if self.method == "nonneg_em":
            data = X if X is not None else _data_with_correlation(R)
            loadings, psi, n_iter, converged = self._fit_nonneg_em(data, k, fixed)
            self.heywood_ = np.zeros(p, dtype=bool)
        else:
            if self.method == "ml" and not positive_definite:
                raise InputError(
                    "the correlation matrix is singular (not positive definite): maximum "
                    f"likelihood needs more rows than columns (n = {n}, p = {p}) and no column "
                    "that is a linear combination of others; use method='minres' or "
                    "'nonneg_em'"
                )
            fit = fit_uniquenesses(
                R,
                k,
                _DISCREPANCIES[self.method],
                start=1.0 - smc(R) if positive_definite else np.full(p, 0.5),
                fixed=fixed,
                max_iter=1000 if self.max_iter is None else int(self.max_iter),
                tol=1e-10 if self.tol is None else float(self.tol),
            )
            loadings, n_iter, converged = fit.loadings, fit.n_iter, fit.converged
            held = np.full(p, np.nan) if fixed is None else fixed
            free = np.isnan(held)
            psi = np.where(free, np.diag(R) - np.sum(loadings * loadings, axis=1), held)
            self.heywood_ = free & (fit.psi <= LOWER_BOUND * (1.0 + 1e-6))
            if self.heywood_.any():
                warnings.warn(
                    "Heywood case: the uniqueness of "
                    + ", ".join(repr(names[j]) for j in np.flatnonzero(self.heywood_))
                    + f" reached the lower bound {LOWER_BOUND}; interpret with care",
                    DegenerateDataWarning,
                    stacklevel=3,
                )
        if not converged:
            warnings.warn(
                f"{self.method} did not converge in {n_iter} iterations",
                RuntimeWarning,
                stacklevel=3,
            )

        unrotated, _, _, _ = orient_factors(loadings)
        rotation_result: RotationResult | None = None
        phi = np.eye(k)
        rotated = unrotated
        if rotation is not None and k > 1:
            kwargs = {"normalize": _PSYCH_NORMALIZE[rotation], "seed": self.seed}
            kwargs.update(self.rotation_kwargs or {})
            rotation_result = rotate(unrotated, rotation, **kwargs)
            rotated, phi = rotation_result.loadings, rotation_result.phi
            if not rotation_result.converged:
                warnings.warn(
                    f"the {rotation} rotation did not converge", RuntimeWarning, stacklevel=3
                )

        if not positive_definite:
            warnings.warn(
                f"the correlation matrix is singular (n = {n}, p = {p}): the likelihood-based "
                "fit statistics are undefined (NaN)",
                DegenerateDataWarning,
                stacklevel=3,
            )
        if degrees_of_freedom(p, k) <= 0 and self.method != "nonneg_em":
            warnings.warn(
                f"{k} factors for {p} variables leave df = {degrees_of_freedom(p, k):g} <= 0: "
                "the model is not identified and the fit statistics are NaN",
                DegenerateDataWarning,
                stacklevel=3,
            )

        self.n_features_in_ = p
        self.feature_names_in_ = names
        self.n_obs_ = n
        self.mean_ = mean
        self.scale_ = scale
        self.correlation_ = R
        self.pair_counts_ = counts
        self.eigenvalues_ = eigenvalues
        self.unrotated_loadings_ = unrotated
        self.rotation_ = rotation_result
        self.loadings_ = rotated
        self.phi_ = phi
        self.uniquenesses_ = psi
        self.communalities_ = np.einsum("ij,jk,ik->i", rotated, phi, rotated)
        self.n_iter_ = int(n_iter)
        self.converged_ = bool(converged) and (rotation_result is None or rotation_result.converged)
        self.fit_stats_ = (
            undefined_fit_statistics(p, k, n)
            if R is None
            else fit_statistics(R, rotated, phi, n, singular=not positive_definite)
        )
        self.score_weights_ = factor_score_weights(
            rotated, psi, phi, self.score_method, correlation=R
        )
        self.scores_ = None if X is None else self._standardize(X) @ self.score_weights_
        return self

    def _wide(self, X: np.ndarray) -> bool:
        n, p = X.shape
        return (
            self.method == "nonneg_em"
            and p >= n
            and p > _WIDE_P
            and self.score_method != "thurstone"
            and not np.isnan(X).any()
        )

    def _fit_nonneg_em(
        self, X: np.ndarray, k: int, fixed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, int, bool]:
        from measurand.latent._nonneg_em import fit_nonneg_em

        if np.isnan(X).any():
            raise InputError("method='nonneg_em' needs complete data (Z has missing cells)")
        standardized = (X - X.mean(axis=0)) / X.std(axis=0)
        result = fit_nonneg_em(
            standardized,
            k,
            fixed_psi=fixed,
            tol=1e-7 if self.tol is None else float(self.tol),
            max_iter=5000 if self.max_iter is None else int(self.max_iter),
            seed=self.seed,
        )
        return (
            np.asarray(result.loadings, dtype=float),
            np.asarray(result.uniquenesses, dtype=float),
            int(result.n_iter),
            bool(result.converged),
        )

    # -----------------------------------------------------------------------------------------
    def _standardize(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def transform(self, Z: ArrayLike) -> np.ndarray:
        """Factor scores (n, k) of new rows, standardised with the fitted means and sds."""
        if not hasattr(self, "score_weights_"):
            raise InputError("this FactorAnalysis is not fitted yet; call fit(Z) first")
        if self.mean_ is None:
            raise InputError(
                "this FactorAnalysis was fitted to a correlation matrix: it has no column means "
                "and standard deviations to standardise new rows with"
            )
        X = as_data_matrix(Z)
        if X.shape[1] != self.n_features_in_:
            raise InputError(
                f"Z has {X.shape[1]} columns; the model was fitted on {self.n_features_in_}"
            )
        return self._standardize(X) @ self.score_weights_

    def fit_transform(self, Z: ArrayLike, column_names: Sequence[str] | None = None) -> np.ndarray:
        return self.fit(Z, column_names).scores_


def _data_with_correlation(R: np.ndarray) -> np.ndarray:
    """A centred ((p + 1) x p) matrix whose covariance (ddof = 0) is exactly ``R``.

    ``Z = sqrt(p + 1) H R^1/2`` with ``H`` orthonormal columns orthogonal to the ones vector:
    column means are 0 and ``Z'Z / (p + 1) = R``. The non-negative EM sees only ``S``, so this
    stands in for the data behind a correlation matrix.
    """
    p = R.shape[0]
    values, vectors = np.linalg.eigh(R)
    root = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    basis, _ = np.linalg.qr(np.column_stack([np.ones(p + 1), np.eye(p + 1)[:, :p]]))
    H = basis[:, 1 : p + 1]
    return math.sqrt(p + 1) * H @ root

    def __repr__(self) -> str:
        extra = "" if self.rotation is None else f", rotation={self.rotation!r}"
        return f"FactorAnalysis({self.n_factors}, method={self.method!r}{extra})"
