"""Command-line interface: ``measurand <verb>``; each verb calls one workflow function.

Exit codes: 0 ok, 1 a verdict/litmus failure when asked for (``--fail-on``), 2 bad usage or input.
"""

from __future__ import annotations

import importlib

from measurand.cli._app import app

# Each verb lives in its own module and registers itself on ``app`` when imported.
_COMMAND_MODULES = ("demo", "diagnose", "compare", "factors", "noise", "irt")
for _name in _COMMAND_MODULES:
    importlib.import_module(f"measurand.cli.{_name}")


def main() -> None:
    app()


__all__ = ["app", "main"]
