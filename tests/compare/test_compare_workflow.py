"""Tests for measurand.compare.workflow.run_compare and the compare report.

References: the workflow composes the analysis functions, so each part of its result is checked
against a direct call of that function with the same arguments (whose numbers are tested against
scipy in their own test files), and the window means it reports against plain Python over the
JSON records the campaign fixture wrote. Report checks count what the figures hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from campaign_fixtures import HICRA, SEPA, run_records, write_campaign
from hypothesis import given, settings
from hypothesis import strategies as st

from measurand.cli.demo import run_compare_demo
from measurand.compare import (
    check_ordering,
    compare_all,
    evaluate_litmus,
    learning_curves,
    parse_rules,
    run_compare,
    significance,
)
from measurand.datasets import dopamine_subset as load_dopamine_subset
from measurand.errors import InputError
from measurand.io.campaign import read_campaign
from measurand.io.output import dumps_json
from measurand.report.compare import MAX_POINTS, compare_report, thin_indices

GRPO = "grpo+none"
TOP_KEYS = {
    "schema_version",
    "tool",
    "measurand_version",
    "source",
    "conditions",
    "tasks",
    "metrics",
    "window",
    "seed",
    "runs_per_condition",
    "settings",
    "curves",
    "significance",
    "significance_pooled",
    "multiple",
    "ordering",
    "litmus",
    "across_tasks",
    "warnings",
}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_campaign(
        tmp_path_factory.mktemp("workflow") / "camp",
        conditions=(GRPO, HICRA, SEPA),
        seeds=(1, 2, 3, 4),
        n_steps=30,
        lift={HICRA: 0.1, SEPA: 0.2},
        exec_entropy_var={SEPA: 0.5},
    )


@pytest.fixture(scope="module")
def data(campaign: Path):
    return read_campaign(campaign)


FAST = {"n_permutations": 2_000, "n_resamples": 1_000}


def test_pair_runs_curves_and_seed_level_significance(data, campaign: Path) -> None:
    result = run_compare(data, baseline=HICRA, candidate=SEPA, window="last:10", seed=3, **FAST)
    assert result.metrics == ("correct_rate", "mean_reward")  # primaries present by default
    assert result.multiple is None and result.litmus is None and result.across_tasks == ()
    direct = significance(
        data,
        baseline=HICRA,
        candidate=SEPA,
        metrics=["correct_rate", "mean_reward"],
        window="last:10",
        seed=3,
        **FAST,
    )
    assert result.significance == direct
    curves = learning_curves(data, metrics=["correct_rate", "mean_reward"], seed=3)
    assert result.curves.frame.equals(curves.frame)
    # The seed means behind the comparison are the plain-Python window means of the records.
    records = run_records(campaign)
    comparison = result.significance.comparison("correct_rate")
    expected = sorted(
        np.mean([r["correct_rate"] for r in recs if r["step"] >= 20])
        for (cond, _), recs in records.items()
        if cond == SEPA
    )
    np.testing.assert_allclose(sorted(comparison.values_candidate), expected, rtol=1e-12)
    assert result.runs_per_condition == {GRPO: 4, HICRA: 4, SEPA: 4}
    assert result.window == "last:10"


def test_default_single_task_runs_all_pairs(data) -> None:
    result = run_compare(data, metrics="correct_rate", seed=0, **FAST)
    assert result.significance is None
    direct = compare_all(data, metrics=["correct_rate"], seed=0, **FAST)
    assert result.multiple.frame.equals(direct.frame)
    frame = result.multiple.frame
    pairs = list(zip(frame["baseline"], frame["candidate"], strict=True))
    assert pairs == [(GRPO, HICRA), (GRPO, SEPA), (HICRA, SEPA)]


def test_baseline_alone_compares_every_condition_with_it(data) -> None:
    result = run_compare(data, baseline=SEPA, metrics=["correct_rate"], **FAST)
    assert set(result.multiple.frame["baseline"]) == {SEPA}
    assert sorted(result.multiple.frame["candidate"]) == sorted([GRPO, HICRA])
    titles = [s.title for s in compare_report(result).sections]
    # issue 14: the curves come before the tests (was: the tests right after the summary)
    assert titles[:3] == ["Summary", "Learning curves", f"Every condition vs `{SEPA}`"]
    everything = run_compare(data, all_pairs=True, metrics=["correct_rate"], **FAST)
    titles = [s.title for s in compare_report(everything).sections]
    assert "All pairs" in titles
    summary = compare_report(everything).sections[0].blocks[0]
    verdicts = everything.multiple.frame["verdict"].to_list()
    assert f"of {len(verdicts)} (adjusted: holm)" in summary


def test_ordering_and_litmus_match_direct_calls(data) -> None:
    rules = parse_rules(
        {
            "baseline": HICRA,
            "candidate": SEPA,
            "window": "last:10",
            "checks": ["lift(correct_rate) >= 0.01", "exec_entropy_var: candidate < baseline"],
        },
        source="inline.toml",
    )
    result = run_compare(
        data,
        metrics=["correct_rate"],
        ordering=f"{SEPA} >= {HICRA} >= {GRPO}",
        rules=rules,
        window="all",
        seed=1,
        **FAST,
    )
    ordering = check_ordering(
        data, [SEPA, HICRA, GRPO], metric="correct_rate", window="all", seed=1, **FAST
    )
    assert result.ordering == ordering
    assert result.litmus == evaluate_litmus(data, rules, seed=1)
    assert result.litmus.window == "last:10"  # the rule file's own window wins
    # the rule file's pair drives the two-condition analysis when none is given
    assert (result.significance.baseline, result.significance.candidate) == (HICRA, SEPA)


def test_pooled_runs_next_to_the_seed_level_analysis_and_is_labelled(data) -> None:
    result = run_compare(
        data, baseline=HICRA, candidate=SEPA, metrics=["correct_rate"], pooled=True, **FAST
    )
    assert result.significance.unit == "seed"
    assert result.significance_pooled.unit == "step (pseudo-replicated)"
    assert result.significance_pooled.comparisons[0].n_candidate == 4 * 30
    markdown = compare_report(result).to_markdown()
    assert markdown.count("pseudo-replicated") >= 2
    pooled_title = next(
        line
        for line in markdown.splitlines()
        if line.startswith("## Significance") and "pseudo" in line
    )
    assert "steps pooled" in pooled_title


def test_to_dict_has_stable_keys_and_is_json(data) -> None:
    rules = parse_rules(
        {"baseline": HICRA, "candidate": SEPA, "checks": ["lift(correct_rate) > 0"]}
    )
    result = run_compare(data, metrics=["correct_rate"], rules=rules, seed=0, **FAST)
    document = json.loads(dumps_json(result.to_dict()))
    assert set(document) == TOP_KEYS
    assert document["schema_version"] == 2
    assert document["litmus"]["status"] in ("CONFIRMED", "FAILED", "INCONCLUSIVE")
    series = document["curves"]["series"]
    # one entry per curve, labels written once: the rows expand back to the curves frame
    frame = result.curves.frame
    assert list(series[0]) == frame.columns  # condition, task, metric, step, mean, low, ...
    assert len(series) == frame.select("condition", "task", "metric").n_unique()
    rows = [
        (s["condition"], s["task"], s["metric"], *values)
        for s in series
        for values in zip(s["step"], s["mean"], s["low"], s["high"], s["n_seeds"], strict=True)
    ]
    assert rows == frame.rows()
    assert document["significance"]["comparisons"][0]["metric"] == "correct_rate"


def test_conditions_restrict_and_order_every_analysis(data) -> None:
    result = run_compare(data, conditions=[SEPA, GRPO], metrics=["correct_rate"], **FAST)
    assert result.conditions == (SEPA, GRPO)
    assert result.runs_per_condition == {SEPA: 4, GRPO: 4}
    assert set(result.curves.frame["condition"]) == {SEPA, GRPO}
    pairs = list(
        zip(result.multiple.frame["baseline"], result.multiple.frame["candidate"], strict=True)
    )
    assert pairs == [(SEPA, GRPO)]
    direct = compare_all(data, metrics=["correct_rate"], conditions=[SEPA, GRPO], **FAST)
    assert result.multiple.frame.equals(direct.frame)
    with pytest.raises(InputError, match="selected condition 'x' is not in the data"):
        run_compare(data, conditions=[SEPA, "x"])


def test_input_errors(data) -> None:
    with pytest.raises(InputError, match="--candidate needs --baseline"):
        run_compare(data, candidate=SEPA)
    with pytest.raises(InputError, match="baseline condition 'nope' is not in the data"):
        run_compare(data, baseline="nope", candidate=SEPA)
    with pytest.raises(InputError, match=r"unknown metric\(s\) \['accuracy'\]"):
        run_compare(data, metrics=["accuracy"])
    rules = parse_rules(
        {"baseline": "maxrl+none", "candidate": SEPA, "checks": ["lift(x) > 0"]},
        source="r.toml",
    )
    with pytest.raises(InputError, match=r"r\.toml: the rule file's baseline condition"):
        run_compare(data, rules=rules)


def test_report_sections_and_thinned_curves(tmp_path: Path) -> None:
    root = write_campaign(tmp_path / "long", seeds=(1, 2, 3), n_steps=1_200, emergence=False)
    data = read_campaign(root)
    result = run_compare(data, baseline=HICRA, candidate=SEPA, metrics=["correct_rate"], **FAST)
    report = compare_report(result)
    titles = [s.title for s in report.sections]
    # issue 14: the curves come before the tests (was: significance right after the summary)
    assert titles[:2] == ["Summary", "Learning curves"] and titles[2].startswith("Significance")
    assert "Learning curves" in titles
    curves = next(s for s in report.sections if s.title == "Learning curves")
    (figure,) = curves.figures
    lines = [t for t in figure.data if t.mode == "lines"]
    bands = [t for t in figure.data if t.fill == "toself"]
    assert len(lines) == 2 and len(bands) == 2
    assert all(len(t.x) <= MAX_POINTS for t in lines)
    assert all(len(t.x) <= 2 * MAX_POINTS for t in bands)
    assert lines[0].x[0] == 0 and lines[0].x[-1] == 1_199
    forest = next(s for s in report.sections if s.title.startswith("Significance")).figures[0]
    assert any(shape.x0 == 0 and shape.x1 == 0 for shape in forest.layout.shapes)  # zero line
    html = report.to_html()
    assert len(html) < 6_000_000  # plotly.js (~4.6 MB) plus thinned data


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5_000), limit=st.integers(2, 600))
def test_thin_indices_keep_ends_and_bound_the_count(n: int, limit: int) -> None:
    idx = thin_indices(n, limit)
    assert len(idx) <= max(limit, 1) or n <= limit
    assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)
    if n <= limit:
        np.testing.assert_array_equal(idx, np.arange(n))


def test_dopamine_subset_workflow_defaults_to_across_tasks() -> None:
    data = load_dopamine_subset()
    result = run_compare(
        data, baseline="DQN", candidate="Rainbow", window="last:10", across_resamples=1_000, **FAST
    )
    assert len(result.tasks) == 6 and result.metrics == ("value",)
    assert [c.task for c in result.significance.comparisons] == list(result.tasks)
    (across,) = result.across_tasks
    assert across.tasks == result.tasks
    pairs = [(r["x"], r["y"]) for r in across.improvement.iter_rows(named=True)]
    assert pairs == [("C51", "DQN"), ("Rainbow", "DQN")]  # P(X > baseline)
    markdown = compare_report(result).to_markdown()
    assert "## Across tasks: `value`" in markdown


def test_run_compare_demo_writes_compare_folder(tmp_path: Path) -> None:
    text = run_compare_demo(tmp_path / "demo", seed=0, n_resamples=500)
    folder = tmp_path / "demo" / "compare"
    assert sorted(p.name for p in folder.iterdir()) == ["report.html", "results.json", "summary.md"]
    assert "Rainbow vs DQN" in text and "IQM" in text
    document = json.loads((folder / "results.json").read_text())
    assert document["significance"]["baseline"] == "DQN"
    with pytest.raises(InputError, match="not empty"):
        run_compare_demo(tmp_path / "demo")
    run_compare_demo(tmp_path / "demo", force=True, n_resamples=200)
