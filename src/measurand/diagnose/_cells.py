"""The threshold ``tau`` of a signal, its 2x2 settled/correct cells, and its histogram."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from measurand import stats
from measurand.diagnose._common import NAN_CI, to_ci
from measurand.diagnose.options import ThresholdRule, parse_threshold, rule_text
from measurand.diagnose.results import Cell, CellsResult, Fraction, Histogram
from measurand.errors import InputError

HISTOGRAM_BINS = 60
OTSU_BINS = 256


def compute_threshold(
    signal_values: Any, threshold: ThresholdRule | tuple[str, float | None] = "otsu"
) -> tuple[float, str]:
    """The threshold ``tau`` for finite ``signal_values`` and the rule's text.

    Otsu uses :func:`measurand.stats.otsu_threshold` with 256 bins; a constant signal gives
    ``tau`` equal to that constant (nothing is settled).
    """
    rule = threshold if isinstance(threshold, tuple) else parse_threshold(threshold)
    kind, value = rule
    values = np.asarray(signal_values, dtype=float)
    if kind == "fixed":
        return float(value), rule_text(rule)  # type: ignore[arg-type]
    if values.size == 0:
        raise InputError("cannot compute a threshold from an empty signal")
    if kind == "percentile":
        return float(np.percentile(values, value)), rule_text(rule)
    if values.min() == values.max():
        return float(values[0]), rule_text(rule)
    return float(stats.otsu_threshold(values, bins=OTSU_BINS)), rule_text(rule)


def settling_cells(
    signal_values: Any,
    label: Any,
    threshold: float,
    *,
    signal: str = "signal",
    threshold_rule: str = "fixed",
    confidence_level: float = 0.95,
) -> CellsResult:
    """The 2x2 cells of settled (``signal < threshold``) by correct, with exact intervals."""
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    settled = values < threshold
    n = values.size
    n_correct = int(y.sum())
    n_wrong = n - n_correct
    cells = {}
    for name, is_settled, is_correct in (
        ("A", True, True),
        ("B", True, False),
        ("C", False, True),
        ("D", False, False),
    ):
        member = (settled == is_settled) & (y == is_correct)
        count = int(member.sum())
        class_size = n_correct if is_correct else n_wrong
        cells[name] = Cell(
            name=name,
            settled=is_settled,
            correct=is_correct,
            count=count,
            of_all=_fraction(count, n, confidence_level),
            of_class=_fraction(count, class_size, confidence_level),
            median_signal=float(np.median(values[member])) if count else math.nan,
        )
    return CellsResult(
        signal=signal,
        threshold=float(threshold),
        threshold_rule=threshold_rule,
        n=n,
        n_correct=n_correct,
        n_wrong=n_wrong,
        n_settled=int(settled.sum()),
        cells=cells,
        confidence_level=float(confidence_level),
    )


def _fraction(k: int, n: int, confidence_level: float) -> Fraction:
    if n == 0:
        return Fraction(k, 0, math.nan, NAN_CI, None)
    exact = stats.clopper_pearson(k, n, confidence_level=confidence_level)
    upper = None
    if k == 0:
        upper = float(
            stats.zero_event_upper_bound(
                n, confidence_level=confidence_level
            ).confidence_interval.high
        )
    return Fraction(k, n, k / n, to_ci(exact.confidence_interval), upper)


def signal_histogram(
    signal_values: Any,
    label: Any,
    threshold: float,
    *,
    signal: str = "signal",
    bins: int = HISTOGRAM_BINS,
) -> Histogram:
    """Counts of correct and wrong examples on shared bins spanning the signal (and ``tau``)."""
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    low, high = float(values.min()), float(values.max())
    if math.isfinite(threshold):
        low, high = min(low, threshold), max(high, threshold)
    if low == high:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    return Histogram(
        signal=signal,
        edges=tuple(float(e) for e in edges),
        counts_correct=tuple(int(c) for c in np.histogram(values[y], bins=edges)[0]),
        counts_wrong=tuple(int(c) for c in np.histogram(values[~y], bins=edges)[0]),
        threshold=float(threshold),
    )
