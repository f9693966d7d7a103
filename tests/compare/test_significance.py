"""Tests for measurand.compare.significance.

Every statistic of the composition is checked against an independent computation on the same
per-seed window means (recomputed here with numpy):

- delta: difference of numpy means; CI: ``scipy.stats.bootstrap`` (percentile, BCa) within Monte
  Carlo error, and exactly ``measurand.stats.bootstrap`` fed the same Generator (orientation,
  level, statistic);
- permutation p: ``scipy.stats.permutation_test(..., n_resamples=np.inf)`` (exact) and, for the
  Monte Carlo branch, within binomial error of the exact value;
- Cohen's d / Hedges' g: direct formulas (pooled sd, exact gamma correction), the CI bounds
  checked through ``scipy.stats.nct``;
- power, seeds per arm, MDE: ``statsmodels.stats.power.TTestIndPower``;
- counts: ``scipy.stats.fisher_exact``, ``scipy.stats.contingency.odds_ratio``, statsmodels
  ``proportion_confint(method="wilson")`` / ``confint_proportions_2indep(method="newcomb")`` and
  the closed form of R's ``power.prop.test``;
- hierarchical bootstrap: the analytic variance of the two-stage bootstrap mean.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import polars as pl
import pytest
from analysis_data import campaign, long_frame, read_dopamine, run_data, seed_means
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special
from scipy import stats as sps
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from measurand.compare._statistics import hierarchical_means as _hierarchical_means
from measurand.compare.two_conditions import (
    UNIT_POOLED,
    VERDICTS,
    significance,
)
from measurand.compare.window import window_means
from measurand.errors import InputError
from measurand.stats import bootstrap


def _mean_diff(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _exact_p(x, y):
    """Two-sided exact permutation p of mean(x) - mean(y), enumerated directly.

    Ties are counted with a tolerance on the data's scale (scipy's tolerance is relative to the
    observed value and misses the observed labeling itself when that value is near zero).
    """
    pooled = np.concatenate([x, y])
    observed = x.mean() - y.mean()
    null = np.array(
        [
            pooled[list(idx)].mean() - np.delete(pooled, list(idx)).mean()
            for idx in itertools.combinations(range(pooled.size), x.size)
        ]
    )
    tol = 1e-9 * np.abs(pooled).max()
    p_greater = np.mean(null >= observed - tol)
    p_less = np.mean(null <= observed + tol)
    return min(1.0, 2 * min(p_greater, p_less))


@pytest.fixture(scope="module")
def camp():
    return campaign({"base": 0.30, "cand": 0.33}, n_seeds=8, n_steps=50, with_counts=True)


@pytest.fixture(scope="module")
def result(camp):
    return significance(
        camp, baseline="base", candidate="cand", metrics=["correct_rate"], window="20:50"
    )


# ------------------------------------------------------------------------------ the composition


def test_delta_and_seed_values(camp, result):
    (item,) = result.comparisons
    xb = seed_means(camp, "base", "correct_rate", 20, 50)
    xc = seed_means(camp, "cand", "correct_rate", 20, 50)
    assert item.unit == "seed" and result.unit == "seed"
    assert (item.n_baseline, item.n_candidate) == (8, 8)
    assert item.seeds_baseline == tuple(str(s) for s in range(8))
    np.testing.assert_allclose(item.values_baseline, xb, rtol=1e-12)
    np.testing.assert_allclose(item.values_candidate, xc, rtol=1e-12)
    assert item.mean_baseline == pytest.approx(xb.mean(), rel=1e-12)
    assert item.delta == pytest.approx(xc.mean() - xb.mean(), rel=1e-12)
    assert item.sd_candidate == pytest.approx(np.std(xc, ddof=1), rel=1e-12)
    assert result.window == "20:50" and result.alpha == 0.05
    assert item.confidence_level == pytest.approx(0.95)


def test_permutation_p_is_exact_and_matches_scipy(camp, result):
    (item,) = result.comparisons
    xb = seed_means(camp, "base", "correct_rate", 20, 50)
    xc = seed_means(camp, "cand", "correct_rate", 20, 50)
    assert item.permutation_exact is True
    assert item.n_permutations == math.comb(16, 8) == 12_870
    assert item.pvalue == pytest.approx(_exact_p(xc, xb), rel=1e-12)


def test_monte_carlo_permutation_p_within_binomial_error():
    camp9 = campaign({"b": 0.30, "c": 0.305}, n_seeds=9, n_steps=10, rng_seed=6)
    res = significance(
        camp9, baseline="b", candidate="c", metrics="correct_rate", n_permutations=4000
    )
    (item,) = res.comparisons
    xb, xc = np.array(item.values_baseline), np.array(item.values_candidate)
    exact = _exact_p(xc, xb)  # C(18, 9) = 48,620 relabelings
    assert item.permutation_exact is False and item.n_permutations == 4000
    assert 0.01 < exact < 0.9
    assert abs(item.pvalue - exact) <= 4 * math.sqrt(exact * (1 - exact) / 4000) + 2 / 4001


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_bootstrap_ci_matches_scipy_within_monte_carlo_error(camp, method):
    res = significance(
        camp,
        baseline="base",
        candidate="cand",
        metrics="correct_rate",
        window="20:50",
        ci_method=method,
        n_resamples=20_000,
        seed=3,
    )
    (item,) = res.comparisons
    xb, xc = np.array(item.values_baseline), np.array(item.values_candidate)
    reference = sps.bootstrap(
        (xc, xb),
        _mean_diff,
        n_resamples=20_000,
        method="BCa" if method == "bca" else method,
        vectorized=True,
        random_state=11,
    ).confidence_interval
    width = reference.high - reference.low
    assert item.ci_method == method
    assert item.ci.low == pytest.approx(reference.low, abs=0.04 * width)
    assert item.ci.high == pytest.approx(reference.high, abs=0.04 * width)


def test_bootstrap_ci_is_the_stats_bootstrap_of_candidate_minus_baseline(camp):
    res = significance(
        camp,
        baseline="base",
        candidate="cand",
        metrics="correct_rate",
        window="20:50",
        alpha=0.1,
        n_resamples=2000,
        seed=np.random.default_rng(42),
    )
    (item,) = res.comparisons
    direct = bootstrap(
        (np.array(item.values_candidate), np.array(item.values_baseline)),
        _mean_diff,
        n_resamples=2000,
        confidence_level=0.9,
        seed=np.random.default_rng(42),
    )
    assert item.ci == direct.confidence_interval
    assert item.confidence_level == pytest.approx(0.9)


def test_effect_sizes_match_direct_formulas(result):
    (item,) = result.comparisons
    xb, xc = np.array(item.values_baseline), np.array(item.values_candidate)
    nb, nc = xb.size, xc.size
    df = nb + nc - 2
    sp = math.sqrt(((nb - 1) * xb.var(ddof=1) + (nc - 1) * xc.var(ddof=1)) / df)
    d = (xc.mean() - xb.mean()) / sp
    j = special.gamma(df / 2) / (math.sqrt(df / 2) * special.gamma((df - 1) / 2))
    assert item.pooled_sd == pytest.approx(sp, rel=1e-12)
    assert item.cohens_d == pytest.approx(d, rel=1e-10)
    assert item.hedges_g == pytest.approx(j * d, rel=1e-10)
    # the CI inverts the noncentral t of t = d * sqrt(nb nc / (nb + nc))
    scale = math.sqrt(nb * nc / (nb + nc))
    t_obs = d * scale
    assert sps.nct.cdf(t_obs, df, item.cohens_d_ci.low * scale) == pytest.approx(0.975, abs=1e-7)
    assert sps.nct.cdf(t_obs, df, item.cohens_d_ci.high * scale) == pytest.approx(0.025, abs=1e-7)
    assert item.hedges_g_ci.low == pytest.approx(j * item.cohens_d_ci.low, rel=1e-10)


def test_power_figures_match_statsmodels(camp):
    res = significance(
        camp,
        baseline="base",
        candidate="cand",
        metrics="correct_rate",
        window="20:50",
        min_effect=0.01,
        power=0.9,
        alpha=0.05,
    )
    (item,) = res.comparisons
    solver = TTestIndPower()
    d, n, sd = item.cohens_d, 8, item.pooled_sd
    # statsmodels counts both rejection tails; measurand (as R) only the effect's direction
    crit = sps.t.isf(0.025, 2 * n - 2)
    other_tail = sps.nct.cdf(-crit, 2 * n - 2, abs(d) * math.sqrt(n / 2))
    assert item.power_observed + other_tail == pytest.approx(
        solver.power(effect_size=d, nobs1=n, alpha=0.05), rel=1e-6
    )
    assert item.n_per_arm_observed == math.ceil(
        solver.solve_power(effect_size=abs(d), power=0.9, alpha=0.05)
    )
    assert item.n_per_arm_min_effect == math.ceil(
        solver.solve_power(effect_size=0.01 / sd, power=0.9, alpha=0.05)
    )
    mde_d = solver.solve_power(nobs1=n, power=0.9, alpha=0.05)
    assert item.mde_effect_size == pytest.approx(mde_d, rel=1e-4)
    assert item.mde == pytest.approx(mde_d * sd, rel=1e-4)
    assert item.power == 0.9 and item.min_effect == 0.01


def test_unequal_arms_use_the_harmonic_mean_for_power():
    data = campaign({"b": 0.3, "c": 0.4}, n_seeds=6, n_steps=5, rng_seed=2)
    frame = data.frame.filter(~((pl.col("condition") == "c") & pl.col("seed").is_in(["4", "5"])))
    (item,) = significance(frame, baseline="b", candidate="c", metrics="correct_rate").comparisons
    assert (item.n_baseline, item.n_candidate) == (6, 4)
    n_h = 2 * 6 * 4 / 10
    mde_d = TTestIndPower().solve_power(nobs1=n_h, power=0.8, alpha=0.05)
    assert item.mde_effect_size == pytest.approx(mde_d, rel=1e-3)
    assert any("harmonic mean" in note for note in item.notes)


def test_counts_analysis_matches_scipy_and_statsmodels(camp, result):
    (item,) = result.comparisons
    counts = camp.counts.filter((pl.col("step") >= 20) & (pl.col("step") < 50))
    sums = {
        c: (
            counts.filter(pl.col("condition") == c)["correct_count"].sum(),
            counts.filter(pl.col("condition") == c)["total_count"].sum(),
        )
        for c in ("base", "cand")
    }
    (kb, nb), (kc, nc) = sums["base"], sums["cand"]
    c = item.counts
    assert (c.correct_baseline, c.total_baseline, c.correct_candidate, c.total_candidate) == (
        kb,
        nb,
        kc,
        nc,
    )
    assert (c.n_runs_baseline, c.n_runs_candidate) == (8, 8)
    table = [[kc, nc - kc], [kb, nb - kb]]
    assert c.fisher_pvalue == pytest.approx(sps.fisher_exact(table).pvalue, rel=1e-9)
    conditional = sps.contingency.odds_ratio(table, kind="conditional")
    assert c.odds_ratio == pytest.approx(conditional.statistic, rel=1e-7)
    ci = conditional.confidence_interval(0.95)
    assert c.odds_ratio_ci.low == pytest.approx(ci.low, rel=1e-6)
    assert c.odds_ratio_ci.high == pytest.approx(ci.high, rel=1e-6)
    assert c.sample_odds_ratio == pytest.approx(kc * (nb - kb) / ((nc - kc) * kb), rel=1e-12)
    for (k, n), got in (((kb, nb), c.rate_baseline_ci), ((kc, nc), c.rate_candidate_ci)):
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert got.low == pytest.approx(low, rel=1e-9) and got.high == pytest.approx(high, rel=1e-9)
    low, high = confint_proportions_2indep(kc, nc, kb, nb, method="newcomb")
    assert c.rate_difference == pytest.approx(kc / nc - kb / nb, rel=1e-12)
    assert c.rate_difference_ci.low == pytest.approx(low, rel=1e-9)
    assert c.rate_difference_ci.high == pytest.approx(high, rel=1e-9)
    # R power.prop.test closed form: n = ((z_a sqrt(2 pbar qbar) + z_b sqrt(p1q1 + p2q2)) / d)^2
    p1, p2 = kb / nb, kc / nc
    pbar = (p1 + p2) / 2
    n_needed = (
        (
            sps.norm.ppf(0.975) * math.sqrt(2 * pbar * (1 - pbar))
            + sps.norm.ppf(0.8) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
        )
        / (p2 - p1)
    ) ** 2
    assert c.episodes_per_arm == math.ceil(n_needed)
    assert "episode" in c.unit


def test_counts_only_for_correct_rate_and_note_without_counts(camp):
    frame = camp.frame.vstack(camp.frame.with_columns(pl.lit("loss").alias("metric")))
    with_counts = run_data(frame, camp.counts)
    res = significance(
        with_counts,
        baseline="base",
        candidate="cand",
        metrics=["correct_rate", "loss"],
        n_resamples=200,
    )
    assert res.comparison("correct_rate").counts is not None
    assert res.comparison("loss").counts is None
    without = significance(
        camp.frame, baseline="base", candidate="cand", metrics="correct_rate", n_resamples=200
    )
    assert without.comparisons[0].counts is None
    assert any("counts analysis skipped" in w for w in without.warnings)


# ------------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize(
    ("levels", "higher", "expected"),
    [
        ({"b": 0.3, "c": 0.4}, True, "significant_improvement"),
        ({"b": 0.4, "c": 0.3}, True, "significant_degradation"),
        ({"b": 0.3, "c": 0.4}, False, "significant_degradation"),
        ({"b": 0.4, "c": 0.3}, False, "significant_improvement"),
        ({"b": 0.3, "c": 0.3}, True, "insufficient_evidence"),
    ],
)
def test_verdicts(levels, higher, expected):
    data = campaign(levels, n_seeds=6, n_steps=20, rng_seed=5)
    direction = {"correct_rate": higher, "other": True}
    (item,) = significance(
        data,
        baseline="b",
        candidate="c",
        metrics="correct_rate",
        higher_is_better=direction,
        n_resamples=2000,
    ).comparisons
    assert item.verdict == expected
    assert item.higher_is_better is higher
    if expected != "insufficient_evidence":
        assert item.pvalue < 0.05
        assert item.ci.low > 0 or item.ci.high < 0


def test_one_seed_per_arm_is_refused_without_error():
    data = campaign({"b": 0.3, "c": 0.5}, n_seeds=1, n_steps=30)
    res = significance(data, baseline="b", candidate="c", metrics="correct_rate")
    (item,) = res.comparisons
    assert item.verdict == "insufficient_evidence"
    assert item.delta == pytest.approx(item.mean_candidate - item.mean_baseline)
    assert math.isnan(item.pvalue) and math.isnan(item.ci.low) and math.isnan(item.cohens_d)
    assert any("needs >= 2 seeds per arm" in w for w in res.warnings)
    out = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert out["comparisons"][0]["pvalue"] is None


def test_two_seeds_per_arm_warns_that_significance_is_impossible():
    data = campaign({"b": 0.3, "c": 0.9}, n_seeds=2, n_steps=5)
    (item,) = significance(data, baseline="b", candidate="c", metrics="correct_rate").comparisons
    assert item.pvalue == pytest.approx(1 / 3)  # 2 / C(4, 2): the most extreme split
    assert item.verdict == "insufficient_evidence"
    assert any("smallest attainable permutation p-value is 0.333" in n for n in item.notes)


def test_constant_arms_give_nan_effect_size_with_a_note():
    rows = [(c, str(s), "", 0, "m", v) for c, v in (("b", 1.0), ("c", 2.0)) for s in range(4)]
    (item,) = significance(
        long_frame(rows), baseline="b", candidate="c", metrics="m", n_resamples=500
    ).comparisons
    assert item.delta == 1.0 and item.ci == (1.0, 1.0)
    assert item.pvalue == pytest.approx(2 / math.comb(8, 4))
    assert math.isnan(item.cohens_d) and any("zero variance" in n for n in item.notes)
    assert item.verdict == "significant_improvement"


# ------------------------------------------------------------------------------ bad inputs


def test_bad_inputs(camp):
    kwargs = {"baseline": "base", "candidate": "cand", "metrics": "correct_rate"}
    with pytest.raises(InputError, match=r"unknown condition 'nope'.*\['base', 'cand'\]"):
        significance(camp, baseline="nope", candidate="cand", metrics="correct_rate")
    with pytest.raises(InputError, match="same condition"):
        significance(camp, baseline="base", candidate="base", metrics="correct_rate")
    with pytest.raises(InputError, match="hierarchical"):
        significance(camp, hierarchical=True, pooled=True, **kwargs)
    with pytest.raises(InputError, match="percentile"):
        significance(camp, hierarchical=True, ci_method="bca", **kwargs)
    with pytest.raises(InputError, match="ci_method"):
        significance(camp, ci_method="studentized", **kwargs)
    with pytest.raises(InputError, match="alpha"):
        significance(camp, alpha=1.5, **kwargs)
    with pytest.raises(InputError, match="n_permutations"):
        significance(camp, n_permutations=0, **kwargs)
    with pytest.raises(InputError, match="min_effect"):
        significance(camp, min_effect=-0.1, **kwargs)
    with pytest.raises(InputError, match="higher_is_better"):
        significance(camp, higher_is_better="yes", **kwargs)
    with pytest.raises(InputError, match="window"):
        significance(camp, window="50:20", **kwargs)
    with pytest.raises(InputError, match="metrics is empty"):
        significance(camp, baseline="base", candidate="cand", metrics=[])


def test_metric_absent_from_a_condition_names_both():
    rows = [("b", "1", "", 0, "acc", 1.0), ("c", "1", "", 0, "loss", 1.0)]
    with pytest.raises(InputError, match=r"metric 'acc' is absent from condition 'c'"):
        significance(long_frame(rows), baseline="b", candidate="c", metrics=["acc"])


def test_metrics_none_compares_the_metrics_both_conditions_have():
    data = campaign({"b": 0.3, "c": 0.4}, n_seeds=3, n_steps=4)
    extra = data.frame.filter(pl.col("condition") == "b").with_columns(
        pl.lit("loss").alias("metric")
    )
    res = significance(
        data.frame.vstack(extra), baseline="b", candidate="c", metrics=None, n_resamples=200
    )
    assert [c.metric for c in res.comparisons] == ["correct_rate"]
    assert any("['loss'] are missing from some conditions" in w for w in res.warnings)
    only_loss = extra.vstack(extra.with_columns(pl.lit("c").alias("condition"))).with_columns(
        pl.lit("acc").alias("metric")
    )
    with pytest.raises(InputError, match="share no metric"):
        significance(
            data.frame.filter(pl.col("condition") == "b").vstack(
                only_loss.filter(pl.col("condition") == "c")
            ),
            baseline="b",
            candidate="c",
            metrics=None,
        )


def test_seeds_outside_the_window_are_reported():
    data = campaign({"b": 0.3, "c": 0.4}, n_seeds=4, n_steps=40)
    frame = data.frame.filter(~((pl.col("seed") == "3") & (pl.col("step") >= 20)))
    res = significance(
        frame,
        baseline="b",
        candidate="c",
        metrics="correct_rate",
        window="last:10",
        n_resamples=200,
    )
    (item,) = res.comparisons
    # seed 3 stops at step 19, so its own last 10 steps still count ("last" is per run) ...
    assert item.n_baseline == 4
    res = significance(
        frame, baseline="b", candidate="c", metrics="correct_rate", window="30:40", n_resamples=200
    )
    (item,) = res.comparisons
    # ... while a fixed range leaves it out, with a warning
    assert item.n_baseline == 3 and "3" not in item.seeds_baseline
    assert any("seed(s) ['3'] of 'b'" in w for w in res.warnings)


def test_last_window_counts_back_from_the_runs_last_step_over_all_metrics():
    # "acc" is logged at steps 0..9, "eval" only at 0, 2, 4, 6: last:5 keeps steps 5..9 of
    # every run, whichever metrics are compared, so "eval" keeps only step 6 -- as window_means
    rows = [
        (c, str(s), "", step, metric, 0.1 * step + (c == "c") + 0.01 * s + (metric == "eval"))
        for c in ("b", "c")
        for s in range(3)
        for metric, steps in (("acc", range(10)), ("eval", range(0, 8, 2)))
        for step in steps
    ]
    frame = long_frame(rows)
    alone = significance(
        frame, baseline="b", candidate="c", metrics="eval", window="last:5", n_resamples=200
    ).comparison("eval")
    both = significance(
        frame,
        baseline="b",
        candidate="c",
        metrics=["acc", "eval"],
        window="last:5",
        n_resamples=200,
    ).comparison("eval")
    step_6 = [0.6 + 1 + 0.01 * s for s in range(3)]
    np.testing.assert_allclose(alone.values_baseline, step_6, rtol=1e-12)
    means = window_means(frame, "last:5", metrics="eval", conditions=["b"])
    np.testing.assert_allclose(alone.values_baseline, means["value"].to_numpy(), rtol=1e-12)
    assert alone == both


def test_a_stop_step_that_ends_the_runs_is_reported():
    data = campaign({"b": 0.3, "c": 0.4}, n_seeds=3, n_steps=11)  # steps 0..10
    kwargs = {"baseline": "b", "candidate": "c", "metrics": "correct_rate", "n_resamples": 200}
    res = significance(data, window="5:10", **kwargs)
    assert res.comparisons[0].n_baseline == 3
    (note,) = [w for w in res.warnings if "excludes step 10" in w]
    assert "last step of 6 run(s)" in note and "write '5:11'" in note
    assert not any(
        "excludes step" in w for w in significance(data, window="5:9", **kwargs).warnings
    )


def test_tasks_are_compared_separately_and_unshared_ones_reported():
    a = campaign({"b": 0.3, "c": 0.4}, n_seeds=3, n_steps=5, task="pong", rng_seed=1)
    z = campaign({"b": 0.3, "c": 0.2}, n_seeds=3, n_steps=5, task="breakout", rng_seed=2)
    extra = campaign({"b": 0.5}, n_seeds=3, n_steps=5, task="qbert", rng_seed=3)
    frame = pl.concat([a.frame, z.frame, extra.frame])
    res = significance(frame, baseline="b", candidate="c", metrics="correct_rate", n_resamples=300)
    assert [c.task for c in res.comparisons] == ["pong", "breakout"]
    assert res.comparison("correct_rate", "pong").delta > 0
    assert res.comparison("correct_rate", "breakout").delta < 0
    assert any("qbert" in w for w in res.warnings)
    with pytest.raises(KeyError):
        res.comparison("correct_rate", "qbert")


# ------------------------------------------------------------------------------ options


def test_reproducible_and_independent_of_other_metrics(camp):
    frame = camp.frame.vstack(
        camp.frame.with_columns(pl.lit("loss").alias("metric"), pl.col("value") * 2)
    )
    one = significance(
        frame,
        baseline="base",
        candidate="cand",
        metrics=["correct_rate"],
        n_permutations=500,
        seed=9,
    )
    both = significance(
        frame,
        baseline="base",
        candidate="cand",
        metrics=["loss", "correct_rate"],
        n_permutations=500,
        seed=9,
    )
    again = significance(
        frame,
        baseline="base",
        candidate="cand",
        metrics=["correct_rate"],
        n_permutations=500,
        seed=9,
    )
    other = significance(
        frame,
        baseline="base",
        candidate="cand",
        metrics=["correct_rate"],
        n_permutations=500,
        seed=10,
    )
    first = one.comparisons[0]
    assert first == again.comparisons[0] == both.comparison("correct_rate")
    assert first.ci != other.comparisons[0].ci
    assert first.permutation_exact is False


def test_pooled_steps_are_labelled_and_tested_on_steps():
    data = campaign({"b": 0.3, "c": 0.35}, n_seeds=2, n_steps=4, rng_seed=8)
    res = significance(data, baseline="b", candidate="c", metrics="correct_rate", pooled=True)
    (item,) = res.comparisons
    steps_b = data.frame.filter(pl.col("condition") == "b")["value"].to_numpy()
    steps_c = data.frame.filter(pl.col("condition") == "c")["value"].to_numpy()
    assert res.unit == item.unit == UNIT_POOLED == "step (pseudo-replicated)"
    assert (item.n_baseline, item.n_candidate) == (8, 8)
    assert item.delta == pytest.approx(steps_c.mean() - steps_b.mean(), rel=1e-12)
    assert item.pvalue == pytest.approx(_exact_p(steps_c, steps_b), rel=1e-12)
    assert any("pseudo-replication" in w for w in res.warnings)
    assert len(item.values_baseline) == 2  # seed means are still reported


def test_hierarchical_bootstrap_variance_is_the_two_stage_variance():
    rng = np.random.default_rng(12)
    steps = [rng.normal(loc, 1.0, size) for loc, size in ((0.0, 5), (1.0, 9), (3.0, 2), (0.5, 7))]
    draws = _hierarchical_means(steps, 200_000, np.random.default_rng(1))
    seed_level = np.array([s.mean() for s in steps])
    within = np.array([s.var() / s.size for s in steps])  # plug-in variance of a resampled mean
    expected_var = (seed_level.var() + within.mean()) / len(steps)
    assert draws.mean() == pytest.approx(seed_level.mean(), abs=4 * math.sqrt(expected_var / 2e5))
    assert draws.var() == pytest.approx(expected_var, rel=0.02)


def test_hierarchical_with_one_step_per_seed_is_the_seed_bootstrap():
    data = campaign({"b": 0.3, "c": 0.36}, n_seeds=10, n_steps=1, rng_seed=13)
    res = significance(
        data,
        baseline="b",
        candidate="c",
        metrics="correct_rate",
        hierarchical=True,
        n_resamples=40_000,
    )
    (item,) = res.comparisons
    xb, xc = np.array(item.values_baseline), np.array(item.values_candidate)
    reference = sps.bootstrap(
        (xc, xb),
        _mean_diff,
        n_resamples=40_000,
        method="percentile",
        vectorized=True,
        random_state=2,
    ).confidence_interval
    width = reference.high - reference.low
    assert item.hierarchical is True
    assert item.ci.low == pytest.approx(reference.low, abs=0.03 * width)
    assert item.ci.high == pytest.approx(reference.high, abs=0.03 * width)


def test_hierarchical_interval_carries_within_run_noise():
    # tiny seed effect, large step noise over few steps: the two-stage interval is wider
    data = campaign({"b": 0.3, "c": 0.3}, n_seeds=8, n_steps=4, seed_sd=0.001, step_sd=0.2)
    flat = significance(data, baseline="b", candidate="c", metrics="correct_rate").comparisons[0]
    deep = significance(
        data, baseline="b", candidate="c", metrics="correct_rate", hierarchical=True
    ).comparisons[0]
    assert deep.ci.high - deep.ci.low > 1.2 * (flat.ci.high - flat.ci.low)
    assert deep.pvalue == flat.pvalue  # the test stays on seed means


@settings(max_examples=20, deadline=None)
@given(
    n_b=st.integers(2, 5),
    n_c=st.integers(2, 5),
    shift=st.floats(-2.0, 2.0),
    higher=st.booleans(),
    rng_seed=st.integers(0, 2**31),
)
def test_significance_property(n_b, n_c, shift, higher, rng_seed):
    rng = np.random.default_rng(rng_seed)
    xb, xc = rng.normal(size=n_b), rng.normal(shift, 1.0, size=n_c)
    rows = [("b", str(i), "", 0, "m", float(v)) for i, v in enumerate(xb)]
    rows += [("c", str(i), "", 0, "m", float(v)) for i, v in enumerate(xc)]
    (item,) = significance(
        long_frame(rows),
        baseline="b",
        candidate="c",
        metrics="m",
        n_resamples=300,
        higher_is_better=higher,
    ).comparisons
    assert item.delta == pytest.approx(xc.mean() - xb.mean(), rel=1e-9, abs=1e-12)
    assert item.pvalue == pytest.approx(_exact_p(xc, xb), rel=1e-9)
    assert 0 < item.pvalue <= 1 and item.permutation_exact
    assert item.ci.low <= item.ci.high
    assert item.verdict in VERDICTS
    significant = item.pvalue < 0.05 and (item.ci.low > 0 or item.ci.high < 0)
    assert (item.verdict != "insufficient_evidence") == significant
    if significant:
        better = (item.delta > 0) == higher
        assert item.verdict == ("significant_improvement" if better else "significant_degradation")


# ------------------------------------------------------------------------------ real data


def test_campaign_through_read_campaign(tmp_path):
    import campaign_fixtures as fixtures

    from measurand.io import campaign as io_campaign

    root = fixtures.write_campaign(
        tmp_path / "camp", lift={fixtures.SEPA: 0.1}, seeds=(1, 2, 3, 4), n_steps=30
    )
    data = io_campaign.read_campaign(root)
    res = significance(
        data,
        baseline=fixtures.HICRA,
        candidate=fixtures.SEPA,
        metrics=["correct_rate"],
        window="10:30",
        n_resamples=500,
    )
    counts = data.counts.filter((pl.col("step") >= 10) & (pl.col("step") < 30))
    sepa = counts.filter(pl.col("condition") == fixtures.SEPA)
    got = res.comparisons[0].counts
    assert got.correct_candidate == sepa["correct_count"].sum()
    assert got.total_candidate == sepa["total_count"].sum()
    assert res.comparisons[0].n_candidate == 4


def test_dopamine_dqn_vs_rainbow_on_pong():
    data = read_dopamine(["DQN", "Rainbow"], ["pong"])
    res = significance(data, baseline="DQN", candidate="Rainbow", metrics="value", window="last:10")
    (item,) = res.comparisons
    frame = data.frame
    means = {}
    for agent in ("DQN", "Rainbow"):
        runs = frame.filter(pl.col("condition") == agent)
        values = []
        for seed in runs["seed"].unique(maintain_order=True):
            run = runs.filter(pl.col("seed") == seed)
            steps, vals = run["step"].to_numpy(), run["value"].to_numpy()
            values.append(vals[steps > steps.max() - 10].mean())
        means[agent] = np.array(values)
    assert item.task == "pong" and (item.n_baseline, item.n_candidate) == (5, 5)
    assert item.delta == pytest.approx(means["Rainbow"].mean() - means["DQN"].mean(), rel=1e-12)
    assert item.pvalue == pytest.approx(_exact_p(means["Rainbow"], means["DQN"]), rel=1e-12)
    assert item.permutation_exact and item.n_permutations == 252
    # Rainbow ends pong clearly above DQN: every Rainbow seed beats every DQN seed
    assert means["Rainbow"].min() > means["DQN"].max()
    assert item.pvalue == pytest.approx(2 / 252)
    assert item.verdict == "significant_improvement"
