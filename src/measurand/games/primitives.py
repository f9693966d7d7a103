"""Primitives of the Stackelberg benchmark game: performance, utility, best response, biases.

Notation: a pool ``z`` (N, d) of non-negative task skill vectors in the unit ball; a model θ is a
non-negative capability allocation with ‖θ‖₂ ≤ 1 (the feasible set Θ = {θ ≥ 0, ‖θ‖ ≤ 1}).
Every function takes leading batch axes (e.g. one row per Monte Carlo repetition) and works on
all of them at once.

- Task performance f(θ) = g(z_f · θ) with g the identity (``link="identity"``) or the logistic
  g(s) = 1 / (1 + exp(−a (s − c))) with slope a = :data:`LOGISTIC_SLOPE` and centre
  c = :data:`LOGISTIC_CENTER` (measurand's choice: the scores z·θ lie in [0, 1], and this maps
  them onto most of (0, 1)). Both keep f in [0, 1].
- Evaluator utility u_E(θ) = Σ_f f_f(θ) (every task of the universe counts once).
- Builder best response to a belief q over tasks: θ* = argmax_{θ ∈ Θ} Σ_f q_f f_f(θ).
  Identity link: the objective is w · θ with w = Σ_f q_f z_f ≥ 0, maximised over Θ by
  θ* = w / ‖w‖ (Cauchy–Schwarz; a non-negative w is its own projection onto the cone).
  Logistic link: projected gradient ascent from the linear solution, step 1/L with
  L = a² · max_s |σ''(s)| · max_f ‖z_f‖² (a bound on the Hessian's norm; max |σ''| = 1/(6√3)),
  projection onto Θ = clip at 0 then scale into the ball (exact for this set).
- Biased evaluation distributions π_E: :func:`prefix_bias` (the first ``fraction`` of tasks weighted
  ``weight``×) and :func:`axis_bias` (weight growing with a task's share on one skill axis).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from measurand.errors import InputError

__all__ = [
    "LINKS",
    "LOGISTIC_CENTER",
    "LOGISTIC_SLOPE",
    "axis_bias",
    "best_response",
    "evaluator_utility",
    "kl_to_uniform",
    "max_utility",
    "prefix_bias",
    "project_feasible",
    "task_performance",
]

Link = Literal["identity", "logistic"]
LINKS: tuple[str, ...] = ("identity", "logistic")
LOGISTIC_SLOPE = 8.0
LOGISTIC_CENTER = 0.3
# max_s |d²/ds² sigmoid(s)| = 1/(6√3) ≈ 0.0962; the chain rule multiplies it by a².
_SIGMOID_CURVATURE = 1.0 / (6.0 * np.sqrt(3.0))


def _check_link(link: str) -> None:
    if link not in LINKS:
        raise InputError(f"link must be one of {', '.join(LINKS)}, got {link!r}")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def task_performance(z: np.ndarray, theta: np.ndarray, link: Link = "identity") -> np.ndarray:
    """f_f(θ) = g(z_f · θ) for every task: shape (..., N) for θ of shape (..., d)."""
    _check_link(link)
    score = np.asarray(theta) @ np.asarray(z).T
    if link == "identity":
        return score
    return _sigmoid(LOGISTIC_SLOPE * (score - LOGISTIC_CENTER))


def evaluator_utility(z: np.ndarray, theta: np.ndarray, link: Link = "identity") -> np.ndarray:
    """u_E(θ) = Σ_f f_f(θ), shape (...)."""
    return task_performance(z, theta, link).sum(axis=-1)


def project_feasible(theta: np.ndarray) -> np.ndarray:
    """Euclidean projection onto Θ = {θ ≥ 0, ‖θ‖ ≤ 1} along the last axis."""
    clipped = np.maximum(np.asarray(theta, dtype=np.float64), 0.0)
    norm = np.linalg.norm(clipped, axis=-1, keepdims=True)
    return clipped / np.maximum(norm, 1.0)


def _linear_response(w: np.ndarray) -> np.ndarray:
    w = np.maximum(w, 0.0)
    norm = np.linalg.norm(w, axis=-1, keepdims=True)
    d = w.shape[-1]
    # A zero belief-weighted skill vector leaves every θ equally good: take the balanced one.
    fallback = np.full_like(w, 1.0 / np.sqrt(d))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, w / np.where(norm > 0, norm, 1.0), fallback)


def best_response(
    q: np.ndarray,
    z: np.ndarray,
    link: Link = "identity",
    *,
    max_iter: int = 300,
    tol: float = 1e-10,
) -> np.ndarray:
    """θ* = argmax_{θ ∈ Θ} Σ_f q_f f_f(θ) for beliefs ``q`` of shape (..., N); returns (..., d).

    ``q`` need not be normalised (the argmax does not depend on its scale). For the logistic
    link the objective is not concave in general: the result is the projected-gradient ascent
    from the identity-link solution (a stationary point; see the module notes).
    """
    _check_link(link)
    q = np.asarray(q, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    theta = _linear_response(q @ z)
    if link == "identity":
        return theta
    a, c = LOGISTIC_SLOPE, LOGISTIC_CENTER
    qn = q / np.maximum(q.sum(axis=-1, keepdims=True), 1e-300)
    zmax2 = float((z**2).sum(axis=1).max())
    step = 1.0 / max(_SIGMOID_CURVATURE * a * a * zmax2, 1e-12)
    for _ in range(max_iter):
        s = theta @ z.T
        g = _sigmoid(a * (s - c))
        grad = (qn * a * g * (1.0 - g)) @ z
        new = project_feasible(theta + step * grad)
        moved = float(np.abs(new - theta).max())
        theta = new
        if moved < tol:
            break
    return theta


def max_utility(z: np.ndarray, link: Link = "identity") -> float:
    """max_{θ ∈ Θ} u_E(θ): the best response to the uniform belief (exact for the identity link)."""
    n = z.shape[0]
    theta = best_response(np.full(n, 1.0 / n), z, link)
    return float(evaluator_utility(z, theta, link))


def prefix_bias(n_tasks: int, *, fraction: float = 0.4, weight: float = 3.0) -> np.ndarray:
    """π_E with the first ⌈fraction · N⌉ tasks weighted ``weight``× the others, normalised."""
    if not 0.0 < fraction <= 1.0:
        raise InputError(f"prefix fraction must lie in (0, 1], got {fraction}")
    if weight <= 0:
        raise InputError(f"prefix weight must be positive, got {weight}")
    w = np.ones(int(n_tasks))
    w[: int(np.ceil(fraction * n_tasks))] = weight
    return w / w.sum()


def axis_bias(z: np.ndarray, *, axis: int = 0, weight: float = 3.0) -> np.ndarray:
    """π_E ∝ 1 + (weight − 1) · z_f,axis / ‖z_f‖: a task wholly on ``axis`` weighs ``weight``×."""
    z = np.asarray(z, dtype=np.float64)
    if not 0 <= axis < z.shape[1]:
        raise InputError(f"bias axis must lie in [0, {z.shape[1] - 1}], got {axis}")
    if weight <= 0:
        raise InputError(f"axis weight must be positive, got {weight}")
    share = z[:, axis] / np.maximum(np.linalg.norm(z, axis=1), 1e-300)
    w = 1.0 + (weight - 1.0) * share
    return w / w.sum()


def kl_to_uniform(pi: np.ndarray) -> np.ndarray:
    """KL(π ‖ U) = Σ_f π_f log(N π_f) along the last axis (0 log 0 = 0)."""
    pi = np.asarray(pi, dtype=np.float64)
    n = pi.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, pi * np.log(n * pi), 0.0)
    return terms.sum(axis=-1)
