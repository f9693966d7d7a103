"""Repeated evaluation game with correction, and the bound on its residual misalignment.

One cell = one (ρ, k) with ``reps`` independent repetitions simulated together (arrays with a
leading repetition axis; the only Python loop is over the T rounds). Round t = 1…T:

1. The evaluator draws k tasks S_t from π_E^(t−1) (with replacement) and publishes the benchmark
   score ŝ_t = mean_{f ∈ S_t} f(θ*_{t−1}) of the builder's current model, and S_t itself.
2. The builder adds S_t's counts to its Dirichlet(1, …, 1) posterior over tasks and best-responds
   to the posterior mean q_t = (1 + counts) / (N + kt): θ*_t = BR(q_t) (θ*_0 = BR(uniform)).
3. The evaluator corrects π_E^(t) = (1 − ρ) π_E^(t−1) + ρ c_t, with c_t

   - ``"uniform"``: c_t = U (the textbook correction), or
   - ``"gap"`` (gap-targeted): c_t ∝ K g_t where g_t,f = max(f(θ_U) − f(θ*_t), 0) is how far the
     builder falls below the uniform-optimal model θ_U on task f and
     K_fg = exp(−‖z_f − z_g‖² / (2 σ²)) a Gaussian kernel in skill space (width σ =
     ``kernel_width``); c_t = U when no task falls below.

4. Recorded: residual misalignment Δ_t = E_{f~π_E^(t)} f(θ*_t) − u_E(θ*_t)/N, KL(π_E^(t) ‖ U),
   leakage = |tasks revealed so far| / N, and the per-round loss

       ℓ_t = (ŝ_t − u_E(θ*_{t−1})/N)² + γ · m_t,   m_t = k · min(t, 1/ρ)

   (squared error of the published score as an estimate of the model's average performance —
   expectation Var_π f / k + bias² — plus a leakage cost γ per revealed task still within the
   correction's memory 1/ρ; measurand's empirical counterpart of L(k) = σ²/k + γk/ρ).

**Bound** (checked at every round and repetition, violations returned, never dropped):
Δ_t ≤ B_t = min(m_t / (m_t + N), (1 − ρ)^t √(D₀/2)) with D₀ = KL(π_E^(0) ‖ U). The second term
is a theorem for the uniform correction with f ∈ [0, 1]: π^(t) − U = (1 − ρ)^t (π^(0) − U), so
Δ_t ≤ TV(π^(t), U) ≤ (1 − ρ)^t √(D₀/2) (Pinsker). The first term bounds how far the builder's
posterior mean can move from uniform (TV(q_t, U) ≤ m/(m + N)); it is not a theorem for Δ_t as
defined above, so violations are possible and are reported with their cell.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.games.primitives import (
    Link,
    best_response,
    kl_to_uniform,
    task_performance,
)

__all__ = [
    "CORRECTIONS",
    "BoundCheck",
    "RepeatedCell",
    "gaussian_kernel",
    "misalignment_bound",
    "repeated_cell",
]

Correction = Literal["uniform", "gap"]
CORRECTIONS: tuple[str, ...] = ("uniform", "gap")


def gaussian_kernel(z: np.ndarray, width: float) -> np.ndarray:
    """K_fg = exp(−‖z_f − z_g‖² / (2 width²)), shape (N, N)."""
    if width <= 0:
        raise InputError(f"kernel width sigma must be positive, got {width}")
    sq = (z**2).sum(axis=1)
    dist2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (z @ z.T), 0.0)
    return np.exp(-dist2 / (2.0 * width * width))


def memory(rho: float, k: int, t: np.ndarray) -> np.ndarray:
    """m_t = k · min(t, 1/ρ) (k · t when ρ = 0)."""
    t = np.asarray(t, dtype=np.float64)
    return k * (t if rho == 0 else np.minimum(t, 1.0 / rho))


def misalignment_bound(rho: float, k: int, n_tasks: int, d0: float, t: np.ndarray) -> np.ndarray:
    """B_t = min(m_t / (m_t + N), (1 − ρ)^t √(D₀/2)) for rounds ``t``."""
    m = memory(rho, k, t)
    return np.minimum(m / (m + n_tasks), (1.0 - rho) ** np.asarray(t) * np.sqrt(d0 / 2.0))


@dataclasses.dataclass(frozen=True)
class BoundCheck(Result):
    """Δ_t against B_t over every round and repetition of one cell."""

    n_checked: int
    n_violations: int
    worst_excess: float
    worst_round: int | None
    rounds_violated: list[int]


@dataclasses.dataclass(frozen=True)
class RepeatedCell(Result):
    """Traces (length T, means over repetitions unless named) and totals for one (ρ, k)."""

    rho: float
    k: int
    rounds: int
    reps: int
    correction: str
    delta: np.ndarray
    delta_se: np.ndarray
    kl: np.ndarray
    leakage: np.ndarray
    loss: np.ndarray
    bound: np.ndarray
    final_delta: float
    final_delta_se: float
    final_loss: float
    total_loss: float
    total_loss_se: float
    bound_check: BoundCheck


def _sample_counts(rng: np.random.Generator, pi: np.ndarray, k: int) -> np.ndarray:
    """Counts (R, N) of k draws with replacement from each row's distribution (inverse CDF)."""
    reps, n = pi.shape
    cdf = np.cumsum(pi, axis=1)
    cdf /= cdf[:, -1:]
    offset = np.arange(reps, dtype=np.float64)[:, None]
    u = rng.random((reps, k))
    # Row r's CDF shifted by r makes one sorted array: one searchsorted serves every row.
    flat = np.searchsorted((cdf + offset).ravel(), (u + offset).ravel(), side="right")
    flat = np.minimum(flat, (np.repeat(np.arange(reps), k) + 1) * n - 1)
    return np.bincount(flat, minlength=reps * n).reshape(reps, n).astype(np.float64)


def repeated_cell(
    z: np.ndarray,
    pi_e: np.ndarray,
    *,
    rho: float,
    k: int,
    rounds: int,
    reps: int,
    rng: np.random.Generator,
    correction: Correction = "gap",
    kernel_width: float = 0.3,
    gamma: float = 1e-5,
    link: Link = "identity",
    kernel: np.ndarray | None = None,
) -> RepeatedCell:
    """Simulate one (ρ, k) cell of the repeated game (see the module notes)."""
    z = np.asarray(z, dtype=np.float64)
    n = z.shape[0]
    pi0 = np.asarray(pi_e, dtype=np.float64)
    if pi0.shape != (n,) or (pi0 < 0).any() or not np.isclose(pi0.sum(), 1.0):
        raise InputError(f"pi_e must be a distribution over the {n} tasks")
    if not 0.0 <= rho <= 1.0:
        raise InputError(f"rho must lie in [0, 1], got {rho}")
    if k < 1 or rounds < 1 or reps < 1:
        raise InputError(f"k, T and reps must be at least 1, got {k}, {rounds}, {reps}")
    if correction not in CORRECTIONS:
        raise InputError(f"correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}")

    uniform = np.full(n, 1.0 / n)
    perf_uniform_opt = task_performance(z, best_response(uniform, z, link), link)
    if correction == "gap" and kernel is None:
        kernel = gaussian_kernel(z, kernel_width)

    pi = np.broadcast_to(pi0, (reps, n)).copy()
    counts = np.zeros((reps, n))
    revealed = np.zeros((reps, n), dtype=bool)
    theta = np.broadcast_to(best_response(uniform, z, link), (reps, z.shape[1]))
    delta = np.empty((rounds, reps))
    kl = np.empty((rounds, reps))
    leak = np.empty((rounds, reps))
    sq_err = np.empty((rounds, reps))
    perf = task_performance(z, theta, link)
    for t in range(rounds):
        draws = _sample_counts(rng, pi, k)
        published = (draws * perf).sum(axis=1) / k
        sq_err[t] = (published - perf.mean(axis=1)) ** 2
        counts += draws
        revealed |= draws > 0
        theta = best_response(1.0 + counts, z, link)
        perf = task_performance(z, theta, link)
        if rho > 0:
            if correction == "uniform":
                target: Any = uniform
            else:
                gap = np.maximum(perf_uniform_opt[None, :] - perf, 0.0) @ kernel
                mass = gap.sum(axis=1, keepdims=True)
                target = np.where(mass > 0, gap / np.where(mass > 0, mass, 1.0), uniform)
            pi = (1.0 - rho) * pi + rho * target
        delta[t] = (pi * perf).sum(axis=1) - perf.mean(axis=1)
        kl[t] = kl_to_uniform(pi)
        leak[t] = revealed.mean(axis=1)

    t_axis = np.arange(1, rounds + 1)
    loss = sq_err + gamma * memory(rho, k, t_axis)[:, None]
    d0 = float(kl_to_uniform(pi0))
    bound = misalignment_bound(rho, k, n, d0, t_axis)
    excess = delta - bound[:, None]
    violated = excess > 1e-12
    worst = float(excess.max())
    total = loss.sum(axis=0)
    se = np.sqrt(1.0 / reps) if reps > 1 else float("nan")
    return RepeatedCell(
        rho=float(rho),
        k=int(k),
        rounds=int(rounds),
        reps=int(reps),
        correction=correction,
        delta=delta.mean(axis=1),
        delta_se=delta.std(axis=1, ddof=1) * se if reps > 1 else np.full(rounds, np.nan),
        kl=kl.mean(axis=1),
        leakage=leak.mean(axis=1),
        loss=loss.mean(axis=1),
        bound=bound,
        final_delta=float(delta[-1].mean()),
        final_delta_se=float(delta[-1].std(ddof=1) * se) if reps > 1 else float("nan"),
        final_loss=float(loss[-1].mean()),
        total_loss=float(total.mean()),
        total_loss_se=float(total.std(ddof=1) * se) if reps > 1 else float("nan"),
        bound_check=BoundCheck(
            n_checked=int(delta.size),
            n_violations=int(violated.sum()),
            worst_excess=worst,
            worst_round=int(t_axis[int(np.argmax(excess.max(axis=1)))]) if violated.any() else None,
            rounds_violated=[int(t) for t in t_axis[violated.any(axis=1)]],
        ),
    )
