"""The R reference fixtures shared by the factor tests.

``tests/reference/factor_reference.json`` is written by ``tests/reference/factor_fixtures.R``
(psych 2.2.9, GPArotation 2022.10.2, R 4.2.2) from the two data sets read by :func:`data`.
The arrays returned are cached and shared: tests must not modify them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"


@cache
def reference() -> dict:
    return json.loads((REFERENCE_DIR / "factor_reference.json").read_text())


@cache
def data(dataset: str) -> np.ndarray:
    """psychTools::bfi's 25 items (``"bfi"``, with missing cells) or the 9 HolzingerSwineford1939
    tests (``"hs"``; the id column dropped)."""
    if dataset == "bfi":
        return np.genfromtxt(REFERENCE_DIR / "bfi.csv", delimiter=",", skip_header=1)
    hs = np.genfromtxt(REFERENCE_DIR / "holzinger_swineford_1939.csv", delimiter=",", skip_header=1)
    return hs[:, 1:]
