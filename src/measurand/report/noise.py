"""The noise report: per-task floors, the noise-anchored model, factor SNRs, seeds split.

Figures (HTML only): h² against the noise ceiling per task, factor and task SNR bars on a log
axis (values ≤ 0 cannot be drawn there and are listed instead), and the ranked seeds split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurand.noise.seeds import SeedSplit
from measurand.noise.workflow import MatrixNoise, NoiseResult
from measurand.report.document import Report, md_table
from measurand.report.format import LEGEND_TOP_RIGHT, cell_code, interval, style_figure
from measurand.report.format import level as _level_text
from measurand.report.format import num as _num

__all__ = ["noise_report"]

_H2_COLOUR = "#1877F2"
_CEILING_COLOUR = "#9AA5B1"
_LOW_COLOUR = "#E4572E"
_OK_COLOUR = "#2E9E6B"
_MAX_SEED_ROWS = 200


def _level(alpha: float) -> str:
    return _level_text(1.0 - alpha)


def _names(names: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def noise_report(result: NoiseResult) -> Report:
    """Build the report for a :class:`~measurand.noise.workflow.NoiseResult`."""
    report = Report("Noise: how much of the spread is rerun noise?")
    report.preamble.append(_preamble(result))
    report.section("Headline").add(_headline(result))
    if result.matrix is not None:
        _matrix_sections(report, result.matrix, result.settings.alpha)
    if result.seeds is not None:
        _seeds_section(report, result.seeds)
    if result.warnings:
        report.section("Warnings").add("\n".join(f"- {w}" for w in result.warnings))
    report.section("Method").add(_method_text(result))
    return report


# ----------------------------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------------------------
def _preamble(result: NoiseResult) -> str:
    lines = []
    m = result.matrix
    if m is not None:
        lines.append(
            f"Sweep `{m.sweep_source}`: {m.n_sweep_runs} runs x {len(m.tasks)} metrics. Noise "
            f"baseline `{m.noise_source}`: {m.n_noise_runs} reruns of one configuration; "
            f"{len(m.common_tasks)} metric(s) in both."
        )
        if m.missing_from_noise:
            lines.append(
                f"Missing from the noise matrix: {_names(m.missing_from_noise)}. Choice: "
                f"**{m.missing}**. {m.missing_consequence}"
            )
        if m.only_in_noise:
            lines.append(f"Only in the noise matrix (ignored): {_names(m.only_in_noise)}.")
        if m.target_source is not None:
            lines.append(
                f"Target scale `{m.target_source}`: {m.n_target_matched} run(s) matched by id."
            )
    s = result.seeds
    if s is not None:
        lines.append(
            f"Long table: metric `{s.metric}`, window `{s.window}`, {len(s.conditions)} "
            f"condition(s), {len(s.tasks)} task(s) split"
            + (f", {len(s.skipped)} skipped" if s.skipped else "")
            + "."
        )
    return "\n\n".join(lines)


def _headline(result: NoiseResult) -> str:
    level = _level(result.settings.alpha)
    threshold = result.settings.snr_threshold
    lines = []
    m = result.matrix
    if m is not None:
        proj = m.projection
        agg = len(proj.labels) - 1
        lines.append(
            f"- {m.model.n_factors} factor(s) ({m.model.n_factors_rule}). Aggregate (mean θ) "
            f"SNR {_num(proj.snr[agg], 3)} "
            f"({level} CI {interval((proj.snr_low[agg], proj.snr_high[agg]), 3)}); "
            f"noise share {_num(proj.noise_share[agg], 3)}."
        )
        for i, label in enumerate(proj.labels[:-1]):
            lines.append(
                f"- {label}: SNR {_num(proj.snr[i], 3)} ({level} CI "
                f"{interval((proj.snr_low[i], proj.snr_high[i]), 3)})."
            )
        measured = [row for row in m.task_table if row.in_noise]
        lines.append(
            f"- {len(m.low_snr_tasks)} of {len(measured)} measured task(s) have an SNR below "
            f"{threshold:g}" + (f": {_names(m.low_snr_tasks, 10)}." if m.low_snr_tasks else ".")
        )
        beyond = [t for t, a in zip(m.model.tasks, m.model.above_ceiling_ci, strict=True) if a]
        if beyond:
            lines.append(
                f"- Fitted h² above the upper end of the ceiling's interval: {_names(beyond, 10)} "
                "(overfit, or a noise estimate too low)."
            )
        lines.append(
            f"- With {m.n_noise_runs} reruns the upper end of a task's noise-share interval is "
            f"about {_num(m.floors.width_factor, 3)} times its lower end: "
            + (
                "the per-task estimates are rough; more reruns narrow them."
                if m.floors.width_factor > 3
                else "the per-task estimates are reasonably tight."
            )
        )
        if m.missing_from_noise:
            lines.append(f"- Missing noise measurements: {m.missing_consequence}")
    s = result.seeds
    if s is not None and len(s.tasks):
        low = [t for t, flag in zip(s.tasks, s.low_snr, strict=True) if flag]
        lines.append(
            f"- Seeds: the clearest task is `{s.tasks[0]}` (SNR {_num(s.snr[0], 3)}); "
            f"{len(low)} of {len(s.tasks)} task(s) have an SNR below {threshold:g}."
        )
    return "\n".join(lines)


def _method_text(result: NoiseResult) -> str:
    st = result.settings
    level = _level(st.alpha)
    lines = [
        f"- Intervals are {level} two-sided. Per task: noise share = s²_noise / s²_sweep (ddof "
        "1), exact F(n_noise − 1, n_sweep − 1) interval for normal data; ceiling = clip(1 − "
        "share, 0, 1); SNR = 1/share − 1 (negative when the reruns vary more than the sweep).",
        "- Factor model: non-negative k-factor model by projected EM (SQUAREM) on the z-scored "
        "sweep (ddof 0), ψ fixed at clip(noise share, 0.001, 0.999) where measured. h² = Σλ² / "
        "(Σλ² + ψ); with ψ fixed, h² exceeds the ceiling exactly when the model's implied "
        "variance exceeds the observed one, which happens by chance for about half the tasks "
        "of a well-fitting model: only h² above the ceiling's interval is flagged.",
        "- Factor SNR: noise rows z-scored with the sweep's mean and sd and projected through "
        "the posterior map Ψ⁻¹Λ(I + ΛᵀΨ⁻¹Λ)⁻¹; SNR = (Var_sweep − Var_noise)/Var_noise per factor "
        "and for the mean θ. Because ψ is anchored to the same reruns, each rerun is projected "
        "through the map re-anchored without it (cross-fitting; the in-sample value is biased "
        "high and shown for reference), and the interval comes from a parametric bootstrap "
        f"({st.n_draws:,} draws) of that procedure, assuming normal noise independent across "
        "tasks.",
        "- Benchmark SNR (Heineman et al. 2025, “Signal and Noise”): relative dispersion (max "
        "pairwise difference over the sweep / |mean|) over relative noise (sd of the reruns, "
        "ddof 0 / |mean|). Decision accuracy: share of run pairs ordered alike at the sweep's and "
        "the target's scale.",
        "- Seeds split: one-way analysis of variance of the per-run window means per task; SNR = "
        "variance (ddof 1) of the condition means over the seed-noise variance, estimated by "
        "(F − 1)/ñ with the exact noncentral-F interval (the conditions as a fixed set).",
        f"- SNR threshold for the recommendation list: {st.snr_threshold:g}. Seed: {st.seed}.",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Sweep vs noise
# ----------------------------------------------------------------------------------------------
_HEAD_TAIL = 30  # more rows than twice this: tables and figures show the first and last 30


def _head_tail(n: int) -> np.ndarray:
    """Indices 0..n-1, or the first and last 30 when there are more than 60 (long outputs stay
    readable; every row is in results.json)."""
    if n <= 2 * _HEAD_TAIL:
        return np.arange(n)
    return np.concatenate([np.arange(_HEAD_TAIL), np.arange(n - _HEAD_TAIL, n)])


def _omitted(n: int, what: str) -> str:
    if n <= 2 * _HEAD_TAIL:
        return ""
    return (
        f"\n\nShown: the first and last {_HEAD_TAIL} of {n} {what}; the "
        f"{n - 2 * _HEAD_TAIL} in between are in results.json."
    )


def _matrix_sections(report: Report, m: MatrixNoise, alpha: float) -> None:
    level = _level(alpha)
    threshold = m.snr_threshold
    has_target = m.decision is not None

    tasks = report.section("Per-task noise floors (ranked by SNR)")
    tasks.add(
        f"Noise share = rerun variance / sweep variance; ceiling = the h² a task can reach; SNR "
        f"= (sweep − rerun variance) / rerun variance, {level} intervals. **low SNR**: SNR "
        f"below {threshold:g}. Tasks without a noise measurement come last."
    )
    headers = [
        "Rank",
        "Task",
        "Noise share",
        f"{level} CI",
        "Ceiling",
        "h²",
        "SNR",
        f"{level} CI",
        "Benchmark SNR",
    ]
    if has_target:
        headers.append("Decision acc.")
    headers.append("Flag")
    rows = []
    model_pos = {t: i for i, t in enumerate(m.model.tasks)}
    table = list(m.task_table)
    for row in (table[i] for i in _head_tail(len(table))):
        flags = []
        if row.low_snr:
            flags.append("**low SNR**")
        i = model_pos.get(row.task)
        if i is not None and m.model.above_ceiling_ci[i]:
            flags.append("h² > ceiling")
        if not row.in_noise:
            flags.append("no noise measurement" + ("" if row.in_model else " (dropped)"))
        cells = [
            row.rank if row.rank is not None else "–",
            f"`{row.task}`",
            _num(row.noise_share, 3),
            interval(row.noise_share_ci, 3),
            _num(row.ceiling, 3),
            _num(row.h2, 3),
            _num(row.snr, 3),
            interval(row.snr_ci, 3),
            _num(row.benchmark_snr, 3),
        ]
        if has_target:
            cells.append(_num(row.decision_accuracy, 3))
        cells.append(", ".join(flags) or "")
        rows.append(cells)
    tasks.add(md_table(headers, rows) + _omitted(len(table), "tasks (ranked by SNR)"))
    tasks.figure(_task_snr_figure(m, level))

    model = report.section("Noise-anchored factor model: fitted h² against the ceiling")
    model.add(
        f"{m.model.n_factors} factor(s), {m.model.n_factors_rule}; fitted on {m.model.n_rows} "
        f"complete sweep rows and {len(m.model.tasks)} task(s); "
        f"{'converged' if m.model.converged else 'NOT converged'} after {m.model.n_iter} EM "
        f"steps (log-likelihood {_num(m.model.loglik, 6)}). ψ is fixed at the clipped noise "
        "share where the task was measured, free elsewhere."
    )
    k = m.model.n_factors
    header = [
        "Task",
        *[f"λ{f + 1}" for f in range(k)],
        "ψ",
        "ψ fixed",
        "h²",
        "Ceiling",
        f"Ceiling {level} high",
        "h² > ceiling",
    ]
    lrows = []
    for i in _head_tail(len(m.model.tasks)):
        task = m.model.tasks[i]
        fixed = bool(m.model.fixed[i])
        above = (
            "beyond CI"
            if m.model.above_ceiling_ci[i]
            else ("yes" if m.model.above_ceiling[i] else ("no" if fixed else "–"))
        )
        lrows.append(
            [
                cell_code(task),
                *[_num(v, 3) for v in m.model.loadings[i]],
                _num(m.model.uniquenesses[i], 3),
                "yes" if fixed else "free",
                _num(m.model.h2[i], 3),
                _num(m.model.ceiling[i], 3) if fixed else "–",
                _num(m.model.ceiling_high[i], 3) if fixed else "–",
                above,
            ]
        )
    model.add(md_table(header, lrows) + _omitted(len(m.model.tasks), "tasks"))
    model.figure(_h2_figure(m, level))

    proj = m.projection
    factor = report.section("SNR per factor and for the aggregate")
    factor.add(
        f"Noise rows projected through the posterior map ({proj.method}; {proj.n_sweep} sweep "
        f"rows, {proj.n_noise} noise rows). {m.missing_consequence}"
    )
    factor.add(
        md_table(
            [
                "Score",
                "Var sweep",
                "Var noise",
                "Noise share",
                f"{level} CI",
                "SNR",
                f"{level} CI",
                "SNR in-sample",
            ],
            [
                [
                    label,
                    _num(proj.var_sweep[i]),
                    _num(proj.var_noise[i]),
                    _num(proj.noise_share[i], 3),
                    interval((proj.noise_share_low[i], proj.noise_share_high[i]), 3),
                    _num(proj.snr[i], 3),
                    interval((proj.snr_low[i], proj.snr_high[i]), 3),
                    _num(proj.snr_in_sample[i], 3),
                ]
                for i, label in enumerate(proj.labels)
            ],
        )
    )
    factor.figure(
        _log_bar_figure(
            list(proj.labels),
            proj.snr,
            proj.snr_low,
            proj.snr_high,
            threshold=threshold,
            title="SNR per factor and for the mean θ (log axis)",
        )
    )

    bench = report.section("Benchmark-level SNR and decision accuracy")
    b = m.benchmark
    bench.add(
        "Heineman et al. (2025): signal = max pairwise difference of the sweep runs / |mean|; "
        "noise = sd of the reruns (ddof 0) / |mean|; SNR = signal / noise."
        + (
            f" Decision accuracy: share of the {m.n_target_matched} matched runs' pairs that the "
            f"sweep orders as the target scale does; mean-z aggregate: "
            f"{_num(m.decision_aggregate, 3)}."
            if has_target
            else ""
        )
    )
    d_pos = {} if m.decision is None else {t: i for i, t in enumerate(m.decision.tasks)}
    brows = []
    for j in _head_tail(len(b.tasks)):
        task = b.tasks[j]
        cells = [cell_code(task), _num(b.signal[j], 3), _num(b.noise[j], 3), _num(b.snr[j], 3)]
        if has_target:
            i = d_pos.get(task)
            cells.append(_num(m.decision.accuracy[i], 3) if i is not None else "–")
        brows.append(cells)
    bench_headers = ["Task", "Relative dispersion", "Relative noise", "SNR"]
    if has_target:
        bench_headers.append("Decision acc.")
    bench.add(md_table(bench_headers, brows) + _omitted(len(b.tasks), "tasks"))

    rec = report.section("Recommendation")
    lines = []
    if m.low_snr_tasks:
        lines.append(
            f"- Tasks with an SNR below {threshold:g} (their spread across the sweep is mostly "
            f"rerun noise; drop them, down-weight them, or rerun more seeds): "
            f"{_names(m.low_snr_tasks, 50)}."
        )
    else:
        lines.append(f"- No measured task has an SNR below {threshold:g}.")
    if m.low_snr_factors:
        lines.append(f"- Scores with an SNR below {threshold:g}: {', '.join(m.low_snr_factors)}.")
    if m.missing_from_noise:
        lines.append(
            f"- Measure the noise of {_names(m.missing_from_noise, 20)} to replace the "
            f"'{m.missing}' choice by a measurement."
        )
    rec.add("\n".join(lines))


# ----------------------------------------------------------------------------------------------
# Seeds
# ----------------------------------------------------------------------------------------------
def _seeds_section(report: Report, s: SeedSplit) -> None:
    level = _level(s.alpha)
    section = report.section("Seed noise against the spread across conditions (per task)")
    section.add(
        f"Metric `{s.metric}`, each run averaged over the window `{s.window}`. Per task: seed "
        "sd = pooled within-condition sd; spread sd = sd of the condition means; SNR = variance "
        f"of the condition means / seed variance ((F − 1)/ñ), {level} noncentral-F interval; "
        "benchmark SNR = range of the condition means / seed sd. Ranked by SNR; **low SNR**: "
        f"below {s.snr_threshold:g}."
    )
    rows = []
    for j, task in enumerate(s.tasks[:_MAX_SEED_ROWS]):
        rows.append(
            [
                int(s.rank[j]),
                cell_code(task) if task else "(all)",
                int(s.n_conditions[j]),
                int(s.n_runs[j]),
                _num(s.seed_sd[j], 4),
                _num(s.spread_sd[j], 4),
                _num(s.snr[j], 3),
                interval((s.snr_low[j], s.snr_high[j]), 3),
                _num(s.noise_share[j], 3),
                _num(s.benchmark_snr[j], 3),
                "**low SNR**" if s.low_snr[j] else "",
            ]
        )
    section.add(
        md_table(
            [
                "Rank",
                "Task",
                "Conditions",
                "Runs",
                "Seed sd",
                "Spread sd",
                "SNR",
                f"{level} CI",
                "Noise share",
                "Benchmark SNR",
                "Flag",
            ],
            rows,
        )
    )
    if len(s.tasks) > _MAX_SEED_ROWS:
        section.add(f"… {len(s.tasks) - _MAX_SEED_ROWS} more task(s) in results.json.")
    if s.skipped:
        section.add(
            "Not split:\n" + "\n".join(f"- `{t}`: {why}" for t, why in list(s.skipped.items())[:50])
        )
    section.figure(
        _log_bar_figure(
            [t or "(all)" for t in s.tasks],
            s.snr,
            s.snr_low,
            s.snr_high,
            threshold=s.snr_threshold,
            title="Seeds split: SNR per task, ranked (log axis)",
        )
    )


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def _log_bar_figure(
    labels: list[str],
    values: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    threshold: float,
    title: str,
) -> Any:
    """Bars on a log axis with interval whiskers; values ≤ 0 are named in the title."""
    import plotly.graph_objects as go

    values = np.asarray(values, dtype=np.float64)
    drawable = np.isfinite(values) & (values > 0)
    positive = values[drawable]
    floor = float(positive.min()) / 10 if positive.size else 1e-3
    shown_low = np.where(np.isfinite(low) & (low > 0), low, floor)
    shown_high = np.where(np.isfinite(high), high, values)
    colours = [_LOW_COLOUR if v < threshold else _OK_COLOUR for v in values]
    hidden = [lab for lab, ok in zip(labels, drawable, strict=True) if not ok]
    fig = go.Figure(
        go.Bar(
            x=[lab for lab, ok in zip(labels, drawable, strict=True) if ok],
            y=positive,
            marker_color=[c for c, ok in zip(colours, drawable, strict=True) if ok],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (shown_high - values)[drawable],
                "arrayminus": (values - shown_low)[drawable],
                "color": "#57606a",
            },
            hovertemplate="%{x}: SNR %{y:.3g}<extra></extra>",
        )
    )
    if threshold > 0:
        fig.add_hline(y=threshold, line_dash="dash", line_color=_LOW_COLOUR)
        # Placed by hand: add_hline's own annotation lands at 10**threshold on a log axis, and
        # annotations on a log axis take log10 coordinates.
        fig.add_annotation(
            text=f"threshold {threshold:g}",
            x=1,
            xref="paper",
            xanchor="right",
            y=math.log10(threshold),
            yref="y",
            yanchor="bottom",
            showarrow=False,
        )
    suffix = f" — not drawn (SNR ≤ 0): {', '.join(hidden[:8])}" if hidden else ""
    shown = np.concatenate([shown_low[drawable], shown_high[drawable], positive, [threshold]])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    yaxis: dict[str, Any] = {"type": "log", "title": "SNR"}
    if shown.size:
        ticks = _log_ticks(float(shown.min()), float(shown.max()))
        if len(ticks) >= 2:
            yaxis.update(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    return style_figure(
        fig,
        title=title + suffix,
        yaxis=yaxis,
        xaxis={"tickangle": -45},
        height=420,
        margin={"t": 70, "b": 140},
    )


def _log_ticks(low: float, high: float) -> list[float]:
    """Ticks 1, 2, 5 per decade from ``low`` to ``high`` (powers of ten only over > 3 decades),
    so that every label is a whole number rather than plotly's bare minor digits."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1, 2, 5) if last - first <= 3 else (1,)
    ticks = [step * 10.0**d for d in range(first, last + 1) for step in steps]
    return [t for t in ticks if low <= t <= high]


def _task_snr_figure(m: MatrixNoise, level: str) -> Any:
    f = m.floors
    order = np.argsort(-f.snr, kind="stable")
    order = order[_head_tail(len(order))]
    return _log_bar_figure(
        [f.tasks[i] for i in order],
        f.snr[order],
        f.snr_low[order],
        f.snr_high[order],
        threshold=m.snr_threshold,
        title=f"SNR per task with {level} intervals (log axis)",
    )


def _h2_figure(m: MatrixNoise, level: str) -> Any:
    import plotly.graph_objects as go

    model = m.model
    shown = _head_tail(len(model.tasks))
    tasks = [model.tasks[i] for i in shown]
    fixed = np.asarray(model.fixed, dtype=bool)[shown]
    ceiling = np.where(fixed, np.asarray(model.ceiling)[shown], np.nan)
    ceiling_high = np.asarray(model.ceiling_high)[shown]
    h2 = np.asarray(model.h2)[shown]
    above_ci = np.asarray(model.above_ceiling_ci)[shown]
    share_pos = {t: j for j, t in enumerate(m.floors.tasks)}
    ceiling_low = np.array(
        [m.floors.ceiling_low[share_pos[t]] if t in share_pos else np.nan for t in tasks]
    )
    labels = [
        f"{t} ({'above the ceiling CI' if a else 'free ψ' if not fx else 'ok'})"
        for t, a, fx in zip(tasks, above_ci, fixed, strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=labels,
            y=ceiling,
            name=f"ceiling ({level} CI)",
            marker_color=_CEILING_COLOUR,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": np.nan_to_num(ceiling_high - ceiling),
                "arrayminus": np.nan_to_num(ceiling - ceiling_low),
                "color": "#57606a",
            },
        )
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=h2,
            name="fitted h²",
            marker_color=[_LOW_COLOUR if a else _H2_COLOUR for a in above_ci],
        )
    )
    return style_figure(
        fig,
        title="Fitted h² against the noise ceiling",
        barmode="group",
        yaxis={"title": "share of variance", "range": [0, 1.05]},
        xaxis={"tickangle": -45},
        height=460,
        margin={"t": 80, "b": 160},
        legend=LEGEND_TOP_RIGHT,
    )
