"""The compare report: learning curves with bands, forest plots, tables, performance profiles.

One section per analysis that ran. Results of a pooled (pseudo-replicated) analysis are
labelled so in every heading, table and figure that shows them. Curves are thinned to at most
:data:`MAX_POINTS` points per trace and at most :data:`MAX_TASK_PANELS` tasks are drawn, so the
HTML stays small whatever the size of the campaign.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from measurand.compare.workflow import CompareResult
from measurand.report._format import (
    LEGEND_TOP_RIGHT,
    cell_code,
    code,
    interval,
    level,
    num,
    style_figure,
)
from measurand.report._format import pvalue as _p
from measurand.report.document import Report, Section, md_table

__all__ = ["MAX_POINTS", "MAX_TASK_PANELS", "compare_report", "thin_indices"]

MAX_POINTS = 500
"""Most points drawn per curve (and per band edge) in the HTML report."""
MAX_TASK_PANELS = 12
"""Most tasks drawn as learning-curve panels per metric (the tables list every task)."""
MAX_TABLE_ROWS = 200
"""Most rows of a per-task table written to the Markdown/HTML summary (results.json has all)."""
MAX_FOREST_ROWS = 60
"""Most rows of a forest plot of pairwise differences per metric (the table lists more)."""

POOLED_LABEL = "pseudo-replicated: steps pooled across seeds as if independent"
_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)
_STATUS_ICON = {"CONFIRMED": "✅", "FAILED": "❌", "INCONCLUSIVE": "⚠️"}


def thin_indices(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """At most ``limit`` evenly spread indices of ``range(n)``, first and last included."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(int))


def _colour(conditions: Sequence[str], condition: str) -> str:
    index = list(conditions).index(condition) if condition in conditions else 0
    return _PALETTE[index % len(_PALETTE)]


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _where(metric: str, task: str, quote: Callable[[str], str] = code) -> str:
    """``metric`` (and task) for text; ``quote=cell_code`` inside a table cell."""
    return quote(metric) if not task else f"{quote(metric)} / {task}"


def _is_pooled(unit: str | None) -> bool:
    return bool(unit) and "pseudo" in str(unit)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def compare_report(result: CompareResult) -> Report:
    """Build the :class:`~measurand.report.document.Report` of a :func:`run_compare` result."""
    report = Report("Compare: which condition is better, by how much, how sure?")
    report.preamble.append(_preamble(result))
    headline = _headline(result)
    if headline:
        report.section("Summary").add(headline)
    if result.litmus is not None:
        _litmus_section(report.section("Litmus gate"), result)
    if result.significance is not None:
        _significance_section(report, result.significance)
    if result.significance_pooled is not None:
        # episode counts do not depend on the unit: shown once, with the seed-level analysis
        _significance_section(
            report, result.significance_pooled, counts=result.significance is None
        )
    if result.multiple is not None:
        _multiple_section(report, result)
    if result.ordering is not None:
        _ordering_section(report.section("Expected ordering"), result)
    for item in result.across_tasks:
        _across_section(report.section(f"Across tasks: {code(item.metric)}"), item, result)
    if result.curves is not None:
        _curves_section(report.section("Learning curves"), result)
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
        pooled = " [pseudo-replicated]" if _is_pooled(sig.unit) else ""
        pair = f"{code(sig.candidate)} − {code(sig.baseline)}"
        for c in sig.comparisons[:10]:
            bullets.append(
                f"{_where(c.metric, c.task)}{pooled}: {pair} = {num(c.delta)} {interval(c.ci)}, "
                f"p = {_p(c.pvalue)}: **{c.verdict}**."
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


# --------------------------------------------------------------------------------------------
# Significance
# --------------------------------------------------------------------------------------------


def _significance_section(report: Report, sig: Any, *, counts: bool = True) -> None:
    pooled = _is_pooled(sig.unit)
    title = f"Significance: {code(sig.candidate)} vs {code(sig.baseline)}"
    if pooled:
        title += f" ({POOLED_LABEL})"
    section = report.section(title)
    ci_label = level(1.0 - sig.alpha)
    if pooled:
        section.add(
            "**Pseudo-replicated analysis.** Every window step of every seed is treated as an "
            "independent observation, which overstates the evidence (steps of one run share its "
            "seed). Shown because it was asked for (`--pooled`), for comparison with scripts that "
            "pool; the seed-level analysis above is the one to report."
        )
    all_exact = all(c.permutation_exact for c in sig.comparisons)
    section.add(
        f"Δ = candidate − baseline over window {code(sig.window)}, unit: {sig.unit}. CI: "
        f"{ci_label} bootstrap; p: two-sided permutation test, "
        + (
            "exact (all relabelings enumerated)."
            if all_exact
            else "exact where marked (all relabelings enumerated), Monte Carlo otherwise."
        )
    )
    section.add(
        md_table(
            [
                "Metric",
                "n (base / cand)",
                "Baseline",
                "Candidate",
                "Δ",
                f"{ci_label} CI",
                "p",
                "Verdict",
            ],
            [
                [
                    _where(c.metric, c.task, cell_code),
                    f"{c.n_baseline} / {c.n_candidate}",
                    num(c.mean_baseline),
                    num(c.mean_candidate),
                    num(c.delta),
                    interval(c.ci),
                    _p(c.pvalue) + (" (exact)" if c.permutation_exact and not all_exact else ""),
                    f"**{c.verdict}**",
                ]
                for c in sig.comparisons
            ],
        )
    )
    _effect_size_table(section, sig, ci_label)
    with_counts = [c for c in sig.comparisons if c.counts is not None]
    if counts and with_counts:
        _counts_table(section, with_counts, sig.power)
    _difference_forests(
        section,
        [(c.task or c.metric, c, c.verdict) for c in sig.comparisons],
        what=f"{sig.candidate} − {sig.baseline}",
        ci_label=ci_label,
        pooled=pooled,
    )


def _effect_size_table(section: Section, sig: Any, ci_label: str) -> None:
    """Cohen's d with its interval, Hedges' g, and the power figures, one row per comparison."""
    target = f"{100 * sig.power:g}%"
    with_min_effect = any(c.min_effect is not None for c in sig.comparisons)
    units = "steps" if _is_pooled(sig.unit) else "seeds"
    section.add(
        f"Effect sizes and power: Cohen's d = Δ / pooled sd with its {ci_label} CI (noncentral "
        "t), Hedges' g = d with the small-sample correction; power of a two-sided t test at "
        f"α = {sig.alpha:g} at the observed d; {units} per arm for {target} power at the "
        "observed d"
        + (" and at `--min-effect`" if with_min_effect else "")
        + f"; MDE: the smallest Δ detected with {target} power at the current n."
    )
    headers = ["Metric", "Cohen's d", f"{ci_label} CI of d", "Hedges' g", "Power (obs. d)"]
    headers.append(f"n/arm for {target} (obs. d)")
    if with_min_effect:
        headers.append(f"n/arm for {target} (min effect)")
    rows = []
    for c in sig.comparisons:
        row = [
            _where(c.metric, c.task, cell_code),
            num(c.cohens_d, 3),
            interval(c.cohens_d_ci, 3),
            num(c.hedges_g, 3),
            num(c.power_observed, 3),
            _count(c.n_per_arm_observed),
        ]
        if with_min_effect:
            row.append(_count(c.n_per_arm_min_effect))
        rows.append([*row, num(c.mde)])
    section.add(md_table([*headers, "MDE"], rows))


def _counts_table(section: Section, counts: Sequence[Any], power: float) -> None:
    """The pooled episode counts with their rates, then their difference and its tests."""
    section.add(
        "Pooled correct/total counts (episode level: all seeds and window steps pooled; this "
        "ignores seed-to-seed variation, a supplement to the seed-level test above). Rates with "
        "Wilson intervals; the difference with Newcombe's; Fisher's exact test with its "
        f"conditional odds ratio; episodes per arm for {100 * power:g}% power at the observed "
        "rates (two-proportion z test):"
    )
    section.add(
        md_table(
            ["Metric", "Baseline correct/total", "Rate", "Candidate correct/total", "Rate"],
            [
                [
                    _where(c.metric, c.task, cell_code),
                    f"{k.correct_baseline}/{k.total_baseline}",
                    f"{num(k.rate_baseline)} {interval(k.rate_baseline_ci)}",
                    f"{k.correct_candidate}/{k.total_candidate}",
                    f"{num(k.rate_candidate)} {interval(k.rate_candidate_ci)}",
                ]
                for c in counts
                for k in [c.counts]
            ],
        )
    )
    section.add(
        md_table(
            ["Metric", "Difference", "Fisher p", "Odds ratio", "Episodes/arm"],
            [
                [
                    _where(c.metric, c.task, cell_code),
                    f"{num(k.rate_difference)} {interval(k.rate_difference_ci)}",
                    _p(k.fisher_pvalue),
                    f"{num(k.odds_ratio, 3)} {interval(k.odds_ratio_ci, 3)}",
                    "–" if k.episodes_per_arm is None else f"{k.episodes_per_arm:,}",
                ]
                for c in counts
                for k in [c.counts]
            ],
        )
    )


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


class _ForestRow(NamedTuple):
    """One row of a forest plot: an estimate with its interval, coloured by its verdict."""

    label: str
    estimate: Any
    ci: Any
    verdict: str  # a verdict of a comparison, or the status of an ordering pair
    hover: str


_GOOD, _BAD, _UNDECIDED = "#2ca02c", "#d62728", "#555555"
_VERDICT_COLOURS = {
    "significant_improvement": _GOOD,
    "significant_degradation": _BAD,
    "insufficient_evidence": _UNDECIDED,
}
_STATUS_COLOURS = {"supported": _GOOD, "contradicted": _BAD, "unresolved": _UNDECIDED}


def _difference_forests(
    section: Section,
    labelled: Sequence[tuple[str, Any, str]],
    *,
    what: str,
    ci_label: str,
    pooled: bool,
) -> None:
    """One forest plot per metric of ``(label, MetricComparison, verdict)`` rows.

    Rows of several tasks are drawn as Cohen's d (Δ / pooled sd, with its own interval): raw
    differences of tasks with different scales on one axis would crush the small ones onto 0.
    Rows of one task share its units and are drawn as Δ with its bootstrap interval.
    """
    standardized = len({c.task for _, c, _ in labelled}) > 1
    if standardized:
        section.add(
            f"The forest plot (report.html) shows Cohen's d with its {ci_label} interval, so "
            "that tasks measured on different scales share one axis. Its colour is the verdict "
            "on Δ; the interval of d also carries the uncertainty of the sd, so it can reach 0 "
            "where the interval of Δ does not."
        )
        title = f"Cohen's d of {what} ({ci_label} CI)"
        axis = "Cohen's d = Δ / pooled sd (candidate − baseline)"
    else:
        title = f"{what} ({ci_label} CI)"
        axis = "difference Δ (candidate − baseline)"
    for metric in dict.fromkeys(c.metric for _, c, _ in labelled):
        rows = []
        for label, c, verdict in labelled:
            if c.metric != metric:
                continue
            raw = f"Δ = {num(c.delta)} {interval(c.ci)}"
            if standardized:
                d = f"d = {num(c.cohens_d, 3)} {interval(c.cohens_d_ci, 3)}"
                rows.append(_ForestRow(label, c.cohens_d, c.cohens_d_ci, verdict, f"{d}<br>{raw}"))
            else:
                rows.append(_ForestRow(label, c.delta, c.ci, verdict, raw))
        section.figure(
            _forest_figure(rows, title=f"{metric}: {title}", xaxis_title=axis, pooled=pooled)
        )


def _forest_figure(
    rows: Sequence[_ForestRow],
    *,
    title: str,
    xaxis_title: str,
    colours: dict[str, str] = _VERDICT_COLOURS,
    pooled: bool = False,
) -> Any:
    """Rows top down, one trace (and legend entry) per verdict, a dashed line at 0."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for verdict, colour in colours.items():
        chosen = [r for r in rows if r.verdict == verdict]
        if not chosen:
            continue
        estimates = [_finite(r.estimate) for r in chosen]
        lows, highs = zip(*(_ci_ends(r.ci) for r in chosen), strict=True)
        fig.add_trace(
            go.Scatter(
                x=estimates,
                y=[r.label for r in chosen],
                hovertext=[f"{r.label}<br>{r.hover}" for r in chosen],
                hovertemplate="%{hovertext}<extra></extra>",
                mode="markers",
                marker={"color": colour, "size": 9},
                name=verdict.replace("_", " "),
                error_x=_error_bars(estimates, lows, highs, colour),
            )
        )
    fig.add_vline(x=0, line={"color": "black", "dash": "dash", "width": 1})
    if pooled:
        title += f"<br><sup>{POOLED_LABEL}</sup>"
    style_figure(
        fig,
        title=title,
        height=150 + 30 * len(rows) + (20 if pooled else 0),
        margin={"l": 10, "r": 10, "t": 90 if pooled else 70, "b": 50},
        xaxis={"title": xaxis_title},
        # rows in the given order, top down (traces are per verdict, so not in row order)
        yaxis={
            "autorange": "reversed",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [r.label for r in rows],
        },
        legend=LEGEND_TOP_RIGHT,
        showlegend=True,  # the colours are verdicts: say so even when all rows share one
    )
    return fig


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _ci_ends(ci: Any) -> tuple[float | None, float | None]:
    return (None, None) if ci is None else (_finite(ci[0]), _finite(ci[1]))


def _error_bars(
    estimates: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    colour: str,
) -> dict[str, Any]:
    """plotly ``error_x`` drawing [low, high] around each estimate (none where one is missing)."""

    def gap(a: float | None, b: float | None) -> float:
        return 0.0 if a is None or b is None else max(a - b, 0.0)

    return {
        "type": "data",
        "symmetric": False,
        "array": [gap(h, e) for h, e in zip(highs, estimates, strict=True)],
        "arrayminus": [gap(e, lo) for e, lo in zip(estimates, lows, strict=True)],
        "color": colour,
        "thickness": 1.5,
    }


def _band(x: list[Any], low: list[Any], high: list[Any], colour: str, group: str) -> Any:
    """A filled [low, high] band along ``x`` (no legend entry; toggled with ``group``)."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=x + x[::-1],
        y=high + low[::-1],
        fill="toself",
        fillcolor=_rgba(colour, 0.18),
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
        legendgroup=group,
    )


# --------------------------------------------------------------------------------------------
# Many conditions, ordering
# --------------------------------------------------------------------------------------------


def _multiple_section(report: Report, result: CompareResult) -> None:
    multiple = result.multiple
    pooled = _is_pooled(multiple.unit)
    pair_baseline = result.settings.get("baseline")
    if result.settings.get("all_pairs") or pair_baseline is None:
        title = "All pairs"
    else:
        title = f"Every condition vs {code(pair_baseline)}"
    if pooled:
        title += f" ({POOLED_LABEL})"
    section = report.section(title)
    adjust = ", ".join(multiple.adjust)
    section.add(
        f"Δ = candidate − baseline over window {code(multiple.window)}, unit: {multiple.unit}. "
        f"p-values adjusted for multiplicity ({adjust}; family: {multiple.family}); the verdict "
        f"uses the first adjustment at α = {multiple.alpha:g}. Intervals are not adjusted."
    )
    frame = multiple.frame
    p_columns = [c for c in frame.columns if c.startswith("p_")]
    rows = []
    for row in frame.head(MAX_TABLE_ROWS).iter_rows(named=True):
        rows.append(
            [
                _where(row["metric"], row["task"], cell_code),
                # no break inside a pair: the metric column wraps instead
                f"{cell_code(row['candidate'])}\u00a0−\u00a0{cell_code(row['baseline'])}",
                f"{row['n_baseline']} / {row['n_candidate']}",
                num(row["delta"]),
                interval((row["ci_low"], row["ci_high"])),
                _p(row["pvalue"]),
                *[_p(row[c]) for c in p_columns],
                f"**{row['verdict']}**",
            ]
        )
    section.add(
        md_table(
            ["Metric", "Pair", "n", "Δ", "CI", "p", *p_columns, "Verdict"],
            rows,
        )
    )
    if frame.height > MAX_TABLE_ROWS:
        section.add(f"({frame.height - MAX_TABLE_ROWS} more rows in results.json.)")
    # The frame's verdict is the multiplicity-adjusted one; the pair's comparison holds the
    # effect size and its interval.
    comparisons = {
        (pair.baseline, pair.candidate, c.metric, c.task): c
        for pair in multiple.pairs
        for c in pair.comparisons
    }
    shown = frame.group_by("metric", maintain_order=True).head(MAX_FOREST_ROWS)
    _difference_forests(
        section,
        [
            (
                _pair_label(row["candidate"], row["baseline"], row["task"]),
                comparisons[(row["baseline"], row["candidate"], row["metric"], row["task"])],
                row["verdict"],
            )
            for row in shown.iter_rows(named=True)
        ],
        what="pairwise differences",
        ci_label=level(1.0 - multiple.alpha),
        pooled=pooled,
    )


def _pair_label(candidate: str, baseline: str, task: str) -> str:
    pair = f"{candidate} − {baseline}"
    return f"{pair} | {task}" if task else pair


def _ordering_section(section: Section, result: CompareResult) -> None:
    ordering = result.ordering
    chain = " ≥ ".join(code(c) for c in ordering.ordering)
    section.add(
        f"Expected: {chain} on {_where(ordering.metric, ordering.task)}, window "
        f"{code(ordering.window)}. Overall: **{ordering.status}**. A pair is supported when the "
        f"{ordering.adjust}-adjusted p < {ordering.alpha:g} and its CI lies above 0, "
        "contradicted when significantly below 0, unresolved otherwise."
    )
    section.add(
        md_table(
            ["Pair", "Difference", "CI", "p", "p (adjusted)", "Status"],
            [
                [
                    f"{cell_code(p.higher)} ≥ {cell_code(p.lower)}",
                    num(p.difference),
                    interval(p.ci),
                    _p(p.pvalue),
                    _p(p.p_adjusted),
                    f"**{p.status}**",
                ]
                for p in ordering.pairs
            ],
        )
    )
    rows = [
        _ForestRow(
            f"{p.higher} − {p.lower}",
            p.difference,
            p.ci,
            p.status,
            f"Δ = {num(p.difference)} {interval(p.ci)}",
        )
        for p in ordering.pairs
    ]
    section.figure(
        _forest_figure(
            rows,
            title=f"{ordering.metric}: adjacent differences",
            xaxis_title="difference (higher − lower in the expected ordering)",
            colours=_STATUS_COLOURS,
        )
    )


# --------------------------------------------------------------------------------------------
# Litmus
# --------------------------------------------------------------------------------------------


def _litmus_section(section: Section, result: CompareResult) -> None:
    litmus = result.litmus
    name = f" ({litmus.name})" if litmus.name else ""
    icon = _STATUS_ICON.get(litmus.status, "")
    task = f", task {litmus.task}" if litmus.task else ""
    section.add(
        f"**{icon} {litmus.status}**{name}: {code(litmus.candidate)} vs "
        f"{code(litmus.baseline)}, window {code(litmus.window)}{task}; rules from "
        f"{code(litmus.source)}."
    )
    section.add("\n".join(f"- {reason}" for reason in litmus.reasons))
    section.add(
        md_table(
            ["Evidence", "Required", "Observed", "Met", "Detail"],
            [
                [
                    e.requirement,
                    e.required,
                    "–" if e.observed is None else e.observed,
                    "yes" if e.met else "**no**",
                    e.detail,
                ]
                for e in litmus.evidence
            ],
        )
    )
    section.add(
        md_table(
            [
                "Check",
                "Expression",
                "Weight",
                "Baseline",
                "Candidate",
                "Observed (needed)",
                "Result",
            ],
            [
                [
                    c.name,
                    cell_code(c.expression),
                    c.weight or "–",
                    num(c.baseline_value),
                    num(c.candidate_value),
                    f"{c.quantity} = {num(c.observed)} ({c.operator} {c.threshold:g})",
                    "pass" if c.passed else ("**fail**" if c.passed is False else "n/a"),
                ]
                for c in litmus.checks
            ],
        )
    )


# --------------------------------------------------------------------------------------------
# Across tasks
# --------------------------------------------------------------------------------------------


def _across_section(section: Section, item: Any, result: CompareResult) -> None:
    ci_label = level(item.confidence_level)
    norm = {
        "minmax": "min-max normalized per task (over every run of every condition)",
        "reference": "normalized per task with the given reference scores",
        None: "raw (not normalized)",
    }.get(item.normalization, str(item.normalization))
    section.add(
        f"{len(item.tasks)} task(s); one score per run and task (its mean over window "
        f"{code(item.window)}), {norm}. {ci_label} stratified bootstrap intervals "
        f"({item.n_resamples:,} resamples of runs within each task). IQM: mean of the middle 50% "
        "of all run x task scores; optimality gap: mean shortfall below 1."
    )
    aggregates = item.aggregates
    metrics = aggregates.get_column("metric").unique(maintain_order=True).to_list()
    rows = []
    for cond in item.conditions:
        sub = aggregates.filter(pl.col("condition") == cond)
        cells = []
        for metric in metrics:
            row = sub.filter(pl.col("metric") == metric).row(0, named=True)
            cells.append(f"{num(row['estimate'])} {interval((row['ci_low'], row['ci_high']))}")
        rows.append([cell_code(cond), item.n_runs[cond], *cells])
    section.add(md_table(["Condition", "Runs", *metrics], rows))
    if item.improvement.height:
        section.add(
            md_table(
                ["X", "Y", "P(X > Y)", f"{ci_label} CI"],
                [
                    [
                        cell_code(r["x"]),
                        cell_code(r["y"]),
                        num(r["probability"], 3),
                        interval((r["ci_low"], r["ci_high"]), 3),
                    ]
                    for r in item.improvement.iter_rows(named=True)
                ],
            )
        )
    section.figure(_aggregate_figure(item))
    section.figure(_profile_figure(item))
    per_task = item.per_task
    if per_task.height <= MAX_TABLE_ROWS:
        wide = per_task.pivot(on="condition", index="task", values="mean")
        section.add(
            "Per-task means of the run scores (raw units):\n\n"
            + md_table(
                ["Task", *[cell_code(c) for c in item.conditions]],
                [[row[0], *row[1:]] for row in wide.select("task", *item.conditions).iter_rows()],
            )
        )
    else:
        section.add(f"({per_task.height} per-task rows in results.json.)")


def _aggregate_figure(item: Any) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    aggregates = item.aggregates
    metrics = aggregates.get_column("metric").unique(maintain_order=True).to_list()
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=metrics, shared_yaxes=True)
    for col, metric in enumerate(metrics, start=1):
        sub = aggregates.filter(pl.col("metric") == metric)
        for cond in item.conditions:
            row = sub.filter(pl.col("condition") == cond).row(0, named=True)
            colour = _colour(item.conditions, cond)
            fig.add_trace(
                go.Scatter(
                    x=[row["estimate"]],
                    y=[cond],
                    mode="markers",
                    marker={"color": colour, "size": 9},
                    error_x=_error_bars(
                        [_finite(row["estimate"])],
                        [_finite(row["ci_low"])],
                        [_finite(row["ci_high"])],
                        colour,
                    ),
                    name=cond,
                    showlegend=False,
                    hovertemplate=f"{cond}: %{{x:.4g}}<extra>{metric}</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(type="category", autorange="reversed")
    return style_figure(
        fig,
        title=f"{item.metric}: aggregates across {len(item.tasks)} task(s)",
        height=160 + 36 * len(item.conditions),
        margin={"l": 10, "r": 10, "t": 70, "b": 40},
    )


def _profile_figure(item: Any) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    taus = np.asarray(item.profile_taus, dtype=float)
    keep = thin_indices(taus.size)
    x = taus[keep].tolist()
    for cond in item.conditions:
        colour = _colour(item.conditions, cond)
        low = np.asarray(item.profile_low[cond])[keep].tolist()
        high = np.asarray(item.profile_high[cond])[keep].tolist()
        fig.add_trace(_band(x, low, high, colour, cond))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.asarray(item.profiles[cond])[keep].tolist(),
                mode="lines",
                line={"color": colour, "width": 2},
                name=cond,
                legendgroup=cond,
            )
        )
    return style_figure(
        fig,
        title=f"{item.metric}: performance profile (fraction of runs with score > τ)",
        xaxis={"title": "τ (normalized score)" if item.normalization else "τ (score)"},
        yaxis={"title": "fraction of runs > τ", "range": [0, 1.02]},
        height=420,
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
        legend=LEGEND_TOP_RIGHT,
    )


# --------------------------------------------------------------------------------------------
# Learning curves
# --------------------------------------------------------------------------------------------


def _curves_section(section: Section, result: CompareResult) -> None:
    curves = result.curves
    band = {
        "sd": "mean ± sd over seeds",
        "sem": "mean ± standard error over seeds",
        "ci": f"bootstrap {level(curves.confidence_level or 0.95)} CI of the mean over seeds",
    }.get(curves.band, curves.band)
    smoothing = f", runs smoothed with {code(curves.smoothing)}" if curves.smoothing else ""
    section.add(
        f"Mean over the seeds that logged each step, band: {band}{smoothing}. Steps where fewer "
        "than two seeds remain have no band. (Figures in report.html; values in results.json.)"
    )
    frame = curves.frame
    tasks = frame.get_column("task").unique(maintain_order=True).to_list()
    shown = tasks[:MAX_TASK_PANELS]
    if len(tasks) > MAX_TASK_PANELS:
        section.add(
            f"Curves of the first {MAX_TASK_PANELS} of {len(tasks)} tasks are drawn; "
            "results.json holds them all."
        )
    conditions = list(result.conditions)
    for metric in frame.get_column("metric").unique(maintain_order=True).to_list():
        sub = frame.filter((pl.col("metric") == metric) & pl.col("task").is_in(shown))
        section.figure(_curves_figure(sub, metric, shown, conditions))


def _curves_figure(
    frame: pl.DataFrame, metric: str, tasks: Sequence[str], conditions: Sequence[str]
) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    n = len(tasks)
    cols = 1 if n == 1 else min(3, n)
    rows = math.ceil(n / cols)
    titles = [t or metric for t in tasks] if n > 1 else None
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    for index, task in enumerate(tasks):
        row, col = index // cols + 1, index % cols + 1
        for cond in frame.get_column("condition").unique(maintain_order=True).to_list():
            curve = frame.filter((pl.col("task") == task) & (pl.col("condition") == cond)).sort(
                "step"
            )
            if curve.height == 0:
                continue
            colour = _colour(conditions, cond)
            curve = curve[thin_indices(curve.height).tolist()]
            banded = curve.filter(pl.col("low").is_not_null() & pl.col("high").is_not_null())
            if banded.height:
                fig.add_trace(
                    _band(
                        banded.get_column("step").to_list(),
                        banded.get_column("low").to_list(),
                        banded.get_column("high").to_list(),
                        colour,
                        cond,
                    ),
                    row=row,
                    col=col,
                )
            fig.add_trace(
                go.Scatter(
                    x=curve.get_column("step").to_list(),
                    y=curve.get_column("mean").to_list(),
                    customdata=curve.get_column("n_seeds").to_list(),
                    mode="lines",
                    line={"color": colour, "width": 1.8},
                    name=cond,
                    legendgroup=cond,
                    showlegend=index == 0,
                    hovertemplate=f"{cond}<br>step %{{x}}: %{{y:.4g}} (%{{customdata}} seeds)"
                    "<extra></extra>",
                ),
                row=row,
                col=col,
            )
    fig.update_xaxes(title_text="step", row=rows)
    return style_figure(
        fig,
        title=f"{metric}: learning curves",
        height=max(380, 280 * rows),
        margin={"l": 10, "r": 10, "t": 80 if n > 1 else 60, "b": 40},  # room for panel titles
    )
