"""Paper figures of ``diagnose``: the primary signal's histogram by class with its threshold,
and the AUC of every signal with its interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.report.pdf._draw import GREY, interval_dots, row_height


def figures(data: Mapping[str, Any]) -> dict[str, bytes]:
    with paper_style():
        out = {}
        if data.get("histogram"):
            out["diagnose_histogram.pdf"] = _histogram(data["histogram"], data.get("label"))
        if data.get("auc"):
            out["diagnose_auc.pdf"] = _auc(data["auc"], data.get("label"))
        return out


def _histogram(hist: Mapping[str, Any], label: str | None) -> bytes:
    fig, ax = new_figure("single")
    edges = hist["edges"]
    ax.stairs(
        hist["counts_correct"], edges, fill=True, alpha=0.55, color=PALETTE[0], label="correct"
    )
    ax.stairs(hist["counts_wrong"], edges, fill=True, alpha=0.65, color=PALETTE[3], label="wrong")
    threshold = hist.get("threshold")
    if threshold is not None:
        ax.axvline(threshold, color="black", lw=0.8, ls="--")
        ax.annotate(
            f"τ = {threshold:.3g}",
            (threshold, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            va="top",
            fontsize=6.5,
        )
    ax.set_xlabel(f"signal {hist['signal']}")
    ax.set_ylabel("examples")
    ax.legend(title=label, loc="upper left", bbox_to_anchor=(1.0, 1.0), title_fontsize=7)
    return pdf_bytes(fig)


def _auc(entries: list[Mapping[str, Any]], label: str | None) -> bytes:
    fig, ax = new_figure("single", row_height(len(entries), base=0.9, per_row=0.22))
    lows, highs = [], []
    for entry in entries:
        ci = entry.get("bootstrap_ci") or entry.get("delong_ci") or [float("nan")] * 2
        lows.append(ci[0])
        highs.append(ci[1])
    interval_dots(ax, [e["signal"] for e in entries], [e["auc"] for e in entries], lows, highs)
    ax.axvline(0.5, color=GREY, lw=0.7, ls=":")
    ax.set_xlim(0, 1)
    level = entries[0].get("confidence_level", 0.95)
    ax.set_xlabel(f"AUC (signal → {label or 'correct'}), {level:.0%} CI")
    return pdf_bytes(fig)
