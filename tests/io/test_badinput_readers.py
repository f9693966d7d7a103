"""Bad files through the readers: each gives an InputError naming the file (and the line and
column where there is one), never a traceback. Cases from issues 9 and 10."""

from __future__ import annotations

import gzip
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from measurand.errors import InputError
from measurand.io.arrays import read_arrays
from measurand.io.table import read_table


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


CSV_CASES = {
    "empty": (b"", r"empty"),
    "header_only": (b"y,s\n", r"no data rows"),
    "text_cell": (b"y,s\n1,0.5\n0,abc\n1,0.7\n", r"line 3, column 's'.*'abc'"),
    "non_utf8": (b"y,s\n1,0.5\n0,\xff\xfe\n", r"line 3, column 's'.*not UTF-8"),
    "extra_field": (b"y,s\n1,0.5,9\n0,0.3\n", r"line 2.*3 fields but the header has 2"),
    "duplicate_columns": (b"y,s,s\n1,0.5,1\n0,0.3,2\n", r"line 1.*\['s'\].*more than once"),
    "overflow": (b"y,s\n1,1" + b"0" * 400 + b"\n0,0.3\n", r"line 2, column 's'.*float64 range"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_bad_csv_for_read_arrays(tmp_path, case):
    data, pattern = CSV_CASES[case]
    path = _write(tmp_path / f"{case}.csv", data)
    with pytest.raises(InputError, match=pattern) as caught:
        read_arrays(path)
    assert str(path) in str(caught.value)


def test_bom_nan_and_inf_are_read(tmp_path):
    path = _write(tmp_path / "bom.csv", b"\xef\xbb\xbfy,s\n1,nan\n0,inf\n1,-inf\n0,2.5\n")
    arrays = read_arrays(path)
    assert list(arrays) == ["y", "s"]
    np.testing.assert_array_equal(arrays["y"], [1, 0, 1, 0])
    assert np.isnan(arrays["s"][0]) and arrays["s"][1] == np.inf and arrays["s"][3] == 2.5


def test_truncated_gzip_and_npz(tmp_path):
    blob = gzip.compress(b"y,s\n" + b"1,0.5\n" * 5000)
    path = _write(tmp_path / "cut.csv.gz", blob[: len(blob) // 2])
    with pytest.raises(InputError, match=re.escape(str(path))):
        read_arrays(path)
    np.savez(tmp_path / "ok.npz", y=np.arange(100), s=np.arange(100.0))
    whole = (tmp_path / "ok.npz").read_bytes()
    cut = _write(tmp_path / "cut.npz", whole[: len(whole) // 2])
    with pytest.raises(InputError, match="npz"):
        read_arrays(cut)


def test_directory_and_symlink_loop(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="folder"):
        read_arrays(folder)
    loop = tmp_path / "loop.csv"
    os.symlink(loop, loop)
    with pytest.raises(InputError, match=r"loop\.csv.*symbolic link that does not resolve"):
        read_arrays(loop)
    with pytest.raises(InputError, match=r"loop\.csv"):
        read_table(loop, condition="c", seed="s", value="v")


def test_complex_npz_is_refused(tmp_path):
    np.savez(tmp_path / "c.npz", y=np.array([1, 0]), s=np.array([1 + 2j, 3]))
    with pytest.raises(InputError, match="'s' holds complex numbers"):
        read_arrays(tmp_path / "c.npz")


@given(data=st.binary(max_size=300))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_read_arrays_fuzz_never_raises_anything_but_input_error(tmp_path, data):
    path = _write(tmp_path / "fuzz.csv", data)
    try:
        read_arrays(path)
    except InputError:
        pass


@given(
    rows=st.lists(
        st.lists(
            st.sampled_from(["1", "0", "", "x", "1e400", "nan", "-3.5", '"a,b"', "ü"]),
            min_size=1,
            max_size=4,
        ),
        max_size=6,
    )
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_read_arrays_fuzz_tables(tmp_path, rows):
    text = "a,b,c\n" + "\n".join(",".join(row) for row in rows)
    path = _write(tmp_path / "fuzz_rows.csv", text.encode())
    try:
        arrays = read_arrays(path)
    except InputError:
        return
    assert set(arrays) == {"a", "b", "c"}


# ----------------------------------------------------------------------------------------------
# Numbers and nesting (issue 10, item 5), reproduced first with the real CLI
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("step", ["1e300", "9223372036854775808"])
def test_table_step_beyond_int64_is_an_input_error(tmp_path, step):
    path = _write(tmp_path / "t.csv", f"c,s,step,v\na,1,{step},0.5\nb,1,0,0.3\n".encode())
    with pytest.raises(InputError, match=r"line 2, column 'step'.*64-bit integer range"):
        read_table(path, condition="c", seed="s", step="step", value="v")


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (b"c,s,v,v\na,1,0.5,1\n", r"line 1.*\['v'\].*more than once"),
        (b"c,s,v\na,1,0.5\nb,1,\xff\n", r"line 3, column 'v'.*not UTF-8"),
        (b"c,s,v\na,1,0.5,3\nb,1,3\n", r"line 2.*4 fields but the header has 3"),
    ],
)
def test_table_bad_csv_names_the_line(tmp_path, data, pattern):
    path = _write(tmp_path / "t.csv", data)
    with pytest.raises(InputError, match=pattern):
        read_table(path, condition="c", seed="s", value="v")


def test_malformed_jsonl_table_names_the_line(tmp_path):
    path = _write(tmp_path / "t.jsonl", b'{"c": "a", "s": 1, "v": 0.5}\n{"c": "b", "s": \n[1]\n')
    with pytest.raises(InputError, match=r"t\.jsonl, line 2"):
        read_table(path, condition="c", seed="s", value="v")


def _campaign(root, lines: list[str], manifest: dict | None = None):
    run = root / "runs" / "a_s1"
    run.mkdir(parents=True)
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    if manifest is not None:
        import json

        (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ('{"step": 9223372036854775808, "correct_rate": 0.5}', r"line 1, column 'step'.*2\^63"),
        ('{"step": 1e300, "correct_rate": 0.5}', r"line 1, column 'step'.*2\^63"),
        ('{"step": 0, "correct_rate": 1' + "0" * 400 + "}", r"column 'correct_rate'.*float64"),
        ('{"step": 0, "x": ' + "[" * 100_000 + "]" * 100_000 + "}", r"line 1.*nested too deeply"),
    ],
)
def test_campaign_numbers_and_nesting(tmp_path, line, pattern):
    from measurand.io.campaign import read_campaign

    root = _campaign(tmp_path / "camp", [line, '{"step": 1, "correct_rate": 0.5}'])
    with pytest.raises(InputError, match=pattern):
        read_campaign(root)


def test_campaign_count_beyond_int64(tmp_path):
    from measurand.io.campaign import read_campaign

    root = _campaign(tmp_path / "camp", ['{"step": 0, "correct_rate": 0.5}'])
    steps = root / "runs" / "a_s1" / "emergence" / "steps.jsonl"
    steps.parent.mkdir()
    steps.write_text('{"step": 0, "correct_count": 9223372036854775808, "total_count": 1}\n')
    with pytest.raises(InputError, match=r"line 1, column 'correct_count'"):
        read_campaign(root)


def test_manifest_log_dir_is_resolved_against_the_manifest_and_kept_inside(tmp_path):
    from measurand.io.campaign import read_campaign

    elsewhere = tmp_path / "elsewhere" / "run"
    elsewhere.mkdir(parents=True)
    (elsewhere / "metrics.jsonl").write_text('{"step": 0, "correct_rate": 0.25}\n')
    root = tmp_path / "camp"
    root.mkdir()
    manifest = {"runs": [{"condition": "a", "seed": 1, "log_dir": "../elsewhere/run"}]}
    (root / "manifest.json").write_text(__import__("json").dumps(manifest))
    with pytest.raises(InputError, match=r"runs\[0\]\.log_dir.*outside the campaign folder"):
        read_campaign(root)
    data = read_campaign(root, allow_outside_log_dirs=True)
    assert data.frame["value"].to_list() == [0.25]
    # Relative to the manifest, not to the working directory: a log_dir inside is read.
    inside = root / "logs" / "r1"
    inside.mkdir(parents=True)
    (inside / "metrics.jsonl").write_text('{"step": 0, "correct_rate": 0.75}\n')
    manifest["runs"][0]["log_dir"] = "logs/r1"
    (root / "manifest.json").write_text(__import__("json").dumps(manifest))
    assert read_campaign(root).frame["value"].to_list() == [0.75]


def test_values_whose_squares_overflow_are_flagged_by_the_table_reader(tmp_path):
    # issue 10, item 6: near ±1e308 the statistics fail later; the reader says why up front.
    path = _write(tmp_path / "t.csv", b"c,s,v\na,1,1e308\na,2,-1e308\nb,1,0.5\nb,2,0.25\n")
    data = read_table(path, condition="c", seed="s", value="v")
    assert any("squares overflow float64" in w and "['v']" in w for w in data.warnings)
    small = _write(tmp_path / "s.csv", b"c,s,v\na,1,1e150\nb,1,0.5\n")
    assert not any(
        "overflow" in w for w in read_table(small, condition="c", seed="s", value="v").warnings
    )


def test_matrix_reader_refuses_overflowing_numbers_with_their_place(tmp_path):
    from measurand.io.matrix import read_matrix

    rows = b"model,t1,t2\nm1,0.5,0.25\nm2,1" + b"0" * 400 + b",0.5\nm3,0.1,0.2\n"
    path = _write(tmp_path / "m.csv", rows)
    with pytest.raises(InputError, match=r"line 3, column 't1'.*float64 range"):
        read_matrix(path, id_col="model")
    path = _write(tmp_path / "h.csv", b"model,t1,t2\nm1,0.5,0.25\nm2,1e300,0.5\nm3,0.1,0.2\n")
    with pytest.raises(InputError, match=r"line 3, column 't1'.*square"):
        read_matrix(path, id_col="model")


def test_wrong_delimiter_is_named(tmp_path):
    from measurand.io.matrix import read_matrix

    path = _write(tmp_path / "semi.csv", b"c;s;v\na;1;0.5\n")
    with pytest.raises(InputError, match="seems to use ';' as its delimiter"):
        read_arrays(path)
    with pytest.raises(InputError, match="seems to use ';' as its delimiter"):
        read_table(path, condition="c", seed="s", value="v")
    with pytest.raises(InputError, match="seems to use ';' as its delimiter"):
        read_matrix(path, id_col="c")


def test_truncated_gzip_table_says_so(tmp_path):
    blob = gzip.compress(b"c,s,v\n" + b"a,1,0.5\n" * 5000)
    path = _write(tmp_path / "cut.csv.gz", blob[: len(blob) // 2])
    with pytest.raises(InputError, match="gzip stream ends early"):
        read_table(path, condition="c", seed="s", value="v")


_CELLS = ["1", "0", "", "x", "1e400", "1e300", "nan", "-3.5", '"a,b"', "ü", "9223372036854775808"]


@given(
    header=st.sampled_from([b"c,s,v", b"c,s,v,v", b"\xef\xbb\xbfc,s,v", b"c;s;v", b""]),
    rows=st.lists(st.lists(st.sampled_from(_CELLS), min_size=1, max_size=4), max_size=6),
    tail=st.sampled_from([b"", b"\n", b"\xff", b"\n\n"]),
)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_table_and_matrix_readers_fuzz(tmp_path, header, rows, tail):
    from measurand.io.matrix import read_matrix

    body = "\n".join(",".join(row) for row in rows).encode()
    path = _write(tmp_path / "fuzz.csv", header + b"\n" + body + tail)
    for read in (
        lambda: read_table(path, condition="c", seed="s", value="v"),
        lambda: read_table(path, condition="c", seed="s", step="s", value="v"),
        lambda: read_matrix(path, id_col="c"),
        lambda: read_arrays(path),
    ):
        try:
            read()
        except InputError as exc:
            assert str(path) in str(exc)


_JSON_LINES = [
    '{"step": 0, "correct_rate": 0.5}',
    '{"step": 1, "correct_rate": NaN}',
    '{"step": 2, "correct_rate": "x"}',
    '{"step": 3.5, "correct_rate": 0.5}',
    '{"step": 18446744073709551616, "loss": 1}',
    '{"step": 4, "loss": 1' + "0" * 330 + "}",
    '{"step": 5, "x": ' + "[" * 3000 + "]" * 3000 + "}",
    "[1, 2]",
    '{"step": 6, "loss": ',
    "",
    "\udcff",
]


@given(lines=st.lists(st.sampled_from(_JSON_LINES), min_size=1, max_size=5))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_campaign_reader_fuzz(tmp_path, lines):
    import shutil

    from measurand.io.campaign import read_campaign

    root = tmp_path / "fuzzcamp"
    shutil.rmtree(root, ignore_errors=True)
    run = root / "runs" / "a_s1"
    run.mkdir(parents=True)
    (run / "metrics.jsonl").write_bytes("\n".join(lines).encode("utf-8", "surrogateescape"))
    try:
        read_campaign(root)
    except InputError as exc:
        assert "fuzzcamp" in str(exc)
