"""Benchmark: ``measurand factors`` at the sizes the sources use (issue 10).

Workload: a simulated 50 x 13,500 matrix (the MMLU-Pro shape of the strategic-evaluation
source; 3 non-negative factors plus unit noise), written as CSV, then ``read_matrix`` and
``run_factors`` with the defaults (parallel analysis with 500 draws, the non-negative model,
1,000 task resamples). Each side runs in its own process; printed: wall time of the read and
of the analysis, and the child's peak RSS.

Baseline (same run): the code on ``main`` (``git archive main src``), capped at ``--cap`` s
(default 300; a capped run prints "> cap"). Target: < 30 s and < 2 GB for measurand.

    python bench/factors_scale.py [--rows 50 --tasks 13500 --resamples 1000 --cap 300]
"""

from __future__ import annotations

import argparse

import numpy as np

from _scale import checkout, cleanup, fmt, ratio, run_child, tempdir

CHILD = """
import time
from measurand.io.matrix import read_matrix
from measurand.factors.workflow import run_factors
start = time.perf_counter()
matrix = read_matrix({path!r}, id_col="model")
read = time.perf_counter() - start
start = time.perf_counter()
result = run_factors(matrix, n_resamples={resamples})
out = {{"read_s": read, "analysis_s": time.perf_counter() - start, "k": result.n_factors}}
"""


def write_matrix(path, n: int, p: int, seed: int = 0) -> None:
    import polars as pl

    rng = np.random.default_rng(seed)
    loadings = np.abs(rng.normal(0.5, 0.2, (p, 3))) * (rng.random((p, 3)) < 0.5)
    x = rng.standard_normal((n, 3)) @ loadings.T + rng.standard_normal((n, p))
    frame = pl.DataFrame({"model": [f"m{i}" for i in range(n)]}).hstack(
        pl.DataFrame(x, schema=[f"task_{j}" for j in range(p)])
    )
    frame.write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=13_500)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--cap", type=float, default=300.0)
    parser.add_argument("--baseline", default="main", help="git ref of the baseline code")
    args = parser.parse_args()
    work = tempdir()
    try:
        path = work / "matrix.csv"
        write_matrix(path, args.rows, args.tasks)
        code = CHILD.format(path=str(path), resamples=args.resamples)
        from _scale import REPO

        new = run_child(code, REPO / "src", args.cap)
        base = run_child(code, checkout(args.baseline, work), args.cap)
    finally:
        cleanup(work)
    print(f"factors on {args.rows} x {args.tasks:,}, {args.resamples:,} task resamples")
    for name, result in (("measurand", new), (f"baseline ({args.baseline})", base)):
        if result.get("capped"):
            print(f"  {name:<18} > {args.cap:.0f} s (capped; read + analysis)")
        else:
            print(
                f"  {name:<18} read {result['read_s']:.1f} s, "
                f"analysis {fmt(result, 'analysis_s', args.cap)}, "
                f"peak RSS {result['peak_rss_mb']:,.0f} MB, k = {result['k']}"
            )
    print(f"  analysis speed-up vs baseline: {ratio(base, new, 'analysis_s', args.cap)}")


if __name__ == "__main__":
    main()
