"""Reading inputs and writing outputs: readers return validated polars frames or numpy arrays.

The readers load on first use (``measurand.io.read_table``), so that importing
``measurand.io.output`` does not import polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from measurand.io._frames import RunData
    from measurand.io.arrays import read_arrays
    from measurand.io.campaign import read_campaign
    from measurand.io.matrix import MatrixData, read_matrix
    from measurand.io.table import read_table

_EXPORTS = {
    "MatrixData": "measurand.io.matrix",
    "RunData": "measurand.io._frames",
    "read_arrays": "measurand.io.arrays",
    "read_campaign": "measurand.io.campaign",
    "read_matrix": "measurand.io.matrix",
    "read_table": "measurand.io.table",
}


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'measurand.io' has no attribute {name!r}")


__all__ = ["MatrixData", "RunData", "read_arrays", "read_campaign", "read_matrix", "read_table"]
