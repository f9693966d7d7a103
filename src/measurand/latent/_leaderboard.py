"""An honest leaderboard from a factor model, and held-out validation of its scores.

``leaderboard``: fit a k-factor model to the (n rows x p tasks) matrix, score every row by the
posterior mean of its factors, aggregate the factors (their mean, or a weighted mean), sort, and
attach bootstrap intervals for the aggregate and for the *rank* of every row.

The bootstrap resamples **tasks** (columns), because the question a leaderboard answers is "would
the order hold on another draw of benchmarks like these?". Each resample draws p tasks with
replacement. A duplicated column cannot enter a factor-model fit (two identical columns make the
correlation matrix singular and drive their uniqueness to zero), so the model is **refitted on the
distinct tasks drawn**, and a task drawn m times then counts m times in the scores: with
multiplicities D = diag(m), loadings Λ, uniquenesses Ψ and factor correlation Φ,

    θ̂ = (Φ⁻¹ + ΛᵀDΨ⁻¹Λ)⁻¹ ΛᵀDΨ⁻¹ z,

the posterior mean of θ when each copy of a task is an independent measurement (D = I gives the
usual regression / posterior-mean scores). Each refit's factors are matched to the full-data
factors (Tucker congruence over the tasks in common, then an optimal assignment) and their signs
aligned, so that a weighted aggregate keeps its meaning. Ranks are computed for all resamples at
once (rank 1 = highest aggregate); a row's rank interval is the (α/2, 1 − α/2) percentile
interval of its bootstrap ranks, taking the lower and the higher order statistic so that the ends
are whole ranks. ``p_above_next`` is the share of resamples in which a row's aggregate beats the
next row's: adjacent rows with a share far from 1 cannot be told apart.

Refits of the non-negative model run as one vectorized EM over all resamples (see
:mod:`measurand.latent._nonneg_em`); the ML/minres refits loop over resamples (they are model fits,
not resample statistics).

``heldout_validation``: Pearson correlation of each factor score and of the aggregate with each
held-out metric, with Fisher-z intervals tanh(atanh(r) ± z_{1−α/2}/√(n − 3)) and the two-sided
t-test p-value (as ``scipy.stats.pearsonr``); rows with a missing held-out value are left out of
that metric's correlations.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import optimize, special
from scipy import stats as sps

from measurand._result import ConfidenceInterval, Result
from measurand.errors import InputError
from measurand.stats._rng import SeedLike, as_generator
from measurand.stats._validate import confidence_level as check_confidence_level

__all__ = [
    "HeldoutCorrelation",
    "HeldoutValidationResult",
    "LeaderboardResult",
    "LeaderboardRow",
    "canonical_row_order",
    "heldout_validation",
    "leaderboard",
    "posterior_scores",
]

METHODS = ("nonneg_em", "ml", "minres")
_REFIT_TOL = 1e-6
_CHUNK_ELEMENTS = 2_000_000  # float64 elements per chunk of resample scores (~16 MB)
_WIDE_P = 2000  # wider than this (and than the rows): no per-resample refits by default


@dataclasses.dataclass(frozen=True)
class LeaderboardRow(Result):
    """One row of the leaderboard, in sorted order."""

    name: str
    rank: int
    rank_ci: ConfidenceInterval
    aggregate: float
    aggregate_ci: ConfidenceInterval
    p_above_next: float
    p_first: float
    theta: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class LeaderboardResult(Result):
    """The sorted leaderboard with bootstrap rank intervals.

    Attributes
    ----------
    rows:
        One :class:`LeaderboardRow` per input row, best first.
    order:
        Index into the input rows of each leaderboard row.
    weights:
        Weight of each factor in the aggregate (sums to 1).
    method, n_factors, rotation:
        The model refitted in every resample.
    n_resamples, n_valid:
        Resamples drawn, and those whose refit succeeded (the intervals use these).
    confidence_level:
        Level of every interval.
    n_tasks:
        Number of tasks; each resample draws this many with replacement.
    mean_distinct_tasks:
        Average number of distinct tasks per resample (the refits' width).
    refit:
        Whether every resample refitted the model (False: the full-data loadings and
        uniquenesses scored every resample; see :func:`leaderboard`).
    """

    rows: tuple[LeaderboardRow, ...]
    order: np.ndarray
    weights: np.ndarray
    method: str
    n_factors: int
    rotation: str | None
    n_resamples: int
    n_valid: int
    confidence_level: float
    n_tasks: int
    mean_distinct_tasks: float
    refit: bool = True

    @property
    def names(self) -> list[str]:
        return [row.name for row in self.rows]


@dataclasses.dataclass(frozen=True)
class HeldoutCorrelation(Result):
    """Correlation of one score (a factor or the aggregate) with one held-out metric."""

    heldout: str
    score: str
    r: float
    confidence_interval: ConfidenceInterval
    pvalue: float
    n: int


@dataclasses.dataclass(frozen=True)
class HeldoutValidationResult(Result):
    """All correlations, held-out metric by held-out metric, factors first then the aggregate."""

    correlations: tuple[HeldoutCorrelation, ...]
    confidence_level: float

    def get(self, heldout: str, score: str) -> HeldoutCorrelation:
        for entry in self.correlations:
            if entry.heldout == heldout and entry.score == score:
                return entry
        raise KeyError((heldout, score))


# ----------------------------------------------------------------------------------------------
# Scores
# ----------------------------------------------------------------------------------------------
def posterior_scores(
    Z: np.ndarray,
    loadings: np.ndarray,
    uniquenesses: np.ndarray,
    phi: np.ndarray | None = None,
    multiplicity: np.ndarray | None = None,
) -> np.ndarray:
    """Posterior means (Φ⁻¹ + ΛᵀDΨ⁻¹Λ)⁻¹ΛᵀDΨ⁻¹z for every row of Z, batched over fits.

    ``loadings`` (..., p, k), ``uniquenesses`` (..., p), ``phi`` (..., k, k) or None (identity),
    ``multiplicity`` (..., p) or None (ones). Returns (..., n, k).
    """
    lam = np.asarray(loadings, dtype=np.float64)
    psi = np.asarray(uniquenesses, dtype=np.float64)
    k = lam.shape[-1]
    weight = 1.0 / psi if multiplicity is None else np.asarray(multiplicity) / psi
    weighted = lam * weight[..., None]
    info = np.swapaxes(lam, -1, -2) @ weighted
    prior = np.eye(k) if phi is None else np.linalg.inv(phi)
    gain = weighted @ np.linalg.inv(prior + info)  # (..., p, k)
    return np.matmul(np.asarray(Z, dtype=np.float64), gain)  # BLAS per fit, (..., n, k)


def canonical_row_order(Z: np.ndarray) -> np.ndarray:
    """The (lexicographic) row order every leaderboard fit uses, see :func:`leaderboard`."""
    return np.lexsort(np.asarray(Z, dtype=np.float64).T[::-1])


def _fit_model(z, k, method, rotation, fixed_psi, seed):
    """Full-data fit: (loadings (p, k), uniquenesses (p,), phi (k, k) or None)."""
    if method == "nonneg_em":
        from measurand.latent._nonneg_em import fit_nonneg_em

        fit = fit_nonneg_em(z, k, fixed_psi=fixed_psi, seed=seed)
        return fit.loadings, fit.uniquenesses, None
    from measurand.latent.efa import FactorAnalysis

    # Heywood cases and slow convergence of refits are expected on small task subsets; the
    # caller reports what the full-data fit warns about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = FactorAnalysis(
            k, method=method, rotation=rotation, fixed_uniquenesses=fixed_psi, seed=seed
        ).fit(z)
    return _model_parts(model, k)


def _model_parts(model: Any, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(loadings, uniquenesses, phi or None) of a fitted FactorAnalysis, higher = better."""
    lam = np.asarray(model.loadings_, dtype=np.float64)
    psi = np.asarray(model.uniquenesses_, dtype=np.float64)
    phi = getattr(model, "phi_", None)
    phi = None if phi is None else np.asarray(phi, dtype=np.float64)
    # Higher = better: each factor points the way most of its loading mass does.
    signs = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    lam = lam * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
        if np.allclose(phi, np.eye(k)):
            phi = None
    return lam, psi, phi


def _align(reference: np.ndarray, lam: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Permutation and signs matching each fit's factors to the reference (Tucker congruence).

    ``reference`` (p, k), ``lam`` (B, p, k), ``mask`` (B, p): the tasks each fit used. Returns
    (perm (B, k), signs (B, k)) such that ``lam[b][:, perm[b]] * signs[b]`` matches reference.
    """
    ref = reference[None] * mask[..., None]
    cross = np.einsum("bpk,bpl->bkl", ref, lam)
    norms = (
        np.sqrt(np.einsum("bpk,bpk->bk", ref, ref))[:, :, None]
        * np.sqrt(np.einsum("bpl,bpl->bl", lam * mask[..., None], lam))[:, None, :]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        congruence = np.where(norms > 0, cross / norms, 0.0)
    n_fits, k = lam.shape[0], lam.shape[-1]
    perm = np.empty((n_fits, k), dtype=np.int64)
    for b in range(n_fits):
        rows, cols = optimize.linear_sum_assignment(-np.abs(congruence[b]))
        perm[b, rows] = cols
    chosen = np.take_along_axis(congruence, perm[:, :, None], axis=2)[:, :, 0]
    signs = np.where(chosen < 0, -1.0, 1.0)
    return perm, signs


def _draw_tasks(rng, n_resamples: int, p: int, min_distinct: int) -> np.ndarray:
    """Multiplicities (B, p) of p tasks drawn with replacement, each with ≥ min_distinct."""
    counts = np.zeros((n_resamples, p), dtype=np.int64)
    todo = np.arange(n_resamples)
    for _ in range(1000):
        draws = rng.integers(0, p, size=(todo.size, p))
        fresh = np.zeros((todo.size, p), dtype=np.int64)
        np.add.at(fresh, (np.repeat(np.arange(todo.size), p), draws.ravel()), 1)
        counts[todo] = fresh
        short = (fresh > 0).sum(axis=1) < min_distinct
        todo = todo[short]
        if not todo.size:
            return counts
    raise InputError(
        f"resampling {p} tasks rarely leaves the {min_distinct} distinct tasks a refit needs; "
        "use fewer factors or more tasks"
    )


def _min_distinct(k: int) -> int:
    """Fewest distinct tasks for an identified k-factor refit: (q − k)² ≥ q + k (df ≥ 0)."""
    q = k + 1
    while (q - k) ** 2 < q + k:
        q += 1
    return q


def leaderboard(
    Z: np.ndarray,
    *,
    names: Sequence[str],
    n_factors: int,
    method: str = "nonneg_em",
    rotation: str | None = None,
    weights: Sequence[float] | None = None,
    fixed_psi: np.ndarray | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: SeedLike = None,
    fit: Any = None,
    refit: bool | None = None,
) -> LeaderboardResult:
    """Aggregate factor scores into a sorted leaderboard with bootstrap rank intervals.

    Parameters
    ----------
    Z:
        (n, p) matrix, columns z-scored (higher = better), no missing cells.
    names:
        One name per row.
    n_factors:
        k, the number of factors of the model.
    method:
        ``"nonneg_em"`` (default), ``"ml"`` or ``"minres"`` (through
        :class:`measurand.latent.FactorAnalysis`, with ``rotation``).
    weights:
        Weight of each factor in the aggregate (non-negative, normalised to sum 1); default equal.
    fixed_psi:
        Noise shares to hold fixed (NaN = free), as in ``fit_nonneg_em``.
    n_resamples:
        Task-bootstrap resamples (0 = no intervals).
    confidence_level:
        Level of the rank and aggregate intervals.
    seed:
        Seed of the resampling.
    fit:
        A :class:`measurand.latent.FactorAnalysis` already fitted to the same model on
        ``Z[canonical_row_order(Z)]`` (the caller's fit, handed on so the model is fitted once);
        None fits it here.
    refit:
        Refit the model in every resample (True), or score every resample with the full-data
        loadings and uniquenesses, the drawn tasks counted by their multiplicities (False: the
        intervals then reflect which tasks were drawn, not the uncertainty of the loadings).
        None (default) refits unless the matrix is wide (more than 2,000 tasks and at least as
        many tasks as rows), where B refits of a p-task model cost B times a full fit.
    """
    z = np.asarray(Z, dtype=np.float64)
    if z.ndim != 2:
        raise InputError(f"Z must be 2-D (rows x tasks), got shape {z.shape}")
    n, p = z.shape
    labels = [str(name) for name in names]
    if len(labels) != n:
        raise InputError(f"names has {len(labels)} entries for {n} rows")
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if isinstance(n_factors, bool) or not isinstance(n_factors, int | np.integer) or n_factors < 1:
        raise InputError(f"n_factors must be a positive integer, got {n_factors!r}")
    k = int(n_factors)
    check_confidence_level(confidence_level)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise InputError(f"n_resamples must be an integer, got {n_resamples!r}")
    if n_resamples < 0:
        raise InputError(f"n_resamples must be ≥ 0, got {n_resamples}")
    if weights is None:
        w = np.full(k, 1.0 / k)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (k,) or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InputError(f"weights must be {k} non-negative numbers, not all zero")
        w = w / w.sum()
    rng = as_generator(seed)
    # Fit on the rows in a canonical (lexicographic) order and map the scores back: the fits stop
    # at a tolerance, and floating-point sums in another row order can stop them at another
    # point of a flat likelihood, so without this the board could depend on how rows are listed.
    canonical = canonical_row_order(z)
    z = z[canonical]
    z = z - z.mean(axis=0)

    if fit is None:
        lam, psi, phi = _fit_model(z, k, method, rotation, fixed_psi, seed)
    else:
        if getattr(fit, "n_features_in_", None) != p or fit.loadings_.shape[1] != k:
            raise InputError(f"fit must be a FactorAnalysis fitted with {k} factors on {p} tasks")
        lam, psi, phi = _model_parts(fit, k)
    theta = np.empty((n, k))
    theta[canonical] = posterior_scores(z, lam, psi, phi)
    aggregate = theta @ w
    order = np.argsort(-aggregate, kind="stable")
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[order] = np.arange(1, n + 1)

    boot = None
    n_valid = 0
    mean_distinct = float("nan")
    if refit is None:
        refit = not (p > _WIDE_P and p >= n)
    if n_resamples > 0 and not refit:
        boot, mean_distinct = _fixed_model_aggregates(z, lam, psi, phi, w, int(n_resamples), rng)
        boot = boot[:, np.argsort(canonical)]
        n_valid = int(n_resamples)
    elif n_resamples > 0:
        counts = _draw_tasks(rng, int(n_resamples), p, _min_distinct(k))
        mean_distinct = float((counts > 0).sum(axis=1).mean())
        boot, valid = _bootstrap_aggregates(
            z, counts, lam, psi, phi, w, method, rotation, fixed_psi, seed
        )
        boot = boot[valid][:, np.argsort(canonical)]  # back to the input's row order
        n_valid = int(valid.sum())

    alpha = 1.0 - confidence_level
    rows = []
    if boot is not None and n_valid > 0:
        ranks = sps.rankdata(-boot, axis=1, method="min")
        rank_low = np.quantile(ranks, alpha / 2, axis=0, method="lower")
        rank_high = np.quantile(ranks, 1 - alpha / 2, axis=0, method="higher")
        agg_low = np.quantile(boot, alpha / 2, axis=0)
        agg_high = np.quantile(boot, 1 - alpha / 2, axis=0)
        above = np.full(n, np.nan)
        above[order[:-1]] = np.mean(boot[:, order[:-1]] > boot[:, order[1:]], axis=0)
        first = np.mean(ranks == 1, axis=0)
    else:
        rank_low = rank_high = agg_low = agg_high = above = first = np.full(n, np.nan)
    for i in order:
        rows.append(
            LeaderboardRow(
                name=labels[i],
                rank=int(rank_of[i]),
                rank_ci=ConfidenceInterval(_int_or_nan(rank_low[i]), _int_or_nan(rank_high[i])),
                aggregate=float(aggregate[i]),
                aggregate_ci=ConfidenceInterval(float(agg_low[i]), float(agg_high[i])),
                p_above_next=float(above[i]),
                p_first=float(first[i]),
                theta=tuple(float(t) for t in theta[i]),
            )
        )
    return LeaderboardResult(
        rows=tuple(rows),
        order=order,
        weights=w,
        method=method,
        n_factors=k,
        rotation=rotation,
        n_resamples=int(n_resamples),
        n_valid=n_valid,
        confidence_level=float(confidence_level),
        n_tasks=p,
        mean_distinct_tasks=mean_distinct,
        refit=bool(refit),
    )


def _int_or_nan(value: float) -> Any:
    return int(value) if np.isfinite(value) else float("nan")


def _fixed_model_aggregates(z, lam, psi, phi, w, n_resamples: int, rng) -> tuple[np.ndarray, float]:
    """Aggregates (B, n) of task resamples scored with the full-data model, and the mean number
    of distinct tasks.

    With multiplicities ``c_b`` and ``A = Psi^-1 Lambda``, resample b's scores are
    ``Z diag(c_b) A (Phi^-1 + Lambda' diag(c_b) A)^-1``; both products are single BLAS calls
    for a chunk of resamples side by side (``Z (c_b * A)`` as one (n, p) x (p, b k) product,
    the information matrices as ``counts @ (lambda_j lambda_j' / psi_j)``), so a chunk costs
    ``n p b k`` flops and memory ``O(p b k)``.
    """
    from measurand.latent._corr import blas_threads_for

    n, p = z.shape
    k = lam.shape[1]
    a = lam / psi[:, None]  # (p, k)
    outer = np.einsum("pk,pl->pkl", lam, a).reshape(p, k * k)
    prior = np.eye(k) if phi is None else np.linalg.inv(phi)
    out = np.empty((n_resamples, n))
    distinct = 0.0
    step = max(1, _CHUNK_ELEMENTS // max(1, p * (k + 2)))
    with blas_threads_for(0):
        for start in range(0, n_resamples, step):
            stop = min(start + step, n_resamples)
            b = stop - start
            draws = rng.integers(0, p, size=(b, p))
            flat = (np.arange(b)[:, None] * p + draws).ravel()
            counts = np.bincount(flat, minlength=b * p).reshape(b, p).astype(np.float64)
            distinct += float((counts > 0).sum())
            info = prior + (counts @ outer).reshape(b, k, k)
            weighted = (counts.T[:, :, None] * a[:, None, :]).reshape(p, b * k)
            projected = (z @ weighted).reshape(n, b, k).transpose(1, 0, 2)  # (b, n, k)
            theta = np.linalg.solve(info[:, None], projected[..., None])[..., 0]
            out[start:stop] = theta @ w
    return out, distinct / n_resamples


def _bootstrap_aggregates(z, counts, lam_ref, psi_ref, phi_ref, w, method, rotation, fixed, seed):
    """Aggregate of every row under every resample's refit: (B, n) and a validity mask (B,)."""
    n_resamples, p = counts.shape
    k = lam_ref.shape[1]
    masks = (counts > 0).astype(np.float64)
    # Resamples that drew the same set of distinct tasks share one refit.
    subsets, which = np.unique(masks, axis=0, return_inverse=True)
    which = which.reshape(-1)
    n_subsets = subsets.shape[0]
    if method == "nonneg_em":
        from measurand.latent._nonneg_em import fit_nonneg_em_batch

        lam_b, psi_b, _, _ = fit_nonneg_em_batch(
            z, subsets, lam_ref, psi_ref, fixed_psi=fixed, tol=_REFIT_TOL
        )
        phi_b = None
        valid = np.ones(n_subsets, dtype=bool)
    else:
        lam_b = np.zeros((n_subsets, p, k))
        psi_b = np.ones((n_subsets, p))
        phi_b = np.repeat(np.eye(k)[None], n_subsets, axis=0)
        valid = np.ones(n_subsets, dtype=bool)
        for b in range(n_subsets):
            cols = np.nonzero(subsets[b])[0]
            sub_fixed = None if fixed is None else np.asarray(fixed)[cols]
            try:
                lam, psi, phi = _fit_model(z[:, cols], k, method, rotation, sub_fixed, seed)
            except (InputError, np.linalg.LinAlgError, FloatingPointError, ValueError):
                valid[b] = False
                continue
            lam_b[b, cols], psi_b[b, cols] = lam, psi
            if phi is not None:
                phi_b[b] = phi
    perm, signs = _align(lam_ref, lam_b, subsets)
    lam_b = (np.take_along_axis(lam_b, perm[:, None, :], axis=2) * signs[:, None, :])[which]
    psi_b = psi_b[which]
    if phi_b is not None:
        phi_b = np.take_along_axis(phi_b, perm[:, :, None], axis=1)
        phi_b = np.take_along_axis(phi_b, perm[:, None, :], axis=2)
        phi_b = (phi_b * signs[:, :, None] * signs[:, None, :])[which]
    valid = valid[which]
    n = z.shape[0]
    out = np.empty((n_resamples, n))
    step = max(1, _CHUNK_ELEMENTS // max(1, n * k + p * k))
    for start in range(0, n_resamples, step):
        stop = min(start + step, n_resamples)
        theta = posterior_scores(
            z,
            lam_b[start:stop],
            psi_b[start:stop],
            None if phi_b is None else phi_b[start:stop],
            counts[start:stop],
        )
        out[start:stop] = theta @ w
    return out, valid


# ----------------------------------------------------------------------------------------------
# Held-out validation
# ----------------------------------------------------------------------------------------------
def heldout_validation(
    scores: np.ndarray,
    heldout: Mapping[str, np.ndarray],
    *,
    weights: Sequence[float] | None = None,
    score_names: Sequence[str] | None = None,
    confidence_level: float = 0.95,
) -> HeldoutValidationResult:
    """Correlate each factor score and the aggregate with each held-out metric.

    Parameters
    ----------
    scores:
        (n, k) factor scores.
    heldout:
        Held-out metric name -> (n,) values (NaN = missing for that row).
    weights:
        Factor weights of the aggregate (default: the mean of the factors).
    score_names:
        Names of the k factors (default ``factor 1``...); the aggregate is ``aggregate``.
    confidence_level:
        Level of the Fisher-z intervals.
    """
    theta = np.asarray(scores, dtype=np.float64)
    if theta.ndim != 2:
        raise InputError(f"scores must be 2-D (rows x factors), got shape {theta.shape}")
    n, k = theta.shape
    check_confidence_level(confidence_level)
    w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (k,):
        raise InputError(f"weights must have {k} entries, got {w.shape}")
    w = w / w.sum()
    labels = [f"factor {i + 1}" for i in range(k)] if score_names is None else list(score_names)
    if len(labels) != k:
        raise InputError(f"score_names has {len(labels)} entries for {k} factors")
    columns = np.column_stack([theta, theta @ w])  # (n, k + 1)
    labels = [*labels, "aggregate"]
    z_crit = special.ndtri(0.5 + confidence_level / 2)
    out: list[HeldoutCorrelation] = []
    for name, values in heldout.items():
        y = np.asarray(values, dtype=np.float64)
        if y.shape != (n,):
            raise InputError(f"held-out metric {name!r} has shape {y.shape}; expected ({n},)")
        keep = np.isfinite(y)
        m = int(keep.sum())
        r = _pearson_columns(columns[keep], y[keep])
        for label, rho in zip(labels, r, strict=True):
            out.append(
                HeldoutCorrelation(
                    heldout=str(name),
                    score=label,
                    r=float(rho),
                    confidence_interval=_fisher_interval(rho, m, z_crit),
                    pvalue=_pearson_pvalue(rho, m),
                    n=m,
                )
            )
    return HeldoutValidationResult(correlations=tuple(out), confidence_level=confidence_level)


def _pearson_columns(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.shape[0] < 2:
        return np.full(x.shape[1], np.nan)
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    denom = np.sqrt(np.sum(xc**2, axis=0) * np.sum(yc**2))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc.T @ yc) / denom
    return np.clip(r, -1.0, 1.0)


def _fisher_interval(r: float, n: int, z_crit: float) -> ConfidenceInterval:
    if n < 4 or not np.isfinite(r):
        return ConfidenceInterval(float("nan"), float("nan"))
    if abs(r) == 1.0:
        return ConfidenceInterval(float(r), float(r))
    center = math.atanh(r)
    half = z_crit / math.sqrt(n - 3)
    return ConfidenceInterval(math.tanh(center - half), math.tanh(center + half))


def _pearson_pvalue(r: float, n: int) -> float:
    """Two-sided p-value of H0: ρ = 0 (exact under normality): r follows Beta(n/2−1, n/2−1) on
    [−1, 1], as in ``scipy.stats.pearsonr``."""
    if n < 3 or not np.isfinite(r):
        return float("nan")
    ab = n / 2 - 1
    return float(2 * special.betainc(ab, ab, 0.5 * (1 - abs(r))))
