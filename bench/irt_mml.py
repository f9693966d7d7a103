"""2PL marginal ML on LSAT6 (1,000 x 5) and psych's ``ability`` (1,525 x 16, missing cells):
measurand's ``fit_mml`` against ``mirt`` (Rust backend; defaults, tight tolerances, tight on
measurand's 61-point grid) and ``girth`` (``twopl_mml``), timed in the same run.

Each fit: median of 5 after a warm-up; measurand is timed before and after the peers (median
of the 10). Every fit computes its standard errors (mirt by Oakes' identity, measurand the
analytic observed information). "At the optimum" is compared fairly: each peer's estimates
are evaluated by measurand's marginal log-likelihood on the same 61-point Gauss–Hermite grid
(ℓ below; Δℓ = ℓ − ℓ of measurand's fit), and max |Δa|, |Δd| are against the R reference fit
(tests/reference/irt, an independent optim() fit). Peers run in ``bench/.venv-irt-peers``
(``bench/_irt_mml_peer_worker.py``); without it, measurand alone. Target (issue 12): no
slower than mirt with tight tolerances.

    python bench/irt_mml.py [--repeats N]   # N runs of the whole comparison (default 1)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))
from measurand.latent.irt import fit_mml
from measurand.latent.irt.mml import _collapse, _Problem

HERE = Path(__file__).parent
REF = HERE.parent / "tests" / "reference" / "irt"
PEERS = HERE / ".venv-irt-peers" / "bin" / "python"


def _times(fn, repeats: int = 5) -> list[float]:
    fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _loglik(Y: np.ndarray, a: np.ndarray, d: np.ndarray) -> float:
    """measurand's marginal log-likelihood of the 2PL (a, d) on its 61-point grid."""
    Yu, f, _ = _collapse(Y, np.ones(len(Y)))
    return _Problem(Yu, f, "2pl", 1, None, None).posterior(np.column_stack([a, d])).loglik


def _peers(Y: np.ndarray) -> dict[str, dict]:
    if not PEERS.exists():
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Y.npy"
        np.save(path, Y)
        env = {**os.environ, "PYTHONPATH": ""}
        done = subprocess.run(
            [str(PEERS), str(HERE / "_irt_mml_peer_worker.py"), str(path)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        print(f"peer worker failed:\n{done.stderr[-2000:]}")
        return {}
    return json.loads(done.stdout)


def run_once(name: str, Y: np.ndarray, ref: pl.DataFrame) -> dict[str, float]:
    a_ref, d_ref = ref["a"].to_numpy(), ref["d"].to_numpy()
    before = _times(lambda: fit_mml(Y))
    peers = _peers(Y)
    ours = statistics.median(before + _times(lambda: fit_mml(Y)))
    fit = fit_mml(Y)
    rows = [("measurand fit_mml", ours, fit.a[:, 0], fit.d, fit.loglik, fit.n_iter)]
    for peer, res in peers.items():
        if "error" in res:
            print(f"  {peer}: {res['error']}")
            continue
        rows.append(
            (
                peer,
                res["seconds"],
                np.array(res["a"]),
                np.array(res["d"]),
                res["own_loglik"],
                res["iterations"],
            )
        )
    print(
        f"{name}: {Y.shape[0]:,} x {Y.shape[1]}, {int(np.isnan(Y).sum())} missing cells; "
        f"R reference ℓ {ref['loglik'][0]:.6f}; measurand: {fit.extra['em_iterations']} EM + "
        f"{fit.extra['newton_iterations']} Newton steps, {fit.criterion}"
    )
    print(
        f"  {'':<24}{'time':>10}{'peer/ours':>10}{'ℓ (ours, 61 pts)':>20}{'Δℓ':>11}"
        f"{'max|Δa|':>10}{'max|Δd|':>10}{'own ℓ':>14}{'iter':>6}"
    )
    out = {}
    for label, seconds, a, d, own, iters in rows:
        loglik = _loglik(Y, a, d)
        own_text = "" if own is None else f"{own:.4f}"
        print(
            f"  {label:<24}{1000 * seconds:>8.1f}ms{seconds / ours:>9.2f}x{loglik:>20.6f}"
            f"{loglik - fit.loglik:>11.1e}{np.abs(a - a_ref).max():>10.1e}"
            f"{np.abs(d - d_ref).max():>10.1e}{own_text:>14}{'' if iters is None else iters:>6}"
        )
        out[label] = seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs of the whole comparison")
    args = parser.parse_args()
    if not PEERS.exists():
        print(f"(no side environment at {PEERS}: measurand alone)")
    reference = pl.read_csv(REF / "irt_2pl_reference.csv")
    data = {
        name: pl.read_csv(REF / f"{name}.csv").drop("id", strict=False).to_numpy().astype(float)
        for name in ("lsat6", "ability")
    }
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in data}
    for _ in range(args.repeats):
        for name, Y in data.items():
            runs[name].append(run_once(name, Y, reference.filter(pl.col("dataset") == name)))
    if args.repeats > 1:
        print(f"medians over {args.repeats} runs:")
        for name, results in runs.items():
            ours = statistics.median(r["measurand fit_mml"] for r in results)
            cells = [f"measurand {1000 * ours:.1f} ms"]
            for label in results[0]:
                if label != "measurand fit_mml":
                    peer = statistics.median(r[label] for r in results)
                    cells.append(f"{label} {1000 * peer:.1f} ms ({peer / ours:.1f}x)")
            print(f"  {name}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
