"""End-to-end tests of ``measurand compare`` (typer's CliRunner) on a campaign fixture and on
the embedded Dopamine subset: exit codes, files written, no overwrite without --force, nothing
half-written on error.

References: the numbers written to results.json are compared with direct calls of the analysis
functions on the same input (whose values are checked against scipy in their own tests) and,
for the Dopamine table, with per-run window means recomputed with numpy from the CSV.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from campaign_fixtures import HICRA, SEPA, write_campaign
from typer.testing import CliRunner

from measurand.cli import app
from measurand.cli.compare import exit_code, read_reference
from measurand.compare import significance
from measurand.errors import InputError
from measurand.io.campaign import read_campaign

FAST = ["--permutations", "2000", "--resamples", "1000", "--across-resamples", "1000"]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_campaign(
        tmp_path_factory.mktemp("cli") / "camp",
        seeds=(1, 2, 3),
        n_steps=25,
        lift={SEPA: 0.2},
        exec_entropy_var={SEPA: 0.5},
    )


@pytest.fixture(scope="module")
def dopamine() -> Path:
    with resources.as_file(
        resources.files("measurand").joinpath("data", "dopamine_subset.csv.gz")
    ) as path:
        return Path(path)


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_help_shows_an_example() -> None:
    result = invoke("compare", "--help")
    assert result.exit_code == 0
    example = 'measurand compare "$(measurand datasets synthetic_campaign)"'
    assert "Example" in result.output and example in result.output


def test_campaign_end_to_end_writes_the_report(campaign: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = invoke(
        "compare", campaign, "--baseline", HICRA, "--candidate", SEPA, "--window", "last:10",
        "--metric", "correct_rate", "--out", out, "--seed", "7", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "summary.md"]
    document = json.loads((out / "results.json").read_text())
    direct = significance(
        read_campaign(campaign),
        baseline=HICRA,
        candidate=SEPA,
        metrics=["correct_rate"],
        window="last:10",
        n_permutations=2000,
        n_resamples=1000,
        seed=7,
    )
    got = document["significance"]["comparisons"][0]
    want = direct.comparisons[0]
    assert got["delta"] == pytest.approx(want.delta, rel=1e-12)
    assert got["pvalue"] == pytest.approx(want.pvalue, rel=1e-12)
    assert got["ci"] == pytest.approx(list(want.ci), rel=1e-12)
    assert got["verdict"] == want.verdict
    assert f"correct_rate: {want.verdict}" in result.output
    assert "report written to" in result.output
    summary = (out / "summary.md").read_text()
    assert "## Significance" in summary and "## Learning curves" in summary


def test_no_overwrite_without_force(campaign: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "summary.md").write_text("mine")
    result = invoke("compare", campaign, "--metric", "correct_rate", "--out", out, *FAST)
    assert result.exit_code == 2
    assert "pass --force" in result.output
    assert [p.name for p in out.iterdir()] == ["summary.md"]
    result = invoke("compare", campaign, "--metric", "correct_rate", "--out", out, "--force", *FAST)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "summary.md"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "accuracy"], "unknown metric(s) ['accuracy']"),
        (["--baseline", "nope", "--candidate", SEPA], "baseline condition 'nope'"),
        (["--candidate", SEPA], "--candidate needs --baseline"),
        (["--window", "500:400"], "is empty"),
        (["--ordering", f"{SEPA} >= nope"], "nope"),
        (["--format", "pdf"], "--format takes json, md, html"),
        (["--normalize", "zscore"], "--normalize takes minmax, reference or none"),
        (["--condition-col", "agent"], "apply to table files"),
        (["--min-effect", "big"], "--min-effect takes a number"),
    ],
)
def test_errors_exit_2_and_write_nothing(
    campaign: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "never"
    result = invoke("compare", campaign, "--out", out, *args, *FAST)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()
    assert not list(tmp_path.iterdir())  # no staging folder left behind either


def test_broken_campaign_exits_2(tmp_path: Path) -> None:
    root = write_campaign(tmp_path / "bad", broken="bad_json")
    result = invoke("compare", root, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "metrics.jsonl" in result.output
    assert not (tmp_path / "out").exists()
    empty = write_campaign(tmp_path / "empty", broken="no_runs")
    assert invoke("compare", empty).exit_code == 2


def test_table_needs_its_columns_named(dopamine: Path) -> None:
    result = invoke("compare", dopamine)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "a table needs --condition-col, --seed-col, --value-col" in text
    assert "game, agent, run, iteration, value" in text
    result = invoke("compare", dopamine, "--condition-col", "agent", "--seed-col", "seed",
                    "--value-col", "value")  # fmt: skip
    assert result.exit_code == 2
    assert "seed='seed'" in result.output


def test_dopamine_subset_end_to_end(dopamine: Path, tmp_path: Path) -> None:
    out = tmp_path / "atari"
    result = invoke(
        "compare", dopamine, "--condition-col", "agent", "--seed-col", "run", "--task-col", "game",
        "--step-col", "iteration", "--value-col", "value", "--baseline", "DQN", "--candidate",
        "Rainbow", "--window", "last:10", "--out", out, *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((out / "results.json").read_text())
    assert len(document["tasks"]) == 6
    assert len(document["across_tasks"]) == 1
    table = pl.read_csv(dopamine)
    for item in document["significance"]["comparisons"]:
        rows = table.filter(pl.col("game") == item["task"])
        means = {}
        for agent in ("DQN", "Rainbow"):
            per_run = [
                rows.filter((pl.col("agent") == agent) & (pl.col("run") == r))
                .sort("iteration")
                .get_column("value")
                .to_numpy()[-10:]
                .mean()
                for r in range(5)
            ]
            means[agent] = np.mean(per_run)
        assert item["delta"] == pytest.approx(means["Rainbow"] - means["DQN"], rel=1e-10)
    assert "across 6 tasks" in result.output


def test_reference_scores_file(dopamine: Path, tmp_path: Path) -> None:
    reference = tmp_path / "ref.csv"
    games = ["asterix", "breakout", "pong", "qbert", "seaquest", "spaceinvaders"]
    reference.write_text("task,low,high\n" + "".join(f"{g},0,1000\n" for g in games))
    assert read_reference(reference)["pong"] == (0.0, 1000.0)
    result = invoke(
        "compare", dopamine, "--condition-col", "agent", "--seed-col", "run", "--task-col", "game",
        "--step-col", "iteration", "--value-col", "value", "--window", "last:10",
        "--reference", reference, "--out", tmp_path / "o", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "o" / "results.json").read_text())
    assert document["across_tasks"][0]["normalization"] == "reference"
    bad = tmp_path / "bad.csv"
    bad.write_text("game,lo,hi\npong,0,1\n")
    with pytest.raises(InputError, match="need the columns task, low, high"):
        read_reference(bad)


@pytest.mark.parametrize(
    ("status", "fail_on", "code"),
    [
        (None, None, 0),
        (None, "failed", 0),
        ("CONFIRMED", None, 0),
        ("FAILED", None, 0),
        ("INCONCLUSIVE", None, 0),
        ("CONFIRMED", "failed", 0),
        ("FAILED", "failed", 1),
        ("INCONCLUSIVE", "failed", 2),
        ("CONFIRMED", "inconclusive", 0),
        ("FAILED", "inconclusive", 1),
        ("INCONCLUSIVE", "inconclusive", 1),
    ],
)
def test_exit_code_table(status: str | None, fail_on: str | None, code: int) -> None:
    assert exit_code(status, fail_on) == code


def test_shipped_rules_on_a_campaign(tmp_path: Path) -> None:
    root = write_campaign(
        tmp_path / "camp",
        seeds=(1, 2, 3),
        n_steps=120,
        lift={SEPA: 0.1},
        exec_entropy_var={SEPA: 0.5},
        batch_size=4,
    )
    rules = Path(__file__).resolve().parents[2] / "src/measurand/rules/sepa_vs_hicra.toml"
    result = invoke("compare", root, "--rules", rules, "--fail-on", "failed", *FAST)
    assert result.exit_code == 0, result.output
    assert "litmus status: CONFIRMED" in result.output
    few = write_campaign(tmp_path / "few", seeds=(1, 2), n_steps=120, lift={SEPA: 0.1})
    result = invoke("compare", few, "--rules", rules, "--fail-on", "failed", *FAST)
    assert result.exit_code == 2  # two seeds per arm: evidence not met
    assert "INCONCLUSIVE" in result.output
