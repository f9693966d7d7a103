"""Does a per-example signal predict correctness? AUC, thresholds, 2x2 cells, robustness.

``diagnose(arrays, label=..., signals=...)`` runs every analysis; each analysis is also a function
on plain arrays. Signals are derived from named arrays with small specs such as
``drift_zH|last:4|mean|log10:1e-12`` (see :mod:`measurand.diagnose.signals`).
"""

from __future__ import annotations

from measurand.diagnose.signals import Signal, derive_signal, parse_signal
from measurand.diagnose.workflow import (
    CELL_MEANINGS,
    CELL_NAMES,
    Cell,
    CellsResult,
    DiagnoseResult,
    DiagnoseSettings,
    Fraction,
    GroupMedian,
    GroupMedians,
    Histogram,
    PairedResult,
    SignalAUC,
    SignalInfo,
    compute_threshold,
    diagnose,
    group_medians,
    paired_comparison,
    parse_threshold,
    settling_cells,
    signal_auc,
    signal_histogram,
)

__all__ = [
    "CELL_MEANINGS",
    "CELL_NAMES",
    "Cell",
    "CellsResult",
    "DiagnoseResult",
    "DiagnoseSettings",
    "Fraction",
    "GroupMedian",
    "GroupMedians",
    "Histogram",
    "PairedResult",
    "Signal",
    "SignalAUC",
    "SignalInfo",
    "compute_threshold",
    "derive_signal",
    "diagnose",
    "group_medians",
    "paired_comparison",
    "parse_signal",
    "parse_threshold",
    "settling_cells",
    "signal_auc",
    "signal_histogram",
]
