"""A bad-input corpus run against every verb (issue 9, "make the class impossible").

Each case damages the input file of a verb and runs the CLI with ``--out``. A case that must be
refused asserts: exit code 2, a message naming the file, no traceback, no output folder and no
staging debris left. A case marked ``either`` (a BOM, NaN/inf, a truncated last JSONL line) may
also succeed, but never with a traceback or an exit code other than 0 or 2.

Cases that fail today because of a reader defect are strict xfails listed in
:data:`KNOWN_READER_DEFECTS` (the readers in ``io/`` belong to the diagnose helper's issue 10
items 5-8); each turns into a failure once fixed, so that it is removed from the list.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from measurand.cli import app

rng = np.random.default_rng(0)


def _csv(header: list[str], rows: list[list[object]]) -> str:
    return "\n".join([",".join(header), *(",".join(str(v) for v in r) for r in rows)]) + "\n"


# A valid input per verb: (header, rows, arguments after the input path).
def _diagnose() -> tuple[list[str], list[list[object]], list[str]]:
    correct = rng.integers(0, 2, 80)
    rows = [[int(c), round(float(c + rng.normal()), 4)] for c in correct]
    return ["correct", "score"], rows, ["-l", "correct", "-s", "score", "--resamples", "20"]


def _compare() -> tuple[list[str], list[list[object]], list[str]]:
    rows = [
        [cond, seed, step, round(float(lift + rng.normal()), 4)]
        for cond, lift in (("a", 0.0), ("b", 1.0))
        for seed in range(3)
        for step in range(4)
    ]
    args = ["--condition-col", "cond", "--seed-col", "seed", "--step-col", "step"]
    args += ["--value-col", "acc", "--resamples", "50", "--permutations", "50"]
    return ["cond", "seed", "step", "acc"], rows, args


def _matrix() -> tuple[list[str], list[list[object]]]:
    theta = rng.normal(size=(30, 1))
    values = theta @ np.ones((1, 4)) + 0.5 * rng.normal(size=(30, 4))
    return ["run", "t1", "t2", "t3", "t4"], [
        [f"r{i}", *np.round(v, 4)] for i, v in enumerate(values)
    ]


def _factors() -> tuple[list[str], list[list[object]], list[str]]:
    header, rows = _matrix()
    return header, rows, ["--id-col", "run", "--resamples", "10"]


def _noise() -> tuple[list[str], list[list[object]], list[str]]:
    header, rows = _matrix()
    return header, rows, ["--id-col", "run", "--draws", "100", "--pa-iter", "10"]


VERBS: dict[str, Callable[[], tuple[list[str], list[list[object]], list[str]]]] = {
    "diagnose": _diagnose,
    "compare": _compare,
    "factors": _factors,
    "noise": _noise,
}

# name -> (how to make the bad file from the valid (header, rows), suffix, expectation)
# The maker writes the file at the given path (or makes a folder/link there).


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _text(header: list[str], rows: list[list[object]]) -> bytes:
    return _csv(header, rows).encode()


def _jsonl(header: list[str], rows: list[list[object]]) -> str:
    import json

    return "\n".join(json.dumps(dict(zip(header, r, strict=True))) for r in rows) + "\n"


CASES: dict[str, tuple[Callable[[Path, list[str], list[list[object]]], None], str, str]] = {
    "empty": (lambda p, h, r: _write(p, b""), ".csv", "error"),
    "header_only": (lambda p, h, r: _write(p, (",".join(h) + "\n").encode()), ".csv", "error"),
    "bom": (lambda p, h, r: _write(p, b"\xef\xbb\xbf" + _text(h, r)), ".csv", "either"),
    "non_utf8": (
        lambda p, h, r: _write(p, _text(h, r).replace(b"\n", b"\xff\xfe\n", 3)),
        ".csv",
        "error",
    ),
    "wrong_delimiter": (
        lambda p, h, r: _write(p, _text(h, r).replace(b",", b";")),
        ".csv",
        "error",
    ),
    "nan_inf": (
        lambda p, h, r: _write(
            p, _text(h, [[*x[:-1], ("nan", "inf")[i % 2]] for i, x in enumerate(r)])
        ),
        ".csv",
        "either",
    ),
    "string_in_numeric": (
        lambda p, h, r: _write(p, _text(h, [[*r[0][:-1], "abc"], *r[1:]])),
        ".csv",
        "error",
    ),
    "duplicate_columns": (
        lambda p, h, r: _write(p, _text([*h, h[-1]], [[*x, x[-1]] for x in r])),
        ".csv",
        "error",
    ),
    "truncated_gzip": (
        lambda p, h, r: _write(p, gzip.compress(_text(h, r))[:60]),
        ".csv.gz",
        "error",
    ),
    "truncated_jsonl": (
        lambda p, h, r: _write(p, (_jsonl(h, r) + '{"' + h[0] + '": "a", "').encode()),
        ".jsonl",
        "either",
    ),
    "directory": (lambda p, h, r: p.mkdir(), ".csv", "error"),
    "symlink_loop": (lambda p, h, r: os.symlink(p.name, p), ".csv", "error"),
    "missing": (lambda p, h, r: None, ".csv", "error"),
}

# (verb, case) -> why it fails today. Fixing the reader makes the case pass and this entry fail.
_NO_FILE = "diagnose's message does not name the file (issue 10 item 8, diagnose helper)"
_DUPLICATES = (
    "duplicate column names are renamed and the first used silently (issue 10 item 7, "
    "io readers, diagnose helper)"
)
KNOWN_READER_DEFECTS: dict[tuple[str, str], str] = {}


def _params():
    for verb in VERBS:
        for case in CASES:
            marks = []
            if (verb, case) in KNOWN_READER_DEFECTS:
                marks.append(
                    pytest.mark.xfail(strict=True, reason=KNOWN_READER_DEFECTS[verb, case])
                )
            yield pytest.param(verb, case, id=f"{verb}-{case}", marks=marks)


def run_case(tmp_path: Path, verb: str, case: str):
    header, rows, args = VERBS[verb]()
    make, suffix, expect = CASES[case]
    bad = tmp_path / f"input{suffix}"
    make(bad, header, rows)
    inputs = [bad]
    if verb == "noise":  # SWEEP is damaged; NOISE is a valid matrix
        good = tmp_path / "noise.csv"
        good.write_bytes(_text(header, rows[:8]))
        inputs.append(good)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [verb, *map(str, inputs), *args, "--out", str(out)])
    return result, bad, out, expect


@pytest.mark.parametrize(("verb", "case"), list(_params()))
def test_bad_input(tmp_path: Path, verb: str, case: str) -> None:
    result, bad, out, expect = run_case(tmp_path, verb, case)
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    allowed = {2} if expect == "error" else {0, 2}
    assert result.exit_code in allowed, f"exit {result.exit_code}: {output}"
    if result.exit_code == 2:
        assert bad.name in " ".join(output.split()), output  # the message names the file
        assert not out.exists()
        assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())
    else:
        assert (out / "summary.md").exists()
