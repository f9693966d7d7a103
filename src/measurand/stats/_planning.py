"""How much data a claim needs: items, runs per item, seeds and episodes per arm.

With ``z = Φ⁻¹(1 − α/2) + Φ⁻¹(power)`` (two-sided level α = 1 − confidence_level) and the
variance of the estimated difference ``V``, a difference δ is detected with the given power when
``δ ≥ z · sqrt(V)``. The pieces:

- **items** (paired, same items for both models): ``V = deff · σ_d² / n`` with σ_d the sd of the
  per-item differences and ``deff`` the design effect of clustered items (the ratio of the
  cluster-robust to the independent-items variance, ≈ ``1 + (m − 1) ρ`` for clusters of m items
  with intra-cluster correlation ρ). ``n`` is solved exactly for the paired t test
  (noncentral t, :func:`measurand.stats.power_t_test`) and multiplied by ``deff``.
- **runs per item**: the per-item difference averages R runs, ``σ_d² = σ_item² + σ_run² / R``
  (σ_item: spread of the items' true differences; σ_run²: the run-to-run variance of one run's
  difference, the sum of both models' within-item variances). For fixed n items,
  ``R = σ_run² / (n δ² / (z² deff) − σ_item²)``; when the denominator is ≤ 0 no number of runs
  suffices (the items themselves are too few) and the error says what the items allow.
- **seeds per arm** (independent training runs): the two-sample t test on the seed-level metric
  with sd σ_seed, solved exactly.
- **episodes per arm** (binary outcome with success rate p): the two-proportion z test
  (:func:`measurand.stats.power_proportions`), converted to steps × seeds with the episodes per
  step; with a seed-to-seed sd σ_b of the success rate beyond binomial noise, S seeds of E
  episodes each need ``2 (σ_b² + p̄q̄ / E) / S ≤ (δ / z)²``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from scipy import stats

from measurand._result import Result
from measurand.errors import InputError, NoSolutionError
from measurand.stats import _validate
from measurand.stats._power import power_proportions, power_t_test

__all__ = [
    "EpisodesPlanResult",
    "ItemsPlanResult",
    "RunsPlanResult",
    "SeedsPlanResult",
    "detectable_difference",
    "episodes_for_difference",
    "items_for_difference",
    "runs_for_difference",
    "seeds_for_difference",
]


@dataclasses.dataclass(frozen=True)
class ItemsPlanResult(Result):
    """Items needed (``n_items``; ``n_clusters`` when a cluster size is given)."""

    n_items: int
    n_items_independent: int
    n_clusters: int | None
    sd: float
    mde: float
    power: float
    confidence_level: float
    design_effect: float


@dataclasses.dataclass(frozen=True)
class RunsPlanResult(Result):
    """Runs per item needed with ``n_items`` items; ``mde_floor`` is the smallest difference
    the items allow with infinitely many runs."""

    runs: int
    n_items: int
    sd_item: float
    sd_run: float
    mde: float
    mde_floor: float
    power: float
    confidence_level: float
    design_effect: float


@dataclasses.dataclass(frozen=True)
class SeedsPlanResult(Result):
    """Seeds (independent runs) per arm for a two-sample t test on a seed-level metric."""

    seeds_per_arm: int
    sd_seed: float
    mde: float
    power: float
    confidence_level: float


@dataclasses.dataclass(frozen=True)
class EpisodesPlanResult(Result):
    """Episodes per arm for a binary per-episode outcome, and steps per seed for seed counts.

    ``schedule`` rows: ``{"seeds": S, "steps": T, "episodes": S·T·episodes_per_step}`` (steps
    None when S seeds cannot reach the power whatever the steps, because of ``sd_seed``).
    """

    episodes_per_arm: int
    p: float
    mde: float
    power: float
    confidence_level: float
    episodes_per_step: int | None
    sd_seed: float
    min_seeds: int
    schedule: list[dict[str, int | None]]


_LARGE_N = 200.0


def _z(power: float, level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2) + stats.norm.ppf(power))


def _positive(value: float, name: str) -> float:
    value = _validate.finite(value, name)
    if value <= 0:
        raise InputError(f"{name} must be positive, got {value:g}", source=name)
    return value


def _deff(value: float) -> float:
    value = _validate.finite(value, "design_effect")
    if value <= 0:
        raise InputError(f"design_effect must be positive, got {value:g}", source="design_effect")
    return value


def items_for_difference(
    sd: float,
    mde: float,
    *,
    power: float = 0.8,
    confidence_level: float = 0.95,
    design_effect: float = 1.0,
    cluster_size: float | None = None,
) -> ItemsPlanResult:
    """Items needed to detect a paired mean difference ``mde`` given the sd of per-item
    differences (see the module doc)."""
    level = _validate.confidence_level(confidence_level)
    power = _validate.open_unit(power, "power")
    sd, mde, deff = _positive(sd, "sd"), _positive(mde, "mde"), _deff(design_effect)
    solved = power_t_test(effect_size=mde / sd, power=power, alpha=1 - level, kind="paired")
    n_iid = solved.n
    n_items = math.ceil(n_iid * deff - 1e-9)
    clusters = None
    if cluster_size is not None:
        clusters = math.ceil(n_items / _positive(cluster_size, "cluster_size") - 1e-9)
    return ItemsPlanResult(
        n_items=n_items,
        n_items_independent=math.ceil(n_iid - 1e-9),
        n_clusters=clusters,
        sd=sd,
        mde=mde,
        power=power,
        confidence_level=level,
        design_effect=deff,
    )


def detectable_difference(
    sd: float,
    n_items: int,
    *,
    power: float = 0.8,
    confidence_level: float = 0.95,
    design_effect: float = 1.0,
) -> float:
    """The smallest paired difference detected with ``power`` by ``n_items`` items."""
    level = _validate.confidence_level(confidence_level)
    power = _validate.open_unit(power, "power")
    sd, deff = _positive(sd, "sd"), _deff(design_effect)
    effective = n_items / deff
    if effective < 2:
        raise NoSolutionError(f"{n_items} items with design effect {deff:.3g} are too few")
    if effective >= _LARGE_N:
        # (t_{1-α/2} + t_power)/√n: within 7e-5 (relative) of the noncentral-t root from n = 200
        # on, and ~50x cheaper (an items report asks this for every pair).
        df = effective - 1
        quantiles = stats.t.ppf(0.5 + level / 2, df) + stats.t.ppf(power, df)
        return float(quantiles / math.sqrt(effective)) * sd
    solved = power_t_test(n=effective, power=power, alpha=1 - level, kind="paired")
    return float(solved.effect_size) * sd


def runs_for_difference(
    sd_item: float,
    sd_run: float,
    n_items: int,
    mde: float,
    *,
    power: float = 0.8,
    confidence_level: float = 0.95,
    design_effect: float = 1.0,
) -> RunsPlanResult:
    """Runs per item needed so that ``n_items`` items detect ``mde`` (see the module doc).

    Raises NoSolutionError when the items alone cannot: the message gives the floor.
    """
    level = _validate.confidence_level(confidence_level)
    power = _validate.open_unit(power, "power")
    sd_item = _validate.finite(sd_item, "sd_item")
    sd_run = _positive(sd_run, "sd_run")
    mde, deff = _positive(mde, "mde"), _deff(design_effect)
    if n_items < 2:
        raise InputError(f"n_items must be at least 2, got {n_items}")
    z = _z(power, level)
    floor = z * max(sd_item, 0.0) * math.sqrt(deff / n_items)
    room = n_items * (mde / z) ** 2 / deff - max(sd_item, 0.0) ** 2
    if room <= 0:
        raise NoSolutionError(
            f"{n_items} items cannot detect {mde:.4g} whatever the runs: the items' own spread "
            f"(sd {sd_item:.4g}) limits the detectable difference to {floor:.4g}; add items"
        )
    runs = max(1, math.ceil(sd_run**2 / room - 1e-9))
    return RunsPlanResult(
        runs=runs,
        n_items=int(n_items),
        sd_item=sd_item,
        sd_run=sd_run,
        mde=mde,
        mde_floor=floor,
        power=power,
        confidence_level=level,
        design_effect=deff,
    )


def seeds_for_difference(
    sd_seed: float, mde: float, *, power: float = 0.8, confidence_level: float = 0.95
) -> SeedsPlanResult:
    """Seeds per arm for a two-sample t test on a seed-level metric with sd ``sd_seed``."""
    level = _validate.confidence_level(confidence_level)
    power = _validate.open_unit(power, "power")
    sd_seed, mde = _positive(sd_seed, "sd_seed"), _positive(mde, "mde")
    solved = power_t_test(effect_size=mde / sd_seed, power=power, alpha=1 - level)
    return SeedsPlanResult(
        seeds_per_arm=max(2, int(solved.n_ceil or math.ceil(solved.n))),
        sd_seed=sd_seed,
        mde=mde,
        power=power,
        confidence_level=level,
    )


def episodes_for_difference(
    p: float,
    mde: float,
    *,
    power: float = 0.8,
    confidence_level: float = 0.95,
    episodes_per_step: int | None = None,
    seeds: Sequence[int] = (3, 5, 8, 16),
    sd_seed: float = 0.0,
) -> EpisodesPlanResult:
    """Episodes per arm to detect a rise of the success rate from ``p`` to ``p + mde``, and the
    steps per seed that deliver them for each seed count (see the module doc)."""
    level = _validate.confidence_level(confidence_level)
    power = _validate.open_unit(power, "power")
    p = _validate.open_unit(p, "p")
    mde = _positive(mde, "mde")
    if not p + mde < 1:
        raise InputError(f"p + mde must stay below 1, got {p + mde:g}")
    sd_seed = _validate.finite(sd_seed, "sd_seed")
    solved = power_proportions(p1=p, p2=p + mde, power=power, alpha=1 - level)
    episodes = int(solved.n_ceil or math.ceil(solved.n))
    z = _z(power, level)
    budget = (mde / z) ** 2
    pq = (p * (1 - p) + (p + mde) * (1 - p - mde)) / 2
    min_seeds = math.floor(2 * sd_seed**2 / budget) + 1 if sd_seed > 0 else 1
    schedule: list[dict[str, int | None]] = []
    for count in seeds:
        count = _validate.positive_int(count, "seeds")
        if sd_seed > 0:
            room = count * budget / 2 - sd_seed**2
            per_seed = math.ceil(pq / room) if room > 0 else None
        else:
            per_seed = math.ceil(episodes / count)
        steps = None
        total = None
        if per_seed is not None:
            if episodes_per_step:
                steps = math.ceil(per_seed / episodes_per_step)
                total = steps * episodes_per_step * count
            else:
                total = per_seed * count
        schedule.append({"seeds": count, "steps": steps, "episodes": total})
    return EpisodesPlanResult(
        episodes_per_arm=episodes,
        p=p,
        mde=mde,
        power=power,
        confidence_level=level,
        episodes_per_step=episodes_per_step,
        sd_seed=sd_seed,
        min_seeds=min_seeds,
        schedule=schedule,
    )
