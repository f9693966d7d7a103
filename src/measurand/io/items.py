"""Per-item scores of several models on the same test items, from a long table or lm-eval logs.

The canonical frame (:class:`ItemData`) has one row per (model, task, item, run) with columns
``model``, ``task``, ``item``, ``run`` (i64), ``cluster`` (the item's passage/subject; the item
itself when no cluster is given) and ``score`` (f64, finite). A cluster is a property of the
item: the same item must carry the same cluster for every model and run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from measurand.errors import InputError
from measurand.io.lm_eval import LmEvalSamples, read_lm_eval_samples
from measurand.io.table import (
    ROW_INDEX,
    _as_number,
    _as_text,
    _check_columns,
    _first_row,
    scan_table,
)

__all__ = ["ItemData", "from_lm_eval", "read_item_inputs", "read_item_table"]

COLUMNS = ("model", "task", "item", "run", "cluster", "score")


@dataclasses.dataclass(frozen=True)
class ItemData:
    """Validated per-item scores: ``frame`` (see the module doc), where they came from, what the
    score means (``metric``, ``binarization``), whether clusters were given, warnings."""

    frame: pl.DataFrame
    source: str
    metric: str
    binarization: str | None = None
    has_clusters: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def models(self) -> list[str]:
        return sorted(self.frame.get_column("model").unique().to_list())

    @property
    def tasks(self) -> list[str]:
        return sorted(self.frame.get_column("task").unique().to_list())

    @property
    def binary(self) -> bool:
        return bool(self.frame.get_column("score").is_in([0.0, 1.0]).all())


def read_item_table(
    path: str | Path,
    *,
    model_col: str,
    item_col: str,
    score_col: str,
    run_col: str | None = None,
    task_col: str | None = None,
    cluster_col: str | None = None,
    fmt: str | None = None,
) -> ItemData:
    """Read a long table (CSV/TSV/Parquet/JSON lines): one row per model, item (and run).

    Scores may be binary (0/1, true/false) or continuous. Without ``run_col`` each
    (model, task, item) must appear once; with it, runs are numbered 0, 1, … per item in the
    order of their run labels.

    Raises
    ------
    InputError
        Unknown column (listing the file's columns); a missing model/item/run/task/cluster cell
        or a non-numeric, missing, NaN or infinite score (naming line and column); a duplicate
        (model, task, item, run) row (naming both lines); an item whose cluster differs between
        rows.
    """
    scan = scan_table(path, fmt)
    source = scan.source
    roles = {"model_col": model_col, "item_col": item_col, "score_col": score_col}
    optional = {"run_col": run_col, "task_col": task_col, "cluster_col": cluster_col}
    roles |= {k: v for k, v in optional.items() if v is not None}
    _check_columns(roles, [], None, scan.columns, source)
    raw = scan.collect(scan.lazy.select(ROW_INDEX, *roles.values()))
    if raw.height == 0:
        raise InputError("table has no rows", source=source)
    locate = scan.locator
    columns = {
        "model": _as_text(raw, model_col, locate, source),
        "item": _as_text(raw, item_col, locate, source),
        "task": _as_text(raw, task_col, locate, source)
        if task_col
        else pl.repeat("", raw.height, eager=True),
        "run_label": _as_text(raw, run_col, locate, source)
        if run_col
        else pl.repeat("0", raw.height, eager=True),
    }
    score = _as_number(raw, score_col, locate, source)
    bad = score.is_null() | ~score.is_finite().fill_null(False)
    if bad.any():
        row = _first_row(raw, bad)
        raise locate.error(
            f"score is {score[row] if score[row] is not None else 'missing'}; every score must be "
            "a finite number",
            row,
            score_col,
            source,
        )
    frame = pl.DataFrame(
        {
            ROW_INDEX: raw.get_column(ROW_INDEX),
            "model": columns["model"].alias("model"),
            "task": columns["task"].alias("task"),
            "item": columns["item"].alias("item"),
            "run_label": columns["run_label"].alias("run_label"),
            "score": score.alias("score"),
        }
    )
    if cluster_col:
        frame = frame.with_columns(
            cluster=_as_text(raw, cluster_col, locate, source).alias("cluster")
        )
    else:
        frame = frame.with_columns(cluster=pl.col("item"))
    key = ["model", "task", "item", "run_label"]
    dup = frame.filter(pl.struct(key).is_duplicated())
    if dup.height:
        first = dup.sort(ROW_INDEX).row(0, named=True)
        same = dup.filter(*(pl.col(k) == first[k] for k in key)).sort(ROW_INDEX)
        a, b = same.get_column(ROW_INDEX).head(2).to_list()
        hint = "" if run_col else " (several runs per item? name the run column with --run-col)"
        raise InputError(
            f"duplicate row for model {first['model']!r}, item {first['item']!r}"
            + (f", task {first['task']!r}" if task_col else "")
            + (f", run {first['run_label']!r}" if run_col else "")
            + f": {locate.describe(a)} and {locate.describe(b)}{hint}",
            source=source,
        )
    if cluster_col:
        _check_clusters(frame, locate, source, cluster_col)
    frame = (
        frame.sort(ROW_INDEX)
        .with_columns(
            run=pl.col("run_label").rank("dense").over("model", "task", "item").cast(pl.Int64) - 1
        )
        .select(COLUMNS)
    )
    return ItemData(
        frame=frame,
        source=source,
        metric=score_col,
        has_clusters=cluster_col is not None,
    )


def _check_clusters(frame: pl.DataFrame, locate, source: str, cluster_col: str) -> None:
    spread = frame.group_by("task", "item").agg(pl.col("cluster").n_unique().alias("n"))
    bad = spread.filter(pl.col("n") > 1)
    if bad.height:
        task, item = bad.row(0)[:2]
        rows = frame.filter((pl.col("task") == task) & (pl.col("item") == item))
        clusters = rows.get_column("cluster").unique(maintain_order=True).to_list()[:3]
        row = int(rows.filter(pl.col("cluster") != clusters[0]).get_column(ROW_INDEX).first())
        raise locate.error(
            f"item {item!r} is in cluster {clusters[1]!r} here but {clusters[0]!r} elsewhere; an "
            "item's cluster must be the same on every row",
            row,
            cluster_col,
            source,
        )


def from_lm_eval(samples: LmEvalSamples, source: str) -> ItemData:
    """An :class:`ItemData` from :func:`~measurand.io.lm_eval.read_lm_eval_samples`' result."""
    frame = samples.frame.with_columns(cluster=pl.col("item")).select(COLUMNS)
    filters = sorted({f for f in samples.filters.values() if f != "none"})
    warnings = (f"lm-eval filter used: {', '.join(filters)}",) if filters else ()
    return ItemData(
        frame=frame,
        source=source,
        metric=samples.metric,
        binarization=samples.binarization,
        warnings=warnings,
    )


def read_item_inputs(
    paths: Sequence[str | Path],
    *,
    model_col: str | None = None,
    item_col: str | None = None,
    score_col: str | None = None,
    run_col: str | None = None,
    task_col: str | None = None,
    cluster_col: str | None = None,
    metric: str | None = None,
    tasks: Sequence[str] | None = None,
    threshold: float | None = None,
    filter_name: str | None = None,
) -> ItemData:
    """One table file (with the column options) or lm-eval folders (one or more) → ItemData.

    Folders are read as lm-evaluation-harness sample logs; a single file is read as a long
    table unless it is a ``samples_*.jsonl`` log.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no input given")
    for p in paths:
        if not p.exists():
            raise InputError("not found", source=str(p))
    is_log = all(p.is_dir() or p.name.startswith("samples_") for p in paths)
    if is_log:
        samples = read_lm_eval_samples(
            paths, metric=metric, tasks=tasks, threshold=threshold, filter_name=filter_name
        )
        return from_lm_eval(samples, ", ".join(map(str, paths)))
    if len(paths) > 1:
        raise InputError("give one long table, or one or more lm-eval output folders")
    given = {"--model-col": model_col, "--item-col": item_col, "--score-col": score_col}
    missing = [name for name, value in given.items() if not value]
    if missing:
        columns = scan_table(paths[0]).columns
        raise InputError(
            f"a long table needs {', '.join(missing)} (optionally --run-col, --task-col, "
            f"--cluster-col); its columns: {', '.join(columns)}",
            source=str(paths[0]),
        )
    data = read_item_table(
        paths[0],
        model_col=model_col,  # type: ignore[arg-type]
        item_col=item_col,  # type: ignore[arg-type]
        score_col=score_col,  # type: ignore[arg-type]
        run_col=run_col,
        task_col=task_col,
        cluster_col=cluster_col,
    )
    if tasks is not None:
        unknown = sorted(set(tasks) - set(data.tasks))
        if unknown:
            raise InputError(f"task(s) {', '.join(unknown)} not in the table", source=data.source)
        data = dataclasses.replace(data, frame=data.frame.filter(pl.col("task").is_in(list(tasks))))
    if threshold is not None:
        data = dataclasses.replace(
            data,
            frame=data.frame.with_columns(score=(pl.col("score") >= threshold).cast(pl.Float64)),
            binarization=f"score >= {threshold:g} → 1, else 0",
        )
    return data
