"""lm-evaluation-harness ``--log_samples`` folders → one long frame of per-item scores.

The harness (``lm_eval --output_path OUT --log_samples``) writes, per model, a folder
``OUT/<model_name_sanitized>/`` holding ``results_<timestamp>.json`` and one
``samples_<task>_<timestamp>.jsonl`` per task, with ``<timestamp>`` the ISO time with ``:``
replaced by ``-`` (``2024-05-13T13-05-04.123456``). Each line of a samples file is one document::

    {"doc_id": 0, "doc": {...}, "target": "...", "arguments": ..., "resps": [...],
     "filtered_resps": [...], "filter": "none", "metrics": ["acc", "acc_norm"],
     "doc_hash": "...", "prompt_hash": "...", "target_hash": "...",
     "acc": 1.0, "acc_norm": 0.0}

The per-document metric values sit at the top level under the metric's name; ``metrics`` lists
them (older versions omit it). Generation tasks with several filters (gsm8k:
``strict-match``, ``flexible-extract``) write one line per document *and filter*.

:func:`read_lm_eval_samples` returns one row per (model, task, document, repeat): a document
that appears more than once for the same model, task and filter (a task run twice, a duplicated
log) becomes repeats numbered ``run = 0, 1, …`` in file-name (timestamp) then line order.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from measurand.errors import InputError

__all__ = ["KNOWN_METRICS", "LmEvalSamples", "find_sample_files", "read_lm_eval_samples"]

# Fields of a sample record that are bookkeeping, never a metric.
_RESERVED = frozenset(
    {
        "doc_id",
        "doc",
        "target",
        "arguments",
        "resps",
        "filtered_resps",
        "filter",
        "metrics",
        "doc_hash",
        "prompt_hash",
        "target_hash",
        "task_name",
    }
)
KNOWN_METRICS = ("acc", "exact_match", "acc_norm", "pass@1", "f1", "mcc", "bleu", "em")
"""Metric fields tried in this order when no metric is named and a record has no ``metrics``."""

_SAMPLES_NAME = re.compile(
    r"^samples_(?P<task>.+?)(?:_(?P<stamp>\d{4}-\d{2}-\d{2}T[\d.\-]+))?\.jsonl(?:\.gz)?$"
)


@dataclasses.dataclass(frozen=True)
class LmEvalSamples:
    """Per-item scores read from lm-evaluation-harness sample logs.

    ``frame`` has columns ``model`` (the model folder's name), ``task``, ``item`` (the
    ``doc_id`` as text), ``run`` (repeat index, 0 when each document appears once) and
    ``score`` (float). ``metric`` is the field read; ``binarization`` states the rule applied
    (``"score >= 0.5 → 1, else 0"``) or is None when no threshold was applied (scores were
    already 0/1, or were kept continuous). ``filters`` maps task → the harness filter used.
    """

    frame: pl.DataFrame
    metric: str
    binarization: str | None
    filters: dict[str, str]
    files: tuple[str, ...]

    @property
    def models(self) -> list[str]:
        return self.frame.get_column("model").unique(maintain_order=True).to_list()

    @property
    def tasks(self) -> list[str]:
        return self.frame.get_column("task").unique(maintain_order=True).to_list()


def find_sample_files(root: str | Path) -> list[tuple[str, str, str, Path]]:
    """``(model, task, timestamp, path)`` of every ``samples_*.jsonl`` under ``root``.

    ``root`` may be one model's folder (its files sit directly in it) or a folder of model
    folders, at any depth. The model is the name of the folder holding the file; two different
    folders of the same name are named by their path relative to ``root``.
    """
    base = Path(root)
    if not base.exists():
        raise InputError("folder not found", source=str(base))
    if base.is_file():
        paths = [base]
        base = base.parent
    else:
        paths = sorted(p for p in base.rglob("samples_*.jsonl*") if p.is_file())
    found = []
    for path in paths:
        match = _SAMPLES_NAME.match(path.name)
        if match is None:
            continue
        found.append((path.parent, match.group("task"), match.group("stamp") or "", path))
    if not found:
        raise InputError(
            "no lm-evaluation-harness sample logs (samples_<task>_<timestamp>.jsonl) found; "
            "run lm_eval with --log_samples --output_path",
            source=str(root),
        )
    names: dict[str, set[Path]] = {}
    for folder, *_ in found:
        names.setdefault(folder.name, set()).add(folder)

    def model_name(folder: Path) -> str:
        if len(names[folder.name]) == 1:
            return folder.name
        rel = folder.relative_to(base) if folder != base else Path(folder.name)
        return rel.as_posix()

    return [(model_name(folder), task, stamp, path) for folder, task, stamp, path in found]


def _open_text(path: Path) -> Any:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _is_scalar_number(value: object) -> bool:
    return isinstance(value, bool | int | float)


def _choose_metric(record: dict[str, Any], metric: str | None, source: str, line: int) -> str:
    if metric is not None:
        if metric not in record:
            available = [
                k for k, v in record.items() if k not in _RESERVED and _is_scalar_number(v)
            ]
            raise InputError(
                f"metric {metric!r} not in this sample record; its per-sample metric fields: "
                f"{', '.join(available) or 'none'}",
                source=source,
                line=line,
            )
        return metric
    listed = record.get("metrics")
    if isinstance(listed, list):
        for name in listed:
            if isinstance(name, str) and _is_scalar_number(record.get(name)):
                return name
    for name in KNOWN_METRICS:
        if _is_scalar_number(record.get(name)):
            return name
    available = [k for k, v in record.items() if k not in _RESERVED and _is_scalar_number(v)]
    if len(available) == 1:
        return available[0]
    raise InputError(
        "cannot tell which field is the metric; name it (metric=... / --metric). Per-sample "
        f"metric fields here: {', '.join(available) or 'none'}",
        source=source,
        line=line,
    )


def _read_file(path: Path, metric: str | None) -> tuple[str, list[tuple[str, str, float]]]:
    """``(metric, [(doc_id, filter, value), …])`` of one samples file."""
    source = str(path)
    rows: list[tuple[str, str, float]] = []
    chosen = metric
    with _open_text(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc})", source=source, line=number) from None
            if not isinstance(record, dict):
                raise InputError("expected a JSON object per line", source=source, line=number)
            if "doc_id" not in record:
                raise InputError("sample record has no 'doc_id'", source=source, line=number)
            chosen = _choose_metric(record, chosen, source, number)
            value = record.get(chosen)
            if not _is_scalar_number(value):
                raise InputError(
                    f"metric {chosen!r} is {type(value).__name__} {str(value)[:40]!r}, not a "
                    "per-sample number (corpus-level metrics such as bleu store their inputs "
                    "here; choose another metric)",
                    source=source,
                    line=number,
                    column=chosen,
                )
            score = float(value)
            if not math.isfinite(score):
                raise InputError(
                    f"metric {chosen!r} is {score}", source=source, line=number, column=chosen
                )
            filt = record.get("filter", "none")
            rows.append((str(record["doc_id"]), str(filt), score))
    if chosen is None:
        raise InputError("file holds no sample records", source=source)
    return chosen, rows


def read_lm_eval_samples(
    root: str | Path | Sequence[str | Path],
    *,
    metric: str | None = None,
    tasks: Sequence[str] | None = None,
    threshold: float | None = None,
    filter_name: str | None = None,
) -> LmEvalSamples:
    """Read lm-evaluation-harness ``--log_samples`` output into per-item scores.

    Parameters
    ----------
    root:
        An output folder (model folders below it, at any depth), one model's folder, one
        samples file, or a list of these.
    metric:
        The per-sample field to read (``"acc"``, ``"exact_match"``, ``"acc_norm"``…). When
        None: the first entry of the record's ``metrics`` list, else the first of
        :data:`KNOWN_METRICS` present, else the only numeric field. All files must then agree.
    tasks:
        Keep only these tasks (by the name in the file name); an unknown name is an error.
    threshold:
        Binarize: ``score >= threshold`` → 1, else 0 (recorded in ``binarization``). Without
        it scores are kept as read (0/1 stays binary, continuous stays continuous).
    filter_name:
        The harness filter to use where a task logs several (``"strict-match"``,
        ``"flexible-extract"``). Without it a task with several filters is an error listing
        them.

    Raises
    ------
    InputError
        No sample files; malformed JSON, a record without ``doc_id``, a missing metric (listing
        the fields present), a non-numeric or non-finite metric value (each naming file and
        line); metrics that differ between files; a task logging several filters without
        ``filter_name``; no rows left.
    """
    roots = [root] if isinstance(root, str | Path) else list(root)
    if not roots:
        raise InputError("no lm-eval folders given")
    found = [entry for r in roots for entry in find_sample_files(r)]
    if tasks is not None:
        wanted = set(tasks)
        present = {task for _, task, _, _ in found}
        unknown = sorted(wanted - present)
        if unknown:
            raise InputError(
                f"task(s) {', '.join(unknown)} not among the sample logs; found: "
                f"{', '.join(sorted(present))}"
            )
        found = [entry for entry in found if entry[1] in wanted]
    found.sort(key=lambda e: (e[0], e[1], e[2], str(e[3])))

    chosen = metric
    chosen_from: str | None = None
    models: list[str] = []
    task_col: list[str] = []
    items: list[str] = []
    filters_col: list[str] = []
    scores: list[float] = []
    files: list[str] = []
    for model, task, _stamp, path in found:
        file_metric, rows = _read_file(path, chosen)
        if chosen is None:
            chosen, chosen_from = file_metric, str(path)
        elif file_metric != chosen:  # pragma: no cover - guarded by passing `chosen`
            raise InputError(f"metric {file_metric!r} differs from {chosen!r} ({chosen_from})")
        files.append(str(path))
        n = len(rows)
        models += [model] * n
        task_col += [task] * n
        for doc, filt, score in rows:
            items.append(doc)
            filters_col.append(filt)
            scores.append(score)
    assert chosen is not None
    frame = pl.DataFrame(
        {"model": models, "task": task_col, "item": items, "filter": filters_col, "score": scores},
        schema={
            "model": pl.String,
            "task": pl.String,
            "item": pl.String,
            "filter": pl.String,
            "score": pl.Float64,
        },
    )
    frame, used_filters = _one_filter_per_task(frame, filter_name)
    frame = frame.with_columns(
        run=pl.int_range(pl.len(), dtype=pl.Int64).over("model", "task", "item")
    ).select("model", "task", "item", "run", "score")
    binarization = None
    if threshold is not None:
        if not math.isfinite(threshold):
            raise InputError(f"threshold must be a finite number, got {threshold}")
        frame = frame.with_columns(score=(pl.col("score") >= threshold).cast(pl.Float64))
        binarization = f"score >= {threshold:g} → 1, else 0"
    return LmEvalSamples(
        frame=frame,
        metric=chosen,
        binarization=binarization,
        filters=used_filters,
        files=tuple(files),
    )


def _one_filter_per_task(
    frame: pl.DataFrame, filter_name: str | None
) -> tuple[pl.DataFrame, dict[str, str]]:
    per_task = (
        frame.group_by("task", maintain_order=True)
        .agg(pl.col("filter").unique(maintain_order=True))
        .iter_rows()
    )
    used: dict[str, str] = {}
    for task, names in per_task:
        if filter_name is not None:
            if filter_name not in names:
                raise InputError(
                    f"task {task!r} has no filter {filter_name!r}; its filters: {', '.join(names)}"
                )
            used[task] = filter_name
        elif len(names) > 1:
            raise InputError(
                f"task {task!r} logs several filters ({', '.join(names)}); choose one with "
                "filter_name=... / --filter"
            )
        else:
            used[task] = names[0]
    chosen = pl.DataFrame(
        {"task": list(used), "filter": list(used.values())},
        schema={"task": pl.String, "filter": pl.String},
    )
    return frame.join(chosen, on=["task", "filter"], how="semi", maintain_order="left"), used
