"""Command-line interface: ``measurand <verb>``; each verb calls one workflow function.

Exit codes: 0 ok, 1 a verdict/litmus failure when asked for (``--fail-on``), 2 bad usage, input
or output, 3 an unexpected error (a bug; ``--debug`` shows its traceback).

Importing this package registers every verb but loads no numerics: each ``cli/<verb>.py``
imports its workflow inside the command, so ``measurand --help`` starts fast
(``bench/cli_startup.py``).
"""

from __future__ import annotations

import importlib
import sys

from measurand.cli._app import _STATE, EXIT_BUG, app, report_bug

# Each verb lives in its own module and registers itself on ``app`` when imported.
_COMMAND_MODULES = (
    "demo",
    "datasets",
    "diagnose",
    "compare",
    "factors",
    "noise",
    "report",
    "explorer",
    "simulate",
    "items",
    "plan",
    "irt",
)
for _name in _COMMAND_MODULES:
    importlib.import_module(f"measurand.cli.{_name}")


def main() -> None:
    """The ``measurand`` console script: ``--debug`` may stand anywhere on the command line."""
    args = sys.argv[1:]
    if "--debug" in args:
        _STATE["debug"] = True
        args = [arg for arg in args if arg != "--debug"]
    try:
        app(args=args, prog_name="measurand")
    except SystemExit:
        raise
    except Exception as exc:  # a command without the shared error handling, or typer itself
        report_bug(exc, _STATE["inputs"])
        sys.exit(EXIT_BUG)


__all__ = ["app", "main"]
