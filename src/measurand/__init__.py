"""measurand: statistically sound conclusions from machine-learning experiments.

``import measurand`` stays light (no numpy, scipy or polars): subpackages load on first use,
so that ``measurand --help`` starts fast.
"""

from __future__ import annotations

from measurand._result import ConfidenceInterval, Result
from measurand._version import __version__
from measurand.errors import (
    DegenerateDataWarning,
    InputError,
    MeasurandError,
    NoSolutionError,
    OutputError,
)

_SUBMODULES = (
    "compare",
    "datasets",
    "diagnose",
    "factors",
    "games",
    "io",
    "irt",
    "items",
    "latent",
    "noise",
    "parallel",
    "plan",
    "report",
    "simulate",
    "stats",
)


def __getattr__(name: str) -> object:
    # Subpackages load on first use (``measurand.stats.bootstrap_ci`` works without an import).
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
    "OutputError",
    "Result",
    "__version__",
    "stats",
]
