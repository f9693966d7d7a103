"""Tests for measurand.compare.curves.learning_curves.

References: per-step mean / sd / sem recomputed with numpy from a (seeds x steps) matrix; the "ci"
band against (a) a direct per-step numpy bootstrap that draws the same resample indices and (b)
``scipy.stats.bootstrap`` (percentile) within Monte Carlo error; smoothing against pandas
``ewm(alpha=1-W, adjust=True)`` and ``rolling(N, min_periods=1)`` (TensorBoard's debiased EMA).
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from analysis_data import long_frame, read_dopamine
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from measurand.compare.curves import learning_curves, parse_smoothing
from measurand.errors import InputError


def _matrix_rows(matrix: np.ndarray, condition="a", metric="m", task="", seeds=None):
    """Rows from a (seeds x steps) matrix; NaN entries are steps the seed did not log."""
    seeds = seeds or [f"s{k}" for k in range(matrix.shape[0])]
    return [
        (condition, seeds[i], task, step, metric, float(matrix[i, step]))
        for i in range(matrix.shape[0])
        for step in range(matrix.shape[1])
        if np.isfinite(matrix[i, step])
    ]


def _ragged_matrix(rng, n_seeds=5, n_steps=30):
    matrix = rng.normal(size=(n_seeds, n_steps)) + np.arange(n_steps) * 0.1
    matrix[3, 20:] = np.nan  # seed 3 stops at step 19
    matrix[4, 12:] = np.nan  # seed 4 stops at step 11
    matrix[:, 5] = np.nan  # no seed logs step 5
    matrix[1:, 27:] = np.nan  # only seed 0 reaches steps 27..29
    return matrix


@pytest.mark.parametrize("band", ["sd", "sem"])
def test_sd_and_sem_bands_match_numpy(band):
    rng = np.random.default_rng(0)
    matrix = _ragged_matrix(rng)
    result = learning_curves(long_frame(_matrix_rows(matrix)), band=band)
    frame = result.frame
    assert frame.columns == [
        "condition",
        "task",
        "metric",
        "step",
        "mean",
        "low",
        "high",
        "n_seeds",
    ]
    present = np.isfinite(matrix).any(axis=0)
    assert frame["step"].to_list() == [s for s in range(matrix.shape[1]) if present[s]]
    for row in frame.iter_rows(named=True):
        column = matrix[:, row["step"]]
        values = column[np.isfinite(column)]
        assert row["n_seeds"] == values.size
        assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
        if values.size < 2:
            assert row["low"] is None and row["high"] is None
            continue
        half = values.std(ddof=1) / (np.sqrt(values.size) if band == "sem" else 1.0)
        assert row["low"] == pytest.approx(values.mean() - half, rel=1e-12)
        assert row["high"] == pytest.approx(values.mean() + half, rel=1e-12)


def _direct_bootstrap(matrix, n_resamples, level, seed):
    """Per-step percentile bootstrap of the seed mean, with the documented draws: for each seed
    count k >= 2 (ascending) one index matrix ``integers(0, k, (B, k))``, applied to the step's
    present seeds in seed-label order."""
    rng = np.random.default_rng(seed)
    counts = np.isfinite(matrix).sum(axis=0)
    indices = {
        int(k): rng.integers(0, int(k), size=(n_resamples, int(k)))
        for k in np.unique(counts[counts >= 2])
    }
    alpha = (1 - level) / 2
    bands = {}
    for step in range(matrix.shape[1]):
        values = matrix[:, step][np.isfinite(matrix[:, step])]
        if values.size < 2:
            continue
        means = values[indices[values.size]].mean(axis=1)
        bands[step] = tuple(np.quantile(means, [alpha, 1 - alpha]))
    return bands


@pytest.mark.parametrize("n_seeds", [5, 9])
def test_ci_band_matches_a_direct_bootstrap_with_the_same_draws(n_seeds):
    # 5 seeds: few distinct resample count vectors (grouped path); 9 seeds: nearly all of the
    # 3000 resamples are distinct (partition path)
    rng = np.random.default_rng(1)
    matrix = _ragged_matrix(rng, n_seeds=n_seeds)
    result = learning_curves(
        long_frame(_matrix_rows(matrix)),
        band="ci",
        n_resamples=3000,
        confidence_level=0.9,
        seed=123,
    )
    expected = _direct_bootstrap(matrix, 3000, 0.9, 123)
    for row in result.frame.iter_rows(named=True):
        if row["step"] in expected:
            low, high = expected[row["step"]]
            assert row["low"] == pytest.approx(low, rel=1e-10, abs=1e-12)
            assert row["high"] == pytest.approx(high, rel=1e-10, abs=1e-12)
        else:
            assert row["low"] is None and row["high"] is None
    assert result.confidence_level == 0.9 and result.n_resamples == 3000


def test_ci_band_agrees_with_scipy_bootstrap():
    rng = np.random.default_rng(2)
    matrix = rng.gamma(2.0, size=(8, 3))
    result = learning_curves(long_frame(_matrix_rows(matrix)), band="ci", n_resamples=40_000)
    for row in result.frame.iter_rows(named=True):
        values = matrix[:, row["step"]]
        reference = sps.bootstrap(
            (values,), np.mean, n_resamples=40_000, method="percentile", random_state=7
        ).confidence_interval
        width = reference.high - reference.low
        assert row["low"] == pytest.approx(reference.low, abs=0.03 * width)
        assert row["high"] == pytest.approx(reference.high, abs=0.03 * width)


def test_ci_band_is_reproducible_and_seed_dependent():
    rng = np.random.default_rng(3)
    frame = long_frame(_matrix_rows(rng.normal(size=(6, 20))))
    first = learning_curves(frame, band="ci", seed=5, n_resamples=500).frame
    again = learning_curves(frame, band="ci", seed=5, n_resamples=500).frame
    other = learning_curves(frame, band="ci", seed=6, n_resamples=500).frame
    assert first.equals(again)
    assert not first["low"].equals(other["low"])


@pytest.mark.parametrize("weight", [0.0, 0.6, 0.9])
def test_ema_smoothing_matches_pandas(weight):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(4)
    matrix = _ragged_matrix(rng)
    result = learning_curves(long_frame(_matrix_rows(matrix)), smoothing=f"ema:{weight}")
    smoothed = np.full(matrix.shape, np.nan)
    for i in range(matrix.shape[0]):
        present = np.isfinite(matrix[i])
        series = pd.Series(matrix[i, present])
        smoothed[i, present] = series.ewm(alpha=1 - weight, adjust=True).mean().to_numpy()
    for row in result.frame.iter_rows(named=True):
        column = smoothed[:, row["step"]]
        assert row["mean"] == pytest.approx(np.nanmean(column), rel=1e-10, abs=1e-12)
    assert result.smoothing == f"ema:{weight:g}"


def test_rolling_smoothing_matches_pandas():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    matrix = _ragged_matrix(rng)
    result = learning_curves(long_frame(_matrix_rows(matrix)), smoothing="rolling:4", band="sd")
    smoothed = np.full(matrix.shape, np.nan)
    for i in range(matrix.shape[0]):
        present = np.isfinite(matrix[i])
        series = pd.Series(matrix[i, present])
        smoothed[i, present] = series.rolling(4, min_periods=1).mean().to_numpy()
    for row in result.frame.iter_rows(named=True):
        column = smoothed[:, row["step"]]
        values = column[np.isfinite(column)]
        assert row["mean"] == pytest.approx(values.mean(), rel=1e-10)
        if values.size >= 2:
            assert row["high"] - row["mean"] == pytest.approx(values.std(ddof=1), rel=1e-9)


def test_smoothing_is_per_run_not_across_seeds():
    # Two seeds with constant but different levels: any smoothing keeps each seed's level.
    rows = _matrix_rows(np.vstack([np.zeros(10), np.ones(10)]))
    for smoothing in ("ema:0.9", "rolling:5"):
        frame = learning_curves(long_frame(rows), smoothing=smoothing).frame
        assert np.allclose(frame["mean"].to_numpy(), 0.5)
        assert np.allclose(frame["high"].to_numpy() - 0.5, np.std([0.0, 1.0], ddof=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("none", None),
        ("ema:0.9", ("ema", 0.9)),
        ("EMA: 0", ("ema", 0.0)),
        ("rolling:10", ("rolling", 10)),
        ("rolling:1", ("rolling", 1)),
    ],
)
def test_parse_smoothing(text, expected):
    assert parse_smoothing(text) == expected


@pytest.mark.parametrize(
    "bad", ["ema:1", "ema:-0.1", "ema:x", "rolling:0", "rolling:2.5", "gauss:3"]
)
def test_parse_smoothing_rejects(bad):
    with pytest.raises(InputError, match="smoothing"):
        parse_smoothing(bad)


def test_ragged_notes_and_thin_steps():
    rng = np.random.default_rng(6)
    matrix = _ragged_matrix(rng)
    result = learning_curves(long_frame(_matrix_rows(matrix, condition="sepa")))
    assert len(result.ragged) == 1
    note = result.ragged[0]
    assert note.startswith("sepa / m:")
    assert "last step 11..29" in note
    assert "3 step(s) between 27 and 29 have fewer than 2 seeds" in note
    thin = result.frame.filter(pl.col("n_seeds") < 2)
    assert thin["step"].to_list() == [27, 28, 29]
    assert thin["low"].null_count() == 3


def test_aligned_runs_give_no_notes_and_single_seed_is_flagged():
    rng = np.random.default_rng(7)
    aligned = learning_curves(long_frame(_matrix_rows(rng.normal(size=(3, 8)))))
    assert aligned.ragged == ()
    single = learning_curves(long_frame(_matrix_rows(rng.normal(size=(1, 8)))))
    assert single.frame["low"].null_count() == 8
    assert "8 step(s) between 0 and 7 have fewer than 2 seeds" in single.ragged[0]


def test_curves_per_condition_task_metric_in_order_of_appearance():
    rng = np.random.default_rng(8)
    rows = (
        _matrix_rows(rng.normal(size=(2, 4)), condition="z", metric="loss", task="t1")
        + _matrix_rows(rng.normal(size=(2, 4)), condition="a", metric="loss", task="t1")
        + _matrix_rows(rng.normal(size=(2, 4)), condition="z", metric="acc", task="t2")
    )
    frame = learning_curves(long_frame(rows)).frame
    curves = frame.select("condition", "task", "metric").unique(maintain_order=True).rows()
    assert curves == [("z", "t1", "loss"), ("a", "t1", "loss"), ("z", "t2", "acc")]
    only = learning_curves(long_frame(rows), metrics="acc", conditions=["z"]).frame
    assert only.select("condition", "metric").unique().rows() == [("z", "acc")]


def test_bad_inputs():
    frame = long_frame(_matrix_rows(np.ones((2, 3))))
    with pytest.raises(InputError, match="band"):
        learning_curves(frame, band="iqr")
    with pytest.raises(InputError, match="confidence_level"):
        learning_curves(frame, band="ci", confidence_level=1.0)
    with pytest.raises(InputError, match="n_resamples"):
        learning_curves(frame, band="ci", n_resamples=0)
    with pytest.raises(InputError, match=r"unknown metric.*available"):
        learning_curves(frame, metrics=["nope"])
    with pytest.raises(InputError, match=r"unknown condition.*available"):
        learning_curves(frame, conditions=["nope"])
    no_steps = pl.DataFrame({"condition": ["a"], "seed": ["1"], "metric": ["m"], "value": [1.0]})
    with pytest.raises(InputError, match="need steps"):
        learning_curves(no_steps)


def test_to_dict_is_json():
    rng = np.random.default_rng(9)
    result = learning_curves(long_frame(_matrix_rows(_ragged_matrix(rng))), band="ci", seed=1)
    out = result.to_dict()
    text = json.dumps(out, allow_nan=False)
    assert out["band"] == "ci" and out["frame"][0]["n_seeds"] == 5
    assert '"low": null' in text  # thin steps serialise as null


@settings(max_examples=25, deadline=None)
@given(
    matrix=st.integers(0, 2**32 - 1).map(
        lambda s: np.where(
            np.random.default_rng(s).random((4, 6)) < 0.3,
            np.nan,
            np.random.default_rng(s + 1).normal(size=(4, 6)),
        )
    ),
    band=st.sampled_from(["sd", "sem", "ci"]),
)
def test_curves_property(matrix, band):
    rows = _matrix_rows(matrix)
    if not rows:
        return
    frame = learning_curves(long_frame(rows), band=band, n_resamples=200).frame
    for row in frame.iter_rows(named=True):
        values = matrix[:, row["step"]][np.isfinite(matrix[:, row["step"]])]
        assert row["n_seeds"] == values.size
        assert row["mean"] == pytest.approx(values.mean(), rel=1e-9, abs=1e-12)
        if values.size < 2:
            assert row["low"] is None
        else:
            assert row["low"] <= row["high"]
            if band == "ci":  # every resampled mean lies between the smallest and largest seed
                assert values.min() - 1e-12 <= row["low"]
                assert row["high"] <= values.max() + 1e-12
            else:  # symmetric bands around the mean
                assert row["mean"] - row["low"] == pytest.approx(row["high"] - row["mean"])


def test_dopamine_curves():
    data = read_dopamine(["DQN", "Rainbow"], ["pong"])
    result = learning_curves(data, band="ci", n_resamples=500, seed=0)
    frame = result.frame
    assert set(frame["condition"].to_list()) == {"DQN", "Rainbow"}
    assert frame["n_seeds"].max() == 5
    raw = data.frame.filter((pl.col("condition") == "Rainbow") & (pl.col("step") == 150))
    row = frame.filter((pl.col("condition") == "Rainbow") & (pl.col("step") == 150)).row(
        0, named=True
    )
    assert row["mean"] == pytest.approx(raw["value"].mean(), rel=1e-12)
    assert row["n_seeds"] == raw.height
    assert row["low"] < row["mean"] < row["high"]
