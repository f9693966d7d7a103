"""Helpers shared by the factor benchmarks (``factor_ml.py``, ``parallel_analysis.py``,
``nonneg_em.py``): timing, and the single-threaded BLAS they all compare under."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def timed(
    fn: Callable[[], T],
    repeats: int,
    summary: Callable[[Sequence[float]], float] = statistics.median,
) -> tuple[float, T]:
    """Run ``fn`` ``repeats`` times; return (``summary`` of the wall times in s, last result)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return summary(times), out


def add_blas_threads_option(parser: argparse.ArgumentParser, who: str) -> None:
    parser.add_argument(
        "--blas-threads", action="store_true", help=f"do not limit BLAS threads for {who}"
    )


def limit_blas_threads(args: argparse.Namespace) -> None:
    """One BLAS thread for the whole process, unless ``--blas-threads`` was given.

    measurand limits BLAS to one thread itself for matrices of side <= 300; on a shared 2-core
    machine OpenBLAS's threads make small eigendecompositions 10-100x slower, so leaving the
    baselines multi-threaded would flatter the ratios.
    """
    if not args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
