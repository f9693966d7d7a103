"""Item response models for binary responses (numerics only: arrays in, results out).

* :func:`fit_mml` — 1PL/2PL/3PL and multidimensional 2PL (1–3 dimensions) by marginal ML
  (Bock–Aitkin EM, Gauss–Hermite quadrature, a Newton finish with the exact Louis-identity
  Hessian; L-BFGS-B for the 3PL), SEs from the observed information, EAP abilities;
* :func:`fit_map` — the scalable joint MAP estimator on torch (any number of dimensions,
  observed entries only, CPU or CUDA);
* :class:`IRTFit` — parameters, abilities, information, item flags.
"""

from __future__ import annotations

from measurand.latent.irt._model import IRTFit, ItemFlags, flag_items, response_probability
from measurand.latent.irt.checks import (
    HeldoutScores,
    RecoveryScores,
    binary_parallel_analysis,
    heldout_scores,
    heldout_split,
    procrustes_alignment,
)
from measurand.latent.irt.mml import fit_mml, gauss_hermite_grid
from measurand.latent.irt.scalable import SVDStart, fit_map, svd_start

__all__ = [
    "HeldoutScores",
    "IRTFit",
    "ItemFlags",
    "RecoveryScores",
    "SVDStart",
    "binary_parallel_analysis",
    "fit_map",
    "fit_mml",
    "flag_items",
    "gauss_hermite_grid",
    "heldout_scores",
    "heldout_split",
    "procrustes_alignment",
    "response_probability",
    "svd_start",
]
