"""Signal-to-noise ratios: of factor scores (projection), of a benchmark, and decision accuracy.

Projection SNR (factor level)
-----------------------------
A fitted factor model z = Λθ + ε (ε ~ N(0, Ψ)) scores a row z by its posterior mean
θ̂ = zᵀW with the posterior map

    W = Ψ⁻¹Λ (I + ΛᵀΨ⁻¹Λ)⁻¹                         (p x k).

The sweep rows (z-scored) and the noise rows (z-scored with the *sweep's* mean and sd) are both
projected through W; for each factor f, and for the mean-θ aggregate (weights W·1/k),

    noise share = Var_noise(θ̂_f) / Var_sweep(θ̂_f),     SNR = (Var_sweep − Var_noise) / Var_noise,

variances of ddof 1. Given W these are ratios of variances of two independent normal samples,
so the share has the exact F(m − 1, n − 1) interval of :func:`~measurand.noise.floors.
f_ratio_interval` and the SNR = 1/share − 1 the mapped interval. (W is estimated from the same
sweep; with hundreds of runs and a few factors the effect on coverage is small, which the
test-suite checks by simulation.)

Benchmark SNR (Heineman et al. 2025)
------------------------------------
"Signal and Noise: A Framework for Reducing Uncertainty in Language Model Evaluation"
(arXiv:2508.13144) scores a benchmark by

    signal = relative dispersion = max_{j,k} |m_j − m_k| / m̄     (over models; or sd / m̄),
    noise  = relative sd         = sd(scores over seeds or final checkpoints) / m̄_noise,
    SNR    = signal / noise,

with ``np.std`` (ddof 0) as in the authors' ``snr/metrics.py``. We divide by |m̄| so that a
metric negated for its direction (higher = better) keeps a positive SNR.

Decision accuracy
-----------------
The share of model pairs that a small-scale run orders as the target scale does:

    accuracy = #{i < j : sign(s_i − s_j) = sign(t_i − t_j)} / #{i < j},

the authors' ``decision_acc_fast`` for untied scores, where it equals (1 + Kendall's τ)/2. A
pair tied on both scales agrees; a pair tied on one scale only does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from measurand._compat import renamed_kwargs
from measurand._result import Result
from measurand.errors import InputError
from measurand.noise.floors import (
    _as_matrix,
    _check_alpha,
    _task_names,
    accepts_alpha,
    confidence_to_alpha,
    f_ratio_interval,
    snr_from_share,
)
from measurand.stats._rng import SeedLike, as_generator

_WIDE_P = 2000  # more tasks than this: the SNR bootstrap draws in float32

__all__ = [
    "BenchmarkSNR",
    "DecisionAccuracy",
    "ProjectionSNR",
    "benchmark_snr",
    "decision_accuracy",
    "posterior_map",
    "projection_snr",
]

# Pairwise comparisons are evaluated in chunks of tasks holding at most this many pair cells.
_PAIR_CHUNK_CELLS = 4_000_000


def posterior_map(loadings: np.ndarray, uniquenesses: np.ndarray) -> np.ndarray:
    """W = Ψ⁻¹Λ (I + ΛᵀΨ⁻¹Λ)⁻¹, shape (p, k): z-scored rows ``Z @ W`` are the posterior means.

    Raises :class:`InputError` for mismatched shapes or a uniqueness that is not positive.
    """
    lam = np.asarray(loadings, dtype=np.float64)
    psi = np.asarray(uniquenesses, dtype=np.float64)
    if lam.ndim == 1:
        lam = lam[:, None]
    if lam.ndim != 2 or psi.shape != (lam.shape[0],):
        raise InputError(
            f"loadings must be (p, k) and uniquenesses (p,); got {lam.shape} and {psi.shape}"
        )
    if not np.all(np.isfinite(lam)) or not np.all(np.isfinite(psi)) or np.any(psi <= 0):
        raise InputError("loadings must be finite and uniquenesses finite and positive")
    weighted = lam / psi[:, None]
    inner = np.eye(lam.shape[1]) + lam.T @ weighted
    # W = weighted @ inner⁻¹, solved rather than inverted (inner is symmetric positive definite).
    return np.linalg.solve(inner, weighted.T).T


@dataclasses.dataclass(frozen=True)
class ProjectionSNR(Result):
    """SNR of the factor scores and of their mean (the aggregate), with intervals.

    Arrays have one entry per label: ``factor 1`` ... ``factor k``, then ``mean θ``.

    Attributes
    ----------
    var_sweep:
        Variance (ddof 1) of the sweep rows' scores.
    var_noise:
        Noise variance of the scores: cross-fitted when ``method`` is ``"cross-fitted"`` (each
        rerun projected through the posterior map re-anchored without it), else in-sample.
    var_noise_in_sample:
        Variance (ddof 1) of the noise rows projected through the full posterior map; biased
        low when ψ was anchored to these same reruns (kept for reference).
    noise_share, snr:
        var_noise / var_sweep and (var_sweep − var_noise) / var_noise, with ``*_low``/``*_high``
        interval ends.
    snr_in_sample:
        The SNR from ``var_noise_in_sample``.
    method:
        ``"cross-fitted"`` (interval from a parametric bootstrap of the pivot) or ``"fixed map"``
        (exact F interval).
    """

    labels: tuple[str, ...]
    var_sweep: np.ndarray
    var_noise: np.ndarray
    var_noise_in_sample: np.ndarray
    noise_share: np.ndarray
    noise_share_low: np.ndarray
    noise_share_high: np.ndarray
    snr: np.ndarray
    snr_low: np.ndarray
    snr_high: np.ndarray
    snr_in_sample: np.ndarray
    n_sweep: int
    n_noise: int
    weights: np.ndarray
    method: str
    n_draws: int
    alpha: float

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": label,
                "var_sweep": float(self.var_sweep[i]),
                "var_noise": float(self.var_noise[i]),
                "noise_share": float(self.noise_share[i]),
                "noise_share_ci": [float(self.noise_share_low[i]), float(self.noise_share_high[i])],
                "snr": float(self.snr[i]),
                "snr_ci": [float(self.snr_low[i]), float(self.snr_high[i])],
                "snr_in_sample": float(self.snr_in_sample[i]),
            }
            for i, label in enumerate(self.labels)
        ]


def _inverse_information(loadings: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """(I + ΛᵀΨ⁻¹Λ)⁻¹ for a batch of uniqueness vectors: psi (..., p) -> (..., k, k).

    ΛᵀΨ⁻¹Λ = Σ_j λ_jλ_jᵀ/ψ_j is one BLAS product of 1/ψ with the (p, k²) outer products, so a
    batch never holds a (..., p, k) array.
    """
    p, k = loadings.shape
    outer = (loadings[:, :, None] * loadings[:, None, :]).reshape(p, k * k)
    information = ((1.0 / psi) @ outer).reshape((*psi.shape[:-1], k, k))
    return np.linalg.inv(np.eye(k) + information)


def _aggregate_columns(k: int) -> np.ndarray:
    """C (k, k + 1) = [I | 1/k]: the factors and their mean (the mean-θ aggregate)."""
    return np.concatenate([np.eye(k), np.full((k, 1), 1.0 / k)], axis=1)


class _Anchor:
    """ψ_j = clip(s²_noise,j / s²_sweep,j, bounds) · Var₀(z_j) on anchored tasks, fitted ψ elsewhere
    (the rule :func:`~measurand.latent._nonneg_em.fit_nonneg_em` applies to ``fixed_psi``)."""

    def __init__(self, sweep: np.ndarray, uniquenesses, anchored, bounds) -> None:
        self.var1 = np.var(sweep, axis=0, ddof=1)
        self.var0 = np.var(sweep, axis=0, ddof=0)
        self.psi = uniquenesses
        self.anchored = anchored
        self.bounds = bounds

    def astype(self, dtype: type) -> _Anchor:
        """A copy with its arrays in ``dtype`` (the wide-matrix bootstrap runs in float32)."""
        copy = _Anchor.__new__(_Anchor)
        copy.var1, copy.var0 = self.var1.astype(dtype), self.var0.astype(dtype)
        copy.psi = np.asarray(self.psi).astype(dtype)
        copy.anchored, copy.bounds = self.anchored, self.bounds
        return copy

    def psi_from_noise_var(self, noise_var: np.ndarray) -> np.ndarray:
        share = np.clip(noise_var / self.var1, *self.bounds)
        return np.where(self.anchored, share * self.var0, self.psi)


def _cross_fitted_noise_var(noise: np.ndarray, loadings: np.ndarray, anchor: _Anchor) -> np.ndarray:
    """Leave-one-rerun-out noise variance of the scores, for a batch of noise sets.

    ``noise`` (..., m, p). Rerun r is projected through the map re-anchored on the other m − 1
    reruns, as a deviation from their mean: d_r = (x_r − x̄₋ᵣ) W₋ᵣ. With one fixed map W this
    gives exactly the sample variance, (m − 1)/m · mean_r d_r² = Var(x W); with anchored maps
    it is free of the selection bias of projecting the reruns that set W. Returns (..., k + 1).
    """
    m = noise.shape[-2]
    k = loadings.shape[1]
    centred = noise - noise.mean(axis=-2, keepdims=True)
    total = centred.sum(axis=-2, keepdims=True)
    total_sq = (centred**2).sum(axis=-2, keepdims=True)
    rest_mean = (total - centred) / (m - 1)
    rest_var = (total_sq - centred**2 - (m - 1) * rest_mean**2) / (m - 2)
    psi = anchor.psi_from_noise_var(np.maximum(rest_var, 0.0))  # (..., m, p)
    # d_r W_r = (d_r Ψ_r⁻¹ Λ)(I + ΛᵀΨ_r⁻¹Λ)⁻¹: BLAS products, no (..., m, p, k) maps.
    projected = ((centred - rest_mean) / psi) @ loadings  # (..., m, k)
    scores = (projected[..., None, :] @ _inverse_information(loadings, psi))[..., 0, :]
    deviation = scores @ _aggregate_columns(k)
    return (m - 1) / m * np.mean(deviation**2, axis=-2)


def _pivot_quantiles(
    noise_var_z: np.ndarray,
    m: int,
    n: int,
    loadings: np.ndarray,
    anchor: _Anchor,
    alpha: float,
    n_draws: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of (V̂_noise/V_noise)/(V̂_sweep/V_sweep) by a parametric bootstrap.

    Reruns are drawn as independent normal noise with the estimated per-task variances; each
    draw re-runs the anchoring and the cross-fit, and is compared with the noise variance of the
    map anchored on all of its reruns (the truth of that draw). The sweep's part is χ²(n − 1)/
    (n − 1), independent of the noise. Drawn in chunks of at most ~50 MB.
    """
    p, k = loadings.shape
    k1 = k + 1
    # Wide matrices: single precision for the drawn reruns (half the memory traffic and half
    # the cost of the normals); the pivot is a Monte Carlo quantile, far coarser than 1e-6.
    wide = p > _WIDE_P
    dtype = np.float32 if wide else np.float64
    sd = np.sqrt(noise_var_z).astype(dtype)
    if wide:
        loadings = loadings.astype(np.float32)
        anchor = anchor.astype(np.float32)
    chunk = max(1, int(50e6 // (8 * m * p * (k1 + 2))))
    columns = _aggregate_columns(k)
    outer = (loadings[:, :, None] * loadings[:, None, :]).reshape(p, k * k)
    ratios = np.empty((n_draws, k1))
    for start in range(0, n_draws, chunk):
        size = min(chunk, n_draws - start)
        draws = rng.standard_normal((size, m, p), dtype=dtype) * sd
        estimate = _cross_fitted_noise_var(draws, loadings, anchor)
        psi = anchor.psi_from_noise_var(np.var(draws, axis=-2, ddof=1))  # (b, p)
        # Σ_p W_pf² σ²_p with W = Ψ⁻¹Λ M⁻¹ C: diag(Cᵀ M⁻¹ (Σ_p σ²_p/ψ_p² λ_pλ_pᵀ) M⁻¹ C).
        inverse = _inverse_information(loadings, psi)
        spread = ((noise_var_z / psi**2) @ outer).reshape(-1, k, k)
        sandwich = inverse @ spread @ inverse
        truth = np.einsum("kf,bkl,lf->bf", columns, sandwich, columns)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios[start : start + size] = estimate / truth
    sweep_part = rng.chisquare(n - 1, size=n_draws) / (n - 1)
    pivot = ratios / sweep_part[:, None]
    return (
        np.nanquantile(pivot, alpha / 2, axis=0),
        np.nanquantile(pivot, 1 - alpha / 2, axis=0),
    )


@accepts_alpha
@renamed_kwargs(n_draws="n_resamples")
def projection_snr(
    sweep_z: np.ndarray,
    noise_z: np.ndarray,
    loadings: np.ndarray,
    uniquenesses: np.ndarray,
    *,
    anchored: np.ndarray | None = None,
    psi_bounds: tuple[float, float] = (1e-3, 0.999),
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    seed: SeedLike = None,
) -> ProjectionSNR:
    """Per-factor and mean-θ SNR of the posterior-mean scores (see the module notes).

    Parameters
    ----------
    sweep_z:
        (n, p) sweep rows, z-scored (the data the model was fitted to).
    noise_z:
        (m, p) noise rows z-scored with the sweep's mean and sd (a task missing from the noise
        baseline can be zero-filled: it then adds no noise, a lower bound).
    loadings, uniquenesses:
        The fitted Λ (p, k) and ψ (p,) on the z scale.
    anchored:
        (p,) bool: the tasks whose ψ was fixed from these same reruns' noise share (clipped to
        ``psi_bounds``). Then the noise variance is cross-fitted and the interval calibrated by
        a parametric bootstrap (``n_resamples`` draws from ``seed``; old name ``n_draws``);
        this needs m ≥ 3 reruns.
        ``None`` (or no anchored task): the map does not depend on the reruns, and the plain
        projection with its exact F interval is used.
    confidence_level:
        Level of the intervals (old name ``alpha`` = 1 − confidence_level).
    """
    alpha = confidence_to_alpha(confidence_level)
    n_draws = n_resamples
    _check_alpha(alpha)
    weights = posterior_map(loadings, uniquenesses)
    lam = np.asarray(loadings, dtype=np.float64).reshape(weights.shape)
    psi = np.asarray(uniquenesses, dtype=np.float64)
    p, k = weights.shape
    sweep = np.asarray(sweep_z, dtype=np.float64)
    noise = np.asarray(noise_z, dtype=np.float64)
    for name, array in (("sweep_z", sweep), ("noise_z", noise)):
        if array.ndim != 2 or array.shape[1] != p:
            raise InputError(f"{name} must have shape (rows, {p}), got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise InputError(f"{name} holds missing or non-finite values")
    n, m = sweep.shape[0], noise.shape[0]
    if m < 2 or n < 2:
        raise InputError("projection SNR needs at least 2 sweep rows and 2 noise rows")
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 100:
        raise InputError(f"n_draws must be an integer of at least 100, got {n_draws!r}")
    mask = np.zeros(p, dtype=bool) if anchored is None else np.asarray(anchored, dtype=bool)
    if mask.shape != (p,):
        raise InputError(f"anchored must have one entry per task ({p}), got {mask.shape}")
    if mask.any() and m < 3:
        raise InputError(
            "with ψ anchored to the reruns, the cross-fitted SNR needs at least 3 reruns; pass "
            "anchored=None for the in-sample projection"
        )

    combined = weights @ _aggregate_columns(k)
    var_sweep = np.var(sweep @ combined, axis=0, ddof=1)
    in_sample = np.var(noise @ combined, axis=0, ddof=1)
    if mask.any():
        anchor = _Anchor(sweep, psi, mask, psi_bounds)
        var_noise = _cross_fitted_noise_var(noise, lam, anchor)
        q_low, q_high = _pivot_quantiles(
            np.var(noise, axis=0, ddof=1),
            m,
            n,
            lam,
            anchor,
            alpha,
            int(n_draws),
            as_generator(seed),
        )
        share = var_noise / var_sweep
        low, high = share / q_high, share / q_low
        method = "cross-fitted"
    else:
        var_noise = in_sample
        share = var_noise / var_sweep
        low, high = f_ratio_interval(share, m - 1, n - 1, alpha)
        method = "fixed map"
    snr, snr_low, snr_high = snr_from_share(share, low, high)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr_in_sample = (var_sweep - in_sample) / in_sample
    return ProjectionSNR(
        labels=(*(f"factor {f + 1}" for f in range(k)), "mean θ"),
        var_sweep=var_sweep,
        var_noise=var_noise,
        var_noise_in_sample=in_sample,
        noise_share=share,
        noise_share_low=low,
        noise_share_high=high,
        snr=snr,
        snr_low=snr_low,
        snr_high=snr_high,
        snr_in_sample=snr_in_sample,
        n_sweep=int(n),
        n_noise=int(m),
        weights=weights,
        method=method,
        n_draws=int(n_draws) if method == "cross-fitted" else 0,
        alpha=float(alpha),
    )


@dataclasses.dataclass(frozen=True)
class BenchmarkSNR(Result):
    """Benchmark-level signal, noise and SNR per task (Heineman et al. 2025)."""

    tasks: tuple[str, ...]
    signal: np.ndarray
    noise: np.ndarray
    snr: np.ndarray
    dispersion: np.ndarray
    noise_sd: np.ndarray
    mean_signal: np.ndarray
    mean_noise: np.ndarray
    dispersion_kind: str
    ddof: int


def benchmark_snr(
    scores: Any,
    noise: Any,
    *,
    tasks: Sequence[str] | None = None,
    dispersion: Literal["range", "sd"] = "range",
    ddof: int = 0,
) -> BenchmarkSNR:
    """Signal = dispersion of the models' scores / |mean|, noise = sd of rerun scores / |mean|.

    Parameters
    ----------
    scores:
        (n_models, p) scores of different models (or configurations) per task, or (n_models,).
        NaN cells are ignored.
    noise:
        (n_reps, p) scores of one model over seeds or final checkpoints, same tasks.
    dispersion:
        ``"range"``: max_{j,k}|m_j − m_k| (the paper's relative dispersion); ``"sd"``: the sd
        of the scores with ``ddof``.
    ddof:
        Of the noise sd (and of the ``"sd"`` dispersion); 0 as in the paper's code.
    """
    if dispersion not in ("range", "sd"):
        raise InputError(f"dispersion must be 'range' or 'sd', got {dispersion!r}")
    if ddof not in (0, 1):
        raise InputError(f"ddof must be 0 or 1, got {ddof!r}")
    signal_m = _as_matrix(scores, "scores")
    noise_m = _as_matrix(noise, "noise")
    p = signal_m.shape[1]
    if noise_m.shape[1] != p:
        raise InputError(f"scores have {p} task column(s) and the noise {noise_m.shape[1]}")
    names = _task_names(tasks, p)
    n_signal = np.sum(np.isfinite(signal_m), axis=0)
    n_noise = np.sum(np.isfinite(noise_m), axis=0)
    if np.any(n_signal < 2) or np.any(n_noise < 2):
        short = [names[j] for j in np.nonzero((n_signal < 2) | (n_noise < 2))[0]]
        raise InputError(f"task(s) with fewer than 2 scores or 2 noise values: {short}")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_signal = np.nanmean(signal_m, axis=0)
        mean_noise = np.nanmean(noise_m, axis=0)
        if dispersion == "range":
            spread = np.nanmax(signal_m, axis=0) - np.nanmin(signal_m, axis=0)
        else:
            spread = np.nanstd(signal_m, axis=0, ddof=ddof)
        noise_sd = np.nanstd(noise_m, axis=0, ddof=ddof)
        signal = spread / np.abs(mean_signal)
        rel_noise = noise_sd / np.abs(mean_noise)
        snr = signal / rel_noise
    return BenchmarkSNR(
        tasks=names,
        signal=signal,
        noise=rel_noise,
        snr=snr,
        dispersion=spread,
        noise_sd=noise_sd,
        mean_signal=mean_signal,
        mean_noise=mean_noise,
        dispersion_kind=dispersion,
        ddof=int(ddof),
    )


@dataclasses.dataclass(frozen=True)
class DecisionAccuracy(Result):
    """Per task: the share of model pairs ordered alike at the small and the target scale."""

    tasks: tuple[str, ...]
    accuracy: np.ndarray
    n_agree: np.ndarray
    n_pairs: np.ndarray
    n_models: np.ndarray


def decision_accuracy(
    small: Any,
    target: Any,
    *,
    tasks: Sequence[str] | None = None,
) -> DecisionAccuracy:
    """Pairwise ordering agreement between small-scale and target-scale scores (module notes).

    ``small`` and ``target`` are (n_models, p) (or (n_models,)) with row i the same model (or
    data recipe) at both scales. A model missing on either scale is left out of that task's
    pairs. Cost O(n² p), evaluated in chunks of tasks to bound memory.
    """
    small_m = _as_matrix(small, "small")
    target_m = _as_matrix(target, "target")
    if small_m.shape != target_m.shape:
        raise InputError(
            f"small and target scores must have the same shape (models x tasks); got "
            f"{small_m.shape} and {target_m.shape}"
        )
    n, p = small_m.shape
    names = _task_names(tasks, p)
    if n < 2:
        raise InputError("decision accuracy needs at least 2 models")
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    agree = np.zeros(p, dtype=np.int64)
    pairs = np.zeros(p, dtype=np.int64)
    chunk = max(1, _PAIR_CHUNK_CELLS // (n * n))
    for start in range(0, p, chunk):
        cols = slice(start, start + chunk)
        s, t = small_m[:, cols], target_m[:, cols]
        sign_s = np.sign(s[:, None, :] - s[None, :, :])
        sign_t = np.sign(t[:, None, :] - t[None, :, :])
        valid = np.isfinite(sign_s) & np.isfinite(sign_t) & upper[:, :, None]
        agree[cols] = np.sum(valid & (sign_s == sign_t), axis=(0, 1))
        pairs[cols] = np.sum(valid, axis=(0, 1))
    present = np.sum(np.isfinite(small_m) & np.isfinite(target_m), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(pairs > 0, agree / np.maximum(pairs, 1), np.nan)
    return DecisionAccuracy(
        tasks=names,
        accuracy=accuracy,
        n_agree=agree,
        n_pairs=pairs,
        n_models=present.astype(np.int64),
    )
