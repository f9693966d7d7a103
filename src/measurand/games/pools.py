"""Task pools for the evaluation games: N tasks, each a non-negative skill vector in the unit ball.

A pool is a matrix ``z`` of shape (N, d): row f is task f's skill vector z_f ≥ 0 with ‖z_f‖₂ ≤ 1.
Pools come from a factor or IRT fit (``measurand factors --export-pool``, read by
:mod:`measurand.io.games`) or from :func:`synthetic_pool`.

Synthetic stratified pool (measurand's construction; the source's exact recipe is not published):
``d`` layers of ``n_per_layer`` tasks; a task of layer j has

    z_f = r_f · (e_j + s · u_f) / ‖e_j + s · u_f‖,   u_f,l ~ U(0, 1) for l ≠ j, u_f,j = 0,
    r_f ~ U(r_min, 1),

so it is concentrated on its own axis j, ``spill`` = s bounds every off-axis entry relative to
the main one (z_f,l / z_f,j ≤ s), all entries are non-negative and ‖z_f‖ = r_f ≤ 1. Tasks are
ordered layer by layer (the first ``n_per_layer`` rows are layer 0), so a "prefix" bias on the
first tasks is also a bias toward the first skills.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["NORM_TOLERANCE", "TaskPool", "synthetic_pool", "validate_pool"]

#: Rows may exceed length 1 by this much (float round-off of an exported pool).
NORM_TOLERANCE = 1e-9


@dataclasses.dataclass(frozen=True)
class TaskPool(Result):
    """A validated task pool.

    Attributes
    ----------
    z:
        Shape (N, d), non-negative rows of length ≤ 1.
    task_names:
        One name per row.
    layer:
        The layer (dominant axis by construction) of each task for synthetic pools, else ``None``.
    metadata:
        How the pool was made (builder and parameters, or the exporting pool's metadata).
    """

    z: np.ndarray
    task_names: tuple[str, ...]
    layer: np.ndarray | None
    metadata: dict[str, Any]

    @property
    def n_tasks(self) -> int:
        return int(self.z.shape[0])

    @property
    def n_skills(self) -> int:
        return int(self.z.shape[1])

    def to_dict(self) -> dict[str, Any]:
        # The matrix itself is not repeated in results.json; its summary is.
        norms = np.linalg.norm(self.z, axis=1)
        return {
            "n_tasks": self.n_tasks,
            "n_skills": self.n_skills,
            "norm_min": float(norms.min()),
            "norm_max": float(norms.max()),
            "axis_mass": (self.z**2).sum(axis=0).tolist(),
            "metadata": self.metadata,
        }


def validate_pool(
    z: object,
    *,
    source: str | None = None,
    task_names: Sequence[str] | None = None,
) -> np.ndarray:
    """Check a pool matrix and return it as float64 (N, d).

    Refused, with an :class:`InputError` naming ``source`` and the first offending row (0-based,
    with its name when given): not 2-D, empty, NaN/inf, a negative entry, a row longer than
    1 (+ :data:`NORM_TOLERANCE`), an all-zero row (a task that measures no skill), or a count of
    names that does not match the rows.
    """
    arr = np.asarray(z, dtype=np.float64) if not isinstance(z, np.ndarray) else z
    if arr.dtype.kind not in "fiu":
        raise InputError(f"pool z must be numeric, got dtype {arr.dtype}", source=source)
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(
            f"pool z must be a non-empty 2-D array (tasks x skills), got shape {arr.shape}",
            source=source,
        )
    if task_names is not None and len(task_names) != arr.shape[0]:
        raise InputError(
            f"pool has {arr.shape[0]} rows but {len(task_names)} task names", source=source
        )

    def where(row: int) -> str:
        name = f" ({task_names[row]!r})" if task_names is not None else ""
        return f"row {row}{name}"

    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise InputError(f"{where(int(np.argmax(bad)))} holds NaN or inf", source=source)
    neg = (arr < 0).any(axis=1)
    if neg.any():
        row = int(np.argmax(neg))
        raise InputError(
            f"{where(row)} has a negative entry ({arr[row].min():.4g}); pool skill vectors "
            "must be non-negative",
            source=source,
        )
    norms = np.linalg.norm(arr, axis=1)
    long = norms > 1.0 + NORM_TOLERANCE
    if long.any():
        row = int(np.argmax(long))
        raise InputError(
            f"{where(row)} has length {norms[row]:.6g} > 1; pool skill vectors must lie in the "
            "unit ball",
            source=source,
        )
    zero = norms == 0
    if zero.any():
        raise InputError(
            f"{where(int(np.argmax(zero)))} is all zeros (a task that measures no skill)",
            source=source,
        )
    return arr


def synthetic_pool(
    d: int = 8,
    n_per_layer: int = 80,
    *,
    spill: float = 0.25,
    r_min: float = 0.5,
    seed: SeedLike = None,
) -> TaskPool:
    """The stratified synthetic pool described in the module notes.

    Parameters
    ----------
    d:
        Number of skills (= layers).
    n_per_layer:
        Tasks per layer; N = d · n_per_layer.
    spill:
        Off-axis entries relative to the main one lie in [0, spill] (0 = pure one-skill tasks).
    r_min:
        Task lengths ‖z_f‖ are uniform on [r_min, 1].
    seed:
        Seed of the draws.
    """
    for name, value in (("d", d), ("n_per_layer", n_per_layer)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    if not 0.0 <= spill <= 1.0:
        raise InputError(f"spill must lie in [0, 1], got {spill}")
    if not 0.0 < r_min <= 1.0:
        raise InputError(f"r_min must lie in (0, 1], got {r_min}")
    rng = as_generator(seed)
    n = int(d) * int(n_per_layer)
    layer = np.repeat(np.arange(d), n_per_layer)
    off = rng.uniform(0.0, 1.0, size=(n, d)) * spill
    off[np.arange(n), layer] = 0.0
    direction = off
    direction[np.arange(n), layer] = 1.0
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    length = rng.uniform(r_min, 1.0, size=(n, 1))
    z = direction * length
    names = tuple(f"layer{j}_task{i}" for j in range(d) for i in range(n_per_layer))
    meta = {
        "made_by": "measurand.games.synthetic_pool",
        "d": int(d),
        "n_per_layer": int(n_per_layer),
        "spill": float(spill),
        "r_min": float(r_min),
        "order": "layer by layer (rows 0..n_per_layer-1 are layer 0)",
    }
    return TaskPool(z=validate_pool(z), task_names=names, layer=layer, metadata=meta)
