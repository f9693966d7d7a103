"""Tests for measurand.compare.window: window parsing and per-run window means.

Reference: every expected mean is recomputed in the test with plain Python / numpy from the rows
(for the Dopamine table, from the CSV read with polars and reduced with numpy), independently of
the polars group-by in ``window_means``.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl
import pytest
from analysis_data import dopamine_path, long_frame, read_dopamine, run_data
from hypothesis import given, settings
from hypothesis import strategies as st

from measurand.compare.window import Window, parse_window, window_means, window_rows
from measurand.errors import InputError

# ------------------------------------------------------------------------------- parse_window


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, Window("all")),
        ("", Window("all")),
        ("all", Window("all")),
        (" ALL ", Window("all")),
        ("400:500", Window("range", start=400, stop=500)),
        (" 400 : 500 ", Window("range", start=400, stop=500)),
        ("400:", Window("range", start=400)),
        (":500", Window("range", stop=500)),
        (":", Window("all")),
        ("-5:3", Window("range", start=-5, stop=3)),
        ("last:100", Window("last", last=100)),
        ("LAST: 7", Window("last", last=7)),
        ((400, 500), Window("range", start=400, stop=500)),
        ((None, 500), Window("range", stop=500)),
        ([3, None], Window("range", start=3)),
        (Window("last", last=3), Window("last", last=3)),
    ],
)
def test_parse_window_forms(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "500:400",
        "5:5",
        "last:0",
        "last:-3",
        "last",
        "abc",
        "1:2:3",
        "1.5:3",
        (1.5, 3),
        (True, 3),
        (1, 2, 3),
        7,
        "first:10",
    ],
)
def test_parse_window_rejects(bad):
    with pytest.raises(InputError):
        parse_window(bad)


def test_window_labels_and_dict():
    assert parse_window("400:500").label == "400:500"
    assert str(parse_window("last:10")) == "last:10"
    assert parse_window(":9").label == ":9"
    assert parse_window("400:500").to_dict() == {
        "kind": "range",
        "start": 400,
        "stop": 500,
        "last": None,
        "label": "400:500",
    }


@given(
    kind=st.sampled_from(["all", "range", "last"]),
    start=st.one_of(st.none(), st.integers(-1000, 1000)),
    width=st.integers(1, 1000),
    open_stop=st.booleans(),
    last=st.integers(1, 10_000),
)
def test_parse_window_label_round_trip(kind, start, width, open_stop, last):
    if kind == "all":
        window = Window("all")
    elif kind == "last":
        window = Window("last", last=last)
    else:
        stop = None if open_stop else (0 if start is None else start) + width
        if start is None and stop is None:
            window = Window("all")
        else:
            window = Window("range", start=start, stop=stop)
    assert parse_window(window.label) == window


# ------------------------------------------------------------------------------- window_means


def _reference_means(rows, lo=None, hi=None, last=None):
    """Plain-Python per-run mean: ``lo <= step < hi`` or, with ``last``, ``step > run_last - last``
    where ``run_last`` is the run's highest step over all metrics."""
    run_last: dict[tuple, int] = defaultdict(lambda: -(10**18))
    for condition, seed, task, step, _metric, _value in rows:
        run_last[(condition, seed, task)] = max(run_last[(condition, seed, task)], step)
    sums: dict[tuple, list[float]] = defaultdict(list)
    for condition, seed, task, step, metric, value in rows:
        if last is not None:
            keep = step > run_last[(condition, seed, task)] - last
        else:
            keep = (lo is None or step >= lo) and (hi is None or step < hi)
        if keep:
            sums[(condition, seed, task, metric)].append(value)
    return {key: (float(np.mean(v)), len(v)) for key, v in sums.items()}


def _as_dict(frame: pl.DataFrame):
    return {
        (r["condition"], r["seed"], r["task"], r["metric"]): (r["value"], r["n_steps"])
        for r in frame.iter_rows(named=True)
    }


def _ragged_rows():
    rng = np.random.default_rng(3)
    rows = []
    for condition, n_seeds in (("a", 3), ("b", 2)):
        for seed in range(n_seeds):
            last_step = 20 - 4 * seed  # ragged: runs stop at different steps
            for step in range(0, last_step + 1):
                if step % 7 == 3:  # steps no run logs
                    continue
                rows.append((condition, str(seed), "", step, "m1", float(rng.normal())))
                if step <= last_step - 3:  # m2 stops before the run's last step
                    rows.append((condition, str(seed), "", step, "m2", float(rng.normal())))
    return rows


@pytest.mark.parametrize(
    ("window", "kwargs"),
    [
        ("all", {}),
        ("5:15", {"lo": 5, "hi": 15}),
        ("10:", {"lo": 10}),
        (":4", {"hi": 4}),
        ("last:5", {"last": 5}),
        ((2, 9), {"lo": 2, "hi": 9}),
    ],
)
def test_window_means_matches_direct_computation(window, kwargs):
    rows = _ragged_rows()
    result = window_means(long_frame(rows), window)
    assert result.columns == ["condition", "seed", "task", "metric", "value", "n_steps"]
    assert result.schema["n_steps"] == pl.Int64
    got = _as_dict(result)
    expected = _reference_means(rows, **kwargs)
    assert got.keys() == expected.keys()
    for key, (mean, n) in expected.items():
        assert got[key][0] == pytest.approx(mean, rel=1e-12, abs=1e-12)
        assert got[key][1] == n


def test_last_window_uses_the_runs_last_step_over_all_metrics():
    rows = _ragged_rows()
    result = _as_dict(window_means(long_frame(rows), "last:2"))
    # m2 stops 3 steps before the run's last step: no m2 value in the last 2 steps.
    assert all(key[3] == "m1" for key in result)
    # ... and asking for m2 alone does not move the window to m2's own last steps.
    only_m2 = window_means(long_frame(rows), "last:2", metrics=["m2"])
    assert only_m2.height == 0


def test_metric_and_condition_selection_is_a_subset():
    rows = _ragged_rows()
    full = _as_dict(window_means(long_frame(rows), "last:6"))
    part = _as_dict(window_means(long_frame(rows), "last:6", metrics="m2", conditions=["b"]))
    assert part == {k: v for k, v in full.items() if k[3] == "m2" and k[0] == "b"}


def test_runs_without_values_in_the_window_are_absent():
    rows = _ragged_rows()
    result = window_means(long_frame(rows), "17:100")  # seeds stopping at <= 16 drop out
    assert set(result["seed"].to_list()) == {"0"}


def test_order_of_first_appearance():
    rows = [("z", "2", "", 0, "m", 1.0), ("a", "1", "", 0, "m", 2.0), ("z", "1", "", 0, "m", 3.0)]
    result = window_means(long_frame(rows))
    assert result.select("condition", "seed").rows() == [("z", "2"), ("a", "1"), ("z", "1")]


def test_frame_without_task_or_step_columns():
    frame = pl.DataFrame(
        {"condition": ["a", "a", "b"], "seed": [1, 1, 2], "metric": "acc", "value": [1.0, 3.0, 5.0]}
    )
    result = window_means(frame)
    assert result.rows() == [("a", "1", "", "acc", 2.0, 2), ("b", "2", "", "acc", 5.0, 1)]
    with pytest.raises(InputError, match="no step column"):
        window_means(frame, "last:3")
    with pytest.raises(InputError, match="no step column"):
        window_means(frame, "0:3")


def test_accepts_run_data_and_rejects_other_inputs():
    rows = _ragged_rows()
    assert window_means(run_data(long_frame(rows)), "3:8").equals(
        window_means(long_frame(rows), "3:8")
    )
    with pytest.raises(InputError, match="RunData"):
        window_means({"condition": ["a"]})
    with pytest.raises(InputError, match="lacks column"):
        window_means(pl.DataFrame({"condition": ["a"], "value": [1.0]}))


def test_real_run_data_class():
    from measurand.io import _frames as io_frames

    rows = _ragged_rows()
    data = io_frames.RunData(frame=long_frame(rows), source="x")
    assert window_means(data, "last:4").equals(window_means(long_frame(rows), "last:4"))


def test_unknown_names_are_listed():
    frame = long_frame(_ragged_rows())
    with pytest.raises(InputError, match=r"unknown metric.*'nope'.*available.*'m1'"):
        window_means(frame, metrics=["nope"])
    with pytest.raises(InputError, match=r"unknown condition.*'c'.*available.*'a', 'b'"):
        window_means(frame, conditions=["c"])
    # a known metric with nothing inside the window is not "unknown"
    assert window_means(frame, "1000:2000", metrics=["m1"]).height == 0


def test_window_rows_keeps_the_steps():
    rows = _ragged_rows()
    inside = window_rows(long_frame(rows), "4:6", metrics=["m1"])
    assert sorted(set(inside["step"].to_list())) == [4, 5]
    assert inside.height == sum(1 for r in rows if 4 <= r[3] < 6 and r[4] == "m1")


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.sampled_from(["1", "2", "3"]),
            st.sampled_from(["", "t"]),
            st.integers(0, 30),
            st.sampled_from(["m", "n"]),
            st.floats(-1e6, 1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=60,
        unique_by=lambda r: r[:5],
    ),
    spec=st.one_of(
        st.tuples(st.just("last"), st.integers(1, 35)),
        st.tuples(st.integers(0, 30), st.integers(1, 31)).filter(lambda t: t[0] < t[1]),
    ),
)
def test_window_means_property(data, spec):
    if spec[0] == "last":
        window, kwargs = f"last:{spec[1]}", {"last": spec[1]}
    else:
        window, kwargs = f"{spec[0]}:{spec[1]}", {"lo": spec[0], "hi": spec[1]}
    result = window_means(long_frame(data), window)
    got = _as_dict(result)
    expected = _reference_means(data, **kwargs)
    assert result.height == len(expected)  # one row per run and metric
    assert got.keys() == expected.keys()
    for key, (mean, n) in expected.items():
        assert got[key][0] == pytest.approx(mean, rel=1e-9, abs=1e-6)
        assert got[key][1] == n


# ------------------------------------------------------------------------------- real data


def test_dopamine_last_10_iterations():
    agents, game = ["DQN", "Rainbow"], "pong"
    data = read_dopamine(agents, [game])
    result = window_means(data, "last:10")
    raw = (
        pl.scan_csv(dopamine_path(), schema_overrides={"iteration": pl.Float64, "run": pl.Int64})
        .filter(pl.col("agent").is_in(agents) & (pl.col("game") == game))
        .collect()
    )
    assert result.height == raw.select("agent", "run").unique().height == 10
    for row in result.iter_rows(named=True):
        run = raw.filter(
            (pl.col("agent") == row["condition"]) & (pl.col("run") == int(row["seed"]))
        )
        iterations = run["iteration"].to_numpy()
        values = run["value"].to_numpy()
        keep = iterations > iterations.max() - 10
        assert row["task"] == game and row["metric"] == "value"
        assert row["n_steps"] == keep.sum() == 10
        assert row["value"] == pytest.approx(values[keep].mean(), rel=1e-12)
