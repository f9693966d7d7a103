"""``measurand simulate``: the strategic evaluation games on a task pool, over whole grids.

Parts (each an independent grid of cells mapped by :func:`measurand.parallel.map_cells`):

- ``oneshot``: one cell per k; transparency and randomized evaluation for every awareness α
  (:mod:`measurand.games.oneshot`), ``oneshot_reps`` repetitions;
- ``repeated``: one cell per (ρ, k), the repeated game with ``correction`` (gap-targeted by
  default), T = ``rounds``, ``reps`` repetitions (:mod:`measurand.games.repeated`);
- ``bound``: the same (ρ, k) grid with the uniform (textbook) correction, under which the
  Pinsker term of the bound is a theorem; every violation of the bound is listed with its cell;
- ``closedform``: a k grid for each ρ in ``closedform_rhos`` (default 0.01 and 0.1): the empirical
  mean per-round loss (cumulative / T) against L(k) = σ²/k + γk/ρ, the empirical best k against
  k* = σ√(ρ/γ).

Randomness: the user's seed is the root; part P's cells are spawned (``SeedSequence.spawn``) from
``keyed_sequence(root, "simulate", P)``, the synthetic pool from
``keyed_sequence(root, "simulate", "pool")``. A cell's numbers depend on nothing else, so local
processes, a Dask cluster and any worker count give the same ``results.json``.

Evaluation distribution (measurand's default, the source's example): the first 40% of the pool's
tasks weighted 3× (``bias="prefix"``); ``bias="axis"`` weights tasks by their share on one skill.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.games import (
    OneShotCell,
    RepeatedCell,
    TaskPool,
    axis_bias,
    closed_form_loss,
    kl_to_uniform,
    one_shot_cell,
    optimal_k,
    optimal_loss,
    plug_in_sigma,
    prefix_bias,
    repeated_cell,
    transparency_cell,
)
from measurand.games.repeated import CORRECTIONS, gaussian_kernel
from measurand.parallel import CellFailure, map_cells
from measurand.stats._rng import keyed_sequence, recorded_seed, root_sequence

__all__ = [
    "PARTS",
    "ClosedFormCurve",
    "SimulateResult",
    "SimulateSettings",
    "run_simulate",
    "simulate_settings",
]

PARTS: tuple[str, ...] = ("oneshot", "repeated", "bound", "closedform")


@dataclasses.dataclass(frozen=True)
class SimulateSettings(Result):
    """Every parameter of a run (written to results.json and the manifest)."""

    seed: int | None
    parts: tuple[str, ...]
    rounds: int = 200
    reps: int = 50
    rhos: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
    ks: tuple[int, ...] = (1, 2, 3, 5, 8, 12, 18, 27, 40, 60)
    awareness: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
    oneshot_ks: tuple[int, ...] = (2, 5, 10, 20, 40, 80)
    oneshot_reps: int = 200
    closedform_rhos: tuple[float, ...] = (0.01, 0.1)
    closedform_ks: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 11, 16, 22, 32, 45, 64)
    bias: str = "prefix"
    bias_fraction: float = 0.4
    bias_weight: float = 3.0
    bias_axis: int = 0
    correction: str = "gap"
    kernel_width: float = 0.3
    gamma: float = 1e-5
    link: str = "identity"
    delta_rho: float = 0.1
    fast: bool = False


#: The reduced grid of ``--fast`` (a first look in well under a minute on 2 cores).
FAST_GRID: dict[str, Any] = {
    "rounds": 60,
    "reps": 10,
    "rhos": (0.0, 0.01, 0.1, 0.5),
    "ks": (1, 4, 16),
    "awareness": (0.0, 0.5, 1.0),
    "oneshot_ks": (4, 16, 64),
    "oneshot_reps": 50,
    "closedform_ks": (1, 2, 4, 8, 16, 32),
}


def simulate_settings(
    parts: Sequence[str], *, seed: int | None = 0, fast: bool = False, **overrides: Any
) -> SimulateSettings:
    """Settings for ``parts`` (the full grid, or :data:`FAST_GRID` with ``fast``), then
    ``overrides`` (``None`` values are ignored); every value is checked."""
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise InputError(f"parts must be among {', '.join(PARTS)}; got {list(parts)}")
    values: dict[str, Any] = dict(FAST_GRID) if fast else {}
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = SimulateSettings(seed=seed, parts=tuple(parts), fast=fast, **values)
    _check_settings(settings)
    return settings


def _check_settings(s: SimulateSettings) -> None:
    if s.rounds < 1 or s.reps < 1 or s.oneshot_reps < 2:
        raise InputError(
            f"--T and --reps must be at least 1 (one-shot reps at least 2); got T={s.rounds}, "
            f"reps={s.reps}, one-shot reps={s.oneshot_reps}"
        )
    if any(not 0.0 <= r <= 1.0 for r in s.rhos) or any(
        not 0.0 < r <= 1.0 for r in s.closedform_rhos
    ):
        raise InputError("correction rates rho must lie in [0, 1] (closed form: in (0, 1])")
    if any(k < 1 for k in (*s.ks, *s.oneshot_ks, *s.closedform_ks)):
        raise InputError("task counts k must be at least 1")
    if any(not 0.0 <= a <= 1.0 for a in s.awareness):
        raise InputError("awareness values must lie in [0, 1]")
    if s.correction not in CORRECTIONS:
        raise InputError(f"correction must be one of {', '.join(CORRECTIONS)}")
    if s.bias not in ("prefix", "axis"):
        raise InputError(f"bias must be 'prefix' or 'axis', got {s.bias!r}")
    if s.gamma <= 0 or s.kernel_width <= 0:
        raise InputError("gamma and the kernel width must be positive")


@dataclasses.dataclass(frozen=True)
class ClosedFormCurve(Result):
    """Closed form against simulation for one ρ."""

    rho: float
    sigma: float
    gamma: float
    k_star: float
    l_star: float
    ks: list[int]
    closed_form: list[float]
    empirical: list[float | None]
    empirical_se: list[float | None]
    empirical_best_k: int | None
    closed_form_best_k: int


@dataclasses.dataclass(frozen=True)
class SimulateResult(Result):
    """Everything one ``measurand simulate`` run computed."""

    settings: SimulateSettings
    pool: TaskPool
    pi_e: np.ndarray
    d0: float
    sigma: float
    oneshot: list[OneShotCell]
    repeated: list[RepeatedCell]
    bound: list[RepeatedCell]
    closedform: list[ClosedFormCurve]
    violations: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    manifest: dict[str, Any]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.pop("manifest")  # written to manifest.json: it holds how the run was executed
        return data


def evaluation_distribution(settings: SimulateSettings, z: np.ndarray) -> np.ndarray:
    if settings.bias == "prefix":
        return prefix_bias(z.shape[0], fraction=settings.bias_fraction, weight=settings.bias_weight)
    return axis_bias(z, axis=settings.bias_axis, weight=settings.bias_weight)


# ---- cell functions (module level: they travel to worker processes and Dask workers) ----


def _fresh(cell: dict[str, Any]) -> dict[str, Any]:
    """The cell with its arrays copied into fresh (aligned, C-ordered) memory.

    Arrays that arrive through Dask's serialization may sit in unaligned buffers, which sends
    numpy's reductions down other SIMD paths and changes the last bits of sums; a copy makes
    every backend compute on identical memory layouts.
    """
    return {
        k: np.array(v, dtype=np.float64, order="C") if k in ("z", "pi") else v
        for k, v in cell.items()
    }


def _oneshot_cell(cell: dict[str, Any], sequence: np.random.SeedSequence) -> list[OneShotCell]:
    cell = _fresh(cell)
    rng = np.random.default_rng(sequence)
    z, pi, k, reps, link = cell["z"], cell["pi"], cell["k"], cell["reps"], cell["link"]
    transparent = transparency_cell(z, pi, k, reps=reps, rng=rng, link=link)
    return [transparent, *one_shot_cell(z, pi, k, cell["awareness"], reps=reps, rng=rng, link=link)]


def _repeated_cell(cell: dict[str, Any], sequence: np.random.SeedSequence) -> RepeatedCell:
    cell = _fresh(cell)
    kernel = None
    if cell["correction"] == "gap" and cell["rho"] > 0:
        kernel = gaussian_kernel(cell["z"], cell["kernel_width"])
    return repeated_cell(
        cell["z"],
        cell["pi"],
        rho=cell["rho"],
        k=cell["k"],
        rounds=cell["rounds"],
        reps=cell["reps"],
        rng=np.random.default_rng(sequence),
        correction=cell["correction"],
        kernel_width=cell["kernel_width"],
        gamma=cell["gamma"],
        link=cell["link"],
        kernel=kernel,
    )


def _cell_params(cell: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cell.items() if k not in ("z", "pi")}


def run_simulate(
    pool: TaskPool,
    settings: SimulateSettings,
    *,
    scheduler: Any = None,
    n_workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulateResult:
    """Run the chosen parts on ``pool`` (see the module notes)."""
    say = progress or (lambda _text: None)
    root = root_sequence(settings.seed)
    z = np.asarray(pool.z, dtype=np.float64)
    if settings.bias == "axis" and not 0 <= settings.bias_axis < z.shape[1]:
        raise InputError(f"--bias-axis must lie in [0, {z.shape[1] - 1}]")
    too_big = [k for k in settings.oneshot_ks if k > z.shape[0]]
    if "oneshot" in settings.parts and too_big:
        raise InputError(f"one-shot k {too_big} exceed the pool's {z.shape[0]} tasks")
    pi = evaluation_distribution(settings, z)
    sigma = plug_in_sigma(z, pi, settings.link)  # type: ignore[arg-type]
    common = {"z": z, "pi": pi, "link": settings.link}
    manifest: dict[str, Any] = {
        "seed": recorded_seed(settings.seed),
        "seed_scheme": "part P's cell i uses keyed_sequence(SeedSequence(seed), 'simulate', P)"
        ".spawn(n_cells)[i]",
        "settings": settings.to_dict(),
        "pool": pool.to_dict(),
        "parts": {},
        "run": {},
    }
    failures: list[CellFailure] = []
    found: dict[str, list[Any]] = {}
    started = time.perf_counter()

    def run_part(name: str, fn: Any, cells: list[dict[str, Any]]) -> list[Any]:
        part_seed = keyed_sequence(root, "simulate", name)
        mapped = map_cells(
            fn,
            cells,
            seed=part_seed,
            scheduler=scheduler,
            n_workers=n_workers,
            progress=lambda done, total: say(f"{name}: {done}/{total} cells"),
        )
        children = part_seed.spawn(len(cells))
        manifest["parts"][name] = {
            "seed_labels": ["simulate", name],
            "cells": [
                {"index": i, "spawn_key": list(children[i].spawn_key), **_cell_params(c)}
                for i, c in enumerate(cells)
            ],
        }
        manifest["run"][name] = {"backend": mapped.backend, "workers": mapped.n_workers}
        failures.extend(
            CellFailure(f.index, {"part": name, **_cell_params(f.params)}, f.error, f.traceback)
            for f in mapped.failures
        )
        return [r for r in mapped.results if r is not None]

    if "oneshot" in settings.parts:
        cells = [
            {**common, "k": int(k), "reps": settings.oneshot_reps, "awareness": settings.awareness}
            for k in settings.oneshot_ks
        ]
        found["oneshot"] = [c for group in run_part("oneshot", _oneshot_cell, cells) for c in group]

    def grid(rhos: Sequence[float], ks: Sequence[int], correction: str) -> list[dict[str, Any]]:
        return [
            {
                **common,
                "rho": float(rho),
                "k": int(k),
                "rounds": settings.rounds,
                "reps": settings.reps,
                "correction": correction,
                "kernel_width": settings.kernel_width,
                "gamma": settings.gamma,
            }
            for rho in rhos
            for k in ks
        ]

    if "repeated" in settings.parts:
        cells = grid(settings.rhos, settings.ks, settings.correction)
        found["repeated"] = run_part("repeated", _repeated_cell, cells)
    if "bound" in settings.parts:
        found["bound"] = run_part(
            "bound", _repeated_cell, grid(settings.rhos, settings.ks, "uniform")
        )
    curves: list[ClosedFormCurve] = []
    if "closedform" in settings.parts:
        cells = grid(settings.closedform_rhos, settings.closedform_ks, settings.correction)
        simulated = run_part("closedform", _repeated_cell, cells)
        curves = [
            _closed_form_curve(rho, settings, sigma, simulated) for rho in settings.closedform_rhos
        ]
    manifest["run"]["wall_seconds"] = round(time.perf_counter() - started, 3)

    violations = [
        {
            "part": part,
            "rho": c.rho,
            "k": c.k,
            "correction": c.correction,
            "n_violations": c.bound_check.n_violations,
            "n_checked": c.bound_check.n_checked,
            "worst_excess": c.bound_check.worst_excess,
            "worst_round": c.bound_check.worst_round,
            "rounds_violated": c.bound_check.rounds_violated,
        }
        for part in ("bound", "repeated")
        for c in found.get(part, [])
        if c.bound_check.n_violations
    ]
    warnings = []
    if failures:
        warnings.append(f"{len(failures)} cell(s) failed; see failures (the others are kept)")
    n_bound = sum(v["part"] == "bound" for v in violations)
    if n_bound:
        warnings.append(
            f"the misalignment bound is violated in {n_bound} (rho, k) cell(s) of the uniform-"
            "correction grid; see violations"
        )
    return SimulateResult(
        settings=settings,
        pool=pool,
        pi_e=pi,
        d0=float(kl_to_uniform(pi)),
        sigma=sigma,
        oneshot=found.get("oneshot", []),
        repeated=found.get("repeated", []),
        bound=found.get("bound", []),
        closedform=curves,
        violations=violations,
        failures=[f.to_dict() for f in failures],
        manifest=manifest,
        warnings=warnings,
    )


def _closed_form_curve(
    rho: float, settings: SimulateSettings, sigma: float, simulated: list[RepeatedCell]
) -> ClosedFormCurve:
    by_k = {c.k: c for c in simulated if c.rho == rho}
    ks = list(settings.closedform_ks)
    empirical = [by_k[k].total_loss / settings.rounds if k in by_k else None for k in ks]
    empirical_se = [by_k[k].total_loss_se / settings.rounds if k in by_k else None for k in ks]
    theory = closed_form_loss(np.array(ks), sigma=sigma, gamma=settings.gamma, rho=rho)
    finite = [(v, k) for v, k in zip(empirical, ks, strict=True) if v is not None]
    return ClosedFormCurve(
        rho=rho,
        sigma=sigma,
        gamma=settings.gamma,
        k_star=optimal_k(sigma=sigma, gamma=settings.gamma, rho=rho),
        l_star=optimal_loss(sigma=sigma, gamma=settings.gamma, rho=rho),
        ks=ks,
        closed_form=theory.tolist(),
        empirical=empirical,
        empirical_se=empirical_se,
        empirical_best_k=min(finite)[1] if finite else None,
        closed_form_best_k=ks[int(np.argmin(theory))],
    )
