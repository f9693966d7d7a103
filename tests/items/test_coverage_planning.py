"""Coverage of the paired and clustered intervals, and planned sizes reaching their power, by
simulation (data generated vectorized; the tested functions called on each data set)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from measurand.errors import InputError, NoSolutionError
from measurand.stats import (
    clustered_mean,
    detectable_difference,
    episodes_for_difference,
    item_bootstrap,
    items_for_difference,
    paired_items,
    runs_for_difference,
    seeds_for_difference,
)

LEVEL = 0.95


def _clustered_binary(rng, reps, n_clusters=60, size=(5, 16)):
    """Binary paired items in clusters; cluster success rates p_a ~ Beta(mean 0.6) and
    p_b = 0.8 p_a, so E[a - b] = 0.12 and E[a] = 0.6 exactly."""
    sizes = rng.integers(size[0], size[1], (reps, n_clusters))
    pa = rng.beta(3.0, 2.0, (reps, n_clusters))
    out = []
    for r in range(reps):
        clusters = np.repeat(np.arange(n_clusters), sizes[r])
        p = pa[r][clusters]
        u = rng.random((2, clusters.size))
        out.append(((u[0] < p).astype(float), (u[1] < 0.8 * p).astype(float), clusters))
    return out


def test_paired_and_clustered_intervals_cover():
    rng = np.random.default_rng(11)
    datasets = _clustered_binary(rng, 3000)
    hit_diff = hit_mean = hit_naive = 0
    for a, b, clusters in datasets:
        lo, hi = paired_items(a, b, clusters, confidence_level=LEVEL).confidence_interval
        hit_diff += lo <= 0.12 <= hi
        lo, hi = clustered_mean(a, clusters, confidence_level=LEVEL).confidence_interval
        hit_mean += lo <= 0.6 <= hi
        lo, hi = clustered_mean(a, confidence_level=LEVEL).confidence_interval
        hit_naive += lo <= 0.6 <= hi
    n = len(datasets)
    assert abs(hit_diff / n - LEVEL) <= 0.015
    assert abs(hit_mean / n - LEVEL) <= 0.015
    assert hit_naive / n < 0.85  # ignoring the clusters undercovers badly


def test_paired_t_interval_covers_without_clusters():
    rng = np.random.default_rng(12)
    n_sets, n = 4000, 80
    latent = rng.random((n_sets, n))
    a = (rng.random((n_sets, n)) < 0.3 + 0.5 * latent).astype(float)
    b = (rng.random((n_sets, n)) < 0.25 + 0.5 * latent).astype(float)
    hits = 0
    for x, y in zip(a, b, strict=True):
        lo, hi = paired_items(x, y).confidence_interval
        hits += lo <= 0.05 <= hi
    assert abs(hits / n_sets - LEVEL) <= 0.015


@pytest.mark.slow
def test_cluster_bootstrap_interval_covers():
    rng = np.random.default_rng(13)
    datasets = _clustered_binary(rng, 1500)
    hits = 0
    for r, (a, b, clusters) in enumerate(datasets):
        res = item_bootstrap(np.stack([a, b]), clusters, n_resamples=1000, seed=r)
        lo, hi = res.difference_ci[0]
        hits += lo <= 0.12 <= hi
    # percentile intervals with 60 clusters run slightly short; Monte Carlo sd 0.56 points
    assert abs(hits / len(datasets) - LEVEL) <= 0.02


def _t_rejects(d):
    t = d.mean(axis=-1) / (d.std(axis=-1, ddof=1) / np.sqrt(d.shape[-1]))
    return np.abs(t) > stats.t.ppf(0.975, d.shape[-1] - 1)


def test_planned_items_reach_the_power():
    plan = items_for_difference(0.6, 0.05, power=0.8)
    rng = np.random.default_rng(14)
    d = rng.normal(0.05, 0.6, (4000, plan.n_items))
    assert abs(_t_rejects(d).mean() - 0.8) <= 0.03
    mde = detectable_difference(0.6, plan.n_items, power=0.8)
    assert mde == pytest.approx(0.05, rel=0.01)


def test_planned_clustered_items_reach_the_power():
    m, rho, sd, mde = 8, 0.1, 1.0, 0.1
    plan = items_for_difference(sd, mde, design_effect=1 + (m - 1) * rho, cluster_size=m)
    assert plan.n_items > plan.n_items_independent
    rng = np.random.default_rng(15)
    g = plan.n_clusters
    reps = 2000
    d = (
        mde
        + np.sqrt(rho) * sd * rng.normal(size=(reps, g, 1))
        + np.sqrt(1 - rho) * sd * rng.normal(size=(reps, g, m))
    )
    clusters = np.repeat(np.arange(g), m)
    rejections = [paired_items(x.ravel(), np.zeros(g * m), clusters).pvalue < 0.05 for x in d]
    assert abs(np.mean(rejections) - 0.8) <= 0.03


def test_planned_runs_reach_the_power_and_floor_is_explained():
    n_items, sd_item, sd_run, mde = 400, 0.3, 1.0, 0.06
    plan = runs_for_difference(sd_item, sd_run, n_items, mde)
    rng = np.random.default_rng(16)
    runs = plan.runs
    true = mde + sd_item * rng.normal(size=(4000, n_items))
    d = true + sd_run * rng.normal(size=(4000, n_items, runs)).mean(axis=-1)
    assert abs(_t_rejects(d).mean() - 0.8) <= 0.03
    with pytest.raises(NoSolutionError, match="add items"):
        runs_for_difference(sd_item, sd_run, n_items, 0.03)


def test_planned_seeds_and_episodes_reach_the_power():
    plan = seeds_for_difference(0.05, 0.03)
    rng = np.random.default_rng(17)
    n = plan.seeds_per_arm
    x = rng.normal(0.0, 0.05, (6000, n))
    y = rng.normal(0.03, 0.05, (6000, n))
    p = stats.ttest_ind(x, y, axis=1).pvalue
    assert abs((p < 0.05).mean() - 0.8) <= 0.03
    eps = episodes_for_difference(0.3, 0.013, episodes_per_step=128, seeds=(8,))
    k = eps.episodes_per_arm
    a = rng.binomial(k, 0.3, 8000) / k
    b = rng.binomial(k, 0.313, 8000) / k
    pooled = (a + b) / 2
    z = (b - a) / np.sqrt(2 * pooled * (1 - pooled) / k)
    assert abs((np.abs(z) > 1.959964).mean() - 0.8) <= 0.03
    row = eps.schedule[0]
    assert row["seeds"] == 8 and row["steps"] == -(-k // (8 * 128))
    assert row["episodes"] >= k


def test_episode_plan_with_seed_variance():
    eps = episodes_for_difference(0.3, 0.013, seeds=(3, 30), sd_seed=0.01, episodes_per_step=128)
    assert eps.min_seeds > 3
    assert eps.schedule[0]["steps"] is None and eps.schedule[1]["steps"] > 0
    # simulate 30 seeds per arm, each a seed-level rate shift plus binomial episodes
    rng = np.random.default_rng(18)
    s, e = 30, eps.schedule[1]["steps"] * 128
    reps = 4000
    arm_a = rng.binomial(e, np.clip(0.3 + 0.01 * rng.normal(size=(reps, s)), 0, 1)) / e
    arm_b = rng.binomial(e, np.clip(0.313 + 0.01 * rng.normal(size=(reps, s)), 0, 1)) / e
    p = stats.ttest_ind(arm_a, arm_b, axis=1).pvalue
    assert abs((p < 0.05).mean() - 0.8) <= 0.03


def test_planning_rejects_bad_input():
    with pytest.raises(InputError, match="mde"):
        items_for_difference(0.5, 0.0)
    with pytest.raises(InputError, match="power"):
        items_for_difference(0.5, 0.1, power=1.2)


def test_detectable_difference_fast_path_matches_the_exact_root():
    from measurand.stats import power_t_test

    for n in (199, 200, 1000, 14_000):
        exact = power_t_test(n=n, power=0.8, alpha=0.05, kind="paired").effect_size
        assert detectable_difference(1.0, n) == pytest.approx(exact, rel=1e-4)
