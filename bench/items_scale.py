"""Benchmark: ``measurand items`` at scale against evalstats' ``compare`` on the same table.

Workload (the issue's): 10 models x 14,000 items x 5 runs = 700,000 binary scores, the items in
140 clusters of 100 (a cluster shares a difficulty shift, and each model's strength varies by
cluster: logit sd 0.25), every pair of models (45), 10,000
bootstrap resamples with family-wise (Romano-Wolf) p-values. The table is generated here
(numpy ``default_rng(20261206)``) and written to a temporary ``.npz``.

Each tool runs in its own child process, so that its peak resident memory is its own:

* measurand: :func:`measurand.items.run_items` on the table read into
  :class:`~measurand.io.items.ItemData` (cluster column given), ``n_resamples=10_000`` - the
  whole workflow: per-model CR1 and bootstrap intervals, all pairs (paired CR1 intervals,
  McNemar where binary, Holm/BH, Romano-Wolf), ranks, disagreement;
* evalstats 0.3 (``evalstats.compare(load_from(df), factors="model", n_bootstrap=10_000)``,
  its documented call; runs are averaged within items, Romano-Wolf p-values by default; it has
  no cluster option, so the cluster column is not passed) in the side venv
  ``bench/.venv-evalstats`` (``python -m venv bench/.venv-evalstats &&
  bench/.venv-evalstats/bin/pip install 'evalstats==0.3.*'``). Where that venv is missing the
  script says so and times measurand alone.

Printed: wall seconds and peak RSS of each, the ratio, and the 95 % interval width of the
closest pair from each (evalstats' ignores the clusters, so it is narrower). Targets: measurand
< 2 s and < 1 GB. Run: ``python bench/items_scale.py`` (``--resamples`` to change B).
Timings on a shared machine are contended; compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS, ITEMS, RUNS, CLUSTERS = 10, 14_000, 5, 140
TARGET_SECONDS, TARGET_MB = 2.0, 1024.0
SIDE_PYTHON = Path(__file__).resolve().parent / ".venv-evalstats" / "bin" / "python"


def make_table(path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(20261206)
    cluster = np.repeat(np.arange(CLUSTERS), ITEMS // CLUSTERS)
    easiness = rng.normal(0, 1.2, ITEMS) + rng.normal(0, 0.8, CLUSTERS)[cluster]
    ability = np.linspace(0.0, 0.45, MODELS)
    ability[5] = ability[4] + 0.01  # a close pair
    # models' strengths vary by cluster (subject): the paired differences are clustered too
    affinity = rng.normal(0, 0.25, (MODELS, CLUSTERS))[:, cluster]
    logit = ability[:, None, None] + easiness[None, None, :] + affinity[:, None, :]
    p = 1 / (1 + np.exp(-logit))
    correct = (rng.random((MODELS, RUNS, ITEMS)) < p).astype(np.int8)
    np.savez(path, correct=correct, cluster=cluster)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _long_columns(path: Path) -> dict:
    import numpy as np

    data = np.load(path)
    correct, cluster = data["correct"], data["cluster"]
    m, r, n = correct.shape
    return {
        "model": np.repeat([f"model-{i:02d}" for i in range(m)], r * n),
        "run": np.tile(np.repeat(np.arange(r), n), m),
        "item": np.tile([f"q{j:05d}" for j in range(n)], m * r),
        "cluster": np.tile([f"c{c:03d}" for c in cluster], m * r),
        "score": correct.ravel().astype(float),
    }


def child_measurand(path: Path, resamples: int) -> dict:
    import polars as pl

    from measurand.io.items import ItemData
    from measurand.items import run_items

    columns = _long_columns(path)
    frame = pl.DataFrame(
        {
            "model": columns["model"],
            "task": [""] * len(columns["score"]),
            "item": columns["item"],
            "run": columns["run"].astype("int64"),
            "cluster": columns["cluster"],
            "score": columns["score"],
        }
    )
    data = ItemData(frame=frame, source="bench", metric="correct", has_clusters=True)
    loaded = _rss_mb()
    start = time.perf_counter()
    result = run_items(data, n_resamples=resamples, seed=0)
    seconds = time.perf_counter() - start
    (task,) = result.tasks
    closest = min(task.pairs, key=lambda p: abs(p.difference))
    lo, hi = closest.confidence_interval
    widths = {
        "|".join(sorted((p.a, p.b))): p.confidence_interval[1] - p.confidence_interval[0]
        for p in task.pairs
    }
    return {
        "widths": widths,
        "seconds": seconds,
        "peak_mb": _rss_mb(),
        "loaded_mb": loaded,
        "pair": [closest.a, closest.b],
        "width": hi - lo,
        "pvalue_fwer": closest.pvalue_fwer,
    }


def child_evalstats(path: Path, resamples: int) -> dict:
    import evalstats as es
    import pandas as pd

    columns = _long_columns(path)
    df = pd.DataFrame({k: columns[k] for k in ("model", "item", "run", "score")})
    loaded = _rss_mb()
    start = time.perf_counter()
    evaldata = es.load_from(df, metric_cols={"score": "binary"})
    result = es.compare(evaldata, factors="model", n_bootstrap=resamples)
    seconds = time.perf_counter() - start
    widths = {}
    try:  # best effort: every pair's interval width, for the width comparison
        for row in result.to_dict()["pairwise"]:
            a, b = sorted((row["a"], row["b"]))
            widths[f"{a}|{b}"] = float(row["ci_high"]) - float(row["ci_low"])
    except Exception:  # optional detail only
        widths = {}
    simultaneous = bool(getattr(result, "simultaneous_ci", False))
    return {
        "seconds": seconds,
        "peak_mb": _rss_mb(),
        "loaded_mb": loaded,
        "widths": widths,
        "simultaneous": simultaneous,
    }


def _run_child(python: Path | str, who: str, path: Path, resamples: int) -> dict:
    command = [
        str(python),
        __file__,
        "--child",
        who,
        "--data",
        str(path),
        "--resamples",
        str(resamples),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{who} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _print_widths(ours: dict, theirs: dict) -> None:
    """Interval widths of the same pairs: measurand's CR1 (clusters) against evalstats'."""
    shared = sorted(set(ours.get("widths", {})) & set(theirs.get("widths", {})))
    if not shared:
        print("evalstats' pair intervals not found; widths not compared")
        return
    scale = 1.0
    if theirs.get("simultaneous"):
        # evalstats widens each pair's interval to Sidak's simultaneous level; put ours
        # (CR1, t with G - 1 df) on the same level before comparing widths.
        from scipy import stats

        n_pairs = MODELS * (MODELS - 1) // 2
        sidak = 1 - 0.95 ** (1 / n_pairs)
        df = CLUSTERS - 1
        scale = float(stats.t.ppf(1 - sidak / 2, df) / stats.t.ppf(0.975, df))
    ratios = sorted(scale * ours["widths"][k] / theirs["widths"][k] for k in shared)
    level = "Sidak-simultaneous" if scale != 1.0 else "95%"
    print(
        f"interval width at the {level} level, measurand (clusters) / evalstats (clusters "
        f"ignored), over {len(shared)} pairs: median {ratios[len(ratios) // 2]:.2f}, range "
        f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--child", choices=("measurand", "evalstats"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--skip-evalstats", action="store_true")
    args = parser.parse_args()
    if args.child:
        run = child_measurand if args.child == "measurand" else child_evalstats
        print(json.dumps(run(args.data, args.resamples)))
        return 0

    print(
        f"workload: {MODELS} models x {ITEMS:,} items x {RUNS} runs in {CLUSTERS} clusters, "
        f"all {MODELS * (MODELS - 1) // 2} pairs, {args.resamples:,} resamples "
        "(timings contended on a shared machine)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.npz"
        make_table(path)
        ours = _run_child(sys.executable, "measurand", path, args.resamples)
        print(
            f"measurand run_items: {ours['seconds']:.2f} s, peak RSS {ours['peak_mb']:.0f} MB "
            f"(after loading the table {ours['loaded_mb']:.0f} MB); closest pair "
            f"{ours['pair'][0]} - {ours['pair'][1]}: CR1 95% width {ours['width']:.4f}, "
            f"family-wise p {ours['pvalue_fwer']:.3f}"
        )
        theirs = None
        if args.skip_evalstats:
            print("evalstats: skipped (--skip-evalstats)")
        elif not SIDE_PYTHON.exists():
            print(f"evalstats: side venv {SIDE_PYTHON.parent.parent} missing; measurand alone")
        else:
            theirs = _run_child(SIDE_PYTHON, "evalstats", path, args.resamples)
            print(
                f"evalstats 0.3 compare: {theirs['seconds']:.2f} s, peak RSS "
                f"{theirs['peak_mb']:.0f} MB (after loading {theirs['loaded_mb']:.0f} MB)"
            )
            _print_widths(ours, theirs)
            print(
                f"ratio: evalstats / measurand = {theirs['seconds'] / ours['seconds']:.1f}x time, "
                f"{theirs['peak_mb'] / ours['peak_mb']:.1f}x peak memory"
            )
    ok = ours["seconds"] < TARGET_SECONDS and ours["peak_mb"] < TARGET_MB
    print(f"target < {TARGET_SECONDS:g} s and < {TARGET_MB:.0f} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
