"""Several models over several tasks: Friedman's test, Nemenyi's critical difference, Wilcoxon–Holm.

Demšar (2006), "Statistical comparisons of classifiers over multiple data sets", JMLR 7:1–30.
With N tasks (rows) and k models (columns), rank the models within each task (1 = best, ties
averaged) and let ``R_j`` be model j's average rank:

- Friedman: ``χ²_F = 12N / (k(k+1)) · (Σ_j R_j² − k(k+1)²/4)`` on k − 1 degrees of freedom
  (with the tie correction, as ``scipy.stats.friedmanchisquare``);
- Nemenyi: two models differ when ``|R_i − R_j| ≥ CD = q_α · sqrt(k(k+1)/(6N))`` with
  ``q_α = q_{1−α}(k, ∞) / √2`` the studentized range quantile (``scipy.stats.studentized_range``;
  Demšar's Table 5a: 1.960, 2.343, 2.569 … for k = 2, 3, 4 …); the pairwise p-value is
  ``P(Q_{k,∞} ≥ √2 · |R_i − R_j| / sqrt(k(k+1)/(6N)))``;
- Wilcoxon–Holm (Benavoli et al. 2016): the signed-rank test of each pair over tasks, Holm-adjusted.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

from measurand._result import Result
from measurand.errors import InputError
from measurand.stats import _validate
from measurand.stats._multitest import adjust_pvalues

__all__ = ["FriedmanResult", "friedman_nemenyi", "nemenyi_critical_difference"]


@dataclasses.dataclass(frozen=True)
class FriedmanResult(Result):
    """Friedman test over tasks with both post-hoc analyses.

    ``average_rank`` per model (1 = best); ``pairs`` (P×2, i < j); ``nemenyi_pvalue`` and
    ``wilcoxon_pvalue`` (raw) / ``wilcoxon_holm`` per pair; ``critical_difference`` at
    ``confidence_level``; ``cliques``: maximal groups of models (indices, by average rank) whose
    ranks lie within one CD of each other (the bars of a CD diagram).
    """

    statistic: float
    pvalue: float
    df: int
    n_tasks: int
    n_models: int
    average_rank: np.ndarray
    critical_difference: float
    pairs: np.ndarray
    nemenyi_pvalue: np.ndarray
    wilcoxon_pvalue: np.ndarray
    wilcoxon_holm: np.ndarray
    cliques: list[list[int]]
    confidence_level: float


def nemenyi_critical_difference(k: int, n: int, *, confidence_level: float = 0.95) -> float:
    """Nemenyi's critical difference of average ranks for k models over n tasks."""
    level = _validate.confidence_level(confidence_level)
    if k < 2 or n < 1:
        raise InputError(f"need k >= 2 models and n >= 1 tasks, got k={k}, n={n}")
    q = float(stats.studentized_range.ppf(level, k, np.inf)) / math.sqrt(2)
    return q * math.sqrt(k * (k + 1) / (6 * n))


def _cliques(ranks: np.ndarray, cd: float) -> list[list[int]]:
    order = np.argsort(ranks, kind="stable")
    sorted_ranks = ranks[order]
    groups: list[list[int]] = []
    last_end = -1
    for start in range(len(order)):
        end = start
        while end + 1 < len(order) and sorted_ranks[end + 1] - sorted_ranks[start] < cd:
            end += 1
        if end > start and end > last_end:
            groups.append([int(i) for i in order[start : end + 1]])
            last_end = end
    return groups


def friedman_nemenyi(scores: object, *, confidence_level: float = 0.95) -> FriedmanResult:
    """Friedman's test with Nemenyi and Wilcoxon–Holm post-hoc on a (tasks × models) matrix of
    scores (higher is better). Needs at least 2 tasks and 3 models (Friedman's test is undefined
    for 2 models; compare them pairwise)."""
    level = _validate.confidence_level(confidence_level)
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.ndim != 2:
        raise InputError(f"scores must be (tasks, models), got shape {matrix.shape}")
    n, k = matrix.shape
    if n < 2 or k < 3:
        raise InputError(f"Friedman's test needs >= 2 tasks and >= 3 models, got {n} and {k}")
    if not np.isfinite(matrix).all():
        raise InputError("scores hold NaN or infinite values (a model misses a task?)")
    ranks = stats.rankdata(-matrix, axis=1)
    average = ranks.mean(axis=0)
    if np.all(np.ptp(matrix, axis=1) == 0):
        statistic, pvalue = 0.0, 1.0
    else:
        res = stats.friedmanchisquare(*matrix.T)
        statistic, pvalue = float(res.statistic), float(res.pvalue)
    cd = nemenyi_critical_difference(k, n, confidence_level=level)
    pairs = np.array([(i, j) for i in range(k) for j in range(i + 1, k)], dtype=np.int64)
    scale = math.sqrt(k * (k + 1) / (6 * n))
    gaps = np.abs(average[pairs[:, 0]] - average[pairs[:, 1]])
    nemenyi = stats.studentized_range.sf(gaps / scale * math.sqrt(2), k, np.inf)
    wilcoxon = np.empty(len(pairs))
    for p, (i, j) in enumerate(pairs):  # k(k-1)/2 tests, not resamples
        diff = matrix[:, i] - matrix[:, j]
        wilcoxon[p] = 1.0 if np.all(diff == 0) else float(stats.wilcoxon(diff).pvalue)
    return FriedmanResult(
        statistic=statistic,
        pvalue=pvalue,
        df=k - 1,
        n_tasks=n,
        n_models=k,
        average_rank=average,
        critical_difference=cd,
        pairs=pairs,
        nemenyi_pvalue=np.minimum(nemenyi, 1.0),
        wilcoxon_pvalue=wilcoxon,
        wilcoxon_holm=adjust_pvalues(wilcoxon, "holm"),
        cliques=_cliques(average, cd),
        confidence_level=level,
    )
