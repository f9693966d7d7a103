"""Read a long table (CSV, CSV.GZ, TSV, Parquet, JSON lines) into the canonical long frame.

The table has one row per observation, with user-named columns for the condition, the seed (or
run), an optional task (game, benchmark), an optional step, and one or more value columns. A
wandb "export CSV" of runs is such a table (``condition="Group"``, ``seed="seed"``,
``value=["train/correct_rate", ...]``), and so is the Dopamine baselines file
(``condition="agent"``, ``seed="run"``, ``task="game"``, ``step="iteration"``,
``value="value"``).

The file is scanned lazily with polars, only the named columns are read, and ``filters`` are
applied before anything is collected. Errors name the file, the 1-based line (the header is line
1; for Parquet, the 1-based row) and the column.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import polars as pl

from measurand.errors import InputError
from measurand.io._frames import (
    CANONICAL_SCHEMA,
    KEY_COLUMNS,
    RunData,
    describe_key,
    first_duplicate,
    has_duplicate_keys,
    overflow_note,
    ragged_note,
    step_summary,
    validate_canonical,
)
from measurand.io._text import (
    check_file,
    check_header,
    delimiter_hint,
    explain_read_error,
    open_text,
    resolve_format,
)

__all__ = [
    "FORMATS",
    "ROW_INDEX",
    "RowLocator",
    "RunData",
    "TableScan",
    "count_rows",
    "read_table",
    "scan_table",
]

FORMATS: tuple[str, ...] = ("csv", "tsv", "parquet", "jsonl")
"""Formats :func:`read_table` understands (``fmt=``); ``ndjson``/``json`` mean ``jsonl``."""

ROW_INDEX = "__measurand_row__"
"""Column that :func:`scan_table` adds: the 0-based index of each data row in the file."""
_TRUE_TEXT = ("true", "yes")
_FALSE_TEXT = ("false", "no")


def read_table(
    path: str | Path,
    *,
    condition: str,
    seed: str,
    value: str | Sequence[str],
    task: str | None = None,
    step: str | None = None,
    metric: str | None = None,
    fmt: str | None = None,
    filters: Mapping[str, object] | None = None,
) -> RunData:
    """Read a long table into a :class:`~measurand.io._frames.RunData`.

    Parameters
    ----------
    path:
        A ``.csv``, ``.csv.gz``, ``.tsv(.gz)``, ``.parquet``/``.pq`` or ``.jsonl``/``.ndjson(.gz)``
        file (or any name, with ``fmt``).
    condition, seed:
        Columns holding the condition and the seed/run. Any dtype; turned into text (an integral
        float seed ``3.0`` becomes ``"3"``).
    value:
        One value column, or a list of them. Each becomes a metric named after its column,
        except that with one value column ``metric`` may name a column holding metric names.
    task, step:
        Optional columns holding the task (else ``task`` is ``""``) and the integer step (else
        ``step`` is null). Integral floats such as ``1000.0`` are accepted as steps.
    metric:
        Optional column holding metric names (only with a single value column).
    fmt:
        ``"csv"``, ``"tsv"``, ``"parquet"`` or ``"jsonl"``; inferred from the suffix when None.
    filters:
        Column -> allowed values (a list, or one value), applied before the data is collected,
        e.g. ``{"agent": ["DQN", "C51"]}``. Columns need not be among those above.

    Returns
    -------
    RunData
        Canonical frame in file order; ``warnings`` counts dropped missing/NaN/inf values and
        notes ragged runs (seeds of one condition and task covering different step ranges).

    Raises
    ------
    InputError
        Missing file, unknown format or column (the message lists the available columns), a
        non-numeric value (naming column, line and text), a missing condition/seed/task/step,
        a non-integral step, a duplicate ``(condition, seed, task, step, metric)`` row (naming
        both lines), or no rows left after filtering.
    """
    scan = scan_table(path, fmt)
    source, fmt = scan.source, scan.fmt
    value_columns = _value_columns(value, source)
    if metric is not None and len(value_columns) > 1:
        raise InputError(
            f"metric={metric!r} names a column of metric names, which needs exactly one value "
            f"column; got value={value_columns}",
            source=source,
        )

    roles: dict[str, str] = {"condition": condition, "seed": seed}
    if task is not None:
        roles["task"] = task
    if step is not None:
        roles["step"] = step
    if metric is not None:
        roles["metric"] = metric

    available = scan.columns
    _check_columns(roles, value_columns, filters, available, source)

    lazy = scan.lazy
    if filters:
        lazy = lazy.filter(_filter_expression(filters, scan.schema, source))
    needed = list(dict.fromkeys([*roles.values(), *value_columns]))
    raw = scan.collect(lazy.select([ROW_INDEX, *needed]))

    locate = scan.locator
    warnings: list[str] = []
    if fmt in ("csv", "tsv"):
        # polars reads a blank line as a row of nulls; it carries no observation.
        blank = pl.all_horizontal([pl.col(c).is_null() for c in needed])
        n_blank = raw.select(blank.sum()).item()
        if n_blank:
            raw = raw.filter(~blank)
            warnings.append(f"{source}: skipped {n_blank} blank line(s)")
    if raw.height == 0:
        detail = f" after filters {dict(filters)}" if filters else ""
        raise InputError(f"no data rows{detail}", source=source)

    converted = {
        ROW_INDEX: raw.get_column(ROW_INDEX),
        "condition": _as_text(raw, condition, locate, source),
        "seed": _as_text(raw, seed, locate, source),
    }
    if task is not None:
        converted["task"] = _as_text(raw, task, locate, source)
    if step is not None:
        converted["step"] = _as_step(raw, step, locate, source)
    if metric is not None:
        converted["metric"] = _as_text(raw, metric, locate, source)
    numbers = {c: _as_number(raw, c, locate, source) for c in value_columns}

    wide = pl.DataFrame(converted).with_columns(
        *[s.alias(f"__value__{c}") for c, s in numbers.items()]
    )
    if "task" not in wide.columns:
        wide = wide.with_columns(task=pl.lit("", dtype=pl.Utf8))
    if "step" not in wide.columns:
        wide = wide.with_columns(step=pl.lit(None, dtype=pl.Int64))
    if "metric" in wide.columns:
        long = wide.rename({f"__value__{value_columns[0]}": "value"})
    elif len(value_columns) == 1:
        long = wide.rename({f"__value__{value_columns[0]}": "value"}).with_columns(
            metric=pl.lit(value_columns[0], dtype=pl.Utf8)
        )
    else:
        long = wide.unpivot(
            on=[f"__value__{c}" for c in value_columns],
            index=[ROW_INDEX, *KEY_COLUMNS[:-1]],
            variable_name="metric",
            value_name="value",
        ).with_columns(pl.col("metric").str.strip_prefix("__value__"))
        # unpivot stacks column after column; restore file order.
        long = long.sort(ROW_INDEX, maintain_order=True)

    finite = pl.col("value").is_finite().fill_null(False)
    n_dropped = long.select((~finite).sum()).item()
    if n_dropped:
        per_metric = long.filter(~finite).group_by("metric", maintain_order=True).len().iter_rows()
        detail = ", ".join(f"{m}: {n}" for m, n in per_metric)
        warnings.append(f"{source}: dropped {n_dropped} missing/NaN/inf value(s) ({detail})")
        long = long.filter(finite)
    if long.height == 0:
        raise InputError(
            f"every value in {value_columns} is missing, NaN or infinite", source=source
        )

    summary = step_summary(long)
    duplicate = first_duplicate(long, KEY_COLUMNS) if has_duplicate_keys(summary) else None
    if duplicate is not None:
        first, second = (long.row(i, named=True) for i in duplicate)
        unused = [c for c in available if c not in needed]
        hint = (
            f"; if another column tells these rows apart, pass it as task= or step= "
            f"(unused columns: {', '.join(unused)})"
            if unused and (task is None or step is None)
            else ""
        )
        raise InputError(
            f"duplicate row for {describe_key(first, KEY_COLUMNS)}: "
            f"{locate.describe(first[ROW_INDEX])} and {locate.describe(second[ROW_INDEX])}{hint}",
            source=source,
        )

    frame = validate_canonical(long.select(list(CANONICAL_SCHEMA)), source, check_duplicates=False)
    huge = overflow_note(frame)
    if huge is not None:
        warnings.append(f"{source}: {huge}")
    note = ragged_note(frame, summary)
    if note is not None:
        warnings.append(f"{source}: {note}")
    return RunData(frame=frame, source=source, warnings=tuple(warnings))


@dataclasses.dataclass(frozen=True)
class TableScan:
    """A table file opened lazily by :func:`scan_table`: only its schema has been read.

    ``lazy`` scans the whole file with the 0-based data-row index in column :data:`ROW_INDEX`;
    ``columns`` and ``schema`` describe the file's own columns.
    """

    path: Path
    fmt: str
    lazy: pl.LazyFrame
    schema: pl.Schema

    @property
    def source(self) -> str:
        return str(self.path)

    @property
    def columns(self) -> list[str]:
        return self.schema.names()

    @property
    def locator(self) -> RowLocator:
        return RowLocator(self.path, self.fmt)

    def collect(self, lazy: pl.LazyFrame) -> pl.DataFrame:
        """Collect a query built on :attr:`lazy`; a read failure becomes an InputError."""
        try:
            return lazy.collect()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _read_error(self.path, self.fmt, exc) from exc


def scan_table(path: str | Path, fmt: str | None = None) -> TableScan:
    """Open a CSV/TSV (optionally gzipped), Parquet or JSON-lines file lazily.

    CSV and TSV cells are all read as text (so that a bad cell can be named). ``fmt`` as in
    :func:`read_table`. Raises InputError for a missing file, a directory, an unknown format or
    an unreadable header.
    """
    path = Path(path)
    source = str(path)
    check_file(path)
    fmt = _resolve_format(path, fmt)
    if fmt in ("csv", "tsv"):
        check_header(path, _SEPARATORS[fmt])
    lazy = _scan(path, fmt, source)
    try:
        schema = lazy.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise _read_error(path, fmt, exc) from exc
    return TableScan(path=path, fmt=fmt, lazy=lazy.with_row_index(ROW_INDEX), schema=schema)


def count_rows(path: str | Path, fmt: str | None = None) -> int:
    """Number of data rows of a table file (as :func:`scan_table` reads it)."""
    scan = scan_table(path, fmt)
    return int(scan.collect(scan.lazy.select(pl.len())).item())


def _resolve_format(path: Path, fmt: str | None) -> str:
    return resolve_format(path, fmt, FORMATS)


def _value_columns(value: str | Sequence[str], source: str) -> list[str]:
    columns = [value] if isinstance(value, str) else list(value)
    if not columns:
        raise InputError("value= must name at least one column", source=source)
    if not all(isinstance(c, str) for c in columns):
        raise InputError(f"value= must be column names, got {columns!r}", source=source)
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputError(f"value= lists column(s) {repeated} more than once", source=source)
    return columns


def _scan(path: Path, fmt: str, source: str) -> pl.LazyFrame:
    try:
        if fmt in ("csv", "tsv"):
            # Everything as text: numbers are parsed by us so that a bad cell can be named.
            return pl.scan_csv(path, separator="\t" if fmt == "tsv" else ",", infer_schema=False)
        if fmt == "parquet":
            return pl.scan_parquet(path)
        return pl.scan_ndjson(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"cannot read {fmt} file: {_first_line(exc)}", source=source) from exc


_SEPARATORS = {"csv": ",", "tsv": "\t"}


def _read_error(path: Path, fmt: str, exc: BaseException) -> InputError:
    """A read failure as an InputError; for CSV/TSV the file is re-read to name the line."""
    if fmt in _SEPARATORS:
        return explain_read_error(path, _SEPARATORS[fmt], exc)
    if fmt == "jsonl":
        return _jsonl_error(path, exc)
    return InputError(f"cannot read {fmt} file: {_first_line(exc)}", source=str(path))


def _jsonl_error(path: Path, exc: BaseException) -> InputError:
    """Name the first line of a JSON-lines file that is not one JSON object."""
    import json

    from measurand.io._text import open_text

    try:
        with open_text(path) as text:
            for number, line in enumerate(text, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError) as bad:
                    return InputError(
                        f"not valid JSON ({str(bad).splitlines()[0][:80]})",
                        source=str(path),
                        line=number,
                    )
                if not isinstance(record, dict):
                    return InputError(
                        f"expected a JSON object per line, got {type(record).__name__}",
                        source=str(path),
                        line=number,
                    )
    except UnicodeDecodeError:
        from measurand.io._text import first_bad_utf8

        return first_bad_utf8(path, ",")
    except (OSError, EOFError) as bad:
        return InputError(f"cannot read jsonl file: {bad}", source=str(path))
    return InputError(f"cannot read jsonl file: {_first_line(exc)}", source=str(path))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_columns(
    roles: Mapping[str, str],
    value_columns: list[str],
    filters: Mapping[str, object] | None,
    available: list[str],
    source: str,
) -> None:
    wanted = [(role, col) for role, col in roles.items()]
    wanted += [("value", col) for col in value_columns]
    wanted += [("filters", col) for col in (filters or {})]
    unknown = [f"{role}={col!r}" for role, col in wanted if col not in available]
    if unknown:
        raise InputError(
            f"unknown column(s): {', '.join(unknown)}; available columns: "
            f"{', '.join(repr(c) for c in available)}{delimiter_hint(available)}",
            source=source,
        )
    used: dict[str, str] = {}
    for role, col in [*roles.items(), *(("value", c) for c in value_columns)]:
        if col in used:
            raise InputError(
                f"column {col!r} is given both as {used[col]}= and as {role}=", source=source
            )
        used[col] = role


def _filter_expression(filters: Mapping[str, object], schema: pl.Schema, source: str) -> pl.Expr:
    conditions = []
    for column, allowed in filters.items():
        if isinstance(allowed, str | bytes) or not isinstance(allowed, Iterable):
            allowed = [allowed]
        allowed = list(allowed)
        dtype = schema[column]
        if dtype == pl.Utf8:
            conditions.append(pl.col(column).is_in([str(v) for v in allowed]))
            continue
        try:
            values = pl.Series(allowed).cast(dtype, strict=True)
        except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
            raise InputError(
                f"filter values {allowed!r} do not match the column's dtype {dtype}",
                source=source,
                column=column,
            ) from exc
        conditions.append(pl.col(column).is_in(values.implode()))
    return pl.all_horizontal(conditions)


class RowLocator:
    """Turn a data-row index into the 1-based line of the file (computed only for errors)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt

    def line(self, row: int) -> int | None:
        if self.fmt == "parquet":
            return None
        with self._open() as text:
            if self.fmt == "jsonl":
                seen = -1
                for number, line in enumerate(text, start=1):
                    if line.strip():
                        seen += 1
                        if seen == row:
                            return number
                return None
            reader = csv.reader(text, delimiter="\t" if self.fmt == "tsv" else ",")
            if next(reader, None) is None:
                return None
            start = reader.line_num + 1
            for index, _ in enumerate(reader):
                if index == row:
                    return start
                start = reader.line_num + 1
        return None

    def describe(self, row: int) -> str:
        """``"line L"``, or ``"row N"`` (1-based) where lines do not apply (Parquet)."""
        line = self.line(row)
        return f"row {row + 1}" if line is None else f"line {line}"

    def error(self, message: str, row: int, column: str, source: str) -> InputError:
        """An InputError at the row's line, or naming the row where there are no lines."""
        line = self.line(row)
        if line is None:
            return InputError(f"{message} (row {row + 1})", source=source, column=column)
        return InputError(message, source=source, line=line, column=column)

    def _open(self) -> io.TextIOBase:
        return open_text(self.path)


def _first_row(raw: pl.DataFrame, mask: pl.Series) -> int:
    return int(raw.get_column(ROW_INDEX).filter(mask).first())


def _as_text(raw: pl.DataFrame, column: str, locate: RowLocator, source: str) -> pl.Series:
    series = raw.get_column(column)
    dtype = series.dtype
    if dtype.is_nested() or dtype in (pl.Object, pl.Binary):
        raise InputError(
            f"expected text or numbers, got dtype {dtype}", source=source, column=column
        )
    if series.null_count():
        raise locate.error("missing value", _first_row(raw, series.is_null()), column, source)
    if dtype.is_float():
        integral = (series == series.round(0)).all() and series.is_finite().all()
        if integral:
            series = series.cast(pl.Int64)
    return series.cast(pl.Utf8).alias(column)


def _as_step(raw: pl.DataFrame, column: str, locate: RowLocator, source: str) -> pl.Series:
    series = raw.get_column(column)
    if series.null_count():
        raise locate.error("missing step", _first_row(raw, series.is_null()), column, source)
    if series.dtype.is_integer():
        return series.cast(pl.Int64)
    if series.dtype == pl.Utf8:
        as_int = series.str.strip_chars().cast(pl.Int64, strict=False)
        if as_int.null_count() == 0:
            return as_int
        as_float = series.str.strip_chars().cast(pl.Float64, strict=False)
        bad = as_float.is_null()
        if bad.any():
            row = _first_row(raw, bad)
            text = series.filter(bad).first()
            raise locate.error(f"step {text!r} is not a number", row, column, source)
    elif series.dtype.is_float():
        as_float = series
    else:
        raise InputError(
            f"step column must hold integers, got dtype {series.dtype}",
            source=source,
            column=column,
        )
    fractional = ~(as_float.is_finite() & (as_float == as_float.round(0)))
    if fractional.any():
        row = _first_row(raw, fractional)
        text = as_float.filter(fractional).first()
        raise locate.error(f"step {text!r} is not an integer", row, column, source)
    # 2^63 itself rounds to a float64 that int64 cannot hold.
    too_large = as_float.abs() >= 2.0**63
    if too_large.any():
        row = _first_row(raw, too_large)
        text = series.filter(too_large).first()
        raise locate.error(
            f"step {text!r} is outside the 64-bit integer range (|step| < 2^63)",
            row,
            column,
            source,
        )
    return as_float.cast(pl.Int64)


def _as_number(raw: pl.DataFrame, column: str, locate: RowLocator, source: str) -> pl.Series:
    series = raw.get_column(column)
    dtype = series.dtype
    if dtype.is_numeric() or dtype == pl.Boolean:
        return series.cast(pl.Float64)
    if dtype == pl.Null:
        return series.cast(pl.Float64)
    if dtype != pl.Utf8:
        raise InputError(
            f"value column must be numeric, got dtype {dtype}", source=source, column=column
        )
    numbers = series.cast(pl.Float64, strict=False)
    bad = numbers.is_null() & series.is_not_null()
    if not bad.any():
        return numbers
    # Slow path, only when a cell failed: padded numbers and true/false (wandb exports) pass.
    stripped = series.str.strip_chars()
    lowered = stripped.str.to_lowercase()
    numbers = (
        pl.select(
            pl.when(lowered.is_in(_TRUE_TEXT))
            .then(1.0)
            .when(lowered.is_in(_FALSE_TEXT))
            .then(0.0)
            .when(stripped == "")
            .then(None)
            .otherwise(stripped.cast(pl.Float64, strict=False))
        )
        .to_series()
        .alias(column)
    )
    bad = numbers.is_null() & (stripped != "").fill_null(False)
    if bad.any():
        row = _first_row(raw, bad)
        text = series.filter(bad).first()
        raise locate.error(f"non-numeric value {text!r}", row, column, source)
    return numbers
