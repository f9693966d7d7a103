"""``measurand plan``: how many items, runs per item, seeds or episodes a claim needs.

Exit codes: 0 answered (answers without a solution are explained in the output), 2 bad usage or
input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from measurand.cli._app import (
    ForceOption,
    FormatOption,
    app,
    check_probability,
    console,
    help_text,
    parse_formats,
    prepare_out,
    print_more,
    print_written,
    probability_option,
    reports_input_errors,
    split_list,
    summary_table,
    working,
)
from measurand.errors import InputError

HELP = """How many items, runs per item, seeds or episodes does a claim need?

Either from numbers — the sd of the per-item paired differences (--sd, with --design-effect
and --cluster-size for clustered items), the run decomposition (--sd-item, --sd-run,
--n-items), a seed-level sd (--sd-seed) or a per-episode success rate (--p, with
--episodes-per-step) — or from a results folder written by `measurand items` or `measurand
compare` (--from DIR), where every pair is planned for --mde (default: its own observed
difference).

\b
Examples:
  measurand plan --sd 0.45 --mde 0.02                       # items
  measurand plan --from items-report --mde 0.01   # after the items example
  measurand plan --p 0.3 --mde 0.013 --episodes-per-step 128 --seeds 3,8,16
"""


def _parse_seeds(text: str) -> list[int]:
    try:
        values = [int(v) for v in split_list("--seeds", text)]
    except ValueError:
        raise InputError(f"--seeds takes comma-separated integers, got {text!r}") from None
    if any(v < 1 for v in values):
        raise InputError(f"--seeds must be positive, got {text!r}")
    return values


@app.command("plan", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def plan_command(
    source: Path = typer.Option(
        None, "--from", help="Results folder (or results.json) of `items` or `compare`."
    ),
    mde: float = typer.Option(None, "--mde", help="Target difference to detect (score units)."),
    power: float = probability_option("--power", 0.8, "Target power."),
    confidence: float = probability_option("--confidence", 0.95, "1 − the test's alpha."),
    sd: float = typer.Option(None, "--sd", help="Sd of the per-item paired differences."),
    design_effect: float = typer.Option(
        1.0, "--design-effect", help="Variance inflation of clustered items (>= 1)."
    ),
    cluster_size: float = typer.Option(None, "--cluster-size", help="Items per cluster."),
    n_items: int = typer.Option(None, "--n-items", help="Items available (for runs per item)."),
    sd_item: float = typer.Option(None, "--sd-item", help="Sd of the items' true differences."),
    sd_run: float = typer.Option(None, "--sd-run", help="Run-to-run sd of one run's difference."),
    sd_seed: float = typer.Option(None, "--sd-seed", help="Seed-to-seed sd of the metric."),
    p: float = typer.Option(None, "--p", help="Per-episode success rate of the baseline arm."),
    episodes_per_step: int = typer.Option(
        None, "--episodes-per-step", min=1, help="Episodes per step (batch x group size)."
    ),
    seeds: str = typer.Option("3,5,8,16", "--seeds", help="Seed counts for the schedule."),
    pairs: list[str] = typer.Option(
        None, "--pair", help="With --from: plan only comparisons whose label contains this."
    ),
    out: Path = typer.Option(None, "--out", "-o", help="Also write a report folder here."),
    force: bool = ForceOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(
        False, "--pdf", help="Also write the power curves as a paper PDF (with --out)."
    ),
) -> None:
    from measurand.plan.workflow import plan_from_numbers, plan_from_results

    formats = parse_formats(fmt)
    check_probability("--power", power)
    check_probability("--confidence", confidence)
    if mde is not None and not mde > 0:
        raise InputError(f"--mde must be positive, got {mde:g}")
    if pdf and out is None:
        raise InputError("--pdf writes into the report folder: give --out")
    prepare_out(out, force=force)
    with working("planning"):
        if source is not None:
            numbers = [sd, sd_item, sd_run, sd_seed, p]
            if any(v is not None for v in numbers):
                raise InputError("--from reads the spreads from the results; drop --sd/--p/...")
            result = plan_from_results(
                source, mde=mde, power=power, confidence_level=confidence, pairs=pairs or None
            )
        else:
            if mde is None:
                raise InputError("--mde (the difference to detect) is needed without --from")
            result = plan_from_numbers(
                mde=mde,
                power=power,
                confidence_level=confidence,
                sd=sd,
                design_effect=design_effect,
                cluster_size=cluster_size,
                n_items=n_items,
                sd_item=sd_item,
                sd_run=sd_run,
                sd_seed=sd_seed,
                p=p,
                episodes_per_step=episodes_per_step,
                seeds=_parse_seeds(seeds),
            )
    print_summary(result)
    if out is not None:
        from measurand.report import write_report
        from measurand.report.pdf import paper_files
        from measurand.report.plan import plan_report

        written = write_report(
            out,
            plan_report(result),
            result.to_dict(),
            force=force,
            formats=formats,
            extra_files=paper_files("plan", result, pdf),
        )
        print_written(out, written)


def print_summary(result: Any, *, top: int = 15) -> None:
    from measurand.report.plan import HEADERS, plan_table_rows

    rows = plan_table_rows(result)[:top]
    # Only the columns that hold an answer: the terminal is narrow.
    keep = [j for j in range(len(HEADERS)) if any(str(r[j]) not in ("–", "") for r in rows)]
    table = summary_table(
        f"power {result.power:g}, two-sided level {1 - result.confidence_level:g}",
        [HEADERS[j] for j in keep],
        text=("comparison",),
    )
    table.columns[0].min_width = min(28, max(len(str(r[0])) for r in rows))
    for row in rows:
        table.add_row(*(str(row[j]).strip("`") for j in keep))
    console.print(table)
    print_more(len(result.rows), top, "comparisons")
    for row in result.rows:
        if row.episodes is not None:
            eps = row.episodes
            console.print(f"episodes per arm: [bold]{eps.episodes_per_arm:,}[/]", highlight=False)
            for s in eps.schedule:
                steps = "none suffices" if s["steps"] is None else f"{s['steps']:,} steps"
                console.print(f"  {s['seeds']} seeds: {steps}", highlight=False)
        for note in row.notes[:3]:
            console.print(f"[yellow]note:[/] {row.label}: {note}", highlight=False)


__all__ = ["plan_command", "print_summary"]
