"""The worked examples of the docs site run as printed, on the data the package ships."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> str:
    text = (ROOT / "docs" / "examples.md").read_text()
    return "\n".join(re.findall(r"```bash\n(.*?)```", text, flags=re.S))


@pytest.mark.slow
def test_examples_page_runs_as_printed(tmp_path: Path) -> None:
    script = _commands()
    assert script.count("measurand ") >= 5  # one per verb and the combined report
    bindir = Path(sys.executable).parent
    if shutil.which("measurand", path=str(bindir)) is None:
        pytest.skip("the measurand command is not installed next to this python")
    src = str(ROOT / "src")
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for folder in ("atari", "obsscaling", "atari-noise", "diag"):
        assert (tmp_path / folder / "results.json").is_file(), folder
    assert (tmp_path / "obsscaling" / "factors_loadings.pdf").is_file()
    assert (tmp_path / "team.html").stat().st_size < 6_000_000


#: Verb pages whose ```bash blocks run as printed on shipped data, with the exit code of the
#: last command (``items`` exits 1: the page shows its --fail-on gate catching a WORSE model).
VERB_PAGES = {
    "compare.md": 0,
    "diagnose.md": 0,
    "factors.md": 0,
    "irt.md": 0,
    "items.md": 1,
    "noise.md": 0,
}


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(VERB_PAGES))
def test_verb_page_commands_run_as_printed(page: str, tmp_path: Path) -> None:
    text = (ROOT / "docs" / page).read_text()
    script = "\n".join(re.findall(r"```bash\n(.*?)```", text, flags=re.S))
    assert script.count("measurand ") >= 1
    bindir = Path(sys.executable).parent
    if shutil.which("measurand", path=str(bindir)) is None:
        pytest.skip("the measurand command is not installed next to this python")
    src = str(ROOT / "src")
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
    }
    # every command but the last must succeed (-e); the last one's code is the page's
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == VERB_PAGES[page], done.stdout[-3000:] + done.stderr[-3000:]
    assert any((tmp_path / p / "results.json").is_file() for p in os.listdir(tmp_path))
