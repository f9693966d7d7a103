"""User strings (condition, column, signal and file names) cannot inject HTML into summary.md or
report.html, nor break a Markdown table, whichever verb prints them (issue 9)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from measurand.cli import app

EVIL = "<script>alert(1)</script>**b**|c"
IMG = "<img src=x onerror=alert(2)>"
NEWLINE = "two\nlines"


def invoke(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def outside_code(markdown: str) -> str:
    return re.sub(r"(`+)(?:(?!\1).)+?\1(?!`)", "", markdown, flags=re.DOTALL)


def check_report(out: Path) -> None:
    markdown = (out / "summary.md").read_text()
    prose = outside_code(markdown)
    for tag in ("<script", "<img", "</script"):
        assert tag not in prose, tag
    # Every table row has as many cells as its header: no name split a row.
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|")):
            width = len(re.findall(r"(?<!\\)\|", line))
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                assert len(re.findall(r"(?<!\\)\|", lines[j])) == width, lines[j]
                j += 1
    page = (out / "report.html").read_text()
    body = page.split("<body>", 1)[1]
    assert "<script>alert(1)" not in body and "<img src=x" not in body


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_compare_condition_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for cond, lift in ((EVIL, 0.0), (IMG, 0.5), (NEWLINE, 1.0)):
        for seed in range(4):
            for step in range(5):
                rows.append([cond, seed, step, lift + rng.normal()])
    table = write_csv(tmp_path / f"runs {IMG[:4]}.csv", ["cond", "seed", "step", "acc"], rows)
    out = tmp_path / "out"
    invoke(
        "compare", table, "--condition-col", "cond", "--seed-col", "seed", "--step-col", "step",
        "--value-col", "acc", "--baseline", EVIL, "--candidate", IMG, "--resamples", "200",
        "--permutations", "200", "--out", out,
    )  # fmt: skip
    check_report(out)
    out2 = tmp_path / "pairs"
    invoke(
        "compare", table, "--condition-col", "cond", "--seed-col", "seed", "--step-col", "step",
        "--value-col", "acc", "--all-pairs", "--resamples", "200", "--permutations", "200",
        "--out", out2,
    )  # fmt: skip
    check_report(out2)


def test_factors_column_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    theta = rng.normal(size=(60, 1))
    values = theta @ rng.uniform(0.5, 1.0, size=(1, 5)) + 0.5 * rng.normal(size=(60, 5))
    header = ["run", EVIL, IMG, NEWLINE, "plain", "t|x"]
    rows = [[f"r{i}", *row] for i, row in enumerate(values.tolist())]
    data = write_csv(tmp_path / "sweep.csv", header, rows)
    out = tmp_path / "out"
    invoke("factors", data, "--id-col", "run", "--resamples", "20", "--out", out)
    check_report(out)


def test_noise_column_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    header = ["run", EVIL, IMG, NEWLINE, "plain"]
    sweep = rng.normal(size=(40, 4)) + rng.normal(size=(40, 1))
    noise = 0.3 * rng.normal(size=(8, 4))
    a = write_csv(tmp_path / "sweep.csv", header, [[f"s{i}", *r] for i, r in enumerate(sweep)])
    b = write_csv(tmp_path / "noise.csv", header, [[f"n{i}", *r] for i, r in enumerate(noise)])
    out = tmp_path / "out"
    invoke("noise", a, b, "--id-col", "run", "--draws", "100", "--pa-iter", "20", "--out", out)
    check_report(out)


@pytest.mark.parametrize("name", [EVIL, IMG, NEWLINE])
def test_diagnose_label_and_file_names(tmp_path: Path, name: str) -> None:
    # Signal names are identifiers (the spec parser refuses the rest); array and file names
    # are not.
    rng = np.random.default_rng(3)
    correct = rng.integers(0, 2, 300).astype(np.int8)
    score = correct + rng.normal(size=300)
    path = tmp_path / f"run {IMG[:4]}.npz"
    np.savez(path, **{name: correct, "score": score})
    out = tmp_path / "out"
    invoke("diagnose", path, "-l", name, "-s", "score", "--resamples", "50", "--out", out)
    check_report(out)
