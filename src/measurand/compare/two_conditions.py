"""Two-condition significance: is the candidate better than the baseline, by how much, how sure?

The unit of analysis is the **seed**: each run is first reduced to its mean over the step window
(:func:`measurand.stats._window.window_means`), and the two conditions are compared on those
per-seed means. Steps of one run are not independent observations (they share the run's
initialisation, data order and trajectory), so treating them as such ("pooling steps across
runs") overstates the evidence; it is done only when asked (``pooled=True``) and labelled
``"step (pseudo-replicated)"`` in every output.

For each metric (and task) :func:`significance` reports:

- ``delta = mean(candidate seed means) - mean(baseline seed means)`` and a bootstrap confidence
  interval (percentile, BCa or basic; resampling seeds within each arm; ``hierarchical=True``
  resamples seeds, then steps within each resampled seed, a conservative interval: see
  :func:`significance`);
- a two-sided permutation p-value for the difference of means, exact (all relabelings of the
  seeds, e.g. C(16, 8) = 12,870 for 8 vs 8 seeds) when there are at most ``n_permutations`` of
  them, else Monte Carlo with ``p = (count + 1) / (B + 1)``;
- Cohen's d and Hedges' g (candidate minus baseline over the pooled seed sd) with noncentral-t
  confidence intervals;
- power of the two-sample t test: the power at the observed d (a re-expression of the p-value,
  not evidence of absence), the seeds per arm needed for ``power`` at the observed d and at a
  user-given minimum effect, and the minimum detectable effect at the current number of seeds;
- for ``correct_rate`` when the data carry correct/total counts: Fisher's exact test, Wilson
  intervals per arm, Newcombe's interval for the rate difference and the episodes per arm for
  ``power`` (episode-level: it ignores seed-to-seed variation, a supplement to the seed-level
  test, not a replacement);
- a verdict (see :data:`VERDICTS`).

All intervals have level ``confidence_level``; tests are significant at ``alpha = 1 -
confidence_level``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from measurand._compat import renamed_kwargs
from measurand.compare._counts import COUNTS_METRIC, COUNTS_UNIT, CountsComparison
from measurand.compare._options import (
    PairOptions,
    accepts_alpha,
    alpha_from_confidence,
    make_pair_options,
)
from measurand.compare._pairwise import (
    VERDICTS,
    MetricComparison,
    SignificanceResult,
    pair_result,
)
from measurand.compare._prepare import prepare
from measurand.compare._statistics import (
    UNIT_POOLED,
    UNIT_SEED,
    root_or_generator,
    smallest_pvalue,
)
from measurand.errors import InputError
from measurand.stats._rng import SeedLike
from measurand.stats._window import RunTable, Window, run_table

__all__ = [
    "COUNTS_METRIC",
    "COUNTS_UNIT",
    "UNIT_POOLED",
    "UNIT_SEED",
    "VERDICTS",
    "CountsComparison",
    "MetricComparison",
    "SignificanceResult",
    "significance",
    "significance_from_table",
    "smallest_pvalue",
]


@renamed_kwargs(n_permutations="permutation_resamples")
@accepts_alpha
def significance(
    data: Any,
    *,
    baseline: str,
    candidate: str,
    metrics: Sequence[str] | str | None,
    window: Window | str | Sequence[int | None] | None = None,
    confidence_level: float = 0.95,
    power: float = 0.8,
    min_effect: Mapping[str, float] | float | None = None,
    permutation_resamples: int = 20_000,
    n_resamples: int = 10_000,
    ci_method: str = "percentile",
    hierarchical: bool = False,
    pooled: bool = False,
    higher_is_better: Mapping[str, bool] | bool = True,
    seed: SeedLike = 0,
) -> SignificanceResult:
    """Compare ``candidate`` with ``baseline`` on each metric, the seed being the unit.

    Parameters
    ----------
    data
        :class:`measurand.io.RunData` (or a canonical long frame). Its ``counts`` (correct/total
        per run and step) feed the episode-level analysis of ``correct_rate``.
    baseline, candidate
        Condition names; unknown names raise :class:`~measurand.errors.InputError` listing the
        available conditions.
    metrics
        Metric name(s) to compare (``None``: every metric of the two conditions). A metric absent
        from either condition raises :class:`~measurand.errors.InputError` naming both. Data with
        tasks give one comparison per task the two conditions share.
    window
        Steps averaged per run first (see :func:`measurand.compare.window.parse_window`):
        ``"400:500"`` (start included, stop excluded), ``"last:100"``, ``(400, 500)``, ``None`` =
        all steps.
    confidence_level
        Level of every interval; the permutation test is significant at ``alpha = 1 -
        confidence_level`` (``alpha=`` is accepted for one release).
    power
        Target power for the sample-size and minimum-detectable-effect figures.
    min_effect
        Smallest difference worth detecting, in metric units (a number, or per metric).
    permutation_resamples, n_resamples
        Monte Carlo relabelings of the permutation test (exact enumeration when there are no
        more relabelings than this; ``n_permutations=`` is accepted for one release) and
        bootstrap resamples.
    ci_method
        ``"percentile"`` (default), ``"bca"`` or ``"basic"`` bootstrap interval of ``delta``.
    hierarchical
        Bootstrap seeds, then steps within each seed (percentile interval). The seed bootstrap
        already reflects within-run noise (it is part of the spread of the seed means); the
        second stage adds it once more, so this interval is conservative, wider than the seed
        bootstrap by about the within-run variance of the window means (Davison & Hinkley
        1997, sec. 3.8). p-value and effect sizes stay on seed means.
    pooled
        Treat every window step of every seed as an independent observation (the
        pseudo-replicated analysis of older scripts); labelled ``unit="step
        (pseudo-replicated)"``. Only for comparison with such scripts.
    higher_is_better
        Direction of improvement, for all metrics or per metric (missing metrics: True).
    seed
        Integer seed (each comparison gets its own stream derived from it and its labels, so
        results do not depend on which other metrics are requested), a Generator, or None.

    Returns
    -------
    SignificanceResult
        ``verdict`` per comparison: ``significant_improvement`` when ``p < alpha``, the interval
        excludes 0 and ``delta`` points in the better direction; ``significant_degradation``
        when the same holds in the worse direction; otherwise ``insufficient_evidence`` (also
        with fewer than 2 seeds in an arm, which yields a warning "needs >= 2 seeds per arm"
        rather than an error, so the curves can still be drawn).
    """
    options = make_pair_options(
        alpha=alpha_from_confidence(confidence_level),
        power=power,
        min_effect=min_effect,
        n_permutations=permutation_resamples,
        n_resamples=n_resamples,
        ci_method=ci_method,
        hierarchical=hierarchical,
        pooled=pooled,
        higher_is_better=higher_is_better,
    )
    table = run_table(data, window, keep_values=options.hierarchical or options.pooled)
    return significance_from_table(
        table,
        getattr(data, "counts", None),
        baseline=baseline,
        candidate=candidate,
        metrics=metrics,
        options=options,
        root=root_or_generator(seed),
    )


def significance_from_table(
    table: RunTable,
    counts: Any,
    *,
    baseline: str,
    candidate: str,
    metrics: Sequence[str] | str | None,
    options: PairOptions,
    root: np.random.SeedSequence | np.random.Generator,
) -> SignificanceResult:
    """:func:`significance` on a run-level table already reduced over its window (what
    :func:`measurand.compare.run_compare` calls, so that the input is reduced once)."""
    if baseline == candidate:
        raise InputError(
            f"baseline and candidate are the same condition {baseline!r}", source="candidate"
        )
    prepared, names = prepare(table, counts, [baseline, candidate], metrics)
    return pair_result(prepared, baseline, candidate, names, options, root, prepared.messages)
