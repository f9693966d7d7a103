"""Paper figures of ``factors``: the scree plot against parallel analysis, the loadings, and the
leaderboard's rank intervals (its top rows: a paper figure cannot hold a long leaderboard)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.report.pdf._draw import GREY, interval_dots, row_height, short

#: Leaderboard rows drawn in the paper figure (the report's table holds all of them).
TOP_ROWS = 30


def figures(data: Mapping[str, Any]) -> dict[str, bytes]:
    with paper_style():
        out = {}
        if data.get("parallel_analysis"):
            out["factors_scree.pdf"] = _scree(data["parallel_analysis"])
        model = data.get("model") or {}
        if model.get("tasks"):
            out["factors_loadings.pdf"] = _loadings(model)
        board = data.get("leaderboard") or {}
        if board.get("rows"):
            out["factors_leaderboard.pdf"] = _leaderboard(board)
        return out


def _scree(pa: Mapping[str, Any]) -> bytes:
    fig, ax = new_figure("single")
    xs = list(range(1, len(pa["observed"]) + 1))
    ax.plot(xs, pa["observed"], "o-", color=PALETTE[0], label="observed")
    ax.plot(xs, pa["random_mean"], "--", color=GREY, lw=0.9, label="random mean")
    quantile = pa.get("quantile", 0.95)
    ax.plot(
        xs, pa["random_quantile"], ":", color=PALETTE[3], lw=1.0, label=f"random {quantile:.0%}"
    )
    k = pa.get("k")
    if k:
        ax.axvline(k + 0.5, color="black", lw=0.6, ls="-", alpha=0.4)
        ax.annotate(
            f"k = {k}",
            (k + 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -2),
            textcoords="offset points",
            va="top",
            fontsize=6.5,
        )
    ax.set_xticks(xs)
    ax.set_xlabel("component")
    ax.set_ylabel(f"eigenvalue ({pa.get('kind', 'pca')})")
    ax.legend(loc="upper right")
    return pdf_bytes(fig)


def _loadings(model: Mapping[str, Any]) -> bytes:
    import numpy as np

    tasks = sorted(
        model["tasks"], key=lambda t: (t.get("dominant_factor") or 0, -max(t["loadings"]))
    )
    matrix = np.array([t["loadings"] for t in tasks], dtype=float)
    k = matrix.shape[1]
    names = [str(f) for f in (model.get("factors") or [f"factor {j + 1}" for j in range(k)])]
    width = "single" if k <= 3 else "double"
    fig, ax = new_figure(width, row_height(len(tasks), base=0.8, per_row=0.17, cap=8.5))
    limit = max(1.0, float(np.nanmax(np.abs(matrix))))
    negative = bool(np.nanmin(matrix) < 0)
    image = ax.imshow(
        matrix,
        aspect="auto",
        cmap="RdBu_r" if negative else "Blues",
        vmin=-limit if negative else 0.0,
        vmax=limit,
    )
    for i in range(matrix.shape[0]):
        for j in range(k):
            value = matrix[i, j]
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="white" if abs(value) > 0.6 * limit else "black",
            )
    ax.set_xticks(range(k))
    ax.set_xticklabels([short(n, 14) for n in names])
    ax.xaxis.set_ticks_position("top")
    ax.set_yticks(range(len(tasks)))
    ax.set_yticklabels([short(str(t["task"]), 30) for t in tasks])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    fig.colorbar(image, ax=ax, fraction=0.06, pad=0.03, label="loading")
    return pdf_bytes(fig)


def _leaderboard(board: Mapping[str, Any]) -> bytes:
    rows = sorted(board["rows"], key=lambda r: r["rank"])[:TOP_ROWS]
    fig, ax = new_figure("single", row_height(len(rows), base=0.9, per_row=0.13))
    interval_dots(
        ax,
        [short(str(r["name"]), 30) for r in rows],
        [r["rank"] for r in rows],
        [r["rank_ci"][0] for r in rows],
        [r["rank_ci"][1] for r in rows],
    )
    ax.tick_params(axis="y", labelsize=5.5)
    level = board.get("confidence_level", 0.95)
    total = len(board["rows"])
    shown = f"top {len(rows)} of {total}" if total > len(rows) else f"all {total}"
    ax.set_xlabel(f"rank, {level:.0%} task-bootstrap interval ({shown}; 1 = best)")
    ax.xaxis.set_ticks_position("both")
    ax.tick_params(axis="x", labeltop=True)
    return pdf_bytes(fig)
