"""The factors report: number of factors, loadings, the leaderboard with rank intervals, held-out
validation; a scree plot, a loadings heatmap, rank intervals and held-out scatters in HTML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from measurand.factors.workflow import FactorsResult
from measurand.report.document import Report, md_table
from measurand.report.format import cell_code, code, interval, num, style_figure
from measurand.report.format import level as _level

_BLUE = "#1877F2"
_RED = "#E4572E"
_GREY = "#888888"
_GREEN = "#2CA58D"
_MAX_FIGURE_ROWS = 40  # rank-interval figure: the top rows (16 px each; ~760 px tall at most)
_TABLE_TOP = 25  # leaderboard rows in the section; the rest go to the "all rows" appendix
_MAX_TASKS = 40  # more tasks: tables and figures show a chosen subset (all are in results.json)
_PER_FACTOR = 10


def factors_report(result: FactorsResult, *, source: str | None = None) -> Report:
    """Build the report for a :class:`~measurand.factors.FactorsResult`."""
    level = _level(result.settings.confidence_level)
    k = result.n_factors
    report = Report("Factors: what does this benchmark matrix measure?")
    report.preamble.append(_preamble(result, source))

    report.section("Headline").add(_headline(result, level))

    data = report.section("Data")
    data.add(_data_text(result))

    pa = result.parallel_analysis
    scree = report.section("How many factors? Horn's parallel analysis")
    scree.add(
        f"Compared: {pa.kind_label} (`{pa.kind}`), observed against those of "
        f"{pa.n_resamples:,} random normal matrices of the same shape. k = {pa.k}: leading "
        f"eigenvalues above the random {_q(pa.quantile)}, up to the first crossing; {pa.k_mean} "
        f"against the random mean; {pa.k_count} eigenvalues above the percentile in all. "
        f"Fitted: **k = {k}** ({result.n_factors_rule})."
    )
    scree.add(_scree_table(pa))
    scree.figure(_scree_figure(pa, k))

    model = result.model
    loadings = report.section(f"Loadings ({_model_name(result)})")
    loadings.add(_loadings_text(result))
    loadings.add(_loadings_table(result))
    if model.rotation is not None and not np.allclose(model.phi, np.eye(k)):
        loadings.add("Factor correlations Φ:")
        loadings.add(
            md_table(
                ["", *model.factors],
                [
                    [f, *(num(v) for v in row)]
                    for f, row in zip(model.factors, model.phi, strict=True)
                ],
            )
        )
    if model.fit_stats:
        loadings.add(_fit_stats_table(model.fit_stats))
    loadings.figure(_loadings_figure(result))
    if result.settings.h2_ceiling:
        loadings.add(
            "h² against its ceiling 1 − Var(noise)/Var(sweep): a task far below its ceiling "
            "carries variance the factors do not explain; one above it is overfitted (or its "
            "noise estimate is too low)."
        )
        loadings.figure(_ceiling_figure(result))

    board = result.leaderboard
    if board.rows:
        lb = report.section("Leaderboard")
        lb.add(_leaderboard_text(result, level))
        lb.add(_leaderboard_table(result, level, board.rows[:_TABLE_TOP]))
        if len(board.rows) > _TABLE_TOP:
            lb.add(
                f"Top {_TABLE_TOP} of {len(board.rows)} rows; the other "
                f'{len(board.rows) - _TABLE_TOP} are listed under "Leaderboard: all rows" at '
                "the end of the report (and in results.json)."
            )
        if board.n_valid:
            lb.figure(_rank_figure(result, level))

    if result.heldout_validation is not None:
        val = report.section("Held-out validation")
        val.add(
            f"Pearson correlation of each factor score and of the aggregate with each held-out "
            f"metric (directions applied: higher = better), {level} Fisher-z intervals; rows "
            "missing a held-out value are left out of that metric."
        )
        val.add(_heldout_table(result, level))
        for name in result.heldout_values:
            val.figure(_heldout_figure(result, name))

    if result.item_pool is not None:
        pool = result.item_pool
        sec = report.section("Item pool")
        meta = pool.metadata
        sec.add(
            f"{pool.z.shape[0]} task(s) as sparse non-negative skill vectors (projection onto "
            f"the non-negative unit ball, sparsified at tau = {meta['tau']:g}, axes sorted by "
            f"mass; axis order from the model's factors: {meta['axis_order']})."
        )
        sec.add(
            md_table(
                ["Task", *(f"axis {j}" for j in range(pool.z.shape[1]))],
                [
                    [cell_code(name), *row]
                    for name, row in zip(
                        pool.item_names[:_MAX_TASKS], pool.z[:_MAX_TASKS].tolist(), strict=True
                    )
                ],
            )
            + (
                f"\n\nFirst {_MAX_TASKS} of {len(pool.item_names)} items; all are in the pool file."
                if len(pool.item_names) > _MAX_TASKS
                else ""
            )
        )

    if result.warnings:
        report.section("Warnings").add("\n".join(f"- {w}" for w in result.warnings))
    report.section("Settings").add(_settings_text(result))
    if len(board.rows) > _TABLE_TOP:
        rest = report.section("Leaderboard: all rows")
        rest.add(_leaderboard_table(result, level, board.rows[_TABLE_TOP:]))
    return report


# ----------------------------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------------------------
def _preamble(result: FactorsResult, source: str | None) -> str:
    data = result.data
    where = f"Input: `{source or data.source}` (id column `{data.id_col}`). "
    return (
        f"{where}{data.n_rows_used:,} rows x {len(data.tasks)} tasks analysed"
        f"{f' ({data.n_rows:,} read)' if data.n_rows != data.n_rows_used else ''}; "
        f"{len(data.heldout)} held-out metric(s)."
    )


def _model_name(result: FactorsResult) -> str:
    model = result.model
    name = {
        "nonneg_em": "non-negative factor model, projected EM",
        "ml": "maximum-likelihood EFA",
        "minres": "minimum-residual EFA",
    }[model.method]
    if model.rotation:
        name += f", {model.rotation} rotation"
    return name


def _headline(result: FactorsResult, level: str) -> str:
    board = result.leaderboard
    lines = [
        f"- The {len(result.data.tasks)} tasks measure **{result.n_factors} factor(s)** "
        f"({result.n_factors_rule}); {_model_name(result)}.",
    ]
    quality = getattr(result.model, "fit_quality", None)
    if quality in ("poor", "mediocre"):
        lines[0] = (
            f"- **The {result.n_factors}-factor model fits {quality}ly** "
            f"({'; '.join(result.model.fit_quality_reasons)}; cut-offs RMSEA ≤ .06 and TLI ≥ "
            f".95 for a good fit, Hu & Bentler 1999; RMSEA > .10 poor, Browne & Cudeck 1993): "
            f"the {len(result.data.tasks)} tasks are not well described by "
            f"{result.n_factors} factor(s) ({result.n_factors_rule}); {_model_name(result)}."
        )
    elif quality == "good":
        lines[0] += " The model fits well (RMSEA ≤ .06, TLI ≥ .95; Hu & Bentler 1999)."
    h2 = result.model.communalities
    order = np.argsort(h2)
    lines.append(
        f"- Communality h² (share of a task's variance the factors explain): median "
        f"{np.median(h2):.2f}; lowest {code(result.data.tasks[order[0]])} ({h2[order[0]]:.2f})."
    )
    if board.rows:
        top = board.rows[0]
        if board.n_valid:
            lines.append(
                f"- Leader: {code(top.name)} (aggregate {top.aggregate:.3g}, rank {level} "
                f"interval {_rank_ci(top)}, first in {100 * top.p_first:.0f}% of "
                f"{board.n_valid:,} task resamples)."
            )
            lines.append(f"- {_tiers_sentence(result)}")
        else:
            lines.append(f"- Leader: {code(top.name)} (aggregate {top.aggregate:.3g}).")
    if result.heldout_validation is not None:
        for entry in result.heldout_validation.correlations:
            if entry.score == "aggregate":
                ci = entry.confidence_interval
                lines.append(
                    f"- Aggregate vs held-out {code(entry.heldout)}: r = {entry.r:+.3f} "
                    f"[{ci.low:+.3f}, {ci.high:+.3f}] (n = {entry.n})."
                )
    return "\n".join(lines)


def _tiers_sentence(result: FactorsResult) -> str:
    """How wide the rank intervals are and how many leading places are settled."""
    rows = result.leaderboard.rows
    widths = [r.rank_ci.high - r.rank_ci.low + 1 for r in rows]
    settled = 0
    for r in rows:
        if r.rank_ci.low == r.rank_ci.high == r.rank:
            settled += 1
        else:
            break
    lead = (
        f"the first {settled} place(s) are settled (single-rank intervals)"
        if settled
        else f"no place is settled, not even the first (its interval is {_rank_ci(rows[0])})"
    )
    return (
        f"Rank intervals span a median of {int(np.median(widths))} ranks (widest "
        f"{max(widths)}); {lead}. Rows whose intervals overlap cannot be ordered with confidence."
    )


def _data_text(result: FactorsResult) -> str:
    data = result.data
    negated = [c for c, d in data.directions.items() if d < 0]
    lines = [
        f"- Tasks ({len(data.tasks)}): {', '.join(code(t) for t in data.tasks[:20])}"
        f"{f' and {len(data.tasks) - 20} more' if len(data.tasks) > 20 else ''}.",
        f"- Z-scored per task (ddof 0); negated so that higher = better: "
        f"{', '.join(code(c) for c in negated) if negated else 'none'}.",
    ]
    if data.heldout:
        lines.append(
            f"- Held out of the fit for validation: {', '.join(code(c) for c in data.heldout)}."
        )
    if data.dropped_constant:
        lines.append(f"- Dropped as constant: {', '.join(code(c) for c in data.dropped_constant)}.")
    lines.append(f"- Missing cells: {data.missing.describe()}.")
    if data.rows_dropped:
        shown = ", ".join(code(r) for r in data.rows_dropped[:10])
        more = f" and {len(data.rows_dropped) - 10} more" if len(data.rows_dropped) > 10 else ""
        lines.append(f"- Rows dropped for missing cells (listwise): {shown}{more}.")
    if data.n_imputed:
        lines.append(f"- {data.n_imputed} missing cell(s) imputed by the column mean.")
    lines += [f"- {note}" for note in data.notes]
    return "\n".join(lines)


def _scree_table(pa: Any) -> str:
    observed = np.asarray(pa.observed)
    shown = min(len(observed), 12)
    rows = [
        [i + 1, observed[i], np.asarray(pa.random_mean)[i], np.asarray(pa.random_quantile)[i]]
        for i in range(shown)
    ]
    note = "" if shown == len(observed) else f"\n\n(first {shown} of {len(observed)} shown)"
    header = ["Component", "Observed", "Random mean", f"Random {_q(pa.quantile)}"]
    return md_table(header, rows) + note


def _loadings_text(result: FactorsResult) -> str:
    model = result.model
    text = (
        "Tasks grouped by the factor they load on most, sorted by that loading. "
        "h² = communality, ψ = uniqueness (h² = Σλ² / (Σλ² + ψ) for orthogonal factors)."
    )
    if model.method == "nonneg_em":
        text += (
            " The non-negative model constrains every loading to be ≥ 0 (all tasks measure "
            "capability in the same direction); factors are ordered by Σλ²."
        )
    elif model.rotation:
        text += (
            " Each factor's sign makes its loadings sum positive; factors are ordered by the "
            "variance they explain."
        )
    return text


def _task_order(lam: np.ndarray) -> np.ndarray:
    dominant = np.argmax(np.abs(lam), axis=1)
    strength = np.max(np.abs(lam), axis=1)
    return np.lexsort((-strength, dominant))


def _shown_tasks(result: FactorsResult) -> np.ndarray:
    """Task indices to show, in the loadings order: all up to 40 tasks; beyond, the 10 tasks
    loading most on each factor and the 10 with the lowest h² (the rest are in results.json)."""
    model = result.model
    lam = model.loadings
    order = _task_order(lam)
    if len(order) <= _MAX_TASKS:
        return order
    keep = set(np.argsort(model.communalities)[:_PER_FACTOR].tolist())
    for f in range(lam.shape[1]):
        keep.update(np.argsort(-lam[:, f])[:_PER_FACTOR].tolist())
    return np.array([j for j in order if j in keep], dtype=np.int64)


def _subset_note(result: FactorsResult, shown: int) -> str:
    total = len(result.model.tasks)
    if shown == total:
        return ""
    return (
        f"\n\nShown: {shown} of {total} tasks (the {_PER_FACTOR} loading most on each factor and "
        f"the {_PER_FACTOR} with the lowest h²); every task is in results.json (`model.tasks`)."
    )


def _loadings_table(result: FactorsResult) -> str:
    model = result.model
    rows = []
    shown = _shown_tasks(result)
    for j in shown:
        t = model.tasks[j]
        rows.append(
            [
                cell_code(t.task),
                *(num(v) for v in t.loadings),
                num(t.communality),
                num(t.uniqueness),
                t.dominant_factor,
            ]
        )
    table = md_table(["Task", *model.factors, "h²", "ψ", "Dominant"], rows)
    return table + _subset_note(result, len(shown))


def _fit_stats_table(stats: dict[str, Any]) -> str:
    rows = []
    for key, value in stats.items():
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, list | tuple) and len(value) == 2:
            value = interval(value)
        elif isinstance(value, float | int | np.floating | np.integer):
            value = num(float(value))
        rows.append([key, value])
    return "Fit statistics:\n\n" + md_table(["Statistic", "Value"], rows)


def _leaderboard_text(result: FactorsResult, level: str) -> str:
    board = result.leaderboard
    weights = ", ".join(f"{w:.3g}" for w in board.weights)
    text = (
        f"Aggregate = weighted mean of the factor scores (weights {weights}); scores are "
        "posterior means E[θ | z] under the fitted model. "
    )
    if board.n_valid:
        text += (
            f"{level} intervals from {board.n_valid:,} task-bootstrap resamples: each draws "
            f"{board.n_tasks} tasks with replacement (on average {board.mean_distinct_tasks:.1f} "
            "distinct), refits the model on the distinct tasks, and counts a task drawn m times "
            "m times in the scores. Rank 1 = best. P(> next) = share of resamples where the row "
            "beats the next one; P(first) = share where it ranks first."
        )
    else:
        text += "No resamples were drawn, so there are no intervals."
    return text


def _leaderboard_table(result: FactorsResult, level: str, shown: Sequence[Any]) -> str:
    factors = result.model.factors
    rows = []
    for r in shown:
        rows.append(
            [
                r.rank,
                cell_code(r.name),
                _rank_ci(r),
                num(r.aggregate),
                interval(r.aggregate_ci, 3),
                num(r.p_above_next),
                num(r.p_first),
                *(num(t) for t in r.theta),
            ]
        )
    headers = [
        "Rank",
        "Name",
        f"Rank {level} CI",
        "Aggregate",
        f"{level} CI",
        "P(> next)",
        "P(first)",
        *(f"θ {f.split()[-1]}" for f in factors),
    ]
    return md_table(headers, rows)


def _heldout_table(result: FactorsResult, level: str) -> str:
    rows = []
    for e in result.heldout_validation.correlations:
        rows.append(
            [
                cell_code(e.heldout),
                e.score,
                num(e.r),
                interval(e.confidence_interval, 3),
                e.pvalue,
                e.n,
            ]
        )
    return md_table(["Held-out", "Score", "r", f"{level} CI", "p", "n"], rows)


def _settings_text(result: FactorsResult) -> str:
    s = result.settings
    lines = [
        f"- method `{s.method}`, rotation `{s.rotation or 'none'}`, k {s.n_factors or 'auto'} "
        f"(rule `{s.k_rule}`), missing `{s.missing}`",
        f"- parallel analysis: {s.pa_kind}, {s.pa_iter:,} draws, quantile {s.pa_quantile:g}",
        f"- leaderboard: {s.n_resamples:,} task resamples, confidence {s.confidence_level:g}"
        + (f", weights {list(s.weights)}" if s.weights else ""),
        f"- seed {s.seed}",
    ]
    if s.fixed_psi:
        lines.append(f"- fixed uniquenesses (noise shares): {s.fixed_psi}")
    if s.pool_tau is not None:
        lines.append(f"- item pool: tau {s.pool_tau:g}, size {s.pool_size or 'all'}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def _scree_figure(pa: Any, k: int):
    import plotly.graph_objects as go

    observed = np.asarray(pa.observed)
    x = np.arange(1, len(observed) + 1)
    shown = min(len(observed), 60)
    x = x[:shown]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x, y=observed[:shown], name="observed", mode="lines+markers", marker_color=_BLUE
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.asarray(pa.random_quantile)[:shown],
            name=f"random {_q(pa.quantile)}",
            mode="lines+markers",
            line={"dash": "dash"},
            marker_color=_RED,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.asarray(pa.random_mean)[:shown],
            name="random mean",
            mode="lines+markers",
            line={"dash": "dot"},
            marker_color=_GREY,
        )
    )
    fig.add_vline(
        x=k + 0.5,
        line_dash="dot",
        line_color="black",
        annotation_text=f"k = {k}",
        annotation_position="top",
    )
    return style_figure(
        fig,
        title=f"Scree: observed vs random eigenvalues ({pa.n_resamples:,} draws)",
        xaxis_title="component",
        yaxis_title="eigenvalue",
        height=420,
    )


def _loadings_figure(result: FactorsResult):
    import plotly.graph_objects as go

    model = result.model
    lam = model.loadings
    order = _shown_tasks(result)
    labels = [f"{model.tasks[j].task} (h²={model.tasks[j].communality:.2f})" for j in order]
    nonneg = model.method == "nonneg_em" or bool(np.all(lam >= 0))
    colors = (
        {"colorscale": "Viridis", "zmin": 0.0}
        if nonneg
        else {"colorscale": "RdBu", "zmid": 0.0, "reversescale": True}
    )
    fig = go.Figure(
        go.Heatmap(
            z=lam[order],
            x=list(model.factors),
            y=labels,
            colorbar={"title": "λ"},
            hovertemplate="%{y}<br>%{x}: λ = %{z:.3f}<extra></extra>",
            **colors,
        )
    )
    return style_figure(
        fig,
        title="Loadings, tasks grouped by dominant factor (h² in the label)"
        + ("" if len(order) == len(model.tasks) else f"; {len(order)} of {len(model.tasks)} tasks"),
        height=max(350, 24 * len(labels) + 120),
        yaxis={"autorange": "reversed", "tickfont": {"size": 10}},
        margin={"l": 20},
    )


def _ceiling_figure(result: FactorsResult):
    import plotly.graph_objects as go

    ceilings = result.settings.h2_ceiling
    tasks = sorted(ceilings, key=lambda t: -ceilings[t])[: _MAX_TASKS * 2]
    by_name = {t.task: t.communality for t in result.model.tasks}
    ceiling = np.clip(np.array([ceilings[t] for t in tasks]), 0.0, 1.0)
    h2 = np.array([by_name[t] for t in tasks])
    reached = np.minimum(h2, ceiling)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=reached, y=tasks, orientation="h", name="h² (up to the ceiling)",
               marker_color=_BLUE)
    )  # fmt: skip
    fig.add_trace(
        go.Bar(x=ceiling - reached, y=tasks, orientation="h", name="ceiling − h²",
               marker_color="#DDDDDD")
    )  # fmt: skip
    over = np.maximum(h2 - ceiling, 0.0)
    if over.any():
        fig.add_trace(
            go.Bar(x=over, y=tasks, orientation="h", name="h² above the ceiling",
                   marker_color=_RED)
        )  # fmt: skip
    return style_figure(
        fig,
        title="Communality h² vs the noise ceiling",
        barmode="stack",
        xaxis={"title": "share of the task's variance", "range": [0, 1.05]},
        yaxis={"autorange": "reversed"},
        height=max(300, 24 * len(tasks) + 120),
    )


def _rank_figure(result: FactorsResult, level: str):
    import plotly.graph_objects as go

    rows = result.leaderboard.rows[:_MAX_FIGURE_ROWS]
    names = [r.name for r in rows]
    rank = np.array([r.rank for r in rows], dtype=float)
    low = np.array([r.rank_ci.low for r in rows], dtype=float)
    high = np.array([r.rank_ci.high for r in rows], dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=rank,
            y=names,
            mode="markers",
            marker={"color": _BLUE, "size": 7},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": high - rank,
                "arrayminus": rank - low,
                "color": _GREY,
            },
            customdata=np.column_stack([low, high, [r.aggregate for r in rows]]),
            hovertemplate=(
                "%{y}<br>rank %{x} [%{customdata[0]}, %{customdata[1]}]"
                "<br>aggregate %{customdata[2]:.3f}<extra></extra>"
            ),
        )
    )
    title = f"Rank with {level} task-bootstrap interval (1 = best)"
    if len(result.leaderboard.rows) > len(rows):
        title += f"; first {len(rows)} rows"
    return style_figure(
        fig,
        title=title,
        xaxis_title="rank",
        # An explicit category range: autorange pads a long categorical axis at both ends.
        yaxis={"range": [len(rows) - 0.5, -0.5], "tickfont": {"size": 9}},
        height=max(350, 16 * len(rows) + 120),
    )


def _heldout_figure(result: FactorsResult, name: str):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    theta = result.scores
    k = theta.shape[1]
    weights = result.leaderboard.weights
    columns = [*(theta[:, j] for j in range(k)), theta @ weights]
    labels = [*result.model.factors, "aggregate"]
    x = result.heldout_values[name]
    validation = result.heldout_validation
    titles = [f"{label}: r = {validation.get(name, label).r:+.3f}" for label in labels]
    fig = make_subplots(rows=1, cols=len(columns), subplot_titles=titles, horizontal_spacing=0.06)
    keep = np.isfinite(x)
    names = np.array(result.row_names, dtype=object)
    for j, y in enumerate(columns):
        fig.add_trace(
            go.Scatter(
                x=x[keep],
                y=y[keep],
                mode="markers",
                text=names[keep],
                marker={"size": 6, "color": _GREEN if j == k else _BLUE, "opacity": 0.7},
                hovertemplate="%{text}<br>x = %{x:.4g}<br>y = %{y:.3f}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=j + 1,
        )
        fig.update_xaxes(title_text=name, row=1, col=j + 1)
    fig.update_yaxes(title_text="score", row=1, col=1)
    return style_figure(
        fig,
        title=f"Scores vs held-out {name} (hover for names)",
        height=420,
        width=max(600, 330 * len(columns)),
        margin={"t": 90},
    )


# ----------------------------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------------------------
def _rank_ci(row) -> str:
    if row.rank_ci.low != row.rank_ci.low:
        return "–"
    return f"[{row.rank_ci.low}, {row.rank_ci.high}]"


def _q(quantile: float) -> str:
    """``0.95`` -> ``"95th percentile"``."""
    return f"{100 * quantile:g}th percentile"
