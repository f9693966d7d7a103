"""One bootstrap over items (clusters resampled whole) for every model, pair and rank at once.

Each resample draws ``G`` clusters with replacement (each item its own cluster when none are
given); the resample's mean for model m is the ratio estimator
``Σ_g w_g S_gm / Σ_g w_g n_g`` with ``w`` the draw counts, ``S_gm`` the cluster sums of the
model's item scores and ``n_g`` the cluster sizes. All models share the draws, so paired
differences, family-wise p-values and ranks come from the same resamples (Davison & Hinkley
1997, §3.8 for the cluster bootstrap). Resamples are processed in chunks as count matrices
``W`` (chunk × G) and one matrix product ``W @ S`` per chunk: nothing loops over resamples.

Family-wise p-values (Romano & Wolf 2005, the studentized step-down max-T with the bootstrap
standard error of each pair): with ``t_j = |θ̂_j| / se_j`` sorted decreasingly and
``T*_bj = |θ*_bj − θ̂_j| / se_j``, the j-th hypothesis gets
``p_(j) = max_{k ≤ j} (1 + #{b : max_{l ≥ k} T*_{b,(l)} ≥ t_(k)}) / (1 + B)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from scipy import stats

from measurand._result import Result
from measurand.errors import InputError
from measurand.stats import _validate
from measurand.stats._paired import cluster_codes
from measurand.stats._rng import SeedLike, as_generator

__all__ = [
    "ItemBootstrapResult",
    "disagreement",
    "item_bootstrap",
    "resampled_means",
    "romano_wolf",
]

_CHUNK_CELLS = 2_000_000


@dataclasses.dataclass(frozen=True)
class ItemBootstrapResult(Result):
    """Bootstrap over items for M models.

    ``means``/``mean_ci`` (M, M×2); ``pairs`` (P×2 model indices i < j) with the difference
    ``i − j`` in ``difference``, its percentile interval ``difference_ci``, bootstrap standard
    error ``difference_se``, ``prob_positive`` (share of resamples with ``i`` ahead) and the
    Romano–Wolf family-wise ``pvalue_fwer``; ``rank`` (1 = best, ties share the lowest) with
    percentile ``rank_ci`` and ``rank_probability`` (M × M: P(model m has rank r+1)).
    """

    means: np.ndarray
    mean_ci: np.ndarray
    pairs: np.ndarray
    difference: np.ndarray
    difference_ci: np.ndarray
    difference_se: np.ndarray
    prob_positive: np.ndarray
    pvalue_fwer: np.ndarray
    rank: np.ndarray
    rank_ci: np.ndarray
    rank_probability: np.ndarray
    n_resamples: int
    n_clusters: int
    confidence_level: float


def _cluster_sums(scores: np.ndarray, codes: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(codes, minlength=g).astype(np.float64)
    sums = np.empty((g, scores.shape[0]))
    for m, row in enumerate(scores):  # M bincounts (models, not resamples)
        sums[:, m] = np.bincount(codes, weights=row, minlength=g)
    return sums, sizes


def resampled_means(
    scores: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(B, M) model means over ``n_resamples`` cluster-bootstrap resamples.

    Clusters with identical sums and sizes are interchangeable (0/1 items of a few models
    repeat the same score pattern many times): each draw is mapped to its distinct unit and
    counted over the units only, which keeps the count matrix small. The draws themselves are
    the same, so the resamples do not depend on this shortcut.
    """
    sums, sizes = _cluster_sums(scores, codes, n_clusters)
    g = n_clusters
    units, unit_of = np.unique(np.column_stack([sums, sizes]), axis=0, return_inverse=True)
    unit_of = unit_of.reshape(-1)
    compress = len(units) <= g // 2
    if compress:
        sums, sizes, width = units[:, :-1], units[:, -1], len(units)
    else:
        width = g
    out = np.empty((n_resamples, scores.shape[0]))
    chunk = max(1, min(n_resamples, _CHUNK_CELLS // g))
    for start in range(0, n_resamples, chunk):
        rows = min(chunk, n_resamples - start)
        draws = rng.integers(0, g, size=(rows, g))
        if compress:
            draws = unit_of[draws]
        draws += (np.arange(rows) * width)[:, None]
        counts = np.bincount(draws.ravel(), minlength=rows * width).reshape(rows, width)
        weights = counts.astype(np.float64)
        out[start : start + rows] = (weights @ sums) / (weights @ sizes)[:, None]
    return out


def romano_wolf(observed: np.ndarray, replicates: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Step-down max-T family-wise p-values (see the module doc).

    ``observed`` (P,), ``replicates`` (B, P), ``se`` (P,) the standard error that studentizes
    each statistic; a statistic with ``se == 0`` gets p = 1 when it is 0.
    """
    observed = np.asarray(observed, dtype=np.float64)
    b = replicates.shape[0]
    safe = np.where(se > 0, se, 1.0)
    t_obs = np.where(se > 0, np.abs(observed) / safe, np.where(observed == 0, 0.0, np.inf))
    t_star = np.where(se > 0, np.abs(replicates - observed) / safe, 0.0)
    order = np.argsort(-t_obs, kind="stable")
    # max over the hypotheses still in the family at each step: reverse cumulative max.
    tail_max = np.maximum.accumulate(t_star[:, order][:, ::-1], axis=1)[:, ::-1]
    exceed = (tail_max >= t_obs[order]).sum(axis=0)
    p_sorted = np.maximum.accumulate((1.0 + exceed) / (1.0 + b))
    p = np.empty_like(p_sorted)
    p[order] = np.minimum(p_sorted, 1.0)
    return p


def _ranks(means: np.ndarray) -> np.ndarray:
    """Competition ranks (1 = highest mean; ties share the lowest rank), row by row."""
    return stats.rankdata(-means, method="min", axis=-1).astype(np.int64)


def item_bootstrap(
    scores: object,
    clusters: object | None = None,
    *,
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    seed: SeedLike = None,
    pairs: Sequence[tuple[int, int]] | None = None,
) -> ItemBootstrapResult:
    """Paired bootstrap over items of M models' mean scores (see the module doc).

    Parameters
    ----------
    scores : (M, n) array
        Per-item scores (runs already averaged), models in rows, the same items in columns.
    clusters : (n,) labels or None
        Cluster of each item; clusters are resampled whole.
    pairs : list of (i, j) or None
        Pairs to compare (default: every i < j).
    """
    level = _validate.confidence_level(confidence_level)
    b = _validate.positive_int(n_resamples, "n_resamples")
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise InputError(f"scores must be a (models, items) matrix, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise InputError("scores hold NaN or infinite values", source="scores")
    m, n = matrix.shape
    codes, g = cluster_codes(clusters, n)
    if g < 2:
        raise InputError("the bootstrap needs at least 2 clusters", source="clusters")
    rng = as_generator(seed)
    reps = resampled_means(matrix, codes, g, b, rng)
    alpha = 1 - level
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    means = matrix.mean(axis=1)
    mean_ci = np.quantile(reps, [lo_q, hi_q], axis=0).T
    pair_index = np.array(
        pairs if pairs is not None else [(i, j) for i in range(m) for j in range(i + 1, m)],
        dtype=np.int64,
    ).reshape(-1, 2)
    diff_obs = means[pair_index[:, 0]] - means[pair_index[:, 1]]
    diff_reps = reps[:, pair_index[:, 0]] - reps[:, pair_index[:, 1]]
    diff_ci = (
        np.quantile(diff_reps, [lo_q, hi_q], axis=0).T if len(pair_index) else np.empty((0, 2))
    )
    diff_se = diff_reps.std(axis=0, ddof=1)
    prob_positive = (diff_reps > 0).mean(axis=0)
    p_fwer = romano_wolf(diff_obs, diff_reps, diff_se) if len(pair_index) else np.empty(0)
    rank_reps = _ranks(reps)
    rank_ci = np.stack(
        [
            np.quantile(rank_reps, lo_q, axis=0, method="lower"),
            np.quantile(rank_reps, hi_q, axis=0, method="higher"),
        ],
        axis=1,
    )
    rank_prob = np.stack([(rank_reps == r).mean(axis=0) for r in range(1, m + 1)], axis=1)
    return ItemBootstrapResult(
        means=means,
        mean_ci=mean_ci,
        pairs=pair_index,
        difference=diff_obs,
        difference_ci=diff_ci,
        difference_se=diff_se,
        prob_positive=prob_positive,
        pvalue_fwer=p_fwer,
        rank=_ranks(means),
        rank_ci=rank_ci,
        rank_probability=rank_prob,
        n_resamples=b,
        n_clusters=g,
        confidence_level=level,
    )


def disagreement(scores: object, top: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Items ordered by how much the models disagree: ``(order, spread)``.

    ``spread`` is the population standard deviation of the M models' scores on each item (for
    binary scores ``sqrt(k (M − k)) / M`` with k models right: largest for an even split); the
    order puts the largest spread first (ties: item order).
    """
    matrix = np.asarray(scores, dtype=np.float64)
    spread = matrix.std(axis=0)
    order = np.argsort(-spread, kind="stable")
    if top is not None:
        order = order[:top]
    return order, spread
