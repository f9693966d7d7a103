"""Time the 2PL marginal-ML peers on one response matrix; run by the side environment's Python
(``bench/.venv-irt-peers``: ``mirt`` with its Rust backend, ``girth``), never imported by
measurand.

    python _irt_mml_peer_worker.py MATRIX.npy  ->  JSON on stdout

MATRIX.npy: (subjects, items) float with NaN for missing cells. For each peer configuration:
median seconds of 5 fits after one warm-up fit, and the estimates in slope–intercept form
(a, d) with P = σ(a θ + d), so the caller can evaluate them with its own likelihood. Both peers
report a difficulty b with P = σ(a (θ − b)), hence d = −a b.

mirt (``fit_mirt``; defaults ``tol=1e-4`` on the largest parameter change, ``max_iter=500``,
21 Gauss–Hermite points, observed-information SEs by Oakes' identity): defaults; tight
(``tol=1e-8, max_iter=5000``); tight on 61 points (measurand's grid). Each fit computes its
standard errors, as measurand's does. girth (``twopl_mml``; 41 points on [−4.5, 4.5], stops
when no slope moves by 1e-3, at most 25 iterations, missing cells coded ``INVALID_RESPONSE``):
defaults (it has no tolerance option).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings

import numpy as np


def _median_time(fn, repeats: int = 5):
    out = fn()  # warm-up (mirt's first call loads its backend)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _mirt(Y: np.ndarray) -> dict[str, dict]:
    from mirt import fit_mirt

    configs = {
        "mirt defaults": {},
        "mirt tight": {"tol": 1e-8, "max_iter": 5000},
        "mirt tight, 61 points": {"tol": 1e-8, "max_iter": 5000, "n_quadpts": 61},
    }
    out = {}
    for name, kwargs in configs.items():
        seconds, fit = _median_time(lambda kwargs=kwargs: fit_mirt(Y, model="2PL", **kwargs))
        params = fit.model.parameters
        a = np.ravel(params["discrimination"]).astype(float)
        b = np.ravel(params["difficulty"]).astype(float)
        out[name] = {
            "seconds": seconds,
            "a": a.tolist(),
            "d": (-a * b).tolist(),
            "own_loglik": float(fit.log_likelihood),
            "iterations": int(fit.n_iterations),
            "settings": {"tol": 1e-4, "max_iter": 500, "n_quadpts": 21, **kwargs},
        }
    return out


def _girth(Y: np.ndarray) -> dict[str, dict]:
    from girth import twopl_mml
    from girth.utilities.utils import INVALID_RESPONSE

    data = np.where(np.isnan(Y), INVALID_RESPONSE, Y).astype(int).T  # items x people
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds, fit = _median_time(lambda: twopl_mml(data))
    a = np.ravel(fit["Discrimination"]).astype(float)
    b = np.ravel(fit["Difficulty"]).astype(float)
    return {
        "girth twopl_mml": {
            "seconds": seconds,
            "a": a.tolist(),
            "d": (-a * b).tolist(),
            "own_loglik": None,
            "iterations": None,
            "settings": {"max_iteration": 25, "quadrature_n": 41, "bounds": [-4.5, 4.5]},
        }
    }


if __name__ == "__main__":
    Y = np.load(sys.argv[1])
    results: dict[str, dict] = {}
    for peer in (_mirt, _girth):
        try:
            results.update(peer(Y))
        except ImportError as exc:  # a peer not installed in this environment
            results[peer.__name__.strip("_")] = {"error": str(exc)}
    json.dump(results, sys.stdout)
