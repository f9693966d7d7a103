"""Benchmark: rliable-style aggregate metrics with stratified-bootstrap CIs, measurand vs rliable.

Data: ``../shared/data/dopamine_baselines.csv.gz`` (relative to the repository root; ``--data`` to
point elsewhere). The rule that turns it into score matrices:

* Atari only. A condition is an (agent, network) pair: the ``game`` values without a suffix are
  the base network, ``<game>_CNN`` / ``<game>_Impala`` the other two. The file holds 16 such
  pairs (6 agents on the base network, 5 on each of CNN and Impala; no network has all 7 Atari
  agents), each on the same 60 games with 5 runs. Conditions are ordered by network (base, CNN,
  Impala), then agent name, and the first ``--conditions`` (default 8) are used: the 6 base
  agents plus ``C51 [CNN]`` and ``DQN [CNN]``.
* The score of a run is the mean ``value`` over its last 10 iterations present (runs are ragged:
  one run stops at iteration 55).
* Scores are min-max normalized per game over all selected conditions and runs.

Both tools compute mean, median, IQM and optimality gap, each condition in one stratified
bootstrap with ``--resamples`` resamples (default 50,000) and percentile intervals: rliable with
``rliable.library.get_interval_estimates`` and a function returning the four metrics (its
documented usage), measurand with ``measurand.stats.aggregate.aggregate_metrics``. The point
estimates must be bitwise identical and each interval end must agree within Monte-Carlo error:
``|diff| <= 4.5 * sqrt(se_ours^2 + se_rliable^2)`` with ``se = sqrt(p (1-p) / B) * dq/dp`` of the
bootstrap quantile, ``dq/dp`` read off a separate measurand bootstrap distribution.

rliable 1.2.0 needs ``arch<8``, which needs ``pandas<3``; where it cannot be imported the script
says so and times measurand alone. Run: ``python bench/iqm_rliable.py`` (``--quick``: 5,000
resamples). Exit status 1 when a check or the speed target (>= 5x faster) fails.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from measurand.stats import aggregate
from measurand.stats._rng import as_generator

METRICS = ("mean", "median", "iqm", "optimality_gap")
NETWORKS = ("base", "CNN", "Impala")
LAST_ITERATIONS = 10
TARGET_SPEEDUP = 5.0
CONFIDENCE_LEVEL = 0.95
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/dopamine_baselines.csv.gz"


def load_scores(path: Path, n_conditions: int) -> tuple[dict[str, np.ndarray], list[str]]:
    """Score matrices (5 runs x 60 games) per condition, min-max normalized by game."""
    frame = pl.read_csv(path, schema_overrides={"iteration": pl.Float64, "value": pl.Float64})
    atari = frame.filter(pl.col("suite") == "atari").with_columns(
        network=pl.col("game").str.extract(r"_(CNN|Impala)$").fill_null("base"),
        base_game=pl.col("game").str.replace(r"_(CNN|Impala)$", ""),
    )
    runs = (
        atari.sort("iteration")
        .group_by("agent", "network", "base_game", "run")
        .agg(pl.col("value").tail(LAST_ITERATIONS).mean().alias("score"))
    )
    pairs = runs.select("network", "agent").unique()
    pairs = sorted(pairs.iter_rows(), key=lambda p: (NETWORKS.index(p[0]), p[1]))
    if not 1 <= n_conditions <= len(pairs):
        raise SystemExit(f"--conditions must lie in 1..{len(pairs)}")
    games = sorted(runs["base_game"].unique().to_list())
    scores = {}
    for network, agent in pairs[:n_conditions]:
        name = agent if network == "base" else f"{agent} [{network}]"
        wide = (
            runs.filter((pl.col("agent") == agent) & (pl.col("network") == network))
            .pivot(on="base_game", index="run", values="score")
            .sort("run")
        )
        missing = sorted(set(games) - set(wide.columns))
        if missing:
            raise SystemExit(f"{name} lacks games {missing[:5]}")
        scores[name] = wide.select(games).to_numpy()
    return aggregate.normalize_scores(scores), games


def time_measurand(scores: dict[str, np.ndarray], resamples: int, metrics=METRICS):
    start = time.perf_counter()
    result = aggregate.aggregate_metrics(scores, metrics=metrics, n_resamples=resamples, seed=0)
    return result, time.perf_counter() - start


def time_rliable(scores: dict[str, np.ndarray], resamples: int):
    from rliable import library as rly
    from rliable import metrics as rm

    def four(x: np.ndarray) -> np.ndarray:
        return np.array(
            [
                rm.aggregate_mean(x),
                rm.aggregate_median(x),
                rm.aggregate_iqm(x),
                rm.aggregate_optimality_gap(x),
            ]
        )

    np.random.seed(0)  # noqa: NPY002 (rliable draws from numpy's global generator)
    start = time.perf_counter()
    points, intervals = rly.get_interval_estimates(scores, four, reps=resamples)
    return points, intervals, time.perf_counter() - start


def quantile_mc_se(replicates: np.ndarray, p: float, resamples: int) -> float:
    h = 0.01
    slope = (np.quantile(replicates, p + h) - np.quantile(replicates, p - h)) / (2 * h)
    return math.sqrt(p * (1 - p) / resamples) * slope


def selection_comparison(scores: np.ndarray, resamples: int) -> tuple[float, float]:
    """Seconds for the IQM of ``resamples`` stratified resamples: np.partition vs a full sort."""
    n_runs, n_tasks = scores.shape
    cut = int(0.25 * scores.size)
    chunk = max(1, aggregate._CHUNK_ELEMENTS // scores.size)
    timings = []
    for use_sort in (False, True):
        rng = as_generator(0)
        start = time.perf_counter()
        for first in range(0, resamples, chunk):
            size = min(chunk, resamples - first)
            index = rng.integers(0, n_runs, size=(size, n_runs, n_tasks))
            flat = scores[index, np.arange(n_tasks)].reshape(size, -1)
            if use_sort:
                flat.sort(axis=1)
            else:
                flat = np.partition(flat, (cut, flat.shape[1] - cut - 1), axis=1)
            flat[:, cut : flat.shape[1] - cut].mean(axis=1)
        timings.append(time.perf_counter() - start)
    return timings[0], timings[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--resamples", type=int, default=None, help="default 50,000")
    parser.add_argument("--quick", action="store_true", help="5,000 resamples")
    parser.add_argument("--conditions", type=int, default=8, help="how many conditions (<= 16)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    resamples = args.resamples or (5_000 if args.quick else 50_000)
    if not args.data.exists():
        print(f"data not found: {args.data}")
        return 1

    start = time.perf_counter()
    scores, games = load_scores(args.data, args.conditions)
    shape = next(iter(scores.values())).shape
    print(
        f"data: {len(scores)} conditions x {len(games)} games x {shape[0]} runs "
        f"(loaded in {time.perf_counter() - start:.1f} s): {', '.join(scores)}"
    )
    print(f"resamples: {resamples:,} per condition, percentile {CONFIDENCE_LEVEL:.0%} intervals")

    ours, ours_s = time_measurand(scores, resamples)
    _, iqm_only_s = time_measurand(scores, resamples, metrics=("iqm",))
    print(f"measurand: {ours_s:.2f} s for 4 metrics ({iqm_only_s:.2f} s for IQM alone)")
    partition_s, sort_s = selection_comparison(next(iter(scores.values())), resamples)
    print(
        f"IQM selection, one condition: np.partition {partition_s:.3f} s, sort {sort_s:.3f} s "
        f"({'sort' if sort_s < partition_s else 'partition'} faster; measurand sorts)"
    )

    try:
        points, intervals, theirs_s = time_rliable(scores, resamples)
    except Exception as exc:  # an ImportError, or arch 7 failing to import under pandas 3
        print(f"rliable unavailable ({type(exc).__name__}: {exc}); timed measurand alone")
        print("SKIP comparison with rliable")
        return 0
    print(f"rliable:   {theirs_s:.2f} s for 4 metrics")

    failures = 0
    point_diff = max(
        abs(ours.estimates[c][m] - points[c][j]) for c in scores for j, m in enumerate(METRICS)
    )
    ok = point_diff == 0.0  # same floating-point operations on the same array
    failures += not ok
    print(f"{'PASS' if ok else 'FAIL'} point estimates identical (max |diff| {point_diff:.1e})")

    worst = 0.0
    alpha = (1 - CONFIDENCE_LEVEL) / 2
    for condition, values in scores.items():
        strata = aggregate._strata(values, condition)
        replicates = aggregate._aggregate_replicates(
            strata, METRICS, 1.0, resamples, as_generator(1)
        )
        for j, metric in enumerate(METRICS):
            ours_ci = ours.confidence_intervals[condition][metric]
            for end, p in ((0, alpha), (1, 1 - alpha)):
                se = math.sqrt(2) * quantile_mc_se(replicates[:, j], p, resamples)
                diff = abs(ours_ci[end] - intervals[condition][end, j])
                worst = max(
                    worst, diff / (4.5 * se) if se > 0 else (0.0 if diff == 0 else math.inf)
                )
    ok = worst <= 1.0
    failures += not ok
    print(
        f"{'PASS' if ok else 'FAIL'} intervals agree within Monte-Carlo error "
        f"(largest |diff| = {worst:.2f} x tolerance)"
    )

    print("\ncondition                  metric          estimate   measurand CI        rliable CI")
    for condition in scores:
        for j, metric in enumerate(METRICS):
            low, high = ours.confidence_intervals[condition][metric]
            print(
                f"{condition:26s} {metric:15s} {ours.estimates[condition][metric]:8.4f}   "
                f"[{low:.4f}, {high:.4f}]   "
                f"[{intervals[condition][0, j]:.4f}, {intervals[condition][1, j]:.4f}]"
            )

    ratio = theirs_s / ours_s
    ok = ratio >= TARGET_SPEEDUP
    failures += not ok
    print(
        f"\n{'PASS' if ok else 'FAIL'} speed: measurand {ours_s:.2f} s, rliable {theirs_s:.2f} s, "
        f"{ratio:.1f}x faster (target >= {TARGET_SPEEDUP:.0f}x)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
