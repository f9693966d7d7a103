"""``measurand factors --correlation --n-obs``: a published matrix (Harman23.cor) end to end,
checked against psych's ML fit stored in tests/reference/factor_reference.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import measurand.cli.factors  # noqa: F401  (registers the command)
from measurand.cli._app import app

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "factor_reference.json"
runner = CliRunner()


def _harman_csv(path: Path) -> tuple[Path, dict]:
    ref = json.loads(REFERENCE.read_text())["harman23"]
    names = ref["names"]
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["variable", *names])
        for name, row in zip(names, ref["correlation"], strict=True):
            writer.writerow([name, *(repr(v) for v in row)])
    return path, ref


def test_correlation_matrix_cli_matches_psych(tmp_path):
    path, ref = _harman_csv(tmp_path / "harman.csv")
    out = tmp_path / "out"
    args = ["factors", str(path), "--correlation", "--n-obs", "305", "--method", "ml"]
    result = runner.invoke(app, [*args, "-k", "2", "--rotation", "oblimin", "-o", str(out)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    expected = ref["fa"]["ml_oblimin"]
    stats = results["model"]["fit_stats"]
    np.testing.assert_allclose(stats["chi2"], expected["STATISTIC"], rtol=2e-4)
    np.testing.assert_allclose(stats["rmsea"], expected["RMSEA"][0], rtol=2e-4)
    loadings = np.array([t["loadings"] for t in results["model"]["tasks"]])
    np.testing.assert_allclose(loadings, expected["loadings"], atol=2e-4)
    assert results["parallel_analysis"]["n_obs"] == 305
    summary = (out / "summary.md").read_text()
    assert "## Leaderboard" not in summary and "fits poorly" in summary


def test_correlation_needs_n_obs_and_a_square_matrix(tmp_path):
    path, _ = _harman_csv(tmp_path / "harman.csv")
    result = runner.invoke(app, ["factors", str(path), "--correlation", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--n-obs" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("variable,a,b\na,1,0.5\nb,0.4,1\n")
    args = ["factors", str(bad), "--correlation", "--n-obs", "50", "-o", str(tmp_path / "o2")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "symmetric" in result.output
    assert not (tmp_path / "o2").exists()
