"""Shared constants and small formatters of the compare report."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from measurand.report.format import code, pvalue

MAX_POINTS = 500
"""Most points drawn per curve (and per band edge) in the HTML report."""


MAX_TASK_PANELS = 9
"""Most tasks drawn as learning-curve panels per metric (the tables list every task)."""


MAX_TABLE_ROWS = 200
"""Most rows of a per-task table written to the Markdown/HTML summary (results.json has all)."""


FOREST_TOP = 30
"""Most rows of one forest plot: the largest |effect| are drawn, the table lists every row."""
LEGEND_BELOW = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "yref": "container",
    "y": 0,
    "yanchor": "bottom",
}
"""Legend under the plot, clear of the plotly toolbar (top right)."""

POOLED_LABEL = "pseudo-replicated: steps pooled across seeds as if independent"


PALETTE = (
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


STATUS_ICON = {"CONFIRMED": "✅", "FAILED": "❌", "INCONCLUSIVE": "⚠️"}


def thin_indices(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """At most ``limit`` evenly spread indices of ``range(n)``, first and last included."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(int))


def condition_colour(conditions: Sequence[str], condition: str) -> str:
    index = list(conditions).index(condition) if condition in conditions else 0
    return PALETTE[index % len(PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


fmt_p = pvalue  # the one p-value format of every report


def where(metric: str, task: str, quote: Callable[[str], str] = code) -> str:
    """``metric`` (and task) for text; ``quote=cell_code`` inside a table cell."""
    return quote(metric) if not task else f"{quote(metric)} / {task}"


def is_pooled(unit: str | None) -> bool:
    return bool(unit) and "pseudo" in str(unit)
