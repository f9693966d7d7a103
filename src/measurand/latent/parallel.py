"""Horn's parallel analysis: how many eigenvalues stand above those of random data?

The observed eigenvalues of one of three matrices built from the correlation matrix ``R`` of
``Z`` are compared with the eigenvalues of the same matrices computed from ``n_resamples`` data
sets of independent standard normal columns of the same shape (n, p) (Horn 1965; psych's
``sim=TRUE`` reference):

* ``kind="pca"``    ``R`` itself (principal components; psych's ``pc.values``);
* ``kind="fa"``     ``R`` with the communalities of a one-factor minres solution on the diagonal,
  ``diag(R) <- diag(lambda lambda')`` — ``psych::fa.parallel``'s default (``SMC = FALSE``: the
  ``$values`` of ``fa(R, 1, fm = "minres")``), so a check against R gets R's answer;
* ``kind="fa_smc"`` ``R`` with squared multiple correlations on the diagonal (psych's
  ``SMC = TRUE``; the principal-axis convention, which retains more factors: on psych's ``bfi``
  it suggests 8 where the default suggests 6). Reported: the mean and the ``quantile`` of the random
eigenvalues per position, and the number of factors to retain:

* ``k``       the leading observed eigenvalues above the random ``quantile``, up to the first
  one at or below it (the *first-crossing* rule of ``psych::fa.parallel``'s ``nfact``/``ncomp``;
  also available as ``k_first_crossing``);
* ``k_mean``  the same rule against the random mean (Horn's original criterion; retains more);
* ``k_count`` *every* observed eigenvalue above the random quantile, wherever it sits.

Why the first crossing: eigenvalues of a correlation matrix sum to p, so when the leading
observed eigenvalues fall below the random ones, trailing ones must rise above theirs, and each
of the p positions gets its own chance to exceed a 95th percentile. Counting them all
(``k_count``) finds factors in pure noise: on 242 x 43 standard normal data it reports k >= 1 in
88% of data sets (mean 2.3), against 3.5% for the first crossing; counting eigenvalues above the
random *mean* reports ~21 (200 data sets, 200 random draws each). ``k_count > k`` is a hint that
the observed scree is noisy, not a second opinion on k.

Speed without approximation:

* **Dual eigenvalues.** With columns standardised (ddof = 0), ``R = Z'Z/n`` (p x p) and the
  Gram matrix ``Z Z'/n`` (n x n) have the same nonzero eigenvalues; the smaller one is
  decomposed and the rest are exact zeros. A 48 x 13,542 matrix costs a 48 x 48 problem.
* **Random correlation matrices without centring.** A standardised normal column is
  ``sqrt(n) H u`` with ``H`` an orthonormal basis of the complement of ``1`` and ``u`` uniform on
  the unit sphere of R^(n-1), so the eigenvalues of a random correlation matrix are those of
  ``U'U`` (or ``U U'``) with ``u_j = g_j / ||g_j||``, ``g_j ~ N(0, I_(n-1))`` — the same
  distribution as ``cor()`` of an n x p normal matrix, with one row fewer to draw and no
  centring pass. Replicates are drawn and decomposed in batches (stacked ``eigvalsh``) of at most
  16 MB.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

from measurand._compat import renamed_kwargs
from measurand._result import Result
from measurand.errors import InputError
from measurand.latent._corr import as_data_matrix, blas_threads_for, correlation_matrix, smc
from measurand.stats._rng import SeedLike, as_generator
from measurand.stats._validate import open_unit

__all__ = [
    "KINDS",
    "KIND_LABELS",
    "ParallelAnalysisResult",
    "correlation_eigenvalues",
    "parallel_analysis",
]

_CHUNK_BYTES = 16 * 2**20  # per batch of random draws; well under the ~50 MB budget
_WIDE_P = 2000


@dataclasses.dataclass(frozen=True)
class ParallelAnalysisResult(Result):
    """Observed vs random eigenvalues (each (p,), descending) and the retained-factor counts."""

    observed: np.ndarray
    random_mean: np.ndarray
    random_quantile: np.ndarray
    k: int
    k_mean: int
    k_count: int
    kind: str
    n_resamples: int
    quantile: float
    n_obs: int
    n_vars: int

    @property
    def k_first_crossing(self) -> int:
        """``k`` under the name of its rule (kept for callers that choose a rule by name)."""
        return self.k

    @property
    def n_iter(self) -> int:
        """The old name of ``n_resamples`` (kept for one release)."""
        return self.n_resamples

    @property
    def kind_label(self) -> str:
        """What was compared, in words, for reports."""
        return KIND_LABELS[self.kind]


KINDS = ("pca", "fa", "fa_smc")
KIND_LABELS = {
    "pca": "principal-component eigenvalues of the correlation matrix",
    "fa": (
        "factor eigenvalues: correlation matrix with one-factor minres communalities on the "
        "diagonal (psych::fa.parallel's default, SMC = FALSE)"
    ),
    "fa_smc": (
        "factor eigenvalues: correlation matrix with squared multiple correlations on the "
        "diagonal (psych::fa.parallel(SMC = TRUE))"
    ),
}


def correlation_eigenvalues(Z: ArrayLike, *, method: str = "auto") -> np.ndarray:
    """Eigenvalues (descending, length p) of the correlation matrix of complete data ``Z``.

    ``method="dual"`` decomposes the n x n Gram matrix of the standardised columns, ``"direct"``
    the p x p correlation matrix, ``"auto"`` the smaller. Both give the same values.
    """
    X = as_data_matrix(Z, allow_nan=False)
    n, p = X.shape
    centred = X - X.mean(axis=0)
    norms = np.sqrt(np.sum(centred * centred, axis=0))
    if np.any(norms <= 0):
        raise InputError("Z has a constant column; its correlations are undefined")
    unit = centred / norms  # columns of unit length: R = unit' unit
    if method == "auto":
        method = "dual" if n <= p else "direct"
    if method == "dual":
        values = np.linalg.eigvalsh(unit @ unit.T)[::-1]
        # Centring leaves rank <= n - 1: the remaining eigenvalues are exact zeros.
        out = np.zeros(p)
        m = min(n - 1, p)
        out[:m] = values[:m]
        return out
    if method == "direct":
        return np.linalg.eigvalsh(unit.T @ unit)[::-1]
    raise InputError(f"unknown method {method!r}; choose 'auto', 'dual' or 'direct'")


def _reduced_eigenvalues(R: np.ndarray) -> np.ndarray:
    """Eigenvalues of R with SMCs on the diagonal, for one (p, p) or stacked (b, p, p) R."""
    inverse = np.linalg.inv(R)
    diag = np.diagonal(inverse, axis1=-2, axis2=-1)
    reduced = R.copy()
    idx = np.arange(R.shape[-1])
    reduced[..., idx, idx] = 1.0 - 1.0 / diag
    return np.linalg.eigvalsh(reduced)[..., ::-1]


def _one_factor_eigenvalues(R: np.ndarray) -> np.ndarray:
    """Eigenvalues of ``R`` with one-factor minres communalities on the diagonal (descending).

    As ``psych::fa(R, nfactors = 1, fm = "minres", SMC = FALSE)$values``: minres uniquenesses
    from ``1 - SMC`` on ``[0.005, 1]`` (:mod:`._minres`), then ``diag(R) <- lambda^2``.
    """
    from measurand.latent._minres import minres_parts
    from measurand.latent._ml import fit_uniquenesses

    start = 1.0 - smc(R)
    fit = fit_uniquenesses(R, 1, minres_parts, start=start, fixed=None, max_iter=1000, tol=1e-10)
    reduced = R.copy()
    np.fill_diagonal(reduced, np.sum(fit.loadings * fit.loadings, axis=1))
    return np.linalg.eigvalsh(reduced)[::-1]


def _factor_eigenvalues(R: np.ndarray, kind: str) -> np.ndarray:
    """The observed (p,) or stacked (b, p) eigenvalues of the reduced matrix of ``kind``."""
    if kind == "fa_smc":
        return _reduced_eigenvalues(R)
    if R.ndim == 2:
        return _one_factor_eigenvalues(R)
    # One minres fit per replicate: a model fit (about 5 ms at p = 25), not a statistic that
    # vectorizes across resamples.
    return np.stack([_one_factor_eigenvalues(single) for single in R])


def _random_eigenvalues(
    n: int, p: int, n_iter: int, kind: str, rng: np.random.Generator
) -> np.ndarray:
    """(n_iter, p) eigenvalues of correlation matrices of n x p standard normal data.

    Drawing the normals dominates the cost; they are written into one reused buffer (no page
    faults on fresh allocations), a batch of replicates at a time.
    """
    m = n - 1  # the dimension the standardised columns live in
    small = min(m, p)
    out = np.zeros((n_iter, p))
    # Wide matrices (the n x n dual side): single-precision draws halve the cost of the normals,
    # which dominate; the Gram matrices are summed in float32 (relative error ~1e-6, far below
    # the Monte Carlo error of a quantile) and decomposed in float64.
    wide = kind == "pca" and p > max(m, _WIDE_P)
    dtype = np.float32 if wide else np.float64
    batch = max(1, min(n_iter, _CHUNK_BYTES // (np.dtype(dtype).itemsize * m * p)))
    buffer = np.empty((batch, m, p), dtype=dtype)
    for start in range(0, n_iter, batch):
        b = min(batch, n_iter - start)
        G = buffer[:b]
        rng.standard_normal(out=G, dtype=dtype)
        G *= (1.0 / np.sqrt(np.einsum("bij,bij->bj", G, G)))[:, None, :]
        if kind in ("fa", "fa_smc"):
            out[start : start + b] = _factor_eigenvalues(np.matmul(G.transpose(0, 2, 1), G), kind)
        elif p <= m:
            cross = np.matmul(G.transpose(0, 2, 1), G)
            out[start : start + b] = np.linalg.eigvalsh(cross)[:, ::-1]
        else:
            gram = np.matmul(G, G.transpose(0, 2, 1)).astype(np.float64)
            out[start : start + b, :small] = np.linalg.eigvalsh(gram)[:, ::-1][:, :small]
    return out


@renamed_kwargs(n_iter="n_resamples")
def parallel_analysis(
    Z: ArrayLike,
    *,
    n_resamples: int = 500,
    quantile: float = 0.95,
    kind: str = "pca",
    seed: SeedLike = None,
    n_obs: int | None = None,
) -> ParallelAnalysisResult:
    """Horn's parallel analysis of ``Z`` (n, p); see the module docstring for the rules.

    Parameters
    ----------
    Z
        Data, rows = observations. Missing cells (NaN) are allowed when p < n: the observed
        correlation matrix is then pairwise-complete (psych's ``use="pairwise"``).
    n_resamples
        Number of random data sets (old name ``n_iter``).
    quantile
        The random-eigenvalue quantile to beat (R's type-7 quantile, numpy's default).
    kind
        ``"pca"`` (eigenvalues of R), ``"fa"`` (R with one-factor minres communalities on the
        diagonal, psych's default) or ``"fa_smc"`` (R with SMCs on the diagonal); the factor
        kinds need p < n so that R is invertible. See the module notes.
    seed
        Random seed; results are identical for the same seed.
    n_obs
        Given: ``Z`` is a (p, p) correlation (or covariance) matrix of ``n_obs`` observations
        (psych's ``fa.parallel(r, n.obs = )``): its eigenvalues are observed, the random data
        sets are n_obs x p.
    """
    if n_obs is not None:
        from measurand.latent._corr import correlation_from_matrix

        if isinstance(n_obs, bool) or not isinstance(n_obs, int | np.integer) or n_obs < 3:
            raise InputError(f"n_obs must be an integer >= 3, got {n_obs!r}")
        R = correlation_from_matrix(Z)
        with blas_threads_for(R.shape[0]):
            return _parallel_analysis(
                None, n_resamples, quantile, kind, seed, correlation=R, n_obs=int(n_obs)
            )
    X = as_data_matrix(Z)
    with blas_threads_for(min(X.shape)):
        return _parallel_analysis(X, n_resamples, quantile, kind, seed)


def _parallel_analysis(
    X: np.ndarray | None,
    n_iter: int,
    quantile: float,
    kind: str,
    seed: SeedLike,
    *,
    correlation: np.ndarray | None = None,
    n_obs: int | None = None,
) -> ParallelAnalysisResult:
    if X is None:
        n, p = int(n_obs), correlation.shape[0]
    else:
        n, p = X.shape
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, int | np.integer) or n_iter < 1:
        raise InputError(f"n_resamples (n_iter) must be a positive integer, got {n_iter!r}")
    open_unit(quantile, "quantile")
    if n < 3:
        raise InputError(f"parallel analysis needs at least 3 rows, got {n}")
    if X is None:
        if kind != "pca" and p >= n:
            raise InputError(f"kind={kind!r} needs fewer variables than observations")
        R = correlation
        if kind != "pca" and not np.all(np.isfinite(_safe_smc(R))):
            raise InputError(f"the correlation matrix is singular; kind={kind!r} cannot be used")
        observed = np.linalg.eigvalsh(R)[::-1] if kind == "pca" else _factor_eigenvalues(R, kind)
    else:
        observed = _observed_from_data(X, kind)
    rng = as_generator(seed)
    random = _random_eigenvalues(n, p, int(n_iter), kind, rng)
    random_mean = random.mean(axis=0)
    random_quantile = np.quantile(random, quantile, axis=0)
    above_quantile = observed > random_quantile
    return ParallelAnalysisResult(
        observed=observed,
        random_mean=random_mean,
        random_quantile=random_quantile,
        k=_leading_true(above_quantile),
        k_mean=_leading_true(observed > random_mean),
        k_count=int(above_quantile.sum()),
        kind=kind,
        n_resamples=int(n_iter),
        quantile=float(quantile),
        n_obs=n,
        n_vars=p,
    )


def _safe_smc(R: np.ndarray) -> np.ndarray:
    try:
        return smc(R)
    except np.linalg.LinAlgError:
        return np.full(R.shape[0], np.nan)


def _observed_from_data(X: np.ndarray, kind: str) -> np.ndarray:
    """Observed eigenvalues of data ``X`` (checks: shape, missing cells, constant columns)."""
    n, p = X.shape
    has_missing = bool(np.isnan(X).any())
    if kind != "pca" and p >= n:
        raise InputError(
            f"kind={kind!r} needs fewer columns than rows (p = {p}, n = {n}): the squared multiple "
            "correlations need an invertible correlation matrix; use kind='pca'"
        )
    if has_missing and p >= n:
        raise InputError(
            f"Z has missing cells and p = {p} >= n = {n}: impute first (the pairwise p x p "
            "correlation matrix would be needed)"
        )
    sd = np.nanstd(X, axis=0)
    constant = np.flatnonzero(~(sd > 1e-12))
    if constant.size:
        raise InputError(
            f"constant columns (indices {constant[:20].tolist()}) have no correlations; drop them"
        )

    if kind != "pca":
        R = correlation_matrix(X)[0]
        if not np.all(np.isfinite(smc(R))):
            raise InputError(f"the correlation matrix is singular; kind={kind!r} cannot be used")
        observed = _factor_eigenvalues(R, kind)
    elif has_missing:
        R = correlation_matrix(X)[0]
        observed = np.linalg.eigvalsh(R)[::-1]
    else:
        observed = correlation_eigenvalues(X)
    return observed


def _leading_true(above: np.ndarray) -> int:
    """How many entries of ``above`` are True before the first False (the first crossing)."""
    return int(np.argmin(above)) if not above.all() else above.size
