"""Small helpers the analyses share: NaN intervals, interval conversion, warnings as notes."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from measurand._result import ConfidenceInterval

NAN_CI = ConfidenceInterval(math.nan, math.nan)


def to_ci(interval: Any) -> ConfidenceInterval:
    if interval is None:
        return NAN_CI
    return ConfidenceInterval(float(interval[0]), float(interval[1]))


def capture(notes: list[str], context: str, function: Callable[..., Any], *args, **kwargs) -> Any:
    """Call a stats function, turning the warnings it issues into notes for the result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    for warning in caught:
        if issubclass(warning.category, DeprecationWarning):
            continue
        notes.append(f"{context}: {warning.message}")
    return result


def mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(values, axis=axis)
