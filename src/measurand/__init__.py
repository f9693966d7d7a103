"""measurand: statistically sound conclusions from machine-learning experiments."""

from __future__ import annotations

from measurand import stats
from measurand._result import ConfidenceInterval, Result
from measurand.errors import DegenerateDataWarning, InputError, MeasurandError, NoSolutionError

__version__ = "0.1.0"

_SUBMODULES = ("compare", "diagnose", "factors", "latent", "io", "noise", "report")


def __getattr__(name: str) -> object:
    # Workflow packages load on first use, so `import measurand` stays light.
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"measurand.{name}")
    raise AttributeError(f"module 'measurand' has no attribute {name!r}")

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
