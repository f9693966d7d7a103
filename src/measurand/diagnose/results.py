"""The result objects of ``diagnose``: one small frozen dataclass per analysis, and the whole run.

Every object is a :class:`measurand._result.Result` (``to_dict()`` gives its ``results.json``
part).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from measurand._result import ConfidenceInterval, Result

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
    "SignalAUC",
    "SignalInfo",
]

CELL_NAMES = ("A", "B", "C", "D")
CELL_MEANINGS = {
    "A": "settled & correct",
    "B": "settled & wrong",
    "C": "unsettled & correct",
    "D": "unsettled & wrong",
}


@dataclasses.dataclass(frozen=True)
class SignalInfo(Result):
    """A signal as used: its name, canonical spec, the arrays it reads, and the rows it kept."""

    name: str
    spec: str
    arrays: tuple[str, ...]
    n_used: int
    n_dropped: int


@dataclasses.dataclass(frozen=True)
class SignalAUC(Result):
    """AUC of one signal for predicting ``label == 1`` (higher signal = correct).

    ``delong_*`` is the DeLong (1988) normal interval, ``bootstrap_*`` the bootstrap interval
    (``bootstrap_method``); either is ``None`` when not requested. ``n_invalid`` counts bootstrap
    resamples that lacked a class (dropped).
    """

    signal: str
    auc: float
    n_correct: int
    n_wrong: int
    n_tied_pairs: int
    confidence_level: float
    delong_ci: ConfidenceInterval | None
    delong_se: float | None
    bootstrap_ci: ConfidenceInterval | None
    bootstrap_se: float | None
    bootstrap_method: str | None
    n_resamples: int | None
    n_invalid: int | None
    warnings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class GroupMedian(Result):
    """Median of the signal within one class, with a bootstrap interval."""

    median: float
    confidence_interval: ConfidenceInterval
    standard_error: float
    n: int
    n_invalid: int


@dataclasses.dataclass(frozen=True)
class GroupMedians(Result):
    """Medians of one signal among correct and among wrong examples."""

    signal: str
    correct: GroupMedian
    wrong: GroupMedian
    bootstrap_method: str
    n_resamples: int
    confidence_level: float
    stratified: bool
    warnings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Fraction(Result):
    """``k / n`` with a two-sided Clopper-Pearson interval.

    ``upper_bound`` is the exact one-sided bound ``1 - alpha^(1/n)`` (``alpha = 1 - level``) when
    ``k == 0`` and ``None`` otherwise; every value is NaN when ``n == 0``.
    """

    k: int
    n: int
    estimate: float
    confidence_interval: ConfidenceInterval
    upper_bound: float | None


@dataclasses.dataclass(frozen=True)
class Cell(Result):
    """One of the 2x2 cells (``A``..``D``)."""

    name: str
    settled: bool
    correct: bool
    count: int
    of_all: Fraction
    of_class: Fraction  # of the correct examples for A and C, of the wrong ones for B and D
    median_signal: float


@dataclasses.dataclass(frozen=True)
class CellsResult(Result):
    """The 2x2 settled/correct cells of one signal at threshold ``tau`` (settled: signal < tau)."""

    signal: str
    threshold: float
    threshold_rule: str
    n: int
    n_correct: int
    n_wrong: int
    n_settled: int
    cells: dict[str, Cell]
    confidence_level: float
    warnings: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Cell:
        return self.cells[name]


@dataclasses.dataclass(frozen=True)
class Histogram(Result):
    """Counts of one signal per class on shared bins (for plotting); ``len(edges) = bins + 1``."""

    signal: str
    edges: tuple[float, ...]
    counts_correct: tuple[int, ...]
    counts_wrong: tuple[int, ...]
    threshold: float


@dataclasses.dataclass(frozen=True)
class PairedResult(Result):
    """Two label arrays on the same examples: ``difference = accuracy - paired_accuracy``.

    ``only_label`` counts examples correct under ``label`` only, ``only_paired`` those correct
    under ``paired_label`` only; McNemar's exact test uses these discordant counts.
    """

    label: str
    paired_label: str
    n: int
    accuracy: float
    paired_accuracy: float
    difference: float
    difference_ci: ConfidenceInterval
    difference_se: float
    both_correct: int
    only_label: int
    only_paired: int
    both_wrong: int
    mcnemar_statistic: int
    mcnemar_pvalue: float
    bootstrap_method: str
    n_resamples: int
    confidence_level: float
    warnings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DiagnoseSettings(Result):
    threshold: str
    nan_policy: str
    n_resamples: int
    confidence_level: float
    ci_methods: tuple[str, ...]
    bootstrap_method: str
    stratified: bool
    seed: int | None


@dataclasses.dataclass(frozen=True)
class DiagnoseResult(Result):
    """Everything :func:`diagnose` found; ``to_dict()`` is the ``results.json`` content.

    ``cells`` and ``histogram`` are for the ``primary`` signal; ``auc``, ``medians`` and
    ``robustness`` hold one entry per signal, in the order given.
    """

    label: str
    n_examples: int
    n_correct: int
    n_wrong: int
    accuracy: float
    primary: str
    signals: tuple[SignalInfo, ...]
    auc: tuple[SignalAUC, ...]
    medians: tuple[GroupMedians, ...]
    cells: CellsResult
    robustness: tuple[CellsResult, ...]
    histogram: Histogram
    paired: PairedResult | None
    settings: DiagnoseSettings
    warnings: tuple[str, ...]

    def auc_of(self, signal: str) -> SignalAUC:
        return _by_signal(self.auc, signal)

    def medians_of(self, signal: str) -> GroupMedians:
        return _by_signal(self.medians, signal)

    def cells_of(self, signal: str) -> CellsResult:
        return _by_signal(self.robustness, signal)

    def summary(self) -> str:
        """A few plain-text lines: accuracy, AUC per signal, and the primary signal's cells."""
        lines = [
            f"{self.n_examples} examples, {self.n_correct} correct / {self.n_wrong} wrong "
            f"(accuracy {_pct(self.accuracy)})"
        ]
        for entry in self.auc:
            ci = entry.bootstrap_ci or entry.delong_ci
            ci_text = f" [{ci.low:.3f}, {ci.high:.3f}]" if ci is not None else ""
            lines.append(f"AUC {entry.signal}: {entry.auc:.4f}{ci_text}")
        cells = self.cells
        counts = "/".join(str(cells[name].count) for name in CELL_NAMES)
        lines.append(
            f"{cells.signal} < {cells.threshold:.4g} ({cells.threshold_rule}): A/B/C/D = {counts}"
        )
        return "\n".join(lines)


def _by_signal(entries: Sequence[Any], signal: str) -> Any:
    for entry in entries:
        if entry.signal == signal:
            return entry
    raise KeyError(f"no signal named {signal!r}; signals: {[e.signal for e in entries]}")


def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.2f}%"
