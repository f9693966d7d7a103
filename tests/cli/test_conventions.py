"""What every command shares: exit codes, one-line errors, help that reads like click's."""

from __future__ import annotations

import errno
import io
import re
import shlex
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from measurand import datasets
from measurand.cli import app, main

VERBS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
TABLE_ARGS = ["--metric", "correct_rate", "--resamples", "50", "--permutations", "50"]


def invoke(*args: object, **kwargs):
    return CliRunner().invoke(app, [str(a) for a in args], **kwargs)


def boom(*args, **kwargs):
    raise ZeroDivisionError("an internal slip")


def test_an_uncaught_exception_is_exit_3_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("measurand.compare.workflow.run_compare", boom)
    result = invoke("compare", datasets.synthetic_campaign(), *TABLE_ARGS)
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.strip()]
    text = " ".join(result.output.split())
    assert "internal error" in text and "ZeroDivisionError: an internal slip" in text
    assert "synthetic_campaign" in text and "report it" in text and "--debug" in text
    assert "Traceback" not in result.output
    assert len(" ".join(lines)) < 600


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("measurand.compare.workflow.run_compare", boom)
    argv = ["measurand", "compare", str(datasets.synthetic_campaign()), *TABLE_ARGS, "--debug"]
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.setitem(__import__("measurand.cli._app").cli._app._STATE, "debug", False)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err


def test_an_os_error_is_exit_2_naming_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/data/secret.csv")

    monkeypatch.setattr("measurand.compare.workflow.run_compare", denied)
    result = invoke("compare", datasets.synthetic_campaign(), *TABLE_ARGS)
    assert result.exit_code == 2
    assert "/data/secret.csv: Permission denied" in " ".join(result.output.split())


@pytest.mark.parametrize("command", [[], *([verb] for verb in VERBS)], ids=lambda c: " ".join(c))
def test_help_reads_like_click(command: list[str]) -> None:
    result = invoke(*command, "--help", terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0
    text = result.output
    assert "<bool>" not in text and "<str>" not in text and "list[" not in text
    assert "[[" not in text and "{" not in text.splitlines()[0]
    assert "…" not in text  # nothing truncated
    if "Commands:" in text:
        assert "..." not in text.split("Commands:")[1]
    assert text.startswith("Usage: measurand")


@pytest.mark.parametrize("flag", ["--confidence", "--alpha", "--power"])
def test_probability_options_say_and_mean_open_interval(flag: str) -> None:
    users = [v for v in VERBS if flag in invoke(v, "--help").output]
    assert users, flag
    for verb in users:
        text = " ".join(invoke(verb, "--help").output.split())
        assert "0<x<1" in text and "0.0<=x<=1.0" not in text
        result = invoke(verb, "whatever", flag, "1")
        assert result.exit_code == 2 and "strictly between 0 and 1" in result.output


def test_demo_help_examples_run_as_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = invoke("demo", "--help").output
    commands = [line.strip() for line in text.splitlines() if line.strip().startswith("measurand ")]
    assert commands
    for line in commands:
        args = [*shlex.split(line)[1:], "--resamples", "20"]
        result = invoke(*args)
        assert result.exit_code == 0, result.output
    assert (tmp_path / "measurand-demo" / "diagnose" / "report.html").exists()


def test_version_has_one_source() -> None:
    from measurand import __version__
    from measurand._version import __version__ as written

    assert __version__ == written
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)
    assert invoke("--version").output.strip() == f"measurand {__version__}"


def test_the_cli_imports_no_numerics_until_a_verb_runs() -> None:
    """What keeps `measurand --help` fast (timed in bench/cli_startup.py, not here)."""
    import subprocess
    import sys

    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import sys, measurand, measurand.cli;"
        "print(' '.join(m for m in ('numpy', 'scipy', 'polars', 'plotly', 'matplotlib', 'torch')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(src), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""


def test_input_nested_too_deeply_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("measurand.compare.workflow.run_compare", deep)
    result = invoke("compare", datasets.synthetic_campaign(), *TABLE_ARGS)
    assert result.exit_code == 2
    assert "nested too deeply" in result.output and "synthetic_campaign" in result.output


def test_long_names_shorten_instead_of_wrapping_rows() -> None:
    from rich.console import Console

    from measurand.cli._app import summary_table

    table = summary_table(
        "t", ["metric", "n", "Δ", "95% CI", "p"], text=["metric"], wrap=["95% CI"]
    )
    long_name = "acc / lm_eval/mmlu_pro_computer_science_and_engineering"
    table.add_row(long_name, "4/4", "0.02758", "[-0.7928, 0.7789]", "0.9714")
    table.add_row("acc / arc", "4/4", "0.3394", "[-0.4162, 1.046]", "0.5143")
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(table)
    rows = [line for line in console.export_text().splitlines() if "4/4" in line]
    assert len(rows) == 2 and "…" in rows[0] and "[-0.7928, 0.7789]" in rows[0]
    wide = Console(width=200, record=True, file=io.StringIO())
    wide.print(table)
    assert long_name in wide.export_text()
