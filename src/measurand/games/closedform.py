"""Closed-form sample size of the repeated game: L(k) = σ²/k + γk/ρ.

The per-round loss trades the benchmark's sampling noise (σ² / k with k tasks per round) against
leakage (γ per revealed task, k per round, remembered for 1/ρ rounds). Setting dL/dk = 0:

    k* = σ √(ρ / γ),   L* = L(k*) = 2 σ √(γ / ρ).

σ² is the variance of task performance under the evaluation distribution; measurand plugs in
σ² = Var_{f~π_E^(0)} f(θ_U) at the uniform-optimal model θ_U (:func:`plug_in_sigma`).
"""

from __future__ import annotations

import numpy as np

from measurand.errors import InputError
from measurand.games.primitives import Link, best_response, task_performance

__all__ = ["closed_form_loss", "optimal_k", "optimal_loss", "plug_in_sigma"]


def _check(sigma: float, gamma: float, rho: float) -> None:
    if sigma < 0 or gamma <= 0 or rho <= 0:
        raise InputError(
            f"the closed form needs sigma >= 0, gamma > 0 and rho > 0; got {sigma}, {gamma}, {rho}"
        )


def closed_form_loss(k: np.ndarray | float, *, sigma: float, gamma: float, rho: float):
    """L(k) = σ²/k + γk/ρ."""
    _check(sigma, gamma, rho)
    k = np.asarray(k, dtype=np.float64)
    return sigma**2 / k + gamma * k / rho


def optimal_k(*, sigma: float, gamma: float, rho: float) -> float:
    """k* = σ √(ρ/γ) (real-valued; the best integer is one of its two neighbours)."""
    _check(sigma, gamma, rho)
    return float(sigma * np.sqrt(rho / gamma))


def optimal_loss(*, sigma: float, gamma: float, rho: float) -> float:
    """L* = 2 σ √(γ/ρ)."""
    _check(sigma, gamma, rho)
    return float(2.0 * sigma * np.sqrt(gamma / rho))


def plug_in_sigma(z: np.ndarray, pi_e: np.ndarray, link: Link = "identity") -> float:
    """σ = sd_{f~π_E} f(θ_U), θ_U the best response to the uniform belief."""
    n = z.shape[0]
    perf = task_performance(z, best_response(np.full(n, 1.0 / n), z, link), link)
    mean = float(pi_e @ perf)
    return float(np.sqrt(pi_e @ (perf - mean) ** 2))
