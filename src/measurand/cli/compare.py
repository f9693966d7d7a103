"""``measurand compare``: which condition is better across seeds, by how much, how sure?

Exit codes: 0 when the analyses ran (whatever their verdicts), 2 for bad usage or input. With
``--fail-on`` (needs ``--rules``) the litmus status sets the code, for CI pipelines:

==============  =========  ======  ============
``--fail-on``   CONFIRMED  FAILED  INCONCLUSIVE
==============  =========  ======  ============
(not given)     0          0       0
``failed``      0          1       2
``inconclusive`` 0         1       1
==============  =========  ======  ============

``failed`` is the spec's 0/1/2 mapping (an undecided gate is neither a pass nor a failure);
``inconclusive`` is the strict gate where anything but CONFIRMED fails the build with 1.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import typer

from measurand.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
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
    split_list,
    summary_table,
    working,
)
from measurand.errors import InputError
from measurand.report.format import interval, num

HELP = """Compare conditions across seeds: curves, significance, many pairs, litmus gates, IQM.

INPUT is a training-campaign folder (manifest.json, runs/<condition>_s<seed>/metrics.jsonl,
emergence logs) or a long table (CSV, CSV.GZ, Parquet, JSON lines) whose columns you name.
Each run is averaged over --window first, so the seed is the unit of analysis. Writes
results.json, summary.md and report.html to --out (when given) and prints the numbers.

\b
Examples (on the data measurand ships; `measurand datasets` lists them):
  measurand compare "$(measurand datasets synthetic_campaign)" \\
      --baseline maxrl+gtpo_hicra --candidate maxrl+gtpo_sepa \\
      --metric correct_rate --metric mean_reward --window last:100 \\
      --out sepa-report
  measurand compare "$(measurand datasets synthetic_campaign)" --all-pairs \\
      --window 400:500 --out ablation --ordering "maxrl+gtpo_sepa >= \\
      maxrl+gtpo_hicra >= maxrl+gtpo >= maxrl+none >= grpo+none"
  measurand compare "$(measurand datasets synthetic_campaign)" \\
      --rules sepa_vs_hicra --fail-on failed
  measurand compare "$(measurand datasets dopamine_subset)" \\
      --condition-col agent --seed-col run --task-col game \\
      --step-col iteration --value-col value --window last:10 \\
      --across-tasks --out atari

Exit codes: 0 ok; 2 bad usage or input. With --fail-on failed: 0 CONFIRMED, 1 FAILED,
2 INCONCLUSIVE; with --fail-on inconclusive: 0 CONFIRMED, 1 otherwise.
"""

_FAIL_ON = ("failed", "inconclusive")
_NORMALIZE = ("minmax", "reference", "none")


def exit_code(status: str | None, fail_on: str | None) -> int:
    """The process exit code for a litmus ``status`` under ``--fail-on`` (see the module doc)."""
    if fail_on is None or status is None or status == "CONFIRMED":
        return EXIT_OK
    if status == "FAILED":
        return EXIT_FAILED
    return EXIT_USAGE if fail_on == "failed" else EXIT_FAILED


def load_input(
    path: Path,
    *,
    condition_col: str | None,
    seed_col: str | None,
    value_cols: list[str] | None,
    task_col: str | None,
    step_col: str | None,
    metric_col: str | None,
) -> Any:
    """Read INPUT: a campaign folder with ``read_campaign``, a table with ``read_table``."""
    column_options = {
        "--condition-col": condition_col,
        "--seed-col": seed_col,
        "--value-col": value_cols or None,
        "--task-col": task_col,
        "--step-col": step_col,
        "--metric-col": metric_col,
    }
    if not path.exists():
        raise InputError("input not found", source=str(path))
    if path.is_dir():
        given = [k for k, v in column_options.items() if v]
        if given:
            raise InputError(
                f"{', '.join(given)} apply to table files; {path} is a campaign folder",
                source=str(path),
            )
        from measurand.io.campaign import read_campaign

        return read_campaign(path)
    try:
        return read_long_table(
            path,
            condition_col=condition_col,
            seed_col=seed_col,
            value_col=value_cols,
            task_col=task_col,
            step_col=step_col,
            metric_col=metric_col,
        )
    except InputError as error:
        # The reader speaks its Python API (task=, step=); a CLI user needs the CLI flags.
        message = error.message.replace("pass it as task= or step=", _COLUMN_FLAGS)
        if message == error.message:
            raise
        raise InputError(
            message, source=error.source, line=error.line, column=error.column
        ) from None


_COLUMN_FLAGS = "name it with --task-col or --step-col"


def read_reference(path: Path) -> dict[str, tuple[float, float]]:
    """``task,low,high`` CSV -> ``{task: (low, high)}`` for ``--normalize reference``."""
    if not path.is_file():
        raise InputError("reference score file not found", source=str(path))
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        needed = {"task", "low", "high"}
        if reader.fieldnames is None or not needed <= set(reader.fieldnames):
            raise InputError(
                f"reference scores need the columns task, low, high; got {reader.fieldnames}",
                source=str(path),
            )
        reference: dict[str, tuple[float, float]] = {}
        for line, row in enumerate(reader, start=2):
            try:
                low, high = float(row["low"]), float(row["high"])
            except (TypeError, ValueError):
                raise InputError(
                    f"low/high must be numbers, got {row['low']!r}, {row['high']!r}",
                    source=str(path),
                    line=line,
                ) from None
            if row["task"] in reference:
                raise InputError(f"task {row['task']!r} repeats", source=str(path), line=line)
            reference[row["task"]] = (low, high)
    if not reference:
        raise InputError("no reference rows", source=str(path))
    return reference


def _parse_min_effect(values: list[str]) -> dict[str, float] | float | None:
    """``--min-effect 0.01`` (every metric) or ``--min-effect correct_rate=0.01`` (repeatable)."""
    if not values:
        return None
    per_metric: dict[str, float] = {}
    common: float | None = None
    for text in values:
        name, sep, number = text.rpartition("=")
        try:
            value = float(number)
        except ValueError:
            raise InputError(
                f"--min-effect takes a number or METRIC=NUMBER, got {text!r}"
            ) from None
        if not math.isfinite(value) or value <= 0:
            raise InputError(f"--min-effect must be a positive number, got {text!r}")
        if sep:
            per_metric[name.strip()] = value
        else:
            common = value
    if per_metric and common is not None:
        raise InputError("give --min-effect either once as a number or as METRIC=NUMBER entries")
    return per_metric or common


@app.command("compare", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def compare_command(
    input_path: Path = typer.Argument(
        ...,
        metavar="INPUT",
        help="Campaign folder, or a table file (.csv, .csv.gz, .parquet, .jsonl).",
        show_default=False,
    ),
    condition_col: str = typer.Option(None, "--condition-col", help="Table: condition column."),
    seed_col: str = typer.Option(None, "--seed-col", help="Table: seed / run column."),
    task_col: str = typer.Option(None, "--task-col", help="Table: task / game column."),
    step_col: str = typer.Option(None, "--step-col", help="Table: step / iteration column."),
    value_col: list[str] = typer.Option(
        None, "--value-col", help="Table: value column (repeatable: one metric per column)."
    ),
    metric_col: str = typer.Option(
        None, "--metric-col", help="Table: column of metric names (with one --value-col)."
    ),
    conditions: str = typer.Option(
        None,
        "--conditions",
        help="Comma-separated conditions to analyse, in this order (default: all).",
    ),
    baseline: str = typer.Option(None, "--baseline", "-b", help="Baseline condition."),
    candidate: str = typer.Option(None, "--candidate", "-c", help="Candidate condition."),
    metric: list[str] = typer.Option(
        None,
        "--metric",
        "-m",
        help="Metric to compare (repeatable; default: correct_rate, running_correct_rate, "
        "mean_reward when present, else every metric).",
    ),
    window: str = typer.Option(
        "all",
        "--window",
        "-w",
        help="Steps averaged per run: 'all', '400:500' (stop excluded), 'last:100'.",
    ),
    all_pairs: bool = typer.Option(False, "--all-pairs", help="Compare every pair of conditions."),
    ordering: str = typer.Option(
        None, "--ordering", help="Expected ordering, e.g. 'A >= B >= C' (first metric)."
    ),
    ordering_metric: str = typer.Option(
        None, "--ordering-metric", help="Metric of --ordering (default: the first metric)."
    ),
    rules: Path = typer.Option(
        None, "--rules", help="Litmus rule file (TOML), or a shipped one by name (sepa_vs_hicra)."
    ),
    fail_on: str = typer.Option(
        None,
        "--fail-on",
        help="Exit non-zero on the litmus status: 'failed' (1 FAILED, 2 INCONCLUSIVE) or "
        "'inconclusive' (1 for FAILED or INCONCLUSIVE). Needs --rules.",
    ),
    across: bool = typer.Option(
        None,
        "--across-tasks/--no-across-tasks",
        help="IQM, mean, median, optimality gap, P(X > Y) and profiles across tasks "
        "(default: on when the data holds several tasks).",
        show_default=False,
    ),
    normalize: str = typer.Option(
        "minmax", "--normalize", help="Across tasks: 'minmax', 'reference' or 'none'."
    ),
    reference: Path = typer.Option(
        None, "--reference", help="CSV task,low,high of reference scores (implies reference)."
    ),
    pooled: bool = typer.Option(
        False,
        "--pooled",
        help="Add the pseudo-replicated analysis (steps pooled as if independent; labelled so) "
        "next to the seed-level one. For comparison with older scripts only.",
    ),
    hierarchical: bool = typer.Option(
        False, "--hierarchical", help="Bootstrap seeds, then steps within seeds."
    ),
    alpha: float = probability_option("--alpha", 0.05, "Significance level (CIs at 1 - alpha)."),
    power: float = probability_option("--power", 0.8, "Target power for sample sizes and MDE."),
    min_effect: list[str] = typer.Option(
        None,
        "--min-effect",
        help="Smallest difference worth detecting: a number, or METRIC=NUMBER (repeatable).",
    ),
    lower_is_better: list[str] = typer.Option(
        None,
        "--lower-is-better",
        help="Metric where lower is better (repeatable; shell patterns like '*loss' allowed; "
        "one that matches no metric is an error).",
    ),
    permutations: int = typer.Option(
        20_000, "--permutations", min=1, help="Monte Carlo permutations (exact when fewer exist)."
    ),
    resamples: int = typer.Option(10_000, "--resamples", min=1, help="Bootstrap resamples."),
    across_resamples: int = typer.Option(
        50_000, "--across-resamples", min=1, help="Stratified bootstrap resamples across tasks."
    ),
    ci_method: str = typer.Option(
        "percentile", "--ci-method", help="Bootstrap CI of differences: percentile, bca, basic."
    ),
    band: str = typer.Option("sd", "--band", help="Learning-curve band: sd, sem or ci."),
    smoothing: str = typer.Option(
        None, "--smoothing", help="Learning-curve smoothing: 'ema:0.9' or 'rolling:10'."
    ),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Report folder to write (refused if not empty); omit to only print.",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite a non-empty --out folder."),
    seed: int = SeedOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(False, "--pdf", help="Also write the main figures as paper PDFs."),
) -> None:
    from measurand.compare.workflow import CompareOptions, expand_metric_patterns, run_compare

    formats = parse_formats(fmt)
    if fail_on is not None and fail_on not in _FAIL_ON:
        raise InputError(f"--fail-on takes 'failed' or 'inconclusive', got {fail_on!r}")
    if fail_on is not None and rules is None:
        raise InputError("--fail-on needs --rules (the litmus rule file whose status it gates)")
    if normalize not in _NORMALIZE:
        raise InputError(f"--normalize takes minmax, reference or none, got {normalize!r}")
    if normalize == "reference" and reference is None:
        raise InputError("--normalize reference needs --reference FILE (task,low,high)")
    if reference is not None and normalize == "minmax":
        normalize = "reference"
    check_probability("--alpha", alpha)
    check_probability("--power", power)
    prepare_out(out, force=force)
    reference_scores = read_reference(reference) if reference is not None else None

    with working("reading input") as progress:
        data = load_input(
            input_path,
            condition_col=condition_col,
            seed_col=seed_col,
            value_cols=value_col,
            task_col=task_col,
            step_col=step_col,
            metric_col=metric_col,
        )
        if lower_is_better:
            lower = expand_metric_patterns(lower_is_better, data.metrics())
            directions: dict[str, bool] | bool = {m: False for m in lower}
        else:
            directions = True
        options = CompareOptions(
            baseline=baseline,
            candidate=candidate,
            metrics=tuple(metric) if metric else None,
            conditions=None if conditions is None else split_list("--conditions", conditions),
            window=window,
            all_pairs=all_pairs,
            ordering=ordering,
            ordering_metric=ordering_metric,
            rules=rules,
            across_tasks=across,
            normalization=None if normalize == "none" else normalize,
            reference=reference_scores,
            band=band,
            smoothing=smoothing,
            confidence_level=1.0 - alpha,
            power=power,
            min_effect=_parse_min_effect(min_effect or []),
            permutation_resamples=permutations,
            n_resamples=resamples,
            across_resamples=across_resamples,
            ci_method=ci_method,
            hierarchical=hierarchical,
            pooled=pooled,
            higher_is_better=directions,
            seed=seed,
        )
        result = run_compare(data, options, progress=progress)
        written = None
        if out is not None:
            from measurand.report import write_report
            from measurand.report.compare import compare_report

            progress("writing report")
            from measurand.report.pdf import paper_files

            written = write_report(
                out,
                compare_report(result),
                result.to_dict(),
                force=force,
                formats=formats,
                extra_files=paper_files("compare", result, pdf),
            )

    print_summary(result)
    if written is not None:
        print_written(out, written)
    status_text = None if result.litmus is None else result.litmus.status
    code = exit_code(status_text, fail_on)
    if code != EXIT_OK:
        raise typer.Exit(code)


# --------------------------------------------------------------------------------------------
# Terminal summary
# --------------------------------------------------------------------------------------------


def _pv(value: Any) -> str:
    if value is None or math.isnan(float(value)):
        return "–"
    return "<1e-4" if float(value) < 1e-4 else f"{float(value):.4f}"


_VERDICT_STYLE = {
    "significant_improvement": "[green]significant_improvement[/]",
    "significant_degradation": "[red]significant_degradation[/]",
    "insufficient_evidence": "[yellow]insufficient_evidence[/]",
}
_SHORT_VERDICT = {
    "significant_improvement": "[green]improvement[/]",
    "significant_degradation": "[red]degradation[/]",
    "insufficient_evidence": "[yellow]undecided[/]",
}
_STATUS_STYLE = {
    "CONFIRMED": "[bold green]CONFIRMED[/]",
    "FAILED": "[bold red]FAILED[/]",
    "INCONCLUSIVE": "[bold yellow]INCONCLUSIVE[/]",
}
_MAX_ROWS = 40


def print_summary(result: Any) -> None:
    """Rich tables of every analysis that ran (plain numbers; the report has the figures)."""
    runs = ", ".join(f"{c} ({n})" for c, n in result.runs_per_condition.items())
    tasks = [t for t in result.tasks if t]
    console.print(
        f"[bold]{len(result.conditions)}[/] conditions (runs): {runs}"
        + (f"; {len(tasks)} tasks" if tasks else "")
        + f"; window [bold]{result.window}[/]",
        highlight=False,
    )
    if result.significance is not None:
        _print_significance(result.significance)
    if result.significance_pooled is not None:
        # episode counts do not depend on the unit: printed once, with the seed-level analysis
        _print_significance(result.significance_pooled, counts=result.significance is None)
    if result.multiple is not None:
        _print_multiple(result.multiple)
    if result.ordering is not None:
        _print_ordering(result.ordering)
    for item in result.across_tasks:
        _print_across(item)
    if result.litmus is not None:
        _print_litmus(result.litmus)
    print_warnings(result.warnings)


def _label(metric: str, task: str) -> str:
    return metric if not task else f"{metric} / {task}"


def _print_significance(sig: Any, *, counts: bool = True) -> None:
    """The table of differences, then one verdict line per comparison (and the counts lines).

    The group means go on the verdict lines, not in the table, so that the table fits 80
    columns with the interval wrapped at its space.
    """
    pooled = "pseudo" in sig.unit
    level = f"{100 * (1 - sig.alpha):g}% CI"
    table = summary_table(
        f"{sig.candidate} vs {sig.baseline} (unit: {sig.unit})",
        ["metric", "n", "Δ", level, "p", "d"],
        text=("metric",),
        wrap=(level,),
    )
    shown = sig.comparisons[:_MAX_ROWS]
    for c in shown:
        table.add_row(
            _label(c.metric, c.task),
            f"{c.n_baseline}/{c.n_candidate}",
            num(c.delta),
            interval(c.ci),
            _pv(c.pvalue),
            num(c.cohens_d, 3),
        )
    console.print(table)
    print_more(len(sig.comparisons), _MAX_ROWS, "rows")
    if pooled:
        console.print(
            "[bold yellow]pseudo-replicated:[/] steps were pooled across seeds as if "
            "independent; the p-values overstate the evidence."
        )
    # One line per comparison, never truncated, so that logs and greps see whole verdicts; a
    # pooled line says so itself, as it may be read without the table above it.
    tag = " [yellow]\\[pseudo-replicated][/]" if pooled else ""
    for c in shown:
        needed = "–" if c.n_per_arm_observed is None else str(c.n_per_arm_observed)
        console.print(
            f"{_label(c.metric, c.task)}{tag}: {_VERDICT_STYLE.get(c.verdict, c.verdict)}; "
            f"mean {num(c.mean_baseline)} → {num(c.mean_candidate)}; power "
            f"{num(c.power_observed, 2)} at the observed d, {needed} per arm for "
            f"{100 * sig.power:g}%, minimum detectable Δ {num(c.mde)}",
            highlight=False,
            soft_wrap=True,
        )
    for c in shown:
        if counts and c.counts is not None:
            k = c.counts
            console.print(
                f"counts {_label(c.metric, c.task)}: "
                f"{k.correct_baseline}/{k.total_baseline} vs "
                f"{k.correct_candidate}/{k.total_candidate}, rate difference "
                f"{num(k.rate_difference)} {interval(k.rate_difference_ci)} (Newcombe), Fisher p = "
                f"{_pv(k.fisher_pvalue)} [dim](episode level, pooled)[/]",
                highlight=False,
                soft_wrap=True,
            )


def _print_multiple(multiple: Any) -> None:
    """One row per pair with the adjusted p that decides its verdict, in short words so that
    the table fits 80 columns (the report lists every p-value and the full verdict names)."""
    frame = multiple.frame
    p_column = f"p_{multiple.adjust[0]}"
    table = summary_table(
        f"pairwise (unit: {multiple.unit}; verdict at α = {multiple.alpha:g} on {p_column})",
        ["metric", "pair", "Δ", "CI", p_column, "verdict"],
        text=("metric", "pair", "verdict"),
        wrap=("CI",),
    )
    for row in frame.head(_MAX_ROWS).iter_rows(named=True):
        table.add_row(
            _label(row["metric"], row["task"]),
            f"{row['candidate']} − {row['baseline']}",
            num(row["delta"]),
            interval((row["ci_low"], row["ci_high"])),
            _pv(row[p_column]),
            _SHORT_VERDICT.get(row["verdict"], row["verdict"]),
        )
    console.print(table)
    print_more(frame.height, _MAX_ROWS, "rows")


def _print_ordering(ordering: Any) -> None:
    table = summary_table(
        f"ordering on {ordering.metric}: {ordering.status}",
        ["pair", "difference", "CI", "p (adj.)", "status"],
        text=("pair", "status"),
        wrap=("CI",),
    )
    for p in ordering.pairs:
        table.add_row(
            f"{p.higher} ≥ {p.lower}",
            num(p.difference),
            interval(p.ci),
            _pv(p.p_adjusted),
            p.status,
        )
    console.print(table)


def _print_across(item: Any) -> None:
    import polars as pl

    metrics = item.aggregates.get_column("metric").unique(maintain_order=True).to_list()
    scores = f"{item.normalization or 'raw'} scores"
    if not item.higher_is_better:
        scores += "; lower is better: oriented so that higher is better"
    table = summary_table(
        f"across {len(item.tasks)} tasks: {item.metric} ({scores})",
        ["condition", *metrics],
        text=("condition",),
        wrap=metrics,
    )
    for cond in item.conditions:
        sub = item.aggregates.filter(pl.col("condition") == cond)
        cells = []
        for name in metrics:
            row = sub.filter(pl.col("metric") == name).row(0, named=True)
            cells.append(
                f"{num(row['estimate'], 3)} {interval((row['ci_low'], row['ci_high']), 3)}"
            )
        table.add_row(cond, *cells)
    console.print(table)
    relation = ">" if item.higher_is_better else "better than"
    for row in item.improvement.head(_MAX_ROWS).iter_rows(named=True):
        console.print(
            f"P({row['x']} {relation} {row['y']}) = {num(row['probability'], 3)} "
            f"{interval((row['ci_low'], row['ci_high']), 3)}",
            highlight=False,
        )


def _print_litmus(litmus: Any) -> None:
    table = summary_table(
        f"litmus {litmus.name or ''}: {litmus.candidate} vs {litmus.baseline}, window "
        f"{litmus.window}",
        ["check", "value", "observed", "needs", "result"],
        text=("check", "value", "result"),
    )
    for c in litmus.checks:
        result = "[green]pass[/]" if c.passed else ("[red]fail[/]" if c.passed is False else "n/a")
        table.add_row(c.name, c.quantity, num(c.observed), f"{c.operator} {c.threshold:g}", result)
    console.print(table)
    for e in litmus.evidence:
        mark = "[green]met[/]" if e.met else "[red]not met[/]"
        observed = "–" if e.observed is None else e.observed
        console.print(
            f"evidence {e.requirement}: {observed} (needs {e.required}) {mark}", highlight=False
        )
    console.print(f"litmus status: {_STATUS_STYLE.get(litmus.status, litmus.status)}")


__all__ = ["compare_command", "exit_code", "load_input", "print_summary", "read_reference"]
