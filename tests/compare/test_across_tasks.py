"""Tests for measurand.compare.across_tasks (rliable-style aggregates on per-run window means).

References: every point estimate is recomputed in the test with numpy / scipy from the raw rows
(``scipy.stats.trim_mean(x, 0.25)`` for the IQM, ``scipy.stats.mannwhitneyu`` for P(X > Y),
``numpy`` for min-max normalization, means, medians, the optimality gap and the profile);
for the embedded Dopamine subset the rows come from the CSV read with polars and reduced with
numpy. The interval of the IQM is checked against a stratified bootstrap written in numpy in the
test (resample runs within each task), within Monte Carlo error.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import polars as pl
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from measurand.compare.aggregates import across_tasks, score_matrices
from measurand.errors import InputError
from measurand.io._frames import RunData

CONDITIONS = ("alpha", "beta", "gamma")
TASKS = ("t0", "t1", "t2", "t3")


def synthetic(
    n_runs: int = 5, n_steps: int = 10, *, seed: int = 0, drop: tuple = (), offset: float = 0.0
) -> tuple[RunData, dict[str, np.ndarray]]:
    """Rows (condition, run, task, step) with the last-3-step means returned as matrices."""
    rng = np.random.default_rng(seed)
    rows = []
    expected = {c: np.full((n_runs, len(TASKS)), np.nan) for c in CONDITIONS}
    for ci, cond in enumerate(CONDITIONS):
        for tj, task in enumerate(TASKS):
            scale = 10.0**tj  # tasks on very different scales, as Atari games
            for run in range(n_runs):
                if (cond, task, run) in drop:
                    continue
                values = scale * (ci + rng.normal(0, 1.0, n_steps)) + offset
                for step in range(n_steps):
                    rows.append((cond, str(run), task, step, "score", float(values[step])))
                expected[cond][run, tj] = values[-3:].mean()
    frame = pl.DataFrame(
        rows,
        schema={
            "condition": pl.Utf8,
            "seed": pl.Utf8,
            "task": pl.Utf8,
            "step": pl.Int64,
            "metric": pl.Utf8,
            "value": pl.Float64,
        },
        orient="row",
    )
    return RunData(frame=frame, source="synthetic"), expected


def minmax(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    stacked = np.concatenate(list(raw.values()))
    low, high = np.nanmin(stacked, axis=0), np.nanmax(stacked, axis=0)
    return {c: (v - low) / (high - low) for c, v in raw.items()}


def reference_estimates(scores: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(np.mean(scores.mean(axis=0))),
        "median": float(np.median(scores.mean(axis=0))),
        "iqm": float(scipy.stats.trim_mean(scores.ravel(), 0.25)),
        "optimality_gap": float(1.0 - np.mean(np.minimum(scores, 1.0))),
    }


def reference_poi(x: np.ndarray, y: np.ndarray) -> float:
    per_task = [
        scipy.stats.mannwhitneyu(x[:, j], y[:, j]).statistic / (x.shape[0] * y.shape[0])
        for j in range(x.shape[1])
    ]
    return float(np.mean(per_task))


def estimates(result, condition: str) -> dict[str, float]:
    sub = result.aggregates.filter(pl.col("condition") == condition)
    return dict(zip(sub.get_column("metric"), sub.get_column("estimate"), strict=True))


def test_point_estimates_match_numpy_and_scipy() -> None:
    data, raw = synthetic()
    result = across_tasks(data, metric="score", window="last:3", n_resamples=500, seed=1)
    scores = minmax(raw)
    assert result.tasks == TASKS and result.conditions == CONDITIONS
    for cond in CONDITIONS:
        got = estimates(result, cond)
        for name, value in reference_estimates(scores[cond]).items():
            assert got[name] == pytest.approx(value, rel=1e-12, abs=1e-12), (cond, name)
    rows = {(r["x"], r["y"]): r for r in result.improvement.iter_rows(named=True)}
    assert set(rows) == {("alpha", "beta"), ("alpha", "gamma"), ("beta", "gamma")}
    for (x, y), row in rows.items():
        assert row["probability"] == pytest.approx(reference_poi(scores[x], scores[y]), abs=1e-12)
        assert row["ci_low"] <= row["probability"] <= row["ci_high"]
    for cond in CONDITIONS:
        expected = [np.mean(scores[cond] > tau) for tau in result.profile_taus]
        np.testing.assert_allclose(result.profiles[cond], expected, atol=1e-12)
        assert np.all(result.profile_low[cond] <= result.profiles[cond] + 1e-12)
        assert np.all(result.profile_high[cond] >= result.profiles[cond] - 1e-12)
    per_task = result.per_task.filter(pl.col("condition") == "beta").sort("task")
    np.testing.assert_allclose(per_task.get_column("mean"), raw["beta"].mean(axis=0), rtol=1e-12)


def test_iqm_interval_matches_a_numpy_stratified_bootstrap() -> None:
    data, raw = synthetic(n_runs=6)
    result = across_tasks(data, metric="score", window="last:3", n_resamples=20_000, seed=3)
    scores = minmax(raw)["beta"]
    rng = np.random.default_rng(99)
    n_runs, n_tasks = scores.shape
    draws = rng.integers(0, n_runs, size=(20_000, n_runs, n_tasks))
    resampled = np.take_along_axis(scores[None, :, :], draws, axis=1).reshape(20_000, -1)
    reference = scipy.stats.trim_mean(resampled, 0.25, axis=1)
    low, high = np.percentile(reference, [2.5, 97.5])
    row = result.aggregates.filter(
        (pl.col("condition") == "beta") & (pl.col("metric") == "iqm")
    ).row(0, named=True)
    # Monte Carlo error of a 2.5% quantile with 20,000 resamples is well below 0.01 here.
    assert row["ci_low"] == pytest.approx(low, abs=0.01)
    assert row["ci_high"] == pytest.approx(high, abs=0.01)


def test_same_seed_same_numbers_and_baseline_pairs() -> None:
    data, _ = synthetic()
    first = across_tasks(data, metric="score", window="last:3", n_resamples=300, seed=5)
    again = across_tasks(data, metric="score", window="last:3", n_resamples=300, seed=5)
    assert first.aggregates.equals(again.aggregates)
    assert first.improvement.equals(again.improvement)
    vs = across_tasks(
        data, metric="score", window="last:3", baseline="beta", n_resamples=300, seed=5
    )
    pairs = [(r["x"], r["y"]) for r in vs.improvement.iter_rows(named=True)]
    assert pairs == [("alpha", "beta"), ("gamma", "beta")]


def test_reference_normalization_and_raw_scores() -> None:
    data, raw = synthetic()
    reference = {t: (-(10.0**j), 3 * 10.0**j) for j, t in enumerate(TASKS)}
    result = across_tasks(
        data,
        metric="score",
        window="last:3",
        normalization="reference",
        reference=reference,
        n_resamples=200,
    )
    low = np.array([reference[t][0] for t in TASKS])
    high = np.array([reference[t][1] for t in TASKS])
    for cond in CONDITIONS:
        expected = reference_estimates((raw[cond] - low) / (high - low))
        assert estimates(result, cond)["iqm"] == pytest.approx(expected["iqm"], rel=1e-12)
    plain = across_tasks(data, metric="score", window="last:3", normalization=None, n_resamples=200)
    assert estimates(plain, "gamma")["mean"] == pytest.approx(
        np.mean(raw["gamma"].mean(axis=0)), rel=1e-12
    )
    assert any("optimality gap of raw" in note for note in plain.notes)


def test_ragged_runs_keep_equal_task_weights_and_missing_tasks_are_dropped() -> None:
    data, raw = synthetic(drop=(("alpha", "t1", 4), ("alpha", "t1", 3), ("beta", "t2", 0)))
    result = across_tasks(data, metric="score", window="last:3", n_resamples=200)
    scores = minmax(raw)
    alpha = scores["alpha"]
    per_task_means = np.nanmean(alpha, axis=0)
    assert estimates(result, "alpha")["mean"] == pytest.approx(per_task_means.mean(), rel=1e-12)
    assert estimates(result, "alpha")["median"] == pytest.approx(
        np.median(per_task_means), rel=1e-12
    )
    assert any("alpha: 1 task(s) hold fewer than 5 runs (t1: 3)" in n for n in result.notes)
    t1 = result.per_task.filter((pl.col("condition") == "alpha") & (pl.col("task") == "t1"))
    assert t1.get_column("n_runs").item() == 3

    # A task that one condition lacks entirely is dropped for all conditions.
    drop_all = tuple(("gamma", "t3", r) for r in range(5))
    data, raw = synthetic(drop=drop_all)
    result = across_tasks(data, metric="score", window="last:3", n_resamples=200)
    assert result.tasks == ("t0", "t1", "t2")
    assert any("dropped 1 task(s)" in n and "t3 (missing for gamma)" in n for n in result.notes)
    kept = {c: v[:, :3] for c, v in raw.items()}
    expected = reference_estimates(minmax(kept)["alpha"])
    assert estimates(result, "alpha")["iqm"] == pytest.approx(expected["iqm"], rel=1e-12)


def test_bad_requests_raise_input_errors() -> None:
    data, _ = synthetic()
    with pytest.raises(InputError, match="metric 'nope' is not in the data"):
        across_tasks(data, metric="nope")
    with pytest.raises(InputError, match=r"unknown condition\(s\) \['delta'\]"):
        across_tasks(data, metric="score", conditions=["alpha", "delta"])
    with pytest.raises(InputError, match=r"reference scores lack task\(s\) \['t3'\]"):
        across_tasks(
            data,
            metric="score",
            normalization="reference",
            reference={t: (0.0, 1.0) for t in TASKS[:3]},
        )
    with pytest.raises(InputError, match="needs reference"):
        across_tasks(data, metric="score", normalization="reference")
    with pytest.raises(InputError, match="unknown aggregate"):
        across_tasks(data, metric="score", metrics=("mode",))
    with pytest.raises(InputError, match="baseline 'zeta' is not among"):
        across_tasks(data, metric="score", baseline="zeta", n_resamples=10)
    disjoint = data.frame.filter(
        ((pl.col("condition") == "alpha") & pl.col("task").is_in(["t0", "t1"]))
        | ((pl.col("condition") == "beta") & pl.col("task").is_in(["t2", "t3"]))
    )
    with pytest.raises(InputError, match=r"no task is shared .* alpha: 2, beta: 2"):
        across_tasks(RunData(frame=disjoint, source="d"), metric="score", n_resamples=10)
    flat = data.frame.with_columns(
        value=pl.when(pl.col("task") == "t2").then(1.0).otherwise(pl.col("value"))
    )
    with pytest.raises(InputError, match=r"cannot min-max normalize task\(s\) \['t2'\]"):
        across_tasks(RunData(frame=flat, source="s"), metric="score", n_resamples=10)


@settings(max_examples=15, deadline=None)
@given(
    shift=st.floats(-1e3, 1e3, allow_nan=False),
    scale=st.floats(0.01, 100.0, allow_nan=False),
    seed=st.integers(0, 10_000),
)
def test_minmax_estimates_ignore_affine_changes_of_raw_scores(
    shift: float, scale: float, seed: int
) -> None:
    data, _ = synthetic(n_runs=3, seed=seed)
    moved = RunData(
        frame=data.frame.with_columns(value=pl.col("value") * scale + shift), source="moved"
    )
    a = across_tasks(data, metric="score", window="last:3", n_resamples=50, seed=0)
    b = across_tasks(moved, metric="score", window="last:3", n_resamples=50, seed=0)
    np.testing.assert_allclose(
        a.aggregates.get_column("estimate"), b.aggregates.get_column("estimate"), atol=1e-9
    )
    np.testing.assert_allclose(
        a.improvement.get_column("probability"), b.improvement.get_column("probability"), atol=1e-9
    )


def test_score_matrices_hold_window_means() -> None:
    data, raw = synthetic(n_steps=7)
    scores, conditions, tasks, _, notes = score_matrices(data, metric="score", window="4:7")
    assert conditions == list(CONDITIONS) and tasks == list(TASKS) and notes == []
    for cond in CONDITIONS:
        np.testing.assert_allclose(scores[cond], raw[cond], rtol=1e-12)


def test_last_window_counts_back_over_every_metric_of_the_run() -> None:
    # "eval" stops 4 steps before "score": last:3 (steps 7..9 of each run) leaves it no value
    data, _ = synthetic(n_steps=10)
    evals = data.frame.filter(pl.col("step") < 6).with_columns(metric=pl.lit("eval"))
    both = RunData(frame=pl.concat([data.frame, evals]), source="two metrics")
    with pytest.raises(InputError, match="have no 'eval' value in the window"):
        score_matrices(both, metric="eval", window="last:3")
    scores, *_ = score_matrices(both, metric="eval", window="last:5")  # steps 5..9: step 5
    for cond in CONDITIONS:
        expected = [
            evals.filter(
                (pl.col("condition") == cond) & (pl.col("task") == task) & (pl.col("step") == 5)
            )["value"].to_numpy()
            for task in TASKS
        ]
        np.testing.assert_allclose(scores[cond], np.column_stack(expected), rtol=1e-12)


def test_dopamine_subset_against_numpy() -> None:
    from measurand.io.table import read_table

    with resources.as_file(
        resources.files("measurand").joinpath("data", "dopamine_subset.csv.gz")
    ) as path:
        table = pl.read_csv(path)
        data = read_table(
            path, condition="agent", seed="run", task="game", step="iteration", value="value"
        )
    result = across_tasks(data, metric="value", window="last:10", n_resamples=2_000, seed=0)
    games = sorted(table.get_column("game").unique().to_list())
    agents = ["DQN", "C51", "Rainbow"]
    raw = {}
    for agent in agents:
        matrix = np.empty((5, len(games)))
        for j, game in enumerate(games):
            for run in range(5):
                rows = table.filter(
                    (pl.col("agent") == agent) & (pl.col("game") == game) & (pl.col("run") == run)
                ).sort("iteration")
                matrix[run, j] = rows.get_column("value").to_numpy()[-10:].mean()
        raw[agent] = matrix
    scores = minmax(raw)
    assert sorted(result.tasks) == games
    for agent in agents:
        got = estimates(result, agent)
        ref = reference_estimates(scores[agent])
        for name in ("mean", "median", "iqm", "optimality_gap"):
            assert got[name] == pytest.approx(ref[name], rel=1e-10), (agent, name)
        assert result.n_runs[agent] == 5
    row = result.improvement.filter((pl.col("x") == "C51") & (pl.col("y") == "DQN")).row(
        0, named=True
    )
    assert row["probability"] == pytest.approx(reference_poi(scores["C51"], scores["DQN"]))
