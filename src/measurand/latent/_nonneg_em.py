"""The non-negative k-factor model fitted by projected EM, plain or SQUAREM-accelerated.

Model (columns of ``Z`` centred; usually z-scored):

    z = Λ θ + ε,   θ ~ N(0, I_k),   ε ~ N(0, Ψ),   Ψ = diag(ψ),   Λ ≥ 0 elementwise,

so that Σ = ΛΛᵀ + Ψ and the log-likelihood of n rows with sample covariance S (ddof = 0) is

    ℓ(Λ, Ψ) = −n/2 · (p log 2π + log|Σ| + tr(Σ⁻¹ S)).

One EM step (Rubin & Thayer 1982, with the loadings constrained to be non-negative):

* E-step: V = (I + ΛᵀΨ⁻¹Λ)⁻¹, θ̂ = Z Ψ⁻¹ Λ V (posterior means), and the per-row second moment
  G = V + θ̂ᵀθ̂ / n.
* M-step: for each task j, λ_j = argmin_{λ ≥ 0} λᵀ G λ − 2 λᵀ b_j with b_j = (Zᵀθ̂)_j / n; then
  ψ_j = S_jj − 2 b_jᵀλ_j + λ_jᵀ G λ_j, except where ψ_j is *fixed* (anchored to the task's noise
  share, clipped to [1e-3, 0.999]); free ψ_j are kept above ``PSI_FLOOR`` (a Heywood guard).

When no bound is active the M-step is the familiar ``Λ = max(0, Zᵀθ̂ (nV + θ̂ᵀθ̂)⁻¹)``. When some
loading wants to be negative, simply clipping that formula is *not* a maximisation of the EM
objective and can lower the likelihood; the rows with an active bound are therefore solved
exactly, as small non-negative least-squares problems (a vectorized active-set method, warm
started from the previous step's zero pattern). Each step thus never decreases ℓ, and every
fixed point satisfies the Karush-Kuhn-Tucker conditions of the constrained maximum-likelihood
problem.

Acceleration: SQUAREM (Varadhan & Roland 2008, Scand. J. Statist. 35:335-353; scheme S3 with the
adaptive maximum step of Du & Varadhan 2020, J. Stat. Softw. 92(7)). Each cycle takes two EM steps
x1 = F(x0), x2 = F(x1), extrapolates x' = x0 + 2αr + α²v with r = x1 − x0, v = x2 − 2x1 + x0,
α = ‖r‖/‖v‖ ≥ 1, projects x' back onto the constraints (Λ ≥ 0, ψ ≥ floor), takes one stabilising EM
step, and falls back to x2 whenever ℓ(x') < ℓ(x0). A fixed point of the cycle is a fixed point of
F, so both variants reach the same solution; SQUAREM needs far fewer EM steps.

Stopping rule (both variants): the largest change of one EM step over the loadings and the free
uniquenesses, max|F(x) − x|, falls below ``tol`` (1e-7 by default), or ``max_iter`` EM steps were
taken. ``n_iter`` counts EM steps (evaluations of F) in both variants, so the numbers compare.
The rule bounds a step, not the distance to the fixed point, which is about tol / (1 − ρ) for EM's
linear rate ρ; ρ approaches 1 near a Heywood case (a free ψ near 0), where two fits stopped at
tol = 1e-10 can differ by ~1e-5 in the parameters (and SQUAREM's accept/reject comparisons of ℓ,
equal to rounding near the optimum, make which point it stops at depend on rounding).

Conventions: factors are ordered by decreasing Σ_j λ_jl² and are non-negative, so there is no sign
or rotation ambiguity left except among factors that are exact copies. The computation runs on S
(p x p) when p is moderate and on Z otherwise, so its cost per step is O(min(p², np)·k).

All of the numerics are written for a *batch* of fits that share one data matrix but each use a
subset of its columns (a 0/1 mask per fit): the leaderboard's task-bootstrap refits run as one
vectorized computation of shape (n_fits, p, k).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["FIXED_PSI_BOUNDS", "PSI_FLOOR", "NonnegEMResult", "fit_nonneg_em"]

FIXED_PSI_BOUNDS: tuple[float, float] = (1e-3, 0.999)
"""Fixed uniquenesses (noise shares) are clipped into this interval."""

PSI_FLOOR: float = 1e-6
"""Free uniquenesses (as a share of the task's variance) are kept at or above this value."""

_LOG_2PI = math.log(2.0 * math.pi)
_NNLS_MAX_SWEEPS = 1000
_NNLS_TOL = 1e-15
# Above this many columns (and more columns than rows) S = ZᵀZ/n is not formed: products with S
# go through Z, which keeps memory at O(np) for the p >> n matrices of item-level data.
_MAX_DENSE_P = 2000


@dataclasses.dataclass(frozen=True)
class NonnegEMResult(Result):
    """A fitted non-negative factor model.

    Attributes
    ----------
    loadings:
        Λ, shape (p, k), non-negative, factors ordered by decreasing sum of squared loadings.
    uniquenesses:
        ψ, shape (p,), on the scale of ``Z`` (the noise share for z-scored columns).
    n_iter:
        EM steps taken (evaluations of the EM map), in both the plain and accelerated variants.
    converged:
        Whether the stopping rule max|F(x) − x| < tol was met within ``max_iter`` steps.
    loglik:
        ℓ at the returned parameters (multivariate normal, sample covariance with ddof = 0).
    loglik_trace:
        ℓ after each EM step (plain) or at the start of each SQUAREM cycle (accelerated); never
        decreasing.
    fixed:
        Which uniquenesses were held fixed, shape (p,).
    accelerated:
        Whether SQUAREM was used.
    n_cycles:
        SQUAREM cycles (equal to ``n_iter`` for plain EM).
    scores:
        Posterior means E[θ | z] = Z Ψ⁻¹ Λ (I + ΛᵀΨ⁻¹Λ)⁻¹ of the rows, shape (n, k).
    """

    loadings: np.ndarray
    uniquenesses: np.ndarray
    n_iter: int
    converged: bool
    loglik: float
    loglik_trace: np.ndarray
    fixed: np.ndarray
    accelerated: bool
    n_cycles: int
    scores: np.ndarray


# ----------------------------------------------------------------------------------------------
# Data access: products with the sample covariance, either dense or through Z
# ----------------------------------------------------------------------------------------------
class _Covariance:
    """S = Z_cᵀ Z_c / n as an operator; ``matmul(X)`` computes S @ X for X of shape (..., p, k)."""

    def __init__(self, centred: np.ndarray) -> None:
        n, p = centred.shape
        self.n = n
        self.p = p
        self.diag = np.einsum("ij,ij->j", centred, centred) / n
        if p <= max(n, _MAX_DENSE_P):
            self.dense: np.ndarray | None = centred.T @ centred / n
            self.centred = None
        else:
            self.dense = None
            self.centred = centred

    def matmul(self, x: np.ndarray) -> np.ndarray:
        if self.dense is not None:
            return self.dense @ x
        # Two BLAS products on the fits side by side, (p, B k): einsum would not use BLAS.
        b, p, k = x.shape
        side_by_side = np.moveaxis(x, 0, 1).reshape(p, b * k)
        product = self.centred.T @ (self.centred @ side_by_side)
        product /= self.n
        return np.moveaxis(product.reshape(p, b, k), 1, 0)


# ----------------------------------------------------------------------------------------------
# The EM map, batched over fits
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Problem:
    cov: _Covariance
    mask: np.ndarray  # (B, p) float, 1 = the column takes part in fit b
    fixed: np.ndarray  # (p,) bool
    fixed_values: np.ndarray  # (p,) float, the fixed ψ on the data scale (NaN where free)
    floor: np.ndarray  # (p,) float, lower bound of free ψ on the data scale
    n_columns: np.ndarray  # (B,) number of columns in each fit
    free_mask: np.ndarray = dataclasses.field(init=False)  # (B, p): columns with a free ψ

    def __post_init__(self) -> None:
        self.free_mask = self.mask * ~self.fixed

    def take(self, index: np.ndarray) -> _Problem:
        return dataclasses.replace(self, mask=self.mask[index], n_columns=self.n_columns[index])


def _e_step(problem: _Problem, lam: np.ndarray, psi: np.ndarray, with_loglik: bool = True):
    """Posterior quantities and ℓ at (Λ, ψ) (None unless ``with_loglik``); shapes (B, p, k)."""
    k = lam.shape[-1]
    weighted = lam / psi[..., None] * problem.mask[..., None]  # Ψ⁻¹Λ on the fit's columns
    precision = np.eye(k) + np.swapaxes(lam, -1, -2) @ weighted  # M = I + ΛᵀΨ⁻¹Λ
    posterior = np.linalg.inv(precision)  # V
    s_weighted = problem.cov.matmul(weighted)  # S Ψ⁻¹Λ
    cross = s_weighted @ posterior  # b_j = (Zᵀθ̂)_j / n, one row per task
    quad = np.swapaxes(weighted, -1, -2) @ s_weighted  # ΛᵀΨ⁻¹ S Ψ⁻¹Λ
    second = posterior + posterior @ quad @ posterior  # G = V + θ̂ᵀθ̂ / n
    if not with_loglik:
        return cross, second, None
    _, logdet_m = np.linalg.slogdet(precision)
    mask = problem.mask
    loglik = (
        -0.5
        * problem.cov.n
        * (
            problem.n_columns * _LOG_2PI
            + np.sum(mask * np.log(psi), axis=-1)
            + logdet_m
            + np.sum(mask * problem.cov.diag / psi, axis=-1)
            - np.einsum("bkl,blk->b", posterior, quad)
        )
    )
    return cross, second, loglik


def _nonneg_quadratic_rows(
    gram: np.ndarray, linear: np.ndarray, previous: np.ndarray | None = None
) -> np.ndarray:
    """argmin_{λ ≥ 0} λᵀGλ − 2bᵀλ for every row b of ``linear`` (B, p, k), G = ``gram`` (B, k, k).

    Rows whose unconstrained solution is non-negative are exact at once. The others are solved by
    an active-set method vectorized over rows: guess the free set (the previous step's positive
    loadings, when given), solve the equality-constrained system of every row in one batched
    solve, then free the coordinate with the most negative gradient or fix the most negative
    coordinate at 0, until the Karush-Kuhn-Tucker conditions hold (for a strictly convex
    quadratic they identify the unique minimiser). Rows still unresolved after a few rounds (in
    practice none) finish by cyclic coordinate descent.
    """
    unconstrained = linear @ np.linalg.inv(gram)
    solution = np.maximum(unconstrained, 0.0)
    bad = np.nonzero(np.any(unconstrained < 0.0, axis=-1))
    k = linear.shape[-1]
    if bad[0].size == 0 or k == 1:
        return solution  # for k = 1 clipping the scalar optimum is exact
    g = gram[bad[0]]  # (m, k, k)
    b = linear[bad]  # (m, k)
    guess = unconstrained[bad] if previous is None else previous[bad]
    free = guess > 0.0
    eye = np.eye(k, dtype=bool)
    tolerance = 1e-12 * (1.0 + np.max(np.abs(b), axis=-1, keepdims=True))
    rows = np.arange(b.shape[0])
    todo = rows
    x = np.zeros_like(b)
    for _ in range(3 * k + 3):
        gg, bb, ff = g[todo], b[todo], free[todo]
        system = np.where(ff[:, :, None] & ff[:, None, :], gg, 0.0) + (~ff[:, :, None] & eye)
        xs = np.linalg.solve(system, np.where(ff, bb, 0.0)[..., None])[..., 0]
        x[todo] = xs
        gradient = np.einsum("mkl,ml->mk", gg, xs) - bb
        negative = ff & (xs < 0.0)
        wants_in = ~ff & (gradient < -tolerance[todo])
        has_negative = negative.any(axis=-1)
        unresolved = has_negative | wants_in.any(axis=-1)
        if not unresolved.any():
            todo = todo[:0]
            break
        drop = np.argmin(np.where(negative, xs, np.inf), axis=-1)
        add = np.argmin(np.where(wants_in, gradient, np.inf), axis=-1)
        change = np.where(has_negative, drop, add)
        local = np.nonzero(unresolved)[0]
        free[todo[local], change[local]] = ~free[todo[local], change[local]]
        todo = todo[local]
    x = np.maximum(x, 0.0)
    if todo.size:
        x[todo] = _coordinate_descent(g[todo], b[todo], x[todo])
    solution[bad] = x
    return solution


def _coordinate_descent(g: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Cyclic coordinate descent for the rows' non-negative quadratics (exact 1-D minimisers)."""
    k = b.shape[-1]
    diag = np.diagonal(g, axis1=-2, axis2=-1)
    for _ in range(_NNLS_MAX_SWEEPS):
        largest_step = 0.0
        for col in range(k):
            residual = b[:, col] - np.einsum("mk,mk->m", g[:, col, :], x) + diag[:, col] * x[:, col]
            new = np.maximum(residual / diag[:, col], 0.0)
            step = np.abs(new - x[:, col])
            x[:, col] = new
            largest_step = max(largest_step, float(np.max(step / (1.0 + np.abs(new)))))
        if largest_step < _NNLS_TOL:
            break
    return x


def _em_map(problem: _Problem, lam: np.ndarray, psi: np.ndarray, with_loglik: bool = True):
    """One EM step F(Λ, ψ); also returns ℓ at the input parameters (if ``with_loglik``)."""
    cross, second, loglik = _e_step(problem, lam, psi, with_loglik)
    lam_new = _nonneg_quadratic_rows(second, cross, lam)
    psi_new = (
        problem.cov.diag
        - 2.0 * np.sum(cross * lam_new, axis=-1)
        + np.einsum("bpk,bkl,bpl->bp", lam_new, second, lam_new)
    )
    psi_new = np.where(problem.fixed, problem.fixed_values, np.maximum(psi_new, problem.floor))
    return lam_new, psi_new, loglik


def _loglik(problem: _Problem, lam: np.ndarray, psi: np.ndarray) -> np.ndarray:
    return _e_step(problem, lam, psi)[2]


def _step_size(problem: _Problem, d_lam: np.ndarray, d_psi: np.ndarray) -> np.ndarray:
    """max |Δ| over the fit's loadings and free uniquenesses, per fit."""
    lam_part = np.max(np.abs(d_lam) * problem.mask[..., None], axis=(-2, -1))
    psi_part = np.max(np.abs(d_psi) * problem.free_mask, axis=-1)
    return np.maximum(lam_part, psi_part)


# ----------------------------------------------------------------------------------------------
# Drivers
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _BatchFit:
    loadings: np.ndarray  # (B, p, k)
    uniquenesses: np.ndarray  # (B, p)
    loglik: np.ndarray  # (B,)
    n_iter: np.ndarray  # (B,) int
    n_cycles: np.ndarray  # (B,) int
    converged: np.ndarray  # (B,) bool
    trace: list[float]  # ℓ trace of fit 0 (used when B == 1)


def _run_plain(problem: _Problem, lam, psi, tol: float, max_iter: int) -> _BatchFit:
    n_fits = lam.shape[0]
    n_iter = np.zeros(n_fits, dtype=np.int64)
    converged = np.zeros(n_fits, dtype=bool)
    trace: list[float] = []
    active = np.arange(n_fits)
    sub = problem
    while active.size and n_iter[active[0]] < max_iter:
        lam_new, psi_new, ll_before = _em_map(sub, lam[active], psi[active])
        step = _step_size(sub, lam_new - lam[active], psi_new - psi[active])
        lam[active], psi[active] = lam_new, psi_new
        n_iter[active] += 1
        if active[0] == 0:
            trace.append(float(ll_before[0]))
        done = step < tol
        converged[active[done]] = True
        if done.any():
            active = active[~done]
            sub = problem.take(active)
    loglik = _loglik(problem, lam, psi)
    if len(trace) == n_iter[0]:
        trace.append(float(loglik[0]))
    return _BatchFit(lam, psi, loglik, n_iter, n_iter.copy(), converged, trace)


def _run_squarem(problem: _Problem, lam, psi, tol: float, max_iter: int) -> _BatchFit:
    n_fits = lam.shape[0]
    n_iter = np.zeros(n_fits, dtype=np.int64)
    n_cycles = np.zeros(n_fits, dtype=np.int64)
    converged = np.zeros(n_fits, dtype=bool)
    step_max = np.ones(n_fits)
    mstep = 4.0
    trace: list[float] = []
    active = np.arange(n_fits)
    sub = problem
    lower = np.where(problem.fixed, problem.fixed_values, problem.floor)

    while active.size:
        # Finish the fits that have no budget left for a full cycle with plain steps.
        budget = max_iter - n_iter[active]
        if np.any(budget < 3):
            short = budget < 3
            for index in active[short]:
                single = problem.take(np.array([index]))
                rest = _run_plain(
                    single, lam[[index]], psi[[index]], tol, int(max_iter - n_iter[index])
                )
                lam[index], psi[index] = rest.loadings[0], rest.uniquenesses[0]
                n_iter[index] += rest.n_iter[0]
                n_cycles[index] += rest.n_iter[0]
                converged[index] = rest.converged[0]
                if index == 0:
                    trace.extend(rest.trace[:-1])
            active = active[~short]
            sub = problem.take(active)
            if not active.size:
                break
        lam0, psi0 = lam[active], psi[active]
        lam1, psi1, ll0 = _em_map(sub, lam0, psi0)
        if active[0] == 0:
            trace.append(float(ll0[0]))
        lam2, psi2, _ = _em_map(sub, lam1, psi1, with_loglik=False)
        n_iter[active] += 2
        n_cycles[active] += 1
        first = _step_size(sub, lam1 - lam0, psi1 - psi0)
        second = _step_size(sub, lam2 - lam1, psi2 - psi1)

        r_lam, r_psi = lam1 - lam0, psi1 - psi0
        v_lam, v_psi = (lam2 - lam1) - r_lam, (psi2 - psi1) - r_psi
        sr2 = np.sum(r_lam**2, axis=(-2, -1)) + np.sum(r_psi**2, axis=-1)
        sv2 = np.sum(v_lam**2, axis=(-2, -1)) + np.sum(v_psi**2, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.sqrt(np.where(sv2 > 0, sr2 / sv2, 1.0))
        cap = step_max[active]
        alpha = np.clip(np.nan_to_num(alpha, nan=1.0, posinf=1.0), 1.0, cap)
        a1 = (2.0 * alpha)[:, None]
        a2 = (alpha**2)[:, None]
        lam_x = np.maximum(lam0 + a1[..., None] * r_lam + a2[..., None] * v_lam, 0.0)
        psi_x = np.maximum(psi0 + a1 * r_psi + a2 * v_psi, lower)
        psi_x = np.where(problem.fixed, problem.fixed_values, psi_x)
        lam3, psi3, ll_x = _em_map(sub, lam_x, psi_x)
        n_iter[active] += 1
        third = _step_size(sub, lam3 - lam_x, psi3 - psi_x)

        accept = np.isfinite(ll_x) & (ll_x >= ll0)
        new_lam = np.where(accept[:, None, None], lam3, lam2)
        new_psi = np.where(accept[:, None], psi3, psi2)
        at_max = alpha >= cap
        grow = accept & at_max
        shrink = ~accept & at_max
        step_max[active[grow]] *= mstep
        step_max[active[shrink]] = np.maximum(1.0, step_max[active[shrink]] / mstep)

        # Converged when an EM step from the point we keep (or just before it) no longer moves.
        done = (first < tol) | (second < tol) | (accept & (third < tol))
        keep_first = first < tol
        new_lam = np.where(keep_first[:, None, None], lam1, new_lam)
        new_psi = np.where(keep_first[:, None], psi1, new_psi)
        keep_second = ~keep_first & (second < tol)
        new_lam = np.where(keep_second[:, None, None], lam2, new_lam)
        new_psi = np.where(keep_second[:, None], psi2, new_psi)
        lam[active], psi[active] = new_lam, new_psi
        converged[active[done]] = True
        leaving = done | (n_iter[active] >= max_iter)
        if leaving.any():
            active = active[~leaving]
            sub = problem.take(active)
    loglik = _loglik(problem, lam, psi)
    trace.append(float(loglik[0]))
    return _BatchFit(lam, psi, loglik, n_iter, n_cycles, converged, trace)


def _thin_products():
    """One BLAS thread: every product here has k (or B k) columns and is memory-bound, where
    worker threads cost more than they save (Z'(Z x) at 50 x 13,500, k = 3: 61 ms with two
    OpenBLAS threads on a busy 2-core machine, 4.6 ms with one)."""
    from measurand.latent._corr import blas_threads_for

    return blas_threads_for(0)


def _order_factors(lam: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Reorder the factors of each fit by decreasing Σ_j λ_jl² over the fit's columns."""
    mass = np.sum(lam**2 * mask[..., None], axis=-2)  # (B, k)
    order = np.argsort(-mass, axis=-1, kind="stable")
    return np.take_along_axis(lam, order[:, None, :], axis=-1)


def _start(cov: _Covariance, k: int, init, rng: np.random.Generator | None) -> np.ndarray:
    """Starting loadings (p, k): NNDSVD-style non-negative parts of the leading eigenvectors.

    Factor 1 is the first principal axis (sign chosen so its sum is positive); each further
    factor is the larger (in norm) of the positive and negative parts of the next eigenvector
    (Boutsidis & Gallopoulos 2008's NNDSVD, as used to start non-negative matrix factorisation).
    A small floor keeps every entry free to move and every factor distinct.
    """
    p = cov.p
    scale = np.sqrt(cov.diag)
    if init == "random":
        assert rng is not None
        return np.abs(rng.normal(scale=0.1, size=(p, k))) * scale[:, None] + 1e-3 * scale[:, None]
    if cov.dense is not None:
        corr = cov.dense / np.outer(scale, scale)
        values, vectors = np.linalg.eigh(corr)
        values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
    else:
        # The leading eigenvectors of the p x p correlation matrix from the n x n dual:
        # U'U = W diag(e) W' gives eigenvectors U W / sqrt(e) of U U' (no p x p, no SVD of U).
        standardized = cov.centred / scale / math.sqrt(cov.n)
        gram_values, gram_vectors = np.linalg.eigh(standardized @ standardized.T)
        values = gram_values[::-1][:k]
        leading = gram_vectors[:, ::-1][:, :k]
        vectors = standardized.T @ leading / np.sqrt(np.maximum(values, 1e-300))
    start = np.empty((p, k))
    for col in range(k):
        u = vectors[:, col] * math.sqrt(max(values[col], 1e-12))
        if col == 0:
            u = u if u.sum() >= 0 else -u
            part = np.maximum(u, 0.0)
        else:
            pos, neg = np.maximum(u, 0.0), np.maximum(-u, 0.0)
            part = pos if np.linalg.norm(pos) >= np.linalg.norm(neg) else neg
        start[:, col] = part
    start = np.minimum(start, 0.95)  # stay inside the admissible region of a correlation
    return (start + 1e-3) * scale[:, None]


def _prepare(z, n_factors: int, fixed_psi):
    data = np.asarray(z, dtype=np.float64)
    if data.ndim != 2:
        raise InputError(f"Z must be a 2-D array (rows x tasks), got shape {data.shape}")
    n, p = data.shape
    if isinstance(n_factors, bool) or not isinstance(n_factors, int | np.integer):
        raise InputError(f"n_factors must be a positive integer, got {n_factors!r}")
    k = int(n_factors)
    if k < 1:
        raise InputError(f"n_factors must be at least 1, got {k}")
    if n < 2 or n < k:
        raise InputError(f"Z has {n} row(s), fewer than needed for {k} factor(s) (at least {k})")
    if p < 2 or k >= p:
        raise InputError(f"{k} factor(s) need more than {k} columns; Z has {p}")
    if not np.all(np.isfinite(data)):
        rows, cols = np.nonzero(~np.isfinite(data))
        raise InputError(
            f"Z holds {rows.size} missing or non-finite cell(s) (first at row {rows[0]}, "
            f"column {cols[0]}); drop or impute them before fitting"
        )
    centred = data - data.mean(axis=0)
    variance = np.mean(centred**2, axis=0)
    constant = np.nonzero(variance <= 1e-24)[0]
    if constant.size:
        raise InputError(f"column(s) {constant.tolist()} of Z are constant; drop them first")
    if fixed_psi is None:
        fixed = np.zeros(p, dtype=bool)
        fixed_values = np.full(p, np.nan)
    else:
        share = np.asarray(fixed_psi, dtype=np.float64)
        if share.shape != (p,):
            raise InputError(
                f"fixed_psi must have one entry per column ({p}), got shape {share.shape}"
            )
        if np.any(np.isinf(share)):
            raise InputError("fixed_psi must be finite or NaN (NaN = estimate this uniqueness)")
        fixed = ~np.isnan(share)
        fixed_values = np.where(fixed, np.clip(share, *FIXED_PSI_BOUNDS) * variance, np.nan)
    return centred, k, fixed, fixed_values, variance


def fit_nonneg_em(
    Z: np.ndarray,
    n_factors: int,
    *,
    fixed_psi: np.ndarray | None = None,
    accelerate: bool = True,
    tol: float = 1e-7,
    max_iter: int = 5000,
    init: Literal["nndsvd", "random"] | np.ndarray = "nndsvd",
    seed: SeedLike = None,
) -> NonnegEMResult:
    """Fit the non-negative k-factor model z = Λθ + ε (Λ ≥ 0) by projected EM.

    Parameters
    ----------
    Z:
        Data, shape (n, p): rows are runs/models, columns tasks. Columns are centred here; pass
        z-scored columns (ddof = 0) so that uniquenesses are noise shares.
    n_factors:
        k ≥ 1, fewer than the number of columns and at most the number of rows.
    fixed_psi:
        Optional (p,) array: the noise share of each task's variance to hold fixed (NaN = estimate
        it). Fixed shares are clipped to [1e-3, 0.999] and the uniqueness is held at
        share x Var(z_j) (the share itself for z-scored columns).
    accelerate:
        Use SQUAREM (same fixed point, far fewer EM steps) instead of plain EM.
    tol, max_iter:
        Stop when one EM step changes no loading or free uniqueness by more than ``tol``, or
        after ``max_iter`` EM steps.
    init:
        ``"nndsvd"`` (deterministic; see the module notes), ``"random"`` (|N(0, 0.1²)| entries,
        from ``seed``) or a (p, k) array of non-negative starting loadings on the scale of Z.
    seed:
        Only used by ``init="random"``.

    Returns
    -------
    NonnegEMResult
        Loadings, uniquenesses, EM steps, convergence flag, log-likelihood and its trace, and the
        posterior-mean scores.
    """
    centred, k, fixed, fixed_values, variance = _prepare(Z, n_factors, fixed_psi)
    p = centred.shape[1]
    if not (isinstance(tol, int | float) and tol > 0):
        raise InputError(f"tol must be a positive number, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise InputError(f"max_iter must be a positive integer, got {max_iter!r}")
    cov = _Covariance(centred)
    if isinstance(init, str):
        if init not in ("nndsvd", "random"):
            raise InputError(f"init must be 'nndsvd', 'random' or an array, got {init!r}")
        start = _start(cov, k, init, as_generator(seed) if init == "random" else None)
    else:
        start = np.array(init, dtype=np.float64)
        if start.shape != (p, k) or not np.all(np.isfinite(start)) or np.any(start < 0):
            raise InputError(f"init must be a finite non-negative ({p}, {k}) array")
    floor = PSI_FLOOR * variance
    psi0 = np.maximum(variance - np.sum(start**2, axis=1), 0.1 * variance)
    psi0 = np.where(fixed, fixed_values, psi0)
    problem = _Problem(
        cov=cov,
        mask=np.ones((1, p)),
        fixed=fixed,
        fixed_values=np.nan_to_num(fixed_values),
        floor=floor,
        n_columns=np.array([float(p)]),
    )
    runner = _run_squarem if accelerate else _run_plain
    with _thin_products():
        fit = runner(problem, start[None].copy(), psi0[None].copy(), float(tol), int(max_iter))
    loadings = _order_factors(fit.loadings, problem.mask)[0]
    psi = fit.uniquenesses[0]
    weighted = loadings / psi[:, None]
    scores = centred @ weighted @ np.linalg.inv(np.eye(k) + loadings.T @ weighted)
    return NonnegEMResult(
        loadings=loadings,
        uniquenesses=psi,
        n_iter=int(fit.n_iter[0]),
        converged=bool(fit.converged[0]),
        loglik=float(fit.loglik[0]),
        loglik_trace=np.asarray(fit.trace),
        fixed=fixed,
        accelerated=bool(accelerate),
        n_cycles=int(fit.n_cycles[0]),
        scores=scores,
    )


def fit_nonneg_em_batch(
    centred: np.ndarray,
    masks: np.ndarray,
    start: np.ndarray,
    start_psi: np.ndarray,
    *,
    fixed_psi: np.ndarray | None = None,
    tol: float = 1e-7,
    max_iter: int = 5000,
    accelerate: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit many models at once, each on the columns its 0/1 ``masks`` row selects.

    ``centred`` (n, p) must have centred columns; ``start`` (p, k) and ``start_psi`` (p,) are
    shared starting values (typically the full-data fit). Returns loadings (B, p, k), ordered by
    decreasing Σλ² over each fit's columns, uniquenesses (B, p), converged (B,) and n_iter (B,).
    The entries of columns outside a fit are its regressions on that fit's factors (they do not
    influence the fit).
    """
    _, _, fixed, fixed_values, variance = _prepare(centred, start.shape[1], fixed_psi)
    cov = _Covariance(centred)
    masks = np.asarray(masks, dtype=np.float64)
    problem = _Problem(
        cov=cov,
        mask=masks,
        fixed=fixed,
        fixed_values=np.nan_to_num(fixed_values),
        floor=PSI_FLOOR * variance,
        n_columns=masks.sum(axis=1),
    )
    n_fits = masks.shape[0]
    lam = np.repeat(start[None], n_fits, axis=0)
    psi = np.repeat(np.where(fixed, np.nan_to_num(fixed_values), start_psi)[None], n_fits, axis=0)
    runner = _run_squarem if accelerate else _run_plain
    with _thin_products():
        fit = runner(problem, lam, psi, float(tol), int(max_iter))
    return _order_factors(fit.loadings, masks), fit.uniquenesses, fit.converged, fit.n_iter
