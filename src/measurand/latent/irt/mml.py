"""Marginal maximum likelihood by Bock–Aitkin EM on a fixed Gauss–Hermite grid (1–3 dimensions).

The marginal log-likelihood of the responses (missing cells drop out: their terms are absent)

    ℓ(ψ) = Σ_s f_s log Σ_q w_q Π_{i observed for s} P_iq^{y_si} (1 − P_iq)^{1 − y_si}

is integrated over θ ~ N(0, I_D) on the product grid of probabilists' Gauss–Hermite nodes
(61 points in one dimension, 31² in two, 15³ in three, as ``mirt``); ``f_s`` are row
frequencies (response patterns with counts, such as LSAT6). Bock & Aitkin (1981):

* E-step: posterior weights W_sq ∝ w_q Π_i P(y_si | θ_q); expected counts
  r_iq = Σ_s f_s W_sq y_si and n_iq = Σ_s f_s W_sq m_si (m = observed).
* M-step (2PL, multidimensional 2PL): one Newton step per item on
  Σ_q r_iq log P_iq + (n_iq − r_iq) log(1 − P_iq), all items at once.

EM slows down near the optimum, so it stops once the log-likelihood gains less than 1e-6 per
iteration and a quasi-Newton method (scipy L-BFGS-B) finishes on ℓ itself. The gradient is
exact: by Fisher's identity ∂ℓ/∂ψ_i is the complete-data gradient evaluated with the current
posterior weights. The stated convergence criterion is ``max |∂ℓ/∂ψ| / N < gtol`` (N the number
of observed responses; default 1e-8). 1PL (one common slope, θ ~ N(0, 1): Rasch with the
variance estimated, ``ltm::rasch``) and 3PL go straight to the quasi-Newton step from the 2PL
EM solution.

Identification in D > 1 dimensions: a_ij = 0 for j > i on the first D − 1 items (``mirt``'s
exploratory constraint); rotate the loadings afterwards (:mod:`measurand.latent.rotation`).

Standard errors: the inverse of the observed information, the Hessian of −ℓ by central
differences of the exact gradient (step 1e-4 · max(1, |ψ|)); computed when the model has at
most ``max_hessian_params`` free parameters. Abilities: EAP (posterior mean on the grid) and
the posterior SD.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import optimize

from measurand.errors import InputError
from measurand.latent._corr import blas_threads_for
from measurand.latent.irt._model import IRTFit

__all__ = ["QUADRATURE_POINTS", "fit_mml", "gauss_hermite_grid"]

QUADRATURE_POINTS = {1: 61, 2: 31, 3: 15}
_EPS = 1e-12


def gauss_hermite_grid(n_dims: int, n_points: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (Q, D) and weights (Q,) summing to 1 for the N(0, I_D) expectation."""
    k = QUADRATURE_POINTS[n_dims] if n_points is None else int(n_points)
    x, w = np.polynomial.hermite_e.hermegauss(k)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * n_dims), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.ones(1)
    for _ in range(n_dims):
        weights = np.outer(weights, w).ravel()
    return nodes, weights


class _Problem:
    """Data, grid and parameter layout of one marginal-likelihood fit."""

    def __init__(
        self,
        Y: np.ndarray,
        freq: np.ndarray,
        model: str,
        n_dims: int,
        guessing: str | float | None,
        n_points: int | None,
    ) -> None:
        self.mask = ~np.isnan(Y)
        self.Y0 = np.where(self.mask, Y, 0.0)
        self.M = self.mask.astype(float)
        self.freq = freq
        self.n, self.p = Y.shape
        self.model = model
        self.D = n_dims
        self.nodes, self.weights = gauss_hermite_grid(n_dims, n_points)
        self.log_weights = np.log(self.weights)
        self.X = np.column_stack([self.nodes, np.ones(len(self.weights))])  # (Q, D + 1)
        # Free slopes: lower-triangular constraint on the first D - 1 items.
        free = np.ones((self.p, n_dims), dtype=bool)
        for i in range(min(n_dims - 1, self.p)):
            free[i, i + 1 :] = False
        self.free_a = free
        self.estimate_c = guessing == "estimate"
        self.fixed_c = (
            np.full(self.p, float(guessing))
            if isinstance(guessing, int | float) and not isinstance(guessing, bool)
            else np.zeros(self.p)
        )

    # -- parameter vector <-> (a, d, c) ---------------------------------------------------
    def pack(self, a: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
        if self.model == "1pl":
            return np.concatenate([[a[:, 0].mean()], d])
        parts = [a[self.free_a], d]
        if self.estimate_c:
            parts.append(c)
        return np.concatenate(parts)

    def unpack(self, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.model == "1pl":
            return np.full((self.p, 1), psi[0]), psi[1 : 1 + self.p], self.fixed_c
        n_a = int(self.free_a.sum())
        a = np.zeros((self.p, self.D))
        a[self.free_a] = psi[:n_a]
        d = psi[n_a : n_a + self.p]
        c = psi[n_a + self.p :] if self.estimate_c else self.fixed_c
        return a, d, c

    def bounds(self) -> list[tuple[float | None, float | None]]:
        n = len(self.pack(np.zeros((self.p, self.D)), np.zeros(self.p), np.zeros(self.p)))
        out: list[tuple[float | None, float | None]] = [(None, None)] * n
        if self.estimate_c:
            out[n - self.p :] = [(0.0, 0.6)] * self.p
        return out

    # -- E-step ----------------------------------------------------------------------------
    def estep(
        self, a: np.ndarray, d: np.ndarray, c: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Log-likelihood, P (p, Q), σ (p, Q), r (p, Q), n (p, Q) and the posterior W (n, Q)."""
        eta = a @ self.nodes.T + d[:, None]  # (p, Q)
        sig = 0.5 * (1.0 + np.tanh(0.5 * eta))
        prob = np.clip(c[:, None] + (1.0 - c[:, None]) * sig, _EPS, 1.0 - _EPS)
        L = self.Y0 @ np.log(prob) + (self.M - self.Y0) @ np.log1p(-prob)  # (n, Q)
        L += self.log_weights
        top = L.max(axis=1, keepdims=True)
        W = np.exp(L - top)
        total = W.sum(axis=1, keepdims=True)
        loglik = float(self.freq @ (top[:, 0] + np.log(total[:, 0])))
        W *= self.freq[:, None] / total
        r = self.Y0.T @ W
        nq = self.M.T @ W
        return loglik, prob, sig, r, nq, W

    def gradient(self, psi: np.ndarray) -> tuple[float, np.ndarray]:
        """ℓ and ∂ℓ/∂ψ (Fisher's identity)."""
        a, d, c = self.unpack(psi)
        loglik, prob, sig, r, nq, _ = self.estep(a, d, c)
        # dℓ/dP = (r - n P) / (P (1 - P)); dP/dη = (1 - c) σ (1 - σ)
        resid = (r - nq * prob) / (prob * (1.0 - prob))
        g_eta = resid * (1.0 - c[:, None]) * sig * (1.0 - sig)  # (p, Q)
        g_a = g_eta @ self.nodes  # (p, D)
        g_d = g_eta.sum(axis=1)
        if self.model == "1pl":
            return loglik, np.concatenate([[g_a.sum()], g_d])
        parts = [g_a[self.free_a], g_d]
        if self.estimate_c:
            parts.append((resid * (1.0 - sig)).sum(axis=1))
        return loglik, np.concatenate(parts)


def _start(Y: np.ndarray, n_dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Slopes from the leading eigenvectors of the (pairwise, mean-imputed) correlation matrix,
    converted to the logistic scale (a ≈ 1.7 λ / √(1 − λ²)); intercepts
    logit(mean)·√(1 + ‖a‖²/2.9)."""
    mean = np.clip(np.nanmean(Y, axis=0), 0.02, 0.98)
    Z = np.where(np.isnan(Y), mean, Y) - mean
    sd = np.sqrt((Z**2).mean(axis=0))
    R = (Z / sd).T @ (Z / sd) / len(Z)
    vals, vecs = np.linalg.eigh(R)
    order = np.argsort(vals)[::-1][:n_dims]
    lam = vecs[:, order] * np.sqrt(np.maximum(vals[order], 1e-6))
    if lam[:, 0].sum() < 0:
        lam[:, 0] = -lam[:, 0]
    lam = np.clip(lam, -0.9, 0.9)
    h2 = np.minimum((lam**2).sum(axis=1, keepdims=True), 0.9)
    a = 1.7 * lam / np.sqrt(1 - h2)
    if n_dims > 1:  # rotate so the first D - 1 rows are lower-triangular
        q, _ = np.linalg.qr(a[:n_dims].T)
        a = a @ q
        if a[0, 0] < 0:
            a[:, 0] = -a[:, 0]
    d = np.log(mean / (1 - mean)) * np.sqrt(1 + (a**2).sum(axis=1) / 2.9)
    return a, d


def _em(
    prob: _Problem,
    a: np.ndarray,
    d: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    trace: list[float],
    callback: Callable[[int, float], None] | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Bock–Aitkin EM for the 2PL / multidimensional 2PL (one Newton step per item per M-step)."""
    free = np.column_stack([prob.free_a, np.ones(prob.p, dtype=bool)])  # (p, D + 1)
    beta = np.column_stack([a, d])
    X = prob.X
    last = -np.inf
    it = 0
    for it in range(1, max_iter + 1):
        loglik, P, _, r, nq, _ = prob.estep(beta[:, :-1], beta[:, -1], prob.fixed_c)
        trace.append(loglik)
        if callback is not None:
            callback(it, loglik)
        if loglik - last < tol * max(1.0, abs(loglik)) * 1e-3 and it > 1:
            break
        last = loglik
        g = (r - nq * P) @ X  # (p, D + 1)
        H = np.einsum("iq,qa,qb->iab", nq * P * (1 - P), X, X)  # negative Hessian
        # fixed entries: unit diagonal, zero gradient, so the Newton step leaves them at 0
        fixed = ~free
        g[fixed] = 0.0
        idx = np.nonzero(fixed)
        H[idx[0], idx[1], :] = 0.0
        H[idx[0], :, idx[1]] = 0.0
        H[idx[0], idx[1], idx[1]] = 1.0
        H += 1e-8 * np.eye(X.shape[1])
        step = np.linalg.solve(H, g[:, :, None])[:, :, 0]
        # keep the step modest: EM steps far from the optimum can overshoot
        size = np.abs(step).max(axis=1, keepdims=True)
        beta = beta + step * np.minimum(1.0, 2.0 / np.maximum(size, 1e-300))
    return beta[:, :-1], beta[:, -1], it


def _hessian(prob: _Problem, psi: np.ndarray) -> np.ndarray:
    """Hessian of ℓ by central differences of its exact gradient (symmetrised)."""
    k = psi.size
    H = np.empty((k, k))
    for j in range(k):
        h = 1e-4 * max(1.0, abs(psi[j]))
        up, down = psi.copy(), psi.copy()
        up[j] += h
        down[j] -= h
        H[:, j] = (prob.gradient(up)[1] - prob.gradient(down)[1]) / (2 * h)
    return 0.5 * (H + H.T)


def fit_mml(
    Y: Any,
    *,
    model: str = "2pl",
    n_dims: int = 1,
    guessing: str | float | None = None,
    freq: Any = None,
    n_points: int | None = None,
    max_em_iter: int = 500,
    gtol: float = 1e-8,
    max_hessian_params: int = 600,
    callback: Callable[[int, float], None] | None = None,
) -> IRTFit:
    """Fit a 1PL/2PL/3PL or multidimensional 2PL by marginal ML (see the module notes).

    Parameters
    ----------
    Y:
        (n, p) responses in [0, 1] with NaN for missing cells (fractions are fractional
        Bernoulli outcomes, e.g. averaged trials).
    model:
        "1pl", "2pl", "3pl" or "m2pl" (``n_dims`` 2 or 3).
    guessing:
        3PL only: a fixed floor c (e.g. 0.25 for four options) or "estimate" (bounded to
        [0, 0.6]).
    freq:
        Row frequencies (response patterns with counts); default 1 each.
    gtol:
        Convergence: max |∂ℓ/∂ψ| / N below this (N = observed responses, weighted).
    callback:
        Called as ``callback(iteration, loglik)`` after each iteration (progress bars).
    """
    t0 = time.perf_counter()
    Y = np.array(Y, dtype=float, ndmin=2)
    model = str(model).lower()
    if model not in ("1pl", "2pl", "3pl", "m2pl"):
        raise InputError(f"model takes 1pl, 2pl, 3pl or m2pl; got {model!r}")
    if model == "m2pl":
        if n_dims not in (2, 3):
            if n_dims == 1:
                model = "2pl"
            else:
                raise InputError(
                    f"marginal ML integrates 1-3 dimensions on a grid; got {n_dims} (use the "
                    "scalable MAP estimator for more)"
                )
    elif n_dims != 1:
        raise InputError(f"model {model!r} is unidimensional; use 'm2pl' for {n_dims} dimensions")
    if model == "3pl":
        if guessing is None:
            guessing = "estimate"
        if guessing != "estimate" and not 0.0 <= float(guessing) < 1.0:
            raise InputError(f"guessing must be 'estimate' or a number in [0, 1), got {guessing}")
    else:
        guessing = None
    finite = Y[~np.isnan(Y)]
    if finite.size == 0 or np.any((finite < 0) | (finite > 1)):
        raise InputError("responses must lie in [0, 1] (NaN for missing)")
    f = np.ones(len(Y)) if freq is None else np.asarray(freq, dtype=float)
    if f.shape != (len(Y),) or np.any(f < 0):
        raise InputError("freq must hold one non-negative weight per row")

    n_dims_fit = n_dims if model == "m2pl" else 1
    # Identical response patterns share their likelihood: fit on the unique rows with summed
    # frequencies (LSAT6: 1,000 rows, 32 patterns), and map the abilities back at the end.
    coded = np.where(np.isnan(Y), -1.0, Y)
    unique, inverse = np.unique(coded, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    f = np.bincount(inverse, weights=f, minlength=len(unique))
    Y = np.where(unique < 0, np.nan, unique)
    with blas_threads_for(0):  # small products: BLAS threads cost more than they save
        return _fit(
            Y,
            f,
            inverse,
            model,
            n_dims_fit,
            guessing,
            n_points,
            max_em_iter,
            gtol,
            max_hessian_params,
            callback,
            t0,
        )


def _fit(
    Y: np.ndarray,
    f: np.ndarray,
    inverse: np.ndarray,
    model: str,
    n_dims_fit: int,
    guessing: str | float | None,
    n_points: int | None,
    max_em_iter: int,
    gtol: float,
    max_hessian_params: int,
    callback: Callable[[int, float], None] | None,
    t0: float,
) -> IRTFit:
    problem = _Problem(Y, f, model, n_dims_fit, guessing, n_points)
    trace: list[float] = []
    a0, d0 = _start(Y, n_dims_fit)
    a, d, n_em = _em(
        _Problem(Y, f, "2pl" if model != "m2pl" else "m2pl", n_dims_fit, None, n_points),
        a0,
        d0,
        max_iter=max_em_iter,
        tol=1e-6,
        trace=trace,
        callback=callback,
    )
    # start the 3PL at the 2PL optimum (c = 0 nests it) so the fit can only improve on it
    c0 = np.full(problem.p, 1e-3) if problem.estimate_c else problem.fixed_c
    psi0 = problem.pack(a, d, c0)
    n_obs = float(f @ problem.M.sum(axis=1))

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        loglik, grad = problem.gradient(psi)
        return -loglik / n_obs, -grad / n_obs

    def record(psi: np.ndarray) -> None:
        value = -objective(psi)[0] * n_obs
        trace.append(value)
        if callback is not None:
            callback(len(trace), value)

    res = optimize.minimize(
        objective,
        psi0,
        jac=True,
        method="L-BFGS-B",
        bounds=problem.bounds(),
        callback=record,
        options={"maxiter": 5000, "ftol": 1e-16, "gtol": gtol * 1e-2, "maxcor": 30},
    )
    psi = res.x
    loglik, grad = problem.gradient(psi)
    bounds = problem.bounds()
    at_bound = np.array(
        [
            (lo is not None and v <= lo + 1e-9) or (hi is not None and v >= hi - 1e-9)
            for v, (lo, hi) in zip(psi, bounds, strict=True)
        ]
    )
    grad_max = float(np.abs(np.where(at_bound, 0.0, grad)).max() / n_obs)
    converged = grad_max < gtol
    a, d, c = problem.unpack(psi)

    se = np.full(psi.size, np.nan)
    if psi.size <= max_hessian_params:
        H = _hessian(problem, psi)
        free = ~at_bound
        try:
            cov = np.linalg.inv(-H[np.ix_(free, free)])
            se[free] = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        except np.linalg.LinAlgError:
            pass
    se_a, se_d, se_c = _unpack_se(problem, se)

    _, _, _, _, _, W = problem.estep(a, d, c)
    post = W / W.sum(axis=1, keepdims=True)
    theta = post @ problem.nodes
    theta_sd = np.sqrt(np.maximum(post @ problem.nodes**2 - theta**2, 0.0))
    theta, theta_sd = theta[inverse], theta_sd[inverse]
    if model != "m2pl":
        # one dimension: orient so that abilities increase with the total score
        if a[:, 0].sum() < 0:
            a, theta = -a, -theta
    return IRTFit(
        model=model,
        method="mml",
        a=a,
        d=d,
        c=c if model == "3pl" else np.zeros(problem.p),
        se_a=se_a,
        se_d=se_d,
        se_c=se_c,
        theta=theta,
        theta_se=theta_sd,
        loglik=loglik,
        n_params=int(psi.size),
        objective_trace=tuple(trace),
        converged=bool(converged),
        n_iter=n_em + int(res.nit),
        criterion=f"max |∂ℓ/∂ψ| / N < {gtol:g} (reached {grad_max:.2e})",
        extra={
            "quadrature_points": len(problem.weights),
            "em_iterations": int(n_em),
            "quasi_newton_iterations": int(res.nit),
            "n_observed": n_obs,
            "n_patterns": len(Y),
            "guessing": guessing,
            "seconds": time.perf_counter() - t0,
            "se_method": (
                "inverse observed information (central differences of the exact gradient)"
                if psi.size <= max_hessian_params
                else f"not computed ({psi.size} > {max_hessian_params} parameters)"
            ),
        },
    )


def _unpack_se(problem: _Problem, se: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p, D = problem.p, problem.D
    if problem.model == "1pl":
        return np.full((p, 1), se[0]), se[1 : 1 + p], np.full(p, np.nan)
    n_a = int(problem.free_a.sum())
    se_a = np.full((p, D), np.nan)
    se_a[problem.free_a] = se[:n_a]
    se_d = se[n_a : n_a + p]
    se_c = se[n_a + p :] if problem.estimate_c else np.full(p, np.nan)
    return se_a, se_d, se_c
