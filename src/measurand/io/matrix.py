"""Read a wide results matrix (one row per run/model, one column per metric) for ``factors``.

Column rules
------------
A *pattern* is a glob (``fnmatch``: ``*`` matches any text, ``/`` included; ``?`` one character;
``[abc]`` a set; case-sensitive) or, with the prefix ``re:``, a Python regular expression searched
anywhere in the name (anchor it with ``^...$`` to match whole names).

1. ``include`` (default: every column) selects candidate metric columns; ``exclude`` removes
   columns from them. The id column and the ``heldout`` columns are never metric columns (a
   row-filter column is one only if it holds numbers and the rules keep it).
2. With no ``include``, columns holding no number at all (model family, status...) are skipped
   with a note; a column that was asked for by ``include`` and holds text is an error naming the
   cell, and so is a stray text cell in any numeric column.
3. ``lower_is_better`` columns (e.g. ``*/bpb``, ``*loss*``) are negated, so higher = better
   everywhere (held-out columns included); ``directions`` records +1/−1 per column.
4. Constant columns (standard deviation ≤ 1e-12 over their present values) are dropped, by name.
5. ``standardize`` z-scores each metric column, (x − mean) / sd with ``ddof`` (0 by default: the
   population standard deviation, as the factor models' ddof-0 covariance expects).

Rows: ``row_filter`` keeps the rows satisfying every condition ``COLUMN OP VALUE`` with OP one
of ``== != < <= > >=``. VALUE is a number, or text (quotes optional: ``status == "completed"``);
numeric comparisons use the cells as numbers (rows whose cell is not a number fail them). Column
names may be written in backticks (``\\`Model Size (B)\\` >= 7``). There is no ``eval``.

Missing cells (empty, ``NA``, ``NaN``, or non-finite) stay NaN in ``Z`` and are reported by column
and by row in :class:`MissingReport`; what to do with them is the analysis's choice.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from measurand._result import Result
from measurand.errors import InputError
from measurand.io._frames import SQUARE_LIMIT
from measurand.io._text import delimiter_hint
from measurand.io.table import ROW_INDEX, RowLocator, scan_table

__all__ = ["MatrixData", "MissingReport", "match_pattern", "parse_row_filter", "read_matrix"]

CONSTANT_SD = 1e-12
_NA_TEXT = ("", "na", "nan", "n/a", "null", "none")
_FILTER = re.compile(r"^\s*(`[^`]+`|.+?)\s*(==|!=|<=|>=|<|>)\s*(.*?)\s*$", re.DOTALL)


@dataclasses.dataclass(frozen=True)
class MissingReport(Result):
    """Where the metric (and held-out) matrix has no value."""

    n_missing: int
    n_cells: int
    by_column: dict[str, int]
    rows_with_missing: int
    row_examples: tuple[str, ...]
    heldout_by_column: dict[str, int]

    @property
    def any(self) -> bool:
        return self.n_missing > 0

    def describe(self) -> str:
        if not self.n_missing:
            return "no missing cells"
        cols = ", ".join(f"{c}: {n}" for c, n in self.by_column.items() if n)
        return f"{self.n_missing} missing cell(s) in {self.rows_with_missing} row(s) ({cols})"


@dataclasses.dataclass(frozen=True)
class MatrixData(Result):
    """A results matrix ready for factor analysis.

    Attributes
    ----------
    Z:
        (n, p) metric matrix, directions applied (higher = better), z-scored when
        ``standardize``; NaN where a cell is missing.
    raw:
        (n, p) the values as read (before negation and scaling).
    row_names:
        The id column's values, one per row (unique).
    columns:
        The p metric columns, in file order.
    heldout:
        Held-out column -> (n,) values, directions applied, not standardized.
    dropped_constant:
        Metric columns dropped because they do not vary.
    missing:
        The missing-cell report.
    directions:
        +1 (higher is better) or −1 (negated) for every metric and held-out column.
    means, sds:
        The centring and scaling used for each metric column (after the direction is applied).
    source:
        The file read.
    notes:
        What the rules did: skipped text columns, filtered rows...
    """

    Z: np.ndarray
    raw: np.ndarray
    row_names: tuple[str, ...]
    columns: tuple[str, ...]
    heldout: dict[str, np.ndarray]
    dropped_constant: tuple[str, ...]
    missing: MissingReport
    directions: dict[str, int]
    means: np.ndarray
    sds: np.ndarray
    source: str
    notes: tuple[str, ...] = ()
    id_col: str = "id"

    @property
    def shape(self) -> tuple[int, int]:
        return self.Z.shape

    def complete_rows(self) -> np.ndarray:
        """Boolean mask of the rows with no missing metric cell."""
        return ~np.any(np.isnan(self.Z), axis=1)


def match_pattern(pattern: str, name: str) -> bool:
    """Glob match of the whole name, or ``re:`` regular-expression search."""
    if pattern.startswith("re:"):
        return re.search(pattern[3:], name) is not None
    return fnmatch.fnmatchcase(name, pattern)


def _as_patterns(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    patterns = [value] if isinstance(value, str) else list(value)
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise InputError(f"{what}: patterns must be non-empty strings, got {pattern!r}")
        if pattern.startswith("re:"):
            try:
                re.compile(pattern[3:])
            except re.error as exc:
                raise InputError(f"{what}: bad regular expression {pattern!r}: {exc}") from exc
    return patterns


def _matches(patterns: list[str], columns: Sequence[str]) -> dict[str, list[str]]:
    return {p: [c for c in columns if match_pattern(p, c)] for p in patterns}


@dataclasses.dataclass(frozen=True)
class _Condition:
    column: str
    op: str
    value: str | float
    text: str


def parse_row_filter(condition: str) -> _Condition:
    """``'status == "completed"'`` -> a condition; numbers compare as numbers."""
    match = _FILTER.match(condition)
    if not match or not match.group(3):
        raise InputError(
            f"row filter {condition!r} is not 'COLUMN OP VALUE' (OP one of == != < <= > >=)"
        )
    column, op, value = match.groups()
    if column.startswith("`") and column.endswith("`"):
        column = column[1:-1]
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"
    parsed: str | float
    if quoted:
        parsed = value[1:-1]
    else:
        try:
            parsed = float(value)
        except ValueError:
            parsed = value
    if op in ("<", "<=", ">", ">=") and isinstance(parsed, str):
        raise InputError(f"row filter {condition!r}: {op} needs a number, got {value!r}")
    return _Condition(column=column.strip(), op=op, value=parsed, text=condition.strip())


def _condition_expr(cond: _Condition, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(cond.column)
    if isinstance(cond.value, float):
        numeric = (
            col.cast(pl.Float64, strict=False)
            if dtype.is_numeric()
            else col.cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
        )
        operand: Any = cond.value
        lhs = numeric
    else:
        lhs = col.cast(pl.Utf8)
        operand = cond.value
    expr = {
        "==": lhs == operand,
        "!=": lhs != operand,
        "<": lhs < operand,
        "<=": lhs <= operand,
        ">": lhs > operand,
        ">=": lhs >= operand,
    }[cond.op]
    return expr.fill_null(False)


def read_matrix(
    path: str | Path,
    *,
    id_col: str,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    row_filter: str | Sequence[str] | None = None,
    lower_is_better: str | Sequence[str] | None = None,
    heldout: str | Sequence[str] | None = None,
    standardize: bool = True,
    ddof: int = 0,
    fmt: str | None = None,
) -> MatrixData:
    """Read a wide matrix and apply the column rules (see the module notes).

    Parameters
    ----------
    path:
        CSV/TSV (optionally gzipped), Parquet or JSON-lines file with one row per run/model.
    id_col:
        Column naming each row; values must be present and unique.
    include, exclude:
        Patterns selecting the metric columns.
    row_filter:
        One condition or a list of them (all must hold), e.g. ``'status == "completed"'``.
    lower_is_better:
        Patterns of columns where lower values are better; they are negated.
    heldout:
        Patterns (or names) of columns kept out of the fit for validation.
    standardize, ddof:
        z-score the metric columns with this ddof.
    fmt:
        ``csv``, ``tsv``, ``parquet`` or ``jsonl`` when the suffix does not tell.

    Raises
    ------
    InputError
        Missing file, unknown id column, a missing or duplicate id, a bad row filter, no rows
        left, no metric column left (the message shows what each rule matched), a non-numeric
        cell (column, line and text).
    """
    if ddof not in (0, 1):
        raise InputError(f"ddof must be 0 or 1, got {ddof!r}")
    include_p = _as_patterns(include, "include")
    exclude_p = _as_patterns(exclude, "exclude")
    lower_p = _as_patterns(lower_is_better, "lower_is_better")
    heldout_p = _as_patterns(heldout, "heldout")
    conditions = [
        parse_row_filter(c)
        for c in ([row_filter] if isinstance(row_filter, str) else list(row_filter or []))
    ]

    scan = scan_table(path, fmt)
    source = scan.source
    available = scan.columns
    if id_col not in available:
        raise InputError(
            f"unknown id column {id_col!r}; available columns: "
            f"{', '.join(repr(c) for c in available)}{delimiter_hint(available)}",
            source=source,
        )
    unknown = [c.column for c in conditions if c.column not in available]
    if unknown:
        raise InputError(
            f"row filter names unknown column(s) {unknown}; available columns: "
            f"{', '.join(repr(c) for c in available)}",
            source=source,
        )

    notes: list[str] = []
    lazy = scan.lazy
    if conditions:
        lazy = lazy.filter(
            pl.all_horizontal([_condition_expr(c, scan.schema[c.column]) for c in conditions])
        )
    frame = scan.collect(lazy)
    if conditions:
        notes.append(
            f"row filter {' and '.join(c.text for c in conditions)} kept {frame.height} row(s)"
        )
    if frame.height == 0:
        detail = f" after the row filter {[c.text for c in conditions]}" if conditions else ""
        raise InputError(f"no data rows{detail}", source=source)
    locate = scan.locator

    # Columns by role.
    reserved = {id_col}
    heldout_match = _matches(heldout_p, available)
    for pattern, hits in heldout_match.items():
        if not hits:
            raise InputError(
                f"held-out pattern {pattern!r} matches no column; available columns: "
                f"{', '.join(repr(c) for c in available)}",
                source=source,
            )
    heldout_cols = [
        c for c in available if c != id_col and any(c in h for h in heldout_match.values())
    ]
    candidates = [c for c in available if c not in reserved and c not in heldout_cols]
    include_match = _matches(include_p, candidates)
    exclude_match = _matches(exclude_p, candidates)
    if include_p:
        selected = [c for c in candidates if any(c in hits for hits in include_match.values())]
    else:
        selected = list(candidates)
    excluded = {c for hits in exclude_match.values() for c in hits}
    selected = [c for c in selected if c not in excluded]

    # Parse numbers; without include, skip columns that hold no number at all.
    numbers: dict[str, np.ndarray] = {}
    skipped_text: list[str] = []
    clean = _parse_clean_text_columns(frame, selected)
    for column in selected:
        if column in clean:
            numbers[column] = clean[column]
            continue
        parsed = _parse_numbers(frame, column, locate, source, strict=bool(include_p))
        if parsed is None:
            skipped_text.append(column)
        else:
            numbers[column] = parsed
    if skipped_text:
        notes.append(f"skipped non-numeric column(s): {', '.join(skipped_text)}")
    columns = [c for c in selected if c in numbers]
    if not columns:
        raise InputError(
            _nothing_left_message(
                available, id_col, include_match, exclude_match, heldout_cols, skipped_text
            ),
            source=source,
        )

    ids = _row_ids(frame, id_col, locate, source)
    heldout_values = {
        c: _parse_numbers(frame, c, locate, source, strict=True) for c in heldout_cols
    }

    directions: dict[str, int] = {}
    for c in [*columns, *heldout_cols]:
        directions[c] = -1 if any(match_pattern(p, c) for p in lower_p) else 1
    unused_lower = [p for p in lower_p if not any(match_pattern(p, c) for c in directions)]
    if unused_lower:
        notes.append(f"lower-is-better pattern(s) matched no column: {', '.join(unused_lower)}")

    raw = np.column_stack([numbers[c] for c in columns])
    signed = raw * np.array([directions[c] for c in columns], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        present = np.sum(np.isfinite(signed), axis=0)
        means = np.nanmean(np.where(present > 0, signed, 0.0), axis=0)
        centred = signed - means
        sds = np.sqrt(np.nansum(centred**2, axis=0) / np.maximum(present - ddof, 1))
    constant = (present < 2) | ~(sds > CONSTANT_SD)
    dropped = tuple(c for c, drop in zip(columns, constant, strict=True) if drop)
    if dropped:
        notes.append(f"dropped constant column(s) (sd ≤ {CONSTANT_SD:g}): {', '.join(dropped)}")
        keep = ~constant
        columns = [c for c, k in zip(columns, keep, strict=True) if k]
        raw, signed, means, sds = raw[:, keep], signed[:, keep], means[keep], sds[keep]
        for c in dropped:
            directions.pop(c, None)
        if not columns:
            raise InputError(
                f"every metric column is constant: {', '.join(dropped)}", source=source
            )
    z = (signed - means) / sds if standardize else signed
    if not standardize:
        means, sds = np.zeros(len(columns)), np.ones(len(columns))

    missing_by_col = np.sum(np.isnan(z), axis=0)
    row_missing = np.any(np.isnan(z), axis=1)
    report = MissingReport(
        n_missing=int(missing_by_col.sum()),
        n_cells=int(z.size),
        by_column={c: int(m) for c, m in zip(columns, missing_by_col, strict=True)},
        rows_with_missing=int(row_missing.sum()),
        row_examples=tuple(ids[i] for i in np.nonzero(row_missing)[0][:10]),
        heldout_by_column={c: int(np.sum(np.isnan(v))) for c, v in heldout_values.items()},
    )
    heldout_signed = {c: v * directions[c] for c, v in heldout_values.items()}
    return MatrixData(
        Z=z,
        raw=raw,
        row_names=tuple(ids),
        columns=tuple(columns),
        heldout=heldout_signed,
        dropped_constant=dropped,
        missing=report,
        directions=directions,
        means=means,
        sds=sds,
        source=source,
        notes=tuple(notes),
        id_col=id_col,
    )


def _nothing_left_message(available, id_col, include_match, exclude_match, heldout, skipped):
    parts = ["no metric column left after the column rules"]
    for pattern, hits in include_match.items():
        parts.append(f"include {pattern!r} matched {len(hits)} column(s){_few(hits)}")
    for pattern, hits in exclude_match.items():
        parts.append(f"exclude {pattern!r} matched {len(hits)} column(s){_few(hits)}")
    if heldout:
        parts.append(f"held out: {', '.join(heldout)}")
    if skipped:
        parts.append(f"non-numeric: {', '.join(skipped)}")
    others = [c for c in available if c != id_col]
    parts.append(f"available columns: {', '.join(repr(c) for c in others)}")
    return "; ".join(parts)


def _few(hits: list[str]) -> str:
    if not hits:
        return ""
    shown = ", ".join(hits[:5])
    return f" ({shown}{', ...' if len(hits) > 5 else ''})"


def _row_ids(frame: pl.DataFrame, id_col: str, locate: RowLocator, source: str) -> list[str]:
    series = frame.get_column(id_col)
    if series.dtype.is_float():
        if (series.is_finite() & (series == series.round(0))).all():
            series = series.cast(pl.Int64)
    text = series.cast(pl.Utf8)
    blank = text.is_null() | (text.str.strip_chars() == "")
    if blank.any():
        row = int(frame.get_column(ROW_INDEX).filter(blank).first())
        raise InputError(f"missing id{_where(locate, row)}", source=source, column=id_col)
    ids = text.to_list()
    seen: dict[str, int] = {}
    rows = frame.get_column(ROW_INDEX).to_list()
    for position, value in enumerate(ids):
        if value in seen:
            first, second = rows[seen[value]], rows[position]
            raise InputError(
                f"duplicate id {value!r}{_where(locate, first)} and{_where(locate, second)}; "
                "each row needs its own id (filter the rows, or choose another --id-col)",
                source=source,
                column=id_col,
            )
        seen[value] = position
    return ids


def _where(locate: RowLocator, row: int) -> str:
    return f" at {locate.describe(row)}"


def _parse_clean_text_columns(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """The text columns that parse cleanly, all in two vectorized passes (a wide file has
    thousands of columns: one polars query per column took most of the read).

    A column is clean when every cell is a number or a missing-value marker, none spells a number
    beyond float64 and none has a square that overflows. The others are left to
    :func:`_parse_numbers`, which names the offending cell.
    """
    schema = frame.schema  # built anew on every access: once, not once per column
    text = [c for c in columns if schema[c] == pl.Utf8]
    if not text:
        return {}
    # One long column (column-major: every row of the first column, then the next) parsed by one
    # expression; polars plans thousands of per-column expressions slowly.
    cells = frame.select(text).unpivot().get_column("value")
    stripped = cells.str.strip_chars()
    is_na = stripped.is_null() | stripped.str.to_lowercase().is_in(list(_NA_TEXT))
    number = stripped.cast(pl.Float64, strict=False)
    bad = (number.is_null() & ~is_na).to_numpy()
    array = number.to_numpy().astype(np.float64, copy=True).reshape(len(text), frame.height).T
    with np.errstate(invalid="ignore"):
        beyond = ~np.isnan(array) & ~(np.abs(array) <= SQUARE_LIMIT)
    troubled = bad.reshape(len(text), frame.height).any(axis=1) | beyond.any(axis=0)
    array[~np.isfinite(array)] = np.nan
    return {name: array[:, j] for j, name in enumerate(text) if not troubled[j]}


def _parse_numbers(
    frame: pl.DataFrame, column: str, locate: RowLocator, source: str, *, strict: bool
) -> np.ndarray | None:
    """Column as float64 with NaN for missing cells; None for an all-text column (not strict)."""
    series = frame.get_column(column)
    dtype = series.dtype
    if dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Null:
        values = series.cast(pl.Float64).to_numpy().astype(np.float64, copy=True)
        values[~np.isfinite(values)] = np.nan
        _check_magnitudes(frame, values, None, column, locate, source)
        return values
    if dtype != pl.Utf8:
        if not strict:
            return None
        raise InputError(f"expected numbers, got dtype {dtype}", source=source, column=column)
    stripped = series.str.strip_chars()
    is_na = stripped.is_null() | stripped.str.to_lowercase().is_in(list(_NA_TEXT))
    numbers = stripped.cast(pl.Float64, strict=False)
    bad = numbers.is_null() & ~is_na
    if bad.any():
        if not strict and not (numbers.is_not_null().any()):
            return None
        row = int(frame.get_column(ROW_INDEX).filter(bad).first())
        text = series.filter(bad).first()
        raise locate.error(f"non-numeric value {text!r}", row, column, source)
    values = numbers.to_numpy().astype(np.float64, copy=True)
    # A finite-looking number beyond float64 parses as ±inf: an error, not a missing cell.
    spelled_inf = stripped.str.to_lowercase().str.strip_chars_start("+-").is_in(["inf", "infinity"])
    overflowed = numbers.is_infinite().fill_null(False) & ~spelled_inf.fill_null(False)
    if overflowed.any():
        row = int(frame.get_column(ROW_INDEX).filter(overflowed).first())
        text = str(series.filter(overflowed).first())
        shown = text if len(text) <= 30 else f"{text[:12]}…{text[-6:]} ({len(text)} chars)"
        raise locate.error(
            f"value {shown!r} is beyond the float64 range (about ±1.8e308)", row, column, source
        )
    values[~np.isfinite(values)] = np.nan
    _check_magnitudes(frame, values, series, column, locate, source)
    return values


def _check_magnitudes(
    frame: pl.DataFrame,
    values: np.ndarray,
    series: pl.Series | None,
    column: str,
    locate: RowLocator,
    source: str,
) -> None:
    """Refuse magnitudes whose squares overflow float64: correlations would be NaN/inf."""
    huge = np.abs(np.nan_to_num(values)) > SQUARE_LIMIT
    if huge.any():
        index = int(np.argmax(huge))
        row = int(frame.get_column(ROW_INDEX)[index])
        raise locate.error(
            f"value {values[index]:.4g} exceeds {SQUARE_LIMIT:.3g} in magnitude: its square "
            "overflows float64, so correlations cannot be computed; rescale the column",
            row,
            column,
            source,
        )
