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


def check_no_overflow(X: np.ndarray, names: list[str] | tuple[str, ...], *, what: str) -> None:
    """Refuse columns whose finite values overflow float64 in a mean or a variance.

    Values near ±1e308 are finite, but their sum or the square of a deviation is not: every
    statistic downstream would turn into inf or NaN and be reported as missing or constant.
    Named here instead, before any of that happens.
    """
    values = np.asarray(X, dtype=np.float64)
    finite = np.isfinite(values)
    with np.errstate(over="ignore", invalid="ignore"):
        counts = finite.sum(axis=0)
        filled = np.where(finite, values, 0.0)
        mean = filled.sum(axis=0) / np.maximum(counts, 1)
        deviation = np.where(finite, values - mean, 0.0)
        square_sum = np.sum(deviation * deviation, axis=0)
    bad = np.flatnonzero((counts > 0) & ~(np.isfinite(mean) & np.isfinite(square_sum)))
    if bad.size:
        largest = float(np.max(np.abs(np.where(finite[:, bad], values[:, bad], 0.0))))
        shown = ", ".join(repr(str(names[j])) for j in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise InputError(
            f"{what}: column(s) {shown}{more} hold values too large for float64 arithmetic "
            f"(largest |value| {largest:.3g}): their mean or variance overflows to infinity. "
            "Rescale them (divide by a power of ten) or check the file"
        )


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


_BLOCK_BYTES = 64 * 2**20


def duplicate_column_pairs(X: np.ndarray, *, limit: int = 10) -> list[tuple[int, int]]:
    """Up to ``limit`` pairs (i, j), i < j, of complete-data columns with |r| > 1 - 1e-10.

    The rule of :func:`check_correlation` without the p x p matrix, in ``O(n p + p log p)``:
    with unit-length centred columns ``u``, |r_ij| > 1 - 1e-10 means ``||u_i -+ u_j|| < 1.5e-5``,
    so their projections on any unit vector ``g`` differ by less than that in absolute value.
    Columns are sorted by ``|u' g|`` for three fixed directions; only pairs within that distance
    in all three are candidates, and each candidate is checked exactly. (The directions are a
    fixed screen, not a random procedure: the answer is exact whatever they are.)
    """
    n, p = X.shape
    centred = X - X.mean(axis=0)
    unit = centred / np.sqrt(np.einsum("ij,ij->j", centred, centred))
    directions = np.random.default_rng(20261206).standard_normal((n, 3))
    directions /= np.linalg.norm(directions, axis=0)
    projections = np.abs(unit.T @ directions)  # (p, 3)
    gap = 2e-5
    order = np.argsort(projections[:, 0], kind="stable")
    key = projections[order, 0]
    ends = np.searchsorted(key, key + gap, side="right")
    widths = ends - np.arange(p) - 1
    if int(widths.sum()) > 50 * p:  # a pathological screen (many near-equal projections)
        return _duplicate_pairs_blocked(unit, limit)
    left = np.repeat(np.arange(p), widths)
    right = left + 1 + (np.arange(left.size) - np.repeat(np.cumsum(widths) - widths, widths))
    i, j = order[left], order[right]
    close = np.all(np.abs(projections[i, 1:] - projections[j, 1:]) <= gap, axis=1)
    i, j = i[close], j[close]
    r = np.einsum("ij,ij->j", unit[:, i], unit[:, j])
    hits = np.abs(r) > 1.0 - 1e-10
    pairs = sorted((int(min(a, b)), int(max(a, b))) for a, b in zip(i[hits], j[hits], strict=True))
    return pairs[:limit]


def _duplicate_pairs_blocked(unit: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """The same pairs by blocks of ``unit' unit`` (``n p^2 / 2`` flops, one 64 MB block)."""
    p = unit.shape[1]
    step = max(1, _BLOCK_BYTES // (8 * p))
    pairs: list[tuple[int, int]] = []
    for start in range(0, p, step):
        stop = min(p, start + step)
        block = unit[:, start:stop].T @ unit[:, start:]  # (stop - start, p - start)
        block[np.arange(stop - start), np.arange(stop - start)] = 0.0
        rows, cols = np.nonzero(np.triu(np.abs(block) > 1.0 - 1e-10))
        for i, j in zip(rows + start, cols + start, strict=True):
            pairs.append((int(i), int(j)))
            if len(pairs) >= limit:
                return pairs
    return pairs


def check_duplicate_columns(X: np.ndarray, names: list[str]) -> None:
    """:func:`check_correlation`'s duplicate rule on complete data, without forming ``R``."""
    duplicates = duplicate_column_pairs(X)
    if duplicates:
        pairs = ", ".join(f"{names[i]!r} = {names[j]!r}" for i, j in duplicates)
        raise InputError(
            "the correlation matrix is singular: these columns are duplicates (|r| = 1): "
            f"{pairs}; drop one of each pair"
        )


def correlation_from_matrix(matrix: object, name: str = "the correlation matrix") -> np.ndarray:
    """Validate a (p, p) correlation or covariance matrix and return it as a correlation matrix.

    A covariance matrix is rescaled, ``R = D^-1/2 S D^-1/2`` (as ``cov2cor``); the matrix must
    be square, symmetric (to 1e-8 relative), finite, with a positive diagonal.
    """
    try:
        S = np.array(matrix, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric (p, p) matrix: {exc}") from None
    if S.ndim != 2 or S.shape[0] != S.shape[1] or S.shape[0] < 2:
        raise InputError(f"{name} must be a square (p, p) matrix with p >= 2, got {S.shape}")
    if not np.all(np.isfinite(S)):
        rows, cols = np.nonzero(~np.isfinite(S))
        raise InputError(
            f"{name} has missing or infinite entries (first at row {rows[0]}, column {cols[0]})"
        )
    scale = float(np.max(np.abs(S)))
    asymmetric = np.abs(S - S.T) > 1e-8 * max(scale, 1.0)
    if asymmetric.any():
        i, j = np.argwhere(asymmetric)[0]
        raise InputError(f"{name} is not symmetric: entry ({i}, {j}) differs from ({j}, {i})")
    diag = np.diag(S)
    if np.any(diag <= 0):
        j = int(np.argmin(diag))
        raise InputError(f"{name} has a non-positive diagonal entry at {j} ({diag[j]!r})")
    sd = np.sqrt(diag)
    R = (S + S.T) / 2.0 / np.outer(sd, sd)
    np.fill_diagonal(R, 1.0)
    if np.any(np.abs(R) > 1.0 + 1e-8):
        i, j = np.argwhere(np.abs(R) > 1.0 + 1e-8)[0]
        raise InputError(f"{name} has a correlation outside [-1, 1] at ({i}, {j}): {R[i, j]:.6g}")
    return np.clip(R, -1.0, 1.0)


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
