"""Reading responses: long, wide, errors naming file/line/column, exclusions listed."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from measurand.errors import InputError
from measurand.io.responses import (
    parse_binarize,
    read_long_responses,
    read_responses,
    read_wide_responses,
    responses_from_matrix,
)


def _write_csv(path, text):
    path.write_text(text)
    return path


def test_long_csv_roundtrip_and_exclusions(tmp_path):
    f = _write_csv(
        tmp_path / "r.csv",
        "model,q,correct\n"
        "a,i1,1\na,i2,0\na,i3,1\na,i4,1\n"
        "b,i1,0\nb,i2,1\nb,i3,1\n"
        "c,i1,1\nc,i2,1\nc,i3,1\n",
    )
    data = read_long_responses(f, subject_col="model", item_col="q", response_col="correct")
    assert data.subjects == ("a", "b", "c")
    assert data.items == ("i1", "i2")
    assert data.excluded_items == {"i3": "constant: all right", "i4": "answered by one subject"}
    dense = data.dense()
    np.testing.assert_array_equal(dense, [[1, 0], [0, 1], [1, 1]])
    assert data.binarization is None


def test_long_parquet_and_jsonl_with_benchmark(tmp_path):
    frame = pl.DataFrame(
        {
            "s": ["a", "a", "b", "b", "c", "c"],
            "i": ["x", "x", "x", "x", "x", "x"],
            "bench": ["m", "g", "m", "g", "m", "g"],
            "y": [1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
        }
    )
    for name in ("r.parquet", "r.jsonl"):
        path = tmp_path / name
        frame.write_parquet(path) if name.endswith("parquet") else frame.write_ndjson(path)
        data = read_long_responses(
            path, subject_col="s", item_col="i", response_col="y", benchmark_col="bench"
        )
        assert data.items == ("g/x", "m/x")
        assert data.n_observed == 6


def test_binarize_rule_recorded(tmp_path):
    f = _write_csv(
        tmp_path / "r.csv", "subject,item,response\na,1,0.7\na,2,0.2\nb,1,0.1\nb,2,0.5\n"
    )
    with pytest.raises(InputError, match=r"line 2.*not 0 or 1|not 0 or 1") as err:
        read_long_responses(f)
    assert err.value.line == 2 and err.value.column == "response"
    data = read_long_responses(f, binarize="ge:0.5")
    assert data.binarization == "response >= 0.5 → 1, else 0"
    np.testing.assert_array_equal(data.dense(), [[1, 0], [0, 1]])
    assert parse_binarize("gt:0") == ("gt", 0.0)
    with pytest.raises(InputError, match="OP:THRESHOLD"):
        parse_binarize(">=0.5")


def test_duplicate_key_names_lines(tmp_path):
    f = _write_csv(tmp_path / "r.csv", "subject,item,response\na,1,1\nb,1,0\na,1,0\n")
    with pytest.raises(
        InputError, match=r"duplicate \(subject, item\) key 'a', '1' \(also at line 4\)"
    ) as e:
        read_long_responses(f)
    assert e.value.line == 2 and str(f) in str(e.value)


def test_trials_averaged_or_refused(tmp_path):
    f = _write_csv(
        tmp_path / "r.csv",
        "subject,item,response,trial\na,1,1,0\na,1,0,1\na,2,1,0\nb,1,0,0\nb,2,0,0\n",
    )
    data = read_long_responses(f, trial_col="trial")
    assert data.n_trials_averaged == 1
    np.testing.assert_array_equal(data.dense(), [[0.5, 1], [0, 0]])
    with pytest.raises(InputError, match="several trials"):
        read_long_responses(f, trial_col="trial", trials="error")
    dup = _write_csv(tmp_path / "d.csv", "subject,item,response,trial\na,1,1,0\na,1,0,0\n")
    with pytest.raises(InputError, match="duplicate"):
        read_long_responses(dup, trial_col="trial")


def test_empty_subject_missing_response_bad_column(tmp_path):
    f = _write_csv(tmp_path / "r.csv", "subject,item,response\na,1,1\n,1,0\n")
    with pytest.raises(InputError, match="empty 'subject' id") as e:
        read_long_responses(f)
    assert e.value.line == 3
    g = _write_csv(tmp_path / "g.csv", "subject,item,response\na,1,1\nb,1,\n")
    with pytest.raises(InputError, match="missing or non-finite") as e:
        read_long_responses(g)
    assert e.value.line == 3
    with pytest.raises(InputError, match=r"column\(s\) \['who'\] not found"):
        read_long_responses(f, subject_col="who")
    h = _write_csv(tmp_path / "h.csv", "subject,item,response\na,1,yes\n")
    with pytest.raises(InputError, match="not a number"):
        read_long_responses(h)


def test_wide_with_nan_and_errors(tmp_path):
    f = _write_csv(tmp_path / "w.csv", "model,q1,q2,q3\na,1,,0\nb,0,0,1\nc,1,1,\n")
    data = read_wide_responses(f, id_col="model")
    assert data.items == ("q1", "q2", "q3")
    assert np.isnan(data.dense()[0, 1])
    assert data.n_observed == 7
    assert read_responses(f, id_col="model").n_observed == 7
    empty = _write_csv(tmp_path / "e.csv", "model,q1,q2\na,1,0\nb,,\nc,0,1\n")
    with pytest.raises(InputError, match="'b' has no response") as e:
        read_wide_responses(empty, id_col="model")
    assert e.value.line == 3
    bad = _write_csv(tmp_path / "b.csv", "model,q1,q2\na,1,2\nb,0,1\n")
    with pytest.raises(InputError, match="not 0 or 1") as e:
        read_wide_responses(bad, id_col="model")
    assert e.value.column == "q2" and e.value.line == 2


def test_matrix_exclusions_and_empty_subject_after_exclusion():
    Y = np.array([[1, 0, 1, np.nan], [0, 1, 1, np.nan], [1, 1, 1, 1.0], [np.nan, np.nan, 1, 0]])
    data = responses_from_matrix(Y)
    assert data.excluded_items == {"item_2": "constant: all right"}
    assert data.items == ("item_0", "item_1", "item_3")
    assert data.n_subjects == 4
    Z = np.array([[1, 0, 1], [0, 1, 1], [np.nan, np.nan, 1.0]])
    d2 = responses_from_matrix(Z)
    assert d2.excluded_subjects == {"subject_2": "no response on the items kept"}
    with pytest.raises(InputError, match="fewer than 2"):
        responses_from_matrix(np.ones((3, 3)))
