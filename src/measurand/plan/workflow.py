"""``measurand plan``: how many items, runs per item, seeds or episodes a claim needs.

Two ways in:

- **numbers** (:func:`plan_from_numbers`): the sd of the paired per-item differences (``sd``),
  optionally the design effect and cluster size, the run decomposition (``sd_item``,
  ``sd_run``, ``n_items``), a seed-level sd (``sd_seed``) or a per-episode success rate (``p``,
  with ``episodes_per_step`` and seed counts); each given piece is answered;
- **a results folder** (:func:`plan_from_results`) of ``measurand items`` (per pair: sd of the
  differences, design effect, cluster size, run variances) or ``measurand compare`` (per
  comparison: the pooled seed sd). Without a target ``mde`` each pair is planned for its own
  observed difference ("how much data would confirm what I see?").

The formulas are in :mod:`measurand.stats._planning`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from measurand._result import Result
from measurand.errors import InputError, NoSolutionError
from measurand.stats._planning import (
    EpisodesPlanResult,
    ItemsPlanResult,
    RunsPlanResult,
    SeedsPlanResult,
    detectable_difference,
    episodes_for_difference,
    items_for_difference,
    runs_for_difference,
    seeds_for_difference,
)

__all__ = ["PlanResult", "PlanRow", "plan_from_numbers", "plan_from_results"]


@dataclasses.dataclass(frozen=True)
class PlanRow(Result):
    """One planned comparison. ``label`` names it (task and pair, or "given numbers");
    ``observed`` is the difference seen (None for numbers); ``mde_now`` the difference the
    current data detect with the target power; each answer is None where its inputs are absent,
    and ``notes`` says why an answer has no solution."""

    label: str
    mde: float
    observed: float | None
    n_items_now: int | None
    mde_now: float | None
    items: ItemsPlanResult | None
    runs: RunsPlanResult | None
    seeds: SeedsPlanResult | None
    episodes: EpisodesPlanResult | None
    notes: list[str]


@dataclasses.dataclass(frozen=True)
class PlanResult(Result):
    source: str
    kind: str
    power: float
    confidence_level: float
    rows: list[PlanRow]
    warnings: list[str]


def _guarded(notes: list[str], what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except NoSolutionError as exc:
        notes.append(f"{what}: {exc}")
        return None


def plan_from_numbers(
    *,
    mde: float,
    power: float = 0.8,
    confidence_level: float = 0.95,
    sd: float | None = None,
    design_effect: float = 1.0,
    cluster_size: float | None = None,
    n_items: int | None = None,
    sd_item: float | None = None,
    sd_run: float | None = None,
    sd_seed: float | None = None,
    p: float | None = None,
    episodes_per_step: int | None = None,
    seeds: Sequence[int] = (3, 5, 8, 16),
) -> PlanResult:
    """Answer every question the given numbers allow (see the module doc)."""
    if all(v is None for v in (sd, sd_run, sd_seed, p)):
        raise InputError(
            "nothing to plan: give --sd (items), --sd-run with --sd-item and --n-items (runs), "
            "--sd-seed (seeds) or --p (episodes), or --from a results folder"
        )
    notes: list[str] = []
    common = {"power": power, "confidence_level": confidence_level}
    items = None
    mde_now = None
    if sd is not None:
        items = items_for_difference(
            sd, mde, design_effect=design_effect, cluster_size=cluster_size, **common
        )
        if n_items is not None:
            mde_now = _guarded(
                notes,
                "detectable difference",
                detectable_difference,
                sd,
                n_items,
                design_effect=design_effect,
                **common,
            )
    runs = None
    if sd_run is not None:
        if n_items is None or sd_item is None:
            raise InputError("planning runs per item needs --sd-run, --sd-item and --n-items")
        runs = _guarded(
            notes,
            "runs",
            runs_for_difference,
            sd_item,
            sd_run,
            n_items,
            mde,
            design_effect=design_effect,
            **common,
        )
    seeds_plan = seeds_for_difference(sd_seed, mde, **common) if sd_seed is not None else None
    episodes = None
    if p is not None:
        episodes = episodes_for_difference(
            p,
            mde,
            episodes_per_step=episodes_per_step,
            seeds=seeds,
            sd_seed=0.0 if sd_seed is None else sd_seed,
            **common,
        )
    row = PlanRow(
        label="given numbers",
        mde=mde,
        observed=None,
        n_items_now=n_items,
        mde_now=mde_now,
        items=items,
        runs=runs,
        seeds=seeds_plan,
        episodes=episodes,
        notes=notes,
    )
    return PlanResult(
        source="numbers",
        kind="numbers",
        power=power,
        confidence_level=confidence_level,
        rows=[row],
        warnings=[],
    )


def _read_results(folder: Path) -> tuple[dict[str, Any], str]:
    path = folder / "results.json" if folder.is_dir() else folder
    if not path.is_file():
        raise InputError(
            "no results.json here (a folder written by items or compare?)", source=str(folder)
        )
    try:
        return json.loads(path.read_text(encoding="utf-8")), str(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a JSON file: {exc}", source=str(path)) from None


def plan_from_results(
    folder: str | Path,
    *,
    mde: float | None = None,
    power: float = 0.8,
    confidence_level: float = 0.95,
    pairs: Sequence[str] | None = None,
) -> PlanResult:
    """Plan from a ``measurand items`` or ``measurand compare`` results folder."""
    data, source = _read_results(Path(folder))
    if isinstance(data.get("tasks"), list) and data["tasks"] and "pairs" in data["tasks"][0]:
        rows = _items_rows(data, mde, power, confidence_level)
        kind = "items"
    elif isinstance(data.get("significance"), dict):
        rows = _compare_rows(data, mde, power, confidence_level)
        kind = "compare"
    else:
        raise InputError(
            "results.json is neither from `measurand items` nor `measurand compare`",
            source=source,
        )
    if pairs:
        wanted = set(pairs)
        rows = [r for r in rows if any(w in r.label for w in wanted)]
        if not rows:
            raise InputError(f"no comparison matches {', '.join(sorted(wanted))}", source=source)
    if not rows:
        raise InputError("no comparison in these results can be planned", source=source)
    return PlanResult(
        source=source,
        kind=kind,
        power=power,
        confidence_level=confidence_level,
        rows=rows,
        warnings=[],
    )


def _target(mde: float | None, observed: float, notes: list[str]) -> float | None:
    if mde is not None:
        return mde
    if observed == 0 or not math.isfinite(observed):
        notes.append("observed difference is 0: give --mde to plan for a target")
        return None
    return abs(observed)


def _items_rows(
    data: dict[str, Any], mde: float | None, power: float, level: float
) -> list[PlanRow]:
    rows = []
    common = {"power": power, "confidence_level": level}
    for task in data["tasks"]:
        n_items = int(task["n_items"])
        cluster_size = float(task.get("mean_cluster_size") or 1.0)
        for pair in task["pairs"]:
            notes: list[str] = []
            label = f"{task['task'] + ': ' if task['task'] else ''}{pair['a']} − {pair['b']}"
            observed = float(pair["difference"])
            target = _target(mde, observed, notes)
            sd = pair.get("sd_difference")
            deff = pair.get("design_effect")
            deff = float(deff) if deff is not None and math.isfinite(float(deff)) else 1.0
            items = runs = mde_now = None
            if sd is None or not sd > 0:
                notes.append("the two models score every item alike: nothing to plan")
            elif target is not None:
                items = items_for_difference(
                    sd,
                    target,
                    design_effect=deff,
                    cluster_size=cluster_size if cluster_size > 1 else None,
                    **common,
                )
                mde_now = _guarded(
                    notes,
                    "detectable difference",
                    detectable_difference,
                    sd,
                    n_items,
                    design_effect=deff,
                    **common,
                )
                if pair.get("sd_run") and pair.get("sd_item") is not None:
                    runs = _guarded(
                        notes,
                        "runs",
                        runs_for_difference,
                        pair["sd_item"],
                        pair["sd_run"],
                        n_items,
                        target,
                        design_effect=deff,
                        **common,
                    )
            rows.append(
                PlanRow(
                    label=label,
                    mde=target if target is not None else math.nan,
                    observed=observed,
                    n_items_now=n_items,
                    mde_now=mde_now,
                    items=items,
                    runs=runs,
                    seeds=None,
                    episodes=None,
                    notes=notes,
                )
            )
    return rows


def _compare_rows(
    data: dict[str, Any], mde: float | None, power: float, level: float
) -> list[PlanRow]:
    rows = []
    for comp in data["significance"].get("comparisons", []):
        notes: list[str] = []
        sd = comp.get("pooled_sd")
        observed = comp.get("delta")
        observed = float(observed) if observed is not None else math.nan
        parts = [comp.get("task") or "", comp.get("metric") or ""]
        names = f"{comp.get('candidate', 'candidate')} − {comp.get('baseline', 'baseline')}"
        label = " / ".join(p for p in parts if p) + f": {names}"
        target = _target(mde, observed, notes)
        seeds = None
        if sd is None or not sd > 0:
            notes.append("no seed-to-seed spread recorded")
        elif target is not None:
            seeds = seeds_for_difference(sd, target, power=power, confidence_level=level)
        rows.append(
            PlanRow(
                label=label,
                mde=target if target is not None else math.nan,
                observed=observed,
                n_items_now=None,
                mde_now=comp.get("mde"),
                items=None,
                runs=None,
                seeds=seeds,
                episodes=None,
                notes=notes,
            )
        )
    return rows
