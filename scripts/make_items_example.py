"""Write the SYNTHETIC item-level example shipped with measurand.

Output: ``src/measurand/data/items_example.csv.gz``.

Five made-up models answer the same items of three made-up tasks, three runs each (sampled
answers): ``arith`` (500 independent items), ``reading`` (60 passages of 8 questions: items of a
passage share a difficulty shift) and ``trivia`` (400 items). A response is correct with
probability ``sigmoid(ability[model, task] + easiness[item] + passage[item])``. Two models are
close on purpose (``model-c`` vs ``model-d``). Nothing here comes from a real evaluation.

Run: ``python scripts/make_items_example.py`` (deterministic; seed 20261206).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import polars as pl

OUT = Path(__file__).resolve().parents[1] / "src/measurand/data/items_example.csv.gz"
MODELS = ["model-a", "model-b", "model-c", "model-d", "model-e"]
ABILITY = {
    "arith": [1.2, 0.7, 0.3, 0.25, -0.4],
    "reading": [0.9, 0.8, 0.2, 0.3, -0.2],
    "trivia": [1.0, 0.4, 0.5, 0.4, -0.1],
}
RUNS = 3


def main() -> None:
    rng = np.random.default_rng(20261206)
    rows = []
    for task, ability in ABILITY.items():
        if task == "reading":
            n_passages, per = 60, 8
            n_items = n_passages * per
            passage = np.repeat(np.arange(n_passages), per)
            shift = rng.normal(0, 1.0, n_passages)[passage]
            cluster = [f"passage-{p:02d}" for p in passage]
        else:
            n_items = 500 if task == "arith" else 400
            shift = np.zeros(n_items)
            cluster = [f"{task}-{i:03d}" for i in range(n_items)]
        easiness = rng.normal(0, 1.3, n_items)
        for m, model in enumerate(MODELS):
            logit = ability[m] + easiness + shift
            p = 1 / (1 + np.exp(-logit))
            correct = rng.random((RUNS, n_items)) < p
            for r in range(RUNS):
                rows.append(
                    pl.DataFrame(
                        {
                            "model": model,
                            "task": task,
                            "item": [f"{task}-{i:03d}" for i in range(n_items)],
                            "passage": cluster,
                            "run": r,
                            "correct": correct[r].astype(np.int8),
                        }
                    )
                )
    frame = pl.concat(rows)
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    OUT.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    print(f"wrote {OUT} ({frame.height} rows)")


if __name__ == "__main__":
    main()
