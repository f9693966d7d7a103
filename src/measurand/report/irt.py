"""The irt report: dimensions, fit, held-out check, flagged items, item parameters, abilities;
item characteristic curves, slope vs difficulty (item ids on hover), test information and the
ability ranking with intervals in HTML. Long lists show the top rows in the text and every row
(up to a cap) in a scrollable table figure."""

from __future__ import annotations

from typing import Any

import numpy as np

from measurand.irt.workflow import IRTResult
from measurand.report.document import Report, md_table
from measurand.report.format import num, style_figure

_BLUE = "#1877F2"
_RED = "#E4572E"
_GREY = "#888888"
_TOP = 20
_MAX_TABLE_ROWS = 5000
_MAX_CURVES = 40
_Z = 1.959963984540054


def irt_report(result: IRTResult, *, source: str | None = None) -> Report:
    """Build the report for an :class:`~measurand.irt.IRTResult`."""
    fit = result.fit
    report = Report("IRT: which items discriminate, who is ahead, how many skills?")
    if source:
        report.preamble.append(f"Input: `{source}`.")
    report.section("Headline").add(_headline(result))
    report.section("Data").add(_data_text(result))

    pa = result.parallel_analysis
    if pa is not None:
        dims = report.section("How many dimensions? Parallel analysis")
        dims.add(
            "Eigenvalues of the item correlations of the 0/1 matrix against "
            f"{pa.n_resamples} random normal matrices of the same shape (and missing pattern): "
            f"**k = {pa.k}** leading "
            f"eigenvalues above the random {100 * pa.quantile:g}th percentile "
            f"({pa.k_mean} above the random mean). Fitted: {fit.n_dims} dimension(s)."
        )
        dims.figure(_scree_figure(pa, fit.n_dims))

    fit_section = report.section("Fit")
    fit_section.add(_fit_text(result))
    if result.heldout is not None:
        fit_section.add(_heldout_table(result))

    flagged = report.section("Flagged items")
    flagged.add(_flags_text(result))
    if result.flags.reason:
        flagged.add(_items_table(result, sorted(result.flags.reason)[:100]))
    suspects = sorted(
        (i for i in result.flags.q_values if i not in result.flags.negative),
        key=lambda i: (result.flags.p_values[i], i),
    )[:10]
    if suspects:
        flagged.add(
            "Not flagged, but the closest to it: the items whose negative slope chance explains "
            "least (smallest p-values; p is Bonferroni over dimensions, q the FDR-adjusted "
            "value the flag uses), where to look first when rereading answer keys."
        )
        flagged.add(_suspects_table(result, suspects))

    items = report.section("Items")
    order = np.argsort(-fit.discrimination, kind="stable")
    items.add(
        f"The {min(_TOP, len(order))} most discriminating of {len(order)} items (all items in "
        "`results.json` and in the scrollable table below)."
    )
    items.add(_items_table(result, order[:_TOP].tolist()))
    items.figure(_slope_difficulty_figure(result))
    items.figure(_icc_figure(result))
    if fit.n_dims == 1:
        items.figure(_information_figure(result))
    items.figure(_items_table_figure(result))

    people = report.section("Abilities")
    people.add(_abilities_text(result))
    people.add(_abilities_table(result))
    people.figure(_ability_figure(result))

    if result.item_pool is not None:
        meta = result.item_pool.metadata
        report.section("Item pool").add(
            f"{meta['n_items']} items x {meta['n_factors']} skills (tau = {meta['tau']:g}); "
            f"{len(meta['dropped_no_positive_loading'])} item(s) with no positive loading "
            "dropped. Loadings: the normal-ogive loadings of the slopes."
        )
    if result.warnings:
        report.section("Warnings").add("\n".join(f"- {w}" for w in result.warnings))
    return report


def _headline(result: IRTResult) -> str:
    fit, s = result.fit, result.settings
    est = {"mml": "marginal ML (Bock–Aitkin EM + L-BFGS-B)", "map": "joint MAP (torch, L-BFGS)"}
    lines = [
        f"- Model **{fit.model.upper()}**, {fit.n_dims} dimension(s), {est[fit.method]}"
        + (f", loadings rotated by {fit.rotation}" if fit.rotation else "")
        + f"; {'converged' if fit.converged else '**did not converge**'}.",
    ]
    if result.heldout is not None:
        h, f = result.heldout, result.heldout_svd_floor
        lines.append(
            f"- Held-out cells ({h.n_heldout:,}, {100 * s.heldout_fraction:g}% of the observed): "
            f"AUC **{h.auc:.3f}** (item-mean baseline {h.baseline_auc:.3f}"
            + (f", SVD floor {f.auc:.3f}" if f else "")
            + f"), log-loss **{h.log_loss:.4f}** (baseline {h.baseline_log_loss:.4f}"
            + (f", SVD floor {f.log_loss:.4f}" if f else "")
            + ")."
        )
    lines.append(
        f"- {len(result.flags.reason)} item(s) flagged as candidates for mislabeled or broken "
        "items (negative or near-zero slope)."
    )
    return "\n".join(lines)


def _data_text(result: IRTResult) -> str:
    d = result.data
    lines = [
        f"- {d['n_subjects']:,} subjects x {d['n_items']:,} items, {d['n_observed']:,} "
        f"responses ({100 * d['missing_fraction']:.1f}% of the cells missing).",
        f"- Binarization: {d['binarization'] or 'none (responses were 0/1)'}.",
    ]
    if d["n_trials_averaged"]:
        lines.append(
            f"- {d['n_trials_averaged']:,} (subject, item) pairs had several trials, averaged."
        )
    excluded = d["excluded_items"]
    if excluded:
        shown = list(excluded.items())[:_TOP]
        lines.append(
            f"- {len(excluded)} item(s) excluded: "
            + ", ".join(f"`{k}` ({v})" for k, v in shown)
            + (
                f", … ({len(excluded) - len(shown)} more in results.json)"
                if len(excluded) > len(shown)
                else ""
            )
        )
    if d["excluded_subjects"]:
        lines.append(
            f"- {len(d['excluded_subjects'])} subject(s) excluded (no response left): "
            + ", ".join(f"`{k}`" for k in list(d["excluded_subjects"])[:_TOP])
        )
    return "\n".join(lines)


def _fit_text(result: IRTResult) -> str:
    fit = result.fit
    kind = "marginal log-likelihood" if fit.method == "mml" else "log-likelihood at the MAP"
    lines = [
        f"- {kind}: {fit.loglik:,.4f} ({fit.n_params:,} parameters).",
        f"- Convergence: {fit.criterion}; {fit.n_iter} iterations.",
        f"- Standard errors: {fit.extra.get('se_method', '–')}.",
    ]
    if "quadrature_points" in fit.extra:
        lines.append(f"- Quadrature: {fit.extra['quadrature_points']} Gauss–Hermite points.")
    if fit.phi is not None and fit.n_dims > 1 and not np.allclose(fit.phi, np.eye(fit.n_dims)):
        lines.append("- Dimension correlations Φ after the oblique rotation are in results.json.")
    return "\n".join(lines)


def _heldout_table(result: IRTResult) -> str:
    h, f = result.heldout, result.heldout_svd_floor
    rows = [
        ["this model", f"{h.auc:.4f}", f"{h.log_loss:.4f}"],
        ["item-mean baseline", f"{h.baseline_auc:.4f}", f"{h.baseline_log_loss:.4f}"],
    ]
    if f is not None:
        rows.append(["truncated SVD floor", f"{f.auc:.4f}", f"{f.log_loss:.4f}"])
    return md_table(["held-out prediction", "AUC", "log-loss"], rows)


def _flags_text(result: IRTResult) -> str:
    flags = result.flags
    t = flags.threshold
    if flags.fdr is not None:
        rule = (
            f"≤ −{t:g} and negative beyond chance: one-sided p-values, Bonferroni over the "
            f"dimensions, the false-discovery rate over items held at {100 * flags.fdr:g}% "
            "(Benjamini–Hochberg)"
        )
        by_chance = len(flags.q_values) - len(flags.negative)
    else:
        rule = f"≤ −{t:g}; no standard errors, so the threshold alone decides"
        by_chance = 0
    if not flags.reason:
        text = f"No item has a negative slope ({rule}) or a slope shorter than {t:g}."
    else:
        text = (
            f"{len(flags.negative)} item(s) with a negative slope ({rule}) and "
            f"{len(flags.near_zero)} with a slope shorter than {t:g}: right answers that do not "
            "come from the more able are what a wrong answer key, an ambiguous question or a "
            "broken scorer produce. Listed by item order (first 100)."
        )
    if by_chance:
        text += (
            f" {by_chance} more item(s) have a slope ≤ −{t:g} that chance explains at this "
            "rate (each item's q-value is `negative_slope_q` in results.json)."
        )
    return text


def _suspects_table(result: IRTResult, index: list[int]) -> str:
    fit = result.fit
    rows = []
    for i in index:
        j = result.flags.dimensions[i]
        rows.append(
            [
                result.items[i],
                str(j + 1),
                f"{fit.a[i, j]:.3f} ± {fit.se_a[i, j]:.2f}",
                f"{result.flags.p_values[i]:.2g}",
                f"{result.flags.q_values[i]:.2g}",
            ]
        )
    return md_table(["item", "dimension", "slope ± SE", "p", "q"], rows)


def _items_table(result: IRTResult, index: list[int]) -> str:
    fit = result.fit
    D = fit.n_dims
    head = ["item", *(f"a{j + 1}" if D > 1 else "a" for j in range(D)), "d", "difficulty"]
    if fit.c.any():
        head.append("c")
    head.append("flag")
    rows = []
    for i in index:
        a = [
            num(fit.a[i, j], 3) + ("" if np.isnan(fit.se_a[i, j]) else f" ± {fit.se_a[i, j]:.2f}")
            for j in range(D)
        ]
        row = [result.items[i], *a, num(fit.d[i], 3), num(fit.difficulty[i], 3)]
        if fit.c.any():
            row.append(num(fit.c[i], 3))
        row.append(result.flags.reason.get(i, ""))
        rows.append(row)
    return md_table(head, rows)


def _abilities_text(result: IRTResult) -> str:
    fit = result.fit
    what = (
        "EAP (posterior mean) ± posterior SD"
        if fit.method == "mml"
        else ("MAP ± inverse posterior curvature")
    )
    if fit.n_dims > 1:
        what += (
            "; ranked by θ projected on the direction of the mean slope vector (its SE ignores "
            "the correlation of the dimensions' errors)"
        )
    return f"Abilities: {what}. Intervals are ±1.96 SE. Top {_TOP} shown; all in results.json."


def _abilities_table(result: IRTResult) -> str:
    score, se = result.ability_score()
    order = np.argsort(-score, kind="stable")[:_TOP]
    rows = [
        [
            rank + 1,
            result.subjects[s],
            f"{score[s]:.3f}",
            f"[{score[s] - _Z * se[s]:.3f}, {score[s] + _Z * se[s]:.3f}]",
        ]
        for rank, s in enumerate(order)
    ]
    return md_table(["rank", "subject", "ability", "95% interval"], rows)


def _scree_figure(pa: Any, k: int) -> Any:
    import plotly.graph_objects as go

    shown = min(len(pa.observed), 40)
    x = np.arange(1, shown + 1)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x, y=pa.observed[:shown], name="observed", mode="lines+markers", marker_color=_BLUE
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x, y=pa.random_quantile[:shown], name=f"random {100 * pa.quantile:g}th pct",
            mode="lines", line={"dash": "dash"}, marker_color=_RED,
        )
    )  # fmt: skip
    fig.add_vline(x=k + 0.5, line_dash="dot", line_color="black")
    return style_figure(
        fig, title="Parallel analysis", height=360,
        xaxis={"title": "component"}, yaxis={"title": "eigenvalue"},
    )  # fmt: skip


_WEBGL_ABOVE = 5_000  # items


def _slope_difficulty_figure(result: IRTResult) -> Any:
    import plotly.graph_objects as go

    fit = result.fit
    flagged = np.zeros(len(result.items), dtype=bool)
    flagged[list(result.flags.reason)] = True
    names = np.asarray(result.items, dtype=object)
    # one dimension: the signed slope (negative slopes show below 0); several: ‖a‖
    slope_values = fit.a[:, 0] if fit.n_dims == 1 else fit.discrimination
    fig = go.Figure()
    # SVG draws everywhere (also without WebGL); WebGL only where SVG would crawl.
    scatter = go.Scattergl if len(names) > _WEBGL_ABOVE else go.Scatter
    for mask, label, color in ((~flagged, "items", _BLUE), (flagged, "flagged", _RED)):
        if not mask.any():
            continue
        fig.add_trace(
            scatter(
                x=fit.difficulty[mask], y=slope_values[mask],
                mode="markers", name=label, text=names[mask],
                hovertemplate="%{text}<br>difficulty %{x:.3f}<br>slope %{y:.3f}<extra></extra>",
                marker={"color": color, "size": 6, "opacity": 0.7},
            )
        )  # fmt: skip
    slope = "slope a" if fit.n_dims == 1 else "discrimination ‖a‖"
    return style_figure(
        fig, title=f"{slope} vs difficulty (hover for the item)", height=420,
        xaxis={"title": "difficulty −d/‖a‖"}, yaxis={"title": slope},
    )  # fmt: skip


def _grid_theta(result: IRTResult, grid: np.ndarray) -> np.ndarray:
    fit = result.fit
    if fit.n_dims == 1:
        return grid[:, None]
    w = fit.a.mean(axis=0)
    w = w / max(np.linalg.norm(w), 1e-12)
    return grid[:, None] * w[None, :]


def _icc_figure(result: IRTResult) -> Any:
    import plotly.graph_objects as go

    fit = result.fit
    grid = np.linspace(-4, 4, 81)
    prob = fit.probability(_grid_theta(result, grid))
    flagged = sorted(result.flags.reason)
    rest = [
        int(i) for i in np.argsort(-fit.discrimination, kind="stable") if int(i) not in set(flagged)
    ]
    chosen = (flagged[: _MAX_CURVES // 2] + rest)[:_MAX_CURVES]
    fig = go.Figure()
    for i in chosen:
        fig.add_trace(
            go.Scatter(
                x=grid, y=prob[:, i], mode="lines", name=result.items[i],
                line={"color": _RED if i in result.flags.reason else _BLUE, "width": 1},
                opacity=0.8,
                hovertemplate=f"{result.items[i]}<br>θ %{{x:.2f}}<br>P %{{y:.3f}}<extra></extra>",
            )
        )  # fmt: skip
    along = "θ" if fit.n_dims == 1 else "θ along the mean slope direction"
    title = (
        f"Item characteristic curves ({len(chosen)}: flagged in red, then the most discriminating)"
    )
    return style_figure(
        fig, title=title, height=440, showlegend=False,
        xaxis={"title": along}, yaxis={"title": "P(correct)", "range": [0, 1]},
    )  # fmt: skip


def _information_figure(result: IRTResult) -> Any:
    import plotly.graph_objects as go

    grid = np.linspace(-4, 4, 161)
    info = result.fit.test_information(grid[:, None])
    fig = go.Figure(go.Scatter(x=grid, y=info, mode="lines", line={"color": _BLUE}))
    return style_figure(
        fig, title="Test information (SE of θ ≈ 1/√information)", height=340,
        xaxis={"title": "θ"}, yaxis={"title": "information"},
    )  # fmt: skip


def _items_table_figure(result: IRTResult) -> Any:
    import plotly.graph_objects as go

    fit = result.fit
    index = np.argsort(-fit.discrimination, kind="stable")[:_MAX_TABLE_ROWS]
    cols = {
        "item": [result.items[i] for i in index],
        "discrimination": [f"{fit.discrimination[i]:.3f}" for i in index],
        "difficulty": [f"{fit.difficulty[i]:.3f}" for i in index],
        "d": [f"{fit.d[i]:.3f}" for i in index],
        "flag": [result.flags.reason.get(int(i), "") for i in index],
    }
    fig = go.Figure(
        go.Table(
            header={"values": list(cols), "align": "left"},
            cells={"values": list(cols.values()), "align": "left"},
        )
    )
    shown = len(index)
    return style_figure(
        fig,
        title=f"All items by discrimination ({shown:,} of {len(result.items):,}; scroll)",
        height=460,
    )


def _ability_figure(result: IRTResult) -> Any:
    import plotly.graph_objects as go

    score, se = result.ability_score()
    order = np.argsort(-score, kind="stable")[:100]
    names = [result.subjects[i] for i in order]
    fig = go.Figure(
        go.Scatter(
            x=score[order], y=names, mode="markers",
            error_x={"type": "data", "array": _Z * se[order], "color": _GREY},
            marker={"color": _BLUE}, hovertemplate="%{y}<br>ability %{x:.3f}<extra></extra>",
        )
    )  # fmt: skip
    return style_figure(
        fig, title=f"Ability ranking with 95% intervals (top {len(order)} of {len(score)})",
        height=max(320, 18 * len(order) + 120),
        xaxis={"title": "ability"}, yaxis={"autorange": "reversed", "title": ""},
    )  # fmt: skip
