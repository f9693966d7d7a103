"""Paper figures of ``noise``: each task's SNR with its interval (log axis; an interval reaching
zero or below is drawn to the axis edge with an arrow), the fitted h² against the noise
ceiling, and the seeds split's SNR per task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.report.pdf._draw import GREY, finite, interval_dots, row_height, short


def figures(data: Mapping[str, Any]) -> dict[str, bytes]:
    threshold = float((data.get("settings") or {}).get("snr_threshold") or 1.0)
    with paper_style():
        out = {}
        matrix = data.get("matrix") or {}
        floors = matrix.get("floors") or {}
        if floors.get("tasks"):
            out["noise_snr.pdf"] = _snr(floors, threshold, "SNR per task (sweep vs reruns)")
        model = matrix.get("model") or {}
        if model.get("tasks") and model.get("ceiling"):
            out["noise_ceiling.pdf"] = _ceiling(model)
        seeds = data.get("seeds") or {}
        if seeds.get("tasks"):
            out["noise_seeds.pdf"] = _snr(seeds, threshold, "SNR per task (seeds split)")
        return out


def _snr(block: Mapping[str, Any], threshold: float, what: str) -> bytes:
    order = sorted(
        range(len(block["tasks"])),
        key=lambda i: -block["snr"][i] if finite(block["snr"][i]) else float("inf"),
    )

    def pick(key: str) -> list[float]:
        values = block.get(key) or [float("nan")] * len(order)
        return [values[i] if values[i] is not None else float("nan") for i in order]

    snr = pick("snr")
    fig, ax = new_figure("single", row_height(len(order), base=0.9, per_row=0.17))
    interval_dots(
        ax,
        [short(str(block["tasks"][i]), 30) for i in order],
        snr,
        pick("snr_low"),
        pick("snr_high"),
        colors=[PALETTE[3] if finite(v) and v < threshold else PALETTE[2] for v in snr],
        log=True,
    )
    ax.axvline(threshold, color="black", lw=0.6, ls="--")
    ax.set_xlabel(f"{what}, 95% CI; ◁ lower end ≤ 0")
    return pdf_bytes(fig)


def _ceiling(model: Mapping[str, Any]) -> bytes:
    import numpy as np

    tasks = [str(t) for t in model["tasks"]]
    h2 = np.array([np.nan if v is None else v for v in model["h2"]], dtype=float)
    ceiling = np.array([np.nan if v is None else v for v in model["ceiling"]], dtype=float)
    high = model.get("ceiling_high")
    fig, ax = new_figure("double" if len(tasks) > 12 else "single")
    xs = np.arange(len(tasks))
    ax.bar(xs - 0.2, ceiling, 0.4, color=GREY, alpha=0.6, label="noise ceiling")
    if high:
        upper = np.array([np.nan if v is None else v for v in high], dtype=float)
        ax.errorbar(
            xs - 0.2,
            ceiling,
            yerr=[np.zeros_like(ceiling), np.clip(upper - ceiling, 0, None)],
            fmt="none",
            ecolor="black",
            elinewidth=0.6,
            capsize=1.5,
        )
    ax.bar(xs + 0.2, h2, 0.4, color=PALETTE[0], label="fitted h²")
    ax.set_xticks(xs)
    ax.set_xticklabels([short(t, 22) for t in tasks], rotation=60, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of variance")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return pdf_bytes(fig)
