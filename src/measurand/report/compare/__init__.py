"""The compare report: learning curves with bands, forest plots, tables, performance profiles.

One section per analysis that ran. Results of a pooled (pseudo-replicated) analysis are
labelled so in every heading, table and figure that shows them. Curves are thinned to at most
:data:`MAX_POINTS` points per trace and at most :data:`MAX_TASK_PANELS` tasks are drawn, so the
HTML stays small whatever the size of the campaign.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from measurand.compare.workflow import CompareResult
from measurand.report.compare._common import (
    MAX_POINTS,
    MAX_TASK_PANELS,
    fmt_p,
    is_pooled,
    thin_indices,
    where,
)
from measurand.report.compare._sections import (
    across_section,
    curves_section,
    litmus_section,
    multiple_section,
    ordering_section,
    significance_section,
)
from measurand.report.document import Report, md_table
from measurand.report.format import code, interval, num

__all__ = ["MAX_POINTS", "MAX_TASK_PANELS", "MAX_WARNINGS", "compare_report", "thin_indices"]

MAX_WARNINGS = 10
"""Warnings listed as bullets; the others go to a scrollable table below them."""


def compare_report(result: CompareResult) -> Report:
    """Build the :class:`~measurand.report.document.Report` of a :func:`run_compare` result."""
    report = Report("Compare: which condition is better, by how much, how sure?")
    report.preamble.append(_preamble(result))
    headline = _headline(result)
    if headline:
        report.section("Summary").add(headline)
    # The reader's questions, in order: what happened (curves), does it pass (litmus), is it
    # better and by how much (tests), and across tasks.
    if result.curves is not None:
        curves_section(report.section("Learning curves"), result)
    if result.litmus is not None:
        litmus_section(report.section("Litmus gate"), result)
    if result.significance is not None:
        significance_section(report, result.significance)
    if result.significance_pooled is not None:
        # episode counts do not depend on the unit: shown once, with the seed-level analysis
        significance_section(report, result.significance_pooled, counts=result.significance is None)
    if result.multiple is not None:
        multiple_section(report, result)
    if result.ordering is not None:
        ordering_section(report.section("Expected ordering"), result)
    for item in result.across_tasks:
        across_section(report.section(f"Across tasks: {code(item.metric)}"), item, result)
    if result.warnings:
        warn = report.section("Warnings and notes")
        warn.add("\n".join(f"- {w}" for w in result.warnings[:MAX_WARNINGS]))
        if len(result.warnings) > MAX_WARNINGS:
            # The rest in a (scrollable) table, so a long list never makes a long page.
            rest = result.warnings[MAX_WARNINGS:]
            warn.add(f"{len(rest)} more:\n\n" + md_table(["Note"], [[w] for w in rest]))
    settings = report.section("Settings")
    settings.add(_settings_table(result))
    return report


def _preamble(result: CompareResult) -> str:
    runs = ", ".join(f"{code(c)} ({n} runs)" for c, n in result.runs_per_condition.items())
    tasks = [t for t in result.tasks if t]
    task_text = f"; {len(tasks)} task(s)" if tasks else ""
    return (
        f"Source: {code(result.source)}. Conditions: {runs}{task_text}. Metrics: "
        f"{', '.join(code(m) for m in result.metrics)}. Window: {code(result.window)} (each run "
        "is averaged over the window first, so the **seed is the unit of analysis** unless a "
        f"section says otherwise). Seed: {result.seed}."
    )


def _headline(result: CompareResult) -> str:
    """Bullets with the conclusions; every number comes with its interval and unit."""
    bullets = []
    if result.litmus is not None:
        bullets.append(f"Litmus gate: **{result.litmus.status}** ({result.litmus.reasons[0]}).")
    for sig in (result.significance, result.significance_pooled):
        if sig is None:
            continue
        pooled = " [pseudo-replicated]" if is_pooled(sig.unit) else ""
        pair = f"{code(sig.candidate)} − {code(sig.baseline)}"
        if len(sig.comparisons) > 10:
            verdicts = [c.verdict for c in sig.comparisons]
            bullets.append(
                f"{pair}{pooled} on {len(verdicts)} (metric, task) comparisons: "
                f"{verdicts.count('significant_improvement')} significant improvement(s), "
                f"{verdicts.count('significant_degradation')} degradation(s), "
                f"{verdicts.count('insufficient_evidence')} undecided (per-task p-values; "
                "the table below lists each)."
            )
            continue
        for c in sig.comparisons:
            bullets.append(
                f"{where(c.metric, c.task)}{pooled}: {pair} = {num(c.delta)} {interval(c.ci)}, "
                f"p = {fmt_p(c.pvalue)}: **{c.verdict}**."
            )
    if result.multiple is not None:
        verdicts = result.multiple.frame.get_column("verdict").to_list()
        bullets.append(
            f"Pairwise: {verdicts.count('significant_improvement')} significant improvement(s), "
            f"{verdicts.count('significant_degradation')} degradation(s), "
            f"{verdicts.count('insufficient_evidence')} undecided, of {len(verdicts)} "
            f"(adjusted: {result.multiple.adjust[0]})."
        )
    if result.ordering is not None:
        bullets.append(f"Expected ordering: **{result.ordering.status}**.")
    for item in result.across_tasks:
        iqm = item.aggregates.filter(pl.col("metric") == "iqm").sort("estimate", descending=True)
        if iqm.height:
            top = iqm.row(0, named=True)
            direction = "" if item.higher_is_better else " (lower raw scores are better)"
            bullets.append(
                f"Across {len(item.tasks)} task(s), {code(item.metric)}{direction}: best IQM "
                f"{code(top['condition'])} {num(top['estimate'])} "
                f"{interval((top['ci_low'], top['ci_high']))}."
            )
    bullets.extend(_reading_notes(result))
    return "\n".join(f"- {b}" for b in bullets)


def _reading_notes(result: CompareResult) -> list[str]:
    """What a reader needs to read the verdicts right: how they are decided, how many tests
    ran, what the window covers (the details are in the warnings)."""
    notes = []
    comparisons = [] if result.significance is None else list(result.significance.comparisons)
    if comparisons or result.multiple is not None:
        notes.append(
            "A verdict is significant only when the permutation p < α **and** the bootstrap CI "
            "excludes 0; at a few seeds per arm the two can disagree (the exact permutation test "
            "holds its level, a percentile bootstrap tends to be too narrow), and the verdict "
            "then stays insufficient_evidence."
        )
    disagree = [c for c in comparisons if _ci_excludes_zero(c.ci) != (c.pvalue < c.alpha)]
    if disagree:
        shown = ", ".join(where(c.metric, c.task) for c in disagree[:5])
        notes.append(
            f"CI and p disagree for {len(disagree)} comparison(s) ({shown}"
            + (" …" if len(disagree) > 5 else "")
            + "): see Warnings and notes."
        )
    tasks = {c.task for c in comparisons}
    if len(tasks) > 1:
        notes.append(
            f"{len(tasks)} tasks were tested one by one: each p-value is per task, not adjusted "
            "for the number of tasks (see Warnings and notes for the count that survives a Holm "
            "adjustment; `--all-pairs` adjusts over pairs, and the across-task aggregates "
            "summarise every task at once)."
        )
    if result.window == "all" and result.curves is not None:
        notes.append(
            "Window `all` averages every step from the start of training; if the curves are "
            "still moving, a late window (`--window last:N`) compares where the runs ended."
        )
    return notes


def _ci_excludes_zero(ci: Any) -> bool:
    low, high = float(ci[0]), float(ci[1])
    return (low > 0 or high < 0) if math.isfinite(low) and math.isfinite(high) else False


def _settings_table(result: CompareResult) -> str:
    rows = [[key, "–" if value is None else str(value)] for key, value in result.settings.items()]
    return md_table(["Setting", "Value"], rows)
