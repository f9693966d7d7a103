"""Write small training campaigns in the ``retrain`` layout for the compare workflow tests.

``write_campaign(tmp_path / "camp", ...)`` creates::

    manifest.json
    runs/<condition>_s<seed>/metrics.jsonl
    runs/<condition>_s<seed>/emergence/steps.jsonl
    runs/<condition>_s<seed>/emergence/generations.jsonl

Per step each run draws ``total = batch_size * group_size`` completions, ``correct`` of them
correct (binomial with a rate that rises over training, plus the condition's ``lift``);
``metrics.jsonl`` logs ``correct_rate = correct / total`` so that the per-step counts and the
logged rates agree exactly, and ``expected_*`` helpers recompute what the tests expect.

``broken`` writes a damaged campaign: ``"bad_json"`` (a malformed line in the middle of a
metrics file), ``"no_runs"`` (an empty runs folder and no manifest), ``"missing_metric"``
(the second condition never logs ``exec_entropy_var``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from campaigns import RunFiles, write_campaign_layout

HICRA = "maxrl+gtpo_hicra"
SEPA = "maxrl+gtpo_sepa"


def write_campaign(
    root: Path,
    *,
    conditions: Sequence[str] = (HICRA, SEPA),
    seeds: Sequence[int | str] = (42, 101, 202),
    n_steps: int = 40,
    lift: Mapping[str, float] | None = None,
    exec_entropy_var: Mapping[str, float] | None = None,
    batch_size: int = 2,
    group_size: int = 8,
    skip_steps: Sequence[int] = (),
    short_runs: Mapping[tuple[str, str], int] | None = None,
    varying_totals: bool = False,
    manifest: bool = True,
    emergence: bool = True,
    broken: str | None = None,
    rng_seed: int = 0,
) -> Path:
    """Write a campaign into ``root`` (created) and return ``root``.

    ``lift`` adds to the correct rate of a condition; ``exec_entropy_var`` sets its level;
    ``skip_steps`` are steps no run logs (as when a step has no informative groups);
    ``short_runs`` maps ``(condition, str(seed))`` to a number of steps for runs that stop early;
    ``varying_totals`` draws the completions of each step as ``group_size`` times 1 to
    ``batch_size`` groups (as when uninformative groups are dropped) instead of a constant.
    """
    rng = np.random.default_rng(rng_seed)
    lift = dict(lift or {})
    entropy = dict(exec_entropy_var or {})
    short_runs = dict(short_runs or {})
    if broken == "no_runs":
        (root / "runs").mkdir(parents=True, exist_ok=True)
        return root
    runs: dict[tuple[str, int | str], RunFiles] = {}
    for cond_index, condition in enumerate(conditions):
        for seed in seeds:
            steps = short_runs.get((condition, str(seed)), n_steps)
            metric_lines: list[object] = []
            step_lines: list[object] = []
            generation_lines: list[object] = []
            for step in range(steps):
                if step in skip_steps:
                    continue
                total = batch_size * group_size
                if varying_totals:
                    total = group_size * int(rng.integers(1, batch_size + 1))
                rate = min(0.95, 0.1 + 0.4 * step / max(n_steps - 1, 1) + lift.get(condition, 0.0))
                correct = int(rng.binomial(total, max(rate, 0.0)))
                record = {
                    "step": step,
                    "condition": condition,
                    "correct_rate": correct / total,
                    "mean_reward": correct / total + float(rng.normal(0, 0.01)),
                    "loss": float(rng.normal(0.5, 0.1)),
                    "num_datums": total,
                    "batch_size": batch_size,
                    "group_size": group_size,
                    "plan_entropy_var": 2.0 + float(rng.normal(0, 0.05)),
                }
                if not (broken == "missing_metric" and cond_index == 1):
                    record["exec_entropy_var"] = entropy.get(condition, 1.0) + float(
                        rng.normal(0, 0.05)
                    )
                metric_lines.append(record)
                step_lines.append(
                    {
                        "step": step,
                        "mean_reward": record["mean_reward"],
                        "correct_count": correct,
                        "total_count": total,
                        "condition": condition,
                    }
                )
                for k in range(total):
                    generation_lines.append(
                        {
                            "step": step,
                            "prompt": f"p{step}",
                            "completion": "...",
                            "reward": 1.0 if k < correct else 0.0,
                            "num_tokens": 10,
                        }
                    )
            if broken == "bad_json" and cond_index == 0 and len(metric_lines) > 2:
                metric_lines[1] = '{"step": 1, "correct_rate": '
            runs[(condition, seed)] = RunFiles(
                metrics=metric_lines,
                steps=step_lines if emergence else None,
                generations=generation_lines if emergence else None,
            )
    return write_campaign_layout(root, runs, manifest=manifest, max_steps=n_steps, indent=2)


def run_records(root: Path) -> dict[tuple[str, str], list[dict]]:
    """``(condition, seed) -> metric records`` read back with the standard library."""
    out: dict[tuple[str, str], list[dict]] = {}
    for run_dir in sorted((root / "runs").iterdir()):
        condition, _, seed = run_dir.name.rpartition("_s")
        lines = (run_dir / "metrics.jsonl").read_text().splitlines()
        out[(condition, seed)] = [json.loads(line) for line in lines if line.strip()]
    return out


def count_records(root: Path) -> dict[tuple[str, str], list[dict]]:
    """``(condition, seed) -> emergence/steps.jsonl records``."""
    out: dict[tuple[str, str], list[dict]] = {}
    for run_dir in sorted((root / "runs").iterdir()):
        condition, _, seed = run_dir.name.rpartition("_s")
        path = run_dir / "emergence" / "steps.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        out[(condition, seed)] = [json.loads(line) for line in lines if line.strip()]
    return out
