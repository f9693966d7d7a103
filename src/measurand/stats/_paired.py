"""Means over test items and paired differences, with clustered items.

Items are the unit: a model's score is the mean of its per-item scores (runs averaged within an
item first), and two models answering the same items are compared item by item. Items that share
a passage or subject (a *cluster*) are not independent; the cluster-robust standard error (CR1,
Liang & Zeger 1986 with the small-sample factor of Stata and statsmodels) widens the interval by
the design effect.

For ``y_1..y_n`` (per-item scores or paired differences) with mean ``ȳ`` and residuals
``e_i = y_i − ȳ``:

- independent items: ``se² = Σ e_i² / ((n − 1) n)``, interval ``ȳ ± t_{n−1} se``;
- clusters ``g = 1..G``: ``se² = G/(G − 1) · Σ_g (Σ_{i∈g} e_i)² / n²``, interval
  ``ȳ ± t_{G−1} se``.

These are the intercept's standard error of ``statsmodels`` ``OLS(y, 1).fit()`` and
``.fit(cov_type="cluster", cov_kwds={"groups": g}, use_t=True)`` (whose factor
``G/(G−1) · (n−1)/(n−k)`` is ``G/(G−1)`` with k = 1, and whose inference uses ``G − 1`` degrees
of freedom). The design effect is the ratio of the two variances.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

from measurand._result import ConfidenceInterval, Result
from measurand.errors import InputError
from measurand.stats import _validate
from measurand.stats._proportions import McNemarResult, mcnemar_exact

__all__ = [
    "ClusteredMeanResult",
    "PairedItemsResult",
    "RunVarianceResult",
    "clustered_mean",
    "paired_items",
    "pooled_run_variance",
    "run_variance",
]


@dataclasses.dataclass(frozen=True)
class ClusteredMeanResult(Result):
    """Mean over items with its interval; ``method`` says which standard error was used.

    ``standard_error_iid`` treats items as independent; ``design_effect`` is
    ``(standard_error / standard_error_iid)²`` (1 without clusters).
    """

    statistic: float
    standard_error: float
    confidence_interval: ConfidenceInterval
    pvalue: float
    df: float
    n: int
    n_clusters: int
    method: str
    standard_error_iid: float
    design_effect: float
    confidence_level: float


@dataclasses.dataclass(frozen=True)
class PairedItemsResult(Result):
    """Paired difference ``a − b`` over the same items.

    ``correlation`` is Pearson's r between the two models' item scores; ``standard_error_unpaired``
    is the standard error the difference would have if the two means were independent (each
    mean's own, cluster-robust when clusters are given), and ``pairing_ratio`` =
    ``standard_error / standard_error_unpaired``: how much pairing shrank the interval (< 1).
    ``mcnemar`` is the exact test on binary items (None otherwise).
    """

    statistic: float
    standard_error: float
    confidence_interval: ConfidenceInterval
    pvalue: float
    df: float
    n: int
    n_clusters: int
    method: str
    design_effect: float
    sd_difference: float
    correlation: float
    standard_error_unpaired: float
    pairing_ratio: float
    mcnemar: McNemarResult | None
    confidence_level: float


@dataclasses.dataclass(frozen=True)
class RunVarianceResult(Result):
    """Variance between runs of the same item (pooled within-item variance, ddof 1).

    ``within`` is the pooled run variance, ``between`` the variance of the item means minus the
    run share ``within / runs`` (clipped at 0), ``share_of_mean_variance`` the part of the
    variance of the item means that comes from runs. ``runs`` is the harmonic mean of runs per
    item; ``n_items`` counts items with at least two runs.
    """

    within: float
    between: float
    runs: float
    n_items: int
    share_of_mean_variance: float


def _values(values: object, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {array.shape}", source=name)
    if array.size < 2:
        raise InputError(f"{name} needs at least 2 items, got {array.size}", source=name)
    if not np.isfinite(array).all():
        raise InputError(f"{name} holds NaN or infinite values", source=name)
    return array


def cluster_codes(clusters: object | None, n: int) -> tuple[np.ndarray, int]:
    """Integer codes 0..G−1 of ``clusters`` (each item its own cluster when None)."""
    if clusters is None:
        return np.arange(n), n
    labels = np.asarray(clusters)
    if labels.shape != (n,):
        raise InputError(
            f"clusters must have one label per item ({n}), got shape {labels.shape}",
            source="clusters",
        )
    _, codes = np.unique(labels, return_inverse=True)
    return codes.astype(np.intp), int(codes.max()) + 1


def _standard_errors(
    y: np.ndarray, codes: np.ndarray, n_clusters: int, clustered: bool
) -> tuple[float, float, float]:
    """``(se, se_iid, df)`` of the mean of ``y``."""
    n = y.size
    resid = y - y.mean()
    # Plain sums, not BLAS dot products: BLAS threads cost more than they save at this size.
    var_iid = float(np.square(resid).sum()) / ((n - 1) * n)
    if not clustered:
        return math.sqrt(var_iid), math.sqrt(var_iid), float(n - 1)
    if n_clusters < 2:
        return math.nan, math.sqrt(var_iid), math.nan
    sums = np.bincount(codes, weights=resid, minlength=n_clusters)
    var = n_clusters / (n_clusters - 1) * float(np.square(sums).sum()) / n**2
    return math.sqrt(var), math.sqrt(var_iid), float(n_clusters - 1)


def _t_inference(
    estimate: float, se: float, df: float, level: float
) -> tuple[ConfidenceInterval, float]:
    if not (se > 0 and math.isfinite(se) and df > 0):
        if se == 0:
            p = 1.0 if estimate == 0 else 0.0
            return ConfidenceInterval(estimate, estimate), p
        return ConfidenceInterval(math.nan, math.nan), math.nan
    q = float(stats.t.ppf(0.5 + level / 2, df))
    p = float(2 * stats.t.sf(abs(estimate) / se, df))
    return ConfidenceInterval(estimate - q * se, estimate + q * se), p


def clustered_mean(
    values: object, clusters: object | None = None, *, confidence_level: float = 0.95
) -> ClusteredMeanResult:
    """Mean of per-item scores with the t interval (independent items) or the cluster-robust
    CR1 interval with ``G − 1`` degrees of freedom (see the module doc). ``pvalue`` tests
    mean = 0."""
    level = _validate.confidence_level(confidence_level)
    y = _values(values, "values")
    codes, g = cluster_codes(clusters, y.size)
    clustered = clusters is not None
    se, se_iid, df = _standard_errors(y, codes, g, clustered)
    estimate = float(y.mean())
    ci, p = _t_inference(estimate, se, df, level)
    return ClusteredMeanResult(
        statistic=estimate,
        standard_error=se,
        confidence_interval=ci,
        pvalue=p,
        df=df,
        n=int(y.size),
        n_clusters=g,
        method="cluster-robust (CR1), t(G-1)" if clustered else "t(n-1)",
        standard_error_iid=se_iid,
        design_effect=(se / se_iid) ** 2 if se_iid > 0 else math.nan,
        confidence_level=level,
    )


def paired_items(
    a: object,
    b: object,
    clusters: object | None = None,
    *,
    confidence_level: float = 0.95,
    binary: bool | None = None,
) -> PairedItemsResult:
    """Paired difference of two models' per-item scores (``a − b``) over the same items.

    The interval is the paired t interval on the item differences (cluster-robust with
    ``clusters``); ``binary`` (default: detected, every score 0 or 1) adds McNemar's exact test
    on the discordant items (``b`` = items only ``a`` got right).
    """
    level = _validate.confidence_level(confidence_level)
    x = _values(a, "a")
    y = _values(b, "b")
    if x.shape != y.shape:
        raise InputError(f"a and b must cover the same items; got {x.size} and {y.size}")
    codes, g = cluster_codes(clusters, x.size)
    clustered = clusters is not None
    d = x - y
    se, se_iid, df = _standard_errors(d, codes, g, clustered)
    se_a = _standard_errors(x, codes, g, clustered)[0]
    se_b = _standard_errors(y, codes, g, clustered)[0]
    unpaired = math.sqrt(se_a**2 + se_b**2)
    estimate = float(d.mean())
    ci, p = _t_inference(estimate, se, df, level)
    sx, sy = x.std(), y.std()
    r = float(np.corrcoef(x, y)[0, 1]) if sx > 0 and sy > 0 else math.nan
    if binary is None:
        binary = bool(np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all())
    mcnemar = None
    if binary:
        only_a = int(np.count_nonzero((x == 1) & (y == 0)))
        only_b = int(np.count_nonzero((x == 0) & (y == 1)))
        mcnemar = mcnemar_exact(only_a, only_b)
    return PairedItemsResult(
        statistic=estimate,
        standard_error=se,
        confidence_interval=ci,
        pvalue=p,
        df=df,
        n=int(d.size),
        n_clusters=g,
        method="paired, cluster-robust (CR1), t(G-1)" if clustered else "paired t(n-1)",
        design_effect=(se / se_iid) ** 2 if se_iid > 0 else math.nan,
        sd_difference=float(d.std(ddof=1)),
        correlation=r,
        standard_error_unpaired=unpaired,
        pairing_ratio=se / unpaired if unpaired > 0 else math.nan,
        mcnemar=mcnemar,
        confidence_level=level,
    )


def run_variance(scores: object, item_codes: object) -> RunVarianceResult:
    """Within-item (run-to-run) variance of one model's scores, pooled over items.

    ``scores`` holds one value per run, ``item_codes`` the item of each (integers or labels).
    ``within = Σ_i Σ_r (y_ir − ȳ_i)² / Σ_i (R_i − 1)`` over items with ``R_i ≥ 2`` runs.
    """
    y = np.asarray(scores, dtype=np.float64)
    _, codes = np.unique(np.asarray(item_codes), return_inverse=True)
    n_items = int(codes.max()) + 1 if codes.size else 0
    counts = np.bincount(codes, minlength=n_items).astype(np.float64)
    means = np.bincount(codes, weights=y, minlength=n_items) / counts
    squares = np.bincount(codes, weights=np.square(y - means[codes]), minlength=n_items)
    return pooled_run_variance(means, counts, squares)


def pooled_run_variance(
    item_means: np.ndarray, run_counts: np.ndarray, item_squares: np.ndarray
) -> RunVarianceResult:
    """:func:`run_variance` from per-item summaries: the items' mean scores, their run counts
    and their sums of squared deviations from the item mean."""
    means = np.asarray(item_means, dtype=np.float64)
    counts = np.asarray(run_counts, dtype=np.float64)
    n_items = means.size
    repeated = counts >= 2
    dof = float((counts[repeated] - 1).sum())
    within = float(np.sum(item_squares)) / dof if dof > 0 else math.nan
    runs = float(n_items / np.sum(1.0 / counts)) if n_items else math.nan
    var_means = float(means.var(ddof=1)) if n_items > 1 else math.nan
    between = max(var_means - within / runs, 0.0) if dof > 0 else math.nan
    share = (within / runs) / var_means if dof > 0 and var_means > 0 else math.nan
    return RunVarianceResult(
        within=within,
        between=between,
        runs=runs,
        n_items=int(repeated.sum()),
        share_of_mean_variance=min(share, 1.0) if share == share else math.nan,
    )
