"""Tests for measurand.io.matrix.read_matrix (wide results matrices for ``factors``).

References: the standard library's ``csv`` module (what the file holds) and
``scipy.stats.zscore`` (ddof 0 / 1, ``nan_policy="omit"``) for the standardized matrix.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as sps

from measurand.errors import InputError
from measurand.io.matrix import match_pattern, parse_row_filter, read_matrix
from shared_paths import SHARED_DATA  # the one place that knows ../shared/data

OBSSCALING = SHARED_DATA / "obsscaling" / "base_llm_benchmark_eval.csv"

HEADER = [
    "run_name",
    "status",
    "lm_eval/arc/bpb",
    "lm_eval/hellaswag/bpb",
    "lm_eval/mmlu_5shot/bpb",
    "lm_eval/mmlu_abstract_algebra/bpb",
    "mcq_smooth/sciq/acc",
    "eval/paloma/macro_loss",
    "eval/bpb",
    "constant",
]
ROWS = [
    ["r1", "completed", "1.10", "0.90", "1.50", "1.7", "0.61", "3.1", "1.0", "5"],
    ["r2", "completed", "1.00", "0.95", "1.40", "1.6", "0.70", "3.0", "1.1", "5"],
    ["r3", "failed", "1.30", "", "1.80", "1.9", "0.40", "3.5", "1.2", "5"],
    ["r4", "completed", "0.90", "0.80", "1.30", "NaN", "0.75", "2.9", "1.3", "5"],
    ["r5", "completed", "1.20", "0.85", "1.45", "1.65", "0.66", "", "1.4", "5"],
]


def write_csv(path: Path, header=HEADER, rows=ROWS) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def column(rows, header, name):
    index = header.index(name)
    return np.array([float(r[index]) if r[index] not in ("", "NaN") else np.nan for r in rows])


@pytest.fixture
def matrix_file(tmp_path):
    return write_csv(tmp_path / "matrix.csv")


def test_column_rules_directions_and_standardization(matrix_file):
    data = read_matrix(
        matrix_file,
        id_col="run_name",
        include=["*/bpb", "re:^mcq_smooth/"],
        exclude=["eval/bpb", "re:^lm_eval/mmlu_(?!5shot)"],
        lower_is_better="*/bpb",
        heldout="eval/paloma/macro_loss",
    )
    assert data.columns == (
        "lm_eval/arc/bpb",
        "lm_eval/hellaswag/bpb",
        "lm_eval/mmlu_5shot/bpb",
        "mcq_smooth/sciq/acc",
    )
    assert data.row_names == ("r1", "r2", "r3", "r4", "r5")
    assert data.directions == {
        "lm_eval/arc/bpb": -1,
        "lm_eval/hellaswag/bpb": -1,
        "lm_eval/mmlu_5shot/bpb": -1,
        "mcq_smooth/sciq/acc": 1,
        "eval/paloma/macro_loss": 1,
    }
    for j, name in enumerate(data.columns):
        values = column(ROWS, HEADER, name) * data.directions[name]
        np.testing.assert_allclose(data.raw[:, j], column(ROWS, HEADER, name), equal_nan=True)
        expected = sps.zscore(values, ddof=0, nan_policy="omit")
        np.testing.assert_allclose(data.Z[:, j], expected, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(
        data.heldout["eval/paloma/macro_loss"],
        column(ROWS, HEADER, "eval/paloma/macro_loss"),
        equal_nan=True,
    )
    assert data.missing.n_missing == 1
    assert data.missing.by_column["lm_eval/hellaswag/bpb"] == 1
    assert data.missing.row_examples == ("r3",)
    assert data.missing.heldout_by_column == {"eval/paloma/macro_loss": 1}
    np.testing.assert_array_equal(data.complete_rows(), [True, True, False, True, True])


def test_without_include_every_numeric_column_is_a_metric(matrix_file):
    data = read_matrix(matrix_file, id_col="run_name", heldout="eval/paloma/*")
    assert data.columns == tuple(
        c for c in HEADER if c not in ("run_name", "status", "eval/paloma/macro_loss", "constant")
    )
    assert "skipped non-numeric column(s): status" in data.notes
    assert data.dropped_constant == ("constant",)


def test_constant_columns_are_dropped_by_name(matrix_file):
    data = read_matrix(matrix_file, id_col="run_name", include=["constant", "mcq_smooth/*"])
    assert data.dropped_constant == ("constant",)
    assert data.columns == ("mcq_smooth/sciq/acc",)
    assert any("constant" in note for note in data.notes)


def test_ddof_one_and_no_standardization(matrix_file):
    data = read_matrix(matrix_file, id_col="run_name", include="mcq_smooth/*", ddof=1)
    values = column(ROWS, HEADER, "mcq_smooth/sciq/acc")
    np.testing.assert_allclose(data.Z[:, 0], sps.zscore(values, ddof=1), rtol=1e-12)
    raw = read_matrix(matrix_file, id_col="run_name", include="mcq_smooth/*", standardize=False)
    np.testing.assert_allclose(raw.Z[:, 0], values)


def test_row_filters(matrix_file):
    done = read_matrix(
        matrix_file, id_col="run_name", include="mcq_smooth/*", row_filter='status == "completed"'
    )
    assert done.row_names == ("r1", "r2", "r4", "r5")
    assert any("kept 4 row(s)" in note for note in done.notes)
    both = read_matrix(
        matrix_file,
        id_col="run_name",
        include="mcq_smooth/*",
        row_filter=["status != failed", "`mcq_smooth/sciq/acc` >= 0.65"],
    )
    assert both.row_names == ("r2", "r4", "r5")
    with pytest.raises(InputError, match="no data rows after the row filter"):
        read_matrix(matrix_file, id_col="run_name", row_filter="status == running")


def test_parse_row_filter_grammar():
    cond = parse_row_filter("`Model Size (B)` >= 7")
    assert (cond.column, cond.op, cond.value) == ("Model Size (B)", ">=", 7.0)
    cond = parse_row_filter("status=='done'")
    assert (cond.column, cond.op, cond.value) == ("status", "==", "done")
    for bad in ["status", "status ==", "x < abc"]:
        with pytest.raises(InputError):
            parse_row_filter(bad)


def test_patterns():
    assert match_pattern("*/bpb", "lm_eval/arc/bpb")
    assert not match_pattern("lm_eval/*", "eval/bpb")
    assert match_pattern("re:mmlu_\\d", "lm_eval/mmlu_5shot/bpb")
    assert not match_pattern("re:^mmlu", "lm_eval/mmlu_5shot/bpb")


def test_parquet_reads_the_same(matrix_file, tmp_path):
    frame = pl.read_csv(matrix_file, infer_schema_length=None, null_values=["", "NaN"])
    parquet = tmp_path / "matrix.parquet"
    frame.write_parquet(parquet)
    options = dict(id_col="run_name", include=["*/bpb", "mcq_smooth/*"], exclude="eval/*")
    a = read_matrix(matrix_file, **options)
    b = read_matrix(parquet, **options)
    assert a.columns == b.columns and a.row_names == b.row_names
    np.testing.assert_allclose(a.Z, b.Z, equal_nan=True)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------
def test_error_unknown_id_and_missing_file(matrix_file, tmp_path):
    with pytest.raises(InputError, match=r"unknown id column 'model'.*'run_name'"):
        read_matrix(matrix_file, id_col="model")
    with pytest.raises(InputError, match="file not found"):
        read_matrix(tmp_path / "nope.csv", id_col="x")


def test_error_duplicate_and_missing_ids(tmp_path):
    rows = [r.copy() for r in ROWS]
    rows[3][0] = "r2"
    path = write_csv(tmp_path / "dup.csv", rows=rows)
    with pytest.raises(InputError, match="duplicate id 'r2' at line 3 and at line 5"):
        read_matrix(path, id_col="run_name", include="mcq_smooth/*")
    rows[3][0] = ""
    path = write_csv(tmp_path / "blank.csv", rows=rows)
    with pytest.raises(InputError, match="missing id at line 5"):
        read_matrix(path, id_col="run_name", include="mcq_smooth/*")


def test_error_non_numeric_cell(tmp_path):
    rows = [r.copy() for r in ROWS]
    rows[1][6] = "0.7x"
    path = write_csv(tmp_path / "bad.csv", rows=rows)
    with pytest.raises(InputError, match=r"line 3, column 'mcq_smooth/sciq/acc'.*'0\.7x'"):
        read_matrix(path, id_col="run_name")
    with pytest.raises(InputError, match="non-numeric value 'completed'"):
        read_matrix(tmp_path / "bad.csv", id_col="run_name", include=["status"])


def test_error_everything_filtered_out_shows_the_rules(matrix_file):
    with pytest.raises(InputError) as info:
        read_matrix(
            matrix_file, id_col="run_name", include=["teacher_forced/*", "*/bpb"], exclude="*/bpb"
        )
    message = str(info.value)
    assert "no metric column left" in message
    assert "include 'teacher_forced/*' matched 0 column(s)" in message
    assert "exclude '*/bpb' matched 5 column(s)" in message
    assert "available columns:" in message


def test_error_unknown_filter_column_and_unmatched_heldout(matrix_file):
    with pytest.raises(InputError, match="unknown column"):
        read_matrix(matrix_file, id_col="run_name", row_filter="state == done")
    with pytest.raises(InputError, match="held-out pattern 'eval/nothing' matches no column"):
        read_matrix(matrix_file, id_col="run_name", heldout="eval/nothing")
    with pytest.raises(InputError, match="bad regular expression"):
        read_matrix(matrix_file, id_col="run_name", include="re:(")


# ----------------------------------------------------------------------------------------------
# Real data
# ----------------------------------------------------------------------------------------------
@pytest.mark.skipif(not OBSSCALING.exists(), reason=f"real data not available at {OBSSCALING}")
def test_obsscaling_base_matrix():
    benchmarks = ["MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd"]
    data = read_matrix(OBSSCALING, id_col="Model", include=benchmarks, heldout="HumanEval")
    with open(OBSSCALING, newline="") as fh:
        records = list(csv.DictReader(fh))
    assert data.row_names == tuple(r["Model"] for r in records)
    assert data.columns == tuple(benchmarks)
    for name in benchmarks:
        expected_missing = sum(1 for r in records if r[name] == "")
        assert data.missing.by_column[name] == expected_missing
        values = np.array([float(r[name]) if r[name] else math.nan for r in records])
        j = data.columns.index(name)
        np.testing.assert_allclose(
            data.Z[:, j], sps.zscore(values, nan_policy="omit"), atol=1e-12, equal_nan=True
        )
    assert data.missing.by_column["ARC-C"] == 3 and data.missing.by_column["XWinograd"] == 16
    assert data.missing.heldout_by_column == {"HumanEval": 21}


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.tuples(st.integers(3, 12), st.integers(1, 5)),
        elements=st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: round(v, 3)),
    ),
    negate=st.booleans(),
)
def test_property_standardized_columns_match_scipy(tmp_path_factory, values, negate):
    n, p = values.shape
    header = ["id", *[f"task{j}/score" for j in range(p)]]
    rows = [[f"row{i}", *[repr(float(v)) for v in values[i]]] for i in range(n)]
    path = write_csv(tmp_path_factory.mktemp("m") / "m.csv", header, rows)
    sds = values.std(axis=0)
    if np.all(sds <= 1e-12):
        with pytest.raises(InputError, match="constant"):
            read_matrix(path, id_col="id", lower_is_better="task0/*" if negate else None)
        return
    data = read_matrix(path, id_col="id", lower_is_better="task0/*" if negate else None)
    kept = [j for j in range(p) if sds[j] > 1e-12]
    assert data.columns == tuple(header[1 + j] for j in kept)
    signs = np.array([-1.0 if (negate and j == 0) else 1.0 for j in kept])
    expected = sps.zscore(values[:, kept] * signs, axis=0)
    np.testing.assert_allclose(data.Z, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(data.Z.mean(axis=0), 0, atol=1e-9)
