"""The plan report: per comparison, the items, runs, seeds or episodes a target difference needs."""

from __future__ import annotations

from measurand.plan.workflow import PlanResult, PlanRow
from measurand.report.document import Report, md_table
from measurand.report.format import cell_code, code, num, style_figure
from measurand.report.format import level as _level
from measurand.report.pdf.plan import power_curves

MAX_ROWS = 200


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def plan_table_rows(result: PlanResult) -> list[list[str]]:
    rows = []
    for row in result.rows[:MAX_ROWS]:
        items = "–"
        if row.items is not None:
            items = _count(row.items.n_items)
            if row.items.n_clusters is not None:
                items += f" ({_count(row.items.n_clusters)} clusters)"
        rows.append(
            [
                cell_code(row.label),
                "–" if row.observed is None else f"{row.observed:+.4g}",
                num(row.mde),
                num(row.mde_now, 3),
                _count(row.n_items_now),
                items,
                "–" if row.runs is None else _count(row.runs.runs),
                "–" if row.seeds is None else _count(row.seeds.seeds_per_arm),
                "–" if row.episodes is None else _count(row.episodes.episodes_per_arm),
            ]
        )
    return rows


HEADERS = [
    "comparison",
    "observed",
    "target",
    "detectable now",
    "items now",
    "items needed",
    "runs/item",
    "seeds/arm",
    "episodes/arm",
]


def _schedule(row: PlanRow) -> str:
    eps = row.episodes
    assert eps is not None
    per_step = f"{eps.episodes_per_step:,} episodes per step" if eps.episodes_per_step else None
    text = (
        f"Episodes per arm to detect a rise of the success rate from {eps.p:g} to "
        f"{eps.p + eps.mde:g}: **{eps.episodes_per_arm:,}** (two-proportion z test)"
        + (f"; with {per_step}:" if per_step else ":")
    )
    if eps.sd_seed > 0:
        text += (
            f" with a seed-to-seed sd of {eps.sd_seed:g} at least {eps.min_seeds} seeds per arm "
            "are needed, whatever the steps."
        )
    table = md_table(
        ["seeds", "steps per seed", "episodes per arm"],
        [[s["seeds"], _count(s["steps"]), _count(s["episodes"])] for s in eps.schedule],
    )
    return text + "\n\n" + table


def plan_report(result: PlanResult) -> Report:
    level = _level(result.confidence_level)
    report = Report("Plan: how much data does the claim need?")
    report.preamble.append(
        f"Source: {code(result.source)} ({result.kind}). Power {result.power:g} for a two-sided "
        f"test at the {100 - float(level.rstrip('%')):g} % level."
    )
    sec = report.section("Answers")
    sec.add(
        "Per comparison: the target difference (given with --mde, else the observed one), the "
        "difference the current items detect, the items needed (paired, design effect of "
        "clustered items included), runs per item at the current item count, seeds per arm "
        "(two-sample t on the seed-level metric) and episodes per arm."
    )
    sec.add(md_table(HEADERS, plan_table_rows(result)))
    if len(result.rows) > MAX_ROWS:
        sec.add(f"First {MAX_ROWS} of {len(result.rows)} comparisons; results.json has all.")
    curves = power_curves(result.to_dict())
    if curves:
        sec.figure(_power_figure(curves))
    for row in result.rows:
        if row.episodes is not None:
            report.section(f"Episodes: {row.label}").add(_schedule(row))
    notes = [f"- {row.label}: {note}" for row in result.rows for note in row.notes]
    if notes:
        report.section("Notes").add("\n".join(notes[:MAX_ROWS]))
    report.section("Method").add(
        "Items: n = the paired t test's sample size for δ/σ_d (noncentral t), times the design "
        "effect. Runs: σ_d² = σ_item² + σ_run²/R solved for R at the current items; none "
        "suffices when the items' own spread already exceeds the budget. Seeds: two-sample t "
        "test. Episodes: two-proportion z test (R's power.prop.test); with seed-to-seed "
        "spread σ_b, S seeds of E episodes need 2(σ_b² + p̄q̄/E)/S ≤ (δ/z)²."
    )
    return report


def _power_figure(curves: list[dict]) -> object:
    """Power of the paired t test against the items, per comparison (the paper figure's data)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for curve in curves:
        fig.add_trace(
            go.Scatter(
                x=curve["n"],
                y=curve["power"],
                mode="lines",
                name=curve["label"],
                hovertemplate="%{x:.0f} items: power %{y:.3f}<extra></extra>",
            )
        )
    fig.add_hline(y=curves[0]["target"], line={"dash": "dash", "color": "#888888"})
    return style_figure(
        fig,
        title=f"Power against items (paired t test; first {len(curves)} comparisons)",
        height=380,
        xaxis={"title": "items"},
        yaxis={"title": "power", "range": [0, 1.02]},
    )
