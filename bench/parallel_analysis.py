"""Benchmark: Horn's parallel analysis, measurand vs the straightforward implementation.

Workloads (standard normal data, PCA eigenvalues, measurand's defaults otherwise):

* ``wide``: 48 x 13,542 with 100 random data sets (a leaderboard of 48 models on 13,542 items);
* ``sweep``: 242 x 43 with 500 random data sets (a data-mixture sweep of 242 runs, 43 tasks).

Baselines, timed in the same run:

* ``direct loop`` — what one writes first: for each random data set, ``np.corrcoef`` of an
  n x p normal matrix, then ``np.linalg.eigvalsh`` of the p x p matrix. For ``wide`` the
  13,542 x 13,542 problem takes minutes per data set, so its per-data-set time is measured at
  p = 1,000, 2,000 and 4,000 and extrapolated along the fitted power law in p (about p^3;
  ``--full-baseline`` times one data set at the real p instead, ~3 GB of memory).
* ``dual loop`` (``wide`` only) — the same loop with the n x n Gram-matrix trick but one data set
  at a time with centring: isolates what batching and the sphere representation add.

BLAS runs single-threaded for the baselines too (``threadpoolctl``), as it does inside
measurand for these matrix sizes: on a shared 2-core machine OpenBLAS's threads make the loops
10-100x slower, which would flatter the ratios (``--blas-threads`` leaves the baselines alone).

The random-eigenvalue means are compared with the baselines' (within 5 Monte Carlo standard
errors). Run: ``python bench/parallel_analysis.py``. Exit status 1 if ``wide`` takes >= 1 s or
the means disagree.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from _common import add_blas_threads_option, limit_blas_threads, timed
from measurand.latent import parallel_analysis

TARGET_WIDE_SECONDS = 1.0


def direct_loop(n: int, p: int, n_iter: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n_iter, p))
    for i in range(n_iter):
        R = np.corrcoef(rng.standard_normal((n, p)), rowvar=False)
        out[i] = np.linalg.eigvalsh(R)[::-1]
    return out


def dual_loop(n: int, p: int, n_iter: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros((n_iter, p))
    for i in range(n_iter):
        X = rng.standard_normal((n, p))
        X -= X.mean(axis=0)
        X /= np.sqrt(np.sum(X * X, axis=0))
        out[i, :n] = np.linalg.eigvalsh(X @ X.T)[::-1]
    return out


def agree(ours: np.ndarray, baseline: np.ndarray, n_ours: int) -> bool:
    m = min(ours.size, baseline.shape[1], 10)
    se = baseline[:, :m].std(axis=0, ddof=1) * np.sqrt(1.0 / baseline.shape[0] + 1.0 / n_ours)
    return bool(np.all(np.abs(ours[:m] - baseline[:, :m].mean(axis=0)) < 5 * se + 1e-12))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--full-baseline", action="store_true")
    add_blas_threads_option(parser, "the baselines")
    args = parser.parse_args()
    limit_blas_threads(args)
    rng = np.random.default_rng(0)
    ok = True

    # --- wide: 48 x 13,542, 100 draws --------------------------------------------------------
    n, p, n_iter = 48, 13_542, 100
    X = rng.standard_normal((n, p))
    parallel_analysis(X, n_resamples=5, seed=1)  # warm-up
    t_ours, result = timed(lambda: parallel_analysis(X, n_resamples=n_iter, seed=1), args.repeats)
    t_dual, dual = timed(lambda: dual_loop(n, p, n_iter, 2), 1)
    if args.full_baseline:
        t_one, _ = timed(lambda: direct_loop(n, p, 1, 3), 1)
        t_direct, how = t_one * n_iter, "1 data set at p = 13,542, x 100"
    else:
        sizes = np.array([1000, 2000, 4000])
        per_draw = np.array(
            [timed(lambda s=s: direct_loop(n, int(s), 2, 3), 1)[0] / 2 for s in sizes]
        )
        slope, intercept = np.polyfit(np.log(sizes), np.log(per_draw), 1)
        t_direct = float(np.exp(intercept + slope * np.log(p))) * n_iter
        how = (
            f"extrapolated: p^{slope:.2f} through {', '.join(f'{t:.2f}' for t in per_draw)} s"
            " per data set at p = 1,000/2,000/4,000"
        )
    same = agree(result.random_mean, dual, n_iter)
    print(
        f"wide  48 x 13,542, 100 draws: measurand {t_ours:.3f} s (k = {result.k}, "
        f"k_count = {result.k_count}); dual loop {t_dual:.2f} s "
        f"({t_dual / t_ours:.1f}x); direct loop {t_direct:.0f} s ({t_direct / t_ours:.0f}x; "
        f"{how}); means agree: {same}"
    )
    ok &= same and t_ours < TARGET_WIDE_SECONDS

    # --- sweep: 242 x 43, 500 draws ---------------------------------------------------------
    n, p, n_iter = 242, 43, 500
    X = rng.standard_normal((n, p))
    t_ours, result = timed(lambda: parallel_analysis(X, n_resamples=n_iter, seed=1), args.repeats)
    t_direct, direct = timed(lambda: direct_loop(n, p, n_iter, 2), max(1, args.repeats // 2))
    same = agree(result.random_mean, direct, n_iter)
    print(
        f"sweep 242 x 43, 500 draws: measurand {t_ours:.3f} s; direct loop {t_direct:.3f} s "
        f"({t_direct / t_ours:.1f}x); means agree: {same}"
    )
    ok &= same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
