"""Item-pool files: write and read the ``.npz`` that ``measurand factors --export-pool`` makes.

The pool itself (:class:`measurand.latent.pool.ItemPool`, built by
:func:`measurand.latent.pool.item_pool`) is numerics; this module is its file format, read by
``measurand simulate`` through :func:`load_item_pool`.

Format ``measurand.item_pool``, version 1 — a NumPy ``.npz`` (zip, compressed), loaded without
pickle, with exactly these arrays:

* ``z``           float64, shape (n_items, k): one non-negative skill vector per item, rows of
  length ≤ 1, axes in decreasing squared mass (axis 0 = the most loaded skill);
* ``item_names``  unicode, shape (n_items,): the item (task) names, in the rows' order;
* ``metadata``    a 0-d unicode array holding one JSON object (keys sorted) with at least
  ``format`` (``"measurand.item_pool"``), ``format_version`` (1), ``made_by``, ``steps``, ``tau``,
  ``n_pool``, ``seed``, ``n_items_in``, ``n_items``, ``n_factors``,
  ``dropped_no_positive_loading`` (names), ``axis_order`` (new axis -> input factor) and
  ``axis_mass``; ``measurand factors`` adds ``source``, ``method``, ``rotation``, ``n_factors``
  and ``n_rows``.

Readers refuse a file whose ``format`` differs or whose ``format_version`` is newer than theirs;
a later version only adds metadata keys or arrays that older readers may ignore.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from measurand._result import to_builtin
from measurand.errors import InputError
from measurand.io.output import write_atomic
from measurand.latent.pool import POOL_FORMAT, POOL_FORMAT_VERSION, ItemPool

__all__ = [
    "POOL_FORMAT",
    "POOL_FORMAT_VERSION",
    "load_item_pool",
    "pool_npz_bytes",
    "save_item_pool",
]


def pool_npz_bytes(pool: ItemPool) -> bytes:
    """The ``.npz`` bytes of ``pool`` (see the module notes for the arrays)."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        z=np.asarray(pool.z, dtype=np.float64),
        item_names=np.array(pool.item_names, dtype=np.str_),
        metadata=np.array(json.dumps(to_builtin(pool.metadata), sort_keys=True)),
    )
    return buffer.getvalue()


def save_item_pool(pool: ItemPool, path: str | os.PathLike[str]) -> Path:
    """Write ``pool`` to ``path`` as ``.npz``, atomically (``io.output.write_atomic``)."""
    return write_atomic(path, pool_npz_bytes(pool))


def load_item_pool(path: str | os.PathLike[str]) -> ItemPool:
    """Read a pool written by :func:`save_item_pool` (no pickle is ever loaded)."""
    source = str(path)
    if not Path(path).is_file():
        raise InputError("file not found", source=source)
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = {"z", "item_names", "metadata"} - set(data.files)
            if missing:
                raise InputError(
                    f"not an item pool: missing array(s) {sorted(missing)}", source=source
                )
            z = np.array(data["z"], dtype=np.float64)
            names = tuple(str(name) for name in data["item_names"])
            metadata = json.loads(str(data["metadata"]))
    except (OSError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"cannot read item pool: {exc}", source=source) from exc
    if not isinstance(metadata, dict) or metadata.get("format") != POOL_FORMAT:
        found = metadata.get("format") if isinstance(metadata, dict) else None
        raise InputError(f"not an item pool (format {found!r})", source=source)
    if int(metadata.get("format_version", 0)) > POOL_FORMAT_VERSION:
        raise InputError(
            f"item pool format version {metadata['format_version']} is newer than this "
            f"measurand reads ({POOL_FORMAT_VERSION}); upgrade measurand",
            source=source,
        )
    if z.ndim != 2 or z.shape[0] != len(names):
        raise InputError(
            f"item pool arrays disagree: z {z.shape}, {len(names)} names", source=source
        )
    return ItemPool(z=z, item_names=names, metadata=metadata)
