"""The typer application and the conventions every command shares."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from measurand.errors import InputError, NoSolutionError

app = typer.Typer(
    name="measurand",
    help="Statistically sound conclusions from machine-learning experiments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
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


def parse_formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in {"json", "md", "html"}]
    if bad or not formats:
        raise InputError(f"--format takes json, md, html (comma-separated); got {text!r}")
    return formats
