"""Tests for measurand.compare.litmus: rule files, check expressions, statuses, exit codes.

References: arm values are recomputed in the tests with plain Python from the JSON records the
campaign fixture wrote (the standard library's ``json`` reads them back), independently of the
polars code under test; the p-value of a ``significant(...)`` check is compared with
``scipy.stats.permutation_test`` (exact enumeration over the seed means).
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from campaign_fixtures import HICRA, SEPA, count_records, run_records, write_campaign
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from measurand.cli import app
from measurand.compare.litmus import (
    LitmusRules,
    ParsedCheck,
    evaluate_litmus,
    load_rules,
    parse_check,
    parse_rules,
    shipped_rules,
)
from measurand.errors import InputError
from measurand.io.campaign import read_campaign

RULES_DIR = Path(__file__).resolve().parents[2] / "src" / "measurand" / "rules"

# ----------------------------------------------------------------------------- parse_check


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "lift(correct_rate) >= 0.005",
            ParsedCheck("threshold", "correct_rate", "lift", False, ">=", 0.005),
        ),
        (
            "rel_lift(mean_reward)>-1e-2",
            ParsedCheck("threshold", "mean_reward", "rel_lift", False, ">", -0.01),
        ),
        ("candidate(x) <= 3", ParsedCheck("threshold", "x", "candidate", False, "<=", 3.0)),
        ("baseline(x) < .5", ParsedCheck("threshold", "x", "baseline", False, "<", 0.5)),
        (
            "abs(rel_lift(plan_entropy_var)) <= 0.10",
            ParsedCheck("threshold", "plan_entropy_var", "rel_lift", True, "<=", 0.1),
        ),
        ("lift(a) ≥ 1", ParsedCheck("threshold", "a", "lift", False, ">=", 1.0)),
        (
            'lift("train/rewards correct") >= 0',
            ParsedCheck("threshold", "train/rewards correct", "lift", False, ">=", 0.0),
        ),
        (
            "lift(train/rewards/correct_rate) >= 0",
            ParsedCheck("threshold", "train/rewards/correct_rate", "lift", False, ">=", 0.0),
        ),
        (
            "exec_entropy_var: candidate < baseline",
            ParsedCheck("direction", "exec_entropy_var", "lift", False, "<", 0.0),
        ),
        # "baseline < candidate" is stored as "candidate > baseline".
        (
            "exec_entropy_var: baseline < candidate",
            ParsedCheck("direction", "exec_entropy_var", "lift", False, ">", 0.0),
        ),
        ("x: baseline >= candidate", ParsedCheck("direction", "x", "lift", False, "<=", 0.0)),
        (
            "significant(correct_rate)",
            ParsedCheck("significance", "correct_rate", direction="higher"),
        ),
        ("significant(v, lower)", ParsedCheck("significance", "v", direction="lower")),
    ],
)
def test_parse_check_forms(text: str, expected: ParsedCheck) -> None:
    assert parse_check(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("lift(x)", "expected a comparison"),
        ("lift(x) >= ", "expected a number"),
        ("lift(x) >= abc", "expected a number"),
        ("lift(x) = 0.1", "unexpected text"),
        ("lift(x) == 0.1", "unexpected text"),
        ("mean(x) >= 1", "unknown function 'mean'"),
        ("abs(candidate(x)) <= 1", "abs(...) applies to lift"),
        ("lift(x) >= 1 and lift(y) >= 1", "unexpected 'and'"),
        ("x: candidate < candidate", "compares candidate with baseline"),
        ("x: treatment < baseline", "expected 'candidate' or 'baseline'"),
        ("significant(x, sideways)", "expected 'higher' or 'lower'"),
        ("lift(x >= 1", "expected ')'"),
        ("__import__('os') >= 1", "unexpected text"),
        ('lift("") >= 1', "empty quoted"),
    ],
)
def test_parse_check_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_check(text)


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_./]{0,12}", fullmatch=True).filter(
    lambda n: n not in ("abs", "significant", "lift", "rel_lift", "candidate", "baseline")
)


@settings(max_examples=60, deadline=None)
@given(
    metric=_names,
    quantity=st.sampled_from(["lift", "rel_lift", "candidate", "baseline"]),
    op=st.sampled_from([">=", ">", "<=", "<"]),
    threshold=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    spaces=st.sampled_from(["", " ", "  "]),
)
def test_parse_check_round_trip(
    metric: str, quantity: str, op: str, threshold: float, spaces: str
) -> None:
    text = f"{quantity}({spaces}{metric}{spaces}){spaces}{op}{spaces}{threshold!r}"
    parsed = parse_check(text)
    assert (parsed.kind, parsed.metric, parsed.quantity) == ("threshold", metric, quantity)
    assert parsed.operator == op
    assert parsed.threshold == threshold


# ----------------------------------------------------------------------------- rule files


def write_rules(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


GOOD_RULES = f"""
    name = "gate"
    baseline = "{HICRA}"
    candidate = "{SEPA}"
    window = "last:20"

    [evidence]
    min_runs_per_arm = 3
    min_steps_per_run = 10
    min_completions_per_run = 100

    [[checks]]
    name = "accuracy"
    expr = "lift(correct_rate) >= 0.01"
    weight = "generations"

    [[checks]]
    expr = "exec_entropy_var: candidate < baseline"
"""


def test_load_rules_reads_every_field(tmp_path: Path) -> None:
    rules = load_rules(write_rules(tmp_path, GOOD_RULES))
    assert isinstance(rules, LitmusRules)
    assert (rules.name, rules.baseline, rules.candidate, rules.window) == (
        "gate",
        HICRA,
        SEPA,
        "last:20",
    )
    assert (rules.evidence.min_runs_per_arm, rules.evidence.min_steps_per_run) == (3, 10)
    assert rules.evidence.min_completions_per_run == 100
    assert [c.name for c in rules.checks] == ["accuracy", "exec_entropy_var: candidate < baseline"]
    assert [c.weight for c in rules.checks] == ["generations", "runs"]
    assert [c.index for c in rules.checks] == [1, 2]
    assert rules.metrics() == ["correct_rate", "exec_entropy_var"]
    assert rules.source.endswith("rules.toml")


def test_shipped_sepa_vs_hicra_rules_parse() -> None:
    rules = load_rules(RULES_DIR / "sepa_vs_hicra.toml")
    assert (rules.baseline, rules.candidate) == ("maxrl+gtpo_hicra", "maxrl+gtpo_sepa")
    exprs = [c.expression for c in rules.checks]
    assert "lift(correct_rate) >= 0.005" in exprs
    assert "lift(mean_reward) >= 0.01" in exprs
    assert "exec_entropy_var: candidate < baseline" in exprs


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ('colour = "red"\nchecks = ["lift(x) > 0"]', "top level", "unknown key(s) ['colour']"),
        ('baseline = "a"', "top level", "no [[checks]]"),
        ("checks = []", "top level", "non-empty list"),
        ('checks = ["lift(x) >"]', "check 1", "cannot parse 'lift(x) >'"),
        (
            'checks = ["lift(x) > 0", "mean(y) > 0"]',
            "check 2",
            "unknown function 'mean'",
        ),
        ('[[checks]]\nname = "n"\nweight = "runs"', "check 1 ('n')", "missing expr"),
        (
            '[[checks]]\nname = "acc"\nexpr = "lift(x) > 0"\nweight = "episodes"',
            "check 1 ('acc')",
            "weight must be one of runs, steps, generations",
        ),
        (
            '[[checks]]\nexpr = "lift(x) > 0"\nthreshold = 3',
            "check 1",
            "unknown key(s) ['threshold']",
        ),
        (
            '[[checks]]\nname = "a"\nexpr = "lift(x) > 0"\n'
            '[[checks]]\nname = "a"\nexpr = "lift(y) > 0"',
            "check 2 ('a')",
            "two checks are named 'a'",
        ),
        ('alpha = 1.5\nchecks = ["lift(x) > 0"]', "top level", "alpha must be a number in (0, 1)"),
        (
            'checks = ["lift(x) > 0"]\n[evidence]\nmin_runs_per_arm = -1',
            "[evidence]",
            "min_runs_per_arm must be an integer >= 0",
        ),
        (
            'checks = ["lift(x) > 0"]\n[evidence]\nmin_seeds = 3',
            "[evidence]",
            "unknown key(s) ['min_seeds']",
        ),
        (
            'baseline = "a"\ncandidate = "a"\nchecks = ["lift(x) > 0"]',
            "top level",
            "same condition",
        ),
        ("checks = [3]", "check 1", "must be an expression string or a table"),
        ('window = "last100"\nchecks = ["lift(x) > 0"]', "top level", "cannot read window"),
    ],
)
def test_bad_rules_name_file_and_rule(tmp_path: Path, body: str, where: str, message: str) -> None:
    path = write_rules(tmp_path, body, name="bad_rules.toml")
    with pytest.raises(InputError) as info:
        load_rules(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {where}:"), text
    assert message in text


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"bad\.toml: not valid TOML"):
        load_rules(write_rules(tmp_path, "checks = [", name="bad.toml"))
    with pytest.raises(InputError, match=r"rule file not found \(shipped rule files: .*sepa_vs"):
        load_rules(tmp_path / "absent.toml")


def test_shipped_rules_load_by_name() -> None:
    assert "sepa_vs_hicra" in shipped_rules()
    by_name = load_rules("sepa_vs_hicra")
    assert by_name == load_rules(RULES_DIR / "sepa_vs_hicra.toml")
    assert load_rules("sepa_vs_hicra.toml").checks == by_name.checks


# ----------------------------------------------------------------------------- evaluation


def window_values(records: list[dict], metric: str, last: int) -> list[tuple[int, float]]:
    final = max(r["step"] for r in records)
    return [(r["step"], r[metric]) for r in records if r["step"] > final - last and metric in r]


def reference_arm(root: Path, condition: str, metric: str, last: int, weight: str) -> float:
    """The arm value recomputed with plain Python from the written records."""
    runs = {k: v for k, v in run_records(root).items() if k[0] == condition}
    if weight == "runs":
        means = [np.mean([v for _, v in window_values(r, metric, last)]) for r in runs.values()]
        return float(np.mean(means))
    if weight == "steps":
        return float(np.mean([v for r in runs.values() for _, v in window_values(r, metric, last)]))
    counts = count_records(root)
    num = den = 0.0
    for key, records in runs.items():
        totals = {c["step"]: c["total_count"] for c in counts[key]}
        for step, value in window_values(records, metric, last):
            num += value * totals[step]
            den += totals[step]
    return num / den


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("litmus") / "camp"
    return write_campaign(
        root,
        seeds=(1, 2, 3, 4),
        n_steps=40,
        lift={SEPA: 0.15},
        exec_entropy_var={SEPA: 0.5},
        skip_steps=(33, 37),
        short_runs={(HICRA, "3"): 36},
        batch_size=4,
        varying_totals=True,
    )


def rules_for(checks: list[str | dict], **top: object) -> LitmusRules:
    mapping: dict[str, object] = {"baseline": HICRA, "candidate": SEPA, "window": "last:20"}
    mapping.update(top)
    mapping["checks"] = checks
    return parse_rules(mapping, source="test.toml")


def test_the_three_weights_differ_on_the_fixture(campaign: Path) -> None:
    values = {
        w: reference_arm(campaign, HICRA, "correct_rate", 20, w)
        for w in ("runs", "steps", "generations")
    }
    assert len({round(v, 12) for v in values.values()}) == 3


@pytest.mark.parametrize("weight", ["runs", "steps", "generations"])
def test_lift_matches_plain_python_for_each_weight(campaign: Path, weight: str) -> None:
    data = read_campaign(campaign)
    result = evaluate_litmus(
        data, rules_for([{"expr": "lift(correct_rate) >= 0.01", "weight": weight}])
    )
    check = result.checks[0]
    base = reference_arm(campaign, HICRA, "correct_rate", 20, weight)
    cand = reference_arm(campaign, SEPA, "correct_rate", 20, weight)
    assert check.baseline_value == pytest.approx(base, rel=1e-12)
    assert check.candidate_value == pytest.approx(cand, rel=1e-12)
    assert check.observed == pytest.approx(cand - base, rel=1e-12)
    assert check.passed is (cand - base >= 0.01)
    assert check.weight == weight


def test_generation_weight_is_pooled_correct_over_total(campaign: Path) -> None:
    data = read_campaign(campaign)
    result = evaluate_litmus(
        data, rules_for([{"expr": "candidate(correct_rate) > 0", "weight": "generations"}])
    )
    counts = count_records(campaign)
    runs = run_records(campaign)
    correct = total = 0
    for key, records in runs.items():
        if key[0] != SEPA:
            continue
        steps = {s for s, _ in window_values(records, "correct_rate", 20)}
        for c in counts[key]:
            if c["step"] in steps:
                correct += c["correct_count"]
                total += c["total_count"]
    assert result.checks[0].observed == pytest.approx(correct / total, rel=1e-12)


def test_confirmed_when_evidence_met_and_all_pass(campaign: Path) -> None:
    data = read_campaign(campaign)
    rules = rules_for(
        [
            "lift(correct_rate) >= 0.01",
            "exec_entropy_var: candidate < baseline",
            "abs(rel_lift(plan_entropy_var)) <= 0.1",
        ],
        evidence={"min_runs_per_arm": 4, "min_steps_per_run": 15, "min_completions_per_run": 200},
    )
    result = evaluate_litmus(data, rules)
    assert result.status == "CONFIRMED"
    assert result.evidence_met
    assert all(c.passed for c in result.checks)
    evidence = {e.requirement: e for e in result.evidence}
    assert evidence["runs per arm"].observed == 4
    # The short run (HICRA seed 3: steps 0..35) logs 20 window steps: 16..35.
    # Every other run skips steps 33 and 37 inside its window 20..39: 18 steps.
    assert evidence["steps per run"].observed == 18
    counts = count_records(campaign)
    fewest = min(
        sum(
            c["total_count"] for c in counts[key] if c["step"] in dict(window_values(r, "loss", 20))
        )
        for key, r in run_records(campaign).items()
        if key[0] in (HICRA, SEPA)
    )
    assert evidence["completions per run"].observed == fewest
    direction = result.checks[1]
    ref = reference_arm(campaign, SEPA, "exec_entropy_var", 20, "runs") - reference_arm(
        campaign, HICRA, "exec_entropy_var", 20, "runs"
    )
    assert direction.observed == pytest.approx(ref, rel=1e-12)
    assert (direction.operator, direction.threshold) == ("<", 0.0)


def test_failed_when_a_check_fails(campaign: Path) -> None:
    data = read_campaign(campaign)
    result = evaluate_litmus(
        data, rules_for(["lift(correct_rate) >= 0.5", "exec_entropy_var: candidate < baseline"])
    )
    assert result.status == "FAILED"
    assert [c.passed for c in result.checks] == [False, True]
    assert any("check 1" in reason for reason in result.reasons)


@pytest.mark.parametrize(
    ("evidence", "requirement"),
    [
        ({"min_runs_per_arm": 5}, "runs per arm"),
        ({"min_steps_per_run": 19}, "steps per run"),
        ({"min_completions_per_run": 10_000}, "completions per run"),
    ],
)
def test_inconclusive_when_evidence_short(
    campaign: Path, evidence: dict[str, int], requirement: str
) -> None:
    data = read_campaign(campaign)
    # The checks would fail: evidence gating wins over the checks.
    result = evaluate_litmus(data, rules_for(["lift(correct_rate) >= 0.5"], evidence=evidence))
    assert result.status == "INCONCLUSIVE"
    assert not result.evidence_met
    unmet = [e.requirement for e in result.evidence if not e.met]
    assert unmet == [requirement]
    assert result.checks[0].passed is False  # still evaluated and reported


def test_inconclusive_without_completion_counts(tmp_path: Path) -> None:
    root = write_campaign(tmp_path / "c", emergence=False, lift={SEPA: 0.2})
    data = read_campaign(root)
    result = evaluate_litmus(
        data,
        rules_for(["lift(correct_rate) >= 0.01"], evidence={"min_completions_per_run": 1}),
    )
    assert result.status == "INCONCLUSIVE"
    item = next(e for e in result.evidence if e.requirement == "completions per run")
    assert item.observed is None and "no completion counts" in item.detail


def test_inconclusive_when_a_check_cannot_be_evaluated(tmp_path: Path) -> None:
    import dataclasses

    import polars as pl

    root = write_campaign(tmp_path / "c")
    data = read_campaign(root)
    zeroed = data.frame.with_columns(
        value=pl.when((pl.col("condition") == HICRA) & (pl.col("metric") == "loss"))
        .then(0.0)
        .otherwise(pl.col("value"))
    )
    data = dataclasses.replace(data, frame=zeroed)
    result = evaluate_litmus(data, rules_for(["rel_lift(loss) <= 1"]))
    assert result.status == "INCONCLUSIVE"
    assert result.checks[0].passed is None
    assert "baseline value is 0" in result.checks[0].detail


def test_significant_check_matches_scipy_permutation_test(campaign: Path) -> None:
    data = read_campaign(campaign)
    result = evaluate_litmus(
        data,
        rules_for(["significant(correct_rate)", "significant(exec_entropy_var, lower)"]),
    )
    runs = run_records(campaign)

    def seed_means(condition: str, metric: str) -> np.ndarray:
        return np.array(
            [
                np.mean([v for _, v in window_values(r, metric, 20)])
                for k, r in runs.items()
                if k[0] == condition
            ]
        )

    for check, metric in zip(result.checks, ["correct_rate", "exec_entropy_var"], strict=True):
        x, y = seed_means(SEPA, metric), seed_means(HICRA, metric)
        ref = scipy.stats.permutation_test(
            (x, y),
            lambda a, b, axis: np.mean(a, axis=axis) - np.mean(b, axis=axis),
            permutation_type="independent",
            n_resamples=np.inf,
            alternative="two-sided",
        )
        assert check.pvalue == pytest.approx(ref.pvalue, rel=1e-9)
        assert check.candidate_value == pytest.approx(x.mean(), rel=1e-12)
        assert check.baseline_value == pytest.approx(y.mean(), rel=1e-12)
        # 4 vs 4 seeds: the smallest exact two-sided p is 2/70 < 0.05, and the effects are large.
        assert check.passed is True
    assert result.status == "CONFIRMED"


def test_significant_check_that_cannot_reach_alpha_is_inconclusive(tmp_path: Path) -> None:
    # 2 vs 2 seeds: C(4, 2) = 6 relabelings, the smallest two-sided p is 2/6 >= 0.05 whatever
    # the data, so the check cannot pass yet -- more seeds could decide it, it has not failed
    data = read_campaign(write_campaign(tmp_path / "c", seeds=(1, 2), lift={SEPA: 0.3}))
    result = evaluate_litmus(data, rules_for(["significant(correct_rate)"]))
    (check,) = result.checks
    assert check.pvalue == pytest.approx(1 / 3)
    assert check.passed is None and "add seeds" in check.detail
    assert result.evidence_met and result.status == "INCONCLUSIVE"
    lone = evaluate_litmus(
        read_campaign(write_campaign(tmp_path / "one", seeds=(1,), lift={SEPA: 0.3})),
        rules_for(["significant(correct_rate)"], evidence={"min_runs_per_arm": 1}),
    )
    assert lone.checks[0].passed is None and math.isnan(lone.checks[0].pvalue)
    assert lone.status == "INCONCLUSIVE"


def test_absent_conditions_metrics_and_tasks_raise(campaign: Path, tmp_path: Path) -> None:
    data = read_campaign(campaign)
    with pytest.raises(InputError, match=r"test\.toml: baseline condition 'nope' is not in"):
        evaluate_litmus(data, rules_for(["lift(correct_rate) > 0"], baseline="nope"))
    with pytest.raises(InputError, match=r"check 1 \('acc'\): metric 'accuracy' is absent"):
        evaluate_litmus(data, rules_for([{"name": "acc", "expr": "lift(accuracy) > 0"}]))
    root = write_campaign(tmp_path / "partial", broken="missing_metric")
    with pytest.raises(InputError, match=f"absent for condition '{re.escape(SEPA)}'"):
        evaluate_litmus(read_campaign(root), rules_for(["exec_entropy_var: candidate < baseline"]))
    no_counts = read_campaign(write_campaign(tmp_path / "nc", emergence=False))
    with pytest.raises(InputError, match="weight 'generations' needs completion counts"):
        evaluate_litmus(
            no_counts, rules_for([{"expr": "lift(correct_rate) > 0", "weight": "generations"}])
        )
    with pytest.raises(InputError, match="no baseline/candidate"):
        evaluate_litmus(data, parse_rules({"checks": ["lift(x) > 0"]}))


def test_rules_pick_one_task_of_a_multi_task_table() -> None:
    import polars as pl

    from measurand.datasets import dopamine_subset

    data = dopamine_subset()
    rules = {"baseline": "DQN", "candidate": "Rainbow", "window": "last:10"}
    with pytest.raises(InputError, match="the data holds 6 tasks; name one with task"):
        evaluate_litmus(data, parse_rules({**rules, "checks": ["lift(value) > 0"]}))
    with pytest.raises(InputError, match="task 'tetris' is not in the data"):
        evaluate_litmus(
            data, parse_rules({**rules, "task": "tetris", "checks": ["lift(value) > 0"]})
        )
    result = evaluate_litmus(
        data,
        parse_rules(
            {**rules, "task": "pong", "checks": ["lift(value) >= 1", "candidate(value) > 0"]}
        ),
    )
    pong = data.frame.filter(pl.col("task") == "pong")

    def arm(agent: str) -> float:
        means = []
        for run in range(5):
            values = (
                pong.filter((pl.col("condition") == agent) & (pl.col("seed") == str(run)))
                .sort("step")
                .get_column("value")
                .to_numpy()
            )
            means.append(values[-10:].mean())
        return float(np.mean(means))

    assert result.task == "pong"
    assert result.checks[0].observed == pytest.approx(arm("Rainbow") - arm("DQN"), rel=1e-12)
    lift_ok = arm("Rainbow") - arm("DQN") >= 1
    assert [c.passed for c in result.checks] == [lift_ok, arm("Rainbow") > 0]
    assert result.status == ("CONFIRMED" if lift_ok and arm("Rainbow") > 0 else "FAILED")


def test_caller_overrides_rule_file_pair_and_window(campaign: Path) -> None:
    data = read_campaign(campaign)
    rules = rules_for(["lift(correct_rate) >= 0"])
    flipped = evaluate_litmus(data, rules, baseline=SEPA, candidate=HICRA, window="last:10")
    assert (flipped.baseline, flipped.candidate, flipped.window) == (SEPA, HICRA, "last:10")
    base = reference_arm(campaign, SEPA, "correct_rate", 10, "runs")
    cand = reference_arm(campaign, HICRA, "correct_rate", 10, "runs")
    assert flipped.checks[0].observed == pytest.approx(cand - base, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(threshold=st.floats(-0.5, 0.5, allow_nan=False), op=st.sampled_from([">=", ">", "<=", "<"]))
def test_threshold_check_passes_exactly_when_the_comparison_holds(
    campaign: Path, threshold: float, op: str
) -> None:
    data = read_campaign(campaign)
    result = evaluate_litmus(data, rules_for([f"lift(correct_rate) {op} {threshold!r}"]))
    check = result.checks[0]
    observed = check.observed
    expected = {
        ">=": observed >= threshold,
        ">": observed > threshold,
        "<=": observed <= threshold,
        "<": observed < threshold,
    }[op]
    assert check.passed is expected
    assert result.status == ("CONFIRMED" if expected else "FAILED")
    assert math.isfinite(observed)


# ----------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("threshold", "evidence_runs", "fail_on", "code", "status"),
    [
        (0.01, 2, None, 0, "CONFIRMED"),
        (0.5, 2, None, 0, "FAILED"),
        (0.01, 2, "failed", 0, "CONFIRMED"),
        (0.5, 2, "failed", 1, "FAILED"),
        (0.01, 9, "failed", 2, "INCONCLUSIVE"),
        (0.01, 2, "inconclusive", 0, "CONFIRMED"),
        (0.5, 2, "inconclusive", 1, "FAILED"),
        (0.01, 9, "inconclusive", 1, "INCONCLUSIVE"),
    ],
)
def test_cli_exit_codes(
    campaign: Path,
    tmp_path: Path,
    threshold: float,
    evidence_runs: int,
    fail_on: str | None,
    code: int,
    status: str,
) -> None:
    rules = write_rules(
        tmp_path,
        f"""
        baseline = "{HICRA}"
        candidate = "{SEPA}"
        window = "last:20"
        [evidence]
        min_runs_per_arm = {evidence_runs}
        [[checks]]
        expr = "lift(correct_rate) >= {threshold}"
        """,
    )
    args = ["compare", str(campaign), "--rules", str(rules), "--metric", "correct_rate"]
    args += ["--resamples", "500", "--no-across-tasks"]
    if fail_on is not None:
        args += ["--fail-on", fail_on]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert f"litmus status: {status}" in result.output


def test_cli_fail_on_needs_rules_and_a_known_mode(campaign: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(campaign), "--fail-on", "failed"])
    assert result.exit_code == 2
    assert "--fail-on needs --rules" in result.output
    rules = write_rules(tmp_path, 'checks = ["lift(correct_rate) > 0"]')
    result = runner.invoke(app, ["compare", str(campaign), "--rules", str(rules), "--fail-on", "x"])
    assert result.exit_code == 2
    assert "--fail-on takes 'failed' or 'inconclusive'" in result.output


def test_cli_bad_rule_file_exits_2_naming_file_and_check(campaign: Path, tmp_path: Path) -> None:
    rules = write_rules(tmp_path, 'baseline = "a"\n[[checks]]\nname = "acc"\nexpr = "lift(x) >"')
    result = CliRunner().invoke(app, ["compare", str(campaign), "--rules", str(rules)])
    assert result.exit_code == 2
    assert "rules.toml" in result.output and "check 1 ('acc')" in result.output
