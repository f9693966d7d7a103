"""Correlation matrices and squared multiple correlations shared by the factor models."""

from __future__ import annotations

import contextlib

import numpy as np

from measurand.errors import InputError


def as_data_matrix(Z: object, *, allow_nan: bool = True, name: str = "Z") -> np.ndarray:
    """Validate an (n, p) float matrix; NaN marks a missing cell, infinities are refused."""
    try:
        X = np.array(Z, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric (n, p) matrix: {exc}") from None
    if X.ndim != 2:
        raise InputError(f"{name} must be a 2-D (n, p) matrix, got shape {X.shape}")
    if X.shape[0] < 2 or X.shape[1] < 1:
        raise InputError(f"{name} needs at least 2 rows and 1 column, got shape {X.shape}")
    if np.isinf(X).any():
        rows, cols = np.nonzero(np.isinf(X))
        raise InputError(f"{name} has infinite values (first at row {rows[0]}, column {cols[0]})")
    if not allow_nan and np.isnan(X).any():
        raise InputError(f"{name} has missing (NaN) cells; this computation needs complete data")
    return X


def correlation_matrix(X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Pearson correlations, pairwise-complete when cells are missing (R ``use="pairwise"``).

    Returns ``(R, pair_counts)``; ``pair_counts`` (p, p) is None for complete data. Every
    correlation uses the means and standard deviations of the rows where both variables are
    observed, as R's ``cor(x, use="pairwise.complete.obs")``.
    """
    missing = np.isnan(X)
    if not missing.any():
        centred = X - X.mean(axis=0)
        cross = centred.T @ centred
        sd = np.sqrt(np.diag(cross))
        with np.errstate(invalid="ignore", divide="ignore"):
            R = cross / np.outer(sd, sd)
        np.fill_diagonal(R, 1.0)
        return R, None
    observed = (~missing).astype(float)
    # Centre by the column means first so the one-pass sums below lose no precision.
    centred = np.where(missing, 0.0, X - np.nanmean(X, axis=0))
    counts = observed.T @ observed
    sums = centred.T @ observed  # sums[i, j] = sum of x_i over rows where i and j are observed
    squares = (centred * centred).T @ observed
    cross = centred.T @ centred
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_i = sums / counts
        cov = cross - sums * sums.T / counts
        var_i = squares - sums * mean_i
        R = cov / np.sqrt(var_i * var_i.T)
    np.fill_diagonal(R, 1.0)
    return R, counts


def check_correlation(R: np.ndarray, names: list[str]) -> None:
    """Refuse undefined correlations and name duplicated (perfectly correlated) columns."""
    p = R.shape[0]
    off = ~np.eye(p, dtype=bool)
    if np.isnan(R[off]).any():
        i, j = np.argwhere(np.isnan(R) & off)[0]
        raise InputError(
            f"the correlation of columns {names[i]!r} and {names[j]!r} is undefined "
            "(a constant column, or no rows where both are observed)"
        )
    duplicates = np.argwhere(np.triu(np.abs(R) > 1.0 - 1e-10, k=1))
    if duplicates.size:
        pairs = ", ".join(f"{names[i]!r} = {names[j]!r}" for i, j in duplicates[:10])
        raise InputError(
            "the correlation matrix is singular: these columns are duplicates (|r| = 1): "
            f"{pairs}; drop one of each pair"
        )


def smc(R: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1 / diag(R^-1)`` (psych ``smc`` for a PD ``R``)."""
    inverse_diag = np.diag(np.linalg.inv(R))
    return np.clip(1.0 - 1.0 / inverse_diag, 0.0, 1.0)


def is_positive_definite(R: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(R)
    except np.linalg.LinAlgError:
        return False
    return True


_SMALL_PROBLEM = 300
_controller: list[object] = []


def blas_threads_for(size: int) -> contextlib.AbstractContextManager[object]:
    """Limit BLAS to one thread while working on matrices of side ``size`` <= 300.

    Factor fits are hundreds of small eigendecompositions and products; on these, BLAS worker
    threads cost more than they save (ML on 2,800 x 25 measured 3.4 ms single-threaded against
    140 ms with OpenBLAS's two threads on a busy 2-core machine), through ``threadpoolctl`` (a
    core dependency).
    """
    if size > _SMALL_PROBLEM:
        return contextlib.nullcontext()
    if not _controller:
        from threadpoolctl import ThreadpoolController

        _controller.append(ThreadpoolController())
    return _controller[0].limit(limits=1, user_api="blas")
