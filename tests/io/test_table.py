"""Tests for measurand.io.table.read_table.

Reference: expected frames are built independently, from the Python rows written to each file or,
for the real Dopamine file, with the standard library's ``csv`` and ``gzip`` modules.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import tempfile
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from measurand.errors import InputError
from measurand.io._frames import CANONICAL_SCHEMA
from measurand.io.table import ROW_INDEX, RunData, count_rows, read_table, scan_table
from shared_paths import SHARED_DATA  # the one place that knows ../shared/data

DOPAMINE = SHARED_DATA / "dopamine_baselines.csv.gz"


def canonical(rows: list[tuple]) -> pl.DataFrame:
    """Rows of (condition, seed, task, step, metric, value)."""
    return pl.DataFrame(rows, schema=CANONICAL_SCHEMA, orient="row")


def write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- CSV


def test_csv_single_value_column(tmp_path: Path) -> None:
    file = write_text(
        tmp_path / "scores.csv",
        "method,run,env,iteration,score,extra\n"
        "A,0,pong,0,1.5,x\n"
        "A,0,pong,1,2.5,x\n"
        "A,1,pong,0,-3e2,x\n"
        "A,1,pong,1,7,x\n"
        "B,0,pong,0,4,x\n",
    )
    data = read_table(
        file, condition="method", seed="run", task="env", step="iteration", value="score"
    )
    assert isinstance(data, RunData)
    assert data.source == str(file)
    assert data.warnings == ()
    expected = canonical(
        [
            ("A", "0", "pong", 0, "score", 1.5),
            ("A", "0", "pong", 1, "score", 2.5),
            ("A", "1", "pong", 0, "score", -300.0),
            ("A", "1", "pong", 1, "score", 7.0),
            ("B", "0", "pong", 0, "score", 4.0),
        ]
    )
    assert_frame_equal(data.frame, expected)
    assert data.conditions() == ["A", "B"]
    assert data.seeds("A") == ["0", "1"]
    assert data.metrics() == ["score"]


def test_no_task_no_step(tmp_path: Path) -> None:
    file = write_text(tmp_path / "t.csv", "c,s,v\nA,1,0.5\nB,1,0.25\n")
    data = read_table(file, condition="c", seed="s", value="v")
    assert_frame_equal(
        data.frame, canonical([("A", "1", "", None, "v", 0.5), ("B", "1", "", None, "v", 0.25)])
    )


def test_several_value_columns_become_metrics_in_file_order(tmp_path: Path) -> None:
    file = write_text(
        tmp_path / "t.csv",
        "c,s,step,acc,loss\nA,1,0,0.5,2.0\nA,1,1,0.75,1.0\n",
    )
    data = read_table(file, condition="c", seed="s", step="step", value=["acc", "loss"])
    expected = canonical(
        [
            ("A", "1", "", 0, "acc", 0.5),
            ("A", "1", "", 0, "loss", 2.0),
            ("A", "1", "", 1, "acc", 0.75),
            ("A", "1", "", 1, "loss", 1.0),
        ]
    )
    assert_frame_equal(data.frame, expected)


def test_metric_column_holds_metric_names(tmp_path: Path) -> None:
    file = write_text(
        tmp_path / "t.csv",
        "c,s,name,val\nA,1,acc,0.5\nA,1,loss,2\n",
    )
    data = read_table(file, condition="c", seed="s", value="val", metric="name")
    assert_frame_equal(
        data.frame, canonical([("A", "1", "", None, "acc", 0.5), ("A", "1", "", None, "loss", 2.0)])
    )
    with pytest.raises(InputError, match="exactly one value column"):
        read_table(file, condition="c", seed="s", value=["val", "c"], metric="name")


def test_unknown_columns_list_the_available_ones(tmp_path: Path) -> None:
    file = write_text(tmp_path / "t.csv", "agent,run,value\nA,0,1\n")
    with pytest.raises(InputError) as info:
        read_table(file, condition="agent", seed="seed", value=["value", "score"])
    message = str(info.value)
    assert "seed='seed'" in message and "value='score'" in message
    assert "available columns: 'agent', 'run', 'value'" in message
    with pytest.raises(InputError, match="filters='game'"):
        read_table(file, condition="agent", seed="run", value="value", filters={"game": ["x"]})
    with pytest.raises(InputError, match="given both as condition= and as value="):
        read_table(file, condition="agent", seed="run", value="agent")


def test_non_numeric_value_names_column_and_line(tmp_path: Path) -> None:
    file = write_text(
        tmp_path / "t.csv",
        'c,s,v\nA,1,0.5\n\n"multi\nline",2,0.75\nA,3, 1.5 \nA,4,oops\nA,5,1\n',
    )
    with pytest.raises(InputError, match="non-numeric value 'oops'") as info:
        read_table(file, condition="c", seed="s", value="v")
    # header line 1; a blank line 3; a quoted field spanning lines 4-5; padded " 1.5 " is fine
    assert (info.value.line, info.value.column, info.value.source) == (7, "v", str(file))
    assert f"{file}, line 7, column 'v'" in str(info.value)


def test_padded_numbers_and_booleans_are_numbers(tmp_path: Path) -> None:
    file = write_text(tmp_path / "t.csv", "c,s,v\nA,1, 1.5 \nA,2,true\nA,3,False\n")
    data = read_table(file, condition="c", seed="s", value="v")
    assert data.frame["value"].to_list() == [1.5, 1.0, 0.0]


def test_missing_and_non_finite_values_are_dropped_and_counted(tmp_path: Path) -> None:
    file = write_text(
        tmp_path / "t.csv",
        "c,s,a,b\nA,1,,1\nA,2,NaN,2\nA,3,inf,\nA,4,0.5,4\n",
    )
    data = read_table(file, condition="c", seed="s", value=["a", "b"])
    assert data.frame.select("seed", "metric", "value").rows() == [
        ("1", "b", 1.0),
        ("2", "b", 2.0),
        ("4", "a", 0.5),
        ("4", "b", 4.0),
    ]
    assert data.warnings == (f"{file}: dropped 4 missing/NaN/inf value(s) (a: 3, b: 1)",)


def test_duplicate_rows_name_both_lines(tmp_path: Path) -> None:
    file = write_text(
        tmp_path / "t.csv",
        "agent,run,game,it,v\nA,0,pong,0,1\nA,0,pong,1,2\nA,0,breakout,0,3\nA,0,pong,1,4\n",
    )
    with pytest.raises(InputError, match="duplicate row") as info:
        read_table(file, condition="agent", seed="run", task="game", step="it", value="v")
    message = str(info.value)
    assert "condition='A', seed='0', task='pong', step=1, metric='v'" in message
    assert "line 3 and line 5" in message
    with pytest.raises(InputError, match="line 2 and line 4") as info:
        read_table(file, condition="agent", seed="run", step="it", value="v")
    assert "unused columns: game" in str(info.value)


def test_missing_keys_and_bad_steps_are_errors(tmp_path: Path) -> None:
    file = write_text(tmp_path / "t.csv", "c,s,step,v\nA,1,0,1\n,1,1,2\n")
    with pytest.raises(InputError, match="missing value") as info:
        read_table(file, condition="c", seed="s", step="step", value="v")
    assert (info.value.line, info.value.column) == (3, "c")
    file = write_text(tmp_path / "u.csv", "c,s,step,v\nA,1,0,1\nA,1,1.5,2\n")
    with pytest.raises(InputError, match=r"step 1\.5 is not an integer") as info:
        read_table(file, condition="c", seed="s", step="step", value="v")
    assert info.value.line == 3
    file = write_text(tmp_path / "w.csv", "c,s,step,v\nA,1,0,1\nA,1,late,2\n")
    with pytest.raises(InputError, match="step 'late' is not a number"):
        read_table(file, condition="c", seed="s", step="step", value="v")


def test_integral_float_steps_are_accepted(tmp_path: Path) -> None:
    # the Dopamine file mixes "0" and "1000.0" in its iteration column
    file = write_text(tmp_path / "t.csv", "c,s,step,v\nA,1,0,1\nA,1,1000.0,2\n")
    data = read_table(file, condition="c", seed="s", step="step", value="v")
    assert data.frame["step"].to_list() == [0, 1000]


def test_gzip_tsv_and_explicit_format(tmp_path: Path) -> None:
    text = "c,s,v\nA,1,0.5\n"
    with gzip.open(tmp_path / "t.csv.gz", "wt") as f:
        f.write(text)
    expected = canonical([("A", "1", "", None, "v", 0.5)])
    assert_frame_equal(
        read_table(tmp_path / "t.csv.gz", condition="c", seed="s", value="v").frame, expected
    )
    write_text(tmp_path / "t.tsv", text.replace(",", "\t"))
    assert_frame_equal(
        read_table(tmp_path / "t.tsv", condition="c", seed="s", value="v").frame, expected
    )
    write_text(tmp_path / "export.txt", text)
    with pytest.raises(InputError, match="cannot tell the format"):
        read_table(tmp_path / "export.txt", condition="c", seed="s", value="v")
    data = read_table(tmp_path / "export.txt", condition="c", seed="s", value="v", fmt="csv")
    assert_frame_equal(data.frame, expected)
    with pytest.raises(InputError, match="unknown format 'xlsx'"):
        read_table(tmp_path / "export.txt", condition="c", seed="s", value="v", fmt="xlsx")


def test_wandb_runs_export(tmp_path: Path) -> None:
    """A wandb "Export CSV" of the runs table: one row per run, config and summary columns."""
    rows = [
        ["Name", "State", "condition", "seed", "train/correct_rate", "train/mean_reward",
         "sepa_gate_open"],
        ["maxrl+gtpo_sepa_s42", "finished", "maxrl+gtpo_sepa", "42", "0.512", "0.61", "true"],
        ["maxrl+gtpo_sepa_s101", "finished", "maxrl+gtpo_sepa", "101", "0.498", "0.6", "false"],
        ["maxrl+gtpo_hicra_s42", "crashed", "maxrl+gtpo_hicra", "42", "", "", ""],
        ["maxrl+gtpo_hicra_s101", "finished", "maxrl+gtpo_hicra", "101", "0.47", "0.58", "true"],
    ]  # fmt: skip
    file = tmp_path / "wandb_export_2025-02-16.csv"
    with file.open("w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    data = read_table(
        file,
        condition="condition",
        seed="seed",
        value=["train/correct_rate", "train/mean_reward", "sepa_gate_open"],
        filters={"State": ["finished", "crashed"]},
    )
    assert data.conditions() == ["maxrl+gtpo_sepa", "maxrl+gtpo_hicra"]
    assert data.seeds("maxrl+gtpo_hicra") == ["101"]  # the crashed run logged nothing
    assert data.frame.filter(pl.col("metric") == "train/correct_rate")["value"].to_list() == [
        0.512,
        0.498,
        0.47,
    ]
    assert data.frame.filter(pl.col("metric") == "sepa_gate_open")["value"].to_list() == [
        1.0,
        0.0,
        1.0,
    ]
    assert data.warnings == (
        f"{file}: dropped 3 missing/NaN/inf value(s) (train/correct_rate: 1, "
        f"train/mean_reward: 1, sepa_gate_open: 1)",
    )
    finished = read_table(
        file, condition="condition", seed="seed", value="train/mean_reward",
        filters={"State": "finished"},
    )  # fmt: skip
    assert finished.frame.height == 3 and finished.warnings == ()
    with pytest.raises(InputError, match="no data rows after filters"):
        read_table(
            file, condition="Name", seed="seed", value="train/mean_reward", filters={"State": []}
        )


# --------------------------------------------------------------------------- Parquet, JSON lines


def test_parquet_typed_columns(tmp_path: Path) -> None:
    file = tmp_path / "t.parquet"
    pl.DataFrame(
        {
            "agent": ["A", "A", "B"],
            "run": [0, 1, 0],  # integer seeds become "0", "1"
            "iteration": [0.0, 10.0, 0.0],  # integral floats are steps
            "score": [1, 2, 3],
            "ok": [True, False, True],
        }
    ).write_parquet(file)
    data = read_table(file, condition="agent", seed="run", step="iteration", value=["score", "ok"])
    expected = canonical(
        [
            ("A", "0", "", 0, "score", 1.0),
            ("A", "0", "", 0, "ok", 1.0),
            ("A", "1", "", 10, "score", 2.0),
            ("A", "1", "", 10, "ok", 0.0),
            ("B", "0", "", 0, "score", 3.0),
            ("B", "0", "", 0, "ok", 1.0),
        ]
    )
    assert_frame_equal(data.frame, expected)
    numeric_filter = read_table(
        file, condition="agent", seed="run", value="score", filters={"run": [1]}
    )
    assert numeric_filter.frame["value"].to_list() == [2.0]
    with pytest.raises(InputError, match="do not match the column's dtype"):
        read_table(file, condition="agent", seed="run", value="score", filters={"run": ["x"]})


def test_parquet_errors_name_the_row(tmp_path: Path) -> None:
    file = tmp_path / "t.parquet"
    pl.DataFrame({"c": ["A", "A"], "s": ["1", "2"], "v": ["0.5", "bad"]}).write_parquet(file)
    with pytest.raises(InputError, match=r"non-numeric value 'bad' \(row 2\)") as info:
        read_table(file, condition="c", seed="s", value="v")
    assert info.value.column == "v"
    junk = write_text(tmp_path / "junk.parquet", "not parquet")
    with pytest.raises(InputError, match="cannot read parquet file"):
        read_table(junk, condition="c", seed="s", value="v")


def test_json_lines(tmp_path: Path) -> None:
    records = [
        {"agent": "A", "run": 0, "step": 0, "acc": 0.5},
        {"agent": "A", "run": 0, "step": 1, "acc": 0.75},
        {"agent": "B", "run": 3, "step": 0, "acc": 1},
    ]
    file = write_text(tmp_path / "t.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    data = read_table(file, condition="agent", seed="run", step="step", value="acc")
    assert_frame_equal(
        data.frame,
        canonical(
            [
                ("A", "0", "", 0, "acc", 0.5),
                ("A", "0", "", 1, "acc", 0.75),
                ("B", "3", "", 0, "acc", 1.0),
            ]
        ),
    )
    bad = write_text(
        tmp_path / "bad.ndjson",
        json.dumps(records[0]) + "\n\n" + json.dumps({**records[1], "acc": "n/a"}) + "\n",
    )
    with pytest.raises(InputError, match="non-numeric value 'n/a'") as info:
        read_table(bad, condition="agent", seed="run", step="step", value="acc")
    assert info.value.line == 3  # the blank line 2 counts


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "nope.csv", condition="c", seed="s", value="v")
    with pytest.raises(InputError, match="expected a file"):
        read_table(tmp_path, condition="c", seed="s", value="v")


def test_scan_table_and_count_rows(tmp_path: Path) -> None:
    rows = [{"c": "A", "s": i, "v": i / 2} for i in range(7)]
    pl.DataFrame(rows).write_parquet(tmp_path / "t.parquet")
    write_text(tmp_path / "t.csv", "c,s,v\n" + "".join(f"A,{i},{i / 2}\n" for i in range(7)))
    for name, dtype in (("t.parquet", pl.Int64), ("t.csv", pl.Utf8)):
        scan = scan_table(tmp_path / name)
        assert scan.columns == ["c", "s", "v"]
        assert scan.schema["s"] == dtype  # CSV cells are read as text
        frame = scan.collect(scan.lazy)
        assert frame.get_column(ROW_INDEX).to_list() == list(range(7))
        assert count_rows(tmp_path / name) == 7
    assert scan.locator.describe(2) == "line 4"  # header is line 1
    with pytest.raises(InputError, match="file not found"):
        count_rows(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="cannot tell the format"):
        count_rows(write_text(tmp_path / "t.txt", "a\n1\n"))


def test_ragged_note(tmp_path: Path) -> None:
    lines = ["c,s,t,step,v"]
    lines += [f"A,{seed},g,{step},1" for seed in (0, 1) for step in range(5 if seed else 3)]
    file = write_text(tmp_path / "t.csv", "\n".join(lines) + "\n")
    data = read_table(file, condition="c", seed="s", task="t", step="step", value="v")
    (note,) = data.warnings
    assert "ragged runs: in 1 (condition, task) group(s)" in note
    assert "A / g: first step 0..0, last step 2..4 over 2 seeds" in note


# --------------------------------------------------------------------------- properties


cells = st.tuples(
    st.sampled_from(["A", "B", "maxrl+gtpo_sepa"]),
    st.integers(min_value=0, max_value=4),
    st.sampled_from(["pong", "ms pacman", ""]),
    st.integers(min_value=-5, max_value=300),
)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.dictionaries(cells, st.tuples(finite, finite), min_size=1, max_size=40),
    fmt=st.sampled_from(["csv", "parquet", "jsonl"]),
)
def test_round_trip_and_wide_equals_long(
    rows: dict[tuple[str, int, str, int], tuple[float, float]], fmt: str
) -> None:
    """Written values come back exactly, and value=[a, b] equals reading a and b separately."""
    table = pl.DataFrame(
        [(c, s, t, step, a, b) for (c, s, t, step), (a, b) in rows.items()],
        schema={"c": pl.Utf8, "s": pl.Int64, "t": pl.Utf8, "step": pl.Int64,
                "a": pl.Float64, "b": pl.Float64},
        orient="row",
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / f"table.{fmt}"
        if fmt == "csv":
            table.write_csv(file)
        elif fmt == "parquet":
            table.write_parquet(file)
        else:
            table.write_ndjson(file)
        kwargs = {"condition": "c", "seed": "s", "task": "t", "step": "step"}
        both = read_table(file, value=["a", "b"], **kwargs).frame
        only_a = read_table(file, value="a", **kwargs).frame
        only_b = read_table(file, value="b", **kwargs).frame
    keys = ["condition", "seed", "task", "step", "metric"]
    assert_frame_equal(both.sort(keys), pl.concat([only_a, only_b]).sort(keys))
    got = {(c, int(s), t, st_, m): v for c, s, t, st_, m, v in both.iter_rows()}
    want = {
        (c, s, t, step, m): v
        for (c, s, t, step), (a, b) in rows.items()
        for m, v in (("a", a), ("b", b))
    }
    assert got == want


# --------------------------------------------------------------------------- the real data


needs_dopamine = pytest.mark.skipif(
    not DOPAMINE.is_file(),
    reason=f"shared data file {DOPAMINE} is absent (it lives beside the repo, in ../shared/data)",
)


@pytest.fixture(scope="module")
def dopamine() -> RunData:
    return read_table(
        DOPAMINE, condition="agent", seed="run", task="game", step="iteration", value="value"
    )


@pytest.fixture(scope="module")
def dopamine_reference() -> dict[tuple[str, str], list[tuple[str, int, float]]]:
    """(agent, game) -> [(run, iteration, value)], read with the standard library only."""
    runs: dict[tuple[str, str], list[tuple[str, int, float]]] = defaultdict(list)
    with gzip.open(DOPAMINE, "rt", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        agent, game, run, iteration, value = (
            header.index(c) for c in ("agent", "game", "run", "iteration", "value")
        )
        for row in reader:
            runs[(row[agent], row[game])].append(
                (row[run], int(float(row[iteration])), float(row[value]))
            )
    return runs


@needs_dopamine
def test_dopamine_shape(dopamine: RunData, dopamine_reference: dict) -> None:
    frame = dopamine.frame
    n_rows = sum(len(v) for v in dopamine_reference.values())
    assert n_rows == 966_027
    assert frame.height == n_rows
    assert frame.schema == pl.Schema(CANONICAL_SCHEMA)
    assert dopamine.metrics() == ["value"]
    assert sorted(dopamine.conditions()) == sorted({a for a, _ in dopamine_reference})
    assert len(dopamine.conditions()) == 8
    for agent in dopamine.conditions():
        assert dopamine.seeds(agent) == ["0", "1", "2", "3", "4"]
    games = frame.group_by("condition").agg(pl.col("task").n_unique()).rows()
    assert dict(games) == {
        "C51": 180, "DQN": 180, "DQN (Adam + MSE in JAX)": 60, "IQN": 180,
        "QR-DQN": 120, "Quantile (JAX)": 60, "Rainbow": 180, "SAC": 5,
    }  # fmt: skip
    assert frame["task"].n_unique() == 185
    sac = frame.filter(pl.col("condition") == "SAC")
    assert (sac["step"].min(), sac["step"].max()) == (0, 3190)  # written as "1000.0" etc.
    atari = frame.filter(pl.col("condition") != "SAC")
    assert (atari["step"].min(), atari["step"].max()) == (0, 199)
    first = frame.row(0, named=True)
    assert first == {
        "condition": "DQN", "seed": "0", "task": "airraid", "step": 0,
        "metric": "value", "value": 514.9805447470817,
    }  # fmt: skip


@needs_dopamine
def test_dopamine_values_match_stdlib(dopamine: RunData, dopamine_reference: dict) -> None:
    frame = dopamine.frame
    for agent, game in [("DQN", "pong"), ("SAC", "hopper"), ("Rainbow", "tutankham_Impala")]:
        got = (
            frame.filter((pl.col("condition") == agent) & (pl.col("task") == game))
            .select("seed", "step", "value")
            .rows()
        )
        assert got == dopamine_reference[(agent, game)]
        assert all(math.isfinite(v) for _, _, v in got)


@needs_dopamine
def test_dopamine_ragged_runs(dopamine: RunData, dopamine_reference: dict) -> None:
    ragged = 0
    for triples in dopamine_reference.values():
        last: dict[str, int] = defaultdict(lambda: -1)
        for run, step, _ in triples:
            last[run] = max(last[run], step)
        ragged += len(set(last.values())) > 1
    assert ragged == 27
    (note,) = dopamine.warnings
    assert f"ragged runs: in {ragged} (condition, task) group(s)" in note
    lengths = dopamine.frame.group_by("condition", "task", "seed").len()["len"].value_counts()
    assert set(lengths["len"].to_list()) == {56, 198, 199, 200, 320}


@needs_dopamine
def test_dopamine_filters_and_missing_task(tmp_path: Path) -> None:
    data = read_table(
        DOPAMINE,
        condition="agent",
        seed="run",
        task="game",
        step="iteration",
        value="value",
        filters={"agent": ["DQN", "C51"], "game": ["pong", "breakout"]},
    )
    assert data.conditions() == ["DQN", "C51"]
    assert sorted(data.frame["task"].unique().to_list()) == ["breakout", "pong"]
    assert data.frame.height == 2 * 2 * 5 * 199  # these runs all stop at iteration 198
    with pytest.raises(InputError, match="pass it as task= or step="):
        read_table(DOPAMINE, condition="agent", seed="run", step="iteration", value="value")
