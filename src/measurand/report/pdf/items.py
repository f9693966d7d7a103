"""Paper figures of ``items``: per task a forest plot of the paired differences (the largest
60 by |difference|, green where the family-wise p < 0.05) and each model's rank with its
bootstrap interval; across tasks the critical-difference diagram (Demšar 2006, Fig. 1)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.report.pdf._draw import GREY, interval_dots, row_height, short

#: Pairs in a forest plot (the largest |difference| first), as in the HTML figure.
FIGURE_PAIRS = 60


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _level(data: Mapping[str, Any]) -> str:
    level = (data.get("settings") or {}).get("confidence_level") or 0.95
    return f"{100 * float(level):g}%"


def figures(data: Mapping[str, Any]) -> dict[str, bytes]:
    tasks = data.get("tasks") or []
    level = _level(data)
    names = _file_stems(tasks)
    with paper_style():
        out = {}
        for task, stem in zip(tasks, names, strict=True):
            if task.get("pairs"):
                out[f"items_pairs{stem}.pdf"] = _forest(task, level)
            if task.get("models"):
                out[f"items_ranks{stem}.pdf"] = _ranks(task, level)
        across = data.get("across_tasks") or {}
        if across.get("friedman"):
            out["items_cd.pdf"] = _critical_difference(across)
        return out


def _file_stems(tasks: list[Mapping[str, Any]]) -> list[str]:
    """'' for a single task, else '_<task>' made safe for a file name (and unique)."""
    if len(tasks) <= 1:
        return [""] * len(tasks)
    stems: list[str] = []
    for task in tasks:
        stem = "_" + (re.sub(r"[^A-Za-z0-9._-]+", "_", str(task.get("task") or "")) or "task")
        while stem in stems:
            stem += "_"
        stems.append(stem)
    return stems


def sorted_pairs(task: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The pairs drawn, in drawing order (top first): largest |difference| first."""
    pairs = sorted(task["pairs"], key=lambda p: -abs(_float(p["difference"])))
    return pairs[:FIGURE_PAIRS]


def _forest(task: Mapping[str, Any], level: str) -> bytes:
    pairs = sorted_pairs(task)
    fig, ax = new_figure("single", row_height(len(pairs), base=0.9, per_row=0.16))
    interval_dots(
        ax,
        [short(f"{p['a']} − {p['b']}", 32) for p in pairs],
        [_float(p["difference"]) for p in pairs],
        [_float(p["confidence_interval"][0]) for p in pairs],
        [_float(p["confidence_interval"][1]) for p in pairs],
        colors=[PALETTE[2] if _float(p["pvalue_fwer"]) < 0.05 else GREY for p in pairs],
    )
    ax.axvline(0, color=PALETTE[3], lw=0.6, ls=":")
    more = (
        f"; {len(pairs)} largest of {len(task['pairs'])}" if len(task["pairs"]) > len(pairs) else ""
    )
    ax.set_xlabel(f"mean(a) − mean(b), {level} CI{more}")
    if task.get("task"):
        ax.set_title(short(str(task["task"]), 50))
    return pdf_bytes(fig)


def sorted_models(task: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return sorted(task["models"], key=lambda r: (r["rank"], r["model"]))


def _ranks(task: Mapping[str, Any], level: str) -> bytes:
    rows = sorted_models(task)
    fig, ax = new_figure("single", row_height(len(rows), base=0.9, per_row=0.18))
    interval_dots(
        ax,
        [short(str(r["model"]), 28) for r in rows],
        [float(r["rank"]) for r in rows],
        [float(r["rank_interval"][0]) for r in rows],
        [float(r["rank_interval"][1]) for r in rows],
    )
    ax.set_xticks(range(1, len(rows) + 1))
    ax.set_xlim(0.5, len(rows) + 0.5)
    ax.set_xlabel(f"rank with {level} bootstrap interval (1 = best)")
    if task.get("task"):
        ax.set_title(short(str(task["task"]), 50))
    return pdf_bytes(fig)


def _critical_difference(across: Mapping[str, Any]) -> bytes:
    """Average ranks on one axis (1 = best at the left), each model's name on a leader line
    (the better half to the left, the rest to the right), a thick bar joining each clique of
    models within one critical difference, and the CD itself above the axis."""
    f = across["friedman"]
    ranks = [float(r) for r in f["average_rank"]]
    models = [str(m) for m in across["models"]]
    k = len(ranks)
    order = sorted(range(k), key=lambda i: ranks[i])
    half = math.ceil(k / 2)
    fig, ax = new_figure("single", 0.9 + 0.16 * half + 0.1 * len(f.get("cliques") or []))
    ax.plot([1, k], [0, 0], color="black", lw=0.8)
    for r in range(1, k + 1):
        ax.plot([r, r], [0, 0.06], color="black", lw=0.6)
        ax.text(r, 0.1, str(r), ha="center", va="bottom", fontsize=6.5)
    for pos, i in enumerate(order):
        left = pos < half
        depth = -0.35 - 0.3 * (pos if left else k - 1 - pos)
        end = 0.6 if left else k + 0.4
        ax.plot([ranks[i], ranks[i], end], [0, depth, depth], color=PALETTE[0], lw=0.7)
        ax.plot([ranks[i]], [0], "o", color=PALETTE[0], markersize=3, zorder=3)
        ax.text(
            end + (-0.05 if left else 0.05),
            depth,
            f"{short(models[i], 22)} ({ranks[i]:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=6.5,
        )
    for level_index, clique in enumerate(f.get("cliques") or []):
        values = [ranks[i] for i in clique]
        y = -0.12 - 0.08 * level_index
        ax.plot([min(values) - 0.03, max(values) + 0.03], [y, y], color="black", lw=2.2)
    cd = float(f["critical_difference"])
    ax.plot([1, 1 + cd], [0.45, 0.45], color=PALETTE[3], lw=1.6)
    ax.text(1, 0.52, f"CD = {cd:.2f}", ha="left", va="bottom", fontsize=6.5)
    level = f"{100 * float(f.get('confidence_level') or 0.95):g}%"
    ax.set_title(f"Nemenyi critical difference ({level}), {f['n_tasks']} tasks")
    ax.set_xlim(-1.8, k + 2.8)
    ax.set_ylim(-0.35 - 0.3 * half - 0.2, 0.8)
    ax.axis("off")
    return pdf_bytes(fig)
