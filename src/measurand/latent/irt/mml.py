"""Marginal maximum likelihood on a fixed Gauss–Hermite grid (1–3 dimensions).

The marginal log-likelihood of the responses (missing cells drop out: their terms are absent)

    ℓ(ψ) = Σ_s f_s log Σ_q w_q Π_{i observed for s} P_iq^{y_si} (1 − P_iq)^{1 − y_si}

is integrated over θ ~ N(0, I_D) on the product grid of probabilists' Gauss–Hermite nodes
(61 points in one dimension, 31² in two, 15³ in three, as ``mirt``); ``f_s`` are row
frequencies. Identical rows (missing cells included) share their likelihood, so the fit runs on
the distinct response patterns with summed frequencies (LSAT6: 1,000 rows, 30 patterns).

Bock & Aitkin (1981) EM first: posterior weights W_sq ∝ w_q Π_i P(y_si | θ_q), expected counts
r_iq = Σ_s f_s W_sq y_si, n_iq = Σ_s f_s W_sq m_si (m = observed), and one Newton step per item
on Σ_q r_iq log P_iq + (n_iq − r_iq) log(1 − P_iq), all items at once. EM is robust far from
the optimum and slow near it, so once an iteration gains less than 1e-5·|ℓ| (1PL, 2PL,
multidimensional 2PL with at most ``NEWTON_MAX_PARAMS`` free parameters) Newton's method on ℓ
itself finishes, with the exact Hessian (Louis 1982)

    ∇ℓ  = Σ_s f_s ḡ_s,   ḡ_s = Σ_q W_sq g_sq,
    ∇²ℓ = Σ_s f_s [Σ_q W_sq (h_q + g_sq g_sqᵀ) − ḡ_s ḡ_sᵀ],

g_sq the complete-data score of pattern s at node q (entries m_si (y_si − P_iq) x_q with
x_q = (θ_q, 1)) and h_q the complete-data Hessian (blocks −m_si P_iq (1 − P_iq) x_q x_qᵀ). A
backtracking line search keeps every step an ascent step; where −∇²ℓ is not positive definite
its eigenvalues are replaced by their absolute values; a Hessian is reused for the next step
while the steps it gives cut the gradient tenfold (it costs about p E-steps). Without guessing,
log P(y | θ) = y η − m log(1 + e^η) is evaluated exactly (no clipping of P, which would zero
the gradient of a far-out intercept). The 3PL, and models with more parameters, finish with a
quasi-Newton method (scipy L-BFGS-B, restarted while it stalls and gains) on ℓ and the same
exact gradient (Fisher's identity). The stated convergence criterion is
``max |∂ℓ/∂ψ| / N < gtol`` (N the number of observed responses; default 1e-8).

The 1PL is one common slope with θ ~ N(0, 1) (Rasch with the variance estimated,
``ltm::rasch``); the 3PL starts from the 2PL EM solution (c = 0 nests it).

Identification in D > 1 dimensions: a_ij = 0 for j > i on the first D − 1 items (``mirt``'s
exploratory constraint); rotate the loadings afterwards (:mod:`measurand.latent.rotation`).

Standard errors: the inverse of the observed information −∇²ℓ. For the 1PL/2PL/M2PL it is the
analytic Hessian above, at the converged point (terms of the posterior outer products whose
weight W_sq is below 1e-16 are left out: on LSAT6 and ``ability`` that moves the Hessian by
~1e-15 relative, rounding level);
for the 3PL, central differences of the exact gradient (step 1e-4 · max(1, |ψ|)). Computed
when the model has at most ``max_hessian_params`` free parameters. Abilities: EAP (posterior
mean on the grid) and the posterior SD.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import linalg, optimize

from measurand.errors import InputError
from measurand.latent._corr import blas_threads_for
from measurand.latent.irt._model import IRTFit

__all__ = ["NEWTON_MAX_PARAMS", "QUADRATURE_POINTS", "fit_mml", "gauss_hermite_grid"]

QUADRATURE_POINTS = {1: 61, 2: 31, 3: 15}
# Newton's method needs the Hessian (about p E-steps), kept across steps while it works; the
# SEs need it once anyway. Measured: 2,000 x 100 in 0.30 s against 0.47 s by L-BFGS, 5,000 x 200
# in 1.7 s against 5.2 s. Beyond this many parameters, L-BFGS and no SEs.
NEWTON_MAX_PARAMS = 600
_EPS = 1e-12
_SWITCH_GAIN = 1e-5  # EM hands over to Newton once an iteration gains less than this · |ℓ|
_TINY_WEIGHT = 1e-16  # posterior weights left out of the outer-product term of the Hessian
_CHUNK = 1 << 19  # entries of one block of complete-data scores in the Hessian


@functools.cache
def _grid(n_dims: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite_e.hermegauss(k)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * n_dims), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.ones(1)
    for _ in range(n_dims):
        weights = np.outer(weights, w).ravel()
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def gauss_hermite_grid(n_dims: int, n_points: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (Q, D) and weights (Q,) summing to 1 for the N(0, I_D) expectation."""
    k = QUADRATURE_POINTS[n_dims] if n_points is None else int(n_points)
    nodes, weights = _grid(int(n_dims), k)
    return nodes.copy(), weights.copy()


class _State:
    """One E-step: ℓ and the posterior at the item parameters ``beta`` = (a, d), (p, D + 1)."""

    __slots__ = ("P", "W", "beta", "fW", "loglik")

    def __init__(self, beta: np.ndarray, loglik: float, W: np.ndarray, fW: np.ndarray, P: Any):
        self.beta, self.loglik, self.W, self.fW, self.P = beta, loglik, W, fW, P


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
        self.complete = bool(self.mask.all())
        self.Y0 = np.where(self.mask, Y, 0.0)
        self.M = self.mask.astype(float)
        self.freq = freq
        self.n, self.p = Y.shape
        self.model = model
        self.D = n_dims
        k = QUADRATURE_POINTS[n_dims] if n_points is None else int(n_points)
        self.nodes, self.weights = _grid(n_dims, k)
        self.log_weights = np.log(self.weights)
        self.X = np.column_stack([self.nodes, np.ones(len(self.weights))])  # (Q, D + 1)
        self.Xt = np.ascontiguousarray(self.X.T)
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
        # ψ -> β = (a, d) row-major over (p, D + 1): ∂β/∂ψ for the 1PL, selected entries else.
        full = np.arange(self.p * (n_dims + 1)).reshape(self.p, n_dims + 1)
        self.select = np.concatenate([full[:, :n_dims][free], full[:, n_dims]])
        if model == "1pl":
            J = np.zeros((self.p * 2, self.p + 1))
            J[full[:, 0], 0] = 1.0
            J[full[:, 1], 1 + np.arange(self.p)] = 1.0
            self.jacobian: np.ndarray | None = J
        else:
            self.jacobian = None

    @property
    def n_params(self) -> int:
        if self.model == "1pl":
            return 1 + self.p
        return int(self.free_a.sum()) + self.p * (2 if self.estimate_c else 1)

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
        out: list[tuple[float | None, float | None]] = [(None, None)] * self.n_params
        if self.estimate_c:
            out[self.n_params - self.p :] = [(0.0, 0.6)] * self.p
        return out

    # -- E-step, c = 0 (1PL, 2PL, M2PL) ---------------------------------------------------
    def posterior(self, beta: np.ndarray) -> _State:
        """ℓ and the posterior at (a, d) = ``beta``: log P(y | θ_q) = Σ_i y η_iq − m log(1 + e^η),
        and Σ_i y_si η_iq = (Y β) x_q, so only the log(1 + e^η) term needs a (n, p) x (p, Q)
        product (none without missing cells)."""
        eta = beta @ self.Xt  # (p, Q)
        softplus = np.logaddexp(0.0, eta)
        L = (self.Y0 @ beta) @ self.Xt
        if self.complete:
            L -= softplus.sum(axis=0) - self.log_weights
        else:
            L -= self.M @ softplus
            L += self.log_weights
        top = L.max(axis=1, keepdims=True)
        W = np.exp(L - top)
        total = W.sum(axis=1, keepdims=True)
        loglik = float(self.freq @ (top[:, 0] + np.log(total[:, 0])))
        W /= total
        return _State(beta, loglik, W, W * self.freq[:, None], np.exp(eta - softplus))

    def _counts(self, st: _State) -> tuple[np.ndarray, np.ndarray]:
        r = self.Y0.T @ st.fW  # (p, Q)
        nq = np.broadcast_to(st.fW.sum(axis=0), r.shape) if self.complete else self.M.T @ st.fW
        return r, nq

    def beta_of(self, psi: np.ndarray) -> np.ndarray:
        a, d, _ = self.unpack(psi)
        return np.column_stack([a, d])

    def derivatives(self, st: _State, hessian: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """∂ℓ/∂ψ and (optionally) ∂²ℓ/∂ψ² at the state (Louis's identity; module notes)."""
        r, nq = self._counts(st)
        P, X = st.P, self.X
        grad_full = ((r - nq * P) @ X).ravel()
        if not hessian:
            return self._reduce(grad_full, None)
        p, k1 = self.p, self.D + 1
        # Built coefficient-major (column j·p + i for coefficient j of item i: long contiguous
        # products), then permuted to β's item-major layout.
        W, Y0, M = st.W, self.Y0, self.M
        # posterior mean scores ḡ_s: Σ_q W_sq (y_si − m_si P_iq) x_q
        WX = W @ X  # (n, D + 1)
        gbar = np.empty((self.n, k1 * p))
        for j in range(k1):
            expected = (W * X[:, j]) @ P.T
            gbar[:, j * p : (j + 1) * p] = Y0 * WX[:, j : j + 1] - (
                expected if self.complete else M * expected
            )
        gbar *= np.sqrt(self.freq)[:, None]
        H = -(gbar.T @ gbar)
        # Σ_sq f_s W_sq g_sq g_sqᵀ over the (s, q) with non-negligible weight
        s_all, q_all = np.nonzero(W > _TINY_WEIGHT)
        root_all = np.sqrt(st.fW[s_all, q_all])
        Pt = np.ascontiguousarray(P.T)
        step = max(1, _CHUNK // (p * k1))
        for lo in range(0, len(s_all), step):
            s, q = s_all[lo : lo + step], q_all[lo : lo + step]
            R = Y0.take(s, axis=0) - (
                Pt.take(q, axis=0) if self.complete else M.take(s, axis=0) * Pt.take(q, axis=0)
            )
            R *= root_all[lo : lo + step, None]
            Xq = X.take(q, axis=0)
            Z = np.concatenate([R * Xq[:, j : j + 1] for j in range(k1 - 1)] + [R], axis=1)
            H += Z.T @ Z
        # E_post of the complete-data Hessian: one (D + 1)² block per item
        curv = (nq * P * (1.0 - P)) @ (X[:, :, None] * X[:, None, :]).reshape(-1, k1 * k1)
        blocks = H.reshape(k1, p, k1, p)
        items = np.arange(p)
        blocks[:, items, :, items] -= curv.reshape(p, k1, k1)
        order = (np.arange(k1)[None, :] * p + np.arange(p)[:, None]).ravel()  # item-major
        H = H[np.ix_(order, order)]
        return self._reduce(grad_full, H)

    def _reduce(
        self, grad_full: np.ndarray, H: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if self.jacobian is not None:
            J = self.jacobian
            return J.T @ grad_full, None if H is None else J.T @ H @ J
        sel = self.select
        return grad_full[sel], None if H is None else H[np.ix_(sel, sel)]

    # -- E-step with guessing (3PL) ---------------------------------------------------------
    def gradient(self, psi: np.ndarray) -> tuple[float, np.ndarray]:
        """ℓ and ∂ℓ/∂ψ (Fisher's identity), any model."""
        if self.model != "3pl":
            st = self.posterior(self.beta_of(psi))
            return st.loglik, self.derivatives(st, hessian=False)[0]
        a, d, c = self.unpack(psi)
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
        # dℓ/dP = (r - n P) / (P (1 - P)); dP/dη = (1 - c) σ (1 - σ)
        resid = (r - nq * prob) / (prob * (1.0 - prob))
        g_eta = resid * (1.0 - c[:, None]) * sig * (1.0 - sig)  # (p, Q)
        g_a = g_eta @ self.nodes  # (p, D)
        parts = [g_a[self.free_a], g_eta.sum(axis=1)]
        if self.estimate_c:
            parts.append((resid * (1.0 - sig)).sum(axis=1))
        return loglik, np.concatenate(parts)

    def posterior_3pl(self, psi: np.ndarray) -> np.ndarray:
        a, d, c = self.unpack(psi)
        sig = 0.5 * (1.0 + np.tanh(0.5 * (a @ self.nodes.T + d[:, None])))
        prob = np.clip(c[:, None] + (1.0 - c[:, None]) * sig, _EPS, 1.0 - _EPS)
        L = self.Y0 @ np.log(prob) + (self.M - self.Y0) @ np.log1p(-prob) + self.log_weights
        W = np.exp(L - L.max(axis=1, keepdims=True))
        return W / W.sum(axis=1, keepdims=True)


def _start(Y: np.ndarray, freq: np.ndarray, n_dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Slopes from the leading eigenvectors of the frequency-weighted (mean-imputed) correlation
    matrix, converted to the logistic scale (a ≈ 1.7 λ / √(1 − λ²)); intercepts
    logit(mean)·√(1 + ‖a‖²/2.9)."""
    M = ~np.isnan(Y)
    Y0 = np.where(M, Y, 0.0)
    mean = np.clip((freq @ Y0) / np.maximum(freq @ M, 1e-300), 0.02, 0.98)
    Z = (np.where(M, Y0, mean) - mean) * np.sqrt(freq / freq.sum())[:, None]
    sd = np.sqrt((Z**2).sum(axis=0))
    R = (Z / sd).T @ (Z / sd)
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
    gain: float,
    trace: list[float],
    callback: Callable[[int, float], None] | None,
) -> tuple[_State, int]:
    """Bock–Aitkin EM for the 2PL / multidimensional 2PL (one Newton step per item per M-step),
    until an iteration gains less than ``gain`` · |ℓ|. Returns the last E-step."""
    free = np.column_stack([prob.free_a, np.ones(prob.p, dtype=bool)])  # (p, D + 1)
    fixed = np.nonzero(~free)
    X = prob.X
    XX = (X[:, :, None] * X[:, None, :]).reshape(len(X), -1)
    k1 = X.shape[1]
    beta = np.column_stack([a, d])
    last = -np.inf
    it = 0
    st = prob.posterior(beta)
    for it in range(1, max_iter + 1):
        trace.append(st.loglik)
        if callback is not None:
            callback(it, st.loglik)
        if st.loglik - last < gain * abs(st.loglik):
            break
        last = st.loglik
        r, nq = prob._counts(st)
        P = st.P
        g = (r - nq * P) @ X  # (p, D + 1)
        H = ((nq * P * (1 - P)) @ XX).reshape(prob.p, k1, k1)  # negative Hessian
        # fixed entries: unit diagonal, zero gradient, so the Newton step leaves them at 0
        g[fixed] = 0.0
        H[fixed[0], fixed[1], :] = 0.0
        H[fixed[0], :, fixed[1]] = 0.0
        H[fixed[0], fixed[1], fixed[1]] = 1.0
        H += 1e-8 * np.eye(k1)
        step = np.linalg.solve(H, g[:, :, None])[:, :, 0]
        # keep the step modest: EM steps far from the optimum can overshoot
        size = np.abs(step).max(axis=1, keepdims=True)
        beta = st.beta + step * np.minimum(1.0, 2.0 / np.maximum(size, 1e-300))
        st = prob.posterior(beta)
    return st, it


def _newton(
    prob: _Problem,
    st: _State,
    *,
    gtol: float,
    n_obs: float,
    max_iter: int,
    trace: list[float],
    callback: Callable[[int, float], None] | None,
) -> tuple[_State, np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """Newton's method on ℓ with the exact Hessian and a backtracking line search.

    A Hessian costs about p E-steps, so it is kept while it works: after a step that cut the
    largest gradient entry at least tenfold, the next step reuses it (a chord step); else it
    is recomputed. The Hessian returned is always the one at the returned point.

    Returns the final state, ψ, ∂ℓ/∂ψ and ∂²ℓ/∂ψ² there, the iterations and whether
    max |∂ℓ/∂ψ| / N < ``gtol`` was reached."""
    if prob.jacobian is not None:  # 1PL from the 2PL solution: the mean slope
        psi = prob.pack(st.beta[:, :1], st.beta[:, 1], prob.fixed_c)
        st = prob.posterior(prob.beta_of(psi))
    else:
        psi = st.beta.ravel()[prob.select]
    slack = 1e-12 * max(1.0, abs(st.loglik))  # rounding of ℓ
    g, H = prob.derivatives(st, hessian=True)
    assert H is not None
    current = True  # H belongs to the current point
    solve: Callable[[np.ndarray], np.ndarray] | None = None
    it = 0
    while True:
        done = bool(np.abs(g).max() / n_obs < gtol)
        if done or it >= max_iter:
            if not current:
                g, H = prob.derivatives(st, hessian=True)
                assert H is not None
            return st, psi, g, H, it, done
        if solve is None:
            solve = _ascent_solver(H)
        step = solve(g)
        slope = float(g @ step)
        t = 1.0
        for _ in range(40):
            trial = prob.posterior(prob.beta_of(psi + t * step))
            if trial.loglik >= st.loglik + 1e-4 * t * slope - slack:
                break
            t *= 0.5
        else:
            if current:
                return st, psi, g, H, it, False
            g, H = prob.derivatives(st, hessian=True)  # a stale Hessian: retry with a fresh one
            assert H is not None
            current, solve = True, None
            continue
        it += 1
        psi, st = psi + t * step, trial
        trace.append(st.loglik)
        if callback is not None:
            callback(len(trace), st.loglik)
        g_new = prob.derivatives(st, hessian=False)[0]
        if np.abs(g_new).max() <= 0.1 * np.abs(g).max():
            g, current = g_new, False
        else:
            g, H = prob.derivatives(st, hessian=True)
            assert H is not None
            current, solve = True, None


def _ascent_solver(H: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """g ↦ (−H)⁻¹ g; where −H is not positive definite its eigenvalues are replaced by their
    absolute values, which keeps the step an ascent direction."""
    try:
        factor = linalg.cho_factor(-H)
        return lambda g: linalg.cho_solve(factor, g)
    except linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(-H)
        vals = np.maximum(np.abs(vals), 1e-8 * np.abs(vals).max())
        return lambda g: vecs @ ((vecs.T @ g) / vals)


def _hessian_by_differences(prob: _Problem, psi: np.ndarray) -> np.ndarray:
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


def _collapse(Y: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows (NaN counts as a value), their summed frequencies, and the row -> pattern
    index."""
    missing = np.isnan(Y)
    p = Y.shape[1]
    binary = p <= 39 and bool(np.all((Y == 0) | (Y == 1) | missing))
    if binary:  # a base-3 integer code per row (0, 1, missing), exact below 3^40 < 2^63
        codes = np.where(missing, 2, Y).astype(np.int64)
        key = codes @ (3 ** np.arange(p, dtype=np.int64))
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        unique = Y[first]
    else:
        coded = np.where(missing, -1.0, Y)
        unique, inverse = np.unique(coded, axis=0, return_inverse=True)
        unique = np.where(unique < 0, np.nan, unique)
    inverse = inverse.ravel()
    return unique, np.bincount(inverse, weights=f, minlength=len(unique)), inverse


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
    # Identical response patterns share their likelihood: fit on the distinct rows with summed
    # frequencies, and map the abilities back at the end.
    Y, f, inverse = _collapse(Y, f)
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
    a0, d0 = _start(Y, f, n_dims_fit)
    em_problem = (
        problem
        if model in ("2pl", "m2pl")
        else _Problem(Y, f, "m2pl" if n_dims_fit > 1 else "2pl", n_dims_fit, None, n_points)
    )
    use_newton = model != "3pl" and problem.n_params <= min(NEWTON_MAX_PARAMS, max_hessian_params)
    st, n_em = _em(
        em_problem,
        a0,
        d0,
        max_iter=max_em_iter,
        gain=_SWITCH_GAIN if use_newton else 1e-9,
        trace=trace,
        callback=callback,
    )
    n_obs = float(f @ problem.M.sum(axis=1))
    H: np.ndarray | None = None
    n_newton = n_qn = 0
    converged = False
    if use_newton:
        st, psi, grad, H, n_newton, converged = _newton(
            problem, st, gtol=gtol, n_obs=n_obs, max_iter=100, trace=trace, callback=callback
        )
        loglik = st.loglik
        at_bound = np.zeros(psi.size, dtype=bool)
    if not converged:  # L-BFGS-B (3PL, many parameters, or Newton stopped short)
        if use_newton:
            psi0 = psi
        else:
            # start the 3PL at the 2PL optimum (c = 0 nests it) so the fit can only improve
            c0 = np.full(problem.p, 1e-3) if problem.estimate_c else problem.fixed_c
            psi0 = problem.pack(st.beta[:, :-1], st.beta[:, -1], c0)
        psi, loglik, grad, at_bound, n_qn = _quasi_newton(
            problem, psi0, gtol=gtol, n_obs=n_obs, trace=trace, callback=callback
        )
        H = None
    grad_max = float(np.abs(np.where(at_bound, 0.0, grad)).max() / n_obs)
    converged = grad_max < gtol
    a, d, c = problem.unpack(psi)

    se = np.full(psi.size, np.nan)
    if psi.size <= max_hessian_params:
        if H is None:
            if model == "3pl":
                H = _hessian_by_differences(problem, psi)
            else:
                st = problem.posterior(problem.beta_of(psi))
                H = problem.derivatives(st, hessian=True)[1]
        assert H is not None
        free = ~at_bound
        try:
            cov = np.linalg.inv(-H[np.ix_(free, free)])
            se[free] = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        except np.linalg.LinAlgError:
            pass
    se_a, se_d, se_c = _unpack_se(problem, se)

    if model == "3pl":
        post = problem.posterior_3pl(psi)
    else:
        if not np.array_equal(st.beta, problem.beta_of(psi)):
            st = problem.posterior(problem.beta_of(psi))
        post = st.W
    theta = post @ problem.nodes
    theta_sd = np.sqrt(np.maximum(post @ problem.nodes**2 - theta**2, 0.0))
    theta, theta_sd = theta[inverse], theta_sd[inverse]
    if model != "m2pl":
        # one dimension: orient so that abilities increase with the total score
        if a[:, 0].sum() < 0:
            a, theta = -a, -theta
    if model == "3pl":
        se_method = "inverse observed information (central differences of the exact gradient)"
    else:
        se_method = "inverse observed information (analytic Hessian, Louis's identity)"
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
        n_iter=n_em + n_newton + n_qn,
        criterion=f"max |∂ℓ/∂ψ| / N < {gtol:g} (reached {grad_max:.2e})",
        extra={
            "quadrature_points": len(problem.weights),
            "em_iterations": int(n_em),
            "newton_iterations": int(n_newton),
            "quasi_newton_iterations": int(n_qn),
            "n_observed": n_obs,
            "n_patterns": len(Y),
            "guessing": guessing,
            "seconds": time.perf_counter() - t0,
            "se_method": (
                se_method
                if psi.size <= max_hessian_params
                else f"not computed ({psi.size} > {max_hessian_params} parameters)"
            ),
        },
    )


def _quasi_newton(
    problem: _Problem,
    psi0: np.ndarray,
    *,
    gtol: float,
    n_obs: float,
    trace: list[float],
    callback: Callable[[int, float], None] | None,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, int]:
    """L-BFGS-B on −ℓ/N; returns ψ, ℓ, ∂ℓ/∂ψ, which ψ sit at a bound, iterations."""
    last: dict[str, float] = {}

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        loglik, grad = problem.gradient(psi)
        last["loglik"] = loglik
        return -loglik / n_obs, -grad / n_obs

    def record(psi: np.ndarray) -> None:  # the last evaluation is the accepted point
        trace.append(last["loglik"])
        if callback is not None:
            callback(len(trace), last["loglik"])

    bounds = problem.bounds()
    lower = np.array([-np.inf if lo is None else lo for lo, _ in bounds])
    upper = np.array([np.inf if hi is None else hi for _, hi in bounds])
    psi, n_iter, best = psi0, 0, -np.inf
    # L-BFGS-B can stall where ℓ is nearly flat (a guessing floor at its bound): restart it
    # with a fresh memory while it still gains
    for _ in range(5):
        res = optimize.minimize(
            objective,
            psi,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            callback=record,
            options={"maxiter": 5000, "ftol": 1e-16, "gtol": gtol * 1e-2, "maxcor": 30},
        )
        psi, n_iter = res.x, n_iter + int(res.nit)
        loglik, grad = problem.gradient(psi)
        at_bound = (psi <= lower + 1e-9) | (psi >= upper - 1e-9)
        if np.abs(np.where(at_bound, 0.0, grad)).max() / n_obs < gtol or loglik <= best:
            break
        best = loglik
    return psi, loglik, grad, at_bound, n_iter


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
