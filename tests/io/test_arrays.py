"""Tests of measurand.io.arrays.read_arrays: .npz, Parquet and CSV/TSV into named numpy arrays.

References: the arrays written with numpy (``np.savez``) and polars (``write_parquet``,
``write_csv``) in each test; values must come back unchanged.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from measurand.errors import InputError
from measurand.io.arrays import read_arrays


def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "exact_correct": rng.integers(0, 2, 50).astype(np.int8),
        "lyap_spec": rng.normal(size=(50, 8)).astype(np.float32),
        "flag": rng.random(50) < 0.5,
    }
    path = tmp_path / "run.npz"
    np.savez_compressed(path, **arrays)
    got = read_arrays(path)
    assert list(got) == list(arrays)
    for name, values in arrays.items():
        assert got[name].dtype == values.dtype
        np.testing.assert_array_equal(got[name], values)


def test_npz_object_array_is_refused_without_pickle(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, meta=np.array([{"a": 1}], dtype=object), x=np.arange(3))
    with pytest.raises(InputError, match="'meta' cannot be read without pickle") as info:
        read_arrays(path)
    assert info.value.source == str(path)


def test_single_npy_file_is_not_an_archive(tmp_path):
    path = tmp_path / "one.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.arange(3))
    with pytest.raises(InputError, match="single array"):
        read_arrays(path)


def test_parquet_columns_and_list_columns(tmp_path):
    frame = pl.DataFrame(
        {
            "correct": [True, False, True],
            "score": [0.5, None, 2.0],
            "count": [1, 2, 3],
            "drift": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, None, 9.0]],
            "name": ["a", "b", "c"],
        }
    ).with_columns(pl.col("drift").list.to_array(3).alias("fixed"))
    path = tmp_path / "run.parquet"
    frame.write_parquet(path)
    got = read_arrays(path)
    assert list(got) == ["correct", "score", "count", "drift", "name", "fixed"]
    np.testing.assert_array_equal(got["correct"], [True, False, True])
    assert got["correct"].dtype == bool
    np.testing.assert_array_equal(got["score"], [0.5, np.nan, 2.0])
    np.testing.assert_array_equal(got["count"], [1, 2, 3])
    expected = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, np.nan, 9.0]])
    np.testing.assert_array_equal(got["drift"], expected)
    np.testing.assert_array_equal(got["fixed"], expected)
    assert got["drift"].shape == (3, 3)
    assert list(got["name"]) == ["a", "b", "c"]


def test_parquet_ragged_list_column(tmp_path):
    path = tmp_path / "ragged.pq"
    pl.DataFrame({"drift": [[1.0, 2.0], [3.0], [4.0, 5.0]]}).write_parquet(path)
    with pytest.raises(InputError) as info:
        read_arrays(path)
    message = str(info.value)
    assert "ragged: row 0 has 2 values but row 1 has 1" in message
    assert info.value.source == str(path)
    assert info.value.column == "drift"


def test_parquet_missing_list_row(tmp_path):
    path = tmp_path / "holes.parquet"
    pl.DataFrame({"drift": [[1.0, 2.0], None]}).write_parquet(path)
    with pytest.raises(InputError, match=r"missing row \(row 1\)"):
        read_arrays(path)


def test_parquet_boolean_with_missing_becomes_float(tmp_path):
    path = tmp_path / "labels.parquet"
    pl.DataFrame({"correct": [True, None, False]}).write_parquet(path)
    np.testing.assert_array_equal(read_arrays(path)["correct"], [1.0, np.nan, 0.0])


def test_csv_numbers_text_and_special_floats(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("correct,score,other,tag\n1,0.5,nan,x\n0,,inf,y\n1,-2,-inf,z\n")
    got = read_arrays(path)
    np.testing.assert_array_equal(got["correct"], [1, 0, 1])
    np.testing.assert_array_equal(got["score"], [0.5, np.nan, -2.0])
    np.testing.assert_array_equal(got["other"], [np.nan, np.inf, -np.inf])
    assert got["tag"].dtype == object


def test_tsv_and_explicit_format(tmp_path):
    tsv = tmp_path / "run.tsv"
    tsv.write_text("a\tb\n1\t2\n3\t4\n")
    np.testing.assert_array_equal(read_arrays(tsv)["b"], [2, 4])
    renamed = tmp_path / "run.txt"
    renamed.write_text("a,b\n1,2\n")
    np.testing.assert_array_equal(read_arrays(renamed, fmt="csv")["a"], [1])
    np.testing.assert_array_equal(read_arrays(renamed, fmt=".CSV")["b"], [2])


def test_missing_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(InputError, match="file not found") as info:
        read_arrays(path)
    assert info.value.source == str(path)


def test_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_arrays(tmp_path)


def test_unknown_suffix_and_format(tmp_path):
    path = tmp_path / "run.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"unknown file type '\.xlsx'.*\.csv.*\.npz.*\.parquet"):
        read_arrays(path)
    with pytest.raises(InputError, match="unknown format 'xls'"):
        read_arrays(path, fmt="xls")


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_unreadable_content(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"this is not binary data at all")
    with pytest.raises(InputError, match=r"not a readable|cannot read as") as info:
        read_arrays(path)
    assert info.value.source == str(path)


def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(InputError) as info:
        read_arrays(path)
    assert info.value.source == str(path)


def test_empty_npz_has_no_arrays(tmp_path):
    path = tmp_path / "empty.npz"
    np.savez(path)
    with pytest.raises(InputError, match="contains no arrays"):
        read_arrays(path)


float_matrix = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 12), st.integers(1, 5)),
    elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
)


@given(matrix=float_matrix)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_round_trip_property(tmp_path, matrix):
    npz = tmp_path / "m.npz"
    np.savez(npz, m=matrix, col=matrix[:, 0])
    got = read_arrays(npz)
    np.testing.assert_array_equal(got["m"], matrix)

    parquet = tmp_path / "m.parquet"
    pl.DataFrame({"col": matrix[:, 0], "m": matrix.tolist()}).write_parquet(parquet)
    got = read_arrays(parquet)
    np.testing.assert_array_equal(got["col"], matrix[:, 0])
    np.testing.assert_array_equal(got["m"], matrix)
    assert got["m"].shape == matrix.shape
