"""Drawing helpers the per-verb paper figures share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from measurand.report.paper import PALETTE

GREY = "#7f7f7f"


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def interval_dots(
    ax: Any,
    labels: Sequence[str],
    estimates: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    colors: Sequence[str] | None = None,
    log: bool = False,
) -> None:
    """A dot per row with its interval, the first row on top (a forest plot).

    On a log axis an interval whose lower end is not positive is drawn down to the axis edge
    with an open arrow head, so that it does not silently vanish.
    """
    n = len(labels)
    ys = list(range(n - 1, -1, -1))
    colors = list(colors) if colors is not None else [PALETTE[0]] * n
    positive = [v for v in (*estimates, *lows, *highs) if finite(v) and v > 0]
    floor = min(positive) / 3 if positive else 1e-3
    for y, est, lo, hi, color in zip(ys, estimates, lows, highs, colors, strict=True):
        if finite(lo) and finite(hi):
            clipped = log and lo <= 0
            start = floor if clipped else lo
            ax.plot([start, hi], [y, y], color=color, lw=0.9, solid_capstyle="butt")
            if clipped:
                ax.plot([start], [y], marker="<", color=color, markersize=3.5, clip_on=False)
            else:
                ax.plot([lo], [y], marker="|", color=color, markersize=4)
            ax.plot([hi], [y], marker="|", color=color, markersize=4)
        if finite(est) and (not log or est > 0):
            ax.plot([est], [y], "o", color=color, markersize=3.5, zorder=3)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(left=floor)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="x", lw=0.4, color="#dddddd")
    ax.set_axisbelow(True)


def row_height(n_rows: int, *, base: float = 0.6, per_row: float = 0.16, cap: float = 9.0) -> float:
    """Figure height (in) for a forest/leaderboard plot of ``n_rows`` rows."""
    return min(cap, base + per_row * n_rows)


def short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
