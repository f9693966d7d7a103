"""The paper figures of ``measurand simulate all`` (PDF through :mod:`measurand.report.paper`).

One function per figure of the source's list; :func:`simulate_pdfs` returns every figure the
result has data for, by file name. All draw inside one :func:`paper_style` context.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from measurand.report.paper import PALETTE, new_figure, paper_style, pdf_bytes
from measurand.simulate.workflow import SimulateResult

__all__ = ["delta_rho", "grid_matrix", "simulate_pdfs"]


def grid_matrix(cells: list[Any], attr: str) -> tuple[list[float], list[int], np.ndarray]:
    """(ρ values, k values, matrix[ρ, k] of ``attr``) from a list of repeated-game cells."""
    rhos = sorted({c.rho for c in cells})
    ks = sorted({c.k for c in cells})
    out = np.full((len(rhos), len(ks)), np.nan)
    for c in cells:
        out[rhos.index(c.rho), ks.index(c.k)] = getattr(c, attr)
    return rhos, ks, out


def delta_rho(result: SimulateResult) -> float | None:
    """The grid's ρ closest to ``settings.delta_rho`` (the ρ of the Δ_t-vs-t figure)."""
    rhos = sorted({c.rho for c in result.repeated})
    if not rhos:
        return None
    return min(rhos, key=lambda r: (abs(r - result.settings.delta_rho), r))


def _loadings(result: SimulateResult) -> bytes:
    z = result.pool.z
    fig, ax = new_figure("single", 2.6)
    image = ax.imshow(z.T, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xlabel(f"task (N = {z.shape[0]})")
    ax.set_ylabel("skill axis")
    ax.set_yticks(range(z.shape[1]))
    fig.colorbar(image, ax=ax, label="loading $z_{f,j}$", fraction=0.05, pad=0.02)
    return pdf_bytes(fig)


def _log_k_axis(ax: Any, ks: list[int]) -> None:
    """A log x axis labelled at the grid's k values only (no crowded minor labels)."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.xaxis.set_minor_formatter(NullFormatter())


def _subset(values: list[Any], at_most: int) -> list[Any]:
    """At most ``at_most`` values spread evenly over ``values`` (ends included)."""
    if len(values) <= at_most:
        return values
    return [values[int(i)] for i in np.unique(np.linspace(0, len(values) - 1, at_most).round())]


def _oneshot_by_k(result: SimulateResult) -> bytes:
    cells = result.oneshot
    ks = sorted({c.k for c in cells})
    fig, ax = new_figure("single")
    t = [next(c for c in cells if c.mechanism == "transparency" and c.k == k) for k in ks]
    ax.errorbar(
        ks,
        [c.alignment for c in t],
        yerr=[2 * c.alignment_se for c in t],
        marker="s",
        color=PALETTE[3],
        label="deterministic transparency",
    )
    alphas = sorted({c.awareness for c in cells if c.awareness is not None})
    for i, a in enumerate(alphas[:: max(1, len(alphas) // 3)]):
        r = [next(c for c in cells if c.awareness == a and c.k == k) for k in ks]
        ax.errorbar(
            ks,
            [c.alignment for c in r],
            yerr=[2 * c.alignment_se for c in r],
            marker="o",
            color=PALETTE[i % 3],
            label=f"randomized, α = {a:g}",
        )
    _log_k_axis(ax, ks)
    ax.set_xlabel("evaluated tasks k")
    ax.set_ylabel(r"$u_E(\theta^*) / \max u_E$")
    ax.legend()
    return pdf_bytes(fig)


def _oneshot_by_alpha(result: SimulateResult, attr: str, label: str) -> bytes:
    cells = result.oneshot
    ks = sorted({c.k for c in cells})
    alphas = sorted({c.awareness for c in cells if c.awareness is not None})
    fig, ax = new_figure("single")
    for i, k in enumerate(ks):
        color = PALETTE[i % len(PALETTE)]
        r = [next(c for c in cells if c.awareness == a and c.k == k) for a in alphas]
        ax.plot(alphas, [getattr(c, attr) for c in r], marker="o", color=color, label=f"k = {k}")
        t = next(c for c in cells if c.mechanism == "transparency" and c.k == k)
        ax.axhline(getattr(t, attr), color=color, linestyle="--", linewidth=0.8)
    ax.set_xlabel("awareness α (randomized evaluation)")
    ax.set_ylabel(label)
    ax.legend(title="dashed: transparency", ncol=2)
    return pdf_bytes(fig)


def _delta_vs_t(result: SimulateResult) -> bytes:
    rho = delta_rho(result)
    cells = _subset(sorted((c for c in result.repeated if c.rho == rho), key=lambda c: c.k), 5)
    fig, ax = new_figure("single")
    for i, c in enumerate(cells):
        t = np.arange(1, c.rounds + 1)
        color = PALETTE[i % len(PALETTE)]
        ax.plot(t, c.delta, color=color, label=f"k = {c.k}")
        ax.fill_between(
            t,
            c.delta - 2 * c.delta_se,
            c.delta + 2 * c.delta_se,
            color=color,
            alpha=0.2,
            linewidth=0,
        )
    ax.axhline(0, color="0.5", linewidth=0.6)
    ax.set_xlabel("round t")
    ax.set_ylabel(r"residual misalignment $\Delta_t$")
    ax.set_title(f"ρ = {rho:g}, {cells[0].correction} correction" if cells else "")
    ax.legend(ncol=2)
    return pdf_bytes(fig)


def _heat(result: SimulateResult, attr: str, label: str) -> bytes:
    rhos, ks, m = grid_matrix(result.repeated, attr)
    fig, ax = new_figure("single")
    image = ax.imshow(m, origin="lower", aspect="auto", cmap="magma", norm=_log_norm(m))
    ax.set_xticks(range(len(ks)), [str(k) for k in ks])
    ax.set_yticks(range(len(rhos)), [f"{r:g}" for r in rhos])
    ax.set_xlabel("tasks per round k")
    ax.set_ylabel("correction rate ρ")
    best = np.unravel_index(np.nanargmin(m), m.shape)
    ax.plot(best[1], best[0], marker="*", color="white", markersize=7)
    fig.colorbar(image, ax=ax, label=label, fraction=0.05, pad=0.02)
    return pdf_bytes(fig)


def _log_norm(m: np.ndarray):
    from matplotlib.colors import LogNorm, Normalize

    finite = m[np.isfinite(m)]
    if finite.size and finite.min() > 0:
        return LogNorm(vmin=finite.min(), vmax=finite.max())
    return Normalize()


def _validation(result: SimulateResult) -> bytes:
    cells = result.bound
    rhos = sorted({c.rho for c in cells})
    shown = (
        rhos if len(rhos) <= 4 else [rhos[i] for i in np.linspace(0, len(rhos) - 1, 4).astype(int)]
    )
    fig, axes = new_figure("double", 2.0, ncols=len(shown), sharey=True)
    axes = np.atleast_1d(axes).ravel()
    ks = sorted({c.k for c in cells})
    ks_shown = ks if len(ks) <= 3 else [ks[0], ks[len(ks) // 2], ks[-1]]
    for ax, rho in zip(axes, shown, strict=True):
        for i, k in enumerate(ks_shown):
            c = next(c for c in cells if c.rho == rho and c.k == k)
            t = np.arange(1, c.rounds + 1)
            color = PALETTE[i % len(PALETTE)]
            ax.plot(t, c.delta, color=color, label=f"Δ_t, k = {k}")
            ax.plot(t, c.bound, color=color, linestyle="--", linewidth=0.8)
            bad = np.asarray(c.bound_check.rounds_violated, dtype=int)
            if bad.size:
                ax.plot(bad, c.delta[bad - 1], "x", color=PALETTE[3], markersize=3)
        ax.set_yscale("symlog", linthresh=1e-4)
        ax.set_title(f"ρ = {rho:g}")
        ax.set_xlabel("round t")
    axes[0].set_ylabel(r"$\Delta_t$ (solid), bound (dashed)")
    axes[0].legend()
    return pdf_bytes(fig)


def _closedform(curve: Any, rounds: int) -> bytes:
    fig, ax = new_figure("single")
    ks = np.array(curve.ks, dtype=float)
    grid = np.geomspace(ks.min(), ks.max(), 200)
    s, g, r = curve.sigma, curve.gamma, curve.rho
    ax.plot(grid, s**2 / grid + g * grid / r, color=PALETTE[0], label="closed form L(k)")
    emp = np.array([np.nan if v is None else v for v in curve.empirical])
    se = np.array([np.nan if v is None else v for v in curve.empirical_se])
    ax.errorbar(
        ks,
        emp,
        yerr=2 * se,
        marker="o",
        linestyle="none",
        color=PALETTE[1],
        label=f"simulated (cumulative / T, T = {rounds})",
    )
    ax.axvline(
        curve.k_star,
        color=PALETTE[0],
        linestyle="--",
        linewidth=0.8,
        label=f"k* = {curve.k_star:.3g}",
    )
    if curve.empirical_best_k is not None:
        ax.axvline(
            curve.empirical_best_k,
            color=PALETTE[1],
            linestyle=":",
            linewidth=0.8,
            label=f"best simulated k = {curve.empirical_best_k}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tasks per round k")
    ax.set_ylabel("loss per round")
    ax.set_title(f"ρ = {r:g}")
    ax.legend()
    return pdf_bytes(fig)


def simulate_pdfs(result: SimulateResult) -> dict[str, bytes]:
    """Every paper figure the result has data for, by file name."""
    out: dict[str, bytes] = {}
    with paper_style():
        out["fig_pool_loadings.pdf"] = _loadings(result)
        if result.oneshot:
            out["fig_oneshot_transparency.pdf"] = _oneshot_by_k(result)
            out["fig_oneshot_erm_vs_transparency.pdf"] = _oneshot_by_alpha(
                result, "alignment", r"$u_E(\theta^*) / \max u_E$"
            )
            out["fig_oneshot_asymmetry.pdf"] = _oneshot_by_alpha(
                result, "asymmetry", r"asymmetry: score $- u_E(\theta^*)/N$"
            )
        if result.repeated:
            out["fig_repeated_delta_vs_k.pdf"] = _delta_vs_t(result)
            out["fig_repeated_rho_k_colormap.pdf"] = _heat(result, "final_loss", "loss at round T")
            out["fig_repeated_rho_k_colormap_total.pdf"] = _heat(
                result, "total_loss", "cumulative loss"
            )
        if result.bound:
            out["fig_repeated_validation.pdf"] = _validation(result)
        for curve in result.closedform:
            name = f"fig_repeated_closedform_cumulative_rho_{curve.rho:g}.pdf"
            out[name] = _closedform(curve, result.settings.rounds)
    return out
