"""Two label arrays on the same examples: McNemar's exact test and a paired bootstrap."""

from __future__ import annotations

from typing import Any

import numpy as np

from measurand import stats
from measurand.diagnose._common import capture, mean, to_ci
from measurand.diagnose.results import PairedResult
from measurand.errors import InputError
from measurand.stats._rng import SeedLike


def paired_comparison(
    label_values: Any,
    paired_values: Any,
    *,
    label: str = "label",
    paired_label: str = "paired_label",
    bootstrap_method: str = "percentile",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    seed: SeedLike = None,
) -> PairedResult:
    """Compare two binary outcomes on the same examples.

    McNemar's exact test on the discordant counts, and a paired bootstrap (the same examples
    resampled for both) of the accuracy difference ``mean(label) - mean(paired_label)``. Resampling
    pairs and averaging ``a - b`` is the same as resampling the per-example differences
    ``d = a - b``, so the bootstrap runs on ``d`` alone.
    """
    a = np.asarray(label_values).astype(bool)
    b = np.asarray(paired_values).astype(bool)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(
            f"paired comparison needs two 1-D label arrays of equal length; got {a.shape} "
            f"({label!r}) and {b.shape} ({paired_label!r})"
        )
    both = int((a & b).sum())
    only_a = int((a & ~b).sum())
    only_b = int((~a & b).sum())
    neither = int((~a & ~b).sum())
    notes: list[str] = []
    mcnemar = stats.mcnemar_exact(only_a, only_b)
    method = bootstrap_method if a.size >= 2 else "percentile"
    boot = capture(
        notes,
        f"bootstrap CI of the accuracy difference {label!r} - {paired_label!r}",
        stats.bootstrap,
        [a.astype(np.int8) - b.astype(np.int8)],
        mean,
        n_resamples=n_resamples,
        method=method,
        confidence_level=confidence_level,
        seed=seed,
    )
    return PairedResult(
        label=label,
        paired_label=paired_label,
        n=int(a.size),
        accuracy=float(a.mean()),
        paired_accuracy=float(b.mean()),
        difference=float(a.mean() - b.mean()),
        difference_ci=to_ci(boot.confidence_interval),
        difference_se=float(boot.standard_error),
        both_correct=both,
        only_label=only_a,
        only_paired=only_b,
        both_wrong=neither,
        mcnemar_statistic=int(mcnemar.statistic),
        mcnemar_pvalue=float(mcnemar.pvalue),
        bootstrap_method=bootstrap_method,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        warnings=tuple(notes),
    )
