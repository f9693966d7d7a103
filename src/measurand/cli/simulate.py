"""``measurand simulate``: strategic evaluation games on a task pool, every figure in one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from measurand.cli._app import (
    ForceOption,
    FormatOption,
    OutOption,
    SeedOption,
    app,
    console,
    help_text,
    parse_formats,
    prepare_out,
    print_warnings,
    print_written,
    reports_input_errors,
    summary_table,
    working,
)
from measurand.errors import InputError

HELP = """Strategic evaluation games: how benchmark design shapes what builders optimize.

Runs the evaluation games of a Stackelberg benchmark model on a task pool
(non-negative skill vectors: a pool exported by `measurand factors
--export-pool`, or a synthetic stratified pool) and writes to --out
results.json, summary.md, report.html (interactive), one paper-ready PDF per
figure (--pdf, the default; --no-pdf skips them) and manifest.json (every
seed and parameter). PART is one of: oneshot (deterministic transparency vs
randomized evaluation over awareness α and k), repeated (T rounds with
correction over a (ρ, k) grid: Δ_t, KL, leakage, loss maps), bound (Δ_t
against its bound, every violation listed), closedform (k* = σ√(ρ/γ)
against simulation), all.

Cells run on local processes (--jobs) or on a Dask cluster (--scheduler or
$MEASURAND_DASK_SCHEDULER) with identical numbers for the same --seed.

\b
Example (every figure, synthetic pool, first look):
  measurand simulate all --synthetic d=8,n_per_layer=80 --fast --out sim

\b
Example (the pool `factors --help`'s last example exports, one part):
  measurand simulate closedform --pool pool.npz --fast --out sim-pool

\b
Example (that pool, full grid on a Dask cluster):
  measurand simulate all --pool pool.npz --T 200 --reps 50 \\
      --scheduler tcp://10.0.0.5:8786 --out sim-full
"""

_PARTS = {
    "oneshot": ("oneshot",),
    "repeated": ("repeated",),
    "bound": ("bound",),
    "closedform": ("closedform",),
    "all": ("oneshot", "repeated", "bound", "closedform"),
}
_SYNTHETIC_KEYS = {"d": int, "n_per_layer": int, "spill": float, "r_min": float}


def parse_synthetic(text: str) -> dict[str, Any]:
    """``"d=8,n_per_layer=80"`` -> ``{"d": 8, "n_per_layer": 80}`` (also spill, r_min)."""
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in _SYNTHETIC_KEYS:
            raise InputError(
                f"--synthetic takes KEY=VALUE pairs with KEY among "
                f"{', '.join(_SYNTHETIC_KEYS)}; got {part!r}"
            )
        try:
            out[key] = _SYNTHETIC_KEYS[key](value.strip())
        except ValueError:
            raise InputError(f"--synthetic {key} takes a number, got {value!r}") from None
    return out


def _pool(pool_path: Path | None, synthetic: str | None, seed: int):
    from measurand.games import synthetic_pool
    from measurand.stats._rng import keyed_generator, root_sequence

    if pool_path is not None and synthetic is not None:
        raise InputError("give either --pool or --synthetic, not both")
    if pool_path is not None:
        from measurand.io.games import load_task_pool

        return load_task_pool(pool_path), str(pool_path)
    params = {"d": 8, "n_per_layer": 80, **parse_synthetic(synthetic or "")}
    rng = keyed_generator(root_sequence(seed), "simulate", "pool")
    label = "synthetic " + ",".join(f"{k}={v}" for k, v in params.items())
    return synthetic_pool(**params, seed=rng), label


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InputError(f"{option} takes one of {', '.join(choices)}; got {value!r}")
    return value


@app.command("simulate", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def simulate_command(
    part: str = typer.Argument(
        ..., metavar="PART", help="oneshot, repeated, bound, closedform or all.", show_default=False
    ),
    pool_path: Path = typer.Option(
        None, "--pool", help="Task pool .npz (from `measurand factors --export-pool`)."
    ),
    synthetic: str = typer.Option(
        None,
        "--synthetic",
        help="Synthetic stratified pool, e.g. 'd=8,n_per_layer=80' (also spill, r_min); "
        "the default when --pool is not given.",
    ),
    rounds: int = typer.Option(None, "--T", min=1, help="Rounds of the repeated game [200]."),
    reps: int = typer.Option(None, "--reps", min=1, help="Repetitions per cell [50]."),
    correction: str = typer.Option(
        "gap", "--correction", help="Repeated game's correction: 'gap' (targeted) or 'uniform'."
    ),
    gamma: float = typer.Option(1e-5, "--gamma", help="Leakage cost per revealed task (γ)."),
    kernel_width: float = typer.Option(
        0.3, "--kernel-width", help="Width σ of the gap-targeted Gaussian kernel in skill space."
    ),
    link: str = typer.Option(
        "identity", "--link", help="Task performance link: identity, logistic."
    ),
    bias: str = typer.Option(
        "prefix", "--bias", help="π_E: 'prefix' (first 40% of tasks 3x) or 'axis' (skill 0)."
    ),
    fast: bool = typer.Option(
        False, "--fast", help="Reduced grid: a first look in under a minute."
    ),
    scheduler: str = typer.Option(
        None, "--scheduler", help="Dask scheduler address (default $MEASURAND_DASK_SCHEDULER)."
    ),
    jobs: int = typer.Option(
        None, "--jobs", "-j", min=1, help="Local worker processes (default: all cores)."
    ),
    out: Path = OutOption,
    force: bool = ForceOption,
    seed: int = SeedOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(
        True, "--pdf/--no-pdf", help="Write the figures as paper PDFs (the default)."
    ),
) -> None:
    from measurand.simulate.workflow import simulate_settings

    parts = _PARTS.get(part.strip().lower())
    if parts is None:
        raise InputError(f"PART must be one of {', '.join(_PARTS)}; got {part!r}")
    formats = parse_formats(fmt)
    settings = simulate_settings(
        parts,
        seed=seed,
        fast=fast,
        rounds=rounds,
        reps=reps,
        correction=_choice("--correction", correction, ("gap", "uniform")),
        gamma=gamma,
        kernel_width=kernel_width,
        link=_choice("--link", link, ("identity", "logistic")),
        bias=_choice("--bias", bias, ("prefix", "axis")),
    )
    prepare_out(out, force=force)
    pool, label = _pool(pool_path, synthetic, seed)
    with working("simulating") as progress:
        result, written = run_and_write(
            pool,
            settings,
            out,
            source=label,
            force=force,
            formats=formats,
            scheduler=scheduler,
            n_workers=jobs,
            progress=progress,
            pdf=pdf,
        )
    print_summary(result)
    print_written(out, written)
    if result.failures:
        raise typer.Exit(1)


def run_and_write(
    pool: Any,
    settings: Any,
    out: Path,
    *,
    source: str,
    force: bool,
    formats: tuple[str, ...] = ("json", "md", "html"),
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: Any = None,
    pdf: bool = True,
) -> tuple[Any, dict[str, str]]:
    """Run the workflow and write the report folder (report files, PDFs, manifest.json)."""
    from measurand.io.output import dumps_json
    from measurand.report import write_report
    from measurand.report.simulate import simulate_report
    from measurand.report.simulate_figures import simulate_pdfs
    from measurand.simulate.workflow import run_simulate

    result = run_simulate(
        pool, settings, scheduler=scheduler, n_workers=n_workers, progress=progress
    )
    if progress is not None:
        progress("drawing figures")
    extra: dict[str, str | bytes] = dict(simulate_pdfs(result)) if pdf else {}
    extra["manifest.json"] = dumps_json(result.manifest)
    report = simulate_report(result, source=source)
    written = write_report(
        out, report, result.to_dict(), force=force, formats=formats, extra_files=extra
    )
    written.update({name: str(out / name) for name in sorted(extra)})
    return result, written


def print_summary(result: Any) -> None:
    """The headline numbers of each part."""
    s = result.settings
    console.print(
        f"pool: [bold]{result.pool.n_tasks}[/] tasks x [bold]{result.pool.n_skills}[/] skills; "
        f"D₀ = {result.d0:.4f}, σ = {result.sigma:.4f}; T = {s.rounds}, reps = {s.reps}"
        + (" (--fast)" if s.fast else ""),
        highlight=False,
    )
    if result.oneshot:
        table = summary_table("one-shot: u_E(θ*)/max u_E", ["k", "transparency", "randomized α=0"])
        for t in (c for c in result.oneshot if c.mechanism == "transparency"):
            r = min(
                (c for c in result.oneshot if c.k == t.k and c.awareness is not None),
                key=lambda c: c.awareness,
            )
            table.add_row(str(t.k), f"{t.alignment:.4f}", f"{r.alignment:.4f}")
        console.print(table)
    if result.repeated:
        best = min(result.repeated, key=lambda c: c.total_loss)
        console.print(
            f"repeated ({s.correction}): lowest cumulative loss at ρ = {best.rho:g}, "
            f"k = {best.k} ({best.total_loss:.4g})",
            highlight=False,
        )
    for c in result.closedform:
        console.print(
            f"closed form ρ = {c.rho:g}: k* = {c.k_star:.3g}, best simulated k = "
            f"{c.empirical_best_k}",
            highlight=False,
        )
    if result.bound or result.repeated:
        console.print(f"bound violations: {len(result.violations)} cell(s)", highlight=False)
    for f in result.failures:
        console.print(f"[red]failed cell[/] {f['params']}: {f['error']}", highlight=False)
    print_warnings(result.warnings)


def demo_part(out_dir: Path, *, seed: int) -> str:
    """``measurand demo``'s simulate part: every figure on the synthetic pool, --fast grid."""
    from measurand.simulate.workflow import PARTS, simulate_settings

    pool, label = _pool(None, None, seed)
    settings = simulate_settings(PARTS, seed=seed, fast=True)
    result, _ = run_and_write(pool, settings, Path(out_dir), source=label, force=True)
    best = min(result.repeated, key=lambda c: c.total_loss)
    return (
        f"simulate: {pool.n_tasks}-task synthetic pool; lowest cumulative loss at "
        f"ρ = {best.rho:g}, k = {best.k}; {len(result.violations)} bound-violation cell(s)"
    )


__all__ = ["demo_part", "parse_synthetic", "print_summary", "simulate_command"]
