"""Reading inputs and writing outputs: readers return validated polars frames or numpy arrays."""

from __future__ import annotations

from measurand.io._frames import RunData
from measurand.io.arrays import read_arrays
from measurand.io.campaign import read_campaign
from measurand.io.matrix import MatrixData, read_matrix
from measurand.io.table import read_table

__all__ = ["MatrixData", "RunData", "read_arrays", "read_campaign", "read_matrix", "read_table"]
