"""2PL marginal ML on LSAT6 (1,000 x 5) and psych's ``ability`` (1,525 x 16, missing cells):
time (median of 5) and log-likelihood at the optimum, against the R reference fixture
(tests/reference/irt, an independent optim() fit) and, when installed in this environment,
``girth`` (its 2PL MML) in the same run. Target: no slower than ``mirt`` with tight tolerances
(14 ms and 0.37 s on this machine per the issue)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))
from measurand.latent.irt import fit_mml

REF = Path(__file__).parents[1] / "tests" / "reference" / "irt"


def median_time(fn, repeats=5):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


if __name__ == "__main__":
    ref = pl.read_csv(REF / "irt_2pl_reference.csv")
    for name in ("lsat6", "ability"):
        Y = pl.read_csv(REF / f"{name}.csv").drop("id", strict=False).to_numpy().astype(float)
        seconds, fit = median_time(lambda Y=Y: fit_mml(Y))
        r = ref.filter(pl.col("dataset") == name)
        print(
            f"{name:<8} measurand fit_mml {1000 * seconds:8.1f} ms  loglik {fit.loglik:.4f} "
            f"(R reference {r['loglik'][0]:.4f}); max |a - a_R| "
            f"{np.abs(fit.a[:, 0] - r['a'].to_numpy()).max():.1e}; converged {fit.converged}"
        )
        try:
            import girth  # noqa: F401
        except ImportError:
            continue
        from girth import twopl_mml

        data = np.where(np.isnan(Y), -1, Y).astype(int).T  # girth: items x people
        g_seconds, _ = median_time(lambda data=data: twopl_mml(data))
        print(
            f"{'':<8} girth twopl_mml {1000 * g_seconds:8.1f} ms (ratio {g_seconds / seconds:.1f}x)"
        )
