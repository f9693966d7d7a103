"""The typer application and the conventions every command shares.

Exit codes: 0 ok; 1 a verdict/litmus failure the user asked to fail on (``--fail-on``); 2 bad
usage, bad input or an output that cannot be written (one line naming the file); 3 a bug in
measurand (one line naming the input and how to report it; ``--debug`` shows the traceback).

Help follows the conventions users know from git and click: plain text wrapped to the terminal,
``--force`` (not ``--force <bool>``), ``--out PATH``, usage lines such as
``measurand noise [OPTIONS] [SWEEP] [NOISE]``. See :func:`_conventional_help`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

try:  # typer >= 0.2x ships its own click as typer._click (and no longer depends on click)
    from typer import _click as click
except ImportError:  # older typer runs on the click package
    import click
import typer
import typer.core
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from measurand.errors import InputError, NoSolutionError

EXIT_OK = 0
EXIT_FAILED = 1  # a verdict or litmus failure the user asked to fail on (--fail-on)
EXIT_USAGE = 2  # bad usage, bad input, or an output that cannot be written
EXIT_BUG = 3  # an uncaught exception: a defect in measurand, never the user's fault


# `--debug` anywhere on the command line (or MEASURAND_DEBUG=1) shows tracebacks.
_STATE: dict[str, Any] = {"debug": bool(os.environ.get("MEASURAND_DEBUG")), "inputs": ()}

_TYPE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN"}


def _conventional_metavar(param: Any, ctx: click.Context) -> str | None:
    """``PATH``, ``INTEGER``, ``TEXT``... for an option's value; nothing for a flag.

    typer 0.29 prints ``<bool>`` after every flag and ``<list[str]>`` after repeatable options;
    users know click's and git's conventions (``--force``, ``--out PATH``).
    """
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    if param.metavar is not None:
        return param.metavar
    label = typer.core._TyperParameter.display_type(param, ctx).strip("<>")  # type: ignore[attr-defined]
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    label = label.removesuffix(" range")
    if label in ("path", "file", "directory"):
        return "PATH"
    if "|" in label:
        return f"[{label}]"
    return _TYPE_NAMES.get(label, label.upper())


def _argument_name(self: Any) -> str:
    # A metavar written as "[SWEEP]" would print as "[[SWEEP]]" in the usage line.
    return self.display_name_raw.strip("[]{}").upper()


def _argument_usage(self: Any) -> str:
    name = _argument_name(self)
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def _conventional_help() -> None:
    """Make typer's help read like click's (see the module docstring); applied once at import."""
    typer.core.TyperOption.display_type_rich = lambda self, ctx: (
        (  # type: ignore[method-assign]
            (_conventional_metavar(self, ctx) or "")
            + ("..." if self.nargs != 1 and not self.is_flag else "")
        )
        or None
    )
    typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    typer.core.TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
    typer.core.TyperArgument._rich_display_name = _argument_name  # type: ignore[method-assign]
    # The command list of `measurand --help` shows each command's first sentence in full
    # (wrapped), not cut at 45 characters with "...".
    full_sentence = click.Command.get_short_help_str
    typer.core.TyperCommand.get_short_help_str = (  # type: ignore[method-assign]
        lambda self, limit=45: full_sentence(self, limit=300)
    )


if hasattr(typer.core, "_TyperParameter") and hasattr(typer.core, "TyperArgument"):
    _conventional_help()


app = typer.Typer(
    name="measurand",
    help="Statistically sound conclusions from machine-learning experiments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, wrapped by click to the terminal: rich panels truncate long option names
    # and squeeze the help column at 80 characters.
    rich_markup_mode=None,
    context_settings={"max_content_width": 100},
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
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback of an unexpected error (exit code 3)."
    ),
) -> None:
    """Statistically sound conclusions from machine-learning experiments."""
    if debug:
        _STATE["debug"] = True


console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

# Keyword arguments of a command that name outputs, not inputs.
_OUTPUT_PARAMETERS = {"out", "export_pool", "pdf", "output"}


def _input_paths(kwargs: dict[str, Any]) -> tuple[Path, ...]:
    paths = []
    for name, value in kwargs.items():
        if name in _OUTPUT_PARAMETERS:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        paths += [v for v in values if isinstance(v, Path)]
    return tuple(paths)


def _error_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def report_bug(exc: BaseException, inputs: Sequence[Path] = ()) -> None:
    """One line for an unexpected exception (exit code 3), or its traceback under --debug."""
    if _STATE["debug"]:
        import traceback

        traceback.print_exception(exc)
    where = f" while processing {', '.join(str(p) for p in inputs)}" if inputs else ""
    hint = "" if _STATE["debug"] else " (rerun with --debug for the traceback)"
    err_console.print(
        f"[bold red]internal error[/]{where}: {type(exc).__name__}: {_error_line(exc)}. "
        "This is a bug in measurand, not in your input; please report it to the measurand "
        f"developers with the command line and the measurand version{hint}.",
        highlight=False,
        soft_wrap=True,
        markup=True,
    )


def _release_outputs() -> None:
    # io.output is imported only by commands that write; nothing to release otherwise.
    output = sys.modules.get("measurand.io.output")
    if output is not None:
        output.release_claims()


def reports_input_errors(func: F) -> F:
    """Map every failure of a command to its exit code and a one-line message on stderr.

    measurand's input and output errors exit 2 naming the file; an operating-system error
    (a file that cannot be read or written) exits 2 naming the path; anything else is a bug:
    exit 3 with one line naming the input (``--debug``: the traceback). Output folders claimed
    by the command are released, so a failed run leaves nothing behind.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        inputs = _input_paths(kwargs)
        _STATE["inputs"] = inputs
        try:
            return func(*args, **kwargs)
        except (InputError, NoSolutionError) as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(EXIT_USAGE) from None
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing was written")
            sys.exit(130)
        except RecursionError as exc:  # deeply nested input: an input problem, not a crash
            where = ", ".join(str(p) for p in inputs) or "the input"
            err_console.print(
                f"[bold red]error:[/] {where}: nested too deeply to process ({_error_line(exc)})",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_USAGE) from None
        except OSError as exc:
            if _STATE["debug"]:
                import traceback

                traceback.print_exception(exc)
            path = exc.filename or ", ".join(str(p) for p in inputs) or "a file"
            reason = exc.strerror or _error_line(exc)
            err_console.print(
                f"[bold red]error:[/] {path}: {reason}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as exc:
            report_bug(exc, inputs)
            raise typer.Exit(EXIT_BUG) from None
        finally:
            _release_outputs()
            _STATE["inputs"] = ()

    return wrapper  # type: ignore[return-value]


OutOption = typer.Option(..., "--out", "-o", help="Report folder to write (refused if not empty).")
ForceOption = typer.Option(
    False, "--force", help="Replace an existing report folder that measurand wrote."
)
SeedOption = typer.Option(0, "--seed", help="Seed for every random procedure.")
FormatOption = typer.Option(
    "json,md,html", "--format", help="Comma-separated outputs to write: json, md, html."
)


def probability_option(flag: str, default: float, help: str) -> Any:
    """An option holding a level, alpha or power: strictly between 0 and 1.

    The help shows ``0<x<1`` and 0 and 1 are refused while parsing (exit 2, naming ``flag``);
    every command's ``--confidence``, ``--alpha`` and ``--power`` use this one definition.
    (typer's ``min=0, max=1`` would print ``0.0<=x<=1.0``, which promises the ends.)
    """
    return typer.Option(
        default, flag, callback=_open_unit_interval, help=f"{help}  [0<x<1]", show_default=True
    )


def _open_unit_interval(value: float | None) -> float | None:
    if value is not None and not 0.0 < value < 1.0:
        raise typer.BadParameter(f"must lie strictly between 0 and 1, got {value:g}")
    return value


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


def prepare_out(out: Path | None, *, force: bool, inputs: Sequence[Path] | None = None) -> None:
    """Check and claim ``--out`` before any work is done (see ``io.output.claim_output_dir``).

    Refuses ``--force`` without ``--out``, a non-empty ``--out`` without ``--force``, a folder
    measurand did not write, the current or home folder, an ancestor of an input (by default
    the command's path arguments), an unwritable location, and a folder another run is
    writing; the claim is released when the command ends (written or not).
    """
    from measurand.io.output import claim_output_dir

    if out is None:
        if force:
            raise InputError("--force needs --out")
        return
    claim = claim_output_dir(
        out, force=force, inputs=_STATE["inputs"] if inputs is None else inputs
    )
    print_warnings(claim.notes)


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


class _SummaryTable(Table):
    """A table that, when too wide for the terminal, shortens its text columns (with "…")
    before anything else, so that every row stays on one line and no number is cut."""

    def __rich_console__(self, console: Any, options: Any) -> Any:
        natural = [
            max([len(str(column.header)), *(len(str(cell)) for cell in column._cells)])
            for column in self.columns
        ]
        # Two spaces between columns and one at each edge (the box draws no lines there).
        excess = sum(natural) + 2 * (len(natural) - 1) + 2 - options.max_width
        text_columns = [
            j for j, c in enumerate(self.columns) if c.no_wrap and c.overflow == "ellipsis"
        ]
        for j in sorted(text_columns, key=lambda j: -natural[j]):
            column = self.columns[j]
            column.max_width = None
            if excess > 0:
                cut = min(excess, natural[j] - MIN_NAME_WIDTH)
                if cut > 0:
                    column.max_width = natural[j] - cut
                    excess -= cut
        yield from super().__rich_console__(console, options)


MIN_NAME_WIDTH = 12


def summary_table(
    title: str, headers: Sequence[str], *, text: Collection[str] = (), wrap: Collection[str] = ()
) -> Table:
    """A terminal summary table with columns readable at 80 characters.

    Columns in ``text`` (names, flags) are left-aligned and kept on one line: when the terminal
    is too narrow for a long name it ends in "…" (the report, and the lines under the table,
    hold it in full) instead of folding the row into several lines. Columns in ``wrap``
    (intervals) are right-aligned and may break at their spaces; every other column is a
    number, right-aligned and never broken inside.
    """
    table = _SummaryTable(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in headers:
        if name in text:
            table.add_column(name, no_wrap=True, overflow="ellipsis")
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


def parse_word_or_number(
    option: str,
    text: str,
    *,
    word: str,
    word_value: Any,
    kind: Callable[[str], Any],
    takes: str,
    check: Callable[[Any], bool],
    must: str,
) -> Any:
    """``word`` (any case; returned as ``word_value``) or a number of ``kind`` that passes
    ``check``: "--dims takes a positive integer or 'auto', got 'x'" and "--dims must be at
    least 1, got 0" are ``takes`` and ``must``."""
    if text.strip().lower() == word:
        return word_value
    try:
        value = kind(text)
    except ValueError:
        raise InputError(f"{option} takes {takes}, got {text!r}") from None
    if not check(value):
        raise InputError(f"{option} must {must}, got {value}")
    return value


def parse_count_or_auto(option: str, text: str) -> int | None:
    """A positive integer, or None for 'auto'."""
    return parse_word_or_number(
        option, text, word="auto", word_value=None, kind=int,
        takes="a positive integer or 'auto'", check=lambda v: v >= 1, must="be at least 1",
    )  # fmt: skip


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
