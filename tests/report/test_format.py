"""The shared number formatting and the HTML table alignment of the reports."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import pytest

from measurand.report import Report, md_table
from measurand.report.format import cell_code, interval, level, num, style_figure
from measurand.report.noise import _log_ticks


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.123456, 4, "0.1235"),
        (1234567.0, 3, "1.23e+06"),
        (-2.5, 4, "-2.5"),
        (7, 4, "7"),
        (None, 4, "–"),
        (math.nan, 4, "–"),
        (math.inf, 4, "∞"),
        (-math.inf, 4, "−∞"),
    ],
)
def test_num(value, digits: int, text: str) -> None:
    assert num(value, digits) == text


def test_interval_level_and_code() -> None:
    assert interval((0.12345, 2.0)) == "[0.1235, 2]"
    assert interval((0.12345, math.inf), 3) == "[0.123, ∞]"
    assert interval((math.nan, 1.0)) == "–"
    assert interval((None, 1.0)) == "–"
    assert interval(None) == "–"
    assert level(0.95) == "95%" and level(1 - 0.1) == "90%"
    assert cell_code("a|b") == "`a\\|b`"


def test_log_ticks_are_whole_labels_within_the_range() -> None:
    assert _log_ticks(0.26, 26.0) == pytest.approx([0.5, 1, 2, 5, 10, 20])
    # Over more than three decades only the powers of ten.
    assert _log_ticks(0.002, 500.0) == pytest.approx([0.01, 0.1, 1, 10, 100])


def test_style_figure_uses_an_empty_template_and_a_left_title() -> None:
    fig = style_figure(go.Figure(go.Bar(x=[1], y=[2])), title="T", height=300)
    assert fig.layout.title.text == "T" and fig.layout.title.xanchor == "left"
    assert fig.layout.height == 300
    assert fig.layout.template.layout.to_plotly_json() == {}  # no theme JSON per figure
    assert fig.layout.xaxis.automargin is True


def test_html_tables_align_text_columns_left() -> None:
    rep = Report("t")
    rep.section("s").add(
        md_table(
            ["Name", "Value", "CI", "Flag"],
            [["`a`", 0.5, "[1, 2]", "**low**"], ["b", -1.0, "–", ""]],
        )
    )
    html = rep.to_html()
    assert '<th class="t">Name</th><th>Value</th><th>CI</th><th class="t">Flag</th>' in html
    assert '<td class="t"><code>a</code></td><td>0.5</td><td>[1, 2]</td>' in html
    assert '<td class="t"><strong>low</strong></td>' in html
