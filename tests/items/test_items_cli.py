"""``measurand items``: workflow on tables and lm-eval folders, report files, exit codes."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from items_lm_eval_fixtures import record, write_model
from typer.testing import CliRunner

from measurand.cli import app
from measurand.cli.items import demo_part, exit_code
from measurand.errors import InputError
from measurand.io.items import read_item_table
from measurand.items import run_items
from measurand.stats import paired_items

runner = CliRunner()


def _table(tmp_path, n_items=120, runs=2, clusters=12, seed=0):
    rng = np.random.default_rng(seed)
    easy = rng.normal(0, 1, n_items)
    cluster = np.arange(n_items) % clusters
    rows = []
    for model, ability in (("base", 0.0), ("new", 0.8), ("mid", 0.4)):
        p = 1 / (1 + np.exp(-(easy + ability)))
        for r in range(runs):
            for i in range(n_items):
                rows.append(
                    {
                        "model": model,
                        "q": f"q{i}",
                        "run": r,
                        "c": f"c{cluster[i]}",
                        "ok": int(rng.random() < p[i]),
                    }
                )
    path = tmp_path / "scores.csv"
    pl.DataFrame(rows).write_csv(path)
    return path


def _read(path, **kw):
    return read_item_table(
        path, model_col="model", item_col="q", score_col="ok", run_col="run", cluster_col="c", **kw
    )


def test_workflow_numbers_match_the_stats_functions(tmp_path):
    data = _read(_table(tmp_path))
    result = run_items(data, n_resamples=500, seed=3, reference="base")
    (task,) = result.tasks
    assert task.n_items == 120 and task.n_clusters == 12 and task.runs == 2
    frame = data.frame.group_by("model", "item", "cluster").agg(pl.col("score").mean()).sort("item")
    a = frame.filter(pl.col("model") == "base").get_column("score").to_numpy()
    b = frame.filter(pl.col("model") == "mid").get_column("score").to_numpy()
    clusters = frame.filter(pl.col("model") == "base").get_column("cluster").to_numpy()
    ref = paired_items(a, b, clusters)
    pair = next(p for p in task.pairs if (p.a, p.b) == ("base", "mid"))
    assert pair.difference == pytest.approx(ref.statistic)
    assert pair.confidence_interval == pytest.approx(tuple(ref.confidence_interval))
    assert pair.status in ("BETTER", "INCONCLUSIVE")  # the status is mid's, against base
    new_vs_base = next(p for p in task.pairs if {p.a, p.b} == {"base", "new"})
    assert new_vs_base.status == "BETTER"
    assert result.status in ("INCONCLUSIVE", "BETTER")
    again = run_items(data, n_resamples=500, seed=3, reference="base")
    assert again.to_dict() == result.to_dict()


def test_cli_writes_report_and_fail_on(tmp_path):
    path = _table(tmp_path)
    out = tmp_path / "out"
    args = [
        "items",
        str(path),
        "--model-col",
        "model",
        "--item-col",
        "q",
        "--score-col",
        "ok",
        "--run-col",
        "run",
        "--cluster-col",
        "c",
        "--resamples",
        "300",
        "--out",
        str(out),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} == {"results.json", "summary.md", "report.html"}
    data = json.loads((out / "results.json").read_text())
    assert data["tasks"][0]["n_clusters"] == 12 and len(data["tasks"][0]["pairs"]) == 3
    html = (out / "report.html").read_text()
    assert "Paired differences" in html and "Rank with" in html
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "--force" in res.output
    res = runner.invoke(app, [*args, "--force", "--reference", "new", "--fail-on", "worse"])
    assert res.exit_code == 1, res.output  # base and mid are worse than new
    res = runner.invoke(app, [*args, "--force", "--fail-on", "worse"])
    assert res.exit_code == 2 and "--reference" in res.output


def test_exit_codes_follow_compare():
    assert exit_code("BETTER", "worse") == 0
    assert exit_code("WORSE", "worse") == 1
    assert exit_code("INCONCLUSIVE", "worse") == 2
    assert exit_code("INCONCLUSIVE", "inconclusive") == 1
    assert exit_code("WORSE", None) == 0


def test_lm_eval_folders_and_missing_items(tmp_path):
    rng = np.random.default_rng(1)
    for model, p in (("m1", 0.5), ("m2", 0.7), ("m3", 0.6)):
        n = 60 if model != "m3" else 58  # m3 skipped two documents
        write_model(
            tmp_path,
            model,
            {
                "boolq": [record(i, {"acc": float(rng.random() < p)}) for i in range(n)],
                "piqa": [record(i, {"acc": float(rng.random() < p)}) for i in range(40)],
            },
        )
    out = tmp_path / "out"
    res = runner.invoke(app, ["items", str(tmp_path), "--resamples", "200", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text())
    assert data["metric"] == "acc"
    boolq = next(t for t in data["tasks"] if t["task"] == "boolq")
    assert boolq["n_items"] == 58 and boolq["items_dropped"] == 2
    assert boolq["pairs"][0]["mcnemar_pvalue"] is not None  # binary, one run
    assert any("2 item(s)" in w for w in data["warnings"])
    assert data["across_tasks"]["friedman"]["n_tasks"] == 2


def test_bad_inputs_exit_2(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("model,q,ok\na,1,1\na,2,0\n")
    res = runner.invoke(
        app,
        [
            "items",
            str(path),
            "--model-col",
            "model",
            "--item-col",
            "q",
            "--score-col",
            "ok",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2 and "at least 2 models" in res.output
    res = runner.invoke(app, ["items", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--model-col" in res.output
    data = _read(_table(tmp_path))
    with pytest.raises(InputError, match="reference"):
        run_items(data, reference="nobody")


def test_demo_part(tmp_path):
    line = demo_part(tmp_path / "demo", seed=0)
    assert line.startswith("items: 5 models") and "model-c" in line
    data = json.loads((tmp_path / "demo" / "results.json").read_text())
    reading = next(t for t in data["tasks"] if t["task"] == "reading")
    assert reading["n_clusters"] == 60
    # clusters widen the interval: design effect well above 1 for the passages
    assert min(m["design_effect"] for m in reading["models"]) > 1.5
    assert "Critical-difference" in (tmp_path / "demo" / "report.html").read_text()


def test_continuous_scores_without_clusters(tmp_path):
    rng = np.random.default_rng(9)
    rows = [
        {"model": m, "q": i, "s": float(rng.normal(shift, 1))}
        for m, shift in (("x", 0.0), ("y", 0.3))
        for i in range(200)
    ]
    path = tmp_path / "c.jsonl"
    pl.DataFrame(rows).write_ndjson(path)
    data = read_item_table(path, model_col="model", item_col="q", score_col="s")
    result = run_items(data, n_resamples=400, seed=0)
    (task,) = result.tasks
    (pair,) = task.pairs
    assert not task.binary and pair.mcnemar_pvalue is None
    assert task.n_clusters == 200 and task.models[0].design_effect == pytest.approx(1.0)
    assert task.models[0].run_variance is None and task.runs == 1
    assert result.across_tasks is None and result.status is None


def test_lm_eval_filter_option(tmp_path):
    for model in ("m1", "m2"):
        recs = [record(i, {"exact_match": float(i % 2)}, filt="strict-match") for i in range(30)]
        recs += [record(i, {"exact_match": 1.0}, filt="flexible-extract") for i in range(30)]
        write_model(tmp_path / "logs", model, {"gsm8k": recs})
    out = tmp_path / "out"
    res = runner.invoke(app, ["items", str(tmp_path / "logs"), "--out", str(out)])
    assert res.exit_code == 2 and "--filter" in res.output
    res = runner.invoke(
        app,
        [
            "items",
            str(tmp_path / "logs"),
            "--filter",
            "strict-match",
            "--resamples",
            "100",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text())
    assert data["tasks"][0]["models"][0]["mean"] == pytest.approx(0.5)
    assert any("strict-match" in w for w in data["warnings"])


def test_results_do_not_depend_on_row_order(tmp_path):
    import dataclasses

    data = _read(_table(tmp_path))
    shuffled = dataclasses.replace(
        data, frame=data.frame.sample(fraction=1.0, shuffle=True, seed=4)
    )
    first = run_items(data, n_resamples=300, seed=2).to_dict()
    second = run_items(shuffled, n_resamples=300, seed=2).to_dict()
    assert first == second
