"""Number, interval and p-value formatting and figure styling: one home for reports and the CLI.

Missing values (None, NaN) print as an en dash; infinities as ∞ / −∞. Figures get one plain
style: an empty template (a named template such as ``plotly_white`` would embed ~10 kB of JSON in
every figure), light grid lines, and a left-aligned title, so that the title never runs under
the mode bar that plotly draws at the top right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

MISSING = "–"

FONT = {"family": "system-ui, sans-serif", "size": 12, "color": "#1f2328"}
AXIS = {
    "gridcolor": "#e5e8eb",
    "zerolinecolor": "#d0d7de",
    "linecolor": "#d0d7de",
    "automargin": True,  # long tick labels (task and model names) push the margin out
}
LEGEND_TOP_RIGHT = {"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"}


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def num(value: Any, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits; None/NaN -> "–", ±inf -> "∞"/"−∞"."""
    number = _finite_or_none(value)
    if number is None:
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    return f"{number:.{digits}g}"


def interval(ci: Sequence[Any] | None, digits: int = 4) -> str:
    """``[low, high]`` from a (low, high) pair; "–" when the pair or either end is missing."""
    if ci is None:
        return MISSING
    low, high = ci
    if _finite_or_none(low) is None or _finite_or_none(high) is None:
        return MISSING
    return f"[{num(low, digits)}, {num(high, digits)}]"


def level(confidence_level: float) -> str:
    """``0.95`` -> ``"95%"``."""
    return f"{100 * confidence_level:g}%"


def code(text: str) -> str:
    """Inline code for Markdown text, safe for any user string.

    Newlines become ``↵`` (a code span cannot hold one without breaking a heading or a table),
    and a text holding backticks gets a longer fence (CommonMark: ``` ``a`b`` ```), so that
    nothing in it is read as Markdown or HTML.
    """
    text = re.sub(r"\r\n|\r|\n", "↵", str(text))
    runs = [len(run) for run in re.findall(r"`+", text)]
    if not runs:
        return f"`{text}`"
    fence = "`" * (max(runs) + 1)
    return f"{fence} {text} {fence}"


def cell_code(text: str) -> str:
    """Inline code for a Markdown table cell: as :func:`code`, with ``|`` escaped (GFM)."""
    return code(str(text).replace("|", "\\|"))


def pvalue(value: Any) -> str:
    """A p-value for reports and terminal summaries: "–" when missing, 4 decimals from 1e-4 up
    (``0.1032``), two significant digits in scientific notation below (``3.2e-07``), so that a
    tiny p keeps its order of magnitude."""
    number = _finite_or_none(value)
    if number is None:
        return MISSING
    return f"{number:.4f}" if number >= 1e-4 else f"{number:.1e}"


def style_figure(fig: Any, *, title: str, **layout: Any) -> Any:
    """Apply the shared style to a plotly figure (every subplot's axes too) and return it.

    ``layout`` holds the figure's own settings (height, margins, axis titles...); axis dicts
    given there are merged over the shared axis style.
    """
    import plotly.graph_objects as go

    fig.update_layout(
        template=go.layout.Template(),
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=FONT,
        title={"text": title, "x": 0.0, "xref": "paper", "xanchor": "left"},
    )
    fig.update_xaxes(**AXIS)
    fig.update_yaxes(**AXIS)
    fig.update_layout(**layout)
    return fig


__all__ = [
    "AXIS",
    "FONT",
    "LEGEND_TOP_RIGHT",
    "MISSING",
    "cell_code",
    "code",
    "interval",
    "level",
    "num",
    "pvalue",
    "style_figure",
]
