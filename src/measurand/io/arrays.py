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

FORMATS = ("npz", "parquet", "csv", "tsv")

_SUFFIX_FORMATS = {
    ".npz": "npz",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "tsv",
}


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
    if not file.exists():
        raise InputError("file not found", source=source)
    if file.is_dir():
        raise InputError("is a folder; expected a .npz, .parquet or .csv file", source=source)
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
    if fmt is not None:
        kind = fmt.lower().lstrip(".")
        kind = "parquet" if kind == "pq" else kind
        if kind not in FORMATS:
            raise InputError(
                f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", source=str(file)
            )
        return kind
    kind = _SUFFIX_FORMATS.get(file.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(_SUFFIX_FORMATS))
        raise InputError(
            f"unknown file type {file.suffix or '(no suffix)'!r}; expected one of {known}",
            source=str(file),
        )
    return kind


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
                arrays[name] = np.asarray(archive[name])
            except ValueError as exc:  # object arrays need pickle, which we never enable
                raise InputError(
                    f"array {name!r} cannot be read without pickle ({exc}); save numeric arrays",
                    source=str(file),
                ) from exc
    return arrays


def _read_parquet(file: Path) -> dict[str, np.ndarray]:
    import polars as pl

    frame = pl.read_parquet(file)
    return {name: _column_to_array(frame[name], source=str(file)) for name in frame.columns}


def _read_table_text(file: Path, *, separator: str) -> dict[str, np.ndarray]:
    import polars as pl

    frame = pl.read_csv(file, separator=separator, infer_schema_length=None)
    return {name: _column_to_array(frame[name], source=str(file)) for name in frame.columns}


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
