"""Simulated responses with known truth for the recovery tests and benches."""

from __future__ import annotations

import numpy as np

from measurand.latent.irt import response_probability


def simulate_responses(
    n: int, p: int, n_dims: int, *, missing: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Y (NaN = missing), true slopes (p, D), intercepts (p,), abilities (n, D).

    Every item loads on one main dimension (slope U(0.8, 2.0)) and half of them on a second
    one (U(0.3, 1.0)); intercepts N(0, 1); θ ~ N(0, I).
    """
    rng = np.random.default_rng(seed)
    A = np.zeros((p, n_dims))
    A[np.arange(p), np.arange(p) % n_dims] = rng.uniform(0.8, 2.0, p)
    if n_dims > 1:
        second = rng.integers(0, n_dims, p)
        chosen = rng.random(p) < 0.5
        A[np.flatnonzero(chosen), second[chosen]] += rng.uniform(0.3, 1.0, int(chosen.sum()))
    d = rng.normal(0.0, 1.0, p)
    theta = rng.standard_normal((n, n_dims))
    Y = (rng.random((n, p)) < response_probability(theta, A, d)).astype(float)
    if missing:
        Y[rng.random((n, p)) < missing] = np.nan
    return Y, A, d, theta
