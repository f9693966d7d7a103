"""Episode-level analysis of pooled correct/total counts (Fisher, Wilson, Newcombe)."""

from __future__ import annotations

import dataclasses

import polars as pl

from measurand._result import ConfidenceInterval, Result
from measurand.compare._options import PairOptions
from measurand.errors import InputError, NoSolutionError
from measurand.stats import fisher_exact, newcombe_difference, power_proportions, wilson
from measurand.stats._window import Window, filter_window

COUNTS_UNIT = "episode (pooled across seeds and steps; ignores seed-to-seed variation)"
COUNTS_METRIC = "correct_rate"


@dataclasses.dataclass(frozen=True)
class CountsComparison(Result):
    """Episode-level comparison of pooled correct/total counts (candidate vs baseline).

    Counts are summed over the seeds and the window steps of each arm (the window is applied to
    the counts' own steps; for ``last:N``, to each run's last N counted steps). ``odds_ratio`` is
    the conditional maximum-likelihood odds ratio of Fisher's exact test for the table
    ``[[correct_candidate, wrong_candidate], [correct_baseline, wrong_baseline]]`` (> 1: the
    candidate is more often correct), with its exact interval; ``rate_*_ci`` are Wilson score
    intervals, ``rate_difference_ci`` Newcombe's hybrid score interval for
    ``rate_candidate - rate_baseline``. ``episodes_per_arm`` is the per-arm sample size for
    ``power`` at the observed rates (two-proportion z test, as R's ``power.prop.test``);
    ``episodes_per_arm_min_effect`` the same for a rate difference of ``min_effect``.
    """

    correct_baseline: int
    total_baseline: int
    correct_candidate: int
    total_candidate: int
    rate_baseline: float
    rate_baseline_ci: ConfidenceInterval
    rate_candidate: float
    rate_candidate_ci: ConfidenceInterval
    rate_difference: float
    rate_difference_ci: ConfidenceInterval
    fisher_pvalue: float
    odds_ratio: float
    odds_ratio_ci: ConfidenceInterval
    sample_odds_ratio: float
    episodes_per_arm: int | None
    episodes_per_arm_min_effect: int | None
    n_runs_baseline: int
    n_runs_candidate: int
    unit: str = COUNTS_UNIT


def counts_comparison(
    counts: pl.DataFrame,
    baseline: str,
    candidate: str,
    window: Window,
    options: PairOptions,
    min_effect: float | None,
    notes: list[str],
) -> CountsComparison | None:
    frame = counts.filter(pl.col("condition").is_in([baseline, candidate])).with_columns(
        pl.lit("", dtype=pl.Utf8).alias("task")
    )
    if window.kind != "all":
        frame = filter_window(frame, window)
    sums = dict(
        (row[0], row[1:])
        for row in frame.group_by("condition")
        .agg(
            pl.col("correct_count").sum(),
            pl.col("total_count").sum(),
            pl.col("seed").n_unique(),
        )
        .iter_rows()
    )
    if baseline not in sums or candidate not in sums:
        notes.append("counts analysis skipped: no correct/total counts for both arms in the window")
        return None
    k_base, n_base, runs_base = (int(v) for v in sums[baseline])
    k_cand, n_cand, runs_cand = (int(v) for v in sums[candidate])
    if n_base == 0 or n_cand == 0:
        notes.append("counts analysis skipped: an arm has no episodes in the window")
        return None
    level = options.confidence_level
    fisher = fisher_exact(
        [[k_cand, n_cand - k_cand], [k_base, n_base - k_base]], confidence_level=level
    )
    rate_base = wilson(k_base, n_base, confidence_level=level)
    rate_cand = wilson(k_cand, n_cand, confidence_level=level)
    difference = newcombe_difference(k_cand, n_cand, k_base, n_base, confidence_level=level)

    def episodes(p_other: float) -> int | None:
        try:
            return power_proportions(
                p1=rate_base.statistic, p2=p_other, power=options.power, alpha=options.alpha
            ).n_ceil
        except (InputError, NoSolutionError) as error:
            notes.append(f"episodes per arm not computed: {error}")
            return None

    needed = episodes(rate_cand.statistic)
    needed_min = None
    if min_effect is not None:
        p_up = rate_base.statistic + min_effect
        needed_min = episodes(p_up if p_up < 1.0 else rate_base.statistic - min_effect)
    return CountsComparison(
        correct_baseline=k_base,
        total_baseline=n_base,
        correct_candidate=k_cand,
        total_candidate=n_cand,
        rate_baseline=rate_base.statistic,
        rate_baseline_ci=rate_base.confidence_interval,
        rate_candidate=rate_cand.statistic,
        rate_candidate_ci=rate_cand.confidence_interval,
        rate_difference=difference.statistic,
        rate_difference_ci=difference.confidence_interval,
        fisher_pvalue=fisher.pvalue,
        odds_ratio=fisher.statistic,
        odds_ratio_ci=fisher.confidence_interval,
        sample_odds_ratio=fisher.sample_odds_ratio,
        episodes_per_arm=needed,
        episodes_per_arm_min_effect=needed_min,
        n_runs_baseline=runs_base,
        n_runs_candidate=runs_cand,
    )
