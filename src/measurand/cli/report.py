"""``measurand report``: combine results folders into one self-contained HTML page."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from measurand.cli._app import app, console, help_text, reports_input_errors

HELP = """Combine results folders into one self-contained HTML page.

Each DIR is a folder that a measurand verb wrote (results.json, summary.md,
report.html), or a folder holding such folders (what `measurand demo`
writes). The page has a table of contents, each analysis's headline, its
figures and tables, and the command, versions and seed that made it;
plotly.js is inlined once, so the page opens with no network.

\b
Example:
  measurand demo --out measurand-demo --force
  measurand report measurand-demo/compare measurand-demo/factors \\
      --out team.html
"""


@app.command("report", help=help_text(HELP))
@reports_input_errors
def report_command(
    dirs: list[Path] = typer.Argument(..., metavar="DIR", help="Results folders to combine."),
    out: Path = typer.Option(..., "--out", "-o", help="HTML file to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    title: str = typer.Option("measurand report", "--title", help="Title of the page."),
) -> None:
    from measurand.report.combine import expand_folders, write_combined_report

    command = shlex.join(["measurand", *sys.argv[1:]]) if sys.argv[1:] else None
    path = write_combined_report(dirs, out, force=force, title=title, combined_by=command)
    folders = expand_folders(dirs)
    size = path.stat().st_size / 1e6
    console.print(
        f"combined {len(folders)} report(s) into [bold]{path}[/] ({size:.1f} MB)", soft_wrap=True
    )


__all__ = ["report_command"]
