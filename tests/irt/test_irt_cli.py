"""``measurand irt`` end to end: outputs, exit codes, the recorded binarization, the pool."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from _irt_simulate import simulate_responses
from typer.testing import CliRunner

import measurand.cli.irt  # noqa: F401  (registers the command)
from measurand.cli._app import app
from measurand.io.pool import load_item_pool

runner = CliRunner()


def _long_scores(path: Path, n: int = 300, p: int = 15, seed: int = 2) -> Path:
    """Long form with scores in [0, 1] (so a binarization rule is needed) and 10% missing."""
    Y, *_ = simulate_responses(n, p, 1, missing=0.1, seed=seed)
    rng = np.random.default_rng(seed)
    r, c = np.nonzero(~np.isnan(Y))
    score = np.where(Y[r, c] == 1, rng.uniform(0.5, 1.0, r.size), rng.uniform(0.0, 0.5, r.size))
    pl.DataFrame(
        {"model": [f"m{i:03d}" for i in r], "doc": [f"d{j}" for j in c], "acc": score}
    ).write_csv(path)
    return path


def test_cli_long_form_end_to_end(tmp_path):
    src = _long_scores(tmp_path / "scores.csv")
    out = tmp_path / "out"
    args = ["irt", str(src), "--subject-col", "model", "--item-col", "doc", "--response-col"]
    args += ["acc", "--binarize", "ge:0.5", "--resamples", "20", "--out", str(out)]
    result = runner.invoke(app, [*args, "--export-pool", str(tmp_path / "pool.npz")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"results.json", "summary.md", "report.html"}
    res = json.loads((out / "results.json").read_text())
    assert res["data"]["binarization"] == "response >= 0.5 → 1, else 0"
    assert res["settings"]["estimator"] == "mml" and res["fit"]["converged"]
    held = res["heldout"]
    assert held["auc"] > held["baseline_auc"] and held["log_loss"] < held["baseline_log_loss"]
    assert len(res["items"]) == 15 and len(res["subjects"]) == 300
    assert "Binarization: response >= 0.5" in (out / "summary.md").read_text()
    html = (out / "report.html").read_text()
    assert "Item characteristic curves" in html and "Ability ranking" in html
    pool = load_item_pool(tmp_path / "pool.npz")
    assert pool.z.shape[1] == 1 and pool.metadata["made_by"] == "measurand irt"
    # a second run into the same folder is refused without --force
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "not empty" in again.output


def test_cli_exit_2_on_bad_input(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("subject,item,response\na,1,1\na,1,0\nb,1,0\n")
    result = runner.invoke(app, ["irt", str(dup), "--out", str(tmp_path / "o1")])
    assert result.exit_code == 2
    assert "duplicate" in result.output and "line 2" in result.output
    scores = tmp_path / "s.csv"
    scores.write_text("subject,item,response\na,1,0.3\nb,1,0.9\n")
    result = runner.invoke(app, ["irt", str(scores), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 2 and "--binarize" in result.output
    result = runner.invoke(app, ["irt", str(dup), "--dims", "x", "--out", str(tmp_path / "o3")])
    assert result.exit_code == 2 and "--dims" in result.output
    assert not (tmp_path / "o1").exists()


@pytest.mark.slow
def test_demo_part(tmp_path):
    from measurand.cli.irt import demo_part

    line = demo_part(tmp_path / "irt", seed=0)
    assert line.startswith("irt: 40 simulated models x 299 items, 2 dimension(s)")
    res = json.loads((tmp_path / "irt" / "results.json").read_text())
    flagged = {f["item"] for f in res["flags"]}
    # 40 models cannot single out a miskeyed item at a 5 % false-discovery rate over 299 items:
    # nothing is flagged as negative, but the two planted ones lead the ranking of suspects
    # (q203 first, q017 fifth), which is what the report lists under the flags
    assert res["flag_rule"]["negative_slope_fdr"] == 0.05
    assert not any("negative" in f["reason"] for f in res["flags"])
    ranked = sorted(
        (item["negative_slope_p"], item["item"])
        for item in res["items"]
        if item["negative_slope_p"] is not None
    )
    assert ranked[0][1] == "q203" and ranked[0][0] < 0.02
    assert "q017" in {name for _, name in ranked[:5]}
    assert len(flagged) <= 6
    summary = (tmp_path / "irt" / "summary.md").read_text()
    assert "| q203 | 2 |" in summary


def test_slope_prior_option(tmp_path):
    """--slope-prior-sd skips the validation search (one fit per stage) and is recorded."""
    data = tmp_path / "r.csv"
    Y, *_ = simulate_responses(60, 40, 1, seed=2)
    lines = ["model," + ",".join(f"q{j}" for j in range(40))]
    lines += [f"m{i}," + ",".join(str(int(v)) for v in Y[i]) for i in range(60)]
    data.write_text("\n".join(lines) + "\n")
    args = ["irt", str(data), "--id-col", "model", "--estimator", "map", "--resamples", "5"]
    result = runner.invoke(app, [*args, "--slope-prior-sd", "0.3", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    res = json.loads((tmp_path / "o" / "results.json").read_text())
    assert res["settings"]["slope_prior_sd"] == 0.3
    assert res["fit"]["details"]["slope_prior_sd"] == 0.3
    assert "slope_prior_selection" not in res["fit"]["details"]
    assert res["fit"]["details"]["calibrated_slope_prior_sd"] > 0
    bad = runner.invoke(app, [*args, "--slope-prior-sd", "-1", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "--slope-prior-sd" in bad.output
