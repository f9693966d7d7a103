"""Tests for ``measurand factors`` (the command line): outputs, exit codes and error messages.

Reference: the same analysis through the Python API (``read_matrix`` + ``run_factors``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import measurand.cli.factors  # noqa: F401  (registers the command until cli/__init__ lists it)
from measurand.cli._app import app
from measurand.factors.workflow import run_factors
from measurand.io.matrix import read_matrix
from measurand.io.pool import load_item_pool

runner = CliRunner()


def write_sweep(path: Path, n: int = 80, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    header = ["run_name", "status", "lm_eval/a/bpb", "lm_eval/b/bpb", "mcq/c/bpb", "mcq/d/bpb"]
    header += ["eval/bpb", "eval/paloma/macro_loss"]
    rows = []
    for i in range(n):
        bpb = 1.0 - 0.1 * theta[i] * np.array([0.9, 0.8, 0.7, 0.85]) + 0.03 * rng.standard_normal(4)
        status = "completed" if i % 10 else "failed"
        paloma = round(float(3 - theta[i] + rng.normal()), 6)
        rows.append([f"run{i}", status, *np.round(bpb, 6), round(float(bpb.mean()), 6), paloma])
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


BASE = [
    "--id-col",
    "run_name",
    "--where",
    'status == "completed"',
    "--include",
    "*/bpb",
    "--exclude",
    "eval/*",
    "--lower-is-better",
    "*/bpb",
    "--heldout",
    "eval/paloma/macro_loss",
]


def invoke(*args: str):
    return runner.invoke(app, ["factors", *map(str, args)], catch_exceptions=False)


def test_writes_the_report_and_matches_the_api(tmp_path):
    data = write_sweep(tmp_path / "sweep.csv")
    out = tmp_path / "report"
    pool = tmp_path / "pool.npz"
    result = invoke(data, *BASE, "--resamples", "200", "--out", out, "--export-pool", pool)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "summary.md"]
    written = json.loads((out / "results.json").read_text())
    assert written["data"]["tasks"] == ["lm_eval/a/bpb", "lm_eval/b/bpb", "mcq/c/bpb", "mcq/d/bpb"]
    assert written["data"]["n_rows_used"] == 72  # 8 'failed' rows filtered out
    assert written["data"]["directions"]["lm_eval/a/bpb"] == -1
    matrix = read_matrix(
        data,
        id_col="run_name",
        row_filter='status == "completed"',
        include="*/bpb",
        exclude="eval/*",
        lower_is_better="*/bpb",
        heldout="eval/paloma/macro_loss",
    )
    api = run_factors(matrix, n_resamples=200, seed=0)
    assert written["leaderboard"]["rows"][0]["name"] == api.leaderboard.rows[0].name
    assert written["n_factors"] == api.n_factors == 1
    np.testing.assert_allclose(
        [t["loadings"] for t in written["model"]["tasks"]], api.model.loadings, atol=1e-12
    )
    assert "leaderboard" in result.output and "report written to" in result.output
    loaded = load_item_pool(pool)
    assert loaded.item_names == tuple(written["data"]["tasks"])


def test_formats_and_options(tmp_path):
    data = write_sweep(tmp_path / "sweep.csv")
    out = tmp_path / "md"
    result = invoke(
        data, *BASE, "--factors", "1", "--method", "ml", "--rotation", "none",
        "--resamples", "20", "--format", "md", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["summary.md"]
    assert "maximum-likelihood EFA" in (out / "summary.md").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--factors", "two"], "--factors takes a positive integer"),
        (["--factors", "4"], "identify at most"),
        (["--method", "pca"], "--method takes one of"),
        (["--missing", "impute"], "--missing takes one of"),
        (["--include", "nothing/*"], "include 'nothing/*' matched 0 column(s)"),
        (["--where", "state == done"], "unknown column"),
        (["--confidence", "1.5"], "--confidence"),
    ],
)
def test_bad_options_exit_2(tmp_path, extra, message):
    data = write_sweep(tmp_path / "sweep.csv")
    args = [data, *BASE, "--resamples", "10", "--out", tmp_path / "o", *extra]
    if extra[0] == "--include":
        args = [data, "--id-col", "run_name", *extra, "--out", tmp_path / "o"]
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_bad_files_exit_2_with_clear_messages(tmp_path):
    data = write_sweep(tmp_path / "sweep.csv")
    rows = list(csv.reader(open(data)))
    # a non-numeric cell
    bad = [r.copy() for r in rows]
    bad[5][3] = "oops"
    path = tmp_path / "bad.csv"
    csv.writer(open(path, "w", newline="")).writerows(bad)
    result = invoke(path, *BASE, "--out", tmp_path / "o1")
    assert result.exit_code == 2 and "non-numeric value 'oops'" in result.output
    assert "line 6" in result.output
    # a duplicated id
    dup = [r.copy() for r in rows]
    dup[7][0] = dup[3][0]
    path = tmp_path / "dup.csv"
    csv.writer(open(path, "w", newline="")).writerows(dup)
    result = invoke(path, *BASE, "--out", tmp_path / "o2")
    assert result.exit_code == 2 and "duplicate id 'run2'" in result.output
    # a duplicated column: singular correlation matrix
    twin = [[*r, r[2]] for r in rows]
    twin[0][-1] = "lm_eval/twin/bpb"
    path = tmp_path / "twin.csv"
    csv.writer(open(path, "w", newline="")).writerows(twin)
    result = invoke(path, *BASE, "--out", tmp_path / "o3")
    assert result.exit_code == 2
    assert "'lm_eval/a/bpb' = 'lm_eval/twin/bpb'" in " ".join(result.output.split())
    # fewer rows than factors
    few = rows[:3]
    path = tmp_path / "few.csv"
    csv.writer(open(path, "w", newline="")).writerows(few)
    result = invoke(path, "--id-col", "run_name", "--include", "*/bpb", "--factors", "2",
                    "--out", tmp_path / "o4")  # fmt: skip
    assert result.exit_code == 2 and "rows" in result.output
    # missing cells without a policy
    gap = [r.copy() for r in rows]
    gap[4][2] = ""
    path = tmp_path / "gap.csv"
    csv.writer(open(path, "w", newline="")).writerows(gap)
    result = invoke(path, *BASE, "--out", tmp_path / "o5")
    assert result.exit_code == 2 and "--missing drop-rows" in " ".join(result.output.split())


def test_refuses_a_non_empty_out_without_force(tmp_path):
    data = write_sweep(tmp_path / "sweep.csv")
    out = tmp_path / "report"
    out.mkdir()
    (out / "old.pdf").write_text("x")
    result = invoke(data, *BASE, "--resamples", "10", "--out", out)
    assert result.exit_code == 2 and "not empty" in result.output
    result = invoke(data, *BASE, "--resamples", "10", "--out", out, "--force")
    assert result.exit_code == 0
    assert not (out / "old.pdf").exists()
