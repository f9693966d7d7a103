"""``measurand factors``: how many capabilities does a benchmark matrix measure, and who leads?"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from measurand.cli._app import (
    ForceOption,
    FormatOption,
    OutOption,
    SeedOption,
    app,
    check_probability,
    console,
    help_text,
    parse_count_or_auto,
    parse_formats,
    prepare_out,
    print_warnings,
    print_written,
    probability_option,
    reports_input_errors,
    split_list,
    summary_table,
    working,
)
from measurand.errors import InputError

if TYPE_CHECKING:  # the workflow (numpy, scipy) loads when the command runs, not for --help
    from measurand.factors.workflow import FactorsResult

HELP = """What does a benchmark matrix measure, and which ranks can be told apart?

Reads a wide matrix (CSV, TSV, Parquet or JSON lines: one row per run or
model, an id column, one column per metric), selects the metric columns by
rules, z-scores them (lower-is-better metrics negated first), picks the
number of factors by Horn's parallel analysis, fits the factor model
(non-negative loadings by default) and writes to --out the loadings with
communalities, a leaderboard of the aggregate score with task-bootstrap rank
intervals, and correlations with held-out metrics (results.json, summary.md,
report.html).

\b
Example (ObsScaling base models; HumanEval held out):
  measurand factors "$(measurand datasets obsscaling_benchmarks)" \\
      --id-col Model \\
      -i MMLU -i ARC-C -i HellaSwag -i Winograd -i TruthfulQA \\
      -i GSM8K -i XWinograd --heldout HumanEval \\
      --missing drop-rows --out obsscaling-factors

\b
Example (columns by pattern and a filter; the item pool for `simulate`):
  measurand factors "$(measurand datasets obsscaling_benchmarks)" \\
      --id-col Model --where '`Model Size (B)` >= 1' --include 're:^[A-Z]' \\
      --exclude 'Model*' --exclude 'FLOPs*' --exclude 'Pretraining*' \\
      --heldout HumanEval --missing drop-rows --factors auto \\
      --export-pool pool.npz --out factors-report

\b
Patterns (--include, --exclude, --lower-is-better, --heldout; repeatable):
  globs ('*/bpb', 'lm_eval/*'; '*' also matches '/') or 're:REGEX',
  searched anywhere in the column name.
--where 'COLUMN OP VALUE' with OP one of == != < <= > >= (repeatable; put
  `back ticks` around column names with spaces).
"""


def _parse_weights(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in split_list("--weights", text)]
    except ValueError:
        raise InputError(f"--weights takes comma-separated numbers, got {text!r}") from None


def _parse_choice(
    option: str, text: str, choices: tuple[str, ...], aliases: dict[str, str] | None = None
) -> str:
    """``text`` as one of ``choices`` (case and ``-``/``_`` ignored); an alias gives its choice."""
    value = text.strip().lower().replace("-", "_")
    normalized = {c.replace("-", "_"): c for c in choices}
    normalized |= {a.replace("-", "_"): c for a, c in (aliases or {}).items()}
    if value not in normalized:
        raise InputError(f"{option} takes one of {', '.join(choices)}; got {text!r}")
    return normalized[value]


@app.command("factors", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def factors_command(
    input_path: Path = typer.Argument(
        ...,
        metavar="INPUT",
        help="Wide matrix: CSV, TSV, Parquet or JSON lines.",
        show_default=False,
    ),
    id_col: str = typer.Option(
        None,
        "--id-col",
        help="Column naming each row (required; with --correlation: the variables, optional).",
        show_default=False,
    ),
    include: list[str] = typer.Option(
        None, "--include", "-i", help="Metric columns to use (pattern, repeatable; default all)."
    ),
    exclude: list[str] = typer.Option(
        None, "--exclude", "-x", help="Columns to leave out (pattern, repeatable)."
    ),
    where: list[str] = typer.Option(
        None, "--where", "--row-filter", help="Keep rows where 'COLUMN OP VALUE' (repeatable)."
    ),
    lower_is_better: list[str] = typer.Option(
        None, "--lower-is-better", help="Columns where lower is better: negated (repeatable)."
    ),
    heldout: list[str] = typer.Option(
        None, "--heldout", help="Columns kept out of the fit for validation (repeatable)."
    ),
    factors: str = typer.Option("auto", "--factors", "-k", help="Number of factors, or 'auto'."),
    k_rule: str = typer.Option(
        "quantile",
        "--k-rule",
        help="With --factors auto: 'quantile' (leading eigenvalues above the random 95th "
        "percentile, up to the first crossing; alias 'first-crossing'), 'mean' (the same "
        "against the random mean), 'count' (every eigenvalue above the percentile; liberal).",
    ),
    method: str = typer.Option(
        "nonneg_em", "--method", help="'nonneg_em' (non-negative loadings), 'ml' or 'minres'."
    ),
    rotation: str = typer.Option(
        "auto",
        "--rotation",
        help="'auto' (none for nonneg_em, oblimin otherwise), 'none', varimax, quartimax, "
        "oblimin, quartimin, geomin, promax.",
    ),
    missing: str = typer.Option(
        "error", "--missing", help="Missing cells: 'error', 'drop-rows' or 'mean' (imputation)."
    ),
    weights: str = typer.Option(
        None, "--weights", help="Factor weights of the aggregate, e.g. '1,1,0.5' (default equal)."
    ),
    pa_iter: int = typer.Option(500, "--pa-iter", min=1, help="Parallel-analysis random draws."),
    pa_kind: str = typer.Option(
        "pca",
        "--pa-kind",
        help="Parallel analysis: 'pca', 'fa' (psych's default) or 'fa_smc' (SMC diagonal).",
    ),
    resamples: int = typer.Option(
        1000, "--resamples", min=0, help="Task-bootstrap resamples for the rank intervals."
    ),
    confidence: float = probability_option("--confidence", 0.95, "Level of every interval."),
    export_pool: Path = typer.Option(
        None, "--export-pool", help="Also write the tasks' item pool (.npz) to this file."
    ),
    tau: float = typer.Option(0.1, "--tau", help="Item pool: sparsification threshold."),
    pool_size: int = typer.Option(
        None, "--pool-size", min=1, help="Item pool: subsample this many items."
    ),
    correlation: bool = typer.Option(
        False,
        "--correlation",
        help="INPUT is a correlation (or covariance) matrix; give --n-obs.",
    ),
    n_obs: int = typer.Option(
        None, "--n-obs", min=3, help="With --correlation: observations behind the matrix."
    ),
    out: Path = OutOption,
    force: bool = ForceOption,
    seed: int = SeedOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(False, "--pdf", help="Also write the main figures as paper PDFs."),
) -> None:
    from measurand.factors.workflow import (
        K_RULE_ALIASES,
        K_RULES,
        METHODS,
        MISSING_POLICIES,
        run_factors,
    )
    from measurand.io.matrix import read_matrix
    from measurand.report import write_report
    from measurand.report.factors import factors_report

    formats = parse_formats(fmt)
    n_factors = parse_count_or_auto("--factors", factors)
    rule = _parse_choice("--k-rule", k_rule, K_RULES, K_RULE_ALIASES)
    method_name = _parse_choice("--method", method, METHODS)
    policy = _parse_choice("--missing", missing, MISSING_POLICIES)
    if pa_kind not in ("pca", "fa", "fa_smc"):
        raise InputError(f"--pa-kind takes 'pca', 'fa' or 'fa_smc', got {pa_kind!r}")
    rotation_name: str | None = rotation.strip().lower()
    if rotation_name == "none":
        rotation_name = None
    check_probability("--confidence", confidence)
    prepare_out(out, force=force)
    if export_pool is not None:
        from measurand.io.output import check_output_file

        check_output_file(
            export_pool,
            force=force,
            option="--export-pool",
            other_outputs=[out] if out is not None else [],
            inputs=[input_path],
        )

    if correlation or n_obs is not None:
        if not (correlation and n_obs is not None):
            raise InputError("--correlation and --n-obs go together (a matrix and its n)")
        _correlation_run(
            input_path,
            names_col=id_col,
            n_obs=n_obs,
            n_factors=n_factors,
            k_rule=rule,
            method=method_name,
            rotation=rotation_name,
            pa_iter=pa_iter,
            pa_kind=pa_kind,
            seed=seed,
            export_pool=export_pool,
            tau=tau,
            pool_size=pool_size,
            out=out,
            force=force,
            formats=formats,
        )
        return
    if id_col is None:
        raise InputError("--id-col is required (the column naming each row)")
    import numpy as np

    with working("reading the matrix") as progress:
        # Overflow in the reader's z-scores (values near 1e308) is named by run_factors, not
        # printed as raw numpy warnings.
        with np.errstate(all="ignore"):
            matrix = read_matrix(
                input_path,
                id_col=id_col,
                include=include or None,
                exclude=exclude or None,
                row_filter=where or None,
                lower_is_better=lower_is_better or None,
                heldout=heldout or None,
            )
        result = run_factors(
            matrix,
            n_factors=n_factors,
            k_rule=rule,
            method=method_name,
            rotation=rotation_name,
            missing=policy,
            weights=_parse_weights(weights),
            pa_iter=pa_iter,
            pa_kind=pa_kind,
            n_resamples=resamples,
            confidence_level=confidence,
            pool_tau=tau if export_pool is not None else None,
            pool_size=pool_size,
            seed=seed,
            progress=progress,
        )
        progress("writing report")
        report = factors_report(result, source=str(input_path))
        from measurand.report.pdf import paper_files

        written = write_report(
            out,
            report,
            result.to_dict(),
            force=force,
            formats=formats,
            extra_files=paper_files("factors", result, pdf),
        )
        if export_pool is not None and result.item_pool is not None:
            from measurand.io.pool import save_item_pool

            save_item_pool(result.item_pool, export_pool)

    print_summary(result)
    print_written(out, written)
    if export_pool is not None:
        console.print(f"item pool written to [bold]{export_pool}[/]")


def _correlation_run(
    input_path: Path,
    *,
    names_col,
    n_obs,
    out,
    force,
    formats,
    export_pool,
    tau,
    pool_size,
    **options: Any,
) -> None:
    from measurand.factors.workflow import run_factors_from_correlation
    from measurand.io.correlation import read_correlation_matrix
    from measurand.report import write_report
    from measurand.report.factors import factors_report

    with working("reading the correlation matrix") as progress:
        matrix = read_correlation_matrix(input_path, names_col=names_col)
        result = run_factors_from_correlation(
            matrix,
            n_obs=n_obs,
            pool_tau=tau if export_pool is not None else None,
            pool_size=pool_size,
            progress=progress,
            **options,
        )
        progress("writing report")
        report = factors_report(result, source=str(input_path))
        written = write_report(out, report, result.to_dict(), force=force, formats=formats)
        if export_pool is not None and result.item_pool is not None:
            from measurand.io.pool import save_item_pool

            save_item_pool(result.item_pool, export_pool)
    print_summary(result)
    print_written(out, written)


def print_summary(result: FactorsResult, *, top: int = 10) -> None:
    """Factors found, the top of the leaderboard with rank intervals, held-out correlations."""
    data = result.data
    level = f"{100 * result.settings.confidence_level:g}%"
    console.print(
        f"[bold]{data.n_rows_used:,}[/] rows x [bold]{len(data.tasks)}[/] tasks: "
        f"[bold]{result.n_factors}[/] factor(s) ({result.n_factors_rule}); method "
        f"{result.model.method}"
        + (f", rotation {result.model.rotation}" if result.model.rotation else "")
    )
    h2 = result.model.communalities
    low = int(h2.argmin())
    console.print(
        f"communality h²: median {float(sorted(h2)[len(h2) // 2]):.2f}, lowest "
        f"{data.tasks[low]} ({h2[low]:.2f})",
        highlight=False,
    )
    board = result.leaderboard
    table = summary_table(
        f"leaderboard (top {min(top, len(board.rows))} of {len(board.rows)})",
        ["rank", "name", f"rank {level} CI", "aggregate", "P(> next)"],
        text=("name",),
    )
    for row in board.rows[:top]:
        ci = (
            "–"
            if row.rank_ci.low != row.rank_ci.low
            else f"[{row.rank_ci.low}, {row.rank_ci.high}]"
        )
        above = "–" if row.p_above_next != row.p_above_next else f"{row.p_above_next:.2f}"
        table.add_row(str(row.rank), row.name, ci, f"{row.aggregate:.3f}", above)
    if board.rows:
        console.print(table)
    if result.heldout_validation is not None:
        for entry in result.heldout_validation.correlations:
            if entry.score == "aggregate":
                ci = entry.confidence_interval
                console.print(
                    f"aggregate vs held-out {entry.heldout}: r = {entry.r:+.3f} "
                    f"[{ci.low:+.3f}, {ci.high:+.3f}] (n = {entry.n})",
                    highlight=False,
                )
    print_warnings(result.warnings)


__all__ = ["factors_command", "print_summary"]
