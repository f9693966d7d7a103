"""Paper figures of ``compare``: learning curves, the effect of each comparison with its interval
(Cohen's d when tasks differ in scale, as in the HTML forest plot), the aggregates across tasks
with their intervals, and the performance profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.report.pdf._draw import GREY, interval_dots, row_height, short

#: Tasks drawn in the learning-curve grid; a paper figure does not hold more.
MAX_CURVE_TASKS = 12

_VERDICT_COLOURS = {
    "significant_improvement": PALETTE[2],
    "significant_degradation": PALETTE[3],
}


def figures(data: Mapping[str, Any]) -> dict[str, bytes]:
    conditions = sorted({s["condition"] for s in (data.get("curves") or {}).get("series", [])})
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(conditions)}
    with paper_style():
        out = {}
        if (data.get("curves") or {}).get("series"):
            out["compare_curves.pdf"] = _curves(data["curves"], colours)
        significance = data.get("significance") or {}
        if significance.get("comparisons"):
            out["compare_effects.pdf"] = _effects(significance)
        elif (data.get("multiple") or {}).get("frame"):
            out["compare_pairs.pdf"] = _pairs(data["multiple"])
        for block in data.get("across_tasks") or []:
            metric = block["metric"]
            suffix = "" if len(data["across_tasks"]) == 1 else f"_{_safe(metric)}"
            out[f"compare_aggregates{suffix}.pdf"] = _aggregates(block, colours)
            if block.get("profiles"):
                out[f"compare_profile{suffix}.pdf"] = _profile(block, colours)
        return out


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)


def _curves(curves: Mapping[str, Any], colours: dict[str, str]) -> bytes:
    series = curves["series"]
    panels = list(dict.fromkeys((s["metric"], s["task"]) for s in series))[:MAX_CURVE_TASKS]
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = new_figure("double", 1.45 * nrows + 0.3, nrows=nrows, ncols=ncols)
    flat = [axes] if nrows == ncols == 1 else list(getattr(axes, "flat", axes))
    single_metric = len({m for m, _ in panels}) == 1
    for ax, (metric, task) in zip(flat, panels, strict=False):
        for s in series:
            if (s["metric"], s["task"]) != (metric, task):
                continue
            colour = colours.get(s["condition"], GREY)
            ax.plot(s["step"], s["mean"], color=colour, lw=0.9, label=s["condition"])
            if s.get("low") and s.get("high"):
                low = [float("nan") if v is None else v for v in s["low"]]
                high = [float("nan") if v is None else v for v in s["high"]]
                ax.fill_between(s["step"], low, high, color=colour, alpha=0.18, lw=0)
        title = task if single_metric and task else f"{metric} / {task}" if task else metric
        ax.set_title(short(str(title), 34))
        ax.set_ylabel(metric if single_metric else "value")
        ax.grid(lw=0.3, color="#e5e5e5")
    for ax in flat[len(panels) :]:
        ax.set_visible(False)
    for ax in flat[(nrows - 1) * ncols : len(panels)]:
        ax.set_xlabel("step")
    handles, labels = flat[0].get_legend_handles_labels()
    band = curves.get("band") or "band"
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncol=min(len(labels), 6),
        bbox_to_anchor=(0.5, 1.0 + 0.12 / nrows),
        title=f"mean across seeds, shaded: {band}",
        title_fontsize=7,
    )
    fig.tight_layout()
    return pdf_bytes(fig)


def _effects(significance: Mapping[str, Any]) -> bytes:
    rows = significance["comparisons"]
    labels = [
        short(f"{r['metric']} / {r['task']}" if r.get("task") else str(r["metric"]), 30)
        for r in rows
    ]
    # Tasks measured on different scales share an axis only as Cohen's d (as in report.html).
    use_d = len(rows) > 1
    key, ci_key = ("cohens_d", "cohens_d_ci") if use_d else ("delta", "ci")
    nan2 = [float("nan"), float("nan")]
    fig, ax = new_figure("single", row_height(len(rows), base=0.9, per_row=0.2))
    interval_dots(
        ax,
        labels,
        [r[key] if r[key] is not None else float("nan") for r in rows],
        [(r.get(ci_key) or nan2)[0] for r in rows],
        [(r.get(ci_key) or nan2)[1] for r in rows],
        colors=[_VERDICT_COLOURS.get(r.get("verdict", ""), GREY) for r in rows],
    )
    ax.axvline(0, color="black", lw=0.6, ls="--")
    what = f"{significance['candidate']} − {significance['baseline']}"
    level = rows[0].get("confidence_level", 0.95)
    ax.set_xlabel(
        f"Cohen's d of {what} ({level:.0%} CI)" if use_d else f"Δ = {what} ({level:.0%} CI)"
    )
    if len(rows) > 15:  # a long forest plot has its axis at the top and at the bottom
        ax.xaxis.set_ticks_position("both")
        ax.tick_params(axis="x", labeltop=True)
    return pdf_bytes(fig)


def _pairs(multiple: Mapping[str, Any]) -> bytes:
    """Every pair's Δ with its interval, one panel per (metric, task) (scales differ)."""
    frame = multiple["frame"]
    panels = list(dict.fromkeys((r["metric"], r.get("task")) for r in frame))[:MAX_CURVE_TASKS]
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    n_pairs = max(sum(1 for r in frame if (r["metric"], r.get("task")) == p) for p in panels)
    fig, axes = new_figure("double", nrows * (0.5 + 0.16 * n_pairs) + 0.3, nrows=nrows, ncols=ncols)
    flat = [axes] if nrows == ncols == 1 else list(axes.flat)
    for ax, (metric, task) in zip(flat, panels, strict=False):
        rows = [r for r in frame if (r["metric"], r.get("task")) == (metric, task)]
        interval_dots(
            ax,
            [short(f"{r['candidate']} − {r['baseline']}", 26) for r in rows],
            [r["delta"] for r in rows],
            [r["ci_low"] for r in rows],
            [r["ci_high"] for r in rows],
            colors=[_VERDICT_COLOURS.get(r.get("verdict", ""), GREY) for r in rows],
        )
        ax.axvline(0, color="black", lw=0.6, ls="--")
        ax.set_title(short(f"{metric} / {task}" if task else str(metric), 34))
    for ax in flat[len(panels) :]:
        ax.set_visible(False)
    fig.supxlabel("Δ = candidate − baseline (bootstrap CI; colour: adjusted verdict)", fontsize=7)
    fig.tight_layout()
    return pdf_bytes(fig)


def _aggregates(block: Mapping[str, Any], colours: dict[str, str]) -> bytes:
    stats = list(dict.fromkeys(a["metric"] for a in block["aggregates"]))
    conditions = list(block["conditions"])
    fig, axes = new_figure("double", 1.0 + 0.22 * len(conditions), ncols=len(stats), sharey=True)
    flat = [axes] if len(stats) == 1 else list(axes.flat)
    for ax, stat in zip(flat, stats, strict=True):
        rows = {a["condition"]: a for a in block["aggregates"] if a["metric"] == stat}
        interval_dots(
            ax,
            conditions,
            [rows[c]["estimate"] for c in conditions],
            [rows[c]["ci_low"] for c in conditions],
            [rows[c]["ci_high"] for c in conditions],
            colors=[colours.get(c, GREY) for c in conditions],
        )
        ax.set_title(stat.replace("_", " "))
    level = block.get("confidence_level", 0.95)
    fig.supxlabel(
        f"{block.get('normalization') or ''} normalized score, {level:.0%} bootstrap CI".strip(),
        fontsize=7,
    )
    fig.tight_layout()
    return pdf_bytes(fig)


def _profile(block: Mapping[str, Any], colours: dict[str, str]) -> bytes:
    fig, ax = new_figure("single")
    taus = block["profile_taus"]
    for condition, values in block["profiles"].items():
        colour = colours.get(condition, GREY)
        ax.step(taus, values, where="post", color=colour, lw=0.9, label=condition)
        low = (block.get("profile_low") or {}).get(condition)
        high = (block.get("profile_high") or {}).get(condition)
        if low and high:
            ax.fill_between(taus, low, high, step="post", color=colour, alpha=0.18, lw=0)
    ax.set_xlabel("τ (normalized score)")
    ax.set_ylabel("fraction of runs with score > τ")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right")
    ax.grid(lw=0.3, color="#e5e5e5")
    return pdf_bytes(fig)
