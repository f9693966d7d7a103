"""Reading task pools for ``measurand simulate``.

A pool file is the ``.npz`` that ``measurand factors --export-pool`` writes (format
``measurand.item_pool``: arrays ``z``, ``item_names``, ``metadata``), read without pickle by the
item-pool reader, then checked as a game pool (:func:`measurand.games.pools.validate_pool`):
non-negative rows of length ≤ 1, no NaN, no all-zero row — errors name the file and the row.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from measurand.games.pools import TaskPool, validate_pool
from measurand.io.pool import load_item_pool

__all__ = ["load_task_pool"]


def load_task_pool(path: str | os.PathLike[str]) -> TaskPool:
    """Read and validate a pool ``.npz``; raises :class:`~measurand.errors.InputError`."""
    pool = load_item_pool(path)
    names = tuple(str(n) for n in pool.item_names)
    z = validate_pool(np.asarray(pool.z), source=str(path), task_names=names)
    metadata = {**dict(pool.metadata), "file": Path(path).name}
    return TaskPool(z=z, task_names=names, layer=None, metadata=metadata)
