"""Per-task split of a long table with seeds: seed-to-seed noise against the spread of conditions.

For each task (game, benchmark) of a long table with several conditions (agents, methods) and
several seeds per condition, every run is first reduced to its mean over a step window
(:func:`measurand.compare.window.window_means`: the seed is the unit of analysis). With C
conditions, n_c runs of condition c (N in all), condition means ȳ_c and grand mean ȳ (over runs),
the one-way analysis of variance gives

    MS_between = Σ_c n_c (ȳ_c − ȳ)² / (C − 1),     MS_within = Σ_c Σ_i (y_ci − ȳ_c)² / (N − C),

seed noise sd = √MS_within (pooled over conditions) and F = MS_between / MS_within.

SNR. With condition means μ_c, seed noise σ² and ñ = N/C runs per condition on average, the
signal-to-noise ratio is the variance (ddof 1) of the condition means over the noise variance,

    θ = Σ_c n_c (μ_c − μ̄)² / (ñ (C − 1) σ²)   (balanced: Var(μ_1, ..., μ_C) / σ²),

estimated by θ̂ = (F − 1)/ñ (negative when the conditions differ less than noise alone makes
them; kept as is so that rankings stay informative). The conditions are the *fixed* set being
compared, so F follows a noncentral F(C − 1, N − C, λ) with λ = ñ(C − 1)θ; the exact 1 − α
interval for θ inverts its distribution function in λ (the usual interval for a noncentrality
parameter, as for Cohen's f² in ANOVA): λ_low solves F_cdf(F_obs; λ) = 1 − α/2 (0 when even
λ = 0 gives less), λ_high solves F_cdf(F_obs; λ) = α/2. The noise share is 1/(1 + θ).

Benchmark-level ("Signal and Noise", Heineman et al. 2025): relative dispersion = (max_c ȳ_c −
min_c ȳ_c)/|ȳ|, relative noise = seed sd/|ȳ|, and their ratio.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from measurand._result import Result
from measurand.errors import InputError
from measurand.noise.floors import (
    _check_alpha,
    _check_snr_threshold,
    accepts_alpha,
    confidence_to_alpha,
)

__all__ = ["SeedSplit", "noncentral_f_interval", "seed_split", "seed_split_frame"]

_BISECTION_STEPS = 200


@dataclasses.dataclass(frozen=True)
class SeedSplit(Result):
    """Per task: seed noise, spread across conditions, SNR with an exact interval, ranked.

    Arrays follow ``tasks``, which are ranked by decreasing ``snr`` (``rank`` 1 = clearest
    separation of the conditions). Tasks that cannot be split are in ``skipped`` with why.
    """

    metric: str
    window: str
    tasks: tuple[str, ...]
    rank: np.ndarray
    n_conditions: np.ndarray
    n_runs: np.ndarray
    grand_mean: np.ndarray
    seed_sd: np.ndarray
    spread_sd: np.ndarray
    signal_sd: np.ndarray
    f_statistic: np.ndarray
    df_between: np.ndarray
    df_within: np.ndarray
    pvalue: np.ndarray
    snr: np.ndarray
    snr_low: np.ndarray
    snr_high: np.ndarray
    noise_share: np.ndarray
    noise_share_low: np.ndarray
    noise_share_high: np.ndarray
    relative_dispersion: np.ndarray
    relative_noise: np.ndarray
    benchmark_snr: np.ndarray
    low_snr: np.ndarray
    skipped: dict[str, str]
    conditions: tuple[str, ...]
    snr_threshold: float
    alpha: float

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "rank": int(self.rank[j]),
                "task": task,
                "n_conditions": int(self.n_conditions[j]),
                "n_runs": int(self.n_runs[j]),
                "grand_mean": float(self.grand_mean[j]),
                "seed_sd": float(self.seed_sd[j]),
                "spread_sd": float(self.spread_sd[j]),
                "signal_sd": float(self.signal_sd[j]),
                "f_statistic": float(self.f_statistic[j]),
                "pvalue": float(self.pvalue[j]),
                "snr": float(self.snr[j]),
                "snr_ci": [float(self.snr_low[j]), float(self.snr_high[j])],
                "noise_share": float(self.noise_share[j]),
                "noise_share_ci": [float(self.noise_share_low[j]), float(self.noise_share_high[j])],
                "relative_dispersion": float(self.relative_dispersion[j]),
                "relative_noise": float(self.relative_noise[j]),
                "benchmark_snr": float(self.benchmark_snr[j]),
                "low_snr": bool(self.low_snr[j]),
            }
            for j, task in enumerate(self.tasks)
        ]


def noncentral_f_interval(
    f_obs: np.ndarray, df_num: np.ndarray, df_den: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Exact 1 − α interval for the noncentrality λ of F(df_num, df_den, λ) from ``f_obs``.

    λ_low solves cdf(f_obs; λ) = 1 − α/2 and λ_high solves cdf(f_obs; λ) = α/2 (the cdf falls
    as λ grows); an end is 0 when λ = 0 already puts f_obs below it. Vectorized bisection.
    """
    _check_alpha(alpha)
    f_obs, df_num, df_den = np.broadcast_arrays(
        np.asarray(f_obs, dtype=np.float64),
        np.asarray(df_num, dtype=np.float64),
        np.asarray(df_den, dtype=np.float64),
    )
    return (
        _solve_noncentrality(f_obs, df_num, df_den, 1.0 - alpha / 2.0),
        _solve_noncentrality(f_obs, df_num, df_den, alpha / 2.0),
    )


def _solve_noncentrality(f_obs, df_num, df_den, target: float) -> np.ndarray:
    finite = np.isfinite(f_obs) & (df_num > 0) & (df_den > 0)
    result = np.full(f_obs.shape, np.nan)
    if not finite.any():
        return result
    f, d1, d2 = f_obs[finite], df_num[finite], df_den[finite]
    at_zero = stats.f.cdf(f, d1, d2)
    lo = np.zeros_like(f)
    hi = np.maximum(10.0, 2.0 * d1 * f + 10.0)
    # Grow the upper bracket until the cdf at it is below the target.
    for _ in range(60):
        too_low = stats.ncf.cdf(f, d1, d2, hi) > target
        if not too_low.any():
            break
        hi = np.where(too_low, hi * 2.0, hi)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        above = stats.ncf.cdf(f, d1, d2, mid) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.all(hi - lo <= 1e-10 * np.maximum(hi, 1.0)):
            break
    result[finite] = np.where(at_zero <= target, 0.0, 0.5 * (lo + hi))
    return result


@accepts_alpha
def seed_split_frame(
    frame: pl.DataFrame,
    *,
    confidence_level: float = 0.95,
    snr_threshold: float = 1.0,
    metric: str = "value",
    window: str = "all",
) -> SeedSplit:
    """The split from one value per run: a frame with columns ``task``, ``condition``, ``value``
    (one row per run, e.g. the output of ``window_means`` for one metric)."""
    alpha = confidence_to_alpha(confidence_level)
    _check_alpha(alpha)
    _check_snr_threshold(snr_threshold)
    missing = [c for c in ("task", "condition", "value") if c not in frame.columns]
    if missing:
        raise InputError(f"the per-run frame lacks column(s) {missing}")
    runs = frame.select(
        pl.col("task").cast(pl.Utf8), pl.col("condition").cast(pl.Utf8), pl.col("value")
    ).filter(pl.col("value").is_finite())
    if runs.height == 0:
        raise InputError("no runs with a finite value to split")
    per_condition = runs.group_by(["task", "condition"], maintain_order=True).agg(
        n=pl.len(),
        mean=pl.col("value").mean(),
        ss=((pl.col("value") - pl.col("value").mean()) ** 2).sum(),
    )
    grand_means = per_condition.group_by("task", maintain_order=True).agg(
        grand_mean=(pl.col("n") * pl.col("mean")).sum() / pl.col("n").sum()
    )
    per_task = (
        per_condition.join(grand_means, on="task", how="left", maintain_order="left")
        .group_by("task", maintain_order=True)
        .agg(
            n_conditions=pl.len(),
            n_runs=pl.col("n").sum(),
            grand_mean=pl.col("grand_mean").first(),
            ss_within=pl.col("ss").sum(),
            ss_between=(pl.col("n") * (pl.col("mean") - pl.col("grand_mean")) ** 2).sum(),
            spread_sd=pl.col("mean").std(ddof=1),
            spread_range=pl.col("mean").max() - pl.col("mean").min(),
        )
    )
    tasks_all = per_task.get_column("task").to_list()
    n_cond = per_task.get_column("n_conditions").to_numpy().astype(np.int64)
    n_runs = per_task.get_column("n_runs").to_numpy().astype(np.int64)
    df_between = n_cond - 1
    df_within = n_runs - n_cond
    ss_within = per_task.get_column("ss_within").to_numpy()
    ss_between = per_task.get_column("ss_between").to_numpy()
    grand = per_task.get_column("grand_mean").to_numpy()
    scale = np.maximum(np.abs(grand), 1.0)

    skipped: dict[str, str] = {}
    keep = np.ones(len(tasks_all), dtype=bool)
    for j, task in enumerate(tasks_all):
        if n_cond[j] < 2:
            skipped[task] = "only one condition: no spread across conditions to compare"
        elif df_within[j] < 1:
            skipped[task] = "no condition has 2 or more seeds: the seed noise is unknown"
        elif not ss_within[j] > (1e-12 * scale[j]) ** 2 * df_within[j]:
            skipped[task] = "the seeds of every condition agree exactly: no seed noise"
        else:
            continue
        keep[j] = False
    if not keep.any():
        reasons = "; ".join(f"{t}: {r}" for t, r in list(skipped.items())[:5])
        raise InputError(
            "no task can be split into seed noise and spread across conditions (it needs at "
            f"least 2 conditions and a condition with 2 or more seeds): {reasons}"
        )

    idx = np.nonzero(keep)[0]
    d1, d2 = df_between[idx].astype(np.float64), df_within[idx].astype(np.float64)
    ms_within = ss_within[idx] / d2
    f_stat = (ss_between[idx] / d1) / ms_within
    n_tilde = n_runs[idx] / n_cond[idx]
    snr = (f_stat - 1.0) / n_tilde
    lam_low, lam_high = noncentral_f_interval(f_stat, d1, d2, alpha)
    snr_low, snr_high = lam_low / (n_tilde * d1), lam_high / (n_tilde * d1)
    seed_sd = np.sqrt(ms_within)
    grand_k = grand[idx]
    spread_range = per_task.get_column("spread_range").to_numpy()[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        relative_dispersion = spread_range / np.abs(grand_k)
        relative_noise = seed_sd / np.abs(grand_k)
        benchmark = spread_range / seed_sd
    order = np.argsort(-np.where(np.isfinite(snr), snr, -np.inf), kind="stable")

    def ranked(values: np.ndarray) -> np.ndarray:
        return np.asarray(values)[order]

    snr_r = ranked(snr)
    return SeedSplit(
        metric=metric,
        window=window,
        tasks=tuple(tasks_all[idx[i]] for i in order),
        rank=np.arange(1, len(order) + 1),
        n_conditions=ranked(n_cond[idx]),
        n_runs=ranked(n_runs[idx]),
        grand_mean=ranked(grand_k),
        seed_sd=ranked(seed_sd),
        spread_sd=ranked(per_task.get_column("spread_sd").to_numpy()[idx]),
        signal_sd=ranked(np.sqrt(np.maximum(snr, 0.0)) * seed_sd),
        f_statistic=ranked(f_stat),
        df_between=ranked(df_between[idx]),
        df_within=ranked(df_within[idx]),
        pvalue=ranked(stats.f.sf(f_stat, d1, d2)),
        snr=snr_r,
        snr_low=ranked(snr_low),
        snr_high=ranked(snr_high),
        noise_share=1.0 / (1.0 + snr_r),
        noise_share_low=1.0 / (1.0 + ranked(snr_high)),
        noise_share_high=1.0 / (1.0 + ranked(snr_low)),
        relative_dispersion=ranked(relative_dispersion),
        relative_noise=ranked(relative_noise),
        benchmark_snr=ranked(benchmark),
        low_snr=snr_r < snr_threshold,
        skipped=skipped,
        conditions=tuple(runs.get_column("condition").unique(maintain_order=True).to_list()),
        snr_threshold=float(snr_threshold),
        alpha=float(alpha),
    )


@accepts_alpha
def seed_split(
    data: Any,
    *,
    window: Any = "all",
    metric: str | None = None,
    conditions: list[str] | None = None,
    confidence_level: float = 0.95,
    snr_threshold: float = 1.0,
) -> SeedSplit:
    """Per-task seed noise vs spread across conditions for a long table (module notes).

    Parameters
    ----------
    data:
        A :class:`measurand.io.RunData` (``read_table``/``read_campaign``) or a canonical long
        polars frame.
    window:
        Steps averaged per run (``"all"``, ``"400:500"``, ``"last:10"``); see
        :func:`measurand.compare.window.parse_window`.
    metric:
        The metric to split; may be left out when the data holds one metric.
    conditions:
        Restrict to these conditions (default: all).
    confidence_level, snr_threshold:
        Interval level (old name ``alpha`` = 1 − confidence_level); tasks whose SNR
        estimate is below ``snr_threshold`` are
        flagged ``low_snr``.
    """
    from measurand.stats._window import long_frame, parse_window, window_means

    frame = long_frame(data)
    metrics = frame.get_column("metric").unique(maintain_order=True).to_list()
    if metric is None:
        if len(metrics) != 1:
            raise InputError(
                f"the table holds {len(metrics)} metrics ({', '.join(metrics[:10])}); name the "
                "one to split"
            )
        metric = metrics[0]
    parsed = parse_window(window)
    means = window_means(frame, parsed, metrics=metric, conditions=conditions)
    return seed_split_frame(
        means,
        confidence_level=confidence_level,
        snr_threshold=snr_threshold,
        metric=metric,
        window=parsed.label,
    )
