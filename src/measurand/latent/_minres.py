"""Minimum-residual (unweighted least squares) factor analysis, as ``psych::fa(fm="minres")``.

For uniquenesses ``psi`` the best rank-k loadings of the reduced matrix ``R - Psi`` come from
its top eigenpairs, ``Lambda = V_k diag(sqrt(max(e_k, 0)))``; the least-squares discrepancy left
is

    F(psi) = 1/2 ||R - Psi - Lambda Lambda'||_F^2 = 1/2 (sum_j e_j^2 - sum_{j<=k} max(e_j, 0)^2),

with gradient ``dF/dpsi = diag(Lambda Lambda' + Psi - R)`` (psych's ``FAgr.minres``). At the
optimum the diagonal residual vanishes, so ``F`` is the off-diagonal residual sum of squares that
Harman's minres minimises. Optimised by L-BFGS-B on ``[0.005, 1]`` from ``1 - SMC`` (psych).
"""

from __future__ import annotations

import numpy as np


def minres_parts(psi: np.ndarray, R: np.ndarray, k: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Return (F(psi), gradient, loadings) from one eigendecomposition (see the module notes)."""
    values, vectors = np.linalg.eigh(R - np.diag(psi))
    values = values[::-1]
    vectors = vectors[:, ::-1]
    kept = np.maximum(values[:k], 0.0)
    objective = 0.5 * float(np.sum(values * values) - np.sum(kept * kept))
    loadings = vectors[:, :k] * np.sqrt(kept)
    gradient = np.sum(loadings * loadings, axis=1) + psi - np.diag(R)
    return objective, gradient, loadings
