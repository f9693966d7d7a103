"""Every example in every ``--help`` text runs as printed on the data the package ships.

The examples are read from the typer app itself (each command's ``Example:``/``Examples:``
paragraph), so a new or changed example is tested without touching this file. Each command line
runs in one shared folder, in the order the commands are listed (``plan --from items-report``
reads what the ``items`` example wrote); ``$(measurand datasets NAME)`` is the only expansion,
and it must resolve to a shipped file. An example may state its exit code with a trailing
``# exit N`` comment; otherwise it must exit 0.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from measurand.cli import app

# ~100 s on a contended machine (the demo alone is ~45 s): in the default suite, marked slow.
pytestmark = pytest.mark.slow

#: Example lines that cannot run in a test, with the reason (matched by a substring).
NOT_RUN = {
    "measurand app ": "starts a server and waits (tests/report/test_app.py starts and ends one)",
    "--scheduler tcp://": "needs a running Dask cluster",
}

_DATASET = re.compile(r'"?\$\(measurand datasets ([A-Za-z0-9_]+)\)"?')
_EXIT = re.compile(r"#\s*exit\s+(\d+)")


def _walk(command: Any, path: list[str]) -> list[tuple[str, Any]]:
    found = [(" ".join(path), command)]
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        found += _walk(sub, [*path, name])
    return found


def _examples() -> list[tuple[str, str]]:
    """(command, example line) for every example line of every command's help."""
    import typer.main

    root = typer.main.get_command(app)
    out: list[tuple[str, str]] = []
    for name, command in _walk(root, []):
        for paragraph in re.split(r"\n\s*\n", command.help or ""):
            if "\b" not in paragraph:
                continue
            lines = paragraph.replace("\b", "").strip("\n").splitlines()
            if not lines or not re.match(r"\s*Examples?\b.*:\s*$", lines[0]):
                continue
            body = "\n".join(lines[1:]).replace("\\\n", " ")
            out += [(name or "measurand", line.strip()) for line in body.splitlines() if line]
    return out


EXAMPLES = _examples()


def test_every_command_with_an_example_is_found() -> None:
    commands = {name for name, _ in EXAMPLES}
    verbs = {"compare", "diagnose", "factors", "noise", "irt", "items", "plan", "simulate"}
    assert verbs | {"demo", "report", "datasets"} <= commands
    assert all(line.startswith(("measurand ", "open ")) for _, line in EXAMPLES)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples")


_DONE: set[str] = set()


def _expand(line: str, runner: CliRunner) -> str:
    def path(match: re.Match[str]) -> str:
        done = runner.invoke(app, ["datasets", match.group(1)])
        assert done.exit_code == 0, f"{match.group(0)} does not resolve: {done.output}"
        resolved = Path(done.output.strip())
        assert resolved.exists(), resolved
        return shlex.quote(str(resolved))

    return _DATASET.sub(path, line)


@pytest.mark.parametrize(
    ("command", "line"), EXAMPLES, ids=[f"{c}:{i}" for i, (c, _) in enumerate(EXAMPLES)]
)
def test_help_example_runs_as_printed(
    command: str, line: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not line.startswith("measurand "):
        pytest.skip("not a measurand command")
    for marker, reason in NOT_RUN.items():
        if marker in line:
            pytest.skip(reason)
    if line in _DONE:  # the same line in several commands' help (e.g. `measurand demo`)
        return
    expected = _EXIT.search(line)
    runner = CliRunner()
    argv = shlex.split(_expand(line, runner), comments=True)
    assert argv[0] == "measurand"
    monkeypatch.chdir(workdir)
    done = runner.invoke(app, argv[1:])
    want = int(expected.group(1)) if expected else 0
    assert done.exit_code == want, f"{line}\n{done.output[-3000:]}\n{done.exception!r}"
    _DONE.add(line)
