"""Median of a signal among correct and among wrong examples, with bootstrap intervals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from measurand.diagnose._common import NAN_CI, capture, to_ci
from measurand.diagnose.results import GroupMedian, GroupMedians
from measurand.stats._group_median import bootstrap_group_medians
from measurand.stats._rng import SeedLike


def group_medians(
    signal_values: Any,
    label: Any,
    *,
    signal: str = "signal",
    bootstrap_method: str = "percentile",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    stratified: bool = False,
    seed: SeedLike = None,
) -> GroupMedians:
    """Median signal among correct and among wrong examples, with bootstrap intervals.

    Examples are resampled with their labels (a paired bootstrap of ``(signal, label)``; with
    ``stratified`` within each class), so the class sizes vary across resamples as they would in
    a new sample. Resamples without a member of the class are dropped and counted
    (``n_invalid``). Both medians come from the same resamples. The resampled medians are drawn
    through uniform order statistics (:mod:`measurand.stats._group_median`): the same
    distribution as re-sorting every resample, at O(1) cost per resample.
    """
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    method = bootstrap_method
    if method == "bca" and values.size < 2:
        method = "percentile"
    notes: list[str] = []
    boots = capture(
        notes,
        f"bootstrap CI of the medians of {signal!r}",
        bootstrap_group_medians,
        values,
        y,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method=method,
        stratified=stratified,
        seed=seed,
    )
    groups = {}
    for name, flag in (("correct", True), ("wrong", False)):
        boot = boots[flag]
        if boot is None:
            notes.append(f"signal {signal!r}: no {name} examples; their median is NaN")
            groups[name] = GroupMedian(math.nan, NAN_CI, math.nan, 0, int(n_resamples))
            continue
        groups[name] = GroupMedian(
            median=boot.statistic,
            confidence_interval=to_ci(boot.confidence_interval),
            standard_error=boot.standard_error,
            n=int((y == flag).sum()),
            n_invalid=boot.n_invalid,
        )
    return GroupMedians(
        signal=signal,
        correct=groups["correct"],
        wrong=groups["wrong"],
        bootstrap_method=bootstrap_method,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        stratified=bool(stratified),
        warnings=tuple(notes),
    )
