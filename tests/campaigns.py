"""The one writer of ``retrain``-layout campaigns for the tests (``io``, ``compare``...).

``write_campaign_layout(root, runs)`` writes, for each run ``(condition, seed) -> RunFiles``::

    runs/<condition>_s<seed>/metrics.jsonl
    runs/<condition>_s<seed>/emergence/steps.jsonl          (when given)
    runs/<condition>_s<seed>/emergence/generations.jsonl    (when given)

and ``manifest.json`` listing the runs. Callers decide what the records hold (the compare tests
draw binomial counts, the io tests write exact values); this module owns only the layout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RunFiles:
    """The lines of one run's files: JSON records, or raw text lines (for damaged files)."""

    metrics: Sequence[object]
    steps: Sequence[object] | None = None
    generations: Sequence[object] | None = None
    cmd: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)  # more files: relative path -> text


def _lines(records: Sequence[object]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def write_campaign_layout(
    root: Path,
    runs: Mapping[tuple[str, int | str], RunFiles],
    *,
    manifest: bool = True,
    log_dir_prefix: str = "logs/campaign_fixture/runs",
    timestamp: str = "2025-02-15T14:30:22",
    max_steps: int | None = None,
    indent: int | None = None,
) -> Path:
    """Write ``runs`` into ``root`` (created) in the retrain layout and return ``root``."""
    (root / "runs").mkdir(parents=True, exist_ok=True)
    entries = []
    for (condition, seed), files in runs.items():
        name = f"{condition}_s{seed}"
        run_dir = root / "runs" / name
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "metrics.jsonl").write_text(_lines(files.metrics))
        for kind, records in (("steps", files.steps), ("generations", files.generations)):
            if records is not None:
                (run_dir / "emergence").mkdir(exist_ok=True)
                (run_dir / "emergence" / f"{kind}.jsonl").write_text(_lines(records))
        for relative, text in files.extra.items():
            (run_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (run_dir / relative).write_text(text)
        entries.append(
            {
                "condition": condition,
                "seed": seed,
                "run_name": name,
                # retrain writes the log folder as given at launch, relative to its cwd.
                "log_dir": f"{log_dir_prefix}/{name}",
                "cmd": files.cmd or f"retrain --condition {condition} --seed {seed}",
            }
        )
    if manifest:
        conditions = list(dict.fromkeys(c for c, _ in runs))
        seeds = list(dict.fromkeys(s for _, s in runs))
        document = {
            "timestamp": timestamp,
            "conditions": conditions,
            "seeds": seeds,
            "max_steps": max_steps,
            "num_runs": len(entries),
            "runs": entries,
        }
        (root / "manifest.json").write_text(json.dumps(document, indent=indent))
    return root
