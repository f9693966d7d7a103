"""Does a per-example signal predict correctness? AUC, thresholds, 2x2 cells, robustness.

``diagnose(arrays, label=..., signals=...)`` runs every analysis; each analysis is also a function
on plain arrays. Signals are derived from named arrays with small specs such as
``drift_zH|last:4|mean|log10:1e-12`` (see :mod:`measurand.diagnose.signals`).
"""

from __future__ import annotations

from measurand.diagnose import workflow
from measurand.diagnose.signals import Signal, derive_signal, parse_signal
from measurand.diagnose.workflow import *  # noqa: F403 - re-exports exactly workflow.__all__

__all__ = ["Signal", "derive_signal", "parse_signal"]
__all__ += workflow.__all__
