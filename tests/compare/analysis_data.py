"""Small RunData-like inputs for the window / curves / significance / multiple tests.

``long_frame(rows)`` builds a canonical long frame from ``(condition, seed, task, step, metric,
value)`` tuples; ``campaign(...)`` generates seeds x steps data with a per-seed offset (seed
effect) plus step noise, so that seed means and pooled steps behave differently, optionally
with correct/total counts; ``run_data(frame, counts)`` wraps them like ``measurand.io.RunData``.
``dopamine_path()`` locates the shared Dopamine table (``<repo>/../shared/data``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl

SCHEMA = {
    "condition": pl.Utf8,
    "seed": pl.Utf8,
    "task": pl.Utf8,
    "step": pl.Int64,
    "metric": pl.Utf8,
    "value": pl.Float64,
}


def long_frame(rows: Sequence[tuple]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SCHEMA, orient="row")


def run_data(frame: pl.DataFrame, counts: pl.DataFrame | None = None) -> SimpleNamespace:
    return SimpleNamespace(frame=frame, counts=counts, source="test", warnings=())


def campaign(
    levels: Mapping[str, float],
    *,
    n_seeds: int = 8,
    n_steps: int = 50,
    seed_sd: float = 0.02,
    step_sd: float = 0.05,
    metric: str = "correct_rate",
    task: str = "",
    rng_seed: int = 0,
    with_counts: bool = False,
    episodes_per_step: int = 32,
) -> SimpleNamespace:
    """``levels``: condition -> mean value. Values are ``level + seed offset + step noise``.

    With ``with_counts`` the metric is a rate: each step draws ``episodes_per_step`` episodes
    with that rate (clipped to [0.01, 0.99]) and logs ``correct / total``; the counts frame
    holds the same numbers.
    """
    rng = np.random.default_rng(rng_seed)
    rows, count_rows = [], []
    for condition, level in levels.items():
        for s in range(n_seeds):
            offset = rng.normal(0.0, seed_sd)
            noise = rng.normal(0.0, step_sd, n_steps)
            for step in range(n_steps):
                value = level + offset + noise[step]
                if with_counts:
                    rate = float(np.clip(value, 0.01, 0.99))
                    correct = int(rng.binomial(episodes_per_step, rate))
                    value = correct / episodes_per_step
                    count_rows.append((condition, str(s), step, correct, episodes_per_step))
                rows.append((condition, str(s), task, step, metric, float(value)))
    counts = (
        pl.DataFrame(
            count_rows,
            schema={
                "condition": pl.Utf8,
                "seed": pl.Utf8,
                "step": pl.Int64,
                "correct_count": pl.Int64,
                "total_count": pl.Int64,
            },
            orient="row",
        )
        if with_counts
        else None
    )
    return run_data(long_frame(rows), counts)


def seed_means(data: SimpleNamespace, condition: str, metric: str, lo: int, hi: int) -> np.ndarray:
    """Per-seed mean over ``lo <= step < hi``, computed with plain numpy (seeds in order)."""
    frame = data.frame.filter((pl.col("condition") == condition) & (pl.col("metric") == metric))
    seeds = np.asarray(frame["seed"].to_list())
    steps = frame["step"].to_numpy()
    values = frame["value"].to_numpy()
    order = list(dict.fromkeys(seeds.tolist()))
    return np.array([values[(seeds == s) & (steps >= lo) & (steps < hi)].mean() for s in order])


def dopamine_path() -> Path:
    from shared_paths import SHARED_DATA

    return SHARED_DATA / "dopamine_baselines.csv.gz"


def read_dopamine(agents: list[str], games: list[str]):
    """The shared Dopamine table restricted to ``agents`` x ``games``; skips when absent."""
    import pytest

    path = dopamine_path()
    if not path.exists():
        pytest.skip(f"shared Dopamine data not found at {path}")
    from measurand.io import table

    return table.read_table(
        path,
        condition="agent",
        seed="run",
        task="game",
        step="iteration",
        value="value",
        filters={"agent": agents, "game": games},
    )
