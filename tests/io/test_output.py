import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from measurand.errors import InputError
from measurand.io.output import check_output_dir, dumps_json, write_atomic, write_output_dir


def test_write_atomic_replaces_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.txt"
    write_atomic(target, "one")
    write_atomic(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]


def test_write_atomic_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "f.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_dumps_json_converts_numpy_and_nan() -> None:
    text = dumps_json({"a": np.float64(1.5), "b": np.arange(3), "c": math.nan, "d": np.inf})
    assert json.loads(text) == {"a": 1.5, "b": [0, 1, 2], "c": None, "d": "inf"}


def test_output_dir_refuses_non_empty_without_force(tmp_path: Path) -> None:
    out = tmp_path / "report"
    write_output_dir(out, {"results.json": "{}"})
    with pytest.raises(InputError, match="--force"):
        write_output_dir(out, {"results.json": "[]"})
    assert (out / "results.json").read_text() == "{}"
    write_output_dir(out, {"summary.md": "# x"}, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["summary.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging left


def test_output_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    with pytest.raises(InputError, match="not a folder"):
        check_output_dir(tmp_path / "x", force=True)


def test_failed_write_leaves_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    write_output_dir(out, {"results.json": "{}"})

    with pytest.raises(TypeError):
        write_output_dir(out, {"results.json": "new", "bad": object()}, force=True)  # type: ignore
    assert (out / "results.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=20,
)


@given(json_values)
def test_dumps_json_round_trips(value) -> None:
    text = dumps_json(value)
    assert json.loads(text) == value


def test_dumps_json_keeps_scalar_lists_on_one_line() -> None:
    assert dumps_json({"x": [1, 2.5, None, "a"]}) == '{\n  "x": [1, 2.5, null, "a"]\n}\n'
