"""The factors workflow flags misfit (issue 9.2), keeps the missing-cells error short (9.12)
and runs wide matrices without forming p x p (10)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from measurand.errors import InputError
from measurand.factors.workflow import run_factors
from measurand.io.matrix import read_matrix
from measurand.latent._ml import fit_quality
from measurand.report.factors import factors_report


def _write(path: Path, x: np.ndarray, blank: list[tuple[int, int]] = ()) -> Path:
    header = ["run", *[f"task{j:05d}" for j in range(x.shape[1])]]
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, row in enumerate(x):
            cells = [f"{v:.9g}" for v in row]
            for r, c in blank:
                if r == i:
                    cells[c] = ""
            writer.writerow([f"run{i:03d}", *cells])
    return path


@pytest.mark.parametrize(
    ("stats", "label"),
    [
        ({"rmsea": 0.461, "tli": 0.635}, "poor"),
        ({"rmsea": 0.08, "tli": 0.97}, "mediocre"),
        ({"rmsea": 0.04, "tli": 0.93}, "mediocre"),
        ({"rmsea": 0.04, "tli": 0.97}, "good"),
        ({"rmsea": 0.12, "tli": 0.99}, "poor"),
        ({"rmsea": float("nan"), "tli": float("nan")}, None),
    ],
)
def test_fit_quality_cutoffs(stats, label):
    assert fit_quality(stats)[0] == label


def test_two_factor_data_fitted_with_one_factor_is_flagged(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    loadings = np.zeros((8, 2))
    loadings[:4, 0] = 0.8
    loadings[4:, 1] = 0.8
    x = rng.standard_normal((n, 2)) @ loadings.T + 0.6 * rng.standard_normal((n, 8))
    matrix = read_matrix(_write(tmp_path / "m.csv", x), id_col="run")
    result = run_factors(matrix, n_factors=1, n_resamples=0, pa_iter=50)
    assert result.model.fit_quality == "poor"
    assert result.model.fit_stats["rmsea"] > 0.10
    assert any("fits poorly" in w and "Hu & Bentler" in w for w in result.warnings)
    headline = factors_report(result).to_markdown().split("## Data")[0]
    assert "fits poorly" in headline and "Browne & Cudeck 1993" in headline
    good = run_factors(matrix, n_factors=2, n_resamples=0, pa_iter=50)
    assert good.model.fit_quality == "good"
    assert not any("fits poorly" in w for w in good.warnings)


def test_missing_cells_error_is_short_on_a_wide_file(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((30, 240))
    blank = [(i % 30, j) for i, j in enumerate(range(0, 240, 2))]
    matrix = read_matrix(_write(tmp_path / "w.csv", x, blank), id_col="run")
    with pytest.raises(InputError) as info:
        run_factors(matrix, n_resamples=0, pa_iter=20)
    message = str(info.value)
    assert len(message) < 900
    assert "120 missing cell(s)" in message and "120 column(s)" in message
    assert "and 115 more column(s)" in message and "--missing drop-rows" in message


def test_wide_matrix_runs_without_a_p_by_p_matrix(tmp_path):
    rng = np.random.default_rng(2)
    n, p = 30, 2400
    x = rng.standard_normal((n, 2)) @ np.abs(rng.normal(0.6, 0.2, (2, p))) + rng.standard_normal(
        (n, p)
    )
    matrix = read_matrix(_write(tmp_path / "wide.csv", x), id_col="run")
    result = run_factors(matrix, n_resamples=50, pa_iter=20, seed=0)
    assert result.model.loadings.shape[1] == result.n_factors >= 1
    assert result.leaderboard.refit is False and result.leaderboard.n_valid == 50
    assert any("more tasks than rows" in w for w in result.warnings)
    assert np.isnan(result.model.fit_stats["rmsea"])


def test_values_near_the_float_limit_are_named_not_called_missing(tmp_path):
    from typer.testing import CliRunner

    import measurand.cli.factors
    import measurand.cli.noise  # noqa: F401
    from measurand.cli._app import app

    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 6))
    x[:, 2] *= 1e307
    x[:, 4] = 1.7e308 - np.abs(x[:, 4]) * 1e300
    path = _write(tmp_path / "big.csv", x)
    noise = _write(tmp_path / "noise.csv", x[:5] * 0.5)
    runner = CliRunner()
    for args in (
        ["factors", str(path), "--id-col", "run"],
        ["noise", str(path), str(noise), "--id-col", "run"],
    ):
        out = tmp_path / args[0]
        result = runner.invoke(app, [*args, "-o", str(out)])
        assert result.exit_code == 2, result.output
        # The matrix reader refuses the first such cell, naming its line and column (issue 10).
        assert "overflows float64" in result.output
        assert "line 2, column 'task00002'" in result.output
        assert "missing" not in result.output and "constant" not in result.output
        assert "RuntimeWarning" not in result.output
        assert not out.exists()


def test_wide_matrix_refuses_ml_before_forming_p_by_p(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 2100))
    matrix = read_matrix(_write(tmp_path / "wide.csv", x), id_col="run")
    with pytest.raises(InputError, match="nonneg_em"):
        run_factors(matrix, method="ml", n_resamples=0, pa_iter=10)
