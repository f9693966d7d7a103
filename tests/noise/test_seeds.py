"""Per-task seed split of long tables: one-way ANOVA, noncentral-F intervals, ranking.

References
----------
* ``scipy.stats.f_oneway`` for the F statistic and p-value of every task.
* R 4.x ``pf(F, d1, d2, ncp = λ)`` inverted with ``uniroot`` for the noncentrality limits
  (literals below, from
  ``lim <- function(F, d1, d2, p) uniroot(function(l) pf(F, d1, d2, ncp = l) - p, c(0, 5000),
  tol = 1e-12)$root``; ``lim(8, 3, 16, 0.975)``, ``lim(8, 3, 16, 0.025)``, ``lim(2.5, 4, 30,
  0.025)``, ``lim(40, 5, 24, 0.975)``, ``lim(40, 5, 24, 0.025)``; ``pf(2.5, 4, 30)`` = 0.9365 <
  0.975, so the lower limit there is 0).
* The embedded Dopamine subset: per-run means of the last 10 iterations recomputed with numpy.
* Coverage: many tasks with known condition means and seed noise.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from measurand.errors import InputError
from measurand.io import read_table
from measurand.noise.seeds import noncentral_f_interval, seed_split, seed_split_frame


def _frame(values: dict[str, dict[str, list[float]]]) -> pl.DataFrame:
    rows = [
        {"task": task, "condition": cond, "value": v}
        for task, conds in values.items()
        for cond, vs in conds.items()
        for v in vs
    ]
    return pl.DataFrame(rows)


def test_hand_computed_tiny_example() -> None:
    # A: 1, 3 (mean 2), B: 5, 7 (mean 6); grand mean 4. SS_between = 2·4 + 2·4 = 16 (df 1),
    # SS_within = 2 + 2 = 4 (df 2): F = 16 / 2 = 8; ñ = 2 -> SNR = (8 − 1)/2 = 3.5.
    result = seed_split_frame(_frame({"g": {"A": [1.0, 3.0], "B": [5.0, 7.0]}}))
    row = result.rows()[0]
    assert row["f_statistic"] == pytest.approx(8.0)
    assert row["seed_sd"] == pytest.approx(np.sqrt(2.0))
    assert row["spread_sd"] == pytest.approx(np.sqrt(8.0))
    assert row["snr"] == pytest.approx(3.5)
    assert row["noise_share"] == pytest.approx(1 / 4.5)
    assert row["signal_sd"] == pytest.approx(np.sqrt(3.5 * 2.0))
    assert row["relative_dispersion"] == pytest.approx(1.0)
    assert row["relative_noise"] == pytest.approx(np.sqrt(2.0) / 4)
    assert row["benchmark_snr"] == pytest.approx(4 / np.sqrt(2.0))
    assert row["pvalue"] == pytest.approx(stats.f.sf(8.0, 1, 2))
    lam_low, lam_high = noncentral_f_interval(8.0, 1, 2)
    assert row["snr_ci"] == [pytest.approx(lam_low / 2), pytest.approx(lam_high / 2)]


@pytest.mark.parametrize(
    ("f_obs", "d1", "d2", "low", "high"),
    [
        (8.0, 3, 16, 3.5860901866, 53.0844469399),
        (2.5, 4, 30, 0.0, 23.8768256157),
        (40.0, 5, 24, 89.8376195418, 339.741479917),
    ],
)
def test_noncentral_interval_matches_r(f_obs, d1, d2, low, high) -> None:
    got_low, got_high = noncentral_f_interval(f_obs, d1, d2)
    assert float(got_low) == pytest.approx(low, rel=1e-6, abs=1e-9)
    assert float(got_high) == pytest.approx(high, rel=1e-6)


def test_noncentral_interval_is_vectorized_and_consistent_with_scipy() -> None:
    f_obs = np.array([0.05, 1.5, 6.0, 300.0])
    low, high = noncentral_f_interval(f_obs, 4, 20, alpha=0.1)
    assert low[0] == 0.0 and high[0] == 0.0  # F this small: even λ = 0 is above the 5% point
    assert stats.ncf.cdf(f_obs[2], 4, 20, low[2]) == pytest.approx(0.95, abs=1e-8)
    assert stats.ncf.cdf(f_obs[3], 4, 20, high[3]) == pytest.approx(0.05, abs=1e-8)


def test_matches_scipy_f_oneway_per_task() -> None:
    rng = np.random.default_rng(4)
    data = {
        f"task{t}": {
            c: list(rng.normal(loc=m, scale=1.0, size=n))
            for c, m, n in zip("ABCD", rng.normal(size=4) * t, (3, 5, 4, 2), strict=True)
        }
        for t in range(4)
    }
    result = seed_split_frame(_frame(data))
    by_task = {row["task"]: row for row in result.rows()}
    for task, groups in data.items():
        reference = stats.f_oneway(*groups.values())
        assert by_task[task]["f_statistic"] == pytest.approx(reference.statistic, rel=1e-10)
        assert by_task[task]["pvalue"] == pytest.approx(reference.pvalue, rel=1e-8)
    # Ranked by SNR, largest first.
    assert np.all(np.diff(result.snr) <= 0)
    assert result.rank.tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("sizes", [(5, 5, 5, 5, 5), (2, 3, 5, 4)])
def test_interval_covers_at_the_nominal_rate(sizes) -> None:
    rng = np.random.default_rng(sum(sizes))
    n_tasks = 3000
    conditions = np.repeat(np.arange(len(sizes)), sizes)
    means = rng.normal(size=(n_tasks, len(sizes))) * rng.uniform(0.0, 2.0, (n_tasks, 1))
    sigma = rng.uniform(0.5, 2.0, (n_tasks, 1))
    values = means[:, conditions] + rng.standard_normal((n_tasks, conditions.size)) * sigma
    frame = pl.DataFrame(
        {
            "task": np.repeat([f"t{i:04d}" for i in range(n_tasks)], conditions.size),
            "condition": np.tile(conditions.astype(str), n_tasks),
            "value": values.ravel(),
        }
    )
    result = seed_split_frame(frame)
    n = np.array(sizes, dtype=float)
    weighted = (means * n).sum(axis=1) / n.sum()
    lam = (n * (means - weighted[:, None]) ** 2).sum(axis=1) / sigma[:, 0] ** 2
    truth = lam / (n.mean() * (len(sizes) - 1))
    order = [int(t[1:]) for t in result.tasks]
    covered = (result.snr_low <= truth[order]) & (truth[order] <= result.snr_high)
    assert 0.935 <= covered.mean() <= 0.965


def test_dopamine_subset_against_numpy() -> None:
    with resources.as_file(
        resources.files("measurand").joinpath("data", "dopamine_subset.csv.gz")
    ) as path:
        data = read_table(
            Path(path), condition="agent", seed="run", task="game", step="iteration", value="value"
        )
        raw = pl.read_csv(Path(path), schema_overrides={"iteration": pl.Float64})
    result = seed_split(data, window="last:10")
    assert result.window == "last:10"
    run_last = pl.col("iteration").max().over(["game", "agent", "run"])
    per_run = (
        raw.filter(pl.col("iteration") > run_last - 10)
        .group_by(["game", "agent", "run"])
        .agg(pl.col("value").mean())
    )
    for row in result.rows():
        sub = per_run.filter(pl.col("game") == row["task"])
        groups = [g.get_column("value").to_numpy() for _, g in sub.group_by("agent")]
        reference = stats.f_oneway(*groups)
        assert row["f_statistic"] == pytest.approx(reference.statistic, rel=1e-9)
        pooled = sum(((g - g.mean()) ** 2).sum() for g in groups) / (
            sum(g.size for g in groups) - len(groups)
        )
        assert row["seed_sd"] == pytest.approx(np.sqrt(pooled), rel=1e-9)
    assert set(result.tasks) == {
        "asterix",
        "breakout",
        "pong",
        "qbert",
        "seaquest",
        "spaceinvaders",
    }


def test_tasks_that_cannot_be_split_are_listed() -> None:
    frame = _frame(
        {
            "ok": {"A": [1.0, 2.0], "B": [4.0, 5.0]},
            "single": {"A": [1.0, 2.0, 3.0]},
            "no_seeds": {"A": [1.0], "B": [2.0]},
            "exact": {"A": [1.0, 1.0], "B": [2.0, 2.0]},
        }
    )
    result = seed_split_frame(frame)
    assert result.tasks == ("ok",)
    assert set(result.skipped) == {"single", "no_seeds", "exact"}
    assert "one condition" in result.skipped["single"]
    with pytest.raises(InputError, match="no task can be split"):
        seed_split_frame(_frame({"single": {"A": [1.0, 2.0]}}))


def test_low_snr_flag_and_threshold() -> None:
    frame = _frame(
        {"clear": {"A": [0.0, 0.1], "B": [5.0, 5.1]}, "noisy": {"A": [0.0, 3.0], "B": [1.0, 2.0]}}
    )
    result = seed_split_frame(frame, snr_threshold=1.0)
    assert result.tasks == ("clear", "noisy")
    assert result.low_snr.tolist() == [False, True]
    with pytest.raises(InputError, match="snr_threshold"):
        seed_split_frame(frame, snr_threshold=-1)


def test_metric_must_be_named_when_several() -> None:
    frame = pl.DataFrame(
        {
            "condition": ["A", "A", "B", "B"] * 2,
            "seed": ["1", "2", "1", "2"] * 2,
            "task": ["g"] * 8,
            "step": [None] * 8,
            "metric": ["m1"] * 4 + ["m2"] * 4,
            "value": [1.0, 2.0, 3.0, 4.0, 1.0, 1.5, 1.0, 2.0],
        },
        schema_overrides={"step": pl.Int64},
    )
    with pytest.raises(InputError, match="name the one"):
        seed_split(frame)
    assert seed_split(frame, metric="m2").metric == "m2"


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(min_value=1e-2, max_value=1e2),
    shift=st.floats(min_value=-1e3, max_value=1e3),
)
def test_snr_is_invariant_to_units(seed: int, scale: float, shift: float) -> None:
    rng = np.random.default_rng(seed)
    data = {
        "t1": {"A": list(rng.normal(size=3)), "B": list(rng.normal(size=4) + 1)},
        "t2": {"A": list(rng.normal(size=3)), "B": list(rng.normal(size=3)), "C": [0.5, 0.1]},
    }
    base = seed_split_frame(_frame(data))
    moved = seed_split_frame(
        _frame(
            {
                t: {c: [v * scale + shift for v in vs] for c, vs in g.items()}
                for t, g in data.items()
            }
        )
    )
    assert moved.tasks == base.tasks
    np.testing.assert_allclose(moved.snr, base.snr, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(moved.snr_high, base.snr_high, rtol=1e-6, atol=1e-9)
    assert np.all((base.noise_share > 0) & (base.noise_share_high <= 1.0))


@settings(max_examples=40, deadline=None)
@given(
    f_obs=st.floats(min_value=0.01, max_value=200.0),
    d1=st.integers(1, 10),
    d2=st.integers(2, 60),
)
def test_noncentral_interval_properties(f_obs: float, d1: int, d2: int) -> None:
    low, high = noncentral_f_interval(f_obs, d1, d2)
    assert 0.0 <= low <= high
    if low > 0:
        assert stats.ncf.cdf(f_obs, d1, d2, low) == pytest.approx(0.975, abs=1e-7)
    if high > 0:
        assert stats.ncf.cdf(f_obs, d1, d2, high) == pytest.approx(0.025, abs=1e-7)
    # A larger observed F never lowers either end.
    low2, high2 = noncentral_f_interval(f_obs * 1.5, d1, d2)
    assert low2 >= low - 1e-9 and high2 >= high - 1e-9
