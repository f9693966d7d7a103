"""Benchmark: a (ρ, k) grid of the repeated game, serial vs local processes vs Dask.

Workload (the issue's): the repeated game with gap-targeted correction on the synthetic
stratified pool (d = 8, 80 tasks per layer, N = 640), a 10 x 10 (ρ, k) grid, 50 repetitions
per cell, T = 200 rounds — 100 cells, each one vectorized over its 50 repetitions.

Timed in the same run, with one BLAS thread per cell everywhere:

* ``serial`` (the baseline): every cell in this process (``map_cells(..., n_workers=1)``);
* ``processes``: a 2-process ``ProcessPoolExecutor`` (``n_workers=2``; includes the start-up
  of both spawned interpreters);
* ``dask``: a ``distributed.LocalCluster`` with 2 worker processes, 1 thread each, on loopback
  (cluster start-up excluded, client connection included). Its workers are started without
  the ``MALLOC_TRIM_THRESHOLD_=65536`` that Dask's nanny sets by default: that setting turns off
  glibc's dynamic mmap threshold, so every (50 x 640) float64 temporary of a round is mmapped
  and page-faulted afresh, which doubled the CPU time of a cell in our measurements
  (``--dask-default-malloc`` keeps Dask's default, to see the difference);
* ``reps loop`` (vectorization check, one cell): the cell's 50 repetitions run one at a time
  (reps = 1, 50 calls) against one call with reps = 50.

Next to each wall time the script prints the CPU seconds the run used (this process for serial,
its reaped child processes for the other two) and the average number of cores it got
(CPU / wall): on a machine shared with other jobs the wall-time speed-up is capped by that
share, and the CPU seconds show whether the parallel runs did extra work.

All three grid runs must give identical numbers (the script checks it; exit status 1 if not).
On a shared machine the speed-ups are bounded by the cores other jobs leave free: say so when
quoting them. Run: ``python bench/simulate_grid.py`` (``--quick``: 4 x 4 cells, T = 50).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

from measurand.games import prefix_bias, repeated_cell, synthetic_pool
from measurand.games.repeated import gaussian_kernel
from measurand.io.output import dumps_json
from measurand.parallel import map_cells
from measurand.simulate.workflow import _repeated_cell


def grid(quick: bool, side: int | None, rounds: int | None) -> tuple[list[dict], int, int]:
    pool = synthetic_pool(8, 80, seed=0)
    pi = prefix_bias(pool.n_tasks)
    n = side or (4 if quick else 10)
    rhos = np.geomspace(0.005, 1.0, n).round(4).tolist()
    all_ks = [1, 2, 3, 5, 8, 12, 18, 27, 40, 60]
    ks = [all_ks[int(i)] for i in np.linspace(0, 9, min(n, 10)).round()]
    rounds, reps = (rounds or (50 if quick else 200)), 50
    cells = [
        {
            "z": pool.z,
            "pi": pi,
            "link": "identity",
            "rho": float(r),
            "k": int(k),
            "rounds": rounds,
            "reps": reps,
            "correction": "gap",
            "kernel_width": 0.3,
            "gamma": 1e-5,
        }
        for r in rhos
        for k in ks
    ]
    return cells, rounds, reps


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fingerprint(results: list) -> str:
    return dumps_json([r.to_dict() for r in results])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 x 4 cells, T = 50")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--side", type=int, help="cells per side of the (rho, k) grid")
    parser.add_argument("--rounds", type=int, help="T")
    parser.add_argument(
        "--dask-default-malloc",
        action="store_true",
        help="keep Dask's MALLOC_TRIM_THRESHOLD_=65536 for the workers",
    )
    args = parser.parse_args()
    cells, rounds, reps = grid(args.quick, args.side, args.rounds)
    print(
        f"grid: {len(cells)} cells x {reps} repetitions x T = {rounds} (gap correction, N = 640); "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )

    # Vectorization check on one mid-grid cell.
    from threadpoolctl import threadpool_limits

    z, pi = cells[0]["z"], cells[0]["pi"]
    kernel = gaussian_kernel(z, 0.3)
    with threadpool_limits(limits=1, user_api="blas"):
        start = time.perf_counter()
        repeated_cell(
            z,
            pi,
            rho=0.1,
            k=8,
            rounds=rounds,
            reps=reps,
            kernel=kernel,
            rng=np.random.default_rng(0),
        )
        vectorized = time.perf_counter() - start
        start = time.perf_counter()
        for r in range(reps):
            repeated_cell(
                z,
                pi,
                rho=0.1,
                k=8,
                rounds=rounds,
                reps=1,
                kernel=kernel,
                rng=np.random.default_rng(r),
            )
        looped = time.perf_counter() - start
    print(
        f"one cell: reps vectorized {vectorized:.2f} s; loop over reps {looped:.2f} s "
        f"({looped / vectorized:.1f}x slower)"
    )

    start, cpu = time.perf_counter(), time.process_time()
    serial = map_cells(_repeated_cell, cells, seed=0, n_workers=1)
    t_serial = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(
        f"serial (baseline):            {t_serial:7.1f} s  CPU {cpu:6.1f} s "
        f"({cpu / t_serial:.2f} cores)"
    )

    start, cpu = time.perf_counter(), children_cpu()
    local = map_cells(_repeated_cell, cells, seed=0, n_workers=args.workers)
    t_local = time.perf_counter() - start
    cpu = children_cpu() - cpu
    print(
        f"local processes ({args.workers} workers):  {t_local:7.1f} s  CPU {cpu:6.1f} s "
        f"({cpu / t_local:.2f} cores)  speed-up {t_serial / t_local:.2f}x"
    )

    import dask
    import distributed

    environ = {} if args.dask_default_malloc else {"MALLOC_TRIM_THRESHOLD_": None}
    cpu = children_cpu()
    with (
        dask.config.set(
            {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in environ.items()}
        ),
        distributed.LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
    ):
        start = time.perf_counter()
        dask = map_cells(_repeated_cell, cells, seed=0, scheduler=cluster.scheduler_address)
        t_dask = time.perf_counter() - start
    cpu = children_cpu() - cpu  # the worker processes are reaped when the cluster closes
    print(
        f"Dask LocalCluster ({args.workers} workers): {t_dask:7.1f} s  CPU {cpu:6.1f} s "
        f"(with cluster start-up)  speed-up {t_serial / t_dask:.2f}x"
        + ("  [Dask's default malloc settings]" if args.dask_default_malloc else "")
    )
    print(f"load average at end {os.getloadavg()[0]:.1f} (shared machine: other jobs compete)")

    ok = all(m.ok for m in (serial, local, dask))
    same = fingerprint(serial.results) == fingerprint(local.results) == fingerprint(dask.results)
    print(f"identical results on all three backends: {same}")
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
