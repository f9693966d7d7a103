"""Read binary item responses (subjects × items) into one validated representation.

Inputs
------
* **Long form** (CSV/TSV, Parquet, JSON lines): one row per response with user-named columns for
  the subject, the item, the response and optionally the trial and the benchmark
  (:func:`read_long_responses`). With a benchmark column the item key is ``benchmark/item``.
* **Wide form**: a subjects × items matrix with NaN (or an empty cell) for a missing response,
  from a file with an id column (:func:`read_wide_responses`) or from an array
  (:func:`responses_from_matrix`).
* **lm-evaluation-harness** ``--log_samples`` folders (:func:`read_lm_eval_responses`), through
  :func:`measurand.io.lm_eval.read_lm_eval_samples` (imported only when used): subject = model
  folder, item = ``task/doc_id``.

Rules
-----
* Responses must be 0 or 1 unless the user names a binarization rule (``"ge:0.5"``: score
  ≥ 0.5 → 1, else 0; also ``gt``, ``le``, ``lt``); the rule is recorded in
  :attr:`ResponseData.binarization`.
* A duplicate (subject, item, trial) key, a missing or empty subject/item id, a missing response,
  a response outside {0, 1} without a rule: :class:`~measurand.errors.InputError` naming the file,
  the line and the column. Several trials of one (subject, item) pair are averaged
  (``trials="mean"``: the response becomes the proportion correct, used as a fractional Bernoulli
  outcome) or refused (``trials="error"``).
* Items that are constant (all right or all wrong) or answered by only one subject carry no
  information on slopes: they are excluded and listed in :attr:`ResponseData.excluded_items`
  with the reason, never silently. Subjects left with no response are excluded and listed too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from measurand._result import Result
from measurand.errors import InputError

__all__ = [
    "ResponseData",
    "parse_binarize",
    "read_lm_eval_responses",
    "read_long_responses",
    "read_responses",
    "read_wide_responses",
    "responses_from_long",
    "responses_from_matrix",
]

_RULE = re.compile(r"^\s*(ge|gt|le|lt)\s*:\s*([-+0-9.eE]+)\s*$")
_OPS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


@dataclasses.dataclass(frozen=True)
class ResponseData(Result):
    """Observed responses as (row, col, y) triplets.

    Attributes
    ----------
    subjects, items:
        Names of the rows and columns kept.
    rows, cols:
        Index of the subject and the item of each observed response (int64).
    y:
        The response, in [0, 1] (0/1, or a proportion when trials were averaged).
    source:
        Where the data came from.
    binarization:
        The rule applied to non-0/1 scores, in words, or None.
    excluded_items, excluded_subjects:
        Name → reason for everything left out.
    n_trials_averaged:
        How many (subject, item) pairs had more than one trial (averaged).
    """

    subjects: tuple[str, ...]
    items: tuple[str, ...]
    rows: np.ndarray
    cols: np.ndarray
    y: np.ndarray
    source: str
    binarization: str | None
    excluded_items: dict[str, str]
    excluded_subjects: dict[str, str]
    n_trials_averaged: int = 0

    @property
    def n_subjects(self) -> int:
        return len(self.subjects)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_observed(self) -> int:
        return int(self.y.size)

    @property
    def missing_fraction(self) -> float:
        cells = self.n_subjects * self.n_items
        return 1.0 - self.n_observed / cells if cells else 0.0

    def dense(self) -> np.ndarray:
        """The (n_subjects, n_items) float matrix, NaN where no response was observed."""
        out = np.full((self.n_subjects, self.n_items), np.nan)
        out[self.rows, self.cols] = self.y
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "n_subjects": self.n_subjects,
            "n_items": self.n_items,
            "n_observed": self.n_observed,
            "missing_fraction": self.missing_fraction,
            "binarization": self.binarization,
            "n_trials_averaged": self.n_trials_averaged,
            "excluded_items": self.excluded_items,
            "excluded_subjects": self.excluded_subjects,
        }


def parse_binarize(rule: str | None) -> tuple[str, float] | None:
    """``"ge:0.5"`` → ``("ge", 0.5)``; None passes through; anything else is an InputError."""
    if rule is None:
        return None
    m = _RULE.match(str(rule))
    if not m:
        raise InputError(
            f"--binarize takes OP:THRESHOLD with OP one of ge, gt, le, lt (e.g. 'ge:0.5'), "
            f"got {rule!r}"
        )
    try:
        return m.group(1), float(m.group(2))
    except ValueError:
        raise InputError(f"--binarize threshold is not a number: {rule!r}") from None


def _describe_rule(rule: tuple[str, float]) -> str:
    return f"response {_OPS[rule[0]]} {rule[1]:g} → 1, else 0"


def _apply_rule(values: np.ndarray, rule: tuple[str, float]) -> np.ndarray:
    op, t = rule
    hit = {
        "ge": values >= t,
        "gt": values > t,
        "le": values <= t,
        "lt": values < t,
    }[op]
    return hit.astype(np.float64)


def _check_binary(values: np.ndarray, *, source: str, column: str, line_of: Any) -> None:
    bad = np.flatnonzero((values != 0.0) & (values != 1.0))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"response {values[i]!r} is not 0 or 1 ({bad.size} such value(s)); name a "
            "binarization rule (e.g. --binarize 'ge:0.5') for scores",
            source=source,
            line=line_of(i),
            column=column,
        )


def _finish(
    subj: np.ndarray,
    item: np.ndarray,
    y: np.ndarray,
    *,
    source: str,
    binarization: str | None,
    n_trials_averaged: int,
    subject_order: Sequence[str] | None = None,
    item_order: Sequence[str] | None = None,
) -> ResponseData:
    """Index the (subject, item, y) triplets; exclude uninformative items and empty subjects."""
    subjects = (
        np.asarray(subject_order, dtype=object)
        if subject_order is not None
        else np.unique(subj.astype(str))
    )
    items = (
        np.asarray(item_order, dtype=object)
        if item_order is not None
        else np.unique(item.astype(str))
    )
    s_index = {name: i for i, name in enumerate(subjects.tolist())}
    i_index = {name: i for i, name in enumerate(items.tolist())}
    rows = np.fromiter((s_index[s] for s in subj.tolist()), dtype=np.int64, count=subj.size)
    cols = np.fromiter((i_index[s] for s in item.tolist()), dtype=np.int64, count=item.size)
    y = np.asarray(y, dtype=np.float64)

    excluded_items: dict[str, str] = {}
    excluded_subjects: dict[str, str] = {}
    p = len(items)
    n_item = np.bincount(cols, minlength=p)
    sum_item = np.bincount(cols, weights=y, minlength=p)
    # constant: every observed response equal (all 0 or all 1)
    sq_item = np.bincount(cols, weights=y * y, minlength=p)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_item = sq_item / n_item - (sum_item / n_item) ** 2
    for j in range(p):
        if n_item[j] == 0:
            excluded_items[str(items[j])] = "no response"
        elif n_item[j] == 1:
            excluded_items[str(items[j])] = "answered by one subject"
        elif var_item[j] <= 1e-12:
            excluded_items[str(items[j])] = (
                "constant: all right" if sum_item[j] / n_item[j] >= 0.5 else "constant: all wrong"
            )
    keep_item = np.array([str(name) not in excluded_items for name in items], dtype=bool)
    keep_obs = keep_item[cols]
    n_subj = np.bincount(rows[keep_obs], minlength=len(subjects))
    keep_subj = n_subj > 0
    for i in np.flatnonzero(~keep_subj):
        excluded_subjects[str(subjects[i])] = "no response on the items kept"
    keep_obs &= keep_subj[rows]
    new_row = np.cumsum(keep_subj) - 1
    new_col = np.cumsum(keep_item) - 1
    rows, cols, y = new_row[rows[keep_obs]], new_col[cols[keep_obs]], y[keep_obs]
    kept_items = tuple(str(x) for x in items[keep_item])
    kept_subjects = tuple(str(x) for x in subjects[keep_subj])
    if len(kept_items) < 2 or len(kept_subjects) < 2:
        raise InputError(
            f"fewer than 2 informative items or subjects remain ({len(kept_subjects)} subjects, "
            f"{len(kept_items)} items; {len(excluded_items)} item(s) excluded as constant or "
            "answered once)",
            source=source,
        )
    order = np.lexsort((cols, rows))
    return ResponseData(
        subjects=kept_subjects,
        items=kept_items,
        rows=rows[order].astype(np.int64),
        cols=cols[order].astype(np.int64),
        y=y[order],
        source=source,
        binarization=binarization,
        excluded_items=excluded_items,
        excluded_subjects=excluded_subjects,
        n_trials_averaged=n_trials_averaged,
    )


def _read_frame(path: Path) -> tuple[pl.DataFrame, int]:
    """The table and the file line of its first data row (0 when lines do not apply)."""
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pl.read_parquet(path), 0
        if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
            return pl.read_ndjson(path), 1
        separator = "\t" if ".tsv" in name else ","
        return pl.read_csv(path, separator=separator, infer_schema_length=10_000), 2
    except InputError:
        raise
    except Exception as exc:  # polars raises several exception types for malformed files
        raise InputError(f"cannot read the table: {exc}", source=str(path)) from exc


def responses_from_long(
    frame: pl.DataFrame,
    *,
    subject_col: str = "subject",
    item_col: str = "item",
    response_col: str = "response",
    trial_col: str | None = None,
    benchmark_col: str | None = None,
    binarize: str | None = None,
    trials: str = "mean",
    source: str = "<table>",
    first_line: int = 0,
) -> ResponseData:
    """Validate a long table (one row per response) into :class:`ResponseData`.

    ``first_line`` is the file line of the first row (2 for CSV with a header, 1 for JSON lines,
    0 when lines do not apply: errors then name the row index).
    """
    if trials not in ("mean", "error"):
        raise InputError(f"trials takes 'mean' or 'error', got {trials!r}")
    wanted = [c for c in (subject_col, item_col, response_col, trial_col, benchmark_col) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InputError(
            f"column(s) {missing} not found; the table has: {', '.join(frame.columns)}",
            source=source,
        )
    if frame.height == 0:
        raise InputError("the table has no rows", source=source)

    def line_of(i: int) -> int | None:
        return i + first_line if first_line else None

    def where(i: int) -> str:
        return "" if first_line else f" (row {i})"

    ids: dict[str, np.ndarray] = {}
    for col in (subject_col, item_col, benchmark_col):
        if col is None:
            continue
        values = frame[col].cast(pl.String)
        blank = (values.is_null() | (values.str.strip_chars() == "")).to_numpy()
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise InputError(
                f"empty {col!r} id{where(i)} ({int(blank.sum())} such row(s))",
                source=source,
                line=line_of(i),
                column=col,
            )
        ids[col] = values.to_numpy().astype(str)
    subj = ids[subject_col]
    item = ids[item_col]
    if benchmark_col is not None:
        item = np.char.add(np.char.add(ids[benchmark_col], "/"), item)

    try:
        resp = frame[response_col].cast(pl.Float64, strict=True)
    except Exception:
        bad = (
            frame[response_col].cast(pl.Float64, strict=False).is_null()
            & ~frame[response_col].is_null()
        )
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"response {frame[response_col][i]!r} is not a number{where(i)}",
            source=source,
            line=line_of(i),
            column=response_col,
        ) from None
    values = resp.to_numpy().astype(np.float64)
    nonfinite = ~np.isfinite(values)
    if nonfinite.any():
        i = int(np.flatnonzero(nonfinite)[0])
        raise InputError(
            f"missing or non-finite response{where(i)} ({int(nonfinite.sum())} such row(s)); "
            "leave a missing response out of the table instead",
            source=source,
            line=line_of(i),
            column=response_col,
        )
    rule = parse_binarize(binarize)
    if rule is None:
        _check_binary(values, source=source, column=response_col, line_of=line_of)
        described = None
    else:
        described = _describe_rule(rule)
        values = _apply_rule(values, rule)

    trial = (
        frame[trial_col].cast(pl.String).fill_null("").to_numpy().astype(str)
        if trial_col
        else np.zeros(len(values), dtype=str)
    )
    key = pl.DataFrame({"s": subj, "i": item, "t": trial})
    dup = key.is_duplicated().to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        second = int(np.flatnonzero(dup)[1])
        what = "(subject, item, trial)" if trial_col else "(subject, item)"
        raise InputError(
            f"duplicate {what} key {str(subj[first])!r}, {str(item[first])!r}"
            + (f", {str(trial[first])!r}" if trial_col else "")
            + f" (also at {'line ' + str(line_of(second)) if first_line else f'row {second}'}); "
            f"{int(dup.sum())} row(s) share a key"
            + ("" if trial_col else "; name the trial column if these are repeated trials"),
            source=source,
            line=line_of(first),
            column=f"{subject_col}, {item_col}",
        )
    n_averaged = 0
    if trial_col:
        pairs = pl.DataFrame({"s": subj, "i": item, "y": values})
        grouped = pairs.group_by(["s", "i"], maintain_order=True).agg(
            pl.col("y").mean(), pl.len().alias("n")
        )
        n_averaged = int((grouped["n"] > 1).sum())
        if n_averaged and trials == "error":
            raise InputError(
                f"{n_averaged} (subject, item) pair(s) have several trials; average them "
                "(trials='mean') or keep one trial per pair",
                source=source,
                column=trial_col,
            )
        subj = grouped["s"].to_numpy().astype(str)
        item = grouped["i"].to_numpy().astype(str)
        values = grouped["y"].to_numpy()
    return _finish(
        subj, item, values, source=source, binarization=described, n_trials_averaged=n_averaged
    )


def read_long_responses(
    path: str | Path,
    *,
    subject_col: str = "subject",
    item_col: str = "item",
    response_col: str = "response",
    trial_col: str | None = None,
    benchmark_col: str | None = None,
    binarize: str | None = None,
    trials: str = "mean",
) -> ResponseData:
    """Read a long-form response table (CSV/TSV, Parquet, JSON lines); see the module notes."""
    path = Path(path)
    frame, first_line = _read_frame(path)
    return responses_from_long(
        frame,
        subject_col=subject_col,
        item_col=item_col,
        response_col=response_col,
        trial_col=trial_col,
        benchmark_col=benchmark_col,
        binarize=binarize,
        trials=trials,
        source=str(path),
        first_line=first_line,
    )


def responses_from_matrix(
    matrix: Any,
    *,
    subjects: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    binarize: str | None = None,
    source: str = "<matrix>",
    first_line: int = 0,
) -> ResponseData:
    """A subjects × items array (NaN = missing) as :class:`ResponseData`."""
    Y = np.array(matrix, dtype=np.float64, ndmin=2)
    if Y.ndim != 2:
        raise InputError(f"the response matrix must be 2-D, got shape {Y.shape}", source=source)
    n, p = Y.shape
    subjects = (
        [f"subject_{i}" for i in range(n)] if subjects is None else [str(s) for s in subjects]
    )
    items = [f"item_{j}" for j in range(p)] if items is None else [str(s) for s in items]
    if len(subjects) != n or len(items) != p:
        raise InputError(
            f"{len(subjects)} subject and {len(items)} item names for a {n} x {p} matrix",
            source=source,
        )
    for names, what in ((subjects, "subject"), (items, "item")):
        blank = [k for k, s in enumerate(names) if not s.strip()]
        if blank:
            raise InputError(f"empty {what} name at position {blank[0]}", source=source)
        seen: dict[str, int] = {}
        for k, s in enumerate(names):
            if s in seen:
                raise InputError(
                    f"duplicate {what} {s!r} (positions {seen[s]} and {k})", source=source
                )
            seen[s] = k
    if np.isinf(Y).any():
        r, c = np.argwhere(np.isinf(Y))[0]
        raise InputError(
            f"infinite response for {subjects[r]!r}",
            source=source,
            line=int(r) + first_line if first_line else None,
            column=items[c],
        )
    empty_rows = np.flatnonzero(np.isnan(Y).all(axis=1))
    if empty_rows.size:
        r = int(empty_rows[0])
        raise InputError(
            f"subject {subjects[r]!r} has no response at all ({empty_rows.size} such row(s))",
            source=source,
            line=r + first_line if first_line else None,
        )
    r_idx, c_idx = np.nonzero(~np.isnan(Y))
    values = Y[r_idx, c_idx]
    rule = parse_binarize(binarize)
    if rule is None:
        bad = np.flatnonzero((values != 0.0) & (values != 1.0))
        if bad.size:
            i = int(bad[0])
            raise InputError(
                f"response {values[i]!r} for {subjects[r_idx[i]]!r} is not 0 or 1; name a "
                "binarization rule (e.g. --binarize 'ge:0.5') for scores",
                source=source,
                line=int(r_idx[i]) + first_line if first_line else None,
                column=items[c_idx[i]],
            )
        described = None
    else:
        described = _describe_rule(rule)
        values = _apply_rule(values, rule)
    return _finish(
        np.asarray(subjects, dtype=object)[r_idx],
        np.asarray(items, dtype=object)[c_idx],
        values,
        source=source,
        binarization=described,
        n_trials_averaged=0,
        subject_order=subjects,
        item_order=items,
    )


def read_wide_responses(
    path: str | Path, *, id_col: str, binarize: str | None = None
) -> ResponseData:
    """Read a wide file: one row per subject (``id_col``), one column per item, empty = missing."""
    path = Path(path)
    frame, first_line = _read_frame(path)
    if id_col not in frame.columns:
        raise InputError(
            f"id column {id_col!r} not found; the table has: {', '.join(frame.columns[:20])}",
            source=str(path),
        )
    ids = frame[id_col].cast(pl.String)
    blank = (ids.is_null() | (ids.str.strip_chars() == "")).to_numpy()
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise InputError(
            "empty subject id", source=str(path), line=i + first_line or None, column=id_col
        )
    item_cols = [c for c in frame.columns if c != id_col]
    columns = []
    for c in item_cols:
        try:
            columns.append(frame[c].cast(pl.Float64, strict=True).to_numpy())
        except Exception:
            bad = frame[c].cast(pl.Float64, strict=False).is_null() & ~frame[c].is_null()
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{frame[c][i]!r} is not a number",
                source=str(path),
                line=i + first_line or None,
                column=c,
            ) from None
    Y = np.column_stack(columns).astype(np.float64) if columns else np.empty((frame.height, 0))
    return responses_from_matrix(
        Y,
        subjects=ids.to_list(),
        items=item_cols,
        binarize=binarize,
        source=str(path),
        first_line=first_line,
    )


def read_lm_eval_responses(
    root: str | Path,
    *,
    metric: str | None = None,
    tasks: Sequence[str] | None = None,
    binarize: str | None = None,
) -> ResponseData:
    """lm-evaluation-harness ``--log_samples`` folders → responses (subject = model folder,
    item = ``task/doc_id``; repeats averaged). Needs :mod:`measurand.io.lm_eval`."""
    from measurand.io.lm_eval import read_lm_eval_samples  # imported lazily: another module

    rule = parse_binarize(binarize)
    samples = read_lm_eval_samples(
        root, metric=metric, tasks=tasks, threshold=None if rule is None else rule[1]
    )
    frame = samples.frame.with_columns(
        (pl.col("task") + "/" + pl.col("item").cast(pl.String)).alias("_item")
    )
    data = responses_from_long(
        frame,
        subject_col="model",
        item_col="_item",
        response_col="score",
        trial_col="run",
        binarize=None,
        source=str(root),
    )
    return dataclasses.replace(data, binarization=samples.binarization)


def read_responses(
    path: str | Path,
    *,
    layout: str = "auto",
    subject_col: str = "subject",
    item_col: str = "item",
    response_col: str = "response",
    trial_col: str | None = None,
    benchmark_col: str | None = None,
    id_col: str | None = None,
    binarize: str | None = None,
    trials: str = "mean",
    metric: str | None = None,
) -> ResponseData:
    """Dispatch on ``layout``: ``"long"``, ``"wide"``, ``"lm-eval"`` or ``"auto"`` (a folder is
    lm-eval output; a table with ``id_col`` given is wide; otherwise long)."""
    path = Path(path)
    if layout == "auto":
        layout = "lm-eval" if path.is_dir() else ("wide" if id_col else "long")
    if layout == "lm-eval":
        return read_lm_eval_responses(path, metric=metric, binarize=binarize)
    if layout == "wide":
        if not id_col:
            raise InputError("a wide table needs --id-col (the column naming each subject)")
        return read_wide_responses(path, id_col=id_col, binarize=binarize)
    if layout == "long":
        return read_long_responses(
            path,
            subject_col=subject_col,
            item_col=item_col,
            response_col=response_col,
            trial_col=trial_col,
            benchmark_col=benchmark_col,
            binarize=binarize,
            trials=trials,
        )
    raise InputError(f"layout takes auto, long, wide or lm-eval; got {layout!r}")
