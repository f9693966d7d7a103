"""Litmus gates: a rule file of pass/fail checks with evidence requirements, for CI pipelines.

A rule file (TOML) names a baseline and a candidate condition, a step window, the evidence that
must be present before any conclusion is drawn, and a list of checks. :func:`evaluate_litmus`
returns one of three statuses:

``CONFIRMED``
    every evidence requirement is met and every check passes;
``FAILED``
    every evidence requirement is met and at least one check fails;
``INCONCLUSIVE``
    an evidence requirement is not met (too few runs, steps or completions), or a check could not
    be evaluated (e.g. a relative lift over a baseline of exactly 0, or a ``significant(...)``
    check with too few seeds for any permutation p-value to fall below ``alpha``). The checks
    are still evaluated and reported, for information.

Rule-file schema
----------------
.. code-block:: toml

    name = "SEPA vs HICRA"              # optional, shown in reports
    description = "..."                 # optional
    baseline = "maxrl+gtpo_hicra"       # condition names (required unless given by the caller)
    candidate = "maxrl+gtpo_sepa"
    window = "last:100"                 # optional step window ("400:500", "last:100", "all")
    task = "pong"                       # optional; required when the data holds several tasks
    weight = "runs"                     # default weight of every check: runs | steps | generations
    alpha = 0.05                        # significance level of significant(...) checks
    n_permutations = 20000              # resamples of significant(...) checks
    n_resamples = 10000

    [evidence]                          # all optional
    min_runs_per_arm = 3                # seeds with data in the window, in each arm (default 2)
    min_steps_per_run = 50              # steps in the window, in every run (default 0)
    min_completions_per_run = 1000      # completions in the window, in every run (default 0)

    [[checks]]
    name = "accuracy lift"              # optional (defaults to the expression)
    expr = "lift(correct_rate) >= 0.005"
    weight = "generations"              # optional, overrides the file's default

    [[checks]]
    expr = "exec_entropy_var: candidate < baseline"

An entry of ``checks`` may also be a bare expression string: ``checks = ["lift(x) >= 0.01"]``.

Check expressions (parsed by a small hand-written parser, never evaluated as code)::

    lift(M)      OP NUMBER     candidate value - baseline value of metric M
    rel_lift(M)  OP NUMBER     (candidate - baseline) / |baseline|
    candidate(M) OP NUMBER     the candidate's value alone (an absolute gate)
    baseline(M)  OP NUMBER     the baseline's value alone
    abs(lift(M)) OP NUMBER     also abs(rel_lift(M)): "about equal" gates
    M: candidate OP baseline   direction only (also "M: baseline OP candidate")
    significant(M)             seed-level test: candidate significantly higher (p < alpha, CI > 0)
    significant(M, lower)      candidate significantly lower

``OP`` is one of ``>= > <= <`` (``≥``/``≤`` also accepted); ``M`` is a metric name (letters,
digits, ``_ . / - +``), or any text in double quotes.

Values and weights
------------------
Each run is first reduced to its mean over the window. An arm's value is the weighted mean of
its runs' means:

``runs``
    every run weighs the same (the seed is the unit; the default);
``steps``
    a run weighs its number of steps in the window (all steps of the arm pooled);
``generations``
    every step weighs its number of completions (``total_count`` of the emergence logs), so for
    ``correct_rate`` the arm's value is its pooled correct/total over the window. Steps without a
    completion count are left out (with a note); data without counts is an input error.

``significant(M)`` runs :func:`measurand.compare.significance` on the run means (permutation
test and bootstrap CI with the seed as the unit) and ignores the weight. It is not evaluated
(INCONCLUSIVE) when an arm has fewer than 2 seeds or when the smallest attainable p-value is
``>= alpha`` (2 vs 2 seeds: 1/3), since more seeds, not a different result, would decide it.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Literal

import numpy as np
import polars as pl

from measurand._result import ConfidenceInterval, Result
from measurand.compare._options import make_pair_options
from measurand.compare._rules import (
    WEIGHTS,
    CheckRule,
    EvidenceRules,
    LitmusRules,
    ParsedCheck,
    load_rules,
    parse_check,
    parse_rules,
    shipped_rules,
)
from measurand.compare._statistics import root_or_generator
from measurand.compare.two_conditions import significance_from_table, smallest_pvalue
from measurand.errors import InputError
from measurand.io._frames import RunData
from measurand.stats._rng import SeedLike
from measurand.stats._window import RunTable, parse_window, run_table, window_rows

__all__ = [
    "WEIGHTS",
    "CheckResult",
    "CheckRule",
    "EvidenceResult",
    "EvidenceRules",
    "LitmusResult",
    "LitmusRules",
    "ParsedCheck",
    "evaluate_litmus",
    "load_rules",
    "parse_check",
    "parse_rules",
    "shipped_rules",
]

Status = Literal["CONFIRMED", "FAILED", "INCONCLUSIVE"]


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CheckResult(Result):
    """Outcome of one check.

    ``observed`` is the quantity the check compares (the p-value for a significance check; the
    lift ``candidate - baseline`` for a direction check), ``threshold`` what it is compared to.
    ``passed`` is None when the check could not be evaluated (``detail`` says why).
    """

    index: int
    name: str
    expression: str
    kind: str
    metric: str
    weight: str | None
    quantity: str
    operator: str
    threshold: float
    observed: float
    baseline_value: float
    candidate_value: float
    passed: bool | None
    pvalue: float | None = None
    confidence_interval: ConfidenceInterval | None = None
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class EvidenceResult(Result):
    """One evidence requirement: what was required, the least observed, and whether it is met."""

    requirement: str
    required: int
    observed: int | None
    met: bool
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class LitmusResult(Result):
    """Outcome of :func:`evaluate_litmus`: the status, each check and each evidence item."""

    status: Status
    checks: tuple[CheckResult, ...]
    evidence: tuple[EvidenceResult, ...]
    evidence_met: bool
    baseline: str
    candidate: str
    window: str
    task: str
    name: str | None
    source: str
    reasons: tuple[str, ...]
    notes: tuple[str, ...]


def _compare(observed: float, op: str, threshold: float) -> bool:
    if op == ">=":
        return observed >= threshold
    if op == ">":
        return observed > threshold
    if op == "<=":
        return observed <= threshold
    return observed < threshold


def _subset(data: RunData, frame: pl.DataFrame) -> RunData:
    return dataclasses.replace(data, frame=frame)


def _check_where(rule: CheckRule) -> str:
    return f"check {rule.index} ({rule.name!r})"


def evaluate_litmus(
    data: RunData,
    rules: LitmusRules | str | os.PathLike[str],
    *,
    baseline: str | None = None,
    candidate: str | None = None,
    window: Any = None,
    seed: SeedLike = 0,
    table: RunTable | None = None,
) -> LitmusResult:
    """Evaluate a rule file on ``data`` (see the module docstring for the semantics).

    ``baseline``/``candidate``/``window`` given here replace the rule file's (the file's values
    are the defaults). ``table``: the run-level table of ``data`` over that window, when the
    caller already has it (:func:`measurand.stats._window.run_table`); every check and the
    evidence read it. Raises :class:`InputError` (naming the rule file and the check) when a
    named condition, task or metric is absent, or a ``generations`` weight meets data without
    completion counts.
    """
    if not isinstance(rules, LitmusRules):
        rules = load_rules(rules)
    source = rules.source
    baseline = baseline or rules.baseline
    candidate = candidate or rules.candidate
    if baseline is None or candidate is None:
        raise InputError(
            "no baseline/candidate: name them in the rule file (baseline = ..., candidate = ...) "
            "or pass them (--baseline/--candidate)",
            source=source,
        )
    if baseline == candidate:
        raise InputError(f"baseline and candidate are both {baseline!r}", source=source)
    window_spec = window if window is not None else rules.window
    frame = data.frame
    available = data.conditions()
    for role, cond in (("baseline", baseline), ("candidate", candidate)):
        if cond not in available:
            raise InputError(
                f"{role} condition {cond!r} is not in the data; available: {', '.join(available)}",
                source=source,
            )

    tasks = frame.get_column("task").unique(maintain_order=True).to_list()
    task = rules.task
    if task is None:
        if len(tasks) > 1:
            raise InputError(
                f"the data holds {len(tasks)} tasks; name one with task = ... in the rule file "
                f"(tasks: {', '.join(tasks[:10])}{', ...' if len(tasks) > 10 else ''})",
                source=source,
            )
        task = tasks[0] if tasks else ""
    elif task not in tasks:
        raise InputError(
            f"task {task!r} is not in the data; available: {', '.join(tasks)}", source=source
        )

    arms = frame.filter(pl.col("condition").is_in([baseline, candidate]), pl.col("task") == task)
    present: dict[str, set[str]] = {baseline: set(), candidate: set()}
    for cond, names in arms.group_by("condition").agg(pl.col("metric").unique()).iter_rows():
        present[cond] = set(names)
    for rule in rules.checks:
        metric = rule.parsed.metric
        for cond in (baseline, candidate):
            if metric not in present[cond]:
                raise InputError(
                    f"{_check_where(rule)}: metric {metric!r} is absent for condition {cond!r}; "
                    f"its metrics: {', '.join(sorted(present[cond]))}",
                    source=source,
                )
    if any(r.weight == "generations" and r.parsed.kind != "significance" for r in rules.checks):
        if data.counts is None or data.counts.height == 0:
            first = next(
                r
                for r in rules.checks
                if r.weight == "generations" and r.parsed.kind != "significance"
            )
            raise InputError(
                f"{_check_where(first)}: weight 'generations' needs completion counts "
                "(emergence/steps.jsonl correct_count/total_count) and the data has none",
                source=source,
            )

    notes: list[str] = []
    arm_data = _subset(data, arms)
    if table is None or table.window != parse_window(window_spec):
        table = run_table(arm_data, window_spec)
    table = table.restrict([baseline, candidate], task)
    stop_note = table.stop_note()
    if stop_note:
        notes.append(stop_note)
    metrics = rules.metrics()
    means = table.means.filter(pl.col("metric").is_in(metrics))
    counts_frame = _counts_in_arms(data, baseline, candidate)

    evidence = _evidence(
        rules.evidence, means, counts_frame, data, arm_data, window_spec, baseline, candidate, notes
    )
    evidence_met = all(item.met for item in evidence)

    root = root_or_generator(seed)
    cache: dict[tuple[str, str], tuple[float, float, str]] = {}
    significance_cache: dict[tuple[str, str], Any] = {}
    checks: list[CheckResult] = []
    for rule in rules.checks:
        parsed = rule.parsed
        if parsed.kind == "significance":
            checks.append(
                _significance_check(
                    rule,
                    table,
                    arm_data.counts,
                    baseline,
                    candidate,
                    task,
                    rules,
                    root,
                    significance_cache,
                )
            )
            continue
        key = (parsed.metric, rule.weight)
        if key not in cache:
            cache[key] = _arm_values(
                means,
                counts_frame,
                arm_data,
                window_spec,
                parsed.metric,
                rule.weight,
                baseline,
                candidate,
                notes,
            )
        base_value, cand_value, detail = cache[key]
        checks.append(_threshold_check(rule, base_value, cand_value, detail))

    reasons: list[str] = []
    if not evidence_met:
        status: Status = "INCONCLUSIVE"
        reasons += [
            f"evidence not met: {e.requirement} "
            f"{'unknown' if e.observed is None else e.observed} < {e.required} ({e.detail})"
            for e in evidence
            if not e.met
        ]
    elif any(c.passed is None for c in checks):
        status = "INCONCLUSIVE"
        reasons += [
            f"check {c.index} ({c.name!r}) could not be evaluated: {c.detail}"
            for c in checks
            if c.passed is None
        ]
    elif all(c.passed for c in checks):
        status = "CONFIRMED"
        reasons.append("evidence met and every check passes")
    else:
        status = "FAILED"
        reasons += [f"check {c.index} ({c.name!r}) fails" for c in checks if c.passed is False]
    return LitmusResult(
        status=status,
        checks=tuple(checks),
        evidence=tuple(evidence),
        evidence_met=evidence_met,
        baseline=baseline,
        candidate=candidate,
        window=parse_window(window_spec).label,
        task=task,
        name=rules.name,
        source=source,
        reasons=tuple(reasons),
        notes=tuple(dict.fromkeys(notes)),
    )


def _counts_in_arms(data: RunData, baseline: str, candidate: str) -> pl.DataFrame | None:
    if data.counts is None or data.counts.height == 0:
        return None
    counts = data.counts.filter(pl.col("condition").is_in([baseline, candidate]))
    return counts if counts.height else None


def _arm_values(
    means: pl.DataFrame,
    counts: pl.DataFrame | None,
    arm_data: RunData,
    window_spec: Any,
    metric: str,
    weight: str,
    baseline: str,
    candidate: str,
    notes: list[str],
) -> tuple[float, float, str]:
    values: dict[str, float] = {}
    if weight == "generations":
        assert counts is not None
        rows = window_rows(arm_data, window_spec, metrics=[metric])
        joined = rows.join(
            counts.select("condition", "seed", "step", "total_count"),
            on=["condition", "seed", "step"],
            how="inner",
        )
        if joined.height < rows.height:
            notes.append(
                f"{metric}: {rows.height - joined.height} step(s) without a completion count are "
                "left out of generation-weighted values"
            )
        for cond in (baseline, candidate):
            arm = joined.filter(pl.col("condition") == cond)
            total = float(arm.get_column("total_count").sum())
            weighted = float((arm.get_column("value") * arm.get_column("total_count")).sum())
            values[cond] = weighted / total if total > 0 else math.nan
        return values[baseline], values[candidate], "each step weighted by its completions"
    for cond in (baseline, candidate):
        arm = means.filter((pl.col("condition") == cond) & (pl.col("metric") == metric))
        if arm.height == 0:
            values[cond] = math.nan
            continue
        run_means = arm.get_column("value").to_numpy()
        if weight == "steps":
            n_steps = arm.get_column("n_steps").to_numpy().astype(float)
            values[cond] = float((run_means * n_steps).sum() / n_steps.sum())
        else:
            values[cond] = float(run_means.mean())
    detail = "runs weighted equally" if weight == "runs" else "runs weighted by steps in the window"
    return values[baseline], values[candidate], detail


def _threshold_check(
    rule: CheckRule, base_value: float, cand_value: float, weight_detail: str
) -> CheckResult:
    parsed = rule.parsed
    assert parsed.operator is not None and parsed.threshold is not None
    detail = weight_detail
    if parsed.quantity == "lift":
        observed = cand_value - base_value
    elif parsed.quantity == "rel_lift":
        observed = (cand_value - base_value) / abs(base_value) if base_value != 0 else math.nan
        if base_value == 0:
            detail = "relative lift undefined: the baseline value is 0"
    elif parsed.quantity == "candidate":
        observed = cand_value
    else:
        observed = base_value
    if parsed.absolute:
        observed = abs(observed)
    if math.isnan(observed):
        passed: bool | None = None
        if detail == weight_detail:
            detail = "no value in the window for one of the arms"
    else:
        passed = _compare(observed, parsed.operator, parsed.threshold)
    return CheckResult(
        index=rule.index,
        name=rule.name,
        expression=rule.expression,
        kind=parsed.kind,
        metric=parsed.metric,
        weight=rule.weight,
        quantity=parsed.describe(),
        operator=parsed.operator,
        threshold=parsed.threshold,
        observed=observed,
        baseline_value=base_value,
        candidate_value=cand_value,
        passed=passed,
        detail=detail,
    )


def _significance_check(
    rule: CheckRule,
    table: RunTable,
    counts: pl.DataFrame | None,
    baseline: str,
    candidate: str,
    task: str,
    rules: LitmusRules,
    root: np.random.SeedSequence | np.random.Generator,
    cache: dict[tuple[str, str], Any],
) -> CheckResult:
    """``significant(M[, lower])``: passes on a seed-level ``significant_improvement`` in the
    named direction. A test that cannot be made (fewer than 2 seeds in an arm) or cannot reach
    ``p < alpha`` whatever the data (too few seeds for the permutation test) is not evaluated
    (``passed`` None, status INCONCLUSIVE): more seeds could decide it."""
    parsed = rule.parsed
    assert parsed.direction is not None
    key = (parsed.metric, parsed.direction)
    if key not in cache:
        options = make_pair_options(
            alpha=rules.alpha,
            power=0.8,
            min_effect=None,
            n_permutations=rules.n_permutations,
            n_resamples=rules.n_resamples,
            ci_method="percentile",
            hierarchical=False,
            pooled=False,
            higher_is_better=parsed.direction == "higher",
        )
        result = significance_from_table(
            table,
            counts,
            baseline=baseline,
            candidate=candidate,
            metrics=[parsed.metric],
            options=options,
            root=root,
        )
        cache[key] = result.comparison(parsed.metric, task)
    comparison = cache[key]
    pvalue = float(comparison.pvalue)
    seeds = f"{comparison.n_baseline} vs {comparison.n_candidate} seeds"
    passed: bool | None = comparison.verdict == "significant_improvement"
    if math.isnan(pvalue):
        passed = None
        detail = f"no test with {seeds}: each arm needs >= 2 seeds in the window"
    elif smallest_pvalue(comparison.permutation_exact, comparison.n_permutations) >= rules.alpha:
        passed = None
        detail = (
            f"with {seeds} no permutation p-value can fall below alpha {rules.alpha:g}; add seeds"
        )
    else:
        detail = f"verdict {comparison.verdict} ({seeds}; {parsed.direction} is better)"
    return CheckResult(
        index=rule.index,
        name=rule.name,
        expression=rule.expression,
        kind=parsed.kind,
        metric=parsed.metric,
        weight=None,
        quantity=parsed.describe(),
        operator="<",
        threshold=rules.alpha,
        observed=pvalue,
        baseline_value=float(comparison.mean_baseline),
        candidate_value=float(comparison.mean_candidate),
        passed=passed,
        pvalue=pvalue,
        confidence_interval=comparison.ci,
        detail=detail,
    )


def _evidence(
    required: EvidenceRules,
    means: pl.DataFrame,
    counts: pl.DataFrame | None,
    data: RunData,
    arm_data: RunData,
    window_spec: Any,
    baseline: str,
    candidate: str,
    notes: list[str],
) -> list[EvidenceResult]:
    runs = means.group_by("condition").agg(pl.col("seed").n_unique().alias("n"))
    per_arm = {cond: 0 for cond in (baseline, candidate)}
    for cond, n in runs.iter_rows():
        per_arm[cond] = int(n)
    fewest_runs = min(per_arm.values())
    items = [
        EvidenceResult(
            requirement="runs per arm",
            required=required.min_runs_per_arm,
            observed=fewest_runs,
            met=fewest_runs >= required.min_runs_per_arm,
            detail=f"{baseline}: {per_arm[baseline]}, {candidate}: {per_arm[candidate]}",
        )
    ]

    steps = means.group_by("condition", "seed").agg(pl.col("n_steps").max().alias("n"))
    if steps.height:
        shortest = steps.sort("n", "condition", "seed").row(0, named=True)
        fewest_steps = int(shortest["n"])
        detail = f"fewest in {shortest['condition']} seed {shortest['seed']}"
    else:
        fewest_steps, detail = 0, "no run has data in the window"
    items.append(
        EvidenceResult(
            requirement="steps per run",
            required=required.min_steps_per_run,
            observed=fewest_steps,
            met=fewest_steps >= required.min_steps_per_run,
            detail=detail,
        )
    )

    completions: int | None = None
    if counts is not None:
        in_window = (
            window_rows(arm_data, window_spec)
            .select("condition", "seed", "step")
            .unique()
            .join(counts, on=["condition", "seed", "step"], how="inner")
            .group_by("condition", "seed")
            .agg(pl.col("total_count").sum())
        )
        per_run = {(c, s): int(t) for c, s, t in in_window.iter_rows()}
        observed = [
            (per_run.get((c, s), 0), c, s) for c, s in steps.select("condition", "seed").iter_rows()
        ]
        if observed:
            completions, cond, run_seed = min(observed)
            detail = f"fewest in {cond} seed {run_seed} (completion counts in the window)"
        else:
            detail = "no run has data in the window"
    elif data.generations is not None and data.generations.height:
        gens = data.generations.filter(pl.col("condition").is_in([baseline, candidate]))
        if gens.height:
            row = gens.sort("n_completions", "condition", "seed").row(0, named=True)
            completions = int(row["n_completions"])
            detail = (
                f"fewest in {row['condition']} seed {row['seed']} (whole run: no per-step counts)"
            )
            notes.append("completions per run counted over whole runs (generations.jsonl)")
        else:
            detail = "no generation records for these conditions"
    else:
        detail = "the data has no completion counts"
    if required.min_completions_per_run > 0 or completions is not None:
        items.append(
            EvidenceResult(
                requirement="completions per run",
                required=required.min_completions_per_run,
                observed=completions,
                met=(completions is not None and completions >= required.min_completions_per_run)
                if required.min_completions_per_run > 0
                else True,
                detail=detail,
            )
        )
    return items
