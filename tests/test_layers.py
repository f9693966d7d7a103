"""The README's Layers rule, checked on every import of every module in ``src/measurand``.

An import may only point down this list (same-layer imports inside one package are fine):

0. base: ``measurand`` itself, ``_result``, ``errors``, ``_compat``, ``_version``
1. numerics: ``stats``, ``latent``, ``games``: nothing above
2. ``io``, ``datasets``, ``parallel``: numerics (and each other)
3. workflows, one package per verb: never another workflow, never ``report`` or ``cli``
4. ``report``: never ``cli``
5. ``cli``, ``app`` (the marimo explorer) and ``__main__``

Every ``import`` statement counts, including those inside functions and under
``TYPE_CHECKING``: a lazy upward import is still an upward dependency. There is no allow-list:
shared code moves down a layer instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
    unexpected = sorted(upward_imports())
    assert not unexpected, "upward imports (see the README's Layers rule):\n" + "\n".join(
        f"  {a} -> {b}" for a, b in unexpected
    )


def test_the_rule_catches_an_upward_import() -> None:
    assert not _allowed("measurand.stats.aggregate", "measurand.report.format")
    assert not _allowed("measurand.noise.workflow", "measurand.factors.workflow")
    assert not _allowed("measurand.io.table", "measurand.compare.window")
    assert not _allowed("measurand.report.compare", "measurand.cli._app")
    assert _allowed("measurand.report.compare", "measurand.compare.workflow")
    assert _allowed("measurand.datasets", "measurand.io.table")
    assert _allowed("measurand.cli.demo", "measurand.datasets")


MAX_LINES = 800


def test_no_source_file_over_800_lines() -> None:
    long_files = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }
    assert not sorted(long_files)
