"""The compare report: learning curves with bands, forest plots, tables, performance profiles.

One section per analysis that ran. Results of a pooled (pseudo-replicated) analysis are
labelled so in every heading, table and figure that shows them. Curves are thinned to at most
:data:`MAX_POINTS` points per trace and at most :data:`MAX_TASK_PANELS` tasks are drawn, so the
HTML stays small whatever the size of the campaign.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from measurand.compare.workflow import CompareResult
from measurand.report.document import Report, Section, md_table

__all__ = ["MAX_POINTS", "MAX_TASK_PANELS", "compare_report", "thin_indices"]

MAX_POINTS = 500
"""Most points drawn per curve (and per band edge) in the HTML report."""
MAX_TASK_PANELS = 12
"""Most tasks drawn as learning-curve panels per metric (the tables list every task)."""
MAX_TABLE_ROWS = 200
"""Most rows of a per-task table written to the Markdown/HTML summary (results.json has all)."""

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


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    value = float(value)
    if math.isnan(value):
        return "–"
    return f"{value:.{digits}g}"


def _interval(ci: Any, digits: int = 4) -> str:
    if ci is None:
        return "–"
    low, high = (float(v) if v is not None else math.nan for v in ci)
    if math.isnan(low) or math.isnan(high):
        return "–"
    return f"[{low:.{digits}g}, {high:.{digits}g}]"


def _p(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def _level(confidence_level: float) -> str:
    return f"{100 * confidence_level:g}%"


def _where(metric: str, task: str) -> str:
    return f"`{metric}`" if not task else f"`{metric}` / {task}"


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
        _significance_section(report, result.significance_pooled)
    if result.multiple is not None:
        _multiple_section(report, result)
    if result.ordering is not None:
        _ordering_section(report.section("Expected ordering"), result)
    for item in result.across_tasks:
        _across_section(report.section(f"Across tasks: `{item.metric}`"), item, result)
    if result.curves is not None:
        _curves_section(report.section("Learning curves"), result)
    if result.warnings:
        warn = report.section("Warnings and notes")
        warn.add("\n".join(f"- {w}" for w in result.warnings))
    settings = report.section("Settings")
    settings.add(_settings_table(result))
    return report


def _preamble(result: CompareResult) -> str:
    runs = ", ".join(f"`{c}` ({n} runs)" for c, n in result.runs_per_condition.items())
    tasks = [t for t in result.tasks if t]
    task_text = f"; {len(tasks)} task(s)" if tasks else ""
    return (
        f"Source: `{result.source}`. Conditions: {runs}{task_text}. Metrics: "
        f"{', '.join(f'`{m}`' for m in result.metrics)}. Window: `{result.window}` (each run "
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
        for c in sig.comparisons[:10]:
            bullets.append(
                f"{_where(c.metric, c.task)}{pooled}: `{sig.candidate}` − `{sig.baseline}` = "
                f"{_num(c.delta)} {_interval(c.ci)}, p = {_p(c.pvalue)}: **{c.verdict}**."
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
                f"Across {len(item.tasks)} task(s), `{item.metric}`: highest IQM "
                f"`{top['condition']}` {_num(top['estimate'])} "
                f"{_interval((top['ci_low'], top['ci_high']))}."
            )
    return "\n".join(f"- {b}" for b in bullets)


def _settings_table(result: CompareResult) -> str:
    rows = [[key, "–" if value is None else str(value)] for key, value in result.settings.items()]
    return md_table(["Setting", "Value"], rows)


# --------------------------------------------------------------------------------------------
# Significance
# --------------------------------------------------------------------------------------------


def _significance_section(report: Report, sig: Any) -> None:
    pooled = _is_pooled(sig.unit)
    title = f"Significance: `{sig.candidate}` vs `{sig.baseline}`"
    if pooled:
        title += f" ({POOLED_LABEL})"
    section = report.section(title)
    level = _level(1.0 - sig.alpha)
    if pooled:
        section.add(
            "**Pseudo-replicated analysis.** Every window step of every seed is treated as an "
            "independent observation, which overstates the evidence (steps of one run share its "
            "seed). Shown because it was asked for (`--pooled`), for comparison with scripts that "
            "pool; the seed-level analysis above is the one to report."
        )
    section.add(
        f"Δ = candidate − baseline over window `{sig.window}`, unit: {sig.unit}. CI: {level} "
        "bootstrap; p: two-sided permutation test (exact when all relabelings were enumerated); "
        f"power figures for {100 * sig.power:g}% power at α = {sig.alpha:g}."
    )
    rows = []
    for c in sig.comparisons:
        rows.append(
            [
                _where(c.metric, c.task),
                f"{c.n_baseline} / {c.n_candidate}",
                _num(c.mean_baseline),
                _num(c.mean_candidate),
                _num(c.delta),
                _interval(c.ci),
                _p(c.pvalue) + (" (exact)" if c.permutation_exact else ""),
                f"{_num(c.cohens_d, 3)} {_interval(c.cohens_d_ci, 3)}",
                _num(c.hedges_g, 3),
                _num(c.power_observed, 3),
                "–" if c.n_per_arm_observed is None else str(c.n_per_arm_observed),
                "–" if c.n_per_arm_min_effect is None else str(c.n_per_arm_min_effect),
                _num(c.mde),
                f"**{c.verdict}**",
            ]
        )
    section.add(
        md_table(
            [
                "Metric",
                "n (base / cand)",
                "Baseline",
                "Candidate",
                "Δ",
                f"{level} CI",
                "p",
                "Cohen's d [CI]",
                "Hedges' g",
                "Power (obs.)",
                "n/arm (obs. d)",
                "n/arm (min effect)",
                "MDE",
                "Verdict",
            ],
            rows,
        )
    )
    counts = [c for c in sig.comparisons if c.counts is not None]
    if counts:
        section.add(
            "Pooled correct/total counts (episode level: all seeds and window steps pooled; this "
            "ignores seed-to-seed variation, a supplement to the seed-level test above):"
        )
        section.add(
            md_table(
                [
                    "Metric",
                    "Baseline correct/total",
                    "Rate [Wilson]",
                    "Candidate correct/total",
                    "Rate [Wilson]",
                    "Difference [Newcombe]",
                    "Fisher p",
                    "Odds ratio [CI]",
                    "Episodes/arm",
                ],
                [
                    [
                        _where(c.metric, c.task),
                        f"{k.correct_baseline}/{k.total_baseline}",
                        f"{_num(k.rate_baseline)} {_interval(k.rate_baseline_ci)}",
                        f"{k.correct_candidate}/{k.total_candidate}",
                        f"{_num(k.rate_candidate)} {_interval(k.rate_candidate_ci)}",
                        f"{_num(k.rate_difference)} {_interval(k.rate_difference_ci)}",
                        _p(k.fisher_pvalue),
                        f"{_num(k.odds_ratio, 3)} {_interval(k.odds_ratio_ci, 3)}",
                        "–" if k.episodes_per_arm is None else f"{k.episodes_per_arm:,}",
                    ]
                    for c in counts
                    for k in [c.counts]
                ],
            )
        )
    entries = [
        (_forest_label(c.metric, c.task), c.delta, c.ci, c.verdict, c.metric)
        for c in sig.comparisons
    ]
    for metric in dict.fromkeys(c.metric for c in sig.comparisons):
        subset = [e for e in entries if e[4] == metric]
        section.figure(
            _forest_figure(
                subset,
                title=f"{metric}: {sig.candidate} − {sig.baseline} ({level} CI)"
                + (f" [{POOLED_LABEL}]" if pooled else ""),
            )
        )


def _forest_label(metric: str, task: str, pair: str | None = None) -> str:
    parts = [p for p in (pair, task) if p]
    return " | ".join(parts) if parts else metric


def _forest_figure(entries: Sequence[tuple[str, float, Any, str, str]], *, title: str) -> Any:
    import plotly.graph_objects as go

    colours = {
        "significant_improvement": "#2ca02c",
        "significant_degradation": "#d62728",
        "insufficient_evidence": "#555555",
    }
    labels = [e[0] for e in entries]
    deltas = [_finite(e[1]) for e in entries]
    lows = [_finite(e[2][0]) if e[2] is not None else None for e in entries]
    highs = [_finite(e[2][1]) if e[2] is not None else None for e in entries]
    fig = go.Figure()
    for verdict, colour in colours.items():
        idx = [i for i, e in enumerate(entries) if e[3] == verdict]
        if not idx:
            continue
        fig.add_trace(
            go.Scatter(
                x=[deltas[i] for i in idx],
                y=[labels[i] for i in idx],
                mode="markers",
                marker={"color": colour, "size": 9},
                name=verdict.replace("_", " "),
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [_gap(highs[i], deltas[i]) for i in idx],
                    "arrayminus": [_gap(deltas[i], lows[i]) for i in idx],
                    "color": colour,
                    "thickness": 1.5,
                },
                hovertemplate="%{y}: Δ=%{x:.4g}<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "black", "dash": "dash", "width": 1})
    fig.update_layout(
        title=title,
        xaxis_title="difference (candidate − baseline)",
        height=140 + 32 * len(entries),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _gap(a: float | None, b: float | None) -> float:
    if a is None or b is None:
        return 0.0
    return max(a - b, 0.0)


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
        title = f"Every condition vs `{pair_baseline}`"
    if pooled:
        title += f" ({POOLED_LABEL})"
    section = report.section(title)
    adjust = ", ".join(multiple.adjust)
    section.add(
        f"Δ = candidate − baseline over window `{multiple.window}`, unit: {multiple.unit}. "
        f"p-values adjusted for multiplicity ({adjust}; family: {multiple.family}); the verdict "
        f"uses the first adjustment at α = {multiple.alpha:g}. Intervals are not adjusted."
    )
    frame = multiple.frame
    p_columns = [c for c in frame.columns if c.startswith("p_")]
    rows = []
    for row in frame.head(MAX_TABLE_ROWS).iter_rows(named=True):
        rows.append(
            [
                _where(row["metric"], row["task"]),
                f"`{row['candidate']}` − `{row['baseline']}`",
                f"{row['n_baseline']} / {row['n_candidate']}",
                _num(row["delta"]),
                _interval((row["ci_low"], row["ci_high"])),
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
    for metric in frame.get_column("metric").unique(maintain_order=True).to_list():
        sub = frame.filter(pl.col("metric") == metric).head(60)
        entries = [
            (
                _forest_label(metric, row["task"], f"{row['candidate']} − {row['baseline']}"),
                row["delta"],
                (row["ci_low"], row["ci_high"]),
                row["verdict"],
                metric,
            )
            for row in sub.iter_rows(named=True)
        ]
        section.figure(
            _forest_figure(
                entries,
                title=f"{metric}: pairwise differences" + (f" [{POOLED_LABEL}]" if pooled else ""),
            )
        )


def _ordering_section(section: Section, result: CompareResult) -> None:
    ordering = result.ordering
    chain = " ≥ ".join(f"`{c}`" for c in ordering.ordering)
    section.add(
        f"Expected: {chain} on {_where(ordering.metric, ordering.task)}, window "
        f"`{ordering.window}`. Overall: **{ordering.status}**. A pair is supported when the "
        f"{ordering.adjust}-adjusted p < {ordering.alpha:g} and its CI lies above 0, "
        "contradicted when significantly below 0, unresolved otherwise."
    )
    section.add(
        md_table(
            ["Pair", "Difference", "CI", "p", "p (adjusted)", "Status"],
            [
                [
                    f"`{p.higher}` ≥ `{p.lower}`",
                    _num(p.difference),
                    _interval(p.ci),
                    _p(p.pvalue),
                    _p(p.p_adjusted),
                    f"**{p.status}**",
                ]
                for p in ordering.pairs
            ],
        )
    )
    entries = [
        (f"{p.higher} − {p.lower}", p.difference, p.ci, _ordering_verdict(p.status), "")
        for p in ordering.pairs
    ]
    section.figure(_forest_figure(entries, title=f"{ordering.metric}: adjacent differences"))


def _ordering_verdict(status: str) -> str:
    return {
        "supported": "significant_improvement",
        "contradicted": "significant_degradation",
    }.get(status, "insufficient_evidence")


# --------------------------------------------------------------------------------------------
# Litmus
# --------------------------------------------------------------------------------------------


def _litmus_section(section: Section, result: CompareResult) -> None:
    litmus = result.litmus
    name = f" ({litmus.name})" if litmus.name else ""
    icon = _STATUS_ICON.get(litmus.status, "")
    section.add(
        f"**{icon} {litmus.status}**{name}: `{litmus.candidate}` vs `{litmus.baseline}`, window "
        f"`{litmus.window}`{', task ' + litmus.task if litmus.task else ''}; rules from "
        f"`{litmus.source}`."
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
                "#",
                "Check",
                "Expression",
                "Weight",
                "Baseline",
                "Candidate",
                "Observed",
                "Needs",
                "Result",
            ],
            [
                [
                    c.index,
                    c.name,
                    f"`{c.expression}`",
                    c.weight or "–",
                    _num(c.baseline_value),
                    _num(c.candidate_value),
                    f"{c.quantity} = {_num(c.observed)}",
                    f"{c.operator} {c.threshold:g}",
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
    level = _level(item.confidence_level)
    norm = {
        "minmax": "min-max normalized per task (over every run of every condition)",
        "reference": "normalized per task with the given reference scores",
        None: "raw (not normalized)",
    }.get(item.normalization, str(item.normalization))
    section.add(
        f"{len(item.tasks)} task(s); one score per run and task (its mean over window "
        f"`{item.window}`), {norm}. {level} stratified bootstrap intervals "
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
            cells.append(f"{_num(row['estimate'])} {_interval((row['ci_low'], row['ci_high']))}")
        rows.append([f"`{cond}`", item.n_runs[cond], *cells])
    section.add(md_table(["Condition", "Runs", *metrics], rows))
    if item.improvement.height:
        section.add(
            md_table(
                ["X", "Y", "P(X > Y)", f"{level} CI"],
                [
                    [
                        f"`{r['x']}`",
                        f"`{r['y']}`",
                        _num(r["probability"], 3),
                        _interval((r["ci_low"], r["ci_high"]), 3),
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
                ["Task", *[f"`{c}`" for c in item.conditions]],
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
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": [_gap(_finite(row["ci_high"]), _finite(row["estimate"]))],
                        "arrayminus": [_gap(_finite(row["estimate"]), _finite(row["ci_low"]))],
                        "color": colour,
                    },
                    name=cond,
                    showlegend=False,
                    hovertemplate=f"{cond}: %{{x:.4g}}<extra>{metric}</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_layout(
        title=f"{item.metric}: aggregates across {len(item.tasks)} task(s)",
        height=160 + 36 * len(item.conditions),
        margin={"l": 10, "r": 10, "t": 70, "b": 40},
        template="plotly_white",
    )
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


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
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=high + low[::-1],
                fill="toself",
                fillcolor=_rgba(colour, 0.18),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=cond,
            )
        )
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
    fig.update_layout(
        title=f"{item.metric}: performance profile (fraction of runs with score > τ)",
        xaxis_title="τ (normalized score)" if item.normalization else "τ (score)",
        yaxis_title="fraction of runs > τ",
        yaxis_range=[0, 1.02],
        height=420,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


# --------------------------------------------------------------------------------------------
# Learning curves
# --------------------------------------------------------------------------------------------


def _curves_section(section: Section, result: CompareResult) -> None:
    curves = result.curves
    band = {
        "sd": "mean ± sd over seeds",
        "sem": "mean ± standard error over seeds",
        "ci": f"bootstrap {_level(curves.confidence_level or 0.95)} CI of the mean over seeds",
    }.get(curves.band, curves.band)
    smoothing = f", runs smoothed with `{curves.smoothing}`" if curves.smoothing else ""
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
                x = banded.get_column("step").to_list()
                fig.add_trace(
                    go.Scatter(
                        x=x + x[::-1],
                        y=banded.get_column("high").to_list()
                        + banded.get_column("low").to_list()[::-1],
                        fill="toself",
                        fillcolor=_rgba(colour, 0.18),
                        line={"width": 0},
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=cond,
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
    fig.update_layout(
        title=f"{metric}: learning curves",
        height=max(380, 280 * rows),
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
    )
    fig.update_xaxes(title_text="step", row=rows)
    return fig
