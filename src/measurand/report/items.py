"""The items report: per task the models' means and ranks, every pair's paired difference, the
items the models disagree on; across tasks Friedman/Nemenyi with a critical-difference diagram.

HTML adds a forest plot of the paired differences, a rank-interval plot, the critical-difference
diagram and the full disagreement list as a scrollable table.
"""

from __future__ import annotations

import math

import numpy as np

from measurand.items.workflow import ItemsResult, PairRow, TaskAnalysis
from measurand.report.document import Report, md_table
from measurand.report.format import cell_code, code, interval, num, style_figure
from measurand.report.format import level as _level

_BLUE = "#1877F2"
_RED = "#E4572E"
_GREY = "#888888"
_GREEN = "#2CA58D"
MD_PAIRS = 30
MD_DISAGREEMENT = 15
FIGURE_PAIRS = 60


def _p(value: float | None) -> str:
    if value is None or value != value:
        return "–"
    return "<1e-4" if value < 1e-4 else f"{value:.4f}"


def _diff(value: float) -> str:
    return f"{value:+.4f}"


def _pair_name(pair: PairRow) -> str:
    return f"{pair.a} − {pair.b}"


def items_report(result: ItemsResult, *, source: str | None = None) -> Report:
    """Build the report for an :class:`~measurand.items.ItemsResult`."""
    level = _level(result.settings.confidence_level)
    report = Report("Items: models compared on the same test items")
    report.preamble.append(_preamble(result, source))
    report.section("Headline").add(_headline(result, level))
    for task in result.tasks:
        name = f"Task {code(task.task)}" if task.task else "Results"
        models = report.section(f"{name}: models")
        models.add(_task_text(result, task, level))
        models.add(_models_table(task, level))
        models.figure(_rank_figure(task, level, task.task))
        pairs = report.section(f"{name}: pairs")
        pairs.add(_pairs_text(result, task, level))
        pairs.add(_pairs_table(task, level, result.settings.reference))
        pairs.figure(_forest_figure(task, level, task.task))
        dis = report.section(f"{name}: where the models disagree")
        dis.add(_disagreement_text(result, task))
        if task.disagreement:
            dis.add(_disagreement_table(result, task, MD_DISAGREEMENT))
            dis.figure(_disagreement_figure(result, task))
    across = result.across_tasks
    if across is not None:
        sec = report.section("Across tasks")
        sec.add(_across_text(result, level))
        if across.friedman is not None:
            sec.add(_across_table(result))
            sec.figure(_cd_figure(result, level))
    report.section("Planning").add(_planning_text(result, level))
    if result.warnings:
        report.section("Warnings").add("\n".join(f"- {w}" for w in result.warnings))
    report.section("Settings").add(_settings_text(result, level))
    return report


# ----------------------------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------------------------
def _preamble(result: ItemsResult, source: str | None) -> str:
    rule = f"; binarized: {result.binarization}" if result.binarization else ""
    return (
        f"Input: {code(source or result.source)}; score: {code(result.metric)}{rule}. "
        f"{len(result.models)} models, {len(result.tasks)} task(s). The item is the unit: runs "
        "are averaged within an item, models are compared item by item"
        + (", and items of one cluster are resampled together." if result.has_clusters else ".")
    )


def _headline(result: ItemsResult, level: str) -> str:
    lines = []
    for task in result.tasks:
        best = min(task.models, key=lambda m: m.rank)
        ties = [m.model for m in task.models if m.rank_interval[0] == 1 and m is not best]
        where = f"{code(task.task)}: " if task.task else ""
        sure = f"rank interval [{best.rank_interval[0]}, {best.rank_interval[1]}]" + (
            f"; could also be first: {', '.join(ties)}"
            if ties
            else "; first in every resample interval"
        )
        separated = sum(p.pvalue_fwer < 1 - result.settings.confidence_level for p in task.pairs)
        lines.append(
            f"- {where}**{best.model}** leads with {num(best.mean)} "
            f"{interval(best.confidence_interval)} "
            f"({sure}); {separated} of {len(task.pairs)} pairs differ at family-wise {level}."
        )
    if result.settings.reference is not None:
        lines.append(
            f"- Against the reference {code(result.settings.reference)}: overall status "
            f"**{result.status}**."
        )
    return "\n".join(lines)


def _task_text(result: ItemsResult, task: TaskAnalysis, level: str) -> str:
    clusters = (
        f" in {task.n_clusters} clusters (mean size {task.mean_cluster_size:.3g})"
        if result.has_clusters
        else ""
    )
    runs = f", {task.runs:.3g} runs per item (harmonic mean)" if task.runs > 1 else ""
    method = "cluster-robust (CR1, t with G−1 df)" if result.has_clusters else "t"
    return (
        f"{task.n_items:,} items{clusters}{runs}. Mean with its {level} {method} interval and the "
        f"cluster-bootstrap percentile interval; rank 1 = best with its {level} bootstrap "
        "interval. Design effect = variance with clusters / variance as if items were "
        "independent. Run variance: within-item variance between runs (its share of the item "
        "means' variance in brackets)."
    )


def _models_table(task: TaskAnalysis, level: str) -> str:
    rows = []
    for m in sorted(task.models, key=lambda r: (r.rank, r.model)):
        run = "–" if m.run_variance is None else f"{num(m.run_variance)} ({num(m.run_share, 2)})"
        rows.append(
            [
                m.rank,
                cell_code(m.model),
                num(m.mean),
                interval(m.confidence_interval),
                interval(m.bootstrap_interval),
                f"[{m.rank_interval[0]}, {m.rank_interval[1]}]",
                num(m.design_effect, 3),
                run,
            ]
        )
    return md_table(
        ["rank", "model", "mean", f"{level} CI", "bootstrap CI", "rank CI", "deff", "run var"],
        rows,
    )


def _pairs_text(result: ItemsResult, task: TaskAnalysis, level: str) -> str:
    shown = min(len(task.pairs), MD_PAIRS)
    more = (
        f" The {shown} largest differences are listed; results.json has all {len(task.pairs)}."
        if len(task.pairs) > shown
        else ""
    )
    mcnemar = (
        " McNemar: exact test on the discordant items (binary scores, one run)."
        if task.binary
        else ""
    )
    shrink = [p.pairing_ratio for p in task.pairs if p.pairing_ratio == p.pairing_ratio]
    pairing = (
        f" Pairing shrank the standard errors to {min(shrink):.2f}–{max(shrink):.2f} of the "
        "unpaired ones (column SE ratio; r = correlation of the two models' item scores)."
        if shrink
        else ""
    )
    return (
        f"Difference = mean(a) − mean(b) over the same items, with the {level} paired "
        f"{'cluster-robust ' if result.has_clusters else ''}t interval and the paired bootstrap "
        f"interval ({result.settings.n_resamples:,} resamples). p: paired t test; Holm and BH "
        "adjust it over the task's pairs; FWER: Romano–Wolf step-down max-T p-value from the "
        f"same bootstrap.{mcnemar}{pairing}{more}"
    )


def _sorted_pairs(task: TaskAnalysis) -> list[PairRow]:
    return sorted(task.pairs, key=lambda p: -abs(p.difference))


def _status_cell(pair: PairRow, reference: str | None) -> str:
    """The other model's status against the reference, e.g. ``model-e WORSE``."""
    if pair.status is None:
        return "–"
    other = pair.b if pair.a == reference else pair.a
    return f"{other} {pair.status}"


def _pairs_table(task: TaskAnalysis, level: str, reference: str | None) -> str:
    rows = []
    for p in _sorted_pairs(task)[:MD_PAIRS]:
        rows.append(
            [
                cell_code(_pair_name(p)),
                _diff(p.difference),
                interval(p.confidence_interval),
                interval(p.bootstrap_interval),
                _p(p.pvalue_holm),
                _p(p.pvalue_fwer),
                _p(p.mcnemar_pvalue),
                num(p.correlation, 3),
                num(p.pairing_ratio, 3),
                _status_cell(p, reference),
            ]
        )
    return md_table(
        [
            "pair",
            "difference",
            f"{level} CI",
            "bootstrap CI",
            "p Holm",
            "p FWER",
            "McNemar p",
            "r",
            "SE ratio",
            "vs reference",
        ],
        rows,
    )


def _disagreement_text(result: ItemsResult, task: TaskAnalysis) -> str:
    if not task.disagreement:
        return "Every model scores every item alike."
    return (
        f"Items ordered by the spread of the models' scores (sd across models; for 0/1 scores "
        f"largest at an even split). {task.n_unanimous:,} of {task.n_items:,} items get the same "
        f"score from every model. The report lists {len(task.disagreement):,} items "
        f"(`--top` sets how many); the table below shows the first {MD_DISAGREEMENT}."
    )


def _disagreement_table(result: ItemsResult, task: TaskAnalysis, limit: int) -> str:
    rows = []
    for row in task.disagreement[:limit]:
        rows.append(
            [
                cell_code(row.item),
                *([cell_code(row.cluster)] if result.has_clusters else []),
                num(row.spread, 3),
                num(row.mean, 3),
                *(num(v, 3) for v in row.scores),
            ]
        )
    headers = [
        "item",
        *(["cluster"] if result.has_clusters else []),
        "spread",
        "mean",
        *result.models,
    ]
    return md_table(headers, rows)


def _across_text(result: ItemsResult, level: str) -> str:
    across = result.across_tasks
    assert across is not None
    text = []
    if across.friedman is not None:
        f = across.friedman
        text.append(
            f"Friedman's test on the {f.n_tasks} task means of {f.n_models} models: χ² = "
            f"{f.statistic:.3f}, df = {f.df}, p = {_p(f.pvalue)}. Nemenyi critical difference "
            f"of average ranks at {level}: **{f.critical_difference:.3f}** (models whose ranks "
            "differ by less are joined by a bar in the diagram). Wilcoxon signed-rank over "
            "tasks with Holm's adjustment below."
        )
    if across.note:
        text.append(f"Note: {across.note}.")
    return " ".join(text)


def _across_table(result: ItemsResult) -> str:
    across = result.across_tasks
    assert across is not None and across.friedman is not None
    f = across.friedman
    rank_rows = [
        [cell_code(across.models[i]), num(f.average_rank[i], 3)]
        for i in np.argsort(f.average_rank, kind="stable")
    ]
    pair_rows = [
        [
            cell_code(f"{across.models[i]} − {across.models[j]}"),
            num(f.average_rank[j] - f.average_rank[i], 3),
            _p(f.nemenyi_pvalue[k]),
            _p(f.wilcoxon_pvalue[k]),
            _p(f.wilcoxon_holm[k]),
        ]
        for k, (i, j) in enumerate(f.pairs)
    ]
    return (
        md_table(["model", "average rank"], rank_rows)
        + "\n\n"
        + md_table(["pair", "rank gap", "Nemenyi p", "Wilcoxon p", "Wilcoxon Holm"], pair_rows)
    )


def _planning_text(result: ItemsResult, level: str) -> str:
    lines = [
        "Smallest difference each task's items detect with 80 % power at the two-sided "
        f"{100 - float(level.rstrip('%')):g} % level, from the observed sd of the paired "
        "differences (and the design effect): the median over pairs, and the closest pair."
    ]
    for task in result.tasks:
        mdes = [p.mde_80 for p in task.pairs if p.mde_80 is not None]
        if not mdes:
            continue
        closest = min(task.pairs, key=lambda p: abs(p.difference))
        where = f"{code(task.task)}: " if task.task else ""
        lines.append(
            f"- {where}median {num(float(np.median(mdes)), 3)} with {task.n_items:,} items; "
            f"closest pair {code(_pair_name(closest))} differs by {_diff(closest.difference)} "
            f"(detectable: {num(closest.mde_80, 3)})."
        )
    lines.append(
        "How many items, runs or seeds a target difference needs: `measurand plan --from "
        "<this folder> --mde <difference>`."
    )
    return "\n".join(lines)


def _settings_text(result: ItemsResult, level: str) -> str:
    s = result.settings
    return (
        f"Resamples {s.n_resamples:,}; confidence level {level}; seed {s.seed}; reference "
        f"{code(s.reference) if s.reference else '–'}."
    )


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def _suffix(task: str) -> str:
    return f" ({task})" if task else ""


def _forest_figure(task: TaskAnalysis, level: str, name: str):
    import plotly.graph_objects as go

    pairs = _sorted_pairs(task)[:FIGURE_PAIRS]
    labels = [_pair_name(p) for p in pairs]
    diff = np.array([p.difference for p in pairs])
    lo = np.array([p.confidence_interval[0] for p in pairs])
    hi = np.array([p.confidence_interval[1] for p in pairs])
    colors = [_GREEN if p.pvalue_fwer < 0.05 else _GREY for p in pairs]
    fig = go.Figure(
        go.Scatter(
            x=diff,
            y=labels,
            mode="markers",
            marker={"color": colors, "size": 8},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": hi - diff,
                "arrayminus": diff - lo,
                "color": _GREY,
            },
            customdata=np.column_stack([lo, hi, [p.pvalue_fwer for p in pairs]]),
            hovertemplate="%{y}<br>%{x:+.4f} [%{customdata[0]:+.4f}, %{customdata[1]:+.4f}]"
            "<br>p FWER %{customdata[2]:.4f}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line={"color": _RED, "dash": "dot"})
    title = f"Paired differences with {level} intervals{_suffix(name)}; green: family-wise p < 0.05"
    if len(task.pairs) > len(pairs):
        title += f"; {len(pairs)} largest of {len(task.pairs)}"
    return style_figure(
        fig,
        title=title,
        xaxis_title="mean(a) − mean(b)",
        yaxis={"range": [len(pairs) - 0.5, -0.5], "tickfont": {"size": 10}},
        height=max(320, 22 * len(pairs) + 120),
    )


def _rank_figure(task: TaskAnalysis, level: str, name: str):
    import plotly.graph_objects as go

    rows = sorted(task.models, key=lambda r: (r.rank, r.model))
    rank = np.array([r.rank for r in rows], dtype=float)
    low = np.array([r.rank_interval[0] for r in rows], dtype=float)
    high = np.array([r.rank_interval[1] for r in rows], dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=rank,
            y=[r.model for r in rows],
            mode="markers",
            marker={"color": _BLUE, "size": 8},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": high - rank,
                "arrayminus": rank - low,
                "color": _GREY,
            },
            customdata=np.column_stack([low, high, [r.mean for r in rows]]),
            hovertemplate="%{y}<br>rank %{x} [%{customdata[0]}, %{customdata[1]}]"
            "<br>mean %{customdata[2]:.4f}<extra></extra>",
        )
    )
    return style_figure(
        fig,
        title=f"Rank with {level} bootstrap interval (1 = best){_suffix(name)}",
        xaxis={"title": "rank", "dtick": 1},
        yaxis={"range": [len(rows) - 0.5, -0.5]},
        height=max(300, 24 * len(rows) + 120),
    )


def _disagreement_figure(result: ItemsResult, task: TaskAnalysis):
    """The whole disagreement list as a scrollable plotly table."""
    import plotly.graph_objects as go

    rows = task.disagreement
    columns = [[r.item for r in rows]]
    headers = ["item"]
    if result.has_clusters:
        columns.append([r.cluster for r in rows])
        headers.append("cluster")
    columns += [[f"{r.spread:.3f}" for r in rows], [f"{r.mean:.3f}" for r in rows]]
    headers += ["spread", "mean"]
    for j, model in enumerate(result.models):
        columns.append([f"{r.scores[j]:.3g}" for r in rows])
        headers.append(model)
    fig = go.Figure(
        go.Table(
            header={"values": headers, "fill_color": "#f6f8fa", "align": "left"},
            cells={"values": columns, "align": "left", "height": 22},
        )
    )
    return style_figure(
        fig,
        title=f"All {len(rows):,} listed items (scroll){_suffix(task.task)}",
        height=460,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )


def _cd_figure(result: ItemsResult, level: str):
    """Critical-difference diagram (Demšar 2006, Fig. 1): average ranks on one axis, a bar
    joining models within one CD."""
    import plotly.graph_objects as go

    across = result.across_tasks
    assert across is not None and across.friedman is not None
    f = across.friedman
    k = f.n_models
    order = np.argsort(f.average_rank, kind="stable")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[1, k],
            y=[0, 0],
            mode="lines",
            line={"color": "black"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for pos, i in enumerate(order):
        rank = float(f.average_rank[i])
        depth = -0.5 - 0.35 * (pos if pos < math.ceil(k / 2) else k - 1 - pos)
        side = "left" if pos < math.ceil(k / 2) else "right"
        end = 0.6 if side == "left" else k + 0.4
        fig.add_trace(
            go.Scatter(
                x=[rank, rank, end],
                y=[0, depth, depth],
                mode="lines+markers+text",
                line={"color": _BLUE},
                marker={"size": [7, 0, 0]},
                text=["", "", f"{across.models[i]} ({rank:.2f})"],
                textposition="middle left" if side == "left" else "middle right",
                hovertemplate=f"{across.models[i]}: average rank {rank:.3f}<extra></extra>",
                showlegend=False,
            )
        )
    cd = f.critical_difference
    fig.add_trace(
        go.Scatter(
            x=[1, 1 + cd],
            y=[0.55, 0.55],
            mode="lines+text",
            line={"color": _RED, "width": 3},
            text=[f"CD = {cd:.2f}", ""],
            textposition="top right",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for level_index, clique in enumerate(f.cliques):
        ranks = f.average_rank[clique]
        y = 0.18 + 0.1 * level_index
        fig.add_trace(
            go.Scatter(
                x=[ranks.min() - 0.03, ranks.max() + 0.03],
                y=[y, y],
                mode="lines",
                line={"color": "black", "width": 5},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    depth = 0.5 + 0.35 * math.ceil(k / 2)
    return style_figure(
        fig,
        title=f"Critical-difference diagram (Nemenyi, {level}; 1 = best)",
        xaxis={"range": [-1.5, k + 2.5], "tickvals": list(range(1, k + 1)), "showgrid": False},
        yaxis={"visible": False, "range": [-depth - 0.3, 0.9]},
        height=int(220 + 40 * k),
    )
