"""Alternating block Newton for the joint MAP of the (multidimensional) 2PL.

With the item parameters fixed, the objective F of :mod:`measurand.latent.irt.scalable` splits
into one d-dimensional penalised logistic regression per subject (θ_s, prior N(0, I)); with θ
fixed, into one (d+1)-dimensional one per item ((a_i, d_i), priors N(0, σ_a² I), N(0, σ_d²)).
Each half-iteration takes one Newton step in every block at once:

    Δ_s = −H_s⁻¹ g_s,  g_s = Σ_i m_si (P_si − y_si) a_i + θ_s,
    H_s = Σ_i m_si P_si (1 − P_si) a_i a_iᵀ + I

(and the same for items with x_s = (θ_s, 1)), the gradients and Hessians of all blocks coming
from masked matrix products over row blocks of the dense (subjects × items) layout, the solves
from one batched Cholesky factorisation. Because F is a sum of the blocks' terms given the
other side, each block's step is checked on its own exact penalised objective in the next
pass (which computes it anyway): a block whose objective rose has its step halved and the pass
is redone, so F never increases. Each pass costs one evaluation of η = Θ Aᵀ + d over the
observed cells.

Stopping: relative decrease of F over a full iteration below ``ftol`` and the largest
gradient entry (θ block and item block, each at the start of its own step) below ``gtol``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["alternating_newton", "calibrate_items"]

_MIN_TAU2 = 1e-6
_TAU_RTOL = 1e-5  # τ's relative change that ends the calibration (far below its SE)


def _pass(
    torch: Any,
    Yt: Any,
    Wt: Any,
    th: Any,
    a: Any,
    d: Any,
    block: int,
    want: str,
) -> tuple[Any, Any, Any, Any]:
    """One sweep over row blocks at (θ, a, d).

    Returns the per-subject and per-item data terms Σ m (softplus(η) − y η) (float64) and,
    for ``want="theta"``, the θ gradient (n, D) and Hessians (n, D, D) of the data term; for
    ``want="item"`` the item gradient (p, D+1) and Hessians (p, D+1, D+1)."""
    n, D = th.shape
    p = a.shape[0]
    dev, dtype = th.device, th.dtype
    row_loss = torch.empty(n, dtype=torch.float64, device=dev)
    col_loss = torch.zeros(p, dtype=torch.float64, device=dev)
    if want == "theta":
        grad = torch.empty((n, D), dtype=dtype, device=dev)
        hess = torch.empty((n, D * D), dtype=dtype, device=dev)
        aa = (a[:, :, None] * a[:, None, :]).reshape(p, D * D)
    else:
        E = D + 1
        grad = torch.zeros((p, E), dtype=torch.float64, device=dev)
        hess = torch.zeros((p, E * E), dtype=torch.float64, device=dev)
        X = torch.cat([th, torch.ones((n, 1), dtype=dtype, device=dev)], dim=1)
    rows = min(n, block)
    buffers = [torch.empty((rows, p), dtype=dtype, device=dev) for _ in range(5)]
    zero = torch.zeros((), dtype=dtype, device=dev)
    for s in range(0, n, block):
        e = min(n, s + block)
        # preallocated buffers and in-place operations: fresh 10-100 MB temporaries per block
        # would be page-faulted in anew each time (a third of the run time as system time)
        eta, loss, prob, yb, wb = (buf[: e - s] for buf in buffers)
        torch.addmm(d, th[s:e], a.T, out=eta)
        yb.copy_(Yt[s:e])
        wb.copy_(Wt[s:e])
        torch.logaddexp(eta, zero, out=loss)  # softplus(η)
        loss.addcmul_(yb, eta, value=-1.0).mul_(wb)
        row_loss[s:e] = loss.sum(dim=1, dtype=torch.float64)
        col_loss += loss.sum(dim=0, dtype=torch.float64)
        torch.sigmoid(eta, out=prob)
        resid = yb.neg_().add_(prob).mul_(wb)  # (P − y) m, in yb's buffer
        weight = torch.mul(prob, prob, out=eta).neg_().add_(prob).mul_(wb)  # P(1 − P) m
        if want == "theta":
            grad[s:e] = resid @ a
            hess[s:e] = weight @ aa
        else:
            Xb = X[s:e]
            xx = (Xb[:, :, None] * Xb[:, None, :]).reshape(e - s, -1)
            grad += (resid.T @ Xb).double()
            hess += (weight.T @ xx).double()
    if want == "theta":
        return row_loss, col_loss, grad, hess.reshape(n, D, D)
    return row_loss, col_loss, grad.to(dtype), hess.reshape(p, D + 1, D + 1).to(dtype)


def _newton_step(torch: Any, grad: Any, hess: Any) -> Any:
    """−H⁻¹ g for a batch of symmetric positive-definite H (batched Cholesky)."""
    return -torch.cholesky_solve(grad.unsqueeze(-1), _cholesky(torch, hess)).squeeze(-1)


def _cholesky(torch: Any, hess: Any) -> Any:
    """Batched Cholesky factors; a numerically indefinite H gets a diagonal shift (its Newton
    step becomes a scaled gradient step)."""
    chol, info = torch.linalg.cholesky_ex(hess)
    if bool((info != 0).any()):  # numerically indefinite: a gradient step with unit curvature
        bad = info != 0
        eye = torch.eye(hess.shape[-1], dtype=hess.dtype, device=hess.device)
        chol[bad] = torch.linalg.cholesky(hess[bad] + eye * hess[bad].diagonal(0, 1, 2).abs().max())
    return chol


def _halved_step(
    torch: Any, base: Any, step: Any, old_obj: Any, evaluate: Callable[[Any], tuple[Any, Any]]
) -> tuple[Any, Any]:
    """base + step, each block's (row's) step halved until its own objective does not rise (at
    most 8 times). ``evaluate(new)`` returns (the blocks' objectives at ``new``, whatever the
    pass computed there); returns ``new`` and that output of its last evaluation."""
    scale = torch.ones(base.shape[0], 1, dtype=base.dtype, device=base.device)
    for _ in range(8):
        new = base + scale * step
        objective, computed = evaluate(new)
        worse = objective > old_obj + 1e-12 * old_obj.abs()
        if not bool(worse.any()):
            return new, computed
        scale[worse] *= 0.5
    new = base + scale * step  # the ninth try is taken whatever its objective
    return new, evaluate(new)[1]


def _balance(torch: Any, th: Any, a: Any, sd: float) -> Any:
    """T with Θ' = Θ T, A' = A T⁻ᵀ minimising ½‖Θ'‖² + ½‖A'‖²/σ_a² at fixed Θ Aᵀ.

    With Θ = Q₁R₁, A = Q₂R₂ and R₁R₂ᵀ = U S Vᵀ the minimum is ‖Θ Aᵀ‖_*/σ_a at
    Θ' = Q₁ U S^½ / √σ_a (Srebro et al. 2005); the data term is unchanged, so F cannot rise.
    This removes the slowest mode of plain alternation (the free D×D gauge between Θ and A)."""
    r1 = torch.linalg.qr(th.double(), mode="r")[1]
    r2 = torch.linalg.qr(a.double(), mode="r")[1]
    u, s, _ = torch.linalg.svd(r1 @ r2.T)
    if bool((s <= 1e-12 * s.max()).any()):
        return None
    return torch.linalg.solve(r1, u * (s.sqrt() / sd**0.5))


def alternating_newton(
    torch: Any,
    Yt: Any,
    Wt: Any,
    start: tuple[Any, Any, Any],
    priors: tuple[float, float],
    stopping: tuple[int, float, float],
    block: int,
    callback: Callable[[int, float, float], None] | None,
) -> tuple[tuple[Any, Any, Any], dict[str, Any]]:
    """Minimise F from ``start`` = (θ, a, d); see the module notes.

    Returns the optimum and a record: ``trace`` (F after each iteration), ``n_iter``,
    ``converged``, ``grad_inf``, ``nll`` (the data term at the optimum)."""
    th, a, d = (t.clone() for t in start)
    n, D = th.shape
    inv_va, inv_vd = 1.0 / priors[0] ** 2, 1.0 / priors[1] ** 2
    max_iter, ftol, gtol = stopping
    prior_item = torch.tensor([inv_va] * D + [inv_vd], dtype=th.dtype, device=th.device)

    def theta_penalty(t: Any) -> Any:
        return 0.5 * (t.double() ** 2).sum(dim=1)

    def item_penalty(aa: Any, dd: Any) -> Any:
        return 0.5 * (inv_va * (aa.double() ** 2).sum(dim=1) + inv_vd * dd.double() ** 2)

    row, col, g_th, h_th = _pass(torch, Yt, Wt, th, a, d, block, "theta")
    value = float(row.sum() + theta_penalty(th).sum() + item_penalty(a, d).sum())
    trace: list[float] = []
    converged = False
    grad_inf = float("inf")
    it = 0
    for it in range(1, max_iter + 1):
        previous = value
        # θ half-step: blocks are the subjects
        g_th = g_th + th
        h_th = h_th + torch.eye(D, dtype=th.dtype, device=th.device)
        grad_inf = float(g_th.abs().max())
        step = _newton_step(torch, g_th, h_th)

        def at_theta(new_th: Any, a: Any = a, d: Any = d) -> tuple[Any, Any]:
            out = _pass(torch, Yt, Wt, new_th, a, d, block, "item")
            return out[0] + theta_penalty(new_th), out

        th, (row, col, g_it, h_it) = _halved_step(
            torch, th, step, row + theta_penalty(th), at_theta
        )
        # item half-step: blocks are the items
        ad = torch.cat([a, d[:, None]], dim=1)
        g_it = g_it + prior_item * ad
        h_it = h_it + torch.diag(prior_item)
        grad_inf = max(grad_inf, float(g_it.abs().max()))
        step = _newton_step(torch, g_it, h_it)

        def at_items(new: Any, th: Any = th) -> tuple[Any, Any]:
            aa, dd = new[:, :D].contiguous(), new[:, D].contiguous()
            out = _pass(torch, Yt, Wt, th, aa, dd, block, "theta")
            return out[1] + item_penalty(aa, dd), out

        new, (row, col, g_th, h_th) = _halved_step(
            torch, ad, step, col + item_penalty(a, d), at_items
        )
        a, d = new[:, :D].contiguous(), new[:, D].contiguous()
        T = _balance(torch, th, a, priors[0])
        if T is not None:
            Ti = torch.linalg.inv(T).to(th.dtype)
            T = T.to(th.dtype)
            th, a = th @ T, a @ Ti.T
            g_th = g_th @ Ti.T
            h_th = Ti @ h_th @ Ti.T
        # the shift θ − μ, d + A μ leaves every η unchanged; take the μ minimising the penalty
        ata = a.double().T @ a.double() * inv_vd + n * torch.eye(D, dtype=torch.float64)
        rhs = th.double().sum(dim=0) - inv_vd * (a.double().T @ d.double())
        mu = torch.linalg.solve(ata, rhs).to(th.dtype)
        th, d = th - mu, d + a @ mu
        value = float(row.sum() + theta_penalty(th).sum() + item_penalty(a, d).sum())
        trace.append(value)
        if callback is not None:
            callback(it, value, grad_inf)
        if (previous - value) / max(abs(previous), 1.0) < ftol and grad_inf < gtol:
            converged = True
            break
    return (th, a, d), {
        "trace": trace,
        "n_iter": it,
        "converged": converged,
        "grad_inf": grad_inf,
        "nll": float(row.sum()),
    }


def calibrate_items(
    torch: Any,
    Yt: Any,
    Wt: Any,
    th: Any,
    start: tuple[Any, Any],
    intercept_prior_sd: float,
    stopping: tuple[int, float],
    block: int,
) -> tuple[tuple[Any, Any], dict[str, Any]]:
    """Item parameters given a standardised θ, with the slope prior's scale estimated.

    Maximises Σ_obs log p(y | θ, a, d) − ½ Σ_i ‖a_i‖²/τ² − ½ Σ_i d_i²/σ_d² over (a, d) at fixed
    θ, one batched Newton step over all items per pass, while τ² follows the EM (Laplace)
    update of the prior variance, τ² ← (Σ_i ‖â_i‖² + tr[H_i⁻¹]_aa) / (p D), H_i the item's
    posterior curvature (MacKay 1992; the empirical-Bayes estimate of a_i ~ N(0, τ² I)).
    A step that raises an item's own objective is halved for that item. Stops when the largest
    gradient entry is below ``gtol`` and τ moved by less than 1e-5 (relative) in the last
    update.

    Returns (a, d) and a record: ``tau`` (the slope prior SD in θ's unit-variance metric),
    ``n_iter``, ``converged``, ``grad_inf``, ``nll`` (the data term at the end)."""
    a, d = (t.clone() for t in start)
    D = th.shape[1]
    p = a.shape[0]
    max_iter, gtol = stopping
    inv_vd = 1.0 / intercept_prior_sd**2
    tau2 = max(float((a.double() ** 2).mean()), _MIN_TAU2)
    row, col, g, h = _pass(torch, Yt, Wt, th, a, d, block, "item")
    converged, grad_inf, passes = False, float("inf"), 0
    while passes < max_iter:
        passes += 1
        ad = torch.cat([a, d[:, None]], dim=1)
        prior = torch.tensor([1.0 / tau2] * D + [inv_vd], dtype=th.dtype, device=th.device)
        chol = _cholesky(torch, h + torch.diag(prior))
        # MacKay's fixed point τ² = ‖a‖² / γ, γ = pD − tr(H⁻¹)_aa / τ² the number of
        # well-determined slopes: the same stationary point as the EM update
        # τ² = (‖a‖² + tr(H⁻¹)_aa) / (pD), reached in far fewer passes when the data are weak.
        # (H⁻¹)_jj = ‖L⁻¹ e_j‖², so the slope block's trace needs only D triangular solves.
        unit = torch.eye(D + 1, D, dtype=th.dtype, device=th.device).expand(p, D + 1, D)
        spread = float((torch.linalg.solve_triangular(chol, unit, upper=False) ** 2).sum())
        gamma = p * D - spread / tau2
        # floored: slopes that all vanish would otherwise drive τ (and the prior's weight) to 0/∞
        new_tau2 = max(float((a.double() ** 2).sum()) / max(gamma, 1e-3 * p * D), _MIN_TAU2)
        tau_moved = abs(math.sqrt(new_tau2 / tau2) - 1.0)
        tau2 = new_tau2
        prior = torch.tensor([1.0 / tau2] * D + [inv_vd], dtype=th.dtype, device=th.device)
        grad = g + prior * ad
        grad_inf = float(grad.abs().max())
        if grad_inf < gtol and tau_moved < _TAU_RTOL:
            converged = True
            break
        # the factor of the curvature under the previous τ serves the step under the new one
        # (they differ by a diagonal shift of the slope prior; the halving below guards it)
        step = -torch.cholesky_solve(grad.unsqueeze(-1), chol).squeeze(-1)

        def penalty(x: Any, weights: Any = prior) -> Any:
            return 0.5 * ((x.double() ** 2) * weights.double()).sum(dim=1)

        def at_items(new: Any) -> tuple[Any, Any]:
            out = _pass(
                torch, Yt, Wt, th, new[:, :D].contiguous(), new[:, D].contiguous(), block, "item"
            )
            return out[1] + penalty(new), out

        new, (row, col, g, h) = _halved_step(torch, ad, step, col + penalty(ad), at_items)
        a, d = new[:, :D].contiguous(), new[:, D].contiguous()
    return (a, d), {
        "tau": math.sqrt(tau2),
        "n_iter": passes,
        "converged": converged,
        "grad_inf": grad_inf,
        "nll": float(row.sum()),
    }
