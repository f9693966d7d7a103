"""Factor models for benchmark matrices: how many capabilities do the tasks measure?

Pure numerics on numpy arrays (no file IO, no printing):

* :func:`parallel_analysis` — Horn's parallel analysis (dual eigenvalue trick for p >> n);
* :class:`FactorAnalysis` — exploratory factor analysis (ML and minres as ``psych::fa``, the
  non-negative projected-EM model), rotations, scores and fit statistics;
* :func:`rotate` — gradient-projection rotations (GPArotation) and promax;
* :func:`factor_scores`, :func:`communality`;
* :func:`fit_nonneg_em`, :func:`item_pool`, :func:`leaderboard`, :func:`heldout_validation`.

Module names never collide with the attributes exported here: the leaderboard lives in
``measurand.latent._leaderboard`` (``measurand.latent.leaderboard`` is the function).
"""

from __future__ import annotations

from measurand.latent._leaderboard import (
    HeldoutCorrelation,
    HeldoutValidationResult,
    LeaderboardResult,
    LeaderboardRow,
    heldout_validation,
    leaderboard,
    posterior_scores,
)
from measurand.latent._nonneg_em import NonnegEMResult, fit_nonneg_em
from measurand.latent.efa import FactorAnalysis
from measurand.latent.parallel import (
    ParallelAnalysisResult,
    correlation_eigenvalues,
    parallel_analysis,
)
from measurand.latent.pool import ItemPool, item_pool
from measurand.latent.rotation import RotationResult, orient_factors, rotate
from measurand.latent.scores import communality, factor_score_weights, factor_scores

__all__ = [
    "FactorAnalysis",
    "HeldoutCorrelation",
    "HeldoutValidationResult",
    "ItemPool",
    "LeaderboardResult",
    "LeaderboardRow",
    "NonnegEMResult",
    "ParallelAnalysisResult",
    "RotationResult",
    "communality",
    "correlation_eigenvalues",
    "factor_score_weights",
    "factor_scores",
    "fit_nonneg_em",
    "heldout_validation",
    "item_pool",
    "leaderboard",
    "orient_factors",
    "parallel_analysis",
    "posterior_scores",
    "rotate",
]
