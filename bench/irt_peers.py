"""measurand's M2PL fit next to the Python peers, on simulated data with known truth (issue 12).

Shapes (``--shape``): ``mmlu`` = 48 x 13,542, d = 8, complete (the MMLU-Pro shape of the
strategic-evaluation seed); ``large`` = 2,000 x 30,000, d = 8, 20 % missing. 10 % of the observed
cells are held out (``heldout_split``); every method fits the other 90 % and is scored the same
way: slopes after Procrustes alignment with the truth, intercepts and θ (correlations), held-out
AUC and log-loss. Rows:

* item-mean baseline (held-out predictions only);
* truncated-SVD floor (``measurand.latent.irt.svd_start``);
* ``measurand.latent.irt.fit_map`` with its defaults (slope_prior_sd="auto");
* ``mirt`` 1.2.0 GVEM (Rust backend), iterations capped by ``--mirt-max-iter``;
* py-irt 0.7.1 ``multidim_2pl`` (pyro SVI), ``--pyirt-epochs`` epochs.

Each method runs in its own process (``bench/_irt_peer_worker.py``) under an address-space limit
(``--peer-mem-gb``) and a time limit (``--peer-timeout-s``): wall and CPU seconds of the fit
call, peak RSS of that process (data included). The peers run in the side venv
``bench/.venv-irt-peers`` (see bench/README.md); a failure, an out-of-memory or a timeout is
reported in its row and the bench goes on. The numbers go to
``bench/results/irt_peers_<shape>.json``.

Run: ``PYTHONPATH=src python bench/irt_peers.py --shape mmlu`` (7-8 min with both peers) or
``--shape large`` (``--mirt-max-iter 3`` by default there); ``--shape smoke`` (200 x 600, d = 4)
checks the plumbing in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from _irt_common import simulate
from measurand.latent.irt import heldout_scores, heldout_split, procrustes_alignment

BENCH = Path(__file__).resolve().parent
WORKER = BENCH / "_irt_peer_worker.py"
SIDE_PYTHON = BENCH / ".venv-irt-peers" / "bin" / "python"
SHAPES = {
    # name: (n, p, d, missing, mirt max_iter default, py-irt epochs default)
    "mmlu": (48, 13_542, 8, 0.0, 500, 250),
    "large": (2_000, 30_000, 8, 0.2, 3, 250),
    "smoke": (200, 600, 4, 0.2, 20, 20),  # a seconds-long check of the plumbing
}
LABELS = {
    "svd": "SVD floor",
    "measurand": "measurand fit_map",
    "mirt": "mirt GVEM",
    "pyirt": "py-irt multidim_2pl",
}


def _last_progress(stderr: str | bytes | None) -> str:
    """The worker's last per-iteration progress line, if any (how far a stopped fit got)."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    lines = [x for x in (stderr or "").splitlines() if x.startswith("progress:")]
    return f"; last {lines[-1]}" if lines else "; no iteration finished"


def run_worker(method: str, inp: Path, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Fit ``method`` in a child process; its estimates and meta, or {"failure": reason}."""
    peer = method in ("mirt", "pyirt")
    python = SIDE_PYTHON if peer else Path(sys.executable)
    if peer and not python.exists():
        return {"failure": f"side venv {SIDE_PYTHON.parents[1]} missing (see bench/README.md)"}
    out = tmp / f"{method}.npz"
    command = [
        str(python),
        str(WORKER),
        method,
        str(inp),
        str(out),
        "--max-iter",
        str(args.mirt_max_iter),
        "--epochs",
        str(args.pyirt_epochs),
        "--mem-gb",
        str(args.peer_mem_gb),
        "--seed",
        str(args.seed),
    ]
    env = dict(os.environ)
    if peer:
        env.pop("PYTHONPATH", None)  # the side venv must not see the project's sources
    else:
        env["PYTHONPATH"] = str(BENCH.parent / "src")
    print(f"  running {LABELS[method]} ...", flush=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=args.peer_timeout_s,
        )
    except subprocess.TimeoutExpired as stopped:
        return {
            "failure": f"timed out after {args.peer_timeout_s:g} s (--peer-timeout-s)"
            + _last_progress(stopped.stderr)
        }
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or not out.exists():
        lines = [x for x in done.stderr.strip().splitlines() if not x.startswith("progress:")]
        tail = (lines or done.stdout.strip().splitlines())[-3:]
        signs = ("memoryerror", "alloc", "failed to map", "out of memory")
        oom = any(sign in x.lower() for x in tail for sign in signs)
        why = f"out of memory under the {args.peer_mem_gb:g} GB cap" if oom else "failed"
        if done.returncode < 0:  # e.g. SIGABRT from a native allocation failure
            why += f", killed by signal {-done.returncode}"
        return {
            "failure": f"{why} after {elapsed:.0f} s (exit {done.returncode}): "
            + " | ".join(tail)
            + _last_progress(done.stderr)
        }
    with np.load(out) as f:
        result = {key: f[key] for key in f.files if key != "meta"}
        result.update(json.loads(str(f["meta"])))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", choices=sorted(SHAPES), default="mmlu")
    parser.add_argument(
        "--mirt-max-iter",
        type=int,
        default=None,
        help="GVEM iteration cap (default: 500 at mmlu, 3 at large)",
    )
    parser.add_argument("--pyirt-epochs", type=int, default=None, help="default 250")
    parser.add_argument("--skip-mirt", action="store_true")
    parser.add_argument("--skip-pyirt", action="store_true")
    parser.add_argument("--skip-measurand", action="store_true")
    parser.add_argument(
        "--peer-mem-gb",
        type=float,
        default=16.0,
        help="address-space limit of each fit's process (default 16)",
    )
    parser.add_argument("--peer-timeout-s", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON output (default bench/results/irt_peers_<shape>.json)",
    )
    args = parser.parse_args()
    n, p, k, missing, max_iter, epochs = SHAPES[args.shape]
    args.mirt_max_iter = max_iter if args.mirt_max_iter is None else args.mirt_max_iter
    args.pyirt_epochs = epochs if args.pyirt_epochs is None else args.pyirt_epochs
    out_json = args.out or BENCH / "results" / f"irt_peers_{args.shape}.json"

    data = simulate(n, p, k, missing, seed=args.seed)
    r, c, y = data["rows"], data["cols"], data["y"]
    held = heldout_split(r, c, 0.1, seed=args.seed + 1)
    tr = ~held
    count = np.bincount(c[tr], minlength=p)
    base = np.bincount(c[tr], weights=y[tr], minlength=p) / np.maximum(count, 1)
    y_held, base_held = y[held], base[c[held]]
    load = os.getloadavg()
    print(
        f"{args.shape}: {n:,} x {p:,}, d = {k}, {len(y):,} observed "
        f"({100 * missing:.0f}% missing); {int(held.sum()):,} held out; load average "
        f"{load[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )

    methods = ["svd"] + [
        m for m in ("measurand", "mirt", "pyirt") if not getattr(args, f"skip_{m}")
    ]
    rows: list[dict[str, Any]] = []
    baseline = heldout_scores(y_held, base_held, base_held)
    rows.append(
        {"method": "item-mean baseline", "auc": baseline.auc, "log_loss": baseline.log_loss}
    )
    with tempfile.TemporaryDirectory(prefix="irt_peers_") as tmp_name:
        tmp = Path(tmp_name)
        inp = tmp / "cells.npz"
        np.savez(
            inp,
            rows=r[tr].astype(np.int32),
            cols=c[tr].astype(np.int32),
            y=y[tr].astype(np.int8),
            shape=np.array([n, p]),
            n_dims=np.array(k),
            held_rows=r[held].astype(np.int32),
            held_cols=c[held].astype(np.int32),
        )
        del r, c, y, tr, data["rows"], data["cols"], data["y"]  # the workers' memory
        for method in methods:
            got = run_worker(method, inp, tmp, args)
            row: dict[str, Any] = {"method": LABELS[method]}
            if "failure" in got:
                row["failure"] = got["failure"]
                print(f"  {LABELS[method]}: {got['failure']}", flush=True)
                rows.append(row)
                continue
            rec = procrustes_alignment(
                got["slopes"],
                data["A"],
                d_hat=got["intercepts"],
                d_true=data["d"],
                theta_hat=got["theta"],
                theta_true=data["theta"],
            )
            h = heldout_scores(y_held, got["heldout_prob"], base_held)
            row.update(
                {
                    key: got[key]
                    for key in (
                        "wall_s",
                        "cpu_s",
                        "prep_s",
                        "peak_rss_gb",
                        "rss_after_load_gb",
                        "n_iter",
                        "converged",
                        "notes",
                    )
                }
            )
            sv = np.linalg.svd(got["slopes"], compute_uv=False)
            row.update(
                {
                    "slopes": rec.slopes,
                    "slopes_by_dim": list(rec.slopes_by_dim),
                    "intercepts": rec.intercepts,
                    "theta": rec.theta,
                    "auc": h.auc,
                    "log_loss": h.log_loss,
                    "slope_singular_values": (sv / sv[0]).round(4).tolist(),
                }
            )
            print(f"  {LABELS[method]}: {row['wall_s']:.1f} s wall; {row['notes']}", flush=True)
            rows.append(row)

    ours = next((x for x in rows if x["method"] == LABELS["measurand"] and "wall_s" in x), None)
    print(
        f"\n{args.shape}: {n:,} x {p:,}, d = {k}, {100 * missing:.0f}% missing (seed "
        f"{args.seed}); held-out: 10% of observed cells"
    )
    head = (
        f"{'method':<22}{'wall s':>9}{'CPU s':>9}{'RSS GB':>8}{'slopes':>8}{'interc.':>8}"
        f"{'theta':>8}{'AUC':>8}{'logloss':>8}{'wall/ours':>10}{'CPU/ours':>9}  iterations"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        if "failure" in row:
            print(f"{row['method']:<22}  FAILED: {row['failure']}")
            continue
        if "wall_s" not in row:
            print(f"{row['method']:<22}{'':>58}{row['auc']:8.4f}{row['log_loss']:8.4f}")
            continue
        ratio_wall = ratio_cpu = ""
        if ours:
            row["wall_ratio_vs_measurand"] = row["wall_s"] / ours["wall_s"]
            row["cpu_ratio_vs_measurand"] = row["cpu_s"] / ours["cpu_s"]
            ratio_wall = f"{row['wall_ratio_vs_measurand']:.2f}x"
            ratio_cpu = f"{row['cpu_ratio_vs_measurand']:.2f}x"
        conv = "" if row["converged"] is None else f" converged={row['converged']}"
        print(
            f"{row['method']:<22}{row['wall_s']:9.2f}{row['cpu_s']:9.2f}"
            f"{row['peak_rss_gb']:8.2f}{row['slopes']:8.3f}{row['intercepts']:8.3f}"
            f"{row['theta']:8.3f}{row['auc']:8.4f}{row['log_loss']:8.4f}{ratio_wall:>10}"
            f"{ratio_cpu:>9}  {row['n_iter']}{conv}"
        )
    print(
        "wall/CPU s: the fit call alone (input conversion excluded, listed as prep_s in the "
        "JSON); RSS: peak of the fit's own process, data included. Timings on a shared "
        "machine: contended."
    )
    out_json.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "shape": args.shape,
        "n": n,
        "p": p,
        "d": k,
        "missing": missing,
        "seed": args.seed,
        "mirt_max_iter": args.mirt_max_iter,
        "pyirt_epochs": args.pyirt_epochs,
        "peer_mem_gb": args.peer_mem_gb,
        "load_average_at_start": load,
        "cpus": os.cpu_count(),
        "finished_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "rows": rows,
    }
    out_json.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {out_json}")


if __name__ == "__main__":
    main()
