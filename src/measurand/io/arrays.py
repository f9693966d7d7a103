"""Reading named arrays: ``.npz`` archives and Parquet / CSV tables, as ``{name: numpy array}``.

The first axis of every array is the example axis. A table column becomes a 1-D array; in Parquet
a list or fixed-size array column (one trajectory per row) becomes a 2-D array when every row has
the same length. Missing numeric values become NaN; what to do with them is the caller's choice.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from measurand.errors import InputError
from measurand.io._text import (
    check_file,
    check_header,
    delimiter_hint,
    explain_read_error,
    resolve_format,
)

FORMATS = ("npz", "parquet", "csv", "tsv")

_INFINITY_TEXT = ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity")


def read_arrays(path: str | os.PathLike[str], *, fmt: str | None = None) -> dict[str, np.ndarray]:
    """Read the named arrays in ``path``.

    Parameters
    ----------
    path
        A ``.npz`` archive, a Parquet file (``.parquet``/``.pq``) or a CSV/TSV table.
    fmt
        ``"npz"``, ``"parquet"``, ``"csv"`` or ``"tsv"``; inferred from the suffix when omitted.

    Returns
    -------
    dict
        Array name (npz key or column name) to numpy array, in file order. Numeric table columns
        are float64 (or int64 / bool when they have no missing values); text columns are object
        arrays.

    Raises
    ------
    InputError
        The file is missing, its format is unknown, its content cannot be read, or a Parquet list
        column is ragged. ``source`` names the file.
    """
    file = Path(path)
    source = str(file)
    check_file(file)
    kind = _resolve_format(file, fmt)
    try:
        if kind == "npz":
            arrays = _read_npz(file)
        elif kind == "parquet":
            arrays = _read_parquet(file)
        else:
            arrays = _read_table_text(file, separator="," if kind == "csv" else "\t")
    except InputError:
        raise
    except Exception as exc:  # any reader failure is a problem with the file's content
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read as {kind}: {reason}", source=source) from exc
    if not arrays:
        raise InputError(f"contains no arrays (read as {kind})", source=source)
    return arrays


def _resolve_format(file: Path, fmt: str | None) -> str:
    return resolve_format(file, fmt, FORMATS)


def _read_npz(file: Path) -> dict[str, np.ndarray]:
    try:
        archive = np.load(file, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError(f"not a readable .npz archive ({exc})", source=str(file)) from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise InputError(
            "holds a single array, not a .npz archive of named arrays", source=str(file)
        )
    with archive:
        arrays: dict[str, np.ndarray] = {}
        for name in archive.files:
            try:
                array = np.asarray(archive[name])
            except ValueError as exc:  # object arrays need pickle, which we never enable
                raise InputError(
                    f"array {name!r} cannot be read without pickle ({exc}); save numeric arrays",
                    source=str(file),
                ) from exc
            if np.iscomplexobj(array):
                raise InputError(
                    f"array {name!r} holds complex numbers; store real values (e.g. its "
                    "magnitude or its real and imaginary parts as two arrays)",
                    source=str(file),
                    column=name,
                )
            arrays[name] = array
    return arrays


def _read_parquet(file: Path) -> dict[str, np.ndarray]:
    import polars as pl

    frame = pl.read_parquet(file)
    return {name: _column_to_array(frame[name], source=str(file)) for name in frame.columns}


def _read_table_text(file: Path, *, separator: str) -> dict[str, np.ndarray]:
    import polars as pl

    from measurand.io.table import RowLocator

    check_header(file, separator)
    try:
        # Every cell as text: the numbers are parsed here so that a bad cell can be named.
        frame = pl.read_csv(file, separator=separator, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise explain_read_error(file, separator, exc) from exc
    if frame.height == 0:
        raise InputError("has a header but no data rows", source=str(file))
    hint = delimiter_hint(frame.columns)
    if hint:
        raise InputError(f"cannot split the columns{hint}", source=str(file), line=1)
    locate = RowLocator(file, "tsv" if separator == "\t" else "csv")
    return {name: _text_column(frame[name], locate, str(file)) for name in frame.columns}


def _text_column(series, locate, source: str) -> np.ndarray:  # series: polars.Series of text
    """A CSV column as numbers (bool, int64, or float64 with NaN for empty cells) or as text.

    A column whose non-empty cells mostly parse as numbers is numeric: a cell that does not,
    or a finite-looking number beyond the float64 range (``1`` and 400 zeros), is an
    InputError naming its line and column.
    """
    import polars as pl

    stripped = series.str.strip_chars()
    present = stripped.is_not_null() & (stripped != "")
    n_present = int(present.sum())
    values = stripped.filter(present)
    lowered = values.str.to_lowercase()
    if n_present and lowered.is_in(["true", "false"]).all():
        flags = stripped.str.to_lowercase() == "true"
        if n_present == series.len():
            return flags.to_numpy().astype(bool)
        return pl.select(pl.when(present).then(flags.cast(pl.Float64))).to_series().to_numpy()
    as_float = stripped.cast(pl.Float64, strict=False)
    parsed = as_float.is_not_null() & present
    n_parsed = int(parsed.sum())
    if n_present and n_parsed == n_present:
        as_int = stripped.cast(pl.Int64, strict=False)
        if n_present == series.len() and int(as_int.is_not_null().sum()) == n_present:
            return as_int.to_numpy()
        overflow = (
            parsed
            & as_float.is_infinite()
            & ~stripped.str.to_lowercase().is_in(list(_INFINITY_TEXT))
        )
        if overflow.any():
            row = int(overflow.arg_true()[0])
            raise locate.error(
                f"value {_shorten(series[row])} is beyond the float64 range (about ±1.8e308)",
                row,
                series.name,
                source,
            )
        return pl.select(pl.when(present).then(as_float)).to_series().to_numpy()
    if n_parsed and 2 * n_parsed >= n_present:
        row = int((present & ~parsed).arg_true()[0])
        raise locate.error(
            f"non-numeric value {_shorten(series[row])} in a numeric column",
            row,
            series.name,
            source,
        )
    return series.to_numpy()


def _shorten(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else f"{shown[:20]}…{shown[-10:]} ({len(str(text))} chars)"


def _column_to_array(series, *, source: str) -> np.ndarray:  # series: polars.Series
    import polars as pl

    dtype = series.dtype
    if isinstance(dtype, pl.Array):
        return _as_numeric(series.to_numpy(), series.name, source)
    if isinstance(dtype, pl.List):
        lengths = series.list.len()
        if series.null_count():
            row = int(series.is_null().arg_true()[0])
            raise InputError(
                f"list column has a missing row (row {row}); every row needs a value",
                source=source,
                column=series.name,
            )
        width_min, width_max = lengths.min(), lengths.max()
        if width_min != width_max:
            row = int((lengths != lengths[0]).arg_true()[0])
            raise InputError(
                f"list column is ragged: row 0 has {lengths[0]} values but row {row} has "
                f"{lengths[row]}; a 2-D array needs equal-length rows",
                source=source,
                column=series.name,
            )
        inner = dtype.inner
        if isinstance(inner, pl.List | pl.Array):
            raise InputError(
                "nested list columns are not supported; store one list per row",
                source=source,
                column=series.name,
            )
        return _as_numeric(
            series.list.to_array(int(width_max or 0)).to_numpy(), series.name, source
        )
    if dtype == pl.Boolean:
        if series.null_count():
            return series.cast(pl.Float64).to_numpy()
        return series.to_numpy().astype(bool)
    if dtype.is_numeric():
        return series.to_numpy()
    if dtype == pl.String:
        # polars leaves a column holding "nan"/"inf" as text; recover it as floats when every
        # non-empty entry parses as a number.
        stripped = series.str.strip_chars()
        as_float = stripped.cast(pl.Float64, strict=False)
        present = stripped.is_not_null() & (stripped != "")
        if (as_float.is_not_null() == present).all():
            return as_float.to_numpy()
    return series.to_numpy()


def _as_numeric(values: np.ndarray, name: str, source: str) -> np.ndarray:
    if values.dtype == object:
        raise InputError("list column does not hold numbers", source=source, column=name)
    return values


__all__ = ["FORMATS", "read_arrays"]
