"""``measurand diagnose``: does a per-example signal predict correctness?"""

from __future__ import annotations

import re
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
    parse_formats,
    prepare_out,
    print_warnings,
    print_written,
    probability_option,
    reports_input_errors,
    summary_table,
    working,
)
from measurand.errors import InputError
from measurand.report.format import pvalue

if TYPE_CHECKING:  # the workflow (numpy, scipy) loads when the command runs, not for --help
    from measurand.diagnose.workflow import DiagnoseResult

_NAMED_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=(?!=)(.*)$", re.DOTALL)

HELP = """Does a per-example signal predict correctness?

Reads named arrays (.npz, Parquet or CSV; first axis = examples), derives each --signal, and
reports the AUC (DeLong and bootstrap CIs), medians per class, a threshold with the 2x2
settled/correct cells and exact bounds, the cells under every signal, and optionally a paired
comparison with a second label array. Writes results.json, summary.md and report.html to --out.

\b
Example (the synthetic diagnostics measurand ships):
  measurand diagnose "$(measurand datasets diagnose_example)" \\
      --label exact_correct \\
      --signal 'lam1=lyap_spec[:, 0]' \\
      --signal 'zH=drift_zH|last:4|mean|log10:1e-12' \\
      --signal 'both=norm(drift_zH|last:4|mean, drift_zL|last:4|mean)' \\
      --primary zH --out diag-report

\b
Signal specs (no eval): NAME or NAME[:, i] selects an array or a column;
steps follow '|':
  last:k / first:k (steps), mean / median / min / max / sum (over steps),
  log10[:floor] / log[:floor] (clip at floor first), abs, neg;
  a leading '-' negates; norm(a, b, ...) is sqrt(a^2 + b^2 + ...).
  Name a signal with NAME=SPEC.
"""


def parse_named_specs(specs: list[str]) -> dict[str, str]:
    """``["zH=drift_zH|mean", "lyap_spec[:, 0]"]`` -> ``{"zH": ..., "lyap_spec[:, 0]": ...}``."""
    from measurand.diagnose.signals import parse_signal

    named: dict[str, str] = {}
    for text in specs:
        match = _NAMED_SPEC.match(text)
        if match:
            name, spec = match.group(1), match.group(2).strip()
        else:
            spec = text.strip()
            name = str(parse_signal(spec))
        if name in named:
            raise InputError(f"--signal name {name!r} is given twice; name each signal once")
        named[name] = spec
    return named


def load_paired_label(
    arrays: dict[str, Any], value: str, input_path: Path
) -> tuple[dict[str, Any], str]:
    """``NAME`` (in the input) or ``PATH:NAME`` (another file): returns arrays and the key."""
    if value in arrays:
        return arrays, value
    path_text, sep, name = value.rpartition(":")
    if sep and path_text and Path(path_text).suffix:
        from measurand.io.arrays import read_arrays

        other = read_arrays(path_text)
        if name not in other:
            raise InputError(
                f"--paired-label: array {name!r} not found; available: {', '.join(sorted(other))}",
                source=path_text,
            )
        key = f"{Path(path_text).name}:{name}"
        return {**arrays, key: other[name]}, key
    available = ", ".join(sorted(arrays))
    raise InputError(
        f"--paired-label: array {value!r} not found in the input; available arrays: "
        f"{available} (or give another file as PATH:NAME)",
        source=str(input_path),
    )


@app.command("diagnose", help=help_text(HELP), no_args_is_help=True)
@reports_input_errors
def diagnose_command(
    input_path: Path = typer.Argument(
        ...,
        metavar="INPUT",
        help="A .npz, .parquet or .csv file of named arrays.",
        show_default=False,
    ),
    label: str = typer.Option(
        ..., "--label", "-l", help="Binary label array: 1/true = correct.", show_default=False
    ),
    signal: list[str] = typer.Option(
        ...,
        "--signal",
        "-s",
        help="Signal spec, repeatable; NAME=SPEC names it (e.g. 'zH=drift_zH|last:4|mean').",
        show_default=False,
    ),
    out: Path = OutOption,
    primary: str = typer.Option(
        None, "--primary", help="Signal for the cells and histogram (default: the first)."
    ),
    threshold: str = typer.Option(
        "otsu", "--threshold", help="'otsu', 'percentile:Q' or a number (use --threshold=-2.5)."
    ),
    resamples: int = typer.Option(10_000, "--resamples", min=1, help="Bootstrap resamples."),
    confidence: float = probability_option(
        "--confidence", 0.95, "Confidence level of every interval."
    ),
    bootstrap_method: str = typer.Option(
        "percentile", "--bootstrap-method", help="Bootstrap interval: 'percentile' or 'bca'."
    ),
    stratified: bool = typer.Option(
        False, "--stratified", help="Resample within each class (keeps class sizes)."
    ),
    nan: str = typer.Option(
        "drop", "--nan", help="Non-finite signal values: 'drop' the examples or 'raise'."
    ),
    paired_label: str = typer.Option(
        None,
        "--paired-label",
        help="Second label array on the same examples: NAME, or PATH:NAME in another file.",
    ),
    force: bool = ForceOption,
    seed: int = SeedOption,
    fmt: str = FormatOption,
    pdf: bool = typer.Option(False, "--pdf", help="Also write the main figures as paper PDFs."),
) -> None:
    from measurand.report import write_report
    from measurand.report.diagnose import diagnose_report

    formats = parse_formats(fmt)
    if nan not in ("drop", "raise"):
        raise InputError(f"--nan takes 'drop' or 'raise', got {nan!r}")
    if bootstrap_method not in ("percentile", "bca"):
        raise InputError(
            f"--bootstrap-method takes 'percentile' or 'bca', got {bootstrap_method!r}"
        )
    check_probability("--confidence", confidence)
    prepare_out(out, force=force)
    specs = parse_named_specs(signal)

    with working("reading input") as progress:
        from measurand.diagnose.workflow import diagnose
        from measurand.io.arrays import read_arrays

        arrays = read_arrays(input_path)
        paired_key = None
        if paired_label is not None:
            arrays, paired_key = load_paired_label(arrays, paired_label, input_path)
        try:
            result = diagnose(
                arrays,
                label=label,
                signals=specs,
                primary=primary,
                threshold=threshold,
                nan_policy=nan,
                n_resamples=resamples,
                confidence_level=confidence,
                bootstrap_method=bootstrap_method,
                stratified=stratified,
                paired_label=paired_key,
                seed=seed,
                progress=progress,
            )
        except InputError as exc:
            # The workflow sees arrays, not files: the message names the file it came from.
            if exc.source is None:
                exc.source = str(input_path)
            raise
        if result.n_correct == 0 or result.n_wrong == 0:
            only = "correct" if result.n_wrong == 0 else "wrong"
            raise InputError(
                f"label {result.label!r} has only {only} examples ({result.n_correct} correct, "
                f"{result.n_wrong} wrong): the AUC is undefined and there is nothing to "
                "diagnose; check --label",
                source=str(input_path),
            )
        progress("writing report")
        report = diagnose_report(result, source=str(input_path))
        from measurand.report.pdf import paper_files

        written = write_report(
            out,
            report,
            result.to_dict(),
            force=force,
            formats=formats,
            extra_files=paper_files("diagnose", result, pdf),
        )

    print_summary(result)
    print_written(out, written)


def print_summary(result: DiagnoseResult) -> None:
    """A rich table per signal: AUC with CI, medians, threshold and the 2x2 counts."""
    from measurand.diagnose.workflow import CELL_NAMES

    level = f"{100 * result.settings.confidence_level:g}%"
    console.print(
        f"[bold]{result.n_examples:,}[/] examples: {result.n_correct:,} correct, "
        f"{result.n_wrong:,} wrong (accuracy {100 * result.accuracy:.2f}%)"
    )
    auc = f"AUC [{level} CI]"
    table = summary_table(
        f"diagnose: label [bold]{result.label}[/]",
        ["signal", auc, "τ", *CELL_NAMES, "B/wrong"],
        text=("signal",),
        wrap=(auc,),
    )
    for entry, cells in zip(result.auc, result.robustness, strict=True):
        marker = " *" if entry.signal == result.primary else ""
        table.add_row(
            f"{entry.signal}{marker}",
            _auc_text(entry),
            f"{cells.threshold:.3g}",
            *(f"{cells[name].count:,}" for name in CELL_NAMES),
            _share_text(cells["B"].of_class),
        )
    console.print(table)
    console.print(
        "[dim]AUC: P(signal of a correct example > of a wrong one); below 0.5, low values go "
        "with correct. Cells: settled = signal < τ; A settled & correct, "
        "B settled & wrong, C unsettled & correct, D unsettled & wrong. * primary.[/]"
    )
    if result.paired is not None:
        p = result.paired
        console.print(
            f"paired: {p.label} − {p.paired_label} accuracy {100 * p.difference:+.2f} pp "
            f"[{100 * p.difference_ci.low:+.2f}, {100 * p.difference_ci.high:+.2f}], "
            f"McNemar p = {pvalue(p.mcnemar_pvalue)}"
        )
    print_warnings(result.warnings)


def _auc_text(entry) -> str:
    if entry.auc != entry.auc:
        return "–"
    ci = entry.bootstrap_ci or entry.delong_ci
    if ci is None or ci.low != ci.low:
        return f"{entry.auc:.3f}"
    return f"{entry.auc:.3f} [{ci.low:.3f}, {ci.high:.3f}]"


def _share_text(fraction) -> str:
    if fraction.n == 0:
        return "–"
    if fraction.k == 0 and fraction.upper_bound is not None:
        return f"0 (≤ {100 * fraction.upper_bound:.2f}%)"
    return f"{100 * fraction.estimate:.2f}%"


__all__ = ["diagnose_command", "load_paired_label", "parse_named_specs", "print_summary"]
