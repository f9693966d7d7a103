"""Statistics core: resampling, exact tests, effect sizes, power, AUC, thresholds.

Pure numerics on numpy arrays; nothing here reads files or prints. Every function returns a small
frozen result object (see :mod:`measurand._result`) and every random procedure takes ``seed``.
"""

from __future__ import annotations

from measurand.stats import aggregate
from measurand.stats._auc import AUCResult, auc
from measurand.stats._effect import EffectSizeResult, cohens_d, cohens_dz, hedges_g
from measurand.stats._multitest import adjust_pvalues, benjamini_hochberg, holm
from measurand.stats._power import PowerResult, power_proportions, power_t_test
from measurand.stats._proportions import (
    FisherResult,
    McNemarResult,
    ProportionDifferenceResult,
    ProportionResult,
    clopper_pearson,
    fisher_exact,
    mcnemar_exact,
    newcombe_difference,
    wilson,
    zero_event_upper_bound,
)
from measurand.stats._resampling import (
    BootstrapResult,
    PermutationResult,
    bootstrap,
    permutation_test,
)
from measurand.stats._rng import as_generator
from measurand.stats._threshold import otsu_threshold
from measurand.stats.aggregate import (
    AggregateResult,
    PerformanceProfileResult,
    ProbabilityOfImprovementResult,
    aggregate_metrics,
    iqm,
    normalize_scores,
    optimality_gap,
    performance_profile,
    probability_of_improvement,
)

__all__ = [
    "AUCResult",
    "AggregateResult",
    "BootstrapResult",
    "EffectSizeResult",
    "FisherResult",
    "McNemarResult",
    "PerformanceProfileResult",
    "PermutationResult",
    "PowerResult",
    "ProbabilityOfImprovementResult",
    "ProportionDifferenceResult",
    "ProportionResult",
    "adjust_pvalues",
    "aggregate",
    "aggregate_metrics",
    "as_generator",
    "auc",
    "benjamini_hochberg",
    "bootstrap",
    "clopper_pearson",
    "cohens_d",
    "cohens_dz",
    "fisher_exact",
    "hedges_g",
    "holm",
    "iqm",
    "mcnemar_exact",
    "newcombe_difference",
    "normalize_scores",
    "optimality_gap",
    "otsu_threshold",
    "performance_profile",
    "permutation_test",
    "power_proportions",
    "power_t_test",
    "probability_of_improvement",
    "wilson",
    "zero_event_upper_bound",
]
