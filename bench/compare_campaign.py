"""Benchmark: all pairwise significance tests of a 5-condition training campaign.

A campaign of 5 conditions x 8 seeds x 500 steps (one metric, ``correct_rate``) is generated in
memory. ``measurand.compare.compare_all`` then compares all 10 pairs on the window 400:500 with
20,000 permutations (8 vs 8 seeds: the 12,870 relabelings are enumerated exactly) and 10,000
bootstrap resamples per pair, plus Cohen's d and Hedges' g with noncentral-t intervals, power,
seeds per arm, the minimum detectable effect and Holm / Benjamini-Hochberg adjustment.

"statistics" is the time of ``compare_all`` minus the time of reducing the data once over the
window (``run_table``, the run-level table every analysis reads, timed separately); "total" is
the whole call. Each timing is the median of ``--repeats`` runs (the power solver's cache is
cleared before each run).

Also timed (no target): ``learning_curves`` with bootstrap CI bands (2,000 resamples) at all
2,500 (condition, step) cells.

Named baseline measured in the same run: SciPy alone, per pair ``scipy.stats.bootstrap``
(percentile, 10,000 resamples, vectorized) plus ``scipy.stats.permutation_test`` (exact, the
same 12,870 relabelings) on the same seed means -- two of the ~10 statistics measurand reports.

Run: ``python bench/compare_campaign.py`` (``--quick`` for fewer repeats). Exit status 1 if the
statistics take longer than the target (1 s) or a pair's p-value disagrees with SciPy's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import polars as pl
import scipy.stats

from measurand.compare._statistics import detectable_effect_size as _detectable_effect_size
from measurand.compare.curves import learning_curves
from measurand.compare.multiple import compare_all
from measurand.stats._window import run_table, window_means

TARGET_SECONDS = 1.0
CONDITIONS = ("grpo+none", "maxrl+none", "maxrl+gtpo", "maxrl+gtpo_hicra", "maxrl+gtpo_sepa")
WINDOW = "400:500"


def make_campaign(n_seeds: int, n_steps: int, seed: int) -> pl.DataFrame:
    """Rising correct_rate curves; each condition adds a lift, each seed an offset."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n_steps)
    frames = []
    for index, condition in enumerate(CONDITIONS):
        for s in range(n_seeds):
            curve = 0.1 + 0.4 * steps / n_steps + 0.01 * index + rng.normal(0, 0.01)
            values = np.clip(curve + rng.normal(0, 0.05, n_steps), 0, 1)
            frames.append(
                pl.DataFrame(
                    {
                        "condition": condition,
                        "seed": str(s),
                        "task": "",
                        "step": steps,
                        "metric": "correct_rate",
                        "value": values,
                    }
                )
            )
    return pl.concat(frames)


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        _detectable_effect_size.cache_clear()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def scipy_baseline(means: pl.DataFrame) -> list[float]:
    def mean_difference(x, y, axis=-1):
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    by_condition = {
        c: means.filter(pl.col("condition") == c)["value"].to_numpy() for c in CONDITIONS
    }
    pvalues = []
    for i in range(len(CONDITIONS)):
        for j in range(i + 1, len(CONDITIONS)):
            x, y = by_condition[CONDITIONS[j]], by_condition[CONDITIONS[i]]
            scipy.stats.bootstrap(
                (x, y),
                mean_difference,
                n_resamples=10_000,
                method="percentile",
                vectorized=True,
                random_state=0,
            )
            test = scipy.stats.permutation_test(
                (x, y), mean_difference, n_resamples=20_000, vectorized=True, random_state=0
            )
            pvalues.append(test.pvalue)
    return pvalues


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    args = parser.parse_args()
    repeats = 2 if args.quick else args.repeats

    frame = make_campaign(args.seeds, args.steps, seed=0)
    print(
        f"campaign: {len(CONDITIONS)} conditions x {args.seeds} seeds x {args.steps} steps "
        f"({frame.height:,} rows), window {WINDOW}, 10 pairs, 20,000 permutations, "
        "10,000 bootstrap resamples per pair"
    )

    def run_all():
        return compare_all(
            frame,
            metrics="correct_rate",
            window=WINDOW,
            permutation_resamples=20_000,
            n_resamples=10_000,
            seed=0,
        )

    windowing, _table = timed(lambda: run_table(frame, WINDOW), repeats)
    means = window_means(frame, WINDOW)
    total, result = timed(run_all, repeats)
    stats_time = total - windowing
    baseline_time, baseline_p = timed(lambda: scipy_baseline(means), repeats)

    first = result.pairs[0].comparisons[0]
    print(f"  exact permutation: {first.permutation_exact} ({first.n_permutations:,} relabelings)")
    print(f"  windowing (run_table, once):     {windowing * 1e3:8.1f} ms")
    print(f"  statistics, all 10 pairs:        {stats_time * 1e3:8.1f} ms  (target < 1000 ms)")
    print(f"  total compare_all call:          {total * 1e3:8.1f} ms")
    print(
        f"  SciPy bootstrap + permutation:   {baseline_time * 1e3:8.1f} ms  "
        f"(ratio SciPy / measurand statistics: {baseline_time / stats_time:.2f}x)"
    )

    curves, _ = timed(lambda: learning_curves(frame, band="ci", n_resamples=2000), repeats)
    print(f"  learning curves, 2,000-resample CI bands at every step: {curves * 1e3:8.1f} ms")

    ours = result.frame["pvalue"].to_numpy()
    agree = np.allclose(ours, baseline_p, rtol=1e-12)
    print(f"  p-values identical to SciPy's exact test: {agree}")
    ok = agree and stats_time < TARGET_SECONDS
    if not ok:
        print("FAILED: target missed or p-values disagree", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
