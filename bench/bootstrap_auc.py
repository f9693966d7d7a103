"""Benchmark: bootstrap confidence interval of the AUC on tied scores.

Compares ``measurand.stats.auc(..., ci="bootstrap")`` (sort once, draw per-cell counts, weighted
Mann-Whitney by cumulative sums over tie groups, vectorised over resamples) with the
straightforward approach, a Python loop over resamples that re-ranks every resample:

(a) ranks from ``argsort`` and a hand-written loop that gives each run of ties its mean rank;
(b) ranks from ``scipy.stats.rankdata``.

Both baselines compute AUC = (sum of positives' ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg).
They are timed on a subset of resamples (``--baseline-resamples``) and their time is
extrapolated linearly to ``--resamples`` (each resample costs the same). Their percentile
intervals come from that subset, so the agreement check allows for its larger Monte Carlo error.

Run: ``python bench/bootstrap_auc.py`` (``--quick`` for a smaller run). Exit status 1 if the
intervals disagree or a speed target is missed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy.stats
from scipy.special import expit

from measurand.stats import auc

TARGET_VS_LOOP = 150.0
TARGET_VS_RANKDATA = 20.0
CONFIDENCE_LEVEL = 0.95


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """About half positives; scores are probabilities rounded to 2 decimals (heavy ties)."""
    rng = np.random.default_rng(seed)
    label = rng.random(n) < 0.5
    score = np.round(expit(rng.normal(size=n) + 1.0 * label - 0.5), 2)
    return score, label


def midranks_by_loop(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank: argsort, then walk the runs of ties."""
    n = values.size
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(n)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def rank_auc(ranks: np.ndarray, label: np.ndarray) -> float:
    n_pos = int(label.sum())
    n_neg = label.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    return (float(ranks[label].sum()) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def loop_bootstrap(
    score: np.ndarray,
    label: np.ndarray,
    n_resamples: int,
    seed: int,
    rank: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = score.size
    values = np.empty(n_resamples)
    for b in range(n_resamples):
        index = rng.integers(0, n, n)
        values[b] = rank_auc(rank(score[index]), label[index])
    return values


def percentile_interval(values: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE_LEVEL) / 2
    valid = values[~np.isnan(values)]
    low, high = np.quantile(valid, [tail, 1 - tail])
    return float(low), float(high)


def endpoint_tolerance(sd: float, resamples_a: int, resamples_b: int) -> float:
    """4 Monte Carlo SEs of the difference of two independent bootstrap quantile estimates.

    The SE of an estimated q-quantile from B draws is sqrt(q (1 - q) / B) / f(x_q); with a
    normal bootstrap distribution f(x_q) = phi(z_q) / sd."""
    tail = (1 - CONFIDENCE_LEVEL) / 2
    density = scipy.stats.norm.pdf(scipy.stats.norm.ppf(tail)) / sd
    se = math.sqrt(tail * (1 - tail)) / density * math.sqrt(1 / resamples_a + 1 / resamples_b)
    return 4 * se


def timed(function: Callable[[], object]) -> tuple[object, float, float]:
    """Run ``function``; return its value, wall-clock seconds and CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8192, help="observations (default 8192)")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and resampling")
    parser.add_argument(
        "--baseline-resamples",
        type=int,
        default=500,
        help="resamples actually run by each baseline; time is extrapolated (default 500)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of measurand (median)")
    parser.add_argument("--quick", action="store_true", help="n=2048, 2000 resamples, 200 base")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.resamples, args.baseline_resamples = 2048, 2000, 200
    baseline_resamples = min(args.baseline_resamples, args.resamples)
    scale = args.resamples / baseline_resamples

    score, label = make_data(args.n, args.seed)
    print(
        f"data: n={args.n}, positives={int(label.sum())}, distinct scores="
        f"{np.unique(score).size} (rounded to 2 decimals), seed={args.seed}"
    )
    print(
        f"bootstrap: B={args.resamples} resamples, percentile {CONFIDENCE_LEVEL:.0%} interval; "
        f"baselines run {baseline_resamples} resamples, times extrapolated x{scale:g}"
    )

    auc(score[:64], label[:64], ci="bootstrap", n_resamples=10, seed=0)  # warm-up
    runs = [
        timed(lambda: auc(score, label, ci="bootstrap", n_resamples=args.resamples, seed=args.seed))
        for _ in range(args.repeats)
    ]
    ours = runs[0][0]
    assert all(result == ours for result, _, _ in runs)  # same seed, same result
    # (name, wall s, cpu s, point estimate, interval, extrapolated?)
    rows = [
        (
            "measurand auc(ci='bootstrap')",
            statistics.median(wall for _, wall, _ in runs),
            statistics.median(cpu for _, _, cpu in runs),
            ours.statistic,
            tuple(ours.confidence_interval),
            False,
        )
    ]
    baselines = [
        ("(a) loop + hand-written tie ranks", midranks_by_loop),
        ("(b) loop + scipy.stats.rankdata", scipy.stats.rankdata),
    ]
    # Both baselines replay the same index draws (seed + 1), so their intervals coincide
    # exactly when their ranks agree.
    for name, rank in baselines:
        values, wall, cpu = timed(
            lambda rank=rank: loop_bootstrap(score, label, baseline_resamples, args.seed + 1, rank)
        )
        point = rank_auc(rank(score), label)
        interval = percentile_interval(values)
        rows.append((name, wall * scale, cpu * scale, point, interval, scale > 1))

    ours_cpu = rows[0][2]
    cpu_a, cpu_b = rows[1][2], rows[2][2]
    header = (
        f"{'method':<34} {'wall [s]':>9} {'cpu [s]':>9} {'(a)/cpu':>8} {'(b)/cpu':>8} "
        f"{'AUC':>9}  {CONFIDENCE_LEVEL:.0%} percentile CI"
    )
    print()
    print(header)
    print("-" * len(header))
    for name, wall, cpu, point, (low, high), extrapolated in rows:
        mark = "*" if extrapolated else " "
        print(
            f"{name:<34} {wall:>8.3f}{mark} {cpu:>8.3f}{mark} {cpu_a / cpu:>7.1f}x "
            f"{cpu_b / cpu:>7.1f}x {point:>9.6f}  [{low:.6f}, {high:.6f}]"
        )
    if scale > 1:
        print(f"* extrapolated linearly from {baseline_resamples} resamples")
    print(
        "measurand runs (wall s): "
        + ", ".join(f"{wall:.3f}" for _, wall, _ in runs)
        + "; speed-ups use CPU time (all three are single-threaded; robust to other load)"
    )
    print()

    checks: list[tuple[str, bool]] = []
    for name, _, _, point, _, _ in rows[1:]:
        agrees = abs(point - ours.statistic) <= 1e-12
        checks.append((f"point estimate of {name[:3]} equals measurand's (1e-12)", agrees))
    tolerance = endpoint_tolerance(ours.standard_error, args.resamples, baseline_resamples)
    ours_low, ours_high = ours.confidence_interval
    for name, _, _, _, (low, high), _ in rows[1:]:
        gap = max(abs(low - ours_low), abs(high - ours_high))
        text = f"CI of {name[:3]} within Monte Carlo error (gap {gap:.5f} <= {tolerance:.5f})"
        checks.append((text, gap <= tolerance))
    at_target_size = (args.n, args.resamples) == (8192, 10_000)
    for label_text, baseline_cpu, target in (
        ("(a)", cpu_a, TARGET_VS_LOOP),
        ("(b)", cpu_b, TARGET_VS_RANKDATA),
    ):
        speedup = baseline_cpu / ours_cpu
        text = f"speed-up vs {label_text} {speedup:.0f}x >= {target:.0f}x"
        if at_target_size:
            checks.append((text, speedup >= target))
        else:
            print(f"INFO  {text} (targets are set for --n 8192 --resamples 10000)")
    for text, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
