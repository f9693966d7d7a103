"""The compare report: learning curves with bands, forest plots, tables, performance profiles.

One section per analysis that ran. Results of a pooled (pseudo-replicated) analysis are
labelled so in every heading, table and figure that shows them. Curves are thinned to at most
:data:`MAX_POINTS` points per trace and at most :data:`MAX_TASK_PANELS` tasks are drawn, so the
HTML stays small whatever the size of the campaign.
"""

from __future__ import annotations

import polars as pl

from measurand.compare.workflow import CompareResult
from measurand.report._format import code, interval, num
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

__all__ = ["MAX_POINTS", "MAX_TASK_PANELS", "compare_report", "thin_indices"]


def compare_report(result: CompareResult) -> Report:
    """Build the :class:`~measurand.report.document.Report` of a :func:`run_compare` result."""
    report = Report("Compare: which condition is better, by how much, how sure?")
    report.preamble.append(_preamble(result))
    headline = _headline(result)
    if headline:
        report.section("Summary").add(headline)
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
    if result.curves is not None:
        curves_section(report.section("Learning curves"), result)
    if result.warnings:
        warn = report.section("Warnings and notes")
        warn.add("\n".join(f"- {w}" for w in result.warnings))
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
        for c in sig.comparisons[:10]:
            bullets.append(
                f"{where(c.metric, c.task)}{pooled}: {pair} = {num(c.delta)} {interval(c.ci)}, "
                f"p = {fmt_p(c.pvalue)}: **{c.verdict}**."
            )
        if len(sig.comparisons) > 10:
            bullets.append(f"… {len(sig.comparisons) - 10} more comparisons below.")
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
            bullets.append(
                f"Across {len(item.tasks)} task(s), {code(item.metric)}: highest IQM "
                f"{code(top['condition'])} {num(top['estimate'])} "
                f"{interval((top['ci_low'], top['ci_high']))}."
            )
    return "\n".join(f"- {b}" for b in bullets)


def _settings_table(result: CompareResult) -> str:
    rows = [[key, "–" if value is None else str(value)] for key, value in result.settings.items()]
    return md_table(["Setting", "Value"], rows)
