"""AUC of one signal for predicting correctness, with DeLong and bootstrap intervals."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurand import stats
from measurand.diagnose._common import NAN_CI, capture, to_ci
from measurand.diagnose.options import CI_METHODS
from measurand.diagnose.results import SignalAUC
from measurand.stats._rng import SeedLike


def signal_auc(
    signal_values: Any,
    label: Any,
    *,
    signal: str = "signal",
    ci_methods: Sequence[str] = CI_METHODS,
    bootstrap_method: str = "percentile",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    stratified: bool = False,
    seed: SeedLike = None,
) -> SignalAUC:
    """AUC of finite ``signal_values`` for ``label == 1`` via :func:`measurand.stats.auc`.

    An empty class gives NaN values and a warning in ``warnings`` instead of an error.
    """
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    n_correct, n_wrong = int(y.sum()), int((~y).sum())
    empty = SignalAUC(
        signal=signal,
        auc=math.nan,
        n_correct=n_correct,
        n_wrong=n_wrong,
        n_tied_pairs=0,
        confidence_level=float(confidence_level),
        delong_ci=NAN_CI if "delong" in ci_methods else None,
        delong_se=math.nan if "delong" in ci_methods else None,
        bootstrap_ci=NAN_CI if "bootstrap" in ci_methods else None,
        bootstrap_se=math.nan if "bootstrap" in ci_methods else None,
        bootstrap_method=bootstrap_method if "bootstrap" in ci_methods else None,
        n_resamples=int(n_resamples) if "bootstrap" in ci_methods else None,
        n_invalid=None,
    )
    if n_correct == 0 or n_wrong == 0:
        note = (
            f"signal {signal!r}: AUC undefined with {n_correct} correct and {n_wrong} wrong "
            "examples; reported as NaN"
        )
        return dataclasses.replace(empty, warnings=(note,))
    notes: list[str] = []
    point = capture(notes, f"AUC of {signal!r}", stats.auc, values, y)
    fields: dict[str, Any] = {"auc": point.statistic, "n_tied_pairs": point.n_tied_pairs}
    if "delong" in ci_methods:
        delong = capture(
            notes,
            f"DeLong CI of {signal!r}",
            stats.auc,
            values,
            y,
            ci="delong",
            confidence_level=confidence_level,
        )
        fields |= {
            "delong_ci": to_ci(delong.confidence_interval),
            "delong_se": delong.standard_error,
        }
    if "bootstrap" in ci_methods:
        boot = capture(
            notes,
            f"bootstrap CI of AUC of {signal!r}",
            stats.auc,
            values,
            y,
            ci="bootstrap",
            method=bootstrap_method,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            stratified=stratified,
            seed=seed,
        )
        fields |= {
            "bootstrap_ci": to_ci(boot.confidence_interval),
            "bootstrap_se": boot.standard_error,
            "n_invalid": boot.n_invalid,
        }
    return dataclasses.replace(empty, warnings=tuple(notes), **fields)
