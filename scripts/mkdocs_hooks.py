"""mkdocs hooks: the CLI reference page is generated from the typer app at build time, and
every verb page in ``docs/`` (``docs/<command>.md``) is listed under "Verbs" even before the
nav in ``mkdocs.yml`` names it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

_SCRIPTS = Path(__file__).resolve().parent
# Document the checkout being built, not whichever measurand happens to be installed.
_SRC = str(_SCRIPTS.parent / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)

CLI_PAGE = "cli.md"


def _gen_cli_docs() -> Any:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", _SCRIPTS / "gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_config(config: Any) -> Any:
    root = _gen_cli_docs()._root()
    commands = set(root.list_commands(root.context_class(root)))
    nav = config["nav"] or []
    listed = {_page(item) for item in _walk(nav)}
    verbs = next((item for item in nav if isinstance(item, dict) and "Verbs" in item), None)
    if verbs is not None:
        docs = Path(config["docs_dir"])
        for page in sorted(docs.glob("*.md")):
            if page.stem in commands and page.name not in listed:
                verbs["Verbs"].append({f"measurand {page.stem}": page.name})
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    content = _gen_cli_docs().cli_reference()
    files.append(File.generated(config, CLI_PAGE, content=content))
    return files


def _walk(nav: Any) -> list[Any]:
    items = []
    for item in nav:
        if isinstance(item, dict):
            for value in item.values():
                items += _walk(value) if isinstance(value, list) else [value]
        else:
            items.append(item)
    return items


def _page(item: Any) -> str:
    return item if isinstance(item, str) else ""
