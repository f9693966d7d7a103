"""The diagnose report: one section per analysis, plus a histogram and the 2x2 cells in HTML."""

from __future__ import annotations

import itertools
from typing import Any

from measurand._result import ConfidenceInterval
from measurand.diagnose.results import (
    CELL_MEANINGS,
    CELL_NAMES,
    CellsResult,
    DiagnoseResult,
    Fraction,
    SignalAUC,
)
from measurand.report.document import Report, md_table
from measurand.report.format import LEGEND_TOP_RIGHT, style_figure
from measurand.report.format import cell_code as _code
from measurand.report.format import interval as _interval
from measurand.report.format import level as _level
from measurand.report.format import num as _num
from measurand.report.format import pvalue as _p

_CORRECT_COLOUR = "#1877F2"
_WRONG_COLOUR = "#E4572E"


def diagnose_report(result: DiagnoseResult, *, source: str | None = None) -> Report:
    """Build the report for a :class:`~measurand.diagnose.DiagnoseResult`.

    ``source`` (the input file) is shown in the preamble when given.
    """
    level = _level(result.settings.confidence_level)
    report = Report(f"Diagnose: does the signal predict `{result.label}`?")
    report.preamble.append(_preamble(result, source))

    headline = report.section("Headline")
    headline.add(_headline(result, level))

    auc_section = report.section("AUC: does each signal rank correct above wrong examples?")
    auc_section.add(
        f"AUC = P(signal of a correct example > signal of a wrong one), ties counting ½; 0.5 is "
        f"no separation. Higher values predict a correct answer; an AUC below 0.5 means lower "
        f"values do (the AUC of the negated signal is 1 − AUC); a direction is read only when "
        f"the interval (bootstrap, else DeLong) excludes 0.5. Intervals are {level} two-sided: "
        f"DeLong (normal, from placement values) and bootstrap "
        f"({result.settings.bootstrap_method}, {result.settings.n_resamples:,} resamples"
        f"{', stratified by class' if result.settings.stratified else ''})."
    )
    auc_section.add(_auc_table(result, level))

    medians = report.section("Median signal among correct and wrong examples")
    medians.add(
        f"Bootstrap {level} intervals ({result.settings.bootstrap_method}, "
        f"{result.settings.n_resamples:,} resamples of whole examples)."
    )
    medians.add(
        md_table(
            ["Signal", "Median (correct)", f"{level} CI", "Median (wrong)", f"{level} CI"],
            [
                [
                    _code(m.signal),
                    _num(m.correct.median),
                    _interval(m.correct.confidence_interval),
                    _num(m.wrong.median),
                    _interval(m.wrong.confidence_interval),
                ]
                for m in result.medians
            ],
        )
    )

    cells = result.cells
    cell_section = report.section(f"Threshold and 2x2 cells: `{cells.signal}`")
    cell_section.add(_threshold_text(result, cells))
    cell_section.add(_cells_table(cells, level))
    cell_section.add(_cell_sentences(cells, level))
    cell_section.figure(_histogram_figure(result))
    cell_section.figure(_cells_figure(cells))

    robustness = report.section("Robustness: the cells under every signal definition")
    robustness.add(
        "Each signal gets its own threshold by the same rule "
        f"(`{result.settings.threshold}`); settled means signal < τ. B/wrong is the share of "
        f"wrong examples that look settled ({level} Clopper-Pearson; the exact one-sided bound "
        "when none do)."
    )
    robustness.add(_robustness_table(result, level))

    if result.paired is not None:
        report.section("Paired comparison").add(_paired_text(result, level))

    if result.warnings:
        report.section("Warnings").add("\n".join(f"- {w}" for w in result.warnings))

    report.section("Settings").add(_settings_text(result))
    return report


# ----------------------------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------------------------
def _preamble(result: DiagnoseResult, source: str | None) -> str:
    parts = []
    if source:
        parts.append(f"Input: `{source}`.")
    parts.append(
        f"{result.n_examples:,} examples: {result.n_correct:,} correct, {result.n_wrong:,} wrong "
        f"(accuracy {_pct(result.accuracy)}), label array `{result.label}`."
    )
    lines = [" ".join(parts), ""]
    for s in result.signals:
        named = f"`{s.name}` = `{s.spec}`" if s.name != s.spec else f"`{s.spec}`"
        primary = " (primary: threshold, cells, histogram)" if s.name == result.primary else ""
        lines.append(f"- signal {named}{primary}")
    return "\n".join(lines)


def _headline(result: DiagnoseResult, level: str) -> str:
    lines = []
    for entry in result.auc:
        lines.append(f"- {_auc_sentence(entry, level)}.")
    cells = result.cells
    wrong_settled = cells["B"].of_class
    lines.append(
        f"- Settled but wrong (B, `{cells.signal}` < {_num(cells.threshold)}): "
        f"{_fraction_sentence(wrong_settled, 'wrong examples', level)}."
    )
    correct_unsettled = cells["C"].of_class
    lines.append(
        f"- Unsettled but correct (C): "
        f"{_fraction_sentence(correct_unsettled, 'correct examples', level)}."
    )
    if result.paired is not None:
        p = result.paired
        lines.append(
            f"- `{p.label}` − `{p.paired_label}` accuracy: {_signed_pct(p.difference)} "
            f"({level} CI {_signed_pct(p.difference_ci.low)} to "
            f"{_signed_pct(p.difference_ci.high)}); McNemar exact p = {_p(p.mcnemar_pvalue)}."
        )
    if result.warnings:
        lines.append(f"- {len(result.warnings)} warning(s): see the Warnings section.")
    return "\n".join(lines)


def _auc_sentence(entry: SignalAUC, level: str) -> str:
    """The AUC in the direction that predicts correct answers, read as in the AUC table.

    An AUC below 0.5 whose interval excludes 0.5 is restated for the negated signal:
    ``AUC(-s) = 1 - AUC(s)`` exactly, and its interval is the mirror image ``[1 - high, 1 - low]``
    (exact for DeLong and percentile intervals, which are symmetric under negation). Without a
    settled direction the AUC is given as it is.
    """
    ci, kind = _best_auc_interval(entry)
    name = f"`{entry.signal}`"
    direction = _auc_direction(entry)
    if direction is None:
        return f"AUC({name} → correct) is undefined: a class is empty"
    if direction < 0:
        mirrored = None if ci is None else ConfidenceInterval(1 - ci.high, 1 - ci.low)
        ci_text = f", {level} CI {_interval(mirrored)} ({kind})" if mirrored is not None else ""
        return (
            f"AUC(−{name} → correct) = {1 - entry.auc:.4f}{ci_text}: lower {name} goes with "
            f"correct answers (AUC of {name} as given: {entry.auc:.4f})"
        )
    ci_text = f", {level} CI {_interval(ci)} ({kind})" if ci is not None else ""
    return f"AUC({name} → correct) = {entry.auc:.4f}{ci_text}: {_reading(entry)}"


def _best_auc_interval(entry: SignalAUC) -> tuple[ConfidenceInterval | None, str]:
    if entry.bootstrap_ci is not None:
        return entry.bootstrap_ci, "bootstrap"
    if entry.delong_ci is not None:
        return entry.delong_ci, "DeLong"
    return None, ""


def _auc_direction(entry: SignalAUC) -> int | None:
    """+1 when higher values go with correct answers, −1 when lower ones do, 0 when neither is
    shown (AUC = 0.5, or its headline interval includes 0.5), None when the AUC is undefined."""
    if entry.auc != entry.auc:
        return None
    ci, _ = _best_auc_interval(entry)
    if entry.auc == 0.5 or (ci is not None and ci.low <= 0.5 <= ci.high):
        return 0
    return 1 if entry.auc > 0.5 else -1


def _reading(entry: SignalAUC) -> str:
    direction = _auc_direction(entry)
    if direction is None:
        return "undefined (a class is empty)"
    if direction > 0:
        return "higher values go with correct answers"
    if direction < 0:
        return f"lower values go with correct answers (AUC of −signal = {1 - entry.auc:.4f})"
    if entry.auc == 0.5:
        return "no separation"
    _, kind = _best_auc_interval(entry)
    return f"direction not settled (the {kind} CI includes 0.5)"


def _auc_table(result: DiagnoseResult, level: str) -> str:
    spec = {s.name: s for s in result.signals}
    rows = []
    for entry in result.auc:
        rows.append(
            [
                _code(entry.signal),
                _num(entry.auc, 4),
                _interval(entry.delong_ci),
                _interval(entry.bootstrap_ci),
                entry.n_correct,
                entry.n_wrong,
                spec[entry.signal].n_dropped,
                _reading(entry),
            ]
        )
    return md_table(
        [
            "Signal",
            "AUC",
            f"DeLong {level}",
            f"Bootstrap {level}",
            "Correct",
            "Wrong",
            "Dropped",
            "Reading",
        ],
        rows,
    )


def _threshold_text(result: DiagnoseResult, cells: CellsResult) -> str:
    rule = cells.threshold_rule
    if rule == "otsu":
        how = "Otsu's method on a 256-bin histogram"
    elif rule.startswith("percentile:"):
        how = f"the {rule.split(':', 1)[1]}th percentile of the signal"
    else:
        how = "a fixed value"
    return (
        f"τ = {_num(cells.threshold, 5)} ({how}). An example is **settled** when "
        f"`{cells.signal}` < τ: {cells.n_settled:,} of {cells.n:,} examples are settled. "
        "Cells: A = settled & correct, B = settled & wrong, C = unsettled & correct, "
        "D = unsettled & wrong."
    )


def _cells_table(cells: CellsResult, level: str) -> str:
    rows = []
    for name in CELL_NAMES:
        cell = cells[name]
        class_name = "correct" if cell.correct else "wrong"
        rows.append(
            [
                f"**{name}**",
                CELL_MEANINGS[name],
                cell.count,
                _fraction_cell(cell.of_all),
                f"{_fraction_cell(cell.of_class)} of {class_name}",
                _num(cell.median_signal),
            ]
        )
    return md_table(
        [
            "Cell",
            "Meaning",
            "Count",
            f"% of all [{level} CI]",
            f"% of class [{level} CI]",
            "Median signal",
        ],
        rows,
    )


def _cell_sentences(cells: CellsResult, level: str) -> str:
    lines = []
    for name in CELL_NAMES:
        cell = cells[name]
        what = f"{'correct' if cell.correct else 'wrong'} examples"
        state = "settled" if cell.settled else "unsettled"
        lines.append(
            f"- {name} ({CELL_MEANINGS[name]}): "
            f"{_fraction_sentence(cell.of_class, what, level, state)}."
        )
    return "\n".join(lines)


def _fraction_sentence(fraction: Fraction, what: str, level: str, state: str | None = None) -> str:
    if fraction.n == 0:
        return f"no {what}"
    verb = f" {'is' if fraction.k == 1 else 'are'} {state}" if state else ""
    if fraction.k == 0 and fraction.upper_bound is not None:
        return (
            f"0 of {fraction.n:,} {what}{verb}: at most {_pct(fraction.upper_bound)} at {level} "
            "(exact one-sided bound)"
        )
    return (
        f"{fraction.k:,} of {fraction.n:,} {what}{verb} ({_pct(fraction.estimate)}, {level} CI "
        f"{_pct(fraction.confidence_interval.low)}–{_pct(fraction.confidence_interval.high)})"
    )


def _robustness_table(result: DiagnoseResult, level: str) -> str:
    rows = []
    for cells in result.robustness:
        b = cells["B"].of_class
        a = cells["A"].of_class
        rows.append(
            [
                _code(cells.signal),
                _num(cells.threshold),
                *(cells[name].count for name in CELL_NAMES),
                _fraction_cell(b),
                _fraction_cell(a),
            ]
        )
    return md_table(
        ["Signal", "τ", "A", "B", "C", "D", f"B / wrong [{level} CI]", f"A / correct [{level} CI]"],
        rows,
    )


def _paired_text(result: DiagnoseResult, level: str) -> str:
    p = result.paired
    assert p is not None
    table = md_table(
        ["", f"{_code(p.paired_label)} correct", f"{_code(p.paired_label)} wrong"],
        [
            [f"{_code(p.label)} correct", p.both_correct, p.only_label],
            [f"{_code(p.label)} wrong", p.only_paired, p.both_wrong],
        ],
    )
    lines = [
        f"The same {p.n:,} examples under two label arrays. Accuracy `{p.label}` "
        f"{_pct(p.accuracy)}, `{p.paired_label}` {_pct(p.paired_accuracy)}; difference "
        f"{_signed_pct(p.difference)} ({level} paired bootstrap CI "
        f"{_signed_pct(p.difference_ci.low)} to {_signed_pct(p.difference_ci.high)}, "
        f"{p.bootstrap_method}, {p.n_resamples:,} "
        "resamples).",
        "",
        table,
        "",
        f"McNemar's exact test on the {p.only_label + p.only_paired:,} discordant examples "
        f"({p.only_label:,} vs {p.only_paired:,}): p = {_p(p.mcnemar_pvalue)}.",
    ]
    return "\n".join(lines)


def _settings_text(result: DiagnoseResult) -> str:
    s = result.settings
    return "\n".join(
        [
            f"- threshold rule: `{s.threshold}`",
            f"- non-finite signal values: `{s.nan_policy}`",
            f"- AUC intervals: {', '.join(s.ci_methods) or 'none'}",
            f"- bootstrap: {s.bootstrap_method}, {s.n_resamples:,} resamples"
            f"{', stratified by class' if s.stratified else ''}",
            f"- confidence level: {s.confidence_level:g}",
            f"- seed: {s.seed if s.seed is not None else 'none (not reproducible)'}",
        ]
    )


# ----------------------------------------------------------------------------------------------
# Figures (HTML only); bins come precomputed from the result to keep the page small
# ----------------------------------------------------------------------------------------------
def _histogram_figure(result: DiagnoseResult) -> Any:
    import plotly.graph_objects as go

    hist = result.histogram
    edges = hist.edges
    centres = [round((lo + hi) / 2, 6) for lo, hi in itertools.pairwise(edges)]
    width = edges[1] - edges[0]
    fig = go.Figure()
    for name, counts, colour in (
        ("correct", hist.counts_correct, _CORRECT_COLOUR),
        ("wrong", hist.counts_wrong, _WRONG_COLOUR),
    ):
        fig.add_trace(
            go.Bar(
                x=centres,
                y=list(counts),
                width=width,
                name=name,
                marker_color=colour,
                opacity=0.6,
                hovertemplate=f"{name}: %{{y}}<br>{hist.signal} ≈ %{{x:.4g}}<extra></extra>",
            )
        )
    fig.add_vline(
        x=hist.threshold,
        line_dash="dash",
        line_color="#333",
        annotation_text=f"τ = {hist.threshold:.4g}",
        annotation_position="top",
    )
    return style_figure(
        fig,
        title=f"{hist.signal}: correct vs wrong",
        barmode="overlay",
        bargap=0,
        height=380,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        xaxis={"title": hist.signal},
        yaxis={"title": "examples"},
        legend=LEGEND_TOP_RIGHT,
    )


def _cells_figure(cells: CellsResult) -> Any:
    import plotly.graph_objects as go

    layout = [["A", "C"], ["B", "D"]]  # rows: correct, wrong; columns: settled, unsettled
    counts = [[cells[name].count for name in row] for row in layout]
    text = [
        [
            f"{name}: {cells[name].count:,}<br>{_pct(cells[name].of_class.estimate)} of "
            f"{'correct' if cells[name].correct else 'wrong'}"
            for name in row
        ]
        for row in layout
    ]
    fig = go.Figure(
        go.Heatmap(
            z=counts,
            x=[f"settled (< {cells.threshold:.3g})", "unsettled"],
            y=["correct", "wrong"],
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate="%{y} & %{x}: %{z}<extra></extra>",
        )
    )
    return style_figure(
        fig,
        title=f"2x2 cells: {cells.signal}",
        height=340,
        width=520,
        margin={"l": 70, "r": 20, "t": 70, "b": 40},
        yaxis={"autorange": "reversed"},
    )


# ----------------------------------------------------------------------------------------------
# Number formatting
# ----------------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    if value is None or value != value:
        return "–"
    return f"{100 * value:.2f}%"


def _signed_pct(value: float) -> str:
    if value != value:
        return "–"
    return f"{100 * value:+.2f} pp"


def _fraction_cell(fraction: Fraction) -> str:
    if fraction.n == 0:
        return "–"
    if fraction.k == 0 and fraction.upper_bound is not None:
        return f"0% [≤ {_pct(fraction.upper_bound)}]"
    ci = fraction.confidence_interval
    return f"{_pct(fraction.estimate)} [{_pct(ci.low)}, {_pct(ci.high)}]"


__all__ = ["diagnose_report"]
