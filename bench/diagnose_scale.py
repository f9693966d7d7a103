"""Benchmark: ``diagnose`` at the sizes the sources use (N = 1e5 and 1e6 examples).

The group-median bootstrap was the cost that grew as B·N·log N: every resample drew N indices,
counted ranks per row and searched cumulative counts (the named baseline
``baseline_group_medians`` below is a copy of that code path, run through
``measurand.stats.bootstrap`` as before). It now draws each resampled class median from the
uniform order statistics (:mod:`measurand.stats._group_median`): O(N log N) once for the sort,
then O(1) per resample.

Printed, for each N: the group-median bootstrap (new, 10,000 resamples), the baseline
(timed on ``--baseline-resamples`` and extrapolated linearly to 10,000: each resample costs the
same), their ratio, and the whole ``diagnose`` call with the default analyses. The AUC's
bootstrap still draws N multinomial counts per resample (an exact bootstrap of a rank statistic
over N distinct values needs them), so with ``--auc-bootstrap`` the whole call includes it; by
default the AUC gets its DeLong interval and the bootstrap AUC is timed separately on
``--auc-resamples`` resamples and extrapolated.

Run: ``python bench/diagnose_scale.py`` (``--quick``: N = 1e5 only). Timings on a shared machine
are contended: compare the ratios, which are measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from measurand import stats
from measurand.diagnose import diagnose, group_medians

N_RESAMPLES = 10_000
TARGET_SECONDS = 30.0


def baseline_group_medians(values: np.ndarray, label: np.ndarray, n_resamples: int, seed: int):
    """The previous code path: ranks resampled row by row, one bincount and cumsum per chunk."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    rank = np.empty(values.size, dtype=np.intp)
    rank[order] = np.arange(values.size)
    out = {}
    for flag in (True, False):
        out[flag] = stats.bootstrap(
            [rank, label.astype(np.int8)],
            _ranked_group_median(sorted_values, flag),
            n_resamples=n_resamples,
            paired=True,
            seed=np.random.default_rng(seed),
        )
    return out


def _ranked_group_median(sorted_values: np.ndarray, flag: bool) -> Callable[..., np.ndarray]:
    n_values = sorted_values.size

    def statistic(rank: np.ndarray, label: np.ndarray, axis: int = -1) -> np.ndarray:
        rank2 = np.atleast_2d(np.moveaxis(np.asarray(rank), axis, -1))
        member = np.atleast_2d(np.moveaxis(np.asarray(label), axis, -1)) == flag
        n_rows = rank2.shape[0]
        row_offset = np.arange(n_rows) * n_values
        flat = (rank2 + row_offset[:, None])[member]
        cumulative = np.cumsum(np.bincount(flat, minlength=n_rows * n_values))
        ends = cumulative[n_values - 1 :: n_values]
        starts = np.concatenate(([0], ends[:-1]))
        k = ends - starts
        low = np.searchsorted(cumulative, starts + (k - 1) // 2, side="right") - row_offset
        high = np.searchsorted(cumulative, starts + k // 2, side="right") - row_offset
        low = np.clip(low, 0, n_values - 1)
        high = np.clip(high, 0, n_values - 1)
        median = np.where(k > 0, 0.5 * (sorted_values[low] + sorted_values[high]), np.nan)
        return median if np.ndim(rank) > 1 else median[0]

    return statistic


def _general_path_seconds(values: np.ndarray, label: np.ndarray, n_resamples: int) -> float:
    """The bootstrap AUC through the general tie-group path (the code before the untied-score
    path; the same draws and the same AUCs)."""
    from measurand.stats import _auc

    sampler = _auc._CellCountSampler
    fast = sampler.all_singletons
    sampler.all_singletons = property(lambda self: False)  # type: ignore[assignment]
    try:
        return seconds(stats.auc, values, label, ci="bootstrap", n_resamples=n_resamples, seed=0)
    finally:
        sampler.all_singletons = fast  # type: ignore[method-assign]


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """About 60 % correct; a continuous signal shifted by one unit for the correct examples."""
    rng = np.random.default_rng(seed)
    label = rng.random(n) < 0.6
    return rng.normal(size=n) + label, label


def seconds(fn: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1e5 only")
    parser.add_argument("--baseline-resamples", type=int, default=200)
    parser.add_argument("--auc-resamples", type=int, default=100)
    parser.add_argument("--auc-bootstrap", action="store_true", help="whole call with it")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    missed = False
    for n in sizes:
        values, label = make_data(n)
        new = seconds(group_medians, values, label, n_resamples=N_RESAMPLES, seed=0)
        base = seconds(baseline_group_medians, values, label, args.baseline_resamples, 0)
        base_full = base * N_RESAMPLES / args.baseline_resamples
        ci_methods = ("delong", "bootstrap") if args.auc_bootstrap else ("delong",)
        whole = seconds(
            diagnose,
            {"y": label, "s": values},
            label="y",
            signals="s",
            n_resamples=N_RESAMPLES,
            ci_methods=ci_methods,
            seed=0,
        )
        # Two sizes: the fixed part (sorting, tie groups) and the cost per resample.
        auc_small = seconds(
            stats.auc, values, label, ci="bootstrap", n_resamples=args.auc_resamples, seed=0
        )
        auc_part = seconds(
            stats.auc, values, label, ci="bootstrap", n_resamples=2 * args.auc_resamples, seed=0
        )
        per_resample = max(auc_part - auc_small, 0.0) / args.auc_resamples
        auc_full = auc_small + per_resample * (N_RESAMPLES - args.auc_resamples)
        auc_general = _general_path_seconds(values, label, 2 * args.auc_resamples)
        print(f"N = {n:,}, {N_RESAMPLES:,} resamples")
        print(f"  group-median bootstrap: {new:.3f} s")
        print(
            f"  baseline (previous code path): {base:.2f} s for {args.baseline_resamples} "
            f"resamples -> {base_full:.1f} s extrapolated; ratio {base_full / new:.0f}x"
        )
        print(
            f"  whole diagnose (AUC intervals: {', '.join(ci_methods)}): {whole:.2f} s "
            f"(target < {TARGET_SECONDS:.0f} s at N = 1e6)"
        )
        if not args.auc_bootstrap:
            print(
                f"  bootstrap AUC alone: {auc_part:.2f} s for {2 * args.auc_resamples} resamples, "
                f"{1e3 * per_resample:.1f} ms per resample -> "
                f"{auc_full:.0f} s extrapolated (N multinomial counts per resample); the "
                f"general cell-count path (baseline): {auc_general:.2f} s, ratio "
                f"{auc_general / auc_part:.1f}x"
            )
        if n == 1_000_000 and whole > TARGET_SECONDS:
            missed = True
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
