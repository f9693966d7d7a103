"""Strategic evaluation games on task pools (numerics only: no files, no printing).

- :mod:`~measurand.games.pools`: task pools (synthetic stratified builder, validation);
- :mod:`~measurand.games.primitives`: performance, utility, best response, biased π_E;
- :mod:`~measurand.games.oneshot`: transparency vs randomized evaluation;
- :mod:`~measurand.games.repeated`: the repeated game with correction and its bound;
- :mod:`~measurand.games.closedform`: k* = σ√(ρ/γ).
"""

from __future__ import annotations

from measurand.games.closedform import closed_form_loss, optimal_k, optimal_loss, plug_in_sigma
from measurand.games.oneshot import OneShotCell, one_shot_cell, transparency_cell
from measurand.games.pools import TaskPool, synthetic_pool, validate_pool
from measurand.games.primitives import (
    axis_bias,
    best_response,
    evaluator_utility,
    kl_to_uniform,
    max_utility,
    prefix_bias,
    project_feasible,
    task_performance,
)
from measurand.games.repeated import RepeatedCell, misalignment_bound, repeated_cell

__all__ = [
    "OneShotCell",
    "RepeatedCell",
    "TaskPool",
    "axis_bias",
    "best_response",
    "closed_form_loss",
    "evaluator_utility",
    "kl_to_uniform",
    "max_utility",
    "misalignment_bound",
    "one_shot_cell",
    "optimal_k",
    "optimal_loss",
    "plug_in_sigma",
    "prefix_bias",
    "project_feasible",
    "repeated_cell",
    "synthetic_pool",
    "task_performance",
    "transparency_cell",
    "validate_pool",
]
