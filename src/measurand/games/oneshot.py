"""One-shot evaluation game: deterministic transparency vs randomized evaluation.

The evaluator holds a biased evaluation distribution π_E over the N tasks of a pool and evaluates
a model on k tasks. Two mechanisms, each simulated for ``reps`` independent repetitions at once
(arrays with a leading repetition axis):

- **Deterministic transparency**: the evaluated set S* (k tasks drawn from π_E without
  replacement) is published before the builder trains; the builder best-responds to the uniform
  belief over S*: θ_T = BR(U(S*)). Its benchmark score is the mean of f over S*.
- **Randomized evaluation**: the evaluated set S (k tasks from π_E, without replacement) stays
  hidden. The builder does ERM on its own sample B of m tasks (uniform over the pool, without
  replacement; m = k unless ``builder_sample`` is given), mixed with what it knows of π_E by its
  **awareness** α: belief = (1 − α) · U(B) + α · π_E, θ_R = BR(belief). Its benchmark score is
  the mean of f over S.

Reported per (α, k) and mechanism, as means over repetitions with their standard errors:
``alignment`` = u_E(θ)/max_θ u_E, ``score`` = benchmark score, and the **asymmetry**
``score − u_E(θ)/N``: how far the benchmark overstates the model's average performance over the
universe (measurand's definition of "the asymmetry between them"). Transparency does not depend
on α; it is simulated once per k, with its own keyed streams.

Sampling k of N without replacement with probabilities π uses the Gumbel-top-k trick
(the k largest of log π_f + Gumbel draws), which is exact for successive sampling and vectorizes
over repetitions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.games.primitives import (
    Link,
    best_response,
    evaluator_utility,
    max_utility,
    task_performance,
)

__all__ = ["OneShotCell", "gumbel_top_k", "one_shot_cell", "transparency_cell"]


def gumbel_top_k(
    rng: np.random.Generator, probabilities: np.ndarray, k: int, reps: int
) -> np.ndarray:
    """Indices (reps, k) of k tasks drawn without replacement, P ∝ ``probabilities``."""
    p = np.asarray(probabilities, dtype=np.float64)
    with np.errstate(divide="ignore"):
        keys = np.log(p)[None, :] + rng.gumbel(size=(reps, p.shape[-1]))
    return np.argpartition(-keys, k - 1, axis=1)[:, :k]


def _uniform_over(idx: np.ndarray, n: int) -> np.ndarray:
    belief = np.zeros((idx.shape[0], n))
    np.put_along_axis(belief, idx, 1.0 / idx.shape[1], axis=1)
    return belief


def _set_mean(perf: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(perf, idx, axis=1).mean(axis=1)


@dataclasses.dataclass(frozen=True)
class OneShotCell(Result):
    """Means and standard errors over repetitions for one mechanism at one (α, k)."""

    mechanism: str
    awareness: float | None
    k: int
    reps: int
    alignment: float
    alignment_se: float
    score: float
    score_se: float
    asymmetry: float
    asymmetry_se: float


def _summary(mechanism: str, awareness: float | None, k: int, values: dict[str, np.ndarray]):
    reps = next(iter(values.values())).shape[0]
    out: dict[str, Any] = {"mechanism": mechanism, "awareness": awareness, "k": k, "reps": reps}
    for name, v in values.items():
        out[name] = float(v.mean())
        out[f"{name}_se"] = float(v.std(ddof=1) / np.sqrt(reps)) if reps > 1 else float("nan")
    return OneShotCell(**out)


def _check(z: np.ndarray, pi: np.ndarray, k: int, reps: int) -> None:
    n = z.shape[0]
    if pi.shape != (n,):
        raise InputError(f"pi_e must have one entry per task ({n}), got shape {pi.shape}")
    if not 1 <= k <= n:
        raise InputError(f"k must lie in [1, N] = [1, {n}], got {k}")
    if reps < 1:
        raise InputError(f"reps must be at least 1, got {reps}")


def _outcome(
    z: np.ndarray, theta: np.ndarray, evaluated: np.ndarray, link: Link, best: float
) -> dict[str, np.ndarray]:
    perf = task_performance(z, theta, link)
    utility = evaluator_utility(z, theta, link)
    score = _set_mean(perf, evaluated)
    return {
        "alignment": utility / best,
        "score": score,
        "asymmetry": score - utility / z.shape[0],
    }


def transparency_cell(
    z: np.ndarray,
    pi_e: np.ndarray,
    k: int,
    *,
    reps: int,
    rng: np.random.Generator,
    link: Link = "identity",
) -> OneShotCell:
    """Deterministic transparency at set size ``k`` (see the module notes)."""
    z = np.asarray(z, dtype=np.float64)
    pi_e = np.asarray(pi_e, dtype=np.float64)
    _check(z, pi_e, k, reps)
    evaluated = gumbel_top_k(rng, pi_e, k, reps)
    theta = best_response(_uniform_over(evaluated, z.shape[0]), z, link)
    return _summary(
        "transparency", None, k, _outcome(z, theta, evaluated, link, max_utility(z, link))
    )


def one_shot_cell(
    z: np.ndarray,
    pi_e: np.ndarray,
    k: int,
    awareness: Sequence[float],
    *,
    reps: int,
    rng: np.random.Generator,
    link: Link = "identity",
    builder_sample: int | None = None,
) -> list[OneShotCell]:
    """Randomized evaluation at set size ``k`` for each awareness α (common random numbers:
    the same evaluated sets and builder samples serve every α)."""
    z = np.asarray(z, dtype=np.float64)
    pi_e = np.asarray(pi_e, dtype=np.float64)
    _check(z, pi_e, k, reps)
    n = z.shape[0]
    m = k if builder_sample is None else int(builder_sample)
    if not 1 <= m <= n:
        raise InputError(f"builder_sample must lie in [1, {n}], got {m}")
    evaluated = gumbel_top_k(rng, pi_e, k, reps)
    own = gumbel_top_k(rng, np.full(n, 1.0 / n), m, reps)
    erm = _uniform_over(own, n)
    best = max_utility(z, link)
    cells = []
    for alpha in awareness:
        if not 0.0 <= alpha <= 1.0:
            raise InputError(f"awareness must lie in [0, 1], got {alpha}")
        belief = (1.0 - alpha) * erm + alpha * pi_e[None, :]
        theta = best_response(belief, z, link)
        cells.append(
            _summary("randomized", float(alpha), k, _outcome(z, theta, evaluated, link, best))
        )
    return cells
