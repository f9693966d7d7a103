"""Tests for measurand.factors (run_factors, the report, the demo).

References: the workflow's pieces called directly (``fit_nonneg_em``, ``FactorAnalysis``,
``parallel_analysis``, ``leaderboard``), scikit-learn's ``FactorAnalysis`` for the one-factor ML
solution on the real ObsScaling matrix, and ``scipy.stats.pearsonr`` for held-out correlations.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps
from sklearn.decomposition import FactorAnalysis as SkFactorAnalysis

from measurand.errors import InputError
from measurand.factors.workflow import run_factors
from measurand.io.matrix import read_matrix
from measurand.io.output import dumps_json
from measurand.latent._nonneg_em import fit_nonneg_em
from measurand.latent.efa import FactorAnalysis
from measurand.latent.parallel import parallel_analysis
from measurand.report.factors import factors_report
from shared_paths import SHARED_DATA  # the one place that knows ../shared/data

OBSSCALING = SHARED_DATA / "obsscaling" / "base_llm_benchmark_eval.csv"
BENCHMARKS = ["MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd"]

TRUTH = np.array(
    [
        [0.8, 0.0],
        [0.7, 0.1],
        [0.75, 0.0],
        [0.6, 0.2],
        [0.0, 0.8],
        [0.1, 0.7],
        [0.0, 0.75],
        [0.2, 0.6],
    ]
)


def write_matrix(path: Path, n: int = 200, seed: int = 0, missing: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((n, 2))
    psi = 1 - np.sum(TRUTH**2, axis=1)
    x = theta @ TRUTH.T + rng.standard_normal((n, 8)) * np.sqrt(psi)
    loss = -(theta @ [0.7, 0.5]) + 0.5 * rng.standard_normal(n)  # lower is better
    header = ["run", "status", *[f"task{j}/acc" for j in range(8)], "eval/loss"]
    rows = []
    for i in range(n):
        cells = [f"{v:.6f}" for v in x[i]]
        if i < missing:
            cells[i % 8] = ""
        rows.append([f"run{i:03d}", "done", *cells, f"{loss[i]:.6f}"])
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def matrix(tmp_path):
    path = write_matrix(tmp_path / "m.csv")
    return read_matrix(
        path, id_col="run", include="task*", heldout="eval/loss", lower_is_better="eval/*"
    )


def test_nonneg_workflow_equals_its_pieces(matrix):
    result = run_factors(matrix, n_resamples=200, pa_iter=200, seed=3)
    pa = parallel_analysis(matrix.Z, n_resamples=200, quantile=0.95, kind="pca", seed=3)
    np.testing.assert_array_equal(result.parallel_analysis.observed, pa.observed)
    assert result.n_factors == pa.k == 2
    fit = fit_nonneg_em(matrix.Z, 2)
    np.testing.assert_allclose(result.model.loadings, fit.loadings, atol=1e-6)
    np.testing.assert_allclose(
        [t.uniqueness for t in result.model.tasks], fit.uniquenesses, atol=1e-6
    )
    # leaderboard scores are the model's posterior means; the held-out metric was negated
    np.testing.assert_allclose(result.scores, fit.scores, atol=1e-5)
    y = matrix.heldout["eval/loss"]
    entry = result.heldout_validation.get("eval/loss", "aggregate")
    reference = sps.pearsonr(result.scores.mean(axis=1), y)
    assert entry.r == pytest.approx(reference.statistic, rel=1e-10)
    assert entry.r > 0.5  # higher = better after negating the loss
    assert result.data.directions["eval/loss"] == -1


def test_ml_workflow_equals_factor_analysis(matrix):
    result = run_factors(matrix, method="ml", n_factors=2, n_resamples=50, pa_iter=100, seed=0)
    model = FactorAnalysis(2, method="ml", rotation="oblimin", seed=0).fit(matrix.Z)
    np.testing.assert_allclose(result.model.loadings, model.loadings_, atol=1e-10)
    np.testing.assert_allclose(result.model.phi, model.phi_, atol=1e-10)
    assert result.model.rotation == "oblimin"
    assert result.model.fit_stats["df"] == model.fit_stats_["df"]
    assert result.n_factors_rule == "given" and result.settings.n_factors == 2


@pytest.mark.skipif(not OBSSCALING.exists(), reason=f"real data not available at {OBSSCALING}")
def test_obsscaling_one_factor_matches_sklearn():
    data = read_matrix(OBSSCALING, id_col="Model", include=BENCHMARKS, heldout="HumanEval")
    result = run_factors(data, missing="drop-rows", n_resamples=100, seed=0)
    keep = data.complete_rows()
    assert result.data.n_rows_used == int(keep.sum()) == 129
    assert len(result.data.rows_dropped) == 19
    assert result.n_factors == 1
    z = sps.zscore(data.Z[keep])
    sk = SkFactorAnalysis(n_components=1, tol=1e-12, max_iter=100_000).fit(z)
    np.testing.assert_allclose(result.model.loadings[:, 0], np.abs(sk.components_[0]), atol=1e-4)
    humaneval = data.heldout["HumanEval"][keep]
    ok = np.isfinite(humaneval)
    entry = result.heldout_validation.get("HumanEval", "factor 1")
    reference = sps.pearsonr(result.scores[ok, 0], humaneval[ok])
    assert entry.n == int(ok.sum())
    assert entry.r == pytest.approx(reference.statistic, rel=1e-10)
    ci = reference.confidence_interval(0.95)
    assert entry.confidence_interval.low == pytest.approx(ci.low, rel=1e-10)


def test_missing_policies(tmp_path):
    path = write_matrix(tmp_path / "m.csv", n=120, missing=10)
    data = read_matrix(path, id_col="run", include="task*")
    with pytest.raises(InputError, match=r"10 missing cell.*--missing drop-rows"):
        run_factors(data, n_resamples=0)
    dropped = run_factors(data, missing="drop-rows", n_resamples=0, n_factors=2)
    assert dropped.data.n_rows_used == 110 and len(dropped.data.rows_dropped) == 10
    assert dropped.row_names == tuple(f"run{i:03d}" for i in range(10, 120))
    imputed = run_factors(data, missing="mean", n_resamples=0, n_factors=2)
    assert imputed.data.n_imputed == 10 and imputed.data.n_rows_used == 120
    expected = fit_nonneg_em(sps.zscore(np.nan_to_num(data.Z, nan=0.0)), 2)
    np.testing.assert_allclose(imputed.model.loadings, expected.loadings, atol=1e-6)
    assert any("imputed" in w for w in imputed.warnings)


def test_bad_input(tmp_path, matrix):
    with pytest.raises(InputError, match="identify at most"):
        run_factors(matrix, n_factors=5, n_resamples=0)
    with pytest.raises(InputError, match="method"):
        run_factors(matrix, method="pca")
    with pytest.raises(InputError, match="not rotated"):
        run_factors(matrix, rotation="varimax")
    with pytest.raises(InputError, match="unknown task"):
        run_factors(matrix, fixed_psi={"nope": 0.2}, n_resamples=0)
    # duplicate columns: the singular correlation matrix names them
    rows = [["id", "a", "b", "c", "d"]]
    rng = np.random.default_rng(0)
    for i in range(30):
        v = rng.standard_normal(3)
        rows.append([f"r{i}", v[0], v[1], v[0], v[2]])
    path = tmp_path / "dup.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(InputError, match="'a' = 'c'"):
        run_factors(read_matrix(path, id_col="id"), n_resamples=0)


def test_fixed_uniqueness_and_ceiling_by_task_name(matrix):
    result = run_factors(
        matrix,
        fixed_psi={"task0/acc": 0.5},
        h2_ceiling={"task1/acc": 0.6, "task2/acc": 0.9},
        n_resamples=20,
        n_factors=2,
    )
    assert result.model.tasks[0].uniqueness == pytest.approx(0.5)
    common = np.sum(np.square(result.model.tasks[0].loadings))
    assert result.model.tasks[0].communality == pytest.approx(common / (common + 0.5))
    assert result.settings.fixed_psi == {"task0/acc": 0.5}
    assert result.settings.h2_ceiling == {"task1/acc": 0.6, "task2/acc": 0.9}
    page = factors_report(result).to_html()
    assert "Communality h² vs the noise ceiling" in page
    with pytest.raises(InputError, match="unknown task"):
        run_factors(matrix, h2_ceiling={"nope": 0.5}, n_resamples=0)


def test_json_report_and_determinism(matrix, tmp_path):
    a = run_factors(matrix, n_resamples=100, pa_iter=100, seed=5, pool_tau=0.1)
    b = run_factors(matrix, n_resamples=100, pa_iter=100, seed=5, pool_tau=0.1)
    data = json.loads(dumps_json(a.to_dict()))
    assert data == json.loads(dumps_json(b.to_dict()))
    assert list(data) == [
        "settings",
        "data",
        "parallel_analysis",
        "n_factors",
        "n_factors_rule",
        "model",
        "leaderboard",
        "heldout_validation",
        "item_pool",
        "warnings",
    ]
    assert set(data["model"]["tasks"][0]) == {
        "task",
        "loadings",
        "uniqueness",
        "communality",
        "dominant_factor",
    }
    row = data["leaderboard"]["rows"][0]
    assert set(row) == {
        "name",
        "rank",
        "rank_ci",
        "aggregate",
        "aggregate_ci",
        "p_above_next",
        "p_first",
        "theta",
    }
    assert len(data["leaderboard"]["rows"]) == 200
    assert data["item_pool"]["metadata"]["format"] == "measurand.item_pool"
    report = factors_report(a, source="m.csv")
    markdown = report.to_markdown()
    for heading in ["## Headline", "## How many factors?", "## Loadings", "## Leaderboard"]:
        assert heading in markdown
    assert "## Held-out validation" in markdown and "`eval/loss`" in markdown
    page = report.to_html()
    assert page.count('class="plotly-graph-div"') == 4  # scree, heatmap, ranks, held-out
    assert "h²=" in page


def test_demo_writes_a_report(tmp_path):
    from measurand.cli.demo import run_factors_demo
    from measurand.datasets import obsscaling_benchmarks

    data = obsscaling_benchmarks()
    assert data.shape == (148, 7)
    result = run_factors_demo(tmp_path, seed=0, n_resamples=50)
    written = sorted(p.name for p in (tmp_path / "factors").iterdir())
    assert written == ["report.html", "results.json", "summary.md"]
    assert result.data.n_rows_used == 129
    with pytest.raises(InputError, match="not empty"):
        run_factors_demo(tmp_path, n_resamples=10)


def test_demo_part_plugs_into_measurand_demo(tmp_path, monkeypatch):
    from measurand.cli import demo
    from measurand.cli.demo import factors_part

    monkeypatch.setattr(demo, "DEMO_PARTS", [factors_part])
    parts = demo.run_demo(tmp_path / "out", seed=0, n_resamples=30)
    assert [p.folder for p in parts] == ["factors"]
    results = json.loads((tmp_path / "out" / "factors" / "results.json").read_text())
    assert results["n_factors"] == 1 and results["leaderboard"]["n_resamples"] == 30


def test_k_rules_on_pure_noise(tmp_path):
    # Seed 2: the liberal count finds 2 "factors" in noise, the first crossing finds none.
    rng = np.random.default_rng(2)
    noise = rng.normal(size=(60, 30))
    path = tmp_path / "noise.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["run", *[f"t{j}" for j in range(30)]])
        writer.writerows([f"r{i}", *row] for i, row in enumerate(noise.tolist()))
    data = read_matrix(path, id_col="run")
    count = run_factors(data, k_rule="count", n_resamples=0, pa_iter=100, seed=0)
    pa = count.parallel_analysis
    assert (pa.k, pa.k_count) == (0, 2)
    assert count.n_factors == 2 and count.settings.k_rule == "count"
    alias = run_factors(data, k_rule="first_crossing", n_resamples=0, pa_iter=100, seed=0)
    assert alias.settings.k_rule == "quantile"
    assert alias.parallel_analysis.k == 0 and alias.n_factors == 1  # at least one factor is fitted
