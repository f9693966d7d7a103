"""Hypothesis fuzz of the readers: any bytes give a result or an InputError naming the file,
never another exception (which the CLI would report as a bug, exit 3)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from measurand.errors import InputError
from measurand.io.arrays import read_arrays
from measurand.io.matrix import read_matrix
from measurand.io.table import read_table

CELL = st.one_of(
    st.sampled_from(["", "nan", "inf", "-inf", "1e309", "NaN", "a", "1", "0.5", '"', "x,y"]),
    st.text(max_size=5),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
)
HEADER = st.lists(st.sampled_from(["run", "cond", "seed", "step", "acc", "t1", "t2", ""]),
                  min_size=1, max_size=5)  # fmt: skip


@st.composite
def csv_bytes(draw) -> bytes:
    header = draw(HEADER)
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=6))
    text = "\n".join([",".join(header), *(",".join(r) for r in rows)])
    data = (
        text.encode("utf-8", "surrogatepass")
        if draw(st.booleans())
        else text.encode("utf-8", "replace")
    )
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=8))
    return data


def _read_each(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        readers = [
            lambda: read_table(path, condition="cond", seed="seed", value="acc", step="step"),
            lambda: read_matrix(path, id_col="run"),
            lambda: read_arrays(path),
        ]
        for read in readers:
            try:
                read()
            except InputError as exc:
                assert "fuzz.csv" in str(exc), str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_bytes())
def test_readers_raise_only_input_errors_on_csv_like_bytes(data: bytes) -> None:
    _read_each(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_readers_raise_only_input_errors_on_random_bytes(data: bytes) -> None:
    _read_each(data)
