"""Paper figure of ``plan``: the power of the paired t test against the number of items, one
curve per comparison that has an items answer (at most 8), each at its own target difference,
with the target power and the items each needs marked. The HTML report draws the same curves
(:func:`power_curves` computes them for both)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.report.pdf._draw import GREY, short

#: Comparisons drawn (the first in the plan's order).
MAX_CURVES = 8
#: Points per curve.
N_POINTS = 60


def power_curves(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per comparison with an items answer: ``label``, ``n`` (items, design effect included),
    ``power`` at each n (noncentral t, paired: d_z = mde/sd on n/design-effect pairs), and
    ``n_items`` (the answer), from 2 items to 2 × the answer."""
    from measurand.stats._power import power_t_test

    curves = []
    for row in data.get("rows") or []:
        items = row.get("items")
        if not items or not items.get("sd") or not items.get("mde"):
            continue
        deff = float(items.get("design_effect") or 1.0)
        level = float(items["confidence_level"])
        top = max(8, math.ceil(2 * items["n_items"]))
        low = max(2.0, 2.0 * deff)  # at least 2 effective pairs
        ns = sorted({round(low + (top - low) * i / (N_POINTS - 1), 6) for i in range(N_POINTS)})
        effect = float(items["mde"]) / float(items["sd"])
        power = [
            float(
                power_t_test(effect_size=effect, n=n / deff, alpha=1 - level, kind="paired").power
            )
            for n in ns
        ]
        curves.append(
            {
                "label": str(row["label"]),
                "n": ns,
                "power": power,
                "n_items": int(items["n_items"]),
                "target": float(items["power"]),
            }
        )
        if len(curves) == MAX_CURVES:
            break
    return curves


def figures(data: Mapping[str, Any]) -> dict[str, bytes]:
    curves = power_curves(data)
    if not curves:
        return {}
    with paper_style():
        fig, ax = new_figure("single")
        for j, curve in enumerate(curves):
            color = PALETTE[j % len(PALETTE)]
            ax.plot(curve["n"], curve["power"], color=color, label=short(curve["label"], 28))
            ax.axvline(curve["n_items"], color=color, lw=0.5, ls=":")
        ax.axhline(curves[0]["target"], color=GREY, lw=0.6, ls="--")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_xlabel("items (dotted: items needed)")
        ax.set_ylabel("power (paired t test)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return {"plan_power.pdf": pdf_bytes(fig)}
