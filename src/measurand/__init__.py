"""measurand: statistically sound conclusions from machine-learning experiments."""

from __future__ import annotations

from measurand import stats
from measurand._result import ConfidenceInterval, Result
from measurand.errors import DegenerateDataWarning, InputError, MeasurandError, NoSolutionError

__version__ = "0.1.0"

__all__ = [
    "ConfidenceInterval",
    "DegenerateDataWarning",
    "InputError",
    "MeasurandError",
    "NoSolutionError",
    "Result",
    "__version__",
    "stats",
]
