"""One fit of one method for ``bench/irt_peers.py``, in a fresh process under a memory limit.

Run by the side venv's python for the peers (``mirt``, ``pyirt``: it must not import measurand)
and by the project's python for ``measurand`` and ``svd``, so that every method is timed and
its peak RSS read the same way. Usage::

    python bench/_irt_peer_worker.py METHOD IN.npz OUT.npz [--max-iter N] [--epochs N]
        [--mem-gb G] [--seed S]

IN.npz holds the training cells (``rows``, ``cols``, ``y``), ``shape`` (n, p), ``n_dims`` and
the held-out cells (``held_rows``, ``held_cols``). OUT.npz gets ``slopes`` (p, d),
``intercepts`` (p,), ``theta`` (n, d), ``heldout_prob`` and ``meta`` (a JSON string: wall and
CPU seconds of the fit, peak RSS of this process, iterations, convergence, notes). Every
method's estimates are on one scale: P(y_ij = 1) = logistic(θ_i · a_j + d_j).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _limit_memory(gigabytes: float) -> None:
    # An address-space cap makes an out-of-memory peer fail with MemoryError (or a failed
    # allocation in native code) instead of pulling the shared machine into the OOM killer.
    limit = int(gigabytes * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _peak_rss_gb() -> float:
    # VmHWM, not getrusage's ru_maxrss: the latter carries the parent's peak across fork+exec,
    # so every worker would report at least the RSS of bench/irt_peers.py itself.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _progress(label: str, start: float, step: int, value: float) -> None:
    # one line per iteration on stderr: when a fit is stopped by the time limit, the bench
    # reports how far it got and at what pace
    elapsed = time.perf_counter() - start
    print(
        f"progress: {label} {step} after {elapsed:.1f} s, objective {value:.6g}",
        file=sys.stderr,
        flush=True,
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logistic_prob(data: dict[str, Any], out: dict[str, Any]) -> np.ndarray:
    hr, hc = data["held_rows"], data["held_cols"]
    eta = np.einsum("kd,kd->k", out["theta"][hr], out["slopes"][hc]) + out["intercepts"][hc]
    return _sigmoid(eta)


def fit_mirt(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """mirt 1.2.0 GVEM (Cho et al. 2021), Rust backend, its defaults (tol 1e-4 on the ELBO
    change, 3 inner iterations, start: every slope 1, difficulty 0) with ``max_iter`` capped.

    Parameterisation (mirt/models/dichotomous.py, ``_multidimensional_logits``): logit =
    θ·a − (Σ_k a_k)·b; GVEM iterates on the slope-intercept form d = −(Σ_k a_k)·b and keeps it
    in ``GVEMEstimator._intercepts``, which we read directly (converting back from b divides by
    Σ_k a_k + 1e-10, which is ill-posed where the slopes sum to about zero). θ = the variational
    means; the prior is N(0, I), so θ is on the same scale as the truth's."""
    from mirt.estimation.gvem import GVEMEstimator
    from mirt.models.dichotomous import TwoParameterLogistic

    n, p = data["shape"]
    t_prep = time.perf_counter()
    responses = np.full((n, p), -1, dtype=np.int8)  # any negative code = missing
    responses[data["rows"], data["cols"]] = data["y"]
    model = TwoParameterLogistic(n_items=p, n_factors=data["n_dims"])
    estimator = GVEMEstimator(max_iter=args.max_iter)
    se_seconds = [0.0]
    compute_se = estimator._compute_standard_errors

    def timed_se(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return compute_se(*a, **k)
        finally:
            se_seconds[0] = time.perf_counter() - t

    estimator._compute_standard_errors = timed_se  # to report the SE share of the fit time
    clock = [0.0]

    def log_iteration(iteration: int, log_likelihood: float, **_: float) -> None:
        _progress("GVEM iteration", clock[0], iteration + 1, log_likelihood)

    estimator._log_iteration = log_iteration  # ELBO after each E-step, with the time
    prep = time.perf_counter() - t_prep
    wall, cpu = time.perf_counter(), time.process_time()
    clock[0] = wall
    result = estimator.fit(model, responses)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    slopes = np.array(estimator._slopes, dtype=float)
    intercepts = np.array(estimator._intercepts, dtype=float)
    # cross-check the private slope-intercept arrays against the model's public a, b
    a_pub = np.asarray(model.parameters["discrimination"], dtype=float)
    d_pub = -a_pub.sum(axis=1) * np.asarray(model.parameters["difficulty"], dtype=float)
    ok = np.abs(a_pub.sum(axis=1)) > 1e-3
    elbo = estimator.elbo_history
    theta = np.asarray(estimator.variational_means, dtype=float)
    # and our held-out probabilities against mirt's own response function at the same θ
    check = min(len(data["held_rows"]), 100_000)
    hr, hc = data["held_rows"][:check], data["held_cols"][:check]
    own = model.probability_pairs(theta[hr], hc.astype(np.intp))
    ours = _sigmoid(np.einsum("kd,kd->k", theta[hr], slopes[hc]) + intercepts[hc])
    return {
        "slopes": slopes,
        "intercepts": intercepts,
        "theta": theta,
        "wall_s": wall,
        "cpu_s": cpu,
        "prep_s": prep,
        "n_iter": int(result.n_iterations),
        "converged": bool(result.converged),
        "notes": (
            f"GVEM max_iter={args.max_iter}, tol=1e-4 (|ΔELBO|), {result.n_iterations} it, "
            f"converged={result.converged}; standard errors {se_seconds[0]:.1f} s of the fit; "
            f"last ELBO changes {np.diff(elbo[-3:]).round(2).tolist()}; "
            f"public a,b reproduce d to {np.abs(d_pub - intercepts)[ok].max(initial=0):.1e}; "
            f"mirt's probability_pairs equal ours to {np.abs(own - ours).max():.1e}"
        ),
    }


def fit_pyirt(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """py-irt 0.7.1 ``multidim_2pl`` through its ``IrtModelTrainer`` (pyro SVI, Adam lr 0.1,
    decay 0.9999 per epoch, full batch, vague hierarchical priors: its defaults) for a fixed
    number of epochs.

    Parameterisation (py_irt/models/multidim_2pl.py): logit = Σ_k γ_jk (θ_ik − b_jk) with
    γ_jk > 0 log-normal. Slopes a_j = γ_j, taken as exp(loc_disc) like its ``export``;
    intercepts d_j = −Σ_k γ_jk b_jk; θ = loc_ability. These are the variational means/medians
    (the guide's point estimates), which is what py-irt exports."""
    import py_irt.training
    import pyro
    import torch
    from ordered_set import OrderedSet
    from py_irt.config import IrtConfig
    from py_irt.dataset import Dataset
    from py_irt.training import IrtModelTrainer

    clock = [0.0]

    class LoggedSVI(py_irt.training.SVI):
        steps = 0

        def step(self, *a: Any, **k: Any) -> float:
            loss = super().step(*a, **k)
            LoggedSVI.steps += 1
            _progress("SVI epoch", clock[0], LoggedSVI.steps, loss)
            return loss

    py_irt.training.SVI = LoggedSVI  # the trainer builds SVI by this name; log each epoch

    n, p = data["shape"]
    t_prep = time.perf_counter()
    items = [str(j) for j in range(p)]
    subjects = [str(i) for i in range(n)]
    dataset = Dataset(
        item_ids=OrderedSet(items),
        subject_ids=OrderedSet(subjects),
        item_id_to_ix={s: j for j, s in enumerate(items)},
        ix_to_item_id=dict(enumerate(items)),
        subject_id_to_ix={s: i for i, s in enumerate(subjects)},
        ix_to_subject_id=dict(enumerate(subjects)),
        observation_subjects=data["rows"].tolist(),
        observation_items=data["cols"].tolist(),
        observations=data["y"].astype(float).tolist(),
        training_example=[True] * len(data["y"]),
    )
    config = IrtConfig(model_type="multidim_2pl", dims=data["n_dims"], epochs=args.epochs)
    pyro.set_rng_seed(args.seed)
    trainer = IrtModelTrainer(
        data_path=Path("unused"), config=config, dataset=dataset, verbose=False
    )
    prep = time.perf_counter() - t_prep
    wall, cpu = time.perf_counter(), time.process_time()
    clock[0] = wall
    trainer.train(epochs=args.epochs, device="cpu")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with torch.no_grad():
        gamma = pyro.param("loc_disc").exp().double().numpy()
        b = pyro.param("loc_diff").double().numpy()
        theta = pyro.param("loc_ability").double().numpy()
    return {
        "slopes": gamma,
        "intercepts": -(gamma * b).sum(axis=1),
        "theta": theta,
        "wall_s": wall,
        "cpu_s": cpu,
        "prep_s": prep,
        "n_iter": int(args.epochs),
        "converged": None,
        "notes": f"SVI {args.epochs} epochs (fixed count, no convergence test), lr 0.1",
    }


def fit_measurand(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``measurand.latent.irt.fit_map`` with its defaults (slope_prior_sd="auto")."""
    import torch  # noqa: F401  (imported before the clock starts, as in bench/_irt_common.py)

    from measurand.latent.irt import fit_map

    n, p = data["shape"]
    wall, cpu = time.perf_counter(), time.process_time()
    fit = fit_map(
        rows=data["rows"],
        cols=data["cols"],
        y=data["y"].astype(float),
        shape=(n, p),
        n_dims=data["n_dims"],
        seed=args.seed,
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "slopes": fit.a,
        "intercepts": fit.d,
        "theta": fit.theta,
        "wall_s": wall,
        "cpu_s": cpu,
        "prep_s": 0.0,
        "n_iter": int(fit.n_iter),
        "converged": bool(fit.converged),
        "notes": f"slope_prior_sd=auto -> {fit.extra['slope_prior_sd']:g}; final fit "
        f"{fit.n_iter} it, converged={fit.converged}"
        + "".join(  # later versions recalibrate the items (slope prior tau by empirical Bayes)
            f"; {key} {fit.extra[key]:.3g}"
            for key in ("calibrated_slope_prior_sd",)
            if isinstance(fit.extra.get(key), float)
        ),
    }


def fit_svd(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The truncated-SVD floor (``svd_start``): probability-scale loadings; intercepts are the
    logit of the item mean (as in bench/_irt_common.py), predictions its own clipped linear
    probabilities."""
    import torch  # noqa: F401  (imported before the clock starts)

    from measurand.latent.irt import svd_start

    n, p = data["shape"]
    wall, cpu = time.perf_counter(), time.process_time()
    floor = svd_start(
        rows=data["rows"],
        cols=data["cols"],
        y=data["y"].astype(float),
        shape=(n, p),
        n_dims=data["n_dims"],
        seed=args.seed,
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mean = np.clip(floor.item_mean, 0.01, 0.99)
    return {
        "slopes": floor.loadings,
        "intercepts": np.log(mean / (1 - mean)),
        "theta": floor.theta,
        "heldout_prob": floor.probability(data["held_rows"], data["held_cols"]),
        "wall_s": wall,
        "cpu_s": cpu,
        "prep_s": 0.0,
        "n_iter": 0,
        "converged": None,
        "notes": "torch.svd_lowrank, 4 power iterations; intercepts: logit of item mean",
    }


METHODS = {"mirt": fit_mirt, "pyirt": fit_pyirt, "measurand": fit_measurand, "svd": fit_svd}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("method", choices=sorted(METHODS))
    parser.add_argument("inp", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=250)
    parser.add_argument("--mem-gb", type=float, default=16.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    _limit_memory(args.mem_gb)
    with np.load(args.inp) as f:
        data = {key: f[key] for key in f.files}
    data["shape"] = tuple(int(v) for v in data["shape"])
    data["n_dims"] = int(data["n_dims"])
    rss_data = _peak_rss_gb()
    out = METHODS[args.method](data, args)
    if "heldout_prob" not in out:
        out["heldout_prob"] = _logistic_prob(data, out)
    meta = {
        key: out.pop(key) for key in ("wall_s", "cpu_s", "prep_s", "n_iter", "converged", "notes")
    }
    meta["peak_rss_gb"] = _peak_rss_gb()
    meta["rss_after_load_gb"] = rss_data
    meta["python"] = sys.executable
    np.savez(
        args.out, meta=json.dumps(meta), **{k: np.asarray(v, dtype=float) for k, v in out.items()}
    )


if __name__ == "__main__":
    main()
