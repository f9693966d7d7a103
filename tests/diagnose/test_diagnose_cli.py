"""Tests of ``measurand diagnose`` and ``measurand demo`` through typer's CliRunner.

Bad input must exit with code 2, say what is wrong in one message, and leave no output folder
behind; a good run writes results.json, summary.md and report.html, and results.json carries the
documented keys with the same numbers the Python workflow returns.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from measurand.cli import app
from measurand.diagnose import diagnose

N = 240
ZH = "zH=drift_zH|last:4|mean|log10:1e-12"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    settled = rng.random(N) < 0.7
    correct = rng.random(N) < np.where(settled, 0.95, 0.3)
    floor = np.where(settled, 1e-6, 1e-2) * 10 ** rng.normal(0, 0.5, N)
    return {
        "exact_correct": correct.astype(np.int8),
        "other_correct": (correct ^ (rng.random(N) < 0.1)).astype(np.int8),
        "all_correct": np.ones(N, dtype=np.int8),
        "lyap_spec": np.round(rng.normal(np.where(settled, -0.05, 0.01)[:, None], 0.03, (N, 8)), 3),
        "drift_zH": floor[:, None] * 10 ** rng.normal(0, 0.1, (N, 16)),
        "drift_zL": floor[:, None] * 10 ** rng.normal(0.3, 0.2, (N, 16)),
        "short": np.ones(N - 3),
    }


@pytest.fixture
def npz(tmp_path, data):
    path = tmp_path / "run.npz"
    np.savez(path, **data)
    return path


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def good_args(npz, out):
    return [
        "diagnose",
        npz,
        "--label",
        "exact_correct",
        "--signal",
        ZH,
        "--signal",
        "lam1=lyap_spec[:, 0]",
        "--signal",
        "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12",
        "--paired-label",
        "other_correct",
        "--resamples",
        "300",
        "--out",
        out,
    ]


def test_good_run_writes_the_three_files(runner, npz, tmp_path, data):
    out = tmp_path / "report"
    result = run(runner, *good_args(npz, out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "summary.md"]
    assert "report written to" in result.output
    assert "zH *" in result.output  # the summary table marks the primary signal

    results = json.loads((out / "results.json").read_text())
    assert set(results) == {
        "label",
        "n_examples",
        "n_correct",
        "n_wrong",
        "accuracy",
        "primary",
        "signals",
        "auc",
        "medians",
        "cells",
        "robustness",
        "histogram",
        "paired",
        "settings",
        "warnings",
    }
    assert [s["name"] for s in results["signals"]] == [
        "zH",
        "lam1",
        "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12",
    ]
    assert results["settings"]["n_resamples"] == 300 and results["settings"]["seed"] == 0
    assert results["paired"]["paired_label"] == "other_correct"

    expected = diagnose(
        data,
        label="exact_correct",
        signals={
            "zH": ZH.split("=", 1)[1],
            "lam1": "lyap_spec[:, 0]",
            "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12": "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12",  # noqa: E501
        },
        paired_label="other_correct",
        n_resamples=300,
        seed=0,
    )
    assert results["auc"][0]["auc"] == pytest.approx(expected.auc[0].auc, abs=0)
    assert results["auc"][0]["bootstrap_ci"] == list(expected.auc[0].bootstrap_ci)
    assert results["cells"]["cells"]["B"]["count"] == expected.cells["B"].count

    summary = (out / "summary.md").read_text()
    for heading in (
        "## Headline",
        "## AUC",
        "## Median signal",
        "## Threshold and 2x2 cells",
        "## Robustness",
        "## Paired comparison",
        "## Settings",
    ):
        assert heading in summary
    html = (out / "report.html").read_text()
    assert html.count('class="plotly-graph-div"') == 2  # histogram and cells


def test_formats_and_threshold_options(runner, npz, tmp_path):
    out = tmp_path / "json-only"
    result = run(
        runner,
        "diagnose",
        npz,
        "-l",
        "exact_correct",
        "-s",
        ZH,
        "--threshold",
        "percentile:40",
        "--resamples",
        "100",
        "--format",
        "json",
        "--stratified",
        "--bootstrap-method",
        "bca",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["results.json"]
    results = json.loads((out / "results.json").read_text())
    assert results["cells"]["threshold_rule"] == "percentile:40"
    assert results["settings"]["stratified"] is True
    assert results["settings"]["bootstrap_method"] == "bca"
    fixed = tmp_path / "fixed"
    result = run(
        runner,
        "diagnose",
        npz,
        "-l",
        "exact_correct",
        "-s",
        ZH,
        "--threshold=-4",
        "--resamples",
        "50",
        "--format",
        "json",
        "--out",
        fixed,
    )
    assert result.exit_code == 0, result.output
    assert json.loads((fixed / "results.json").read_text())["cells"]["threshold"] == -4.0


def test_paired_label_from_another_file(runner, npz, tmp_path, data):
    other = tmp_path / "baseline.npz"
    np.savez(other, correct=data["other_correct"])
    out = tmp_path / "paired"
    result = run(
        runner,
        "diagnose",
        npz,
        "-l",
        "exact_correct",
        "-s",
        ZH,
        "--paired-label",
        f"{other}:correct",
        "--resamples",
        "100",
        "--format",
        "json",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    paired = json.loads((out / "results.json").read_text())["paired"]
    assert paired["paired_label"] == "baseline.npz:correct"
    assert paired["only_label"] + paired["only_paired"] == int(
        (data["exact_correct"] != data["other_correct"]).sum()
    )


def test_help_shows_an_example(runner):
    result = run(runner, "diagnose", "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    assert 'measurand diagnose "$(measurand datasets diagnose_example)"' in result.output
    assert "--label exact_correct" in result.output
    assert "last:k" in result.output


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["-l", "all_correct", "-s", ZH], ["has only correct examples", "check --label"]),
        (
            ["-l", "exact_correct", "-s", "lyap[:, 0]"],
            ["unknown array 'lyap'", "available arrays:", "drift_zH", "lyap_spec"],
        ),
        (
            ["-l", "exact_correct", "-s", "lyap_spec[:, 0]|last:4|mean"],
            ["'last:4' works on the step axis", "2-D array", "shape (240,)"],
        ),
        (
            ["-l", "exact_correct", "-s", "short"],
            ["'short' has 237 rows", "'exact_correct' has 240"],
        ),
        (["-l", "exact_correct", "-s", "lyap_spec[:, 0"], ["expected ',' or ']'", "position 14"]),
        (["-l", "nope", "-s", ZH], ["label array 'nope' not found"]),
        (["-l", "lyap_spec", "-s", ZH], ["must be one value per example"]),
        (["-l", "exact_correct", "-s", ZH, "--threshold", "middle"], ["threshold must be"]),
        (["-l", "exact_correct", "-s", ZH, "--nan", "keep"], ["--nan takes 'drop' or 'raise'"]),
        (["-l", "exact_correct", "-s", ZH, "--format", "pdf"], ["--format takes json, md, html"]),
        (
            ["-l", "exact_correct", "-s", ZH, "--paired-label", "missing"],
            ["--paired-label: array 'missing' not found"],
        ),
        (["-l", "exact_correct", "-s", ZH, "--primary", "zL"], ["primary signal 'zL'"]),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(
    runner, npz, tmp_path, args, fragments
):
    out = tmp_path / "out"
    result = run(runner, "diagnose", npz, *args, "--resamples", "50", "--out", out)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())  # undo the console's line wrapping
    for fragment in fragments:
        assert fragment in message
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())  # no staging debris


def test_nan_raise_and_drop(runner, tmp_path, data):
    broken = dict(data)
    lyap = data["lyap_spec"].copy()
    lyap[[4, 9], 0] = np.nan
    broken["lyap_spec"] = lyap
    path = tmp_path / "nan.npz"
    np.savez(path, **broken)
    out = tmp_path / "out"
    result = run(
        runner,
        "diagnose",
        path,
        "-l",
        "exact_correct",
        "-s",
        "lyap_spec[:, 0]",
        "--nan",
        "raise",
        "--out",
        out,
    )
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "2 non-finite value(s) (NaN/inf), the first at row 4" in message
    assert not out.exists()
    result = run(
        runner,
        "diagnose",
        path,
        "-l",
        "exact_correct",
        "-s",
        "lyap_spec[:, 0]",
        "--resamples",
        "50",
        "--format",
        "json",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "dropped 2 of 240" in " ".join(result.output.split())
    assert json.loads((out / "results.json").read_text())["signals"][0]["n_dropped"] == 2


def test_input_file_problems(runner, tmp_path):
    out = tmp_path / "out"
    result = run(runner, "diagnose", tmp_path / "missing.npz", "-l", "y", "-s", "x", "--out", out)
    assert result.exit_code == 2 and "file not found" in result.output
    weird = tmp_path / "run.xlsx"
    weird.write_text("x")
    result = run(runner, "diagnose", weird, "-l", "y", "-s", "x", "--out", out)
    assert result.exit_code == 2 and "unknown file type '.xlsx'" in result.output
    assert not out.exists()


def test_missing_required_options_exit_2(runner, npz, tmp_path):
    result = run(runner, "diagnose", npz, "-s", ZH, "--out", tmp_path / "o")
    assert result.exit_code == 2 and "--label" in result.output
    result = run(runner, "diagnose", npz, "-l", "exact_correct", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "--signal" in result.output


def test_existing_out_needs_force(runner, npz, tmp_path):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "summary.md").write_text("previous results")
    args = ["diagnose", npz, "-l", "exact_correct", "-s", ZH, "--resamples", "50", "--out", out]
    result = run(runner, *args)
    assert result.exit_code == 2
    assert "not empty; pass --force" in " ".join(result.output.split())
    assert (out / "summary.md").read_text() == "previous results"
    result = run(runner, *args, "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "summary.md"]


def test_a_failed_run_keeps_the_previous_report(runner, npz, tmp_path):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "results.json").write_text("{}")
    result = run(
        runner, "diagnose", npz, "-l", "exact_correct", "-s", "nope", "--force", "--out", out
    )
    assert result.exit_code == 2
    assert (out / "results.json").read_text() == "{}"


# ----------------------------------------------------------------------------------------------
# measurand demo
# ----------------------------------------------------------------------------------------------
def test_demo_writes_the_diagnose_report(runner, tmp_path):
    out = tmp_path / "demo"
    result = run(runner, "demo", "--out", out, "--resamples", "200")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "diagnose").iterdir()) == [
        "report.html",
        "results.json",
        "summary.md",
    ]
    assert (out / "README.md").exists()
    assert "diagnose/report.html" in " ".join(result.output.split())
    results = json.loads((out / "diagnose" / "results.json").read_text())
    assert results["n_examples"] == 2048 and results["primary"] == "zH"
    assert results["paired"]["paired_label"] == "baseline_correct"

    again = run(runner, "demo", "--out", out, "--resamples", "200")
    assert again.exit_code == 2
    assert "pass --force" in " ".join(again.output.split())
    forced = run(runner, "demo", "--out", out, "--resamples", "200", "--force")
    assert forced.exit_code == 0, forced.output


def test_demo_default_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(runner, "demo", "--resamples", "50")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "measurand-demo" / "diagnose" / "summary.md").exists()


def test_example_data_is_small_and_shaped_like_the_spec():
    from importlib import resources

    from measurand.datasets import diagnose_example

    resource = resources.files("measurand").joinpath("data", "diagnose_example.npz")
    with resources.as_file(resource) as path:
        assert path.stat().st_size < 1_000_000
    arrays = diagnose_example()
    assert arrays["exact_correct"].shape == (2048,)
    assert arrays["lyap_spec"].shape == (2048, 8) and arrays["lyap_spec"].dtype == np.float32
    assert arrays["drift_zH"].shape == arrays["drift_zL"].shape == (2048, 16)
    lam1 = arrays["lyap_spec"][:, 0]
    assert np.unique(lam1).size < lam1.size  # rounded to 3 decimals: ties
    assert np.allclose(lam1, np.round(lam1, 3), atol=1e-6)


def test_a_signal_name_does_not_change_its_intervals(runner, npz, tmp_path):
    # issue 8: `-s '-x'` and `-s neg=-x` gave different bootstrap CIs (name-keyed streams)
    outputs = []
    for spec, out in (("-lyap_spec[:, 0]", "anon"), ("neg=-lyap_spec[:, 0]", "named")):
        args = ["diagnose", npz, "-l", "exact_correct", "-s", spec, "--resamples", 300]
        result = run(runner, *args, "--out", tmp_path / out)
        assert result.exit_code == 0, result.output
        outputs.append(json.loads((tmp_path / out / "results.json").read_text()))
    anon, named = outputs
    assert named["auc"][0]["signal"] == "neg" and anon["auc"][0]["signal"] != "neg"
    assert anon["auc"][0]["bootstrap_ci"] == named["auc"][0]["bootstrap_ci"]
    assert anon["medians"][0]["wrong"] == named["medians"][0]["wrong"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"y,s\n1,0.5\n0,abc\n1,0.7\n", "line 3, column 's'"),
        (b"y,s\n", "no data rows"),
        (b"y,s,s\n1,0.5,1\n0,0.3,2\n", "more than once"),
        (b"y,s\n1,1" + b"0" * 400 + b"\n0,0.3\n", "float64 range"),
    ],
)
def test_bad_csv_inputs_exit_2_naming_the_place(runner, tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    result = run(runner, "diagnose", path, "-l", "y", "-s", "s", "--out", tmp_path / "o")
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_deeply_nested_spec_exits_2(runner, npz, tmp_path):
    spec = "norm(" * 500 + "lyap_spec[:, 0]" + ")" * 500
    result = run(runner, "diagnose", npz, "-l", "exact_correct", "-s", spec, "-o", tmp_path / "o")
    assert result.exit_code == 2 and "nest more than 32 levels" in result.output
