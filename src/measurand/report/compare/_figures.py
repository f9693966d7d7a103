"""The plotly figures of the compare report: forest plots, curves, aggregates, profiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from measurand.report.compare._common import (
    FOREST_TOP,
    LEGEND_BELOW,
    POOLED_LABEL,
    condition_colour,
    rgba,
    thin_indices,
)
from measurand.report.document import Section
from measurand.report.format import interval, num, style_figure


class ForestRow(NamedTuple):
    """One row of a forest plot: an estimate with its interval, coloured by its verdict."""

    label: str
    estimate: Any
    ci: Any
    verdict: str  # a verdict of a comparison, or the status of an ordering pair
    hover: str


GOOD, BAD, UNDECIDED = "#2ca02c", "#d62728", "#555555"


VERDICT_COLOURS = {
    "significant_improvement": GOOD,
    "significant_degradation": BAD,
    "insufficient_evidence": UNDECIDED,
}


STATUS_COLOURS = {"supported": GOOD, "contradicted": BAD, "unresolved": UNDECIDED}


def difference_forests(
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
                rows.append(ForestRow(label, c.cohens_d, c.cohens_d_ci, verdict, f"{d}<br>{raw}"))
            else:
                rows.append(ForestRow(label, c.delta, c.ci, verdict, raw))
        shown = largest_effects(rows, FOREST_TOP)
        heading = f"{metric}: {title}"
        if len(shown) < len(rows):
            heading += f"<br><sup>the {len(shown)} largest |effect| of {len(rows)} rows</sup>"
            section.add(
                f"{metric}: the forest plot shows the {len(shown)} rows with the largest "
                f"|{'d' if standardized else 'Δ'}| of {len(rows)}; the table lists every row."
            )
        section.figure(forest_figure(shown, title=heading, xaxis_title=axis, pooled=pooled))


def largest_effects(rows: Sequence[ForestRow], limit: int) -> list[ForestRow]:
    """The ``limit`` rows with the largest finite |estimate| (then the others), in their
    original order, so that a forest plot of hundreds of tasks stays readable."""
    if len(rows) <= limit:
        return list(rows)
    size = [abs(finite(r.estimate) or 0.0) for r in rows]
    keep = set(sorted(range(len(rows)), key=lambda i: -size[i])[:limit])
    return [r for i, r in enumerate(rows) if i in keep]


def forest_figure(
    rows: Sequence[ForestRow],
    *,
    title: str,
    xaxis_title: str,
    colours: dict[str, str] = VERDICT_COLOURS,
    pooled: bool = False,
) -> Any:
    """Rows top down, one trace (and legend entry) per verdict, a dashed line at 0."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for verdict, colour in colours.items():
        chosen = [r for r in rows if r.verdict == verdict]
        if not chosen:
            continue
        estimates = [finite(r.estimate) for r in chosen]
        lows, highs = zip(*(ci_ends(r.ci) for r in chosen), strict=True)
        fig.add_trace(
            go.Scatter(
                x=estimates,
                y=[r.label for r in chosen],
                hovertext=[f"{r.label}<br>{r.hover}" for r in chosen],
                hovertemplate="%{hovertext}<extra></extra>",
                mode="markers",
                marker={"color": colour, "size": 9},
                name=verdict.replace("_", " "),
                error_x=error_bars(estimates, lows, highs, colour),
            )
        )
    fig.add_vline(x=0, line={"color": "black", "dash": "dash", "width": 1})
    if pooled:
        title += f"<br><sup>{POOLED_LABEL}</sup>"
    tall = len(rows) > 12
    if tall:
        # A second, matching x axis on top: a tall plot keeps its scale in view at both ends.
        fig.add_trace(
            go.Scatter(
                x=[0],
                y=[rows[0].label],
                xaxis="x2",
                mode="markers",
                opacity=0,
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.update_layout(
            xaxis2={"matches": "x", "overlaying": "x", "side": "top", "showgrid": False}
        )
    top = (90 if pooled else 70) + (30 if tall else 0)
    style_figure(
        fig,
        title=title,
        height=top + 110 + 26 * len(rows),
        margin={"l": 10, "r": 10, "t": top, "b": 90},
        xaxis={"title": xaxis_title},
        # rows in the given order, top down (traces are per verdict, so not in row order)
        yaxis={
            "autorange": "reversed",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [r.label for r in rows],
        },
        legend=LEGEND_BELOW,
        showlegend=True,  # the colours are verdicts: say so even when all rows share one
    )
    return fig


def finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def ci_ends(ci: Any) -> tuple[float | None, float | None]:
    return (None, None) if ci is None else (finite(ci[0]), finite(ci[1]))


def error_bars(
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


def band_trace(x: list[Any], low: list[Any], high: list[Any], colour: str, group: str) -> Any:
    """A filled [low, high] band along ``x`` (no legend entry; toggled with ``group``)."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=x + x[::-1],
        y=high + low[::-1],
        fill="toself",
        fillcolor=rgba(colour, 0.18),
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
        legendgroup=group,
    )


def aggregate_figure(item: Any) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    aggregates = item.aggregates
    metrics = aggregates.get_column("metric").unique(maintain_order=True).to_list()
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=metrics, shared_yaxes=True)
    for col, metric in enumerate(metrics, start=1):
        sub = aggregates.filter(pl.col("metric") == metric)
        for cond in item.conditions:
            row = sub.filter(pl.col("condition") == cond).row(0, named=True)
            colour = condition_colour(item.conditions, cond)
            fig.add_trace(
                go.Scatter(
                    x=[row["estimate"]],
                    y=[cond],
                    mode="markers",
                    marker={"color": colour, "size": 9},
                    error_x=error_bars(
                        [finite(row["estimate"])],
                        [finite(row["ci_low"])],
                        [finite(row["ci_high"])],
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


def _tau_title(item: Any) -> str:
    scale = "normalized score" if item.normalization else "score"
    if not getattr(item, "higher_is_better", True):
        scale += ", oriented: 1 = best" if item.normalization else ", negated: lower is better"
    return f"τ ({scale})"


def profile_figure(item: Any) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    taus = np.asarray(item.profile_taus, dtype=float)
    keep = thin_indices(taus.size)
    x = taus[keep].tolist()
    for cond in item.conditions:
        colour = condition_colour(item.conditions, cond)
        low = np.asarray(item.profile_low[cond])[keep].tolist()
        high = np.asarray(item.profile_high[cond])[keep].tolist()
        fig.add_trace(band_trace(x, low, high, colour, cond))
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
        xaxis={"title": _tau_title(item)},
        yaxis={"title": "fraction of runs > τ", "range": [0, 1.02]},
        height=420,
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
        legend=LEGEND_BELOW,
    )


def curves_figure(
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
            colour = condition_colour(conditions, cond)
            curve = curve[thin_indices(curve.height).tolist()]
            banded = curve.filter(pl.col("low").is_not_null() & pl.col("high").is_not_null())
            if banded.height:
                fig.add_trace(
                    band_trace(
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
    fig.update_yaxes(title_text=metric, col=1)
    return style_figure(
        fig,
        title=f"{metric}: learning curves",
        height=max(420, 280 * rows + 60),
        margin={"l": 10, "r": 10, "t": 80 if n > 1 else 60, "b": 90},  # room for panel titles
        legend=LEGEND_BELOW,
    )
