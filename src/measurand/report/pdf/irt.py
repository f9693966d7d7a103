"""Paper figures of ``irt``: the characteristic curves of a few chosen items (flagged items
first, then the most discriminating), each item's slope against its difficulty with the flagged
items marked, and the ability ranking with 95% intervals (top 30).

The curves are P(correct) = c + (1 − c)·σ(θ·a + d) on the same θ grid as the HTML figure (in
several dimensions θ runs along the unit direction of the mean slope vector)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.report.pdf._draw import GREY, interval_dots, row_height, short

#: Items drawn as characteristic curves: up to half flagged, the rest the most discriminating.
N_CURVES = 6
#: Subjects in the ability ranking.
N_ABILITIES = 30
_Z = 1.959963984540054


def _float(value: Any) -> float:
    """A results.json number back to a float (None is NaN; "inf"/"-inf" are infinities)."""
    return float("nan") if value is None else float(value)


def figures(data: Mapping[str, Any]) -> dict[str, bytes]:
    items = data.get("items") or []
    n_dims = int((data.get("fit") or {}).get("n_dims") or 1)
    with paper_style():
        out = {}
        if items:
            out["irt_icc.pdf"] = _icc(items, n_dims)
            out["irt_slope_difficulty.pdf"] = _slope_difficulty(items, n_dims)
        if data.get("subjects"):
            out["irt_abilities.pdf"] = _abilities(data["subjects"])
        return out


def chosen_items(items: list[Mapping[str, Any]], n: int = N_CURVES) -> list[int]:
    """Indices of the items whose curves are drawn: flagged ones (by item order, at most half),
    then the most discriminating of the others (stable order)."""
    flagged = [i for i, row in enumerate(items) if row.get("flag")]
    taken = set(flagged[: n // 2])
    by_slope = sorted(
        (i for i in range(len(items)) if i not in taken),
        key=lambda i: -_float(items[i].get("discrimination")),
    )
    return (flagged[: n // 2] + by_slope)[:n]


def theta_grid(items: list[Mapping[str, Any]], n_dims: int) -> tuple[Any, Any]:
    """(grid, θ): 81 points on [−4, 4] and the abilities they stand for, shape (81, D)."""
    import numpy as np

    grid = np.linspace(-4, 4, 81)
    if n_dims == 1:
        return grid, grid[:, None]
    a = np.array([[_float(v) for v in row["a"]] for row in items], dtype=float)
    w = np.nanmean(a, axis=0)
    w = w / max(float(np.linalg.norm(w)), 1e-12)
    return grid, grid[:, None] * w[None, :]


def _icc(items: list[Mapping[str, Any]], n_dims: int) -> bytes:
    import numpy as np

    from measurand.latent.irt import response_probability

    chosen = chosen_items(items)
    grid, theta = theta_grid(items, n_dims)
    a = np.array([[_float(v) for v in items[i]["a"]] for i in chosen], dtype=float)
    d = np.array([_float(items[i]["d"]) for i in chosen], dtype=float)
    c = np.array([_float(items[i].get("c") or 0.0) for i in chosen], dtype=float)
    prob = response_probability(theta, a, d, c if c.any() else None)
    fig, ax = new_figure("single")
    styles = ("-", "--", ":", "-.")
    n_ok = 0
    for j, i in enumerate(chosen):
        flagged = bool(items[i].get("flag"))
        color = PALETTE[3] if flagged else PALETTE[[0, 2, 4, 5, 1][n_ok % 5]]
        n_ok += not flagged
        ax.plot(
            grid,
            prob[:, j],
            color=color,
            ls=styles[j % len(styles)],
            label=short(str(items[i]["item"]), 22) + (" (flagged)" if flagged else ""),
        )
    ax.set_ylim(0, 1)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("θ" if n_dims == 1 else "θ along the mean slope direction")
    ax.set_ylabel("P(correct)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return pdf_bytes(fig)


def _slope_difficulty(items: list[Mapping[str, Any]], n_dims: int) -> bytes:
    import numpy as np

    # one dimension: the signed slope (negative slopes fall below 0); several: ‖a‖
    slope = np.array(
        [_float(r["a"][0]) if n_dims == 1 else _float(r["discrimination"]) for r in items]
    )
    difficulty = np.array([_float(r["difficulty"]) for r in items])
    flagged = np.array([bool(r.get("flag")) for r in items])
    shown = np.isfinite(slope) & np.isfinite(difficulty)
    fig, ax = new_figure("single")
    for mask, label, color, marker in (
        (~flagged & shown, "items", PALETTE[0], "o"),
        (flagged & shown, "flagged", PALETTE[3], "x"),
    ):
        if mask.any():
            ax.scatter(
                difficulty[mask],
                slope[mask],
                s=6 if marker == "o" else 12,
                color=color,
                marker=marker,
                alpha=0.7 if marker == "o" else 1.0,
                linewidths=0.8 if marker == "x" else 0,
                label=f"{label} ({int(mask.sum())})",
            )
    ax.axhline(0, color=GREY, lw=0.5, ls=":")
    ax.set_xlabel("difficulty −d/‖a‖")
    ax.set_ylabel("slope a" if n_dims == 1 else "discrimination ‖a‖")
    ax.legend(loc="best")
    return pdf_bytes(fig)


def _abilities(subjects: list[Mapping[str, Any]]) -> bytes:
    rows = sorted(subjects, key=lambda r: r["rank"])[:N_ABILITIES]
    score = [_float(r["score"]) for r in rows]
    se = [_float(r["score_se"]) for r in rows]
    fig, ax = new_figure("single", row_height(len(rows), base=0.9, per_row=0.15))
    interval_dots(
        ax,
        [short(str(r["subject"]), 28) for r in rows],
        score,
        [s - _Z * e for s, e in zip(score, se, strict=True)],
        [s + _Z * e for s, e in zip(score, se, strict=True)],
    )
    shown = f"top {len(rows)} of {len(subjects)}" if len(subjects) > len(rows) else "all"
    ax.set_xlabel(f"ability, 95% interval ({shown})")
    return pdf_bytes(fig)
