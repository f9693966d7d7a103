"""Benchmark: ``measurand noise`` at the sizes the sources use (issue 10).

Workload: a simulated 50 x 13,500 sweep (3 non-negative factors plus unit noise) and a
10 x 13,500 noise baseline (reruns: noise sd 0.5), written as CSV, then ``read_noise_inputs``
and ``run_noise`` with the defaults (parallel analysis with 500 draws, the noise-anchored
non-negative model, 2,000 parametric-bootstrap draws for the SNR intervals). Each side runs in
its own process; printed: wall time of the read and of the analysis, and peak RSS.

Baseline (same run): the code on ``main`` (``git archive main src``), capped at ``--cap`` s
(default 300; a capped run prints "> cap"). Target: analysis < 30 s.

    python bench/noise_scale.py [--rows 50 --reruns 10 --tasks 13500 --cap 300]
"""

from __future__ import annotations

import argparse

import numpy as np

from _scale import REPO, checkout, cleanup, fmt, ratio, run_child, tempdir

CHILD = """
import time
from measurand.noise.workflow import read_noise_inputs, run_noise
start = time.perf_counter()
sweep, noise, _ = read_noise_inputs({sweep!r}, {noise!r}, id_col="model")
read = time.perf_counter() - start
start = time.perf_counter()
result = run_noise(sweep, noise)
out = {{"read_s": read, "analysis_s": time.perf_counter() - start}}
"""


def write(path, x: np.ndarray, prefix: str) -> None:
    import polars as pl

    frame = pl.DataFrame({"model": [f"{prefix}{i}" for i in range(x.shape[0])]}).hstack(
        pl.DataFrame(x, schema=[f"task_{j}" for j in range(x.shape[1])])
    )
    frame.write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=13_500)
    parser.add_argument("--cap", type=float, default=300.0)
    parser.add_argument("--baseline", default="main", help="git ref of the baseline code")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    p = args.tasks
    loadings = np.abs(rng.normal(0.5, 0.2, (p, 3))) * (rng.random((p, 3)) < 0.5)
    sweep = rng.standard_normal((args.rows, 3)) @ loadings.T + rng.standard_normal((args.rows, p))
    noise = 0.5 * rng.standard_normal((args.reruns, p))
    work = tempdir()
    try:
        write(work / "sweep.csv", sweep, "run")
        write(work / "noise.csv", noise, "seed")
        code = CHILD.format(sweep=str(work / "sweep.csv"), noise=str(work / "noise.csv"))
        new = run_child(code, REPO / "src", args.cap)
        base = run_child(code, checkout(args.baseline, work), args.cap)
    finally:
        cleanup(work)
    print(f"noise on {args.rows} x {p:,} (sweep) and {args.reruns} x {p:,} (reruns)")
    for name, result in (("measurand", new), (f"baseline ({args.baseline})", base)):
        if result.get("capped"):
            print(f"  {name:<18} > {args.cap:.0f} s (capped; read + analysis)")
        else:
            print(
                f"  {name:<18} read {result['read_s']:.1f} s, "
                f"analysis {fmt(result, 'analysis_s', args.cap)}, "
                f"peak RSS {result['peak_rss_mb']:,.0f} MB"
            )
    print(f"  analysis speed-up vs baseline: {ratio(base, new, 'analysis_s', args.cap)}")


if __name__ == "__main__":
    main()
