"""What the marimo app runs: where to start from a path, column guesses, and one call per view.

Everything here is plain Python (no marimo), so it is tested like the rest of the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measurand.errors import InputError

# Column names that usually play each role in a long table of runs (lower case).
_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "condition": ("condition", "agent", "method", "algorithm", "algo", "config", "arm", "variant"),
    "seed": ("seed", "run", "replicate", "rep", "trial"),
    "task": ("task", "game", "env", "environment", "benchmark", "dataset"),
    "step": ("step", "iteration", "iter", "epoch", "global_step", "_step", "timestep"),
    "metric": ("metric", "metric_name"),
}
_ID_NAMES = ("model", "name", "run", "run_name", "id", "model_name")


@dataclass
class Start:
    """Where the app starts: the mode, the input table, and defaults from a results folder."""

    mode: str  # "factors" or "compare"
    table: Path | None
    defaults: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def _package_data(source: str) -> Path | None:
    """A results.json ``source`` such as ``measurand/data/x.csv`` (packaged data) as a path."""
    text = source.split(" (")[0].strip().strip("`")
    path = Path(text)
    if path.is_file():
        return path
    if text.startswith("measurand/"):
        import measurand

        packaged = Path(measurand.__file__).parent / text.removeprefix("measurand/")
        if packaged.is_file():
            return packaged
    return None


def resolve_start(path: str | Path | None) -> Start:
    """Read ``path``: a results folder (its results.json names the input and the settings)
    or a table (a long table of runs → compare; a wide matrix → factors)."""
    if path is None or str(path) == "":
        return Start("factors", None, note="Give a results folder or a table to explore.")
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", source=str(p))
    if p.is_dir():
        import orjson

        results_file = p / "results.json"
        if not results_file.is_file():
            raise InputError("a folder to explore must hold results.json", source=str(p))
        results = orjson.loads(results_file.read_bytes())
        return _start_from_results(results, p)
    return Start(guess_mode(p), p)


def _start_from_results(results: dict[str, Any], folder: Path) -> Start:
    if "leaderboard" in results and "parallel_analysis" in results:
        data = results.get("data") or {}
        table = _package_data(str(data.get("source", "")))
        settings = results.get("settings") or {}
        defaults = {
            "id_col": data.get("id_col"),
            "columns": list(data.get("tasks") or []),
            "method": settings.get("method"),
            "rotation": settings.get("rotation"),
            "missing": settings.get("missing"),
            "n_factors": settings.get("n_factors"),
        }
        note = "" if table else f"the input of {folder} ({data.get('source')}) was not found"
        return Start("factors", table, defaults, note)
    if results.get("tool") == "measurand compare" or "significance" in results:
        table = _package_data(str(results.get("source", "")))
        settings = results.get("settings") or {}
        defaults = {
            "conditions": settings.get("conditions"),
            "baseline": settings.get("baseline"),
            "candidate": settings.get("candidate"),
            "metric": (results.get("metrics") or [None])[0],
            "window": results.get("window"),
        }
        note = "" if table else f"the input of {folder} ({results.get('source')}) was not found"
        return Start("compare", table, defaults, note)
    raise InputError(
        "the app explores factors and compare results; this results.json is neither",
        source=str(folder / "results.json"),
    )


def read_frame(path: Path) -> Any:
    """The table as a polars frame (CSV, TSV, gzip, Parquet, JSON lines)."""
    import polars as pl

    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return pl.read_parquet(path)
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        return pl.read_ndjson(path)
    separator = "\t" if ".tsv" in name else ","
    return pl.read_csv(path, separator=separator, infer_schema_length=10_000)


def guess_roles(columns: list[str]) -> dict[str, str | None]:
    """Which column plays condition, seed, task, step, metric in a long table (or None)."""
    lower = {c.lower(): c for c in columns}
    return {
        role: next((lower[n] for n in names if n in lower), None)
        for role, names in _ROLE_NAMES.items()
    }


def guess_mode(path: Path) -> str:
    frame = read_frame(path)
    roles = guess_roles(frame.columns)
    return "compare" if roles["condition"] and roles["seed"] else "factors"


def numeric_columns(frame: Any) -> list[str]:
    return [c for c, t in frame.schema.items() if t.is_numeric()]


def guess_id_column(frame: Any) -> str:
    text = [c for c, t in frame.schema.items() if not t.is_numeric()]
    lower = {c.lower(): c for c in text}
    found = next((lower[n] for n in _ID_NAMES if n in lower), None)
    return found or (text[0] if text else frame.columns[0])


def _exact(columns: list[str]) -> list[str]:
    """Column names as exact patterns for the matrix reader (names may hold glob characters)."""
    return [f"re:^{re.escape(c)}$" for c in columns]


def run_factors_view(
    path: Path,
    *,
    id_col: str,
    columns: list[str],
    n_factors: int | None,
    method: str,
    rotation: str | None,
    missing: str = "drop-rows",
    n_resamples: int = 200,
    seed: int = 0,
) -> tuple[Any, Any]:
    """``factors`` on the chosen columns: the result and its report (figures and tables)."""
    from measurand.factors.workflow import run_factors
    from measurand.io.matrix import read_matrix
    from measurand.report.factors import factors_report

    if len(columns) < 3:
        raise InputError("choose at least 3 metric columns for a factor model")
    matrix = read_matrix(path, id_col=id_col, include=_exact(columns))
    result = run_factors(
        matrix,
        n_factors=n_factors,
        method=method,
        rotation=rotation,
        missing=missing,
        n_resamples=n_resamples,
        seed=seed,
    )
    return result, factors_report(result, source=str(path))


def run_compare_view(
    path: Path,
    *,
    roles: dict[str, str | None],
    value_col: str,
    conditions: list[str],
    baseline: str,
    candidate: str,
    window: str,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[Any, Any]:
    """``compare`` of the chosen conditions: the result and its report (curves and verdicts)."""
    from measurand.compare.workflow import run_compare
    from measurand.io.table import read_table
    from measurand.report.compare import compare_report

    if baseline == candidate:
        raise InputError("choose two different conditions as baseline and candidate")
    data = read_table(
        path,
        condition=roles["condition"],
        seed=roles["seed"],
        value=value_col,
        task=roles.get("task"),
        step=roles.get("step"),
    )
    result = run_compare(
        data,
        baseline=baseline,
        candidate=candidate,
        conditions=sorted({*conditions, baseline, candidate}),
        window=window or None,
        n_resamples=n_resamples,
        permutation_resamples=2000,
        across_resamples=n_resamples,
        seed=seed,
    )
    return result, compare_report(result)


def report_sections(report: Any, *titles: str) -> list[tuple[str, list[Any], str]]:
    """``(title, figures, markdown)`` of the report sections whose title starts with one of
    ``titles`` (case-insensitive), in report order; every section when none is given."""
    wanted = tuple(t.lower() for t in titles)
    return [
        (s.title, list(s.figures), "\n\n".join(s.blocks))
        for s in report.sections
        if not wanted or s.title.lower().startswith(wanted)
    ]


__all__ = [
    "Start",
    "guess_id_column",
    "guess_mode",
    "guess_roles",
    "numeric_columns",
    "read_frame",
    "report_sections",
    "resolve_start",
    "run_compare_view",
    "run_factors_view",
]
