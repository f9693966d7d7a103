"""``measurand items``: several models on the same test items, compared item by item.

Exit codes: 0 when the analyses ran, 2 for bad usage or input. With ``--fail-on`` (needs
``--reference``) the status of the other models against the reference sets the code, as
``compare --fail-on`` does with the litmus status:

============== ======== ====== ============
``--fail-on``  BETTER   WORSE  INCONCLUSIVE
============== ======== ====== ============
worse          0        1      2
inconclusive   0        1      1
============== ======== ====== ============

(the overall status is WORSE when any model is significantly worse than the reference, BETTER
when every model is significantly better, else INCONCLUSIVE).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from measurand.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ForceOption,
    FormatOption,
    OutOption,
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
    reports_input_errors,
    split_list,
    summary_table,
    working,
)
from measurand.errors import InputError

HELP = """Several models on the same test items: who is ahead, by how much, and how sure?

Reads per-item scores — lm-evaluation-harness --log_samples folders (one folder per model) or a
long table (one row per model, item and run) — and treats the item as the unit: runs are
averaged within an item, models are compared item by item (paired), and items of one cluster
(passage, subject: --cluster-col) are resampled together. Writes to --out, per task, each
model's mean with its interval (cluster-robust with clusters) and bootstrap rank interval,
every pair's paired difference with t and bootstrap intervals, Holm/BH and family-wise
(Romano–Wolf) p-values, McNemar for 0/1 scores, the items the models disagree on, and over
several tasks Friedman/Nemenyi with a critical-difference diagram (results.json, summary.md,
report.html).

\b
Example (a long table with passages and 3 runs per item, shipped):
  measurand items "$(measurand datasets items_example)" --model-col model \\
      --item-col item --score-col correct --run-col run --task-col task \\
      --cluster-col passage --reference model-c --fail-on worse \\
      --out items-report           # exit 1: model-e is WORSE than model-c

\b
Exit codes: 0 ok; 2 bad usage or input. The status against --reference with
--fail-on worse: 0 BETTER, 1 WORSE, 2 INCONCLUSIVE; with --fail-on
inconclusive: 0 BETTER, 1 otherwise.

\b
An lm-eval output folder (one sub-folder per model) needs only the metric:
  measurand items lm-eval-out/ --metric acc --out items-report
"""

_FAIL_ON = ("worse", "inconclusive")


def exit_code(status: str | None, fail_on: str | None) -> int:
    """The exit code for the overall status under ``--fail-on`` (see the module doc)."""
    if fail_on is None or status is None or status == "BETTER":
        return EXIT_OK
    if status == "WORSE":
        return EXIT_FAILED
    return EXIT_USAGE if fail_on == "worse" else EXIT_FAILED


@app.command("items", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def items_command(
    inputs: list[Path] = typer.Argument(
        ...,
        metavar="INPUT...",
        help="lm-eval output folder(s), or one table file (.csv, .parquet, .jsonl).",
        show_default=False,
    ),
    model_col: str = typer.Option(None, "--model-col", help="Table: model column."),
    item_col: str = typer.Option(None, "--item-col", help="Table: item (question) column."),
    score_col: str = typer.Option(None, "--score-col", help="Table: score column (0/1 or real)."),
    run_col: str = typer.Option(None, "--run-col", help="Table: run / sample column (optional)."),
    task_col: str = typer.Option(None, "--task-col", help="Table: task / subset column."),
    cluster_col: str = typer.Option(
        None, "--cluster-col", help="Table: cluster column (passage, subject): resampled whole."
    ),
    metric: str = typer.Option(
        None, "--metric", "-m", help="lm-eval: per-sample metric field (acc, exact_match, ...)."
    ),
    lm_filter: str = typer.Option(
        None, "--filter", help="lm-eval: filter to use where a task logs several."
    ),
    tasks: str = typer.Option(None, "--tasks", help="Comma-separated tasks to keep."),
    threshold: float = typer.Option(
        None, "--threshold", help="Binarize: score >= THRESHOLD counts as 1 (recorded)."
    ),
    reference: str = typer.Option(
        None, "--reference", "-r", help="Reference model: every other model gets a status."
    ),
    fail_on: str = typer.Option(
        None,
        "--fail-on",
        help="Exit non-zero on the status against --reference: 'worse' (1 WORSE, 2 "
        "INCONCLUSIVE) or 'inconclusive' (1 for WORSE or INCONCLUSIVE).",
    ),
    resamples: int = typer.Option(
        10_000, "--resamples", min=1, help="Bootstrap resamples (items or clusters)."
    ),
    confidence: float = probability_option("--confidence", 0.95, "Level of every interval."),
    top: int = typer.Option(200, "--top", min=1, help="Disagreement items listed per task."),
    out: Path = OutOption,
    force: bool = ForceOption,
    seed: int = SeedOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(False, "--pdf", help="Also write the main figures as paper PDFs."),
) -> None:
    from measurand.io.items import read_item_inputs
    from measurand.items.workflow import run_items
    from measurand.report import write_report
    from measurand.report.items import items_report

    formats = parse_formats(fmt)
    check_probability("--confidence", confidence)
    if fail_on is not None and fail_on not in _FAIL_ON:
        raise InputError(f"--fail-on takes 'worse' or 'inconclusive', got {fail_on!r}")
    if fail_on is not None and reference is None:
        raise InputError("--fail-on needs --reference (the model the others are judged against)")
    prepare_out(out, force=force)
    with working("reading item scores") as progress:
        data = read_item_inputs(
            inputs,
            model_col=model_col,
            item_col=item_col,
            score_col=score_col,
            run_col=run_col,
            task_col=task_col,
            cluster_col=cluster_col,
            metric=metric,
            tasks=split_list("--tasks", tasks) if tasks else None,
            threshold=threshold,
            filter_name=lm_filter,
        )
        result = run_items(
            data,
            n_resamples=resamples,
            confidence_level=confidence,
            seed=seed,
            reference=reference,
            top_disagreement=top,
            progress=progress,
        )
        progress("writing report")
        report = items_report(result)
        from measurand.report.pdf import paper_files

        written = write_report(
            out,
            report,
            result.to_dict(),
            force=force,
            formats=formats,
            extra_files=paper_files("items", result, pdf),
        )
    print_summary(result)
    print_written(out, written)
    code = exit_code(result.status, fail_on)
    if code:
        raise typer.Exit(code)


def print_summary(result: Any, *, top: int = 10) -> None:
    """Per task: the models by rank with intervals; the closest pairs; warnings."""
    level = f"{100 * result.settings.confidence_level:g}%"
    for task in result.tasks:
        name = f"task {task.task}: " if task.task else ""
        clusters = f" in {task.n_clusters} clusters" if result.has_clusters else ""
        table = summary_table(
            f"{name}{task.n_items:,} items{clusters}",
            ["rank", "model", "mean", f"{level} CI", "rank CI"],
            text=("model",),
            wrap=(f"{level} CI",),
        )
        rows = sorted(task.models, key=lambda r: (r.rank, r.model))
        for row in rows[:top]:
            lo, hi = row.confidence_interval
            table.add_row(
                str(row.rank),
                row.model,
                f"{row.mean:.4f}",
                f"[{lo:.4f}, {hi:.4f}]",
                f"[{row.rank_interval[0]}, {row.rank_interval[1]}]",
            )
        console.print(table)
        print_more(len(rows), top, "models")
        undecided = [
            p for p in task.pairs if not p.pvalue_fwer < 1 - result.settings.confidence_level
        ]
        if undecided:
            closest = min(undecided, key=lambda p: abs(p.difference))
            console.print(
                f"{len(undecided)} of {len(task.pairs)} pairs not separated (family-wise); "
                f"closest: {closest.a} − {closest.b} = {closest.difference:+.4f}",
                highlight=False,
            )
    if result.status is not None:
        console.print(f"status against {result.settings.reference}: [bold]{result.status}[/]")
    print_warnings(result.warnings)


def demo_part(out_dir: Path, *, seed: int) -> str:
    """``items`` on the shipped SYNTHETIC example (5 models, 3 tasks, passages, 3 runs); writes
    the report into ``out_dir`` and returns a one-line summary."""
    from importlib import resources

    from measurand.io.items import read_item_table
    from measurand.items.workflow import run_items
    from measurand.report import write_report
    from measurand.report.items import items_report

    path = resources.files("measurand") / "data" / "items_example.csv.gz"
    with resources.as_file(path) as file:
        data = read_item_table(
            file,
            model_col="model",
            item_col="item",
            score_col="correct",
            run_col="run",
            task_col="task",
            cluster_col="passage",
        )
    result = run_items(data, n_resamples=2000, seed=seed, reference="model-c")
    source = "measurand/data/items_example.csv.gz (synthetic example)"
    write_report(out_dir, items_report(result, source=source), result.to_dict(), force=True)
    n_items = sum(t.n_items for t in result.tasks)
    return (
        f"items: {len(result.models)} models x {n_items:,} items in {len(result.tasks)} tasks; "
        f"status against model-c: {result.status}"
    )


__all__ = ["demo_part", "exit_code", "items_command", "print_summary"]
