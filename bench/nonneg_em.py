"""Benchmark: the non-negative factor model, plain EM vs SQUAREM, and the leaderboard's refits.

Part 1, EM. Each problem is fitted three ways from the same start:

* ``straightforward``: the textbook loop written out on Z (E-step with an explicit k x k inverse,
  M-step ``Λ = max(0, Zᵀθ̂ (nV + θ̂ᵀθ̂)⁻¹)`` by clipping, ψ re-estimated), as a notebook does it;
* ``plain``: measurand's projected EM (exact non-negative M-step, products with S);
* ``squarem``: the same map accelerated by SQUAREM (``fit_nonneg_em(accelerate=True)``).

All stop at max|ΔΛ, Δψ| < tol (1e-7, the default) or 5,000 EM steps. Reported: EM steps, time,
ℓ, and max|Λ − Λ_plain|. Checks (exit 1 if one fails): SQUAREM and plain EM reach the same fixed
point when both are run to tol 1e-11 (max |ΔΛ|, |Δψ| <= 1e-6), and SQUAREM takes fewer EM
steps than plain EM on every problem. A Heywood case (a free ψ sliding to 0, where EM converges
sublinearly and no run reaches tol 1e-11 in 200,000 steps) is reported but not checked for the
fixed point.

Problems: the ObsScaling base-model matrix (``../shared/data/obsscaling``; 129 complete rows x
7 benchmarks; k = 1, 2, 3) and simulated sweeps shaped like a data-mixture study (242 runs x 43
tasks, 3 non-negative factors with cross-loadings, uniquenesses 0.15-0.75; one run with a third
of the uniquenesses fixed).

Part 2, leaderboard: ``leaderboard`` on 148 x 8 (the ObsScaling matrix with mean-imputed cells)
and 129 x 7, k = 1 and 2, 1,000 task resamples, against a straightforward loop that refits
``fit_nonneg_em`` once per resample (timed on ``--loop-resamples`` resamples and scaled).

Run: ``python bench/nonneg_em.py`` (``--quick``: fewer repeats).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Every product here is tiny (k x k, p x k); BLAS threads only add overhead and noise, for the
# baseline and for measurand alike.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from _common import timed
from measurand.io.matrix import read_matrix
from measurand.latent._leaderboard import _draw_tasks, _min_distinct, leaderboard, posterior_scores
from measurand.latent._nonneg_em import _Covariance, _start, fit_nonneg_em

DATA = Path(__file__).resolve().parents[1].parent / "shared/data/obsscaling"
TASKS = ["MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd", "HumanEval"]


def straightforward_em(z, k, start, fixed=None, tol=1e-7, max_iter=5000):
    """The textbook loop on Z with clipping (what a notebook writes)."""
    n, p = z.shape
    lam = start.copy()
    psi_fixed = np.zeros(p, bool) if fixed is None else ~np.isnan(fixed)
    anchor = np.zeros(p) if fixed is None else np.where(psi_fixed, np.clip(fixed, 1e-3, 0.999), 0)
    psi = np.where(psi_fixed, anchor, np.maximum(1 - np.sum(lam**2, axis=1), 0.1))
    for it in range(1, max_iter + 1):
        a = lam / psi[:, None]
        v = np.linalg.inv(np.eye(k) + lam.T @ a)
        theta = z @ a @ v
        s_tt = n * v + theta.T @ theta
        zt = z.T @ theta
        new = np.clip(zt @ np.linalg.inv(s_tt), 0.0, None)
        free = (z**2).mean(0) - 2 * (zt * new).sum(1) / n + ((new @ s_tt) * new).sum(1) / n
        new_psi = np.where(psi_fixed, anchor, np.clip(free, 1e-6, None))
        step = max(np.max(np.abs(new - lam)), np.max(np.abs(new_psi - psi)))
        lam, psi = new, new_psi
        if step < tol:
            return lam, psi, it
    return lam, psi, max_iter


def loglik(z, lam, psi):
    n = len(z)
    s = z.T @ z / n
    sigma = lam @ lam.T + np.diag(psi)
    _, logdet = np.linalg.slogdet(sigma)
    return -0.5 * n * (len(psi) * np.log(2 * np.pi) + logdet + np.trace(np.linalg.solve(sigma, s)))


def order(lam):
    return lam[:, np.argsort(-np.sum(lam**2, axis=0), kind="stable")]


def simulated_sweep(seed: int, n: int = 242, p: int = 43):
    rng = np.random.default_rng(seed)
    lam = np.zeros((p, 3))
    group = np.arange(p) % 3
    lam[np.arange(p), group] = rng.uniform(0.5, 0.85, p)
    cross = rng.random((p, 3)) < 0.25
    lam = np.where(cross & (lam == 0), rng.uniform(0.05, 0.3, (p, 3)), lam)
    lam /= np.maximum(1, np.linalg.norm(lam, axis=1, keepdims=True) / 0.92)
    psi = 1 - np.sum(lam**2, axis=1)
    x = rng.standard_normal((n, 3)) @ lam.T + rng.standard_normal((n, p)) * np.sqrt(psi)
    return (x - x.mean(0)) / x.std(0), psi


def em_problems():
    problems = []
    path = DATA / "base_llm_benchmark_eval.csv"
    if path.exists():
        data = read_matrix(path, id_col="Model", include=TASKS[:-1])
        z = data.Z[data.complete_rows()]
        z = (z - z.mean(0)) / z.std(0)
        for k in (1, 2, 3):
            problems.append((f"ObsScaling 129x7, k={k}", z, k, None))
    else:
        print(f"(ObsScaling data not found at {path}; simulated problems only)")
    for seed in (1, 2):
        z, psi = simulated_sweep(seed)
        problems.append((f"sweep 242x43 #{seed}, k=3", z, 3, None))
    z, psi = simulated_sweep(3)
    fixed = np.where(np.arange(43) % 3 == 0, psi, np.nan)
    problems.append(("sweep 242x43, k=3, 15 psi fixed", z, 3, fixed))
    return problems


def part_em(repeats: int) -> bool:
    ok = True
    print("Part 1: non-negative EM, tol 1e-7, max 5,000 EM steps (best of", repeats, "runs)")
    header = (
        f"{'problem':34s} {'straightforward':>22s} {'plain EM':>20s} {'SQUAREM':>20s} "
        f"{'speedup':>8s} {'|Λ_sq−Λ_plain| @1e-11':>22s} {'ℓ clip − ℓ':>11s}"
    )
    print(header)
    for name, z, k, fixed in em_problems():
        cov = _Covariance(z - z.mean(0))
        start = _start(cov, k, "nndsvd", None)
        t_s, (lam_s, psi_s, it_s) = timed(
            lambda z=z, k=k, start=start, fixed=fixed: straightforward_em(z, k, start, fixed),
            repeats,
            min,
        )
        t_p, plain = timed(
            lambda z=z, k=k, fixed=fixed: fit_nonneg_em(z, k, fixed_psi=fixed, accelerate=False),
            repeats,
            min,
        )
        t_f, fast = timed(
            lambda z=z, k=k, fixed=fixed: fit_nonneg_em(z, k, fixed_psi=fixed), repeats, min
        )
        tight_p = fit_nonneg_em(
            z, k, fixed_psi=fixed, accelerate=False, tol=1e-11, max_iter=200_000
        )
        tight_f = fit_nonneg_em(z, k, fixed_psi=fixed, tol=1e-11, max_iter=200_000)
        gap = max(
            np.max(np.abs(tight_f.loadings - tight_p.loadings)),
            np.max(np.abs(tight_f.uniquenesses - tight_p.uniquenesses)),
        )
        clip_ll = loglik(z, lam_s, psi_s) - max(tight_p.loglik, tight_f.loglik)
        heywood = (
            not tight_p.converged
            and np.min(tight_p.uniquenesses[np.isnan(fixed) if fixed is not None else slice(None)])
            < 1e-3
        )
        same = heywood or (gap <= 1e-6 and tight_p.converged and tight_f.converged)
        fewer = fast.n_iter < plain.n_iter
        ok &= same and fewer
        gap_text = "n/c (Heywood ψ→0)" if heywood else f"{gap:.1e}"
        print(
            f"{name:34s} {it_s:6d} st {1e3 * t_s:9.1f} ms {plain.n_iter:6d} st "
            f"{1e3 * t_p:7.1f} ms {fast.n_iter:6d} st {1e3 * t_f:7.1f} ms "
            f"{t_s / t_f:7.1f}x {gap_text:>22s} {clip_ll:11.2e}"
            + ("" if same and fewer else "  <-- CHECK FAILED")
        )
    print(
        "speedup = straightforward time / SQUAREM time; ℓ clip − ℓ: log-likelihood of the "
        "clipped loop's end point minus the constrained maximum (≤ 0: clipping stops short)."
    )
    return ok


def loop_leaderboard(z, k, counts):
    """One fit_nonneg_em per resample, scores with multiplicities, mean over factors."""
    out = []
    for count in counts:
        cols = np.nonzero(count)[0]
        fit = fit_nonneg_em(z[:, cols], k, tol=1e-6)
        theta = posterior_scores(z[:, cols], fit.loadings, fit.uniquenesses, None, count[cols])
        out.append(theta.mean(axis=1))
    return np.array(out)


def part_leaderboard(repeats: int, loop_resamples: int) -> None:
    path = DATA / "base_llm_benchmark_eval.csv"
    if not path.exists():
        print("Part 2 skipped: ObsScaling data not found")
        return
    print()
    print(f"Part 2: leaderboard, 1,000 task resamples (best of {repeats}); loop on "
          f"{loop_resamples} resamples, scaled to 1,000")  # fmt: skip
    full = read_matrix(path, id_col="Model", include=TASKS)
    z148 = np.nan_to_num(full.Z, nan=0.0)
    z148 = (z148 - z148.mean(0)) / z148.std(0)
    seven = read_matrix(path, id_col="Model", include=TASKS[:-1])
    z129 = seven.Z[seven.complete_rows()]
    z129 = (z129 - z129.mean(0)) / z129.std(0)
    for label, z in (("148x8 (mean-imputed)", z148), ("129x7 (complete rows)", z129)):
        names = [str(i) for i in range(len(z))]
        for k in (1, 2):
            t_board, board = timed(
                lambda z=z, k=k, names=names: leaderboard(
                    z, names=names, n_factors=k, n_resamples=1000, seed=0
                ),
                repeats,
                min,
            )
            counts = _draw_tasks(np.random.default_rng(0), loop_resamples, z.shape[1],
                                 _min_distinct(k))  # fmt: skip
            t_loop, _ = timed(lambda z=z, k=k, counts=counts: loop_leaderboard(z, k, counts), 1)
            t_loop_1000 = t_loop * 1000 / loop_resamples
            print(
                f"{label:24s} k={k}: measurand {t_board:6.2f} s; loop {t_loop_1000:6.1f} s "
                f"(scaled) -> {t_loop_1000 / t_board:5.1f}x; {board.n_valid} valid resamples, "
                f"{board.mean_distinct_tasks:.1f} distinct tasks on average"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, 50 loop resamples")
    parser.add_argument("--loop-resamples", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    loop_resamples = args.loop_resamples or (50 if args.quick else 200)
    print(f"numpy {np.__version__}")
    ok = part_em(repeats)
    part_leaderboard(repeats, loop_resamples)
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
