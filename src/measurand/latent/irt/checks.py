"""Checks of a fitted IRT model: held-out cells, recovery against known truth, the number of
dimensions by parallel analysis on binary data with missing cells.

* :func:`heldout_split` masks a random ``fraction`` of the observed cells (each item and
  subject keeps at least one training response); :func:`heldout_scores` gives the AUC
  (Mann–Whitney, ties counted half) and the log-loss −mean[y log p + (1 − y) log(1 − p)]
  (p clipped to [1e-6, 1 − 1e-6]) of predictions, to set against the item-mean baseline.
* :func:`procrustes_alignment` aligns estimated loadings to the truth by the orthogonal
  Procrustes rotation (Schönemann 1966), then reports per-column and overall correlations.
* :func:`binary_parallel_analysis`: Horn's parallel analysis of a 0/1 matrix with missing cells.
  Complete data, or missing cells with fewer items than subjects, go to
  :func:`measurand.latent.parallel.parallel_analysis` (exact dual trick; pairwise-complete
  correlations). With missing cells *and* items ≥ subjects the p × p pairwise matrix would not
  fit, so each item is standardised over its observed cells and missing cells are set to 0
  (the item mean); the observed eigenvalues then come from the n × n Gram matrix (dual), and
  the random reference applies the same missing pattern to normal data, so both sides shrink
  alike.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats

from measurand._result import Result
from measurand.errors import InputError
from measurand.latent.parallel import ParallelAnalysisResult, parallel_analysis
from measurand.stats._rng import SeedLike, as_generator

__all__ = [
    "HeldoutScores",
    "RecoveryScores",
    "binary_parallel_analysis",
    "heldout_scores",
    "heldout_split",
    "procrustes_alignment",
]


def heldout_split(
    rows: np.ndarray, cols: np.ndarray, fraction: float = 0.1, *, seed: SeedLike = None
) -> np.ndarray:
    """Boolean mask over the observed cells: True = held out. Every subject and item keeps
    at least one training response."""
    if not 0.0 < fraction < 1.0:
        raise InputError(f"fraction must lie in (0, 1), got {fraction}")
    rng = as_generator(seed)
    m = len(rows)
    held = rng.random(m) < fraction
    for index in (rows, cols):
        train_count = np.bincount(index[~held], minlength=index.max() + 1)
        lonely = np.flatnonzero(train_count == 0)
        if lonely.size:
            # give back one held-out cell of each group that lost all its training cells
            where = np.flatnonzero(np.isin(index, lonely) & held)
            _, first = np.unique(index[where], return_index=True)
            held[where[first]] = False
    return held


@dataclasses.dataclass(frozen=True)
class HeldoutScores(Result):
    """AUC and log-loss of a model's held-out predictions and of the item-mean baseline."""

    n_heldout: int
    auc: float
    log_loss: float
    baseline_auc: float
    baseline_log_loss: float

    @property
    def beats_baseline(self) -> bool:
        return self.auc > self.baseline_auc and self.log_loss < self.baseline_log_loss


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    positive = y >= 0.5
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(score)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _log_loss(y: np.ndarray, prob: np.ndarray) -> float:
    q = np.clip(prob, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))


def heldout_scores(y: np.ndarray, prob: np.ndarray, baseline_prob: np.ndarray) -> HeldoutScores:
    """Score held-out responses ``y`` (0/1, or fractions: AUC thresholds them at 0.5)."""
    y = np.asarray(y, dtype=float)
    return HeldoutScores(
        n_heldout=int(y.size),
        auc=_auc(y, np.asarray(prob)),
        log_loss=_log_loss(y, np.asarray(prob)),
        baseline_auc=_auc(y, np.asarray(baseline_prob)),
        baseline_log_loss=_log_loss(y, np.asarray(baseline_prob)),
    )


@dataclasses.dataclass(frozen=True)
class RecoveryScores(Result):
    """Correlations of estimates with the truth after Procrustes alignment of the loadings."""

    slopes: float
    slopes_by_dim: tuple[float, ...]
    intercepts: float
    theta: float
    rotation: np.ndarray


def procrustes_alignment(
    a_hat: np.ndarray,
    a_true: np.ndarray,
    *,
    d_hat: np.ndarray | None = None,
    d_true: np.ndarray | None = None,
    theta_hat: np.ndarray | None = None,
    theta_true: np.ndarray | None = None,
) -> RecoveryScores:
    """Rotate ``a_hat`` by the orthogonal R minimising ‖a_hat R − a_true‖_F (R = U Vᵀ from the
    SVD of a_hatᵀ a_true), θ by the same R; correlations per dimension and over all entries."""
    A = np.atleast_2d(np.asarray(a_hat, dtype=float))
    T = np.atleast_2d(np.asarray(a_true, dtype=float))
    if A.shape != T.shape:
        raise InputError(f"loadings shapes differ: {A.shape} vs {T.shape}")
    U, _, Vt = np.linalg.svd(A.T @ T)
    R = U @ Vt
    aligned = A @ R
    by_dim = tuple(float(np.corrcoef(aligned[:, j], T[:, j])[0, 1]) for j in range(T.shape[1]))
    overall = float(np.corrcoef(aligned.ravel(), T.ravel())[0, 1])
    d_corr = (
        float(np.corrcoef(d_hat, d_true)[0, 1])
        if d_hat is not None and d_true is not None
        else float("nan")
    )
    th_corr = float("nan")
    if theta_hat is not None and theta_true is not None:
        th = np.atleast_2d(theta_hat) @ R
        tt = np.atleast_2d(theta_true)
        th_corr = float(
            np.mean([np.corrcoef(th[:, j], tt[:, j])[0, 1] for j in range(tt.shape[1])])
        )
    return RecoveryScores(
        slopes=overall, slopes_by_dim=by_dim, intercepts=d_corr, theta=th_corr, rotation=R
    )


def binary_parallel_analysis(
    Y: np.ndarray,
    *,
    n_resamples: int = 100,
    quantile: float = 0.95,
    seed: SeedLike = None,
) -> ParallelAnalysisResult:
    """Parallel analysis (PCA eigenvalues) of a binary matrix with NaN for missing cells."""
    X = np.array(Y, dtype=float, ndmin=2)
    n, p = X.shape
    missing = np.isnan(X)
    if not missing.any() or p < n:
        return parallel_analysis(X, n_resamples=n_resamples, quantile=quantile, seed=seed)
    if not 0.0 < quantile < 1.0:
        raise InputError(f"quantile must be in (0, 1), got {quantile!r}")
    observed_mask = ~missing

    def eigenvalues(Z: np.ndarray) -> np.ndarray:
        mean = np.nanmean(Z, axis=0)
        C = np.where(observed_mask, Z - mean, 0.0)
        count = observed_mask.sum(axis=0)
        sd = np.sqrt((C**2).sum(axis=0) / np.maximum(count, 1))
        if np.any(sd <= 1e-12):
            raise InputError("constant items have no correlations; drop them first")
        # pairwise-count scaling: R_jk ≈ Σ z_sj z_sk / n over the zero-filled standardised data
        U = C / (sd * np.sqrt(n))
        values = np.linalg.eigvalsh(U @ U.T)[::-1]
        out = np.zeros(p)
        out[: min(n, p)] = values[: min(n, p)]
        return out

    observed = eigenvalues(X)
    rng = as_generator(seed)
    random = np.empty((int(n_resamples), p))
    for b in range(int(n_resamples)):
        G = rng.standard_normal((n, p))
        G[missing] = np.nan
        random[b] = eigenvalues(G)
    random_mean = random.mean(axis=0)
    random_quantile = np.quantile(random, quantile, axis=0)
    above = observed > random_quantile

    def leading(flags: np.ndarray) -> int:
        return int(np.argmin(flags)) if not flags.all() else flags.size

    return ParallelAnalysisResult(
        observed=observed,
        random_mean=random_mean,
        random_quantile=random_quantile,
        k=leading(above),
        k_mean=leading(observed > random_mean),
        k_count=int(above.sum()),
        kind="pca",
        n_resamples=int(n_resamples),
        quantile=float(quantile),
        n_obs=n,
        n_vars=p,
    )
