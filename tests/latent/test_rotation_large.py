"""Rotations of many rows (IRT loadings of a 13,542-item benchmark): they must converge, fast.

Gradient projection from the identity stalled on such loadings (varimax: 10,000 iterations and
37 s without meeting its tolerance; oblimin: 131 s) because the absolute tolerance on the
projected gradient, right for GPArotation's usual 10-100 rows, was out of reach at 13,542 rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from measurand.latent.rotation import rotate


def _noisy_simple_structure(p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.zeros((p, k))
    truth[np.arange(p), rng.integers(0, k, p)] = rng.uniform(0.8, 2.0, p)
    noisy = truth + rng.normal(0.0, 0.3, (p, k))
    Q, _ = np.linalg.qr(rng.standard_normal((k, k)))
    return noisy @ Q, truth


@pytest.mark.parametrize("method", ["varimax", "quartimax", "oblimin", "geomin"])
@pytest.mark.parametrize("seed", [0, 1])
def test_many_rows_converge_to_the_simple_structure(method, seed):
    A, truth = _noisy_simple_structure(6000, 8, seed)
    result = rotate(A, method)
    assert result.converged and result.n_iter < 1000
    # every true factor is found again: each column of the truth matches one rotated column
    corr = np.corrcoef(result.loadings.T, truth.T)[:8, 8:]
    assert np.all(np.abs(corr).max(axis=0) > 0.8)  # 0.84-0.86 with this noise


def test_varimax_fixed_point_start_reaches_the_gradient_projection_optimum():
    """Kaiser's fixed point then gradient projection give varimax's optimum: the criterion
    equals that of gradient projection started at the answer (a stationary point), and no
    random restart does better."""
    A, _ = _noisy_simple_structure(3000, 6, 2)
    result = rotate(A, "varimax")
    restarted = rotate(A, "varimax", random_starts=5, seed=0)
    assert result.criterion <= restarted.criterion + 1e-9 * abs(restarted.criterion)
    again = rotate(result.loadings, "varimax")
    assert again.n_iter <= 2
    np.testing.assert_allclose(again.loadings, result.loadings, atol=1e-6)
