"""The README's Layers rule, checked on every import of every module in ``src/measurand``.

An import may only point down this list (same-layer imports inside one package are fine):

0. base: ``measurand`` itself, ``_result``, ``errors``, ``_compat``, ``_version``
1. numerics: ``stats``, ``latent``, ``games``: nothing above
2. ``io``, ``datasets``, ``parallel``: numerics (and each other)
3. workflows, one package per verb: never another workflow, never ``report`` or ``cli``
4. ``report``: never ``cli``
5. ``cli``, ``app`` (the marimo explorer) and ``__main__``

Every ``import`` statement counts, including those inside functions and under
``TYPE_CHECKING``: a lazy upward import is still an upward dependency. Nothing is allowed
silently: the edges that today's code still has are listed in :data:`KNOWN_UPWARD_IMPORTS`,
each one an expected failure that turns into a test failure once it is fixed (so that it is
removed from the list).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "measurand"

BASE = {"__init__", "_result", "errors", "_compat", "_version"}
NUMERICS = {"stats", "latent", "games"}
IO_LAYER = {"io", "datasets", "parallel"}
WORKFLOWS = {"diagnose", "compare", "factors", "noise", "irt", "simulate", "items", "plan"}
LEVEL = {
    **dict.fromkeys(BASE, 0),
    **dict.fromkeys(NUMERICS, 1),
    **dict.fromkeys(IO_LAYER, 2),
    **dict.fromkeys(WORKFLOWS, 3),
    "report": 4,
    "cli": 5,
    "app": 5,
    "__main__": 5,
}

# (importing module, imported module) pairs that break the rule in today's code, to be emptied
# by the owners of these packages. Do not add to this list: move the shared code down instead.
KNOWN_UPWARD_IMPORTS: set[tuple[str, str]] = {
    # numerics writing files: pool save/load moves to io/ (issue 8, factors helper: io/pool.py)
    ("measurand.latent.pool", "measurand.io.output"),
    # workflow -> workflow: shared code moves down (issue 8, factors/compare helpers)
    ("measurand.noise.seeds", "measurand.compare.window"),
    ("measurand.noise.workflow", "measurand.factors.workflow"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            targets.add(module)
            # `from measurand import stats` imports the subpackage measurand.stats.
            if module == "measurand":
                targets.update(f"measurand.{a.name}" for a in node.names if a.name in LEVEL)
    return {t for t in targets if t == "measurand" or t.startswith("measurand.")}


def _unit(module: str) -> str:
    """The layer unit of a module: its top-level part below ``measurand``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _allowed(importer: str, imported: str) -> bool:
    a, b = _unit(importer), _unit(imported)
    if a == b or imported == "measurand":
        return True
    if a not in LEVEL or b not in LEVEL:
        return False  # a new top-level module: give it a layer above
    if LEVEL[a] == 3 and LEVEL[b] == 3:
        return False  # a workflow never imports another workflow
    return LEVEL[b] <= LEVEL[a]


def upward_imports() -> set[tuple[str, str]]:
    edges = set()
    for name, path in _modules().items():
        for imported in _imports(name, path):
            if not _allowed(name, imported):
                edges.add((name, imported))
    return edges


def test_every_top_level_module_has_a_layer() -> None:
    units = {_unit(name) for name in _modules()}
    assert units <= set(LEVEL), sorted(units - set(LEVEL))


def test_no_import_points_up_a_layer() -> None:
    unexpected = sorted(upward_imports() - KNOWN_UPWARD_IMPORTS)
    assert not unexpected, "upward imports (see the README's Layers rule):\n" + "\n".join(
        f"  {a} -> {b}" for a, b in unexpected
    )


@pytest.mark.parametrize("edge", sorted(KNOWN_UPWARD_IMPORTS), ids="->".join)
@pytest.mark.xfail(strict=True, reason="known upward import; fix it, then remove it from the list")
def test_known_upward_import_is_still_there(edge: tuple[str, str]) -> None:
    assert edge not in upward_imports()


def test_the_rule_catches_an_upward_import() -> None:
    assert not _allowed("measurand.stats.aggregate", "measurand.report.format")
    assert not _allowed("measurand.noise.workflow", "measurand.factors.workflow")
    assert not _allowed("measurand.io.table", "measurand.compare.window")
    assert not _allowed("measurand.report.compare", "measurand.cli._app")
    assert _allowed("measurand.report.compare", "measurand.compare.workflow")
    assert _allowed("measurand.datasets", "measurand.io.table")
    assert _allowed("measurand.cli.demo", "measurand.datasets")


# Source files over the 800-line limit today, to be split by their owners (issue 8).
MAX_LINES = 800
KNOWN_LONG_FILES = {
    "noise/workflow.py",
}


def _long_files() -> set[str]:
    return {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }


def test_no_source_file_over_800_lines() -> None:
    assert not sorted(_long_files() - KNOWN_LONG_FILES)


@pytest.mark.parametrize("name", sorted(KNOWN_LONG_FILES))
@pytest.mark.xfail(strict=True, reason="known long file; split it, then remove it from the list")
def test_known_long_file_is_still_long(name: str) -> None:
    assert name not in _long_files()
