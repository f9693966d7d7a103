"""Shared by the irt benches: simulated truth, the SVD floor, scoring, peak memory."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch  # noqa: F401  (imported before any timing: its import costs seconds)

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from measurand.latent.irt import (
    fit_map,
    heldout_scores,
    heldout_split,
    procrustes_alignment,
    svd_start,
)


def simulate(n: int, p: int, k: int, missing: float, seed: int) -> dict[str, Any]:
    """Triplets of a simulated M2PL (the design of tests/irt/_irt_simulate.py), built in row
    blocks so that the dense float64 matrix never exists."""
    rng = np.random.default_rng(seed)
    A = np.zeros((p, k))
    A[np.arange(p), np.arange(p) % k] = rng.uniform(0.8, 2.0, p)
    second = rng.integers(0, k, p)
    chosen = rng.random(p) < 0.5
    A[np.flatnonzero(chosen), second[chosen]] += rng.uniform(0.3, 1.0, int(chosen.sum()))
    d = rng.normal(0.0, 1.0, p)
    theta = rng.standard_normal((n, k))
    rows, cols, ys = [], [], []
    for s in range(0, n, 200):
        eta = theta[s : s + 200] @ A.T + d
        y = rng.random(eta.shape) < 1.0 / (1.0 + np.exp(-eta))
        seen = rng.random(eta.shape) >= missing
        r, c = np.nonzero(seen)
        rows.append((r + s).astype(np.int32))
        cols.append(c.astype(np.int32))
        ys.append(y[r, c].astype(np.float32))
    return {
        "rows": np.concatenate(rows).astype(np.int64),
        "cols": np.concatenate(cols).astype(np.int64),
        "y": np.concatenate(ys).astype(np.float64),
        "A": A,
        "d": d,
        "theta": theta,
        "shape": (n, p),
    }


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_case(data: dict[str, Any], k: int, seed: int = 0, **fit_options: Any) -> None:
    (n, p) = data["shape"]
    # one copy of the cells, split into training and held-out parts (the full triplets are
    # dropped from ``data``): the peak memory reported is the estimator's, not the bench's
    r, c, y = data.pop("rows"), data.pop("cols"), data.pop("y")
    held = heldout_split(r, c, 0.1, seed=seed + 1)
    rt, ct, yt = r[~held], c[~held], y[~held]
    rh, ch, yh = r[held], c[held], y[held]
    del r, c, y, held
    observed = len(yt) + len(yh)
    count = np.bincount(ct, minlength=p)
    base = np.bincount(ct, weights=yt, minlength=p) / np.maximum(count, 1)

    def scores(prob: np.ndarray) -> Any:
        return heldout_scores(yh, prob, base[ch])

    def show(name: str, seconds: float, rec: Any, h: Any, extra: str = "") -> None:
        cpu = time.process_time() - cpu_start[0]
        cpu_start[0] = time.process_time()
        print(
            f"{name:<22} {seconds:8.1f} s wall ({cpu:.1f} s CPU)  slopes {rec.slopes:.3f}  "
            f"intercepts "
            f"{rec.intercepts:.3f}  theta {rec.theta:.3f}  held-out AUC {h.auc:.4f}  "
            f"log-loss {h.log_loss:.4f}  {extra}",
            flush=True,
        )

    print(
        f"{n:,} x {p:,}, d = {k}, {observed:,} observed ({100 * (1 - observed / (n * p)):.0f}% "
        f"missing); 10% of them held out; item-mean baseline: AUC "
        f"{scores(base[ch]).auc:.4f}, log-loss {scores(base[ch]).log_loss:.4f}",
        flush=True,
    )
    cpu_start = [time.process_time()]
    t = time.perf_counter()
    floor = svd_start(rows=rt, cols=ct, y=yt, shape=(n, p), n_dims=k, seed=seed)
    t_svd = time.perf_counter() - t
    mean_d = np.log(np.clip(base, 0.01, 0.99) / (1 - np.clip(base, 0.01, 0.99)))
    rec = procrustes_alignment(
        floor.loadings, data["A"], d_hat=mean_d, d_true=data["d"], theta_hat=floor.theta,
        theta_true=data["theta"],
    )  # fmt: skip
    show("SVD floor (baseline)", t_svd, rec, scores(floor.probability(rh, ch)),
         "(intercepts: logit of item mean)")  # fmt: skip
    cpu_start[0] = time.process_time()
    t = time.perf_counter()
    fit = fit_map(rows=rt, cols=ct, y=yt, shape=(n, p), n_dims=k, seed=seed, **fit_options)
    t_fit = time.perf_counter() - t
    rec = procrustes_alignment(
        fit.a, data["A"], d_hat=fit.d, d_true=data["d"], theta_hat=fit.theta,
        theta_true=data["theta"],
    )  # fmt: skip
    prob = np.einsum("kd,kd->k", fit.theta[rh], fit.a[ch]) + fit.d[ch]
    prob = 1.0 / (1.0 + np.exp(-prob))
    sel = fit.extra.get("slope_prior_selection", {}).get("validation_log_loss")
    tau = fit.extra.get("calibrated_slope_prior_sd")
    note = f"sigma_a={fit.extra['slope_prior_sd']:g} {fit.n_iter} it converged={fit.converged}" + (
        "" if tau is None else f" calibrated tau={tau:.3f}"
    )
    show("measurand fit_map", t_fit, rec, scores(prob), note)
    if sel:
        print(f"  slope-prior selection (validation log-loss): {sel}")
    print(f"  time ratio fit/SVD floor: {t_fit / t_svd:.1f}x; peak RSS of the process "
          f"{peak_rss_gb():.2f} GB")  # fmt: skip
