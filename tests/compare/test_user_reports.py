"""Reproductions of what users hit with ``compare`` (issues 8, 9, 10), each kept as a test.

Every CLI case runs the real command on the shipped Dopamine subset or on a slice of the shared
Dopamine table (``../shared/data``); the API cases pin the behaviour behind them.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from analysis_data import campaign, dopamine_path, long_frame
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from typer.testing import CliRunner

import measurand.compare as mc
from measurand.cli import app
from measurand.compare import CompareOptions, across_tasks, run_compare, significance
from measurand.compare._pairwise import DISAGREEMENT_NOTE
from measurand.compare._rules import parse_rules
from measurand.compare._statistics import fewest_per_arm, smallest_pvalue
from measurand.datasets import dopamine_subset as load_dopamine_subset
from measurand.errors import InputError
from measurand.io._frames import RunData
from measurand.report.compare import compare_report

DEMO = Path(__file__).resolve().parents[2] / "src" / "measurand" / "data" / "dopamine_subset.csv.gz"
COLUMNS = [
    "--condition-col",
    "agent",
    "--seed-col",
    "run",
    "--task-col",
    "game",
    "--step-col",
    "iteration",
    "--value-col",
    "value",
]
FAST_CLI = ["--permutations", "500", "--resamples", "300", "--across-resamples", "300"]
FAST = {"permutation_resamples": 500, "n_resamples": 300, "across_resamples": 300}


def _cli(*args: object):
    return CliRunner().invoke(app, ["compare", *[str(a) for a in args]])


def _shared_slice(path: Path, agents: set[str], games: set[str], max_step: int = 40) -> Path:
    """Rows of the shared Dopamine table for ``agents`` x ``games`` (iterations < max_step)."""
    source = dopamine_path()
    if not source.exists():
        pytest.skip(f"shared Dopamine data not found at {source}")
    with gzip.open(source, "rt", newline="") as fh, path.open("w", newline="") as out:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        for row in reader:
            if row["agent"] in agents and row["game"] in games:
                if float(row["iteration"]) < max_step:
                    writer.writerow(row)
    return path


# ------------------------------------------------------------------ issue 9.1: lower is better


def _loss_table(rng_seed: int = 0) -> pl.DataFrame:
    """``good`` has the lower loss on every task, ``bad`` the higher, ``mid`` in between."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for task, scale in (("t0", 1.0), ("t1", 5.0), ("t2", 0.2), ("t3", 2.0)):
        for cond, level in (("bad", 3.0), ("mid", 2.0), ("good", 1.0)):
            for seed in range(5):
                value = scale * (level + rng.normal(0, 0.2))
                rows.append((cond, str(seed), task, None, "loss", float(value)))
    return long_frame(rows)


@pytest.fixture(scope="module")
def loss_results():
    data = RunData(frame=_loss_table(), source="loss.csv")
    kwargs = {"metric": "loss", "n_resamples": 2_000, "profile_resamples": 500, "seed": 1}
    lower = across_tasks(data, higher_is_better=False, **kwargs)
    negated = RunData(frame=_loss_table().with_columns(-pl.col("value")), source="negated.csv")
    flipped = across_tasks(negated, **kwargs)
    return lower, flipped


@pytest.mark.parametrize("aggregate", ["iqm", "mean", "median"])
def test_lower_is_better_ranks_the_lowest_loss_best(loss_results, aggregate) -> None:
    lower, flipped = loss_results
    frame = lower.aggregates.filter(pl.col("metric") == aggregate)
    value = dict(zip(frame["condition"], frame["estimate"], strict=True))
    assert value["good"] > value["mid"] > value["bad"]
    # the same numbers as higher-is-better on the negated scores (min-max of -x)
    other = flipped.aggregates.filter(pl.col("metric") == aggregate)
    assert frame["estimate"].to_list() == pytest.approx(other["estimate"].to_list(), abs=1e-12)
    assert frame["ci_low"].to_list() == pytest.approx(other["ci_low"].to_list(), abs=1e-12)


def test_lower_is_better_optimality_gap_is_smallest_for_the_lowest_loss(loss_results) -> None:
    lower, _ = loss_results
    frame = lower.aggregates.filter(pl.col("metric") == "optimality_gap")
    gap = dict(zip(frame["condition"], frame["estimate"], strict=True))
    assert gap["good"] < gap["mid"] < gap["bad"]


def test_lower_is_better_probability_of_improvement(loss_results) -> None:
    lower, flipped = loss_results
    probability = {
        (x, y): p for x, y, p in lower.improvement.select("x", "y", "probability").iter_rows()
    }
    # P(X > Y) is "X is better": the higher loss is never better
    assert probability[("bad", "good")] == pytest.approx(0.0)
    assert probability[("mid", "good")] == pytest.approx(0.0)
    assert probability[("bad", "mid")] == pytest.approx(0.0)
    assert lower.improvement["probability"].to_list() == pytest.approx(
        flipped.improvement["probability"].to_list(), abs=1e-12
    )


def test_lower_is_better_performance_profile(loss_results) -> None:
    lower, flipped = loss_results
    assert np.all(lower.profiles["good"] >= lower.profiles["bad"])
    assert lower.profiles["good"].sum() > lower.profiles["bad"].sum()
    np.testing.assert_allclose(lower.profiles["good"], flipped.profiles["good"])


def test_lower_is_better_reference_and_raw_scores() -> None:
    data = RunData(frame=_loss_table(), source="loss.csv")
    reference = {t: (0.0, 10.0) for t in ("t0", "t1", "t2", "t3")}  # low = the good end
    item = across_tasks(
        data,
        metric="loss",
        normalization="reference",
        reference=reference,
        higher_is_better=False,
        n_resamples=200,
        profile_resamples=100,
    )
    per_task = item.per_task.filter(pl.col("condition") == "good")
    np.testing.assert_allclose(per_task["normalized"], (10.0 - per_task["mean"]) / 10.0)
    raw = across_tasks(
        data,
        metric="loss",
        normalization=None,
        higher_is_better=False,
        n_resamples=200,
        profile_resamples=100,
    )
    assert any("negated" in note for note in raw.notes)
    iqm = raw.aggregates.filter(pl.col("metric") == "iqm").sort("estimate", descending=True)
    assert iqm["condition"][0] == "good"


def test_cli_lower_is_better_summary_names_the_lowest_loss(tmp_path: Path) -> None:
    table = _loss_table().with_columns(
        pl.col("value").alias("loss"), (-pl.col("value")).alias("acc")
    )
    path = tmp_path / "runs.csv"
    table.select("condition", "seed", "task", "acc", "loss").write_csv(path)
    out = tmp_path / "report"
    result = _cli(
        path, "--condition-col", "condition", "--seed-col", "seed", "--task-col", "task",
        "--value-col", "acc", "--value-col", "loss", "--lower-is-better", "lo*", "-o", out,
        *FAST_CLI,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = (out / "summary.md").read_text()
    assert "`loss` (lower raw scores are better): best IQM `good`" in summary
    assert "`acc`: best IQM `good`" in summary


# ------------------------------------------------------------------ issue 9.3: CI vs p


@pytest.fixture(scope="module")
def demo_result():
    return run_compare(
        load_dopamine_subset(), baseline="DQN", candidate="Rainbow", window="last:10", **FAST
    )


def test_ci_excluding_zero_next_to_a_large_p_is_explained(demo_result) -> None:
    breakout = demo_result.significance.comparison("value", "breakout")
    assert breakout.ci.low > 0 and breakout.pvalue > 0.05
    assert breakout.verdict == "insufficient_evidence"
    note = next(n for n in breakout.notes if "excludes 0" in n)
    assert "the permutation test decides" in note
    assert DISAGREEMENT_NOTE in demo_result.significance.warnings
    summary = compare_report(demo_result).to_markdown()
    assert "CI and p disagree for 1 comparison(s)" in summary
    assert "**and** the bootstrap CI excludes 0" in summary


def test_cli_demo_prints_the_disagreement() -> None:
    result = _cli(DEMO, *COLUMNS, "-b", "DQN", "-c", "Rainbow", "-w", "last:10", *FAST_CLI)
    assert result.exit_code == 0, result.output
    assert "value / breakout: the 95% bootstrap CI" in result.output


# ------------------------------------------------------------------ issue 9.4: all pairs


def test_all_pairs_warns_when_no_pair_can_be_significant(tmp_path: Path) -> None:
    four = tmp_path / "four.csv"
    pl.read_csv(DEMO).filter(pl.col("run") < 4).write_csv(four)
    result = _cli(four, *COLUMNS, "--all-pairs", "-w", "last:10", "--no-across-tasks", *FAST_CLI)
    assert result.exit_code == 0, result.output
    assert "no pair can be significant" in result.output
    # 4 vs 4 seeds: 2 / C(8, 4) = 0.0286; Holm over 3 pairs: 0.0857 (the number)
    assert "0.0286" in result.output and "0.0857" in result.output


# ------------------------------------------------------------------ issue 9.5: power advice


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.1, 0.001])
def test_fewest_seeds_is_where_the_permutation_test_first_reaches_alpha(alpha) -> None:
    n = fewest_per_arm(alpha, 20_000)
    assert smallest_pvalue(True, math.comb(2 * n, n)) < alpha
    assert smallest_pvalue(True, math.comb(2 * (n - 1), n - 1)) >= alpha or n == 2


def test_power_advice_never_below_what_the_permutation_test_can_use(demo_result) -> None:
    assert fewest_per_arm(0.05, 20_000) == 4  # 2 / C(8, 4) = 0.029; 2 / C(6, 3) = 0.1
    for item in demo_result.significance.comparisons:
        assert item.n_per_arm_observed is None or item.n_per_arm_observed >= 4
    asterix = demo_result.significance.comparison("value", "asterix")
    assert asterix.n_per_arm_observed == 4  # the t test alone says 2
    assert any("raised from 2 (t-test power) to 4" in n for n in asterix.notes)


# ------------------------------------------------------------------ issue 9.6 and 9.7


def test_window_all_says_it_includes_the_start_of_training() -> None:
    data = load_dopamine_subset()
    result = run_compare(data, baseline="DQN", candidate="Rainbow", **FAST)
    note = next(w for w in result.warnings if w.startswith("window 'all'"))
    assert "start of training" in note and "--window last:19" in note
    assert "Window `all` averages every step" in compare_report(result).to_markdown()
    late = run_compare(data, baseline="DQN", candidate="Rainbow", window="last:10", **FAST)
    assert not any(w.startswith("window 'all'") for w in late.warnings)


def test_many_per_task_verdicts_say_how_many_were_tested(demo_result) -> None:
    note = next(w for w in demo_result.warnings if "tasks were tested" in w)
    comparisons = demo_result.significance.comparisons
    holm = multipletests([c.pvalue for c in comparisons], alpha=0.05, method="holm")[1]
    kept = sum(
        p < 0.05 and c.verdict != "insufficient_evidence"
        for p, c in zip(holm, comparisons, strict=True)
    )
    significant = sum(c.verdict != "insufficient_evidence" for c in comparisons)
    assert "value: 6 tasks were tested" in note
    assert f"{significant} verdict(s) are significant unadjusted, {kept} after a Holm" in note
    assert "6 tasks were tested one by one" in compare_report(demo_result).to_markdown()


# ------------------------------------------------------------------ issue 9.8: rule typo


def test_rule_typo_names_the_table_and_suggests_the_key(tmp_path: Path) -> None:
    body = {"baseline": "DQN", "candidate": "Rainbow", "checks": ["lift(value) > 0"]}
    with pytest.raises(InputError, match=r"\[evidence\]: unknown key\(s\) \['min_seeds'\]") as e:
        parse_rules({**body, "evidence": {"min_seeds": 3}}, source="rules.toml")
    assert "did you mean 'min_runs_per_arm'" in str(e.value)
    with pytest.raises(InputError, match="did you mean 'weight' for 'wieght'"):
        parse_rules({**body, "checks": [{"expr": "lift(value) > 0", "wieght": "runs"}]})
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'baseline = "DQN"\ncandidate = "Rainbow"\nchecks = ["lift(value) > 0"]\n'
        "[evidence]\nmin_seeds = 3\n"
    )
    result = _cli(DEMO, *COLUMNS, "--rules", rules)
    assert result.exit_code == 2
    assert "rules.toml: [evidence]: unknown key(s) ['min_seeds']" in result.output


# ------------------------------------------------------------------ issue 9.11, 9.13, 9.14


def test_ragged_warning_names_only_the_selected_conditions(tmp_path: Path) -> None:
    path = _shared_slice(
        tmp_path / "ragged.csv",
        {"DQN", "Rainbow", "IQN", "QR-DQN"},
        {"atlantis_Impala", "bowling_Impala"},
        max_step=1_000,
    )
    everything = _cli(path, *COLUMNS, "-b", "DQN", "-c", "Rainbow", "-w", "last:10", *FAST_CLI)
    assert "IQN / atlantis_Impala" in everything.output  # the reproduction
    result = _cli(
        path, *COLUMNS, "--conditions", "DQN,Rainbow", "-b", "DQN", "-c", "Rainbow",
        "-w", "last:10", *FAST_CLI,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "IQN" not in result.output and "QR-DQN" not in result.output
    assert "Rainbow / bowling_Impala" in result.output


def test_duplicate_row_error_names_cli_flags(tmp_path: Path) -> None:
    path = tmp_path / "no-steps.csv"
    pl.read_csv(DEMO).write_csv(path)
    result = _cli(path, "--condition-col", "agent", "--seed-col", "run", "--value-col", "value")
    assert result.exit_code == 2
    assert "name it with --task-col or --step-col" in result.output
    assert "pass it as task=" not in result.output


def test_named_pair_implies_the_conditions_of_the_across_task_aggregates(tmp_path: Path) -> None:
    path = _shared_slice(
        tmp_path / "mixed.csv", {"DQN", "Rainbow", "C51", "SAC"}, {"pong", "breakout", "hopper"}
    )
    result = _cli(path, *COLUMNS, "-b", "DQN", "-c", "Rainbow", "-w", "last:10", *FAST_CLI)
    assert result.exit_code == 0, result.output  # was: "no task is shared by every condition"
    assert "left out (fewer tasks): SAC" in result.output
    assert "P(C51 > DQN)" in result.output and "P(Rainbow > DQN)" in result.output


# ------------------------------------------------------------------ issue 10.7 and 10.9


def test_lower_is_better_pattern_matching_nothing_is_an_error() -> None:
    result = _cli(DEMO, *COLUMNS, "-b", "DQN", "-c", "Rainbow", "--lower-is-better", "los")
    assert result.exit_code == 2
    assert "--lower-is-better 'los' matches no metric; available: value" in result.output
    with pytest.raises(InputError, match=r"higher_is_better names metric\(s\) \['loss'\]"):
        run_compare(load_dopamine_subset(), higher_is_better={"loss": False}, **FAST)


SHUFFLE_DATA = RunData(
    source="shuffle",
    frame=pl.concat(
        campaign(
            {"base": 0.5, "cand": 0.55, "other": 0.52}, n_seeds=5, n_steps=12, task=t, rng_seed=k
        ).frame
        for k, t in enumerate(("t0", "t1"))
    ),
)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(order=st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_numbers(order) -> None:
    frame = SHUFFLE_DATA.frame
    rows = list(range(frame.height))
    order.shuffle(rows)
    shuffled = RunData(frame=frame[rows], source="shuffle")
    options = {"baseline": "base", "candidate": "cand", "metrics": "correct_rate"}
    fast = {"permutation_resamples": 300, "n_resamples": 300, "window": "4:12", "seed": 3}
    fast["hierarchical"] = order.random() < 0.5
    one = significance(SHUFFLE_DATA, **options, **fast)
    two = significance(shuffled, **options, **fast)
    # the same numbers for every task (tasks are listed in order of first appearance)
    by_task = [{c["task"]: c for c in r.to_dict()["comparisons"]} for r in (one, two)]
    assert by_task[0] == by_task[1]
    kwargs = {"metric": "correct_rate", "n_resamples": 300, "profile_resamples": 100, "seed": 3}
    kwargs["conditions"] = ["base", "cand", "other"]  # the pairs' orientation is display order
    a, b = across_tasks(SHUFFLE_DATA, **kwargs), across_tasks(shuffled, **kwargs)
    assert a.aggregates.sort("condition", "metric").equals(b.aggregates.sort("condition", "metric"))
    assert a.improvement.equals(b.improvement)


# ------------------------------------------------------------------ issue 8


def test_options_object_and_keywords_give_the_same_result() -> None:
    data = load_dopamine_subset()
    options = CompareOptions(
        baseline="DQN", candidate="Rainbow", window="last:10", confidence_level=0.9, **FAST
    )
    by_object = run_compare(data, options).to_dict()
    by_keywords = run_compare(
        data, baseline="DQN", candidate="Rainbow", window="last:10", confidence_level=0.9, **FAST
    ).to_dict()
    with pytest.warns(DeprecationWarning, match="alpha"):
        old = run_compare(
            data,
            baseline="DQN",
            candidate="Rainbow",
            window="last:10",
            alpha=0.1,
            n_permutations=500,
            n_resamples=300,
            across_resamples=300,
        ).to_dict()
    for document in (by_keywords, old):
        document.pop("measurand_version")
    by_object.pop("measurand_version")
    assert by_object == by_keywords == old
    assert by_object["settings"]["alpha"] == 0.1


def test_old_keywords_are_accepted_with_a_warning() -> None:
    data = campaign({"base": 0.5, "cand": 0.6}, n_seeds=4, n_steps=6, rng_seed=2)
    common = {"baseline": "base", "candidate": "cand", "metrics": "correct_rate", "seed": 0}
    new = significance(data, confidence_level=0.9, permutation_resamples=200, **common)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = significance(data, alpha=0.1, n_permutations=200, **common)
    assert {type(w.message) for w in caught} == {DeprecationWarning}
    assert old.to_dict() == new.to_dict()
    with pytest.raises(InputError, match="both alpha= and confidence_level="):
        significance(data, alpha=0.1, confidence_level=0.9, **common)


def test_run_compare_reduces_the_input_once_per_window(monkeypatch) -> None:
    import measurand.compare.workflow as workflow

    calls = []
    original = workflow.run_table

    def counting(*args, **kwargs):
        calls.append(kwargs.get("keep_values"))
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "run_table", counting)
    run_compare(load_dopamine_subset(), baseline="DQN", candidate="Rainbow", **FAST)
    assert len(calls) == 1  # significance and the across-task aggregates share one table


def test_no_package_attribute_shadows_a_submodule() -> None:
    for name in mc.__all__:
        if callable(getattr(mc, name)) and not isinstance(getattr(mc, name), type):
            assert importlib.util.find_spec(f"measurand.compare.{name}") is None, name
    assert callable(mc.significance) and callable(mc.across_tasks)


# ------------------------------------------------------------------ issue 14: readable report


def _many_tasks(n_tasks: int = 60) -> RunData:
    rng = np.random.default_rng(4)
    rows = []
    for k in range(n_tasks):
        for cond, lift in (("base", 0.0), ("cand", 0.05 * (k % 7))):
            for seed in range(5):
                offset = rng.normal(0, 0.05)
                for step in range(20):
                    value = 0.5 + lift + offset + rng.normal(0, 0.02)
                    rows.append((cond, str(seed), f"task{k:03d}", step, "score", value))
    return RunData(frame=long_frame(rows), source="many.csv")


def test_report_of_many_tasks_stays_short_and_readable() -> None:
    result = run_compare(_many_tasks(), baseline="base", candidate="cand", window="last:5", **FAST)
    report = compare_report(result)
    titles = [s.title for s in report.sections]
    assert titles.index("Learning curves") < titles.index("Significance: `cand` vs `base`")
    curves = next(s for s in report.sections if s.title == "Learning curves").figures[0]
    assert curves.layout.yaxis.title.text == "score"  # y axis labelled with the metric
    assert curves.layout.legend.yref == "container" and curves.layout.legend.y == 0
    section = next(s for s in report.sections if s.title.startswith("Significance"))
    forest = section.figures[0]
    labels = {y for trace in forest.data for y in (trace.y or ()) if trace.xaxis != "x2"}
    assert len(labels) == 30  # the 30 largest |d| of 60 tasks
    assert forest.layout.xaxis2.side == "top" and forest.layout.xaxis2.matches == "x"
    assert any("30 rows with the largest |d| of 60" in block for block in section.blocks)
    # every figure together stays well below a 10,000 px page
    heights = [fig.layout.height for s in report.sections for fig in s.figures]
    assert sum(heights) < 5_000
    # the legend sits at the bottom of the figure, not over the plotly toolbar (top right)
    assert forest.layout.legend.yref == "container" and forest.layout.legend.yanchor == "bottom"
