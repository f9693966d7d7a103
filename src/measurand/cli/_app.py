"""The typer application and the conventions every command shares."""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from measurand.errors import InputError, NoSolutionError

app = typer.Typer(
    name="measurand",
    help="Statistically sound conclusions from machine-learning experiments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from measurand import __version__

        typer.echo(f"measurand {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Statistically sound conclusions from machine-learning experiments."""


console = Console()
err_console = Console(stderr=True)

EXIT_OK = 0
EXIT_FAILED = 1  # a verdict or litmus failure the user asked to fail on (--fail-on)
EXIT_USAGE = 2  # bad usage or bad input

F = TypeVar("F", bound=Callable[..., Any])


def reports_input_errors(func: F) -> F:
    """Turn measurand's input errors into a one-line message on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (InputError, NoSolutionError) as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing was written")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


OutOption = typer.Option(..., "--out", "-o", help="Report folder to write (refused if not empty).")
ForceOption = typer.Option(False, "--force", help="Overwrite a non-empty --out folder.")
SeedOption = typer.Option(0, "--seed", help="Seed for every random procedure.")
FormatOption = typer.Option(
    "json,md,html", "--format", help="Comma-separated outputs to write: json, md, html."
)


def help_text(text: str) -> str:
    """A command's help with each paragraph on one line, so that the terminal wraps it.

    Typer's rich help keeps the single line breaks of every paragraph after the first, which
    leaves ragged lines on a narrow terminal. Paragraphs that start with ``\\b`` (examples,
    lists) keep their lines as written.
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


@contextlib.contextmanager
def working(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner showing ``message``; yields the ``progress`` callback that updates it."""
    with console.status(f"{message}…") as status:
        yield lambda text: status.update(f"{text}…")


def prepare_out(out: Path | None, *, force: bool) -> None:
    """Refuse ``--force`` without ``--out`` and a non-empty ``--out`` without ``--force``,
    before any work is done."""
    from measurand.io.output import check_output_dir

    if out is None:
        if force:
            raise InputError("--force needs --out")
        return
    check_output_dir(out, force=force)


def print_written(out: Path, written: dict[str, str]) -> None:
    names = ", ".join(Path(p).name for p in written.values())
    console.print(f"report written to [bold]{out}[/] ({names})", soft_wrap=True)


def print_more(total: int, shown: int, what: str) -> None:
    """The line under a truncated listing: how many more rows the report holds."""
    if total > shown:
        console.print(f"[dim]… {total - shown} more {what} in the report[/]")


def print_warnings(warnings: Sequence[str], limit: int = 10) -> None:
    for warning in warnings[:limit]:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    print_more(len(warnings), limit, "warnings")


def summary_table(
    title: str, headers: Sequence[str], *, text: Collection[str] = (), wrap: Collection[str] = ()
) -> Table:
    """A terminal summary table with columns readable at 80 characters.

    Columns in ``text`` (names, flags) are left-aligned and fold long values onto more lines;
    columns in ``wrap`` (intervals) are right-aligned and may break at their spaces; every
    other column is a number, right-aligned and never broken inside.
    """
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in headers:
        if name in text:
            table.add_column(name, overflow="fold")
        else:
            table.add_column(name, justify="right", no_wrap=name not in wrap)
    return table


def split_list(option: str, text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; an empty list is refused."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise InputError(f"{option} takes a comma-separated list, got {text!r}")
    return items


def parse_formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.lower() for f in split_list("--format", text))
    bad = [f for f in formats if f not in {"json", "md", "html"}]
    if bad:
        raise InputError(f"--format takes json, md, html (comma-separated); got {text!r}")
    return formats


def check_probability(option: str, value: float) -> None:
    """Refuse a level, alpha or power outside (0, 1), naming the option."""
    if not 0.0 < value < 1.0:
        raise InputError(f"{option} must lie strictly between 0 and 1, got {value:g}")


def _table_columns(path: Path) -> list[str]:
    """Column names of a table file, best effort (for error messages only)."""
    import polars as pl

    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pl.scan_parquet(path).collect_schema().names()
        if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
            return pl.scan_ndjson(path).collect_schema().names()
        separator = "\t" if ".tsv" in name else ","
        return pl.scan_csv(path, separator=separator, infer_schema=False).collect_schema().names()
    except Exception:  # only used to enrich an error message
        return []


def read_long_table(
    path: Path,
    *,
    condition_col: str | None,
    seed_col: str | None,
    value_col: str | Sequence[str] | None,
    task_col: str | None = None,
    step_col: str | None = None,
    metric_col: str | None = None,
) -> Any:
    """Read a long table (one row per run, step and metric) from the column options.

    A missing required option is named together with the file's columns.
    """
    from measurand.io.table import read_table

    given = {"--condition-col": condition_col, "--seed-col": seed_col, "--value-col": value_col}
    missing = [option for option, value in given.items() if not value]
    if missing:
        columns = _table_columns(path) if path.is_file() else []
        listing = f" Its columns: {', '.join(columns)}." if columns else ""
        raise InputError(
            f"a table needs {', '.join(missing)} (and optionally --task-col, --step-col) to "
            f"say which columns hold the condition, the seed/run and the value(s).{listing}",
            source=str(path),
        )
    if not isinstance(value_col, str):
        value_col = list(value_col) if len(value_col) > 1 else value_col[0]
    return read_table(
        path,
        condition=condition_col,
        seed=seed_col,
        value=value_col,
        task=task_col,
        step=step_col,
        metric=metric_col,
    )
