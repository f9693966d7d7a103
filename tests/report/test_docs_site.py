"""The docs site builds with warnings as errors, and its CLI reference comes from the app."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _gen_cli_docs() -> Any:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts/gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_lists_every_command_and_option() -> None:
    gen = _gen_cli_docs()
    page = gen.cli_reference()
    root = gen._root()
    ctx = root.context_class(root, info_name="measurand")
    names = root.list_commands(ctx)
    assert {"demo", "diagnose", "compare", "factors", "noise", "report"} <= set(names)
    for name in names:
        command = root.get_command(ctx, name)
        assert f"## `measurand {name}`" in page
        sub = command.context_class(command, info_name=name, parent=ctx)
        for param in command.get_params(sub):
            if param.name == "help" or param.param_type_name == "argument":
                continue
            assert f"`{param.opts[0]}`" in page, (name, param.opts)
    # flags read as flags, with their state, not as "<bool>" values
    assert "| `--pdf` | flag | off |" in page
    assert "<bool>" not in page


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        message = "mkdocs and mkdocs-material are in the dev extra"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    cli = (site / "cli" / "index.html").read_text()
    assert "measurand factors" in cli and "--pdf" in cli
    for page in ("index", "examples", "statistics", "reports", "factors", "compare"):
        path = site / (page + ".html" if page == "index" else f"{page}/index.html")
        assert path.is_file(), page
