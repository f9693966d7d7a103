"""``measurand plan`` from numbers and from items/compare results."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from measurand.cli import app
from measurand.cli.items import demo_part
from measurand.errors import InputError
from measurand.plan import plan_from_numbers, plan_from_results
from measurand.stats import items_for_difference

runner = CliRunner()


def test_numbers():
    result = plan_from_numbers(mde=0.02, sd=0.45, n_items=2000, design_effect=1.5, cluster_size=5)
    row = result.rows[0]
    ref = items_for_difference(0.45, 0.02, design_effect=1.5, cluster_size=5)
    assert row.items == ref and row.items.n_clusters == -(-ref.n_items // 5)
    assert row.mde_now > 0.02  # 2000 items with deff 1.5 are too few for 0.02
    with pytest.raises(InputError, match="nothing to plan"):
        plan_from_numbers(mde=0.02)
    with pytest.raises(InputError, match="--n-items"):
        plan_from_numbers(mde=0.02, sd_run=0.3)


def test_retrain_guide_question():
    # "+1.3% absolute lift in correct_rate with 80% power", 128 episodes per step, 8 seeds
    row = plan_from_numbers(mde=0.013, p=0.3, episodes_per_step=128, seeds=(8,)).rows[0]
    assert 19_000 < row.episodes.episodes_per_arm < 20_500
    assert row.episodes.schedule[0] == {"seeds": 8, "steps": 20, "episodes": 20 * 128 * 8}


def test_from_items_results(tmp_path):
    demo_part(tmp_path / "items", seed=0)
    result = plan_from_results(tmp_path / "items", mde=0.02)
    assert result.kind == "items" and len(result.rows) == 30
    data = json.loads((tmp_path / "items" / "results.json").read_text())
    reading = next(t for t in data["tasks"] if t["task"] == "reading")
    pair = reading["pairs"][0]
    row = next(r for r in result.rows if r.label == f"reading: {pair['a']} − {pair['b']}")
    ref = items_for_difference(
        pair["sd_difference"], 0.02, design_effect=pair["design_effect"], cluster_size=8.0
    )
    assert row.items == ref
    assert row.runs is not None or row.notes
    own = plan_from_results(tmp_path / "items")
    assert all(r.mde == pytest.approx(abs(r.observed)) for r in own.rows)


def test_cli(tmp_path):
    res = runner.invoke(app, ["plan", "--sd", "0.45", "--mde", "0.02"])
    assert res.exit_code == 0 and "3,976" in res.output
    res = runner.invoke(app, ["plan", "--sd", "0.45"])
    assert res.exit_code == 2 and "--mde" in res.output
    res = runner.invoke(app, ["plan", "--from", str(tmp_path), "--mde", "0.1"])
    assert res.exit_code == 2 and "results.json" in res.output
    out = tmp_path / "plan"
    res = runner.invoke(
        app,
        ["plan", "--p", "0.3", "--mde", "0.013", "--episodes-per-step", "128", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert "19,7" in (out / "summary.md").read_text()
