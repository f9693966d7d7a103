"""Statistics core: resampling, exact tests, effect sizes, power, AUC, thresholds.

Pure numerics on numpy arrays; nothing here reads files or prints. Every function returns a small
frozen result object (see :mod:`measurand._result`) and every random procedure takes ``seed``.
"""

from __future__ import annotations

from measurand.stats import aggregate
from measurand.stats._auc import AUCResult, auc
from measurand.stats._effect import EffectSizeResult, cohens_d, cohens_dz, hedges_g
from measurand.stats._friedman import (
    FriedmanResult,
    friedman_nemenyi,
    nemenyi_critical_difference,
)
from measurand.stats._item_bootstrap import ItemBootstrapResult, item_bootstrap, romano_wolf
from measurand.stats._multitest import adjust_pvalues, benjamini_hochberg, holm
from measurand.stats._paired import (
    ClusteredMeanResult,
    PairedItemsResult,
    RunVarianceResult,
    clustered_mean,
    paired_items,
    run_variance,
)
from measurand.stats._planning import (
    EpisodesPlanResult,
    ItemsPlanResult,
    RunsPlanResult,
    SeedsPlanResult,
    detectable_difference,
    episodes_for_difference,
    items_for_difference,
    runs_for_difference,
    seeds_for_difference,
)
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
    "ClusteredMeanResult",
    "EffectSizeResult",
    "EpisodesPlanResult",
    "FisherResult",
    "FriedmanResult",
    "ItemBootstrapResult",
    "ItemsPlanResult",
    "McNemarResult",
    "PairedItemsResult",
    "PerformanceProfileResult",
    "PermutationResult",
    "PowerResult",
    "ProbabilityOfImprovementResult",
    "ProportionDifferenceResult",
    "ProportionResult",
    "RunVarianceResult",
    "RunsPlanResult",
    "SeedsPlanResult",
    "adjust_pvalues",
    "aggregate",
    "aggregate_metrics",
    "as_generator",
    "auc",
    "benjamini_hochberg",
    "bootstrap",
    "clopper_pearson",
    "clustered_mean",
    "cohens_d",
    "cohens_dz",
    "detectable_difference",
    "episodes_for_difference",
    "fisher_exact",
    "friedman_nemenyi",
    "hedges_g",
    "holm",
    "iqm",
    "item_bootstrap",
    "items_for_difference",
    "mcnemar_exact",
    "nemenyi_critical_difference",
    "newcombe_difference",
    "normalize_scores",
    "optimality_gap",
    "otsu_threshold",
    "paired_items",
    "performance_profile",
    "permutation_test",
    "power_proportions",
    "power_t_test",
    "probability_of_improvement",
    "romano_wolf",
    "run_variance",
    "runs_for_difference",
    "seeds_for_difference",
    "wilson",
    "zero_event_upper_bound",
]
