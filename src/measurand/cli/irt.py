"""``measurand irt``: item response models for subjects × items binary responses."""

from __future__ import annotations

from pathlib import Path

import typer

from measurand.cli._app import (
    ForceOption,
    FormatOption,
    OutOption,
    SeedOption,
    app,
    console,
    help_text,
    parse_count_or_auto,
    parse_formats,
    parse_word_or_number,
    prepare_out,
    print_more,
    print_warnings,
    print_written,
    reports_input_errors,
    summary_table,
    working,
)

HELP = """Fit an item response model to binary responses: item slopes and difficulties,
abilities with standard errors, the number of skills, items to check.

Reads long-form responses (one row per subject, item and response: CSV, TSV,
Parquet or JSON lines, columns named by --subject-col/--item-col/--response-col),
a wide matrix (--id-col: one row per subject, one column per item, empty =
missing) or a folder of lm-evaluation-harness --log_samples outputs. Scores
that are not 0/1 need a rule (--binarize 'ge:0.5'), recorded in the output.
Constant items and items answered by one subject are excluded and listed.

Chooses the number of dimensions by parallel analysis (--dims auto), fits the
model by marginal ML (small data, 1-3 dimensions) or joint MAP on torch
(large data, any dimension), checks it on 10% held-out cells against the
item-mean baseline and the SVD floor, flags items with negative or near-zero
slopes, and writes results.json, summary.md and report.html to --out.

\b
Examples (a simulated 0/1 matrix shipped with measurand):
  measurand irt "$(measurand datasets irt_responses)" --id-col model \\
      --model 2pl --out irt-report
  measurand irt "$(measurand datasets irt_responses)" --id-col model \\
      --model m2pl --dims auto --export-pool irt-pool.npz --out irt-m2pl

Long form names its columns, e.g. --subject-col model --item-col doc_id
--response-col acc; an lm-eval folder needs only --metric acc.
"""


def _parse_slope_prior(text: str) -> float | str:
    return parse_word_or_number(
        "--slope-prior-sd", text, word="auto", word_value="auto", kind=float,
        takes="a positive number or 'auto'", check=lambda v: v > 0, must="be positive",
    )  # fmt: skip


def _parse_guessing(text: str | None) -> str | float | None:
    if text is None:
        return None
    return parse_word_or_number(
        "--guessing", text, word="estimate", word_value="estimate", kind=float,
        takes="'estimate' or a number", check=lambda v: 0.0 <= v < 1.0, must="lie in [0, 1)",
    )  # fmt: skip


@app.command("irt", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def irt_command(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="Responses: a table or an lm-eval folder.", show_default=False
    ),
    layout: str = typer.Option(
        "auto", "--layout", help="'auto', 'long', 'wide' (with --id-col) or 'lm-eval'."
    ),
    subject_col: str = typer.Option("subject", "--subject-col", help="Long form: subject column."),
    item_col: str = typer.Option("item", "--item-col", help="Long form: item column."),
    response_col: str = typer.Option(
        "response", "--response-col", help="Long form: response column (0/1 or a score)."
    ),
    trial_col: str = typer.Option(
        None, "--trial-col", help="Long form: trial column (several trials are averaged)."
    ),
    benchmark_col: str = typer.Option(
        None, "--benchmark-col", help="Long form: benchmark column (items become bench/item)."
    ),
    id_col: str = typer.Option(None, "--id-col", help="Wide form: the column naming subjects."),
    metric: str = typer.Option(None, "--metric", help="lm-eval: the per-sample metric field."),
    binarize: str = typer.Option(
        None, "--binarize", help="Rule for non-0/1 scores: ge|gt|le|lt:THRESHOLD, e.g. 'ge:0.5'."
    ),
    model: str = typer.Option("2pl", "--model", help="1pl, 2pl, 3pl or m2pl."),
    dims: str = typer.Option("auto", "--dims", help="Dimensions (m2pl): a number or 'auto'."),
    estimator: str = typer.Option(
        "auto", "--estimator", help="'auto', 'mml' (marginal ML) or 'map' (joint MAP, torch)."
    ),
    rotation: str = typer.Option(
        "varimax", "--rotation", help="Rotation of multidimensional loadings, or 'none'."
    ),
    guessing: str = typer.Option(
        None, "--guessing", help="3PL: a fixed guessing floor (e.g. 0.25) or 'estimate'."
    ),
    heldout: float = typer.Option(
        0.1, "--heldout", help="Fraction of observed cells held out for the check (0 = off)."
    ),
    resamples: int = typer.Option(
        100, "--resamples", min=1, help="Parallel-analysis random data sets."
    ),
    export_pool: Path = typer.Option(
        None, "--export-pool", help="Also write the item pool (.npz) to this file."
    ),
    tau: float = typer.Option(0.1, "--tau", help="Item pool: sparsification threshold."),
    pool_size: int = typer.Option(
        None, "--pool-size", min=1, help="Item pool: subsample this many items."
    ),
    device: str = typer.Option("cpu", "--device", help="'cpu' or 'cuda' for the MAP estimator."),
    slope_prior_sd: str = typer.Option(
        "auto",
        "--slope-prior-sd",
        help="MAP: the joint fit's slope prior SD, or 'auto' (chosen on validation cells).",
    ),
    out: Path = OutOption,
    force: bool = ForceOption,
    seed: int = SeedOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(False, "--pdf", help="Also write the main figures as paper PDFs."),
) -> None:
    from measurand.io.responses import read_responses
    from measurand.irt.workflow import run_irt
    from measurand.report import write_report
    from measurand.report.irt import irt_report

    formats = parse_formats(fmt)
    n_dims = parse_count_or_auto("--dims", dims)
    rotation_name: str | None = rotation.strip().lower()
    if rotation_name == "none":
        rotation_name = None
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

    with working("reading responses") as progress:
        data = read_responses(
            input_path,
            layout=layout,
            subject_col=subject_col,
            item_col=item_col,
            response_col=response_col,
            trial_col=trial_col,
            benchmark_col=benchmark_col,
            id_col=id_col,
            binarize=binarize,
            metric=metric,
        )
        result = run_irt(
            data,
            model=model,
            dims=n_dims,
            estimator=estimator.strip().lower(),
            rotation=rotation_name,
            guessing=_parse_guessing(guessing),
            device=device,
            heldout=heldout,
            n_resamples=resamples,
            pool_tau=tau if export_pool is not None else None,
            pool_size=pool_size,
            seed=seed,
            progress=progress,
            slope_prior_sd=_parse_slope_prior(slope_prior_sd),
        )
        progress("writing report")
        from measurand.report.pdf import paper_files

        written = write_report(
            out, irt_report(result, source=str(input_path)), result.to_dict(), force=force,
            formats=formats, extra_files=paper_files("irt", result, pdf),
        )  # fmt: skip
        if export_pool is not None and result.item_pool is not None:
            from measurand.io.pool import save_item_pool

            save_item_pool(result.item_pool, export_pool)

    print_summary(result)
    print_written(out, written)
    if export_pool is not None:
        console.print(f"item pool written to [bold]{export_pool}[/]")


def print_summary(result: object, *, top: int = 10) -> None:
    """Data, fit, held-out check, flagged items and the top of the ability ranking."""
    from measurand.irt.workflow import IRTResult

    assert isinstance(result, IRTResult)
    fit, d = result.fit, result.data
    console.print(
        f"[bold]{d['n_subjects']:,}[/] subjects x [bold]{d['n_items']:,}[/] items, "
        f"{d['n_observed']:,} responses ({100 * d['missing_fraction']:.1f}% missing); "
        f"{len(d['excluded_items'])} item(s) excluded",
        highlight=False,
    )
    pa = result.parallel_analysis
    console.print(
        f"model [bold]{fit.model.upper()}[/], {fit.n_dims} dimension(s)"
        + (f" (parallel analysis: k = {pa.k})" if pa is not None else "")
        + f", {fit.method.upper()}; "
        + ("converged" if fit.converged else "[red]not converged[/]")
        + f"; log-likelihood {fit.loglik:,.3f}",
        highlight=False,
    )
    h = result.heldout
    if h is not None:
        floor = result.heldout_svd_floor
        console.print(
            f"held-out ({h.n_heldout:,} cells): AUC {h.auc:.3f} (item mean {h.baseline_auc:.3f}"
            + (f", SVD {floor.auc:.3f}" if floor else "")
            + f"), log-loss {h.log_loss:.4f} (item mean {h.baseline_log_loss:.4f}"
            + (f", SVD {floor.log_loss:.4f}" if floor else "")
            + ")",
            highlight=False,
        )
    reasons = sorted(result.flags.reason.items())
    if reasons:
        table = summary_table(
            f"flagged items ({len(reasons)})", ["item", "why"], text=("item", "why")
        )
        for i, why in reasons[:top]:
            table.add_row(result.items[i], why)
        console.print(table)
        print_more(len(reasons), top, "flagged items")
    rows = result.subject_rows()
    table = summary_table(
        f"ability ranking (top {min(top, len(rows))} of {len(rows)})",
        ["rank", "subject", "ability", "95% interval"],
        text=("subject",),
        wrap=("95% interval",),
    )
    for row in rows[:top]:
        low, high = row["score"] - 1.96 * row["score_se"], row["score"] + 1.96 * row["score_se"]
        table.add_row(
            str(row["rank"]), row["subject"], f"{row['score']:.3f}", f"[{low:.3f}, {high:.3f}]"
        )
    console.print(table)
    print_warnings(result.warnings)


DEMO_FILE = "irt_demo_responses.csv"
DEMO_SOURCE = f"measurand/data/{DEMO_FILE} (SIMULATED: 40 models x 300 items, two skills)"


def demo_part(out_dir: Path, *, seed: int) -> str:
    """The ``irt`` part of ``measurand demo``: the shipped simulated set, M2PL with --dims auto,
    report written into ``out_dir``; returns a one-line summary."""
    from importlib import resources

    from measurand.io.responses import read_wide_responses
    from measurand.irt.workflow import run_irt
    from measurand.report import write_report
    from measurand.report.irt import irt_report

    resource = resources.files("measurand").joinpath("data", DEMO_FILE)
    with resources.as_file(resource) as path:
        data = read_wide_responses(path, id_col="model")
    result = run_irt(data, model="m2pl", dims=None, seed=seed)
    write_report(out_dir, irt_report(result, source=DEMO_SOURCE), result.to_dict())
    h = result.heldout
    return (
        f"irt: {data.n_subjects} simulated models x {data.n_items} items, "
        f"{result.fit.n_dims} dimension(s) ({result.fit.method.upper()}), held-out AUC "
        f"{h.auc:.3f} vs {h.baseline_auc:.3f} (item mean), "
        f"{len(result.flags.reason)} item(s) flagged"
    )


__all__ = ["demo_part", "irt_command", "print_summary"]
