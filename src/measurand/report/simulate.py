"""The simulate report: one-shot panels, the repeated game's Δ_t and (ρ, k) loss maps, the bound
validation with every violation, the closed-form k* against simulation (HTML: plotly)."""

from __future__ import annotations

from typing import Any

import numpy as np

from measurand.report.document import Report, md_table
from measurand.report.format import num, style_figure
from measurand.report.simulate_figures import delta_rho, grid_matrix
from measurand.simulate.workflow import SimulateResult

__all__ = ["simulate_report"]

_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")


def simulate_report(result: SimulateResult, *, source: str | None = None) -> Report:
    """Build the report for a :class:`~measurand.simulate.SimulateResult`."""
    s = result.settings
    report = Report("Simulate: strategic evaluation games")
    report.preamble.append(
        f"Pool: {source or 'synthetic'} ({result.pool.n_tasks} tasks, {result.pool.n_skills} "
        f"skills). Seed {s.seed}; parts: {', '.join(s.parts)}"
        + (" (reduced --fast grid)." if s.fast else ".")
    )
    report.section("Headline").add(_headline(result))

    pool = report.section("Task pool and evaluation distribution")
    bias = (
        f"the first {s.bias_fraction:.0%} of tasks weighted {s.bias_weight:g}×"
        if s.bias == "prefix"
        else f"tasks weighted up to {s.bias_weight:g}× by their share on skill {s.bias_axis}"
    )
    pool.add(
        f"π_E: {bias}; D₀ = KL(π_E ‖ U) = {num(result.d0)}. Link: {s.link}. "
        f"σ = sd of task performance of the uniform-optimal model under π_E = {num(result.sigma)}."
    )
    pool.figure(_pool_figure(result))

    if result.oneshot:
        sec = report.section("One-shot game: transparency vs randomized evaluation")
        sec.add(
            "alignment = u_E(θ*)/max u_E; score = benchmark score; asymmetry = score − u_E(θ*)/N "
            f"(how far the benchmark overstates the model); means over {s.oneshot_reps} "
            "repetitions, ± standard error."
        )
        sec.add(_oneshot_table(result))
        sec.figure(_oneshot_figure(result, "alignment", "u_E(θ*) / max u_E"))
        sec.figure(_oneshot_figure(result, "asymmetry", "score − u_E(θ*)/N"))

    if result.repeated:
        sec = report.section(f"Repeated game ({s.correction} correction, T = {s.rounds})")
        sec.add(_repeated_text(result))
        sec.add(_repeated_table(result))
        sec.figure(_delta_figure(result))
        sec.figure(_heat_figure(result, "final_loss", "loss at round T"))
        sec.figure(_heat_figure(result, "total_loss", "cumulative loss over T rounds"))

    if result.bound or result.violations:
        sec = report.section("Bound validation")
        sec.add(
            "Δ_t ≤ min(m_t/(m_t + N), (1 − ρ)^t √(D₀/2)), m_t = k·min(t, 1/ρ), checked at every "
            "round and repetition of the uniform-correction grid (the bound part) and of the "
            "repeated game. The second term is a theorem under the uniform correction (Pinsker); "
            "the first is not, for Δ_t as defined. Every violating cell is listed."
        )
        sec.add(_violations_table(result))
        if result.bound:
            sec.figure(_bound_figure(result))

    if result.closedform:
        sec = report.section("Closed form: k* = σ√(ρ/γ)")
        sec.add(
            f"L(k) = σ²/k + γk/ρ with σ = {num(result.sigma)} (plug-in) and γ = {s.gamma:g}, "
            "against the simulated mean per-round loss (cumulative / T). Before round 1/ρ the "
            "simulated leakage term is still ramping up (m_t = k·t), so with T < 1/ρ or T near "
            "it the simulated best k sits above k*."
        )
        sec.add(_closedform_table(result))
        for curve in result.closedform:
            sec.figure(_closedform_figure(curve))

    if result.failures:
        sec = report.section("Failed cells")
        sec.add(
            md_table(
                ["part", "cell", "error"],
                [
                    [f["params"].get("part"), _cell_label(f["params"]), f["error"]]
                    for f in result.failures
                ],
            )
        )
    report.section("Settings").add(_settings_text(result))
    return report


def _cell_label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={params[k]}" for k in ("rho", "k", "correction") if k in params)


def _headline(result: SimulateResult) -> str:
    lines = []
    if result.oneshot:
        low = min({c.awareness for c in result.oneshot if c.awareness is not None})
        wins = sum(
            r.alignment > t.alignment
            for t in result.oneshot
            if t.mechanism == "transparency"
            for r in result.oneshot
            if r.awareness == low and r.k == t.k
        )
        n_k = len({c.k for c in result.oneshot})
        lines.append(
            f"- One-shot: randomized evaluation at awareness α = {low:g} beats deterministic "
            f"transparency on u_E in {wins} of {n_k} task counts k."
        )
    if result.repeated:
        rhos, ks, m = grid_matrix(result.repeated, "total_loss")
        i, j = np.unravel_index(np.nanargmin(m), m.shape)
        lines.append(
            f"- Repeated game: lowest cumulative loss at ρ = {rhos[i]:g}, k = {ks[j]} "
            f"({num(m[i, j])})."
        )
    n_viol = len(result.violations)
    if result.bound or result.repeated:
        lines.append(
            f"- Bound: {n_viol} cell(s) with a violation"
            + (" (listed under Bound validation)." if n_viol else ".")
        )
    for c in result.closedform:
        lines.append(
            f"- ρ = {c.rho:g}: closed-form k* = {c.k_star:.3g}, best simulated k = "
            f"{c.empirical_best_k}."
        )
    if result.failures:
        lines.append(f"- **{len(result.failures)} cell(s) failed**; the others are reported.")
    return "\n".join(lines)


def _oneshot_table(result: SimulateResult) -> str:
    rows = []
    for c in sorted(
        result.oneshot, key=lambda c: (c.k, c.awareness if c.awareness is not None else -1)
    ):
        rows.append(
            [
                c.k,
                c.mechanism,
                "–" if c.awareness is None else f"{c.awareness:g}",
                f"{c.alignment:.4f} ± {c.alignment_se:.4f}",
                f"{c.score:.4f} ± {c.score_se:.4f}",
                f"{c.asymmetry:+.4f} ± {c.asymmetry_se:.4f}",
            ]
        )
    return md_table(["k", "mechanism", "α", "alignment", "score", "asymmetry"], rows)


def _repeated_text(result: SimulateResult) -> str:
    s = result.settings
    return (
        f"{s.reps} repetitions per (ρ, k) cell. Δ_t = E_π^(t) f(θ*_t) − u_E(θ*_t)/N; loss "
        f"ℓ_t = (published score − u_E/N)² + γ·m_t. Gap-targeted correction kernel width "
        f"σ_K = {s.kernel_width:g}."
    )


def _repeated_table(result: SimulateResult) -> str:
    rows = [
        [
            f"{c.rho:g}",
            c.k,
            f"{c.final_delta:+.5f} ± {c.final_delta_se:.5f}",
            num(c.kl[-1]),
            num(c.leakage[-1]),
            num(c.final_loss),
            num(c.total_loss),
        ]
        for c in sorted(result.repeated, key=lambda c: (c.rho, c.k))
    ]
    return md_table(
        ["ρ", "k", "Δ_T", "KL(π_T ‖ U)", "leakage", "loss at T", "cumulative loss"], rows
    )


def _violations_table(result: SimulateResult) -> str:
    if not result.violations:
        return "No violation in any cell."
    rows = [
        [
            v["part"],
            v["correction"],
            f"{v['rho']:g}",
            v["k"],
            f"{v['n_violations']} / {v['n_checked']}",
            num(v["worst_excess"]),
            v["worst_round"],
            _rounds(v["rounds_violated"]),
        ]
        for v in result.violations
    ]
    return md_table(
        ["part", "correction", "ρ", "k", "violations", "worst excess", "worst round", "rounds"],
        rows,
    )


def _rounds(rounds: list[int]) -> str:
    shown = ", ".join(str(r) for r in rounds[:8])
    return shown + (f" … (+{len(rounds) - 8})" if len(rounds) > 8 else "")


def _closedform_table(result: SimulateResult) -> str:
    rows = []
    for c in result.closedform:
        for k, theory, emp, se in zip(
            c.ks, c.closed_form, c.empirical, c.empirical_se, strict=True
        ):
            rows.append(
                [
                    f"{c.rho:g}",
                    k,
                    num(theory),
                    num(emp),
                    num(se),
                    "k*" if k == c.closed_form_best_k else "",
                    "best" if k == c.empirical_best_k else "",
                ]
            )
    head = md_table(
        ["ρ", "k*", "L*", "best simulated k"],
        [
            [f"{c.rho:g}", num(c.k_star), num(c.l_star), c.empirical_best_k]
            for c in result.closedform
        ],
    )
    return (
        head
        + "\n\n"
        + md_table(["ρ", "k", "L(k)", "simulated", "± se", "closed form", "simulation"], rows)
    )


def _settings_text(result: SimulateResult) -> str:
    s = result.settings.to_dict()
    lines = [f"- `{k}`: {v}" for k, v in s.items()]
    lines.append(
        "- seeds: part P's cell i uses `keyed_sequence(SeedSequence(seed), 'simulate', P)"
        ".spawn(n)[i]`; every cell's spawn key is in `manifest.json`."
    )
    return "\n".join(lines)


# ---- plotly figures ----


def _pool_figure(result: SimulateResult):
    import plotly.graph_objects as go

    z = result.pool.z
    fig = go.Figure(
        go.Heatmap(z=z.T, colorscale="Viridis", zmin=0, zmax=1, colorbar={"title": "z"})
    )
    return style_figure(
        fig,
        title="Pool loadings (tasks × skills)",
        height=320,
        xaxis={"title": "task"},
        yaxis={"title": "skill"},
    )


def _oneshot_figure(result: SimulateResult, attr: str, label: str):
    import plotly.graph_objects as go

    cells = result.oneshot
    ks = sorted({c.k for c in cells})
    alphas = sorted({c.awareness for c in cells if c.awareness is not None})
    fig = go.Figure()
    for i, k in enumerate(ks):
        color = _COLORS[i % len(_COLORS)]
        r = [next(c for c in cells if c.awareness == a and c.k == k) for a in alphas]
        fig.add_trace(
            go.Scatter(
                x=alphas,
                y=[getattr(c, attr) for c in r],
                mode="lines+markers",
                name=f"k = {k}",
                line={"color": color},
                error_y={"type": "data", "array": [2 * getattr(c, f"{attr}_se") for c in r]},
            )
        )
        t = next(c for c in cells if c.mechanism == "transparency" and c.k == k)
        fig.add_trace(
            go.Scatter(
                x=[alphas[0], alphas[-1]],
                y=[getattr(t, attr)] * 2,
                mode="lines",
                name=f"transparency, k = {k}",
                line={"color": color, "dash": "dash"},
            )
        )
    return style_figure(
        fig,
        title=f"One-shot: {label} (dashed: transparency)",
        height=420,
        xaxis={"title": "awareness α"},
        yaxis={"title": label},
    )


def _delta_figure(result: SimulateResult):
    import plotly.graph_objects as go

    rho = delta_rho(result)
    fig = go.Figure()
    for i, c in enumerate(sorted((c for c in result.repeated if c.rho == rho), key=lambda c: c.k)):
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, c.rounds + 1),
                y=c.delta,
                mode="lines",
                name=f"k = {c.k}",
                line={"color": _COLORS[i % len(_COLORS)]},
            )
        )
    return style_figure(
        fig,
        title=f"Residual misalignment Δ_t at ρ = {rho:g}",
        height=400,
        xaxis={"title": "round t"},
        yaxis={"title": "Δ_t"},
    )


def _heat_figure(result: SimulateResult, attr: str, label: str):
    import plotly.graph_objects as go

    rhos, ks, m = grid_matrix(result.repeated, attr)
    fig = go.Figure(
        go.Heatmap(
            z=np.log10(m),
            x=[str(k) for k in ks],
            y=[f"{r:g}" for r in rhos],
            customdata=m,
            colorscale="Magma",
            hovertemplate="ρ=%{y}, k=%{x}: %{customdata:.4g}<extra></extra>",
            colorbar={"title": f"log10 {label}"},
        )
    )
    return style_figure(
        fig,
        title=f"(ρ, k): {label}",
        height=420,
        xaxis={"title": "tasks per round k", "type": "category"},
        yaxis={"title": "correction rate ρ", "type": "category"},
    )


def _bound_figure(result: SimulateResult):
    import plotly.graph_objects as go

    fig = go.Figure()
    cells = sorted(result.bound, key=lambda c: (c.rho, c.k))
    for i, c in enumerate(cells):
        t = np.arange(1, c.rounds + 1)
        visible = True if i < 3 else "legendonly"
        color = _COLORS[i % len(_COLORS)]
        fig.add_trace(
            go.Scatter(
                x=t,
                y=c.delta,
                mode="lines",
                name=f"Δ_t ρ={c.rho:g} k={c.k}",
                line={"color": color},
                visible=visible,
                legendgroup=str(i),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=c.bound,
                mode="lines",
                name=f"bound ρ={c.rho:g} k={c.k}",
                line={"color": color, "dash": "dash"},
                visible=visible,
                legendgroup=str(i),
                showlegend=False,
            )
        )
    return style_figure(
        fig,
        title="Δ_t (solid) against the bound (dashed), uniform correction",
        height=460,
        xaxis={"title": "round t"},
        yaxis={"title": "Δ_t", "type": "log"},
    )


def _closedform_figure(curve: Any):
    import plotly.graph_objects as go

    grid = np.geomspace(min(curve.ks), max(curve.ks), 200)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=curve.sigma**2 / grid + curve.gamma * grid / curve.rho,
            mode="lines",
            name="closed form L(k)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=curve.ks,
            y=curve.empirical,
            mode="markers",
            name="simulated",
            error_y={"type": "data", "array": [2 * (v or 0) for v in curve.empirical_se]},
        )
    )
    finite = [v for v in curve.empirical if v is not None] + list(curve.closed_form)
    fig.add_trace(
        go.Scatter(
            x=[curve.k_star, curve.k_star],
            y=[min(finite), max(finite)],
            mode="lines",
            line={"dash": "dash", "color": "#888888"},
            name=f"k* = {curve.k_star:.3g}",
        )
    )
    return style_figure(
        fig,
        title=f"Loss per round against k, ρ = {curve.rho:g}",
        height=400,
        xaxis={"title": "k", "type": "log"},
        yaxis={"title": "loss", "type": "log"},
    )
