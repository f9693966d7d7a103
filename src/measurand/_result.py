"""Plain-data result objects shared by every layer.

Every analysis returns a frozen dataclass that inherits :class:`Result`; ``to_dict`` turns it
into JSON-ready builtins (numpy scalars and arrays become floats and lists, NaN becomes None).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple


class ConfidenceInterval(NamedTuple):
    """A two-sided (or one-sided, with an infinite end) interval."""

    low: float
    high: float


def to_builtin(value: Any) -> Any:
    """Recursively convert numpy / dataclass values into JSON-serialisable builtins."""
    # numpy loads here, not at import: `import measurand` (and `measurand --help`) stays light.
    import numpy as np

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: to_builtin(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, ConfidenceInterval):
        return [to_builtin(value.low), to_builtin(value.high)]
    if isinstance(value, dict):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_builtin(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_builtin(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    return value


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class: frozen, plain data, ``to_dict()`` for JSON."""

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: to_builtin(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.name.startswith("_")
        }
