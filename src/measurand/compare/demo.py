"""The compare part of ``measurand demo``: Dopamine agents on six Atari games.

Uses the embedded ``measurand/data/dopamine_subset.csv.gz`` (DQN, C51 and Rainbow, five runs
each on asterix, breakout, pong, qbert, seaquest and spaceinvaders, 199 iterations; from
google/dopamine, Apache-2.0, see ``DOPAMINE_NOTICE.md``) and runs: learning curves with seed
bands, Rainbow vs DQN significance over the last 10 iterations of every game, and the
across-game IQM, mean, median, optimality gap, probabilities of improvement and performance
profiles of min-max normalized scores.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from measurand.compare.workflow import CompareResult, run_compare

__all__ = [
    "DEMO_BASELINE",
    "DEMO_CANDIDATE",
    "DEMO_FILE",
    "DEMO_WINDOW",
    "compare_demo",
    "load_dopamine_subset",
    "run_compare_demo",
    "summary_text",
]

DEMO_FILE = "dopamine_subset.csv.gz"
DEMO_BASELINE = "DQN"
DEMO_CANDIDATE = "Rainbow"
DEMO_WINDOW = "last:10"


def load_dopamine_subset() -> Any:
    """The embedded Dopamine subset as a :class:`measurand.io.RunData` (agent = condition,
    run = seed, game = task, iteration = step, metric ``return``)."""
    from measurand.io.table import read_table

    with resources.as_file(resources.files("measurand").joinpath("data", DEMO_FILE)) as path:
        data = read_table(
            path,
            condition="agent",
            seed="run",
            task="game",
            step="iteration",
            value="value",
        )
    # Name the packaged file, not this machine's install path, in reports.
    return dataclasses.replace(data, source=f"measurand/data/{DEMO_FILE}")


def compare_demo(
    *,
    seed: int = 0,
    n_resamples: int = 10_000,
    across_resamples: int = 50_000,
    progress: Callable[[str], None] | None = None,
) -> tuple[CompareResult, Any]:
    """Run the demo analyses; returns ``(result, report)`` without writing anything."""
    from measurand.report.compare import compare_report

    data = load_dopamine_subset()
    result = run_compare(
        data,
        baseline=DEMO_BASELINE,
        candidate=DEMO_CANDIDATE,
        window=DEMO_WINDOW,
        across_tasks=True,
        n_resamples=n_resamples,
        across_resamples=across_resamples,
        seed=seed,
        progress=progress,
    )
    report = compare_report(result)
    report.preamble.insert(
        0,
        "Demo data: Dopamine baselines (google/dopamine, Apache-2.0, © The Dopamine Authors): "
        "DQN, C51 and Rainbow, 5 runs each on 6 Atari games; the value is the score the "
        "baselines record per training iteration.\n",
    )
    return result, report


def summary_text(result: CompareResult) -> str:
    """A few plain lines: per game Rainbow - DQN with its verdict, then the IQM per agent."""
    import polars as pl

    lines = [
        f"compare demo: {DEMO_CANDIDATE} vs {DEMO_BASELINE}, mean of the last 10 iterations "
        "per run, 5 runs per agent (the run is the unit)"
    ]
    if result.significance is not None:
        for c in result.significance.comparisons:
            lines.append(
                f"  {c.task:<14} delta {c.delta:+.1f} [{c.ci.low:+.1f}, {c.ci.high:+.1f}] "
                f"p={c.pvalue:.4f} {c.verdict}"
            )
    for item in result.across_tasks:
        iqm = item.aggregates.filter(pl.col("metric") == "iqm")
        parts = [
            f"{row['condition']} {row['estimate']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
            for row in iqm.iter_rows(named=True)
        ]
        lines.append(
            f"  IQM of min-max normalized scores across {len(item.tasks)} games: "
            + "; ".join(parts)
        )
    return "\n".join(lines)


def run_compare_demo(
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    seed: int = 0,
    n_resamples: int = 10_000,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Write the compare demo report into ``<out_dir>/compare/`` and return a short summary.

    Refuses a non-empty ``<out_dir>/compare`` unless ``force``; the folder is written in one
    step (nothing half-written on failure).
    """
    from measurand.io.output import check_output_dir
    from measurand.report.document import write_report

    target = Path(out_dir) / "compare"
    check_output_dir(target, force=force)
    result, report = compare_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    write_report(target, report, result.to_dict(), force=force)
    return summary_text(result)
