"""Read a published correlation (or covariance) matrix for ``measurand factors --correlation``.

The file (CSV, TSV or Parquet) holds a square matrix: one column per variable, one row per
variable in the same order, and optionally a first text column naming the rows (``names_col``,
default: the first column when it is not numeric). The matrix itself is validated by
:func:`measurand.latent._corr.correlation_from_matrix` (square, symmetric, finite, positive
diagonal; a covariance matrix is rescaled to correlations).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from measurand.errors import InputError
from measurand.latent._corr import correlation_from_matrix

__all__ = ["CorrelationInput", "read_correlation_matrix"]


@dataclasses.dataclass(frozen=True)
class CorrelationInput:
    """A validated correlation matrix, its variable names and where it came from."""

    correlation: np.ndarray
    names: tuple[str, ...]
    source: str


def read_correlation_matrix(path: str | Path, *, names_col: str | None = None) -> CorrelationInput:
    """Read ``path`` as a square correlation or covariance matrix (see the module notes)."""
    import polars as pl

    source = str(path)
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found (or not a file)", source=source)
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        else:
            separator = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
            frame = pl.read_csv(path, separator=separator, infer_schema_length=None)
    except (OSError, pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the correlation matrix: {exc}", source=source) from None
    if names_col is None and frame.width and not frame.dtypes[0].is_numeric():
        names_col = frame.columns[0]
    if names_col is not None and names_col not in frame.columns:
        raise InputError(f"no column {names_col!r} to name the rows", source=source)
    values = frame.drop(names_col) if names_col is not None else frame
    text = [c for c, t in zip(values.columns, values.dtypes, strict=True) if not t.is_numeric()]
    if text:
        raise InputError(
            f"non-numeric column(s) {text[:5]} in the correlation matrix (only the first column "
            "may hold names)",
            source=source,
        )
    names = tuple(values.columns)
    if names_col is not None:
        row_names = tuple(str(v) for v in frame[names_col].to_list())
        if row_names != names:
            raise InputError(
                f"the row names ({names_col!r}) do not repeat the column names in order; a "
                "correlation matrix lists the same variables down and across",
                source=source,
            )
    matrix = values.to_numpy().astype(np.float64)
    try:
        R = correlation_from_matrix(matrix, name="the correlation matrix")
    except InputError as exc:
        raise InputError(str(exc), source=source) from None
    return CorrelationInput(correlation=R, names=names, source=source)
