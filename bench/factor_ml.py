"""Benchmark: maximum-likelihood EFA on bfi-sized data, measurand vs factor_analyzer.

Workloads (both complete data, so the two libraries see the same correlation matrix):

* ``simulated``: 2,800 x 25 normal data from a 5-factor simple structure (seed 0);
* ``bfi``: the 2,436 complete rows of psychTools::bfi's 25 items (tests/reference/bfi.csv).

Each fit goes from the raw data matrix to unrotated ML loadings (5 factors):
``FactorAnalysis(5, method="ml").fit(X)`` vs ``factor_analyzer.FactorAnalyzer(n_factors=5,
method="ml", rotation=None).fit(X)`` (0.5.1: the same factanal objective, L-BFGS-B with
finite-difference gradients). Median of ``--repeats`` fits each, timed in the same run. The
solutions are compared after matching columns (permutation and sign), on the loadings and on
the rotation-invariant ``Lambda Lambda'``; measurand's is also checked against the objective.

BLAS runs single-threaded for factor_analyzer too (``threadpoolctl``), as it does inside
measurand for p <= 300: on a shared 2-core machine OpenBLAS's threads make these tiny
eigendecompositions 10-50x slower, which would flatter the ratio (``--blas-threads`` leaves
factor_analyzer alone).

``factor_analyzer`` is a benchmark-only dependency: ``pip install factor_analyzer``.
Run: ``python bench/factor_ml.py``. Exit status 1 if the solutions differ by more than 1e-4 (on
``Lambda Lambda'``) or measurand is less than 3x faster.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import optimize

from _common import add_blas_threads_option, limit_blas_threads, timed
from measurand.latent import FactorAnalysis

TARGET_RATIO = 3.0
TOLERANCE = 1e-4
BFI = Path(__file__).resolve().parents[1] / "tests" / "reference" / "bfi.csv"


def simulated(n: int = 2800, p: int = 25, k: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    loadings = np.zeros((p, k))
    for j in range(p):
        loadings[j, j % k] = rng.uniform(0.4, 0.8)
    loadings += rng.uniform(-0.1, 0.1, size=(p, k))
    psi = np.clip(1.0 - np.sum(loadings**2, axis=1), 0.1, None)
    return rng.standard_normal((n, k)) @ loadings.T + rng.standard_normal((n, p)) * np.sqrt(psi)


def bfi_complete() -> np.ndarray:
    X = np.genfromtxt(BFI, delimiter=",", skip_header=1)
    return X[~np.isnan(X).any(axis=1)]


def align(reference: np.ndarray, loadings: np.ndarray) -> np.ndarray:
    cross = reference.T @ loadings
    rows, cols = optimize.linear_sum_assignment(-np.abs(cross))
    return loadings[:, cols] * np.sign(cross[rows, cols])


def _patch_factor_analyzer() -> None:
    """factor_analyzer 0.5.1 calls sklearn's check_array(force_all_finite=...), a keyword that
    scikit-learn >= 1.8 renamed to ensure_all_finite; translate it (no effect on the numbers)."""
    import factor_analyzer.factor_analyzer as module
    from sklearn.utils import check_array

    def check_array_compat(*args, **kwargs):
        if "force_all_finite" in kwargs:
            kwargs["ensure_all_finite"] = kwargs.pop("force_all_finite")
        return check_array(*args, **kwargs)

    module.check_array = check_array_compat


def run(name: str, X: np.ndarray, k: int, repeats: int) -> bool:
    from factor_analyzer import FactorAnalyzer

    def ours():
        return FactorAnalysis(k, method="ml").fit(X)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return FactorAnalyzer(n_factors=k, method="ml", rotation=None).fit(X)

    ours(), theirs()  # warm-up (imports, caches)
    t_ours, fa = timed(ours, repeats)
    t_theirs, fz = timed(theirs, repeats)
    L = fa.loadings_
    Lz = align(L, np.asarray(fz.loadings_))
    diff_loadings = float(np.max(np.abs(L - Lz)))
    diff_model = float(np.max(np.abs(L @ L.T - Lz @ Lz.T)))
    diff_psi = float(np.max(np.abs(fa.uniquenesses_ - np.asarray(fz.get_uniquenesses()))))
    ratio = t_theirs / t_ours
    print(
        f"{name:9s} {X.shape[0]}x{X.shape[1]}, k={k}: measurand {t_ours * 1e3:7.2f} ms "
        f"({fa.n_iter_} L-BFGS-B iterations), factor_analyzer {t_theirs * 1e3:7.2f} ms, "
        f"ratio {ratio:5.1f}x; max |diff| loadings {diff_loadings:.1e}, LL' {diff_model:.1e}, "
        f"uniquenesses {diff_psi:.1e}; objective {fa.fit_stats_['objective']:.10f}"
    )
    ok = diff_model <= TOLERANCE and ratio >= TARGET_RATIO
    if not ok:
        print(f"  FAILED: need LL' within {TOLERANCE} and ratio >= {TARGET_RATIO}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    add_blas_threads_option(parser, "factor_analyzer")
    args = parser.parse_args()
    limit_blas_threads(args)
    try:
        import factor_analyzer  # noqa: F401
    except ImportError:
        print("factor_analyzer is not installed: pip install factor_analyzer")
        return 1
    _patch_factor_analyzer()
    ok = run("simulated", simulated(), 5, args.repeats)
    ok &= run("bfi", bfi_complete(), 5, args.repeats)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
