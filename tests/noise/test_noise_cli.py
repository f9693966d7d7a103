"""``measurand noise`` end to end (typer's CliRunner): files written, exit codes, the report.

References: results.json is compared with ``run_noise`` called directly on the same files (whose
numbers are checked in test_noise_workflow.py / test_floors.py), and the seeds mode with
``seed_split`` on the embedded Dopamine subset.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import measurand.cli.noise  # noqa: F401  (registers the verb until the lead lists it)
from measurand.cli import app
from measurand.io import read_table
from measurand.noise import read_noise_inputs, run_noise, seed_split
from measurand.report.noise import noise_report


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("noise")
    rng = np.random.default_rng(0)
    p = 8
    lam = np.zeros((p, 2))
    lam[:4, 0] = np.linspace(0.6, 1.0, 4)
    lam[4:, 1] = np.linspace(0.5, 0.9, 4)
    sigma = np.linspace(0.2, 0.8, p)
    sweep = 5 + rng.standard_normal((120, 2)) @ lam.T + rng.standard_normal((120, p)) * sigma
    noise = 5 + rng.standard_normal(2) @ lam.T + rng.standard_normal((10, p)) * sigma
    names = [f"eval/t{j}" for j in range(p)]
    names[0] = "eval/t0_bpb"
    sweep[:, 0] *= -1
    noise[:, 0] *= -1

    def write(name: str, ids, columns, values) -> Path:
        path = root / name
        pl.DataFrame({"run": ids, **{c: values[:, j] for j, c in enumerate(columns)}}).write_csv(
            path
        )
        return path

    runs = [f"r{i}" for i in range(120)]
    reruns = [f"s{i}" for i in range(10)]
    constant = sweep.copy()
    constant[:, 3] = 1.0
    target = sweep + rng.normal(size=sweep.shape) * 0.2
    return {
        "sweep": write("sweep.csv", runs, names, sweep),
        "noise": write("noise.csv", reruns, names[:-1], noise[:, :-1]),
        "noise1": write("noise1.csv", reruns[:1], names, noise[:1]),
        "other": write("other.csv", reruns, ["x", "y"], noise[:, :2]),
        "constant": write("constant.csv", runs, names, constant),
        "target": write("target.csv", runs, names, target),
    }


def test_help_shows_examples() -> None:
    result = invoke("noise", "--help")
    assert result.exit_code == 0
    assert 'measurand noise --table "$(measurand datasets dopamine_subset)"' in result.output
    assert "--table" in result.output


def test_matrices_end_to_end(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = [
        "noise", files["sweep"], files["noise"], "--id-col", "run", "--include", "eval/*",
        "--lower-is-better", "*bpb", "--missing", "zero", "--factors", "2", "--draws", "300",
        "--target", files["target"], "--out", out, "--seed", "4",
    ]  # fmt: skip
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "summary.md"]
    data = json.loads((out / "results.json").read_text())
    assert set(data) == {"settings", "matrix", "seeds", "warnings"}
    sweep, noise, target = read_noise_inputs(
        files["sweep"],
        files["noise"],
        id_col="run",
        include=["eval/*"],
        lower_is_better=["*bpb"],
        target_path=files["target"],
    )
    direct = run_noise(
        sweep, noise, target=target, n_factors=2, missing="zero", n_draws=300, seed=4
    ).to_dict()
    assert data["matrix"]["floors"] == direct["matrix"]["floors"]
    assert data["matrix"]["projection"]["snr"] == direct["matrix"]["projection"]["snr"]
    assert data["matrix"]["missing_from_noise"] == ["eval/t7"]
    assert data["matrix"]["missing"] == "zero"
    assert data["matrix"]["decision"]["accuracy"][0] > 0.5
    summary = (out / "summary.md").read_text()
    assert "Choice: **zero**" in summary and "lower bound" in summary
    assert "## SNR per factor and for the aggregate" in summary
    html = (out / "report.html").read_text()
    assert '"type":"log"' in html and "Fitted h² against the noise ceiling" in html
    # The output folder is not overwritten without --force.
    again = invoke(*args)
    assert again.exit_code == 2 and "not empty" in again.output


def test_table_mode_on_the_dopamine_subset(tmp_path: Path) -> None:
    with resources.as_file(
        resources.files("measurand").joinpath("data", "dopamine_subset.csv.gz")
    ) as path:
        out = tmp_path / "atari"
        result = invoke(
            "noise", "--table", path, "--condition-col", "agent", "--seed-col", "run",
            "--task-col", "game", "--step-col", "iteration", "--value-col", "value",
            "--window", "last:10", "--out", out,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        data = read_table(
            Path(path), condition="agent", seed="run", task="game", step="iteration", value="value"
        )
    written = json.loads((out / "results.json").read_text())
    direct = seed_split(data, window="last:10")
    assert written["matrix"] is None
    assert written["seeds"]["tasks"] == list(direct.tasks)
    np.testing.assert_allclose(written["seeds"]["snr"], direct.snr)
    assert "Seed noise against the spread across conditions" in (out / "summary.md").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["noise1"], "at least 2"),
        (["other"], "share no metric"),
    ],
)
def test_bad_noise_matrices_exit_2(files: dict[str, Path], extra, message: str) -> None:
    result = invoke("noise", files["sweep"], files[extra[0]], "--id-col", "run")
    assert result.exit_code == 2
    assert message in result.output


def test_constant_sweep_metric_exits_2(files: dict[str, Path]) -> None:
    result = invoke("noise", files["constant"], files["noise"], "--id-col", "run")
    assert result.exit_code == 2
    assert "constant in the sweep" in result.output and "eval/t3" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--missing", "impute"], "--missing"),
        (["--format", "pdf"], "--format"),
        (["--force"], "--force needs --out"),
    ],
)
def test_bad_options_exit_2(files: dict[str, Path], args, message: str) -> None:
    result = invoke("noise", files["sweep"], files["noise"], "--id-col", "run", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_usage_errors_exit_2(files: dict[str, Path]) -> None:
    no_id = invoke("noise", files["sweep"], files["noise"])
    assert no_id.exit_code == 2 and "--id-col" in no_id.output
    only_sweep = invoke("noise", files["sweep"], "--id-col", "run")
    assert only_sweep.exit_code == 2 and "both SWEEP and NOISE" in only_sweep.output
    table = invoke("noise", "--table", files["sweep"], "--condition-col", "run")
    assert table.exit_code == 2 and "--seed-col" in table.output
    assert "Its columns: run, eval/t0_bpb, eval/t1" in " ".join(table.output.split())


def test_report_without_figures_in_markdown(files: dict[str, Path]) -> None:
    sweep, noise, _ = read_noise_inputs(files["sweep"], files["noise"], id_col="run")
    result = run_noise(sweep, noise, n_factors=2, n_draws=200)
    report = noise_report(result)
    titles = [s.title for s in report.sections]
    assert titles[:4] == [
        "Headline",
        "Per-task noise floors (ranked by SNR)",
        "Noise-anchored factor model: fitted h² against the ceiling",
        "SNR per factor and for the aggregate",
    ]
    assert sum(len(s.figures) for s in report.sections) == 3
    # With rerun sd up to 0.8 against loadings of at most 0.9, some task is mostly noise; each
    # one the workflow flags is flagged in a row of the report's tables.
    low = result.matrix.low_snr_tasks
    assert low
    flagged_rows = [
        line
        for line in report.to_markdown().splitlines()
        if line.startswith("| ") and "**low SNR**" in line
    ]
    assert {t for t in low if any(f"`{t}`" in row for row in flagged_rows)} == set(low)
