"""``measurand noise``: how much of a benchmark's spread is rerun (seed) noise?

Two inputs, usable together: a sweep matrix and a noise matrix (SWEEP NOISE), and/or a long table
with several seeds per condition and task (``--table``). Exit codes: 0 ok, 2 bad usage or input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from measurand.cli._app import (
    FormatOption,
    SeedOption,
    app,
    check_probability,
    console,
    help_text,
    parse_formats,
    prepare_out,
    print_more,
    print_warnings,
    print_written,
    probability_option,
    read_long_table,
    reports_input_errors,
    summary_table,
    working,
)
from measurand.errors import InputError
from measurand.report.format import interval, num

HELP = """How much of a benchmark's spread is rerun noise? Noise shares, h² ceilings, SNRs.

SWEEP is a wide matrix of runs x metrics (one row per run, an --id-col); NOISE holds reruns of
one configuration (new seeds) with the same metric names. Per task: the noise share with an
exact F interval, the h² ceiling and the SNR; a non-negative factor model with each task's
uniqueness fixed at its noise share; the SNR of every factor and of the mean-θ aggregate; the
benchmark-level SNR of Heineman et al. (2025). With --table, the per-task split of a long table
with seeds: seed noise against the spread across conditions, ranked.
Writes results.json, summary.md and report.html to --out and prints the main numbers.

\b
Example (Dopamine's Atari baselines, shipped with measurand):
  measurand noise --table "$(measurand datasets dopamine_subset)" \\
      --condition-col agent --seed-col run --task-col game \\
      --step-col iteration --value-col value --window last:10 \\
      --out atari-noise

\b
Exit codes: 0 ok; 2 bad usage or input.
"""


@app.command("noise", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def noise_command(
    sweep_path: Path = typer.Argument(
        None, metavar="[SWEEP]", help="Sweep matrix: runs x metrics.", show_default=False
    ),
    noise_path: Path = typer.Argument(
        None,
        metavar="[NOISE]",
        help="Noise matrix: reruns of one configuration x the same metrics.",
        show_default=False,
    ),
    id_col: str = typer.Option(None, "--id-col", help="Column naming each run (both matrices)."),
    noise_id_col: str = typer.Option(
        None, "--noise-id-col", help="Id column of NOISE when it differs from --id-col."
    ),
    include: list[str] = typer.Option(
        None, "--include", help="Metric columns to use: glob or 're:REGEX' (repeatable)."
    ),
    exclude: list[str] = typer.Option(
        None, "--exclude", help="Metric columns to leave out: glob or 're:REGEX' (repeatable)."
    ),
    lower_is_better: list[str] = typer.Option(
        None,
        "--lower-is-better",
        help="Columns where lower is better (negated; glob or 're:REGEX', repeatable).",
    ),
    factors: int = typer.Option(
        None, "--factors", "-k", min=1, help="Number of factors (default: parallel analysis)."
    ),
    missing: str = typer.Option(
        "drop",
        "--missing",
        help="Sweep metrics missing from NOISE: 'drop' them, or 'zero'-fill their noise "
        "(a lower bound on noise).",
    ),
    snr_threshold: float = typer.Option(
        1.0, "--snr-threshold", min=0.0, help="Flag tasks and factors whose SNR is below this."
    ),
    target: Path = typer.Option(
        None,
        "--target",
        help="Matrix of the same runs at a target scale (matched by id): decision accuracy.",
    ),
    table: Path = typer.Option(
        None, "--table", help="Long table with several seeds per condition and task."
    ),
    condition_col: str = typer.Option(None, "--condition-col", help="--table: condition column."),
    seed_col: str = typer.Option(None, "--seed-col", help="--table: seed / run column."),
    task_col: str = typer.Option(None, "--task-col", help="--table: task / game column."),
    step_col: str = typer.Option(None, "--step-col", help="--table: step / iteration column."),
    value_col: str = typer.Option(None, "--value-col", help="--table: value column."),
    metric_col: str = typer.Option(
        None, "--metric-col", help="--table: column of metric names (then name --metric)."
    ),
    metric: str = typer.Option(None, "--metric", help="--table: the metric to split."),
    window: str = typer.Option(
        "all",
        "--window",
        "-w",
        help="--table: steps averaged per run ('all', '400:500', 'last:10').",
    ),
    alpha: float = probability_option("--alpha", 0.05, "Intervals at confidence 1 - alpha."),
    pa_iter: int = typer.Option(500, "--pa-iter", min=10, help="Parallel-analysis draws."),
    draws: int = typer.Option(
        2000, "--draws", min=100, help="Parametric-bootstrap draws of the factor SNR intervals."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Report folder to write (refused if not empty); omit to print."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite a non-empty --out folder."),
    seed: int = SeedOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(False, "--pdf", help="Also write the main figures as paper PDFs."),
) -> None:
    from measurand.noise.workflow import MISSING_CHOICES, read_noise_inputs, run_noise
    from measurand.report.document import write_report
    from measurand.report.noise import noise_report

    formats = parse_formats(fmt)
    if missing not in MISSING_CHOICES:
        raise InputError(f"--missing takes 'drop' or 'zero', got {missing!r}")
    check_probability("--alpha", alpha)
    if (sweep_path is None) != (noise_path is None):
        raise InputError("give both SWEEP and NOISE (or neither, with --table)")
    if sweep_path is None and table is None:
        raise InputError("nothing to analyse: give SWEEP NOISE, or --table FILE")
    if sweep_path is not None and not id_col:
        raise InputError("SWEEP and NOISE need --id-col (the column naming each run)")
    if target is not None and sweep_path is None:
        raise InputError("--target needs SWEEP and NOISE")
    prepare_out(out, force=force)

    with working("reading input") as progress:
        seeds_data = None
        if table is not None:
            seeds_data = read_long_table(
                table,
                condition_col=condition_col,
                seed_col=seed_col,
                value_col=value_col,
                task_col=task_col,
                step_col=step_col,
                metric_col=metric_col,
            )
        sweep = noise = target_matrix = None
        if sweep_path is not None:
            sweep, noise, target_matrix = read_noise_inputs(
                sweep_path,
                noise_path,
                id_col=id_col,
                noise_id_col=noise_id_col,
                include=include or None,
                exclude=exclude or None,
                lower_is_better=lower_is_better or None,
                target_path=target,
            )
        result = run_noise(
            sweep,
            noise,
            target=target_matrix,
            seeds_data=seeds_data,
            seeds_window=window,
            seeds_metric=metric,
            n_factors=factors,
            missing=missing,
            snr_threshold=snr_threshold,
            confidence_level=1 - alpha,
            pa_iter=pa_iter,
            n_resamples=draws,
            seed=seed,
            progress=progress,
        )
        written = None
        if out is not None:
            progress("writing the report")
            from measurand.report.pdf import paper_files

            written = write_report(
                out,
                noise_report(result),
                result.to_dict(),
                force=force,
                formats=formats,
                extra_files=paper_files("noise", result, pdf),
            )

    print_summary(result)
    if written is not None:
        print_written(out, written)


_MAX_ROWS = 30


def print_summary(result: Any) -> None:
    """Rich tables of the main numbers (the report has the figures and every row)."""
    level = f"{100 * (1 - result.settings.alpha):g}% CI"
    m = result.matrix
    if m is not None:
        console.print(
            f"sweep: [bold]{m.n_sweep_runs}[/] runs, noise: [bold]{m.n_noise_runs}[/] reruns, "
            f"{len(m.common_tasks)} metric(s) in both; {m.model.n_factors} factor(s) "
            f"({m.model.n_factors_rule})",
            highlight=False,
        )
        tasks = summary_table(
            "per task, ranked by SNR (share = rerun noise / sweep variance)",
            ["rank", "task", "share", level, "h²", "SNR", "flag"],
            text=("task", "flag"),
            wrap=(level,),
        )
        for row in m.task_table[:_MAX_ROWS]:
            tasks.add_row(
                "–" if row.rank is None else str(row.rank),
                row.task,
                num(row.noise_share, 3),
                interval(row.noise_share_ci, 3),
                num(row.h2, 3),
                num(row.snr, 3),
                "[red]low SNR[/]" if row.low_snr else ("" if row.in_noise else "no noise"),
            )
        console.print(tasks)
        print_more(len(m.task_table), _MAX_ROWS, "tasks")
        proj = m.projection
        factors = summary_table(
            f"SNR of the scores ({proj.method})",
            ["score", "noise share", "SNR", level],
            text=("score",),
            wrap=(level,),
        )
        for i, label in enumerate(proj.labels):
            factors.add_row(
                label,
                num(proj.noise_share[i], 3),
                num(proj.snr[i], 3),
                interval((proj.snr_low[i], proj.snr_high[i]), 3),
            )
        console.print(factors)
        console.print(m.missing_consequence, highlight=False, soft_wrap=True)
        if m.low_snr_tasks:
            console.print(
                f"SNR below {m.snr_threshold:g} ({len(m.low_snr_tasks)} task(s)): "
                f"{', '.join(m.low_snr_tasks[:20])}"
                f"{f' and {len(m.low_snr_tasks) - 20} more' if len(m.low_snr_tasks) > 20 else ''}",
                highlight=False,
                soft_wrap=True,
            )
    s = result.seeds
    if s is not None:
        seeds = summary_table(
            f"seed noise vs spread across conditions: {s.metric}, window {s.window}",
            ["rank", "task", "seed sd", "spread sd", "SNR", level, "flag"],
            text=("task", "flag"),
            wrap=(level,),
        )
        for j in range(min(len(s.tasks), _MAX_ROWS)):
            seeds.add_row(
                str(int(s.rank[j])),
                s.tasks[j] or "(all)",
                num(s.seed_sd[j], 3),
                num(s.spread_sd[j], 3),
                num(s.snr[j], 3),
                interval((s.snr_low[j], s.snr_high[j]), 3),
                "[red]low SNR[/]" if s.low_snr[j] else "",
            )
        console.print(seeds)
        print_more(len(s.tasks), _MAX_ROWS, "tasks")
    print_warnings(result.warnings)


__all__ = ["noise_command", "print_summary"]
