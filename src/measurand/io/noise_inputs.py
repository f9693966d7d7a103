"""The matrices of ``measurand noise``: a sweep, a noise baseline and an optional target scale.

:func:`read_noise_inputs` reads the files with one set of column rules through
:func:`measurand.io.matrix.read_matrix`; :func:`as_run_matrix` turns a ``MatrixData`` or a
mapping ``{metric: values}`` into the :class:`RunMatrix` the workflow analyses.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from measurand._result import Result
from measurand.errors import InputError

__all__ = ["RunMatrix", "as_run_matrix", "read_noise_inputs"]


@dataclasses.dataclass(frozen=True)
class RunMatrix(Result):
    """Runs x metrics on the analysis scale (directions applied: higher = better).

    ``values`` (n, p) holds NaN for missing cells; ``dropped_constant`` names the columns the
    reader dropped because they did not vary (a sweep must have none).
    """

    values: np.ndarray
    columns: tuple[str, ...]
    row_names: tuple[str, ...]
    directions: dict[str, int]
    source: str
    dropped_constant: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def as_run_matrix(data: Any, *, name: str) -> RunMatrix:
    """A :class:`RunMatrix` from a RunMatrix, a :class:`measurand.io.matrix.MatrixData` (its
    raw values with the directions applied) or a mapping ``{metric: values}`` (already oriented
    higher = better)."""
    if isinstance(data, RunMatrix):
        return data
    if hasattr(data, "raw") and hasattr(data, "directions") and hasattr(data, "columns"):
        columns = tuple(data.columns)
        signs = np.array([data.directions.get(c, 1) for c in columns], dtype=np.float64)
        values = np.asarray(data.raw, dtype=np.float64) * signs
        return RunMatrix(
            values=np.where(np.isfinite(values), values, np.nan),
            columns=columns,
            row_names=tuple(str(r) for r in data.row_names),
            directions={c: int(data.directions.get(c, 1)) for c in columns},
            source=str(getattr(data, "source", name)),
            dropped_constant=tuple(getattr(data, "dropped_constant", ())),
            notes=tuple(getattr(data, "notes", ())),
        )
    if isinstance(data, Mapping):
        if not data:
            raise InputError(f"the {name} matrix has no metric")
        columns = tuple(str(c) for c in data)
        arrays = [np.asarray(v, dtype=np.float64).ravel() for v in data.values()]
        lengths = {a.size for a in arrays}
        if len(lengths) != 1:
            raise InputError(f"the {name} matrix's metrics have different lengths: {lengths}")
        values = np.column_stack(arrays)
        return RunMatrix(
            values=np.where(np.isfinite(values), values, np.nan),
            columns=columns,
            row_names=tuple(str(i) for i in range(values.shape[0])),
            directions=dict.fromkeys(columns, 1),
            source=name,
        )
    raise InputError(
        f"the {name} matrix must be a MatrixData (measurand.io.matrix.read_matrix), a "
        f"RunMatrix or a mapping of metric -> values; got {type(data).__name__}"
    )


def read_matrix(*args: Any, **kwargs: Any) -> Any:
    """:func:`measurand.io.matrix.read_matrix` without numpy's floating-point warnings: values
    near ±1e308 overflow its statistics, and the noise workflow names those columns itself
    (``latent._corr.check_no_overflow``) instead of printing raw RuntimeWarnings."""
    from measurand.io.matrix import read_matrix as read

    with np.errstate(all="ignore"):
        return read(*args, **kwargs)


def _exact(name: str) -> str:
    return f"re:^{re.escape(name)}$"


def read_noise_inputs(
    sweep_path: str | Path,
    noise_path: str | Path,
    *,
    id_col: str,
    noise_id_col: str | None = None,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    lower_is_better: Sequence[str] | None = None,
    target_path: str | Path | None = None,
    target_id_col: str | None = None,
) -> tuple[RunMatrix, RunMatrix, RunMatrix | None]:
    """Read the sweep, noise (and optional target-scale) matrices with the same column rules.

    Each file goes through :func:`measurand.io.matrix.read_matrix` (raw values, directions
    applied). A noise column that ``read_matrix`` drops as constant is read back: with values
    it is a task with zero rerun noise, without values it is missing from the noise matrix.
    A noise file with fewer than 2 data rows is refused before anything else.
    """
    from measurand.io.table import count_rows

    rules: dict[str, Any] = {
        "include": list(include) if include else None,
        "exclude": list(exclude) if exclude else None,
        "lower_is_better": list(lower_is_better) if lower_is_better else None,
        "standardize": False,
    }
    sweep = as_run_matrix(read_matrix(sweep_path, id_col=id_col, **rules), name="sweep")
    noise_path = Path(noise_path)
    n_noise = count_rows(noise_path)
    if n_noise < 2:
        raise InputError(
            f"the noise matrix has {n_noise} data row(s); a noise variance needs at least 2 "
            "reruns of the same configuration",
            source=str(noise_path),
        )
    noise_id = noise_id_col or id_col
    noise_data = read_matrix(noise_path, id_col=noise_id, **rules)
    noise = as_run_matrix(noise_data, name="noise")
    if noise.dropped_constant:
        again = read_matrix(
            noise_path,
            id_col=noise_id,
            **{**rules, "heldout": [_exact(c) for c in noise.dropped_constant]},
        )
        extra_cols, extra_vals, empty = [], [], []
        for column in noise.dropped_constant:
            values = np.asarray(again.heldout[column], dtype=np.float64)
            if np.sum(np.isfinite(values)) >= 2:
                extra_cols.append(column)
                extra_vals.append(values)
            else:
                empty.append(column)
        notes = list(noise.notes)
        if extra_cols:
            notes.append(
                f"constant in the noise matrix (zero rerun noise): {', '.join(extra_cols)}"
            )
        if empty:
            notes.append(f"fewer than 2 values in the noise matrix: {', '.join(empty)}")
        directions = {**noise.directions, **{c: again.directions[c] for c in extra_cols}}
        noise = dataclasses.replace(
            noise,
            values=np.column_stack([noise.values, *extra_vals]) if extra_vals else noise.values,
            columns=(*noise.columns, *extra_cols),
            directions=directions,
            dropped_constant=tuple(empty),
            notes=tuple(notes),
        )
    target = None
    if target_path is not None:
        target = as_run_matrix(
            read_matrix(target_path, id_col=target_id_col or id_col, **rules), name="target"
        )
    return sweep, noise, target
