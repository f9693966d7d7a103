"""``measurand app``: start the marimo explorer on this machine's loopback interface.

(The module is not named ``app``: that would shadow the typer ``app`` of ``measurand.cli``.)
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import typer

from measurand.cli._app import app, console, help_text, reports_input_errors
from measurand.errors import InputError

HELP = """Explore a results folder or a table in a reactive app (marimo) in the browser.

PATH is a folder that `measurand factors` or `measurand compare` wrote (the
app starts from its input and settings), a wide matrix (one row per model or
run, one column per metric: factors) or a long table of runs (condition,
seed, step, value columns: compare). For factors, choose the columns, k, the
method and rotation and watch the scree plot, loadings and leaderboard
update; for compare, choose the conditions, metric and window and watch the
curves and verdicts update. The server listens on 127.0.0.1 only; Ctrl-C
stops it. Needs the app extra: pip install "measurand\\[app]".

\b
Example:
  measurand demo --out measurand-demo --force
  measurand app measurand-demo/factors --port 2718
"""

HOST = "127.0.0.1"


def app_server_command(path: Path | None, port: int) -> list[str]:
    """The command that serves the notebook on loopback (``marimo run``, headless)."""
    from measurand.app import NOTEBOOK

    command = [sys.executable, "-m", "marimo", "run", str(NOTEBOOK)]
    command += ["--host", HOST, "--port", str(port), "--headless", "--no-token"]
    if path is not None:
        command += ["--", "--path", str(path.resolve())]
    return command


@app.command("app", help=help_text(HELP))
@reports_input_errors
def app_command(
    path: Path = typer.Argument(
        None, metavar="PATH", help="Results folder or table to explore.", show_default=False
    ),
    port: int = typer.Option(2718, "--port", min=1, max=65535, help="Port on 127.0.0.1."),
) -> None:
    if importlib.util.find_spec("marimo") is None:
        raise InputError("measurand app needs marimo, the app extra: pip install marimo")
    if path is not None:
        from measurand.app.explore import resolve_start

        resolve_start(path)  # a bad PATH is refused here, before a server starts
    console.print(f"measurand app on [bold]http://{HOST}:{port}[/] (Ctrl-C stops it)")
    server = subprocess.Popen(app_server_command(path, port))
    try:
        code = server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        raise
    if code != 0:
        raise typer.Exit(code)


__all__ = ["app_command", "app_server_command"]
