"""The scalable estimator: joint MAP on torch over the observed entries only.

Objective (minimised), with η_si = a_i · θ_s + d_i and the sum over observed cells only:

    F = Σ_obs [log(1 + e^η_si) − y_si η_si] + ½ Σ_s ‖θ_s‖² + ½ Σ_i ‖a_i‖² / σ_a² + ½ Σ_i d_i² / σ_d²

i.e. the negative log posterior with θ_s ~ N(0, I), a_i ~ N(0, σ_a² I) and d_i ~ N(0, σ_d²)
(σ_a = 1, σ_d = 5 by default). The two Gaussian priors on θ and a make the penalty equal to
‖Θ Aᵀ‖_* / σ_a at the optimum (a nuclear-norm-regularised logistic factorisation), which fixes
the otherwise free scale between θ and a. After the fit, θ is standardised (centred, whitened
to unit covariance) with a and d transformed so that every η is unchanged, and the loadings
may then be rotated (:func:`measurand.latent.rotation.rotate`; θ is counter-rotated).

Optimisation: alternating block Newton (:mod:`measurand.latent.irt._newton`): one Newton step
for all subjects' θ_s at once (items fixed), then for all items' (a_i, d_i) (θ fixed), each
block's step halved until its own exact objective does not rise, then the Θ/A gauge balanced
and θ's mean moved into d in closed form (η unchanged). Gradients and Hessians are computed
over row blocks so that memory stays at a few dense (block × items) buffers. Start: a
truncated SVD of the centred response matrix (:func:`svd_start`, also the "SVD floor" the fit
must beat). Convergence (stated in the result): relative objective change over an iteration
(f_k − f_k+1) / max(|f_k|, 1) below ``ftol`` and ‖∇F‖_∞ < ``gtol``; ``max_iter`` caps the
iterations (then ``converged`` is False).

Standard errors: the inverse curvature of F in each block given the others — for θ_s,
(Σ_i m_si P(1 − P) a_i a_iᵀ + I)⁻¹ — reported in the final (standardised, rotated)
coordinates. They ignore the uncertainty of the item parameters (for θ) and of θ (for items).

Determinism: on CPU the same inputs and seed give the same numbers (the SVD start draws its
random test matrix from a generator seeded by ``seed``; deterministic algorithms are requested
from torch during the fit).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from measurand.errors import InputError
from measurand.latent.irt._model import IRTFit
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["SLOPE_PRIOR_GRID", "SVDStart", "fit_map", "select_slope_prior", "svd_start"]

_BLOCK_ELEMENTS = 8_000_000  # cells per row block (~32-64 MB per dense temporary)
_SMALL_CELLS = 5_000_000
_CALIBRATION_PASSES = 500  # each pass is one Newton step of every item; ~10-40 are typical


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            "the scalable IRT estimator needs torch: pip install 'measurand[irt]'"
        ) from None
    return torch


@contextlib.contextmanager
def _deterministic(torch: Any, device: Any) -> Iterator[None]:
    """Deterministic kernels on CUDA (scatters and index additions may otherwise race); the CPU
    kernels used here are deterministic at a fixed thread count already, and the switch costs
    a 1.5 s import of torch._inductor on first use."""
    if device.type == "cpu":
        yield
        return
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


@contextlib.contextmanager
def _threads_for(torch: Any, device: Any, cells: int) -> Iterator[None]:
    """One CPU thread for small problems: their products and QR factorisations are too small
    to share, and on a busy machine a second OpenMP thread made them up to 40x slower
    (svd_start at 48 x 13,542: 1.74 s with 2 threads vs 0.044 s with 1)."""
    threads = torch.get_num_threads()
    small = device.type == "cpu" and cells <= _SMALL_CELLS
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(threads)


def _as_triplets(
    Y: Any, rows: Any, cols: Any, y: Any, shape: tuple[int, int] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    if Y is not None:
        M = np.array(Y, dtype=np.float64, ndmin=2)
        r, c = np.nonzero(~np.isnan(M))
        return r, c, M[r, c], M.shape
    if rows is None or cols is None or y is None or shape is None:
        raise InputError("give a dense matrix Y (NaN = missing) or rows, cols, y and shape")
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    v = np.asarray(y, dtype=np.float64)
    if not (r.shape == c.shape == v.shape):
        raise InputError("rows, cols and y must have the same length")
    return r, c, v, (int(shape[0]), int(shape[1]))


_SCATTER_CHUNK = 4_000_000


def _scatter(
    torch: Any, dense: Any, r: np.ndarray, c: np.ndarray, values: Callable[[int, int], Any]
) -> None:
    """dense[r, c] = values, in chunks of cells: the temporaries of one pass over 48 M cells
    (the values in float64, their gather, the cast) added 1.1 GB to the peak at 2,000 x 30,000."""
    for s in range(0, len(r), _SCATTER_CHUNK):
        e = min(len(r), s + _SCATTER_CHUNK)
        index = (torch.as_tensor(r[s:e], device=dense.device),
                 torch.as_tensor(c[s:e], device=dense.device))  # fmt: skip
        dense[index] = torch.as_tensor(values(s, e), dtype=dense.dtype, device=dense.device)


class SVDStart:
    """Truncated SVD of the centred response matrix (missing cells at the item mean).

    ``theta`` = √n U (unit variance), ``loadings`` = V S / √n (probability scale),
    ``item_mean``; :meth:`probability` predicts P = mean + θ loadingsᵀ clipped to [0.01, 0.99].
    """

    def __init__(self, theta: np.ndarray, loadings: np.ndarray, item_mean: np.ndarray) -> None:
        self.theta = theta
        self.loadings = loadings
        self.item_mean = item_mean

    def probability(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        value = self.item_mean[cols] + np.einsum("kd,kd->k", self.theta[rows], self.loadings[cols])
        return np.clip(value, 0.01, 0.99)


def svd_start(
    Y: Any = None,
    *,
    rows: Any = None,
    cols: Any = None,
    y: Any = None,
    shape: tuple[int, int] | None = None,
    n_dims: int = 1,
    seed: SeedLike = None,
    device: str = "cpu",
) -> SVDStart:
    """The truncated SVD floor (randomised, ``torch.svd_lowrank`` with 4 power iterations)."""
    torch = _torch()
    r, c, v, (n, p) = _as_triplets(Y, rows, cols, y, shape)
    mean = np.bincount(c, weights=v, minlength=p) / np.maximum(np.bincount(c, minlength=p), 1)
    dev = torch.device(device)
    dtype = torch.float64 if n * p <= 20_000_000 else torch.float32
    Z = torch.zeros((n, p), dtype=dtype, device=dev)
    _scatter(torch, Z, r, c, lambda s, e: v[s:e] - mean[c[s:e]])
    k = min(n_dims, n - 1, p)
    generator_seed = int(as_generator(seed).integers(2**62))
    with (
        torch.random.fork_rng(devices=[] if dev.type == "cpu" else [dev]),
        _threads_for(torch, dev, n * p),
    ):
        torch.manual_seed(generator_seed)
        U, S, V = torch.svd_lowrank(Z, q=min(k + 10, n, p), niter=4)
    del Z
    U, S, V = (t[:, :k] if t.ndim == 2 else t[:k] for t in (U, S, V))
    theta = (U * math.sqrt(n)).double().cpu().numpy()
    loadings = (V * S / math.sqrt(n)).double().cpu().numpy()
    # sign: the first dimension loads positively on most items
    sign = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    return SVDStart(theta * sign, loadings * sign, mean)


def fit_map(
    Y: Any = None,
    *,
    rows: Any = None,
    cols: Any = None,
    y: Any = None,
    shape: tuple[int, int] | None = None,
    n_dims: int = 1,
    slope_prior_sd: float | str = "auto",
    intercept_prior_sd: float = 5.0,
    device: str = "cpu",
    dtype: str | None = None,
    max_iter: int = 5000,
    ftol: float = 1e-10,
    gtol: float = 1e-4,
    seed: SeedLike = None,
    callback: Callable[[int, float, float], None] | None = None,
    rotation: str | None = None,
    calibrate: bool = True,
) -> IRTFit:
    """Fit the (multidimensional) 2PL by joint MAP on torch (alternating block Newton); see the
    module notes.

    Parameters
    ----------
    Y, rows/cols/y/shape:
        A dense (n, p) matrix with NaN for missing, or the observed triplets and the shape.
    n_dims:
        Number of latent dimensions (any; 1 is the 2PL).
    slope_prior_sd, intercept_prior_sd:
        Prior SDs σ_a, σ_d. ``slope_prior_sd="auto"`` chooses σ_a from 0.03, 0.1, 0.3, 1 by
        the log-loss on 5 % of the observed cells held out (:func:`select_slope_prior`), walking
        up the grid while the validation loss improves; the regularisation a data set needs
        depends on its shape (2,000 x 200: σ_a ≈ 1; 48 x 13,542: ≤ 0.1).
    device:
        "cpu" or "cuda" (same API and results up to floating-point rounding).
    dtype:
        Storage of the dense response and mask matrices: "float64" or "float32"; default
        float64 up to 2·10⁷ cells, float32 above. The arithmetic is float64 in both cases
        (block by block), so the convergence test is not swamped by rounding.
    max_iter, ftol, gtol:
        The convergence criterion (module notes).
    callback:
        ``callback(iteration, objective, grad_inf_norm)`` after every iteration.
    rotation:
        With ``n_dims > 1``: rotate the standardised loadings by this criterion of
        :func:`measurand.latent.rotation.rotate` (Kaiser-normalised), θ counter-rotated so that
        every η is unchanged (None = unrotated).
    calibrate:
        After the joint fit and the standardisation of θ, re-estimate the item parameters given
        θ with a_i ~ N(0, τ² I) in θ's unit-variance metric, τ by empirical Bayes
        (:func:`measurand.latent.irt._newton.calibrate_items`). The joint fit's σ_a weights a
        nuclear norm (it shrinks weak dimensions more than strong ones), so its slopes are
        not the posterior mode under a prior stated in θ's metric; the recalibrated ones are,
        and their standard errors use that prior. ``False`` keeps the joint-MAP slopes.
    """
    t0 = time.perf_counter()
    r, c, v, (n, p) = _as_triplets(Y, rows, cols, y, shape)
    selection: dict[str, float] | None = None
    warm: _State | None = None
    if slope_prior_sd == "auto":
        slope_prior_sd, selection, warm = _select_slope_prior(
            r, c, v, (n, p), n_dims=n_dims, device=device, dtype=dtype, seed=seed,
            max_iter=max_iter, ftol=ftol, gtol=gtol, calibrate=calibrate,
            intercept_prior_sd=intercept_prior_sd,
        )  # fmt: skip
    fitted, _ = _fit_map(
        r, c, v, (n, p), n_dims, (float(slope_prior_sd), intercept_prior_sd), device, dtype,
        (max_iter, ftol, gtol), seed, callback, rotation, calibrate, t0, warm,
    )  # fmt: skip
    if selection is not None:
        fitted.extra["slope_prior_selection"] = {
            "validation_log_loss": selection,
            "rule": "5% of observed cells held out; grid walked up while the loss falls by "
            "more than 0.01%",
        }
    return fitted


# The joint fit's raw optimum (θ, a, d) before standardisation: a warm start for the next fit.
_State = tuple[np.ndarray, np.ndarray, np.ndarray]


def _fit_map(
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    shape: tuple[int, int],
    n_dims: int,
    priors: tuple[float, float],
    device: str,
    dtype: str | None,
    stopping: tuple[int, float, float],
    seed: SeedLike,
    callback: Callable[[int, float, float], None] | None,
    rotation: str | None,
    calibrate: bool,
    t0: float,
    start: _State | None,
    standard_errors: bool = True,
) -> tuple[IRTFit, _State]:
    """:func:`fit_map` at a given σ_a, from the SVD start or from ``start`` (the raw optimum of
    the chosen σ_a search trial, fitted on 95 % of the cells)."""
    torch = _torch()
    n, p = shape
    slope_prior_sd, intercept_prior_sd = priors
    if n_dims < 1 or n_dims >= min(n, p):
        raise InputError(f"n_dims must be between 1 and {min(n, p) - 1}, got {n_dims}")
    if v.size == 0 or np.any((v < 0) | (v > 1)) or not np.all(np.isfinite(v)):
        raise InputError("responses must lie in [0, 1]")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("device='cuda' was asked for but torch sees no CUDA device")
    if slope_prior_sd <= 0 or intercept_prior_sd <= 0:
        raise InputError("prior SDs must be positive")
    dev = torch.device(device)
    if dtype is None:
        dtype = "float64" if n * p <= 20_000_000 else "float32"
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    D = int(n_dims)

    if start is None:
        svd = svd_start(rows=r, cols=c, y=v, shape=(n, p), n_dims=D, seed=seed, device=device)
        mean = np.clip(svd.item_mean, 0.01, 0.99)
        # probability-scale loadings -> logit scale: dP/dη = P(1 - P) at the item mean
        a0 = svd.loadings / (mean * (1 - mean))[:, None]
        d0 = np.log(mean / (1 - mean))
        theta0 = svd.theta
    else:
        theta0, a0, d0 = start
    # Balance the scales as the optimum will (‖Θ‖² = ‖A‖²/σ_a²) before the first Newton step.
    scale = math.sqrt(
        math.sqrt((a0**2).sum() / slope_prior_sd**2) / max(math.sqrt((theta0**2).sum()), 1e-12)
    )
    theta0, a0 = theta0 * scale, a0 / scale

    with _threads_for(torch, dev, n * p), _deterministic(torch, dev):
        return _fit_on_device(
            torch,
            dev,
            tdtype,
            dtype,
            r,
            c,
            v,
            (n, p, D),
            (theta0, a0, d0),
            (slope_prior_sd, intercept_prior_sd),
            stopping,
            callback,
            t0,
            rotation,
            calibrate,
            standard_errors,
        )


SLOPE_PRIOR_GRID = (0.03, 0.1, 0.3, 1.0)
# A weaker prior must lower the validation log-loss by this fraction to be taken: at
# 2,000 x 30,000 the last steps of the grid gain 4e-5 and 1e-6 (relative), far below the
# loss's sampling error on 2.4 M validation cells, and cost 25 s each.
_MIN_GAIN = 1e-4


def select_slope_prior(
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    shape: tuple[int, int],
    *,
    n_dims: int,
    device: str = "cpu",
    dtype: str | None = None,
    seed: SeedLike = None,
    max_iter: int = 5000,
    ftol: float = 1e-10,
    gtol: float = 1e-4,
    calibrate: bool = True,
) -> tuple[float, dict[str, float]]:
    """σ_a chosen by the validation log-loss on :data:`SLOPE_PRIOR_GRID`, walked from strong to
    weak regularisation while a step lowers the loss by more than 0.01 % (relative); returns
    it and the losses seen."""
    best, losses, _ = _select_slope_prior(
        r, c, v, shape, n_dims=n_dims, device=device, dtype=dtype, seed=seed,
        max_iter=max_iter, ftol=ftol, gtol=gtol, calibrate=calibrate,
    )  # fmt: skip
    return best, losses


def _select_slope_prior(
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    shape: tuple[int, int],
    *,
    n_dims: int,
    device: str,
    dtype: str | None,
    seed: SeedLike,
    max_iter: int,
    ftol: float,
    gtol: float,
    calibrate: bool,
    intercept_prior_sd: float = 5.0,
) -> tuple[float, dict[str, float], _State | None]:
    """:func:`select_slope_prior`, also returning the chosen trial's raw optimum (the final
    fit on all cells starts there)."""
    from measurand.latent.irt.checks import heldout_split

    rng = as_generator(seed)
    held = heldout_split(r, c, 0.05, seed=rng)
    train = np.flatnonzero(~held)
    # the trials' copies of the cells in 12 bytes each instead of 24 (48 M cells: 0.6 GB less);
    # the responses are 0/1 or scores, which float32 keeps to 1e-7
    index_type = np.int32 if max(shape) < 2**31 else np.int64
    r_train, c_train = r[train].astype(index_type), c[train].astype(index_type)
    v_train = v[train].astype(np.float32)
    del train
    losses: dict[str, float] = {}
    best, best_loss, best_state = SLOPE_PRIOR_GRID[0], np.inf, None
    for sd in SLOPE_PRIOR_GRID:
        # each trial from the SVD start: a strongly regularised optimum can be all but zero
        # (the nuclear norm removes every dimension), a start the next trial cannot leave
        trial, state = _fit_map(
            r_train, c_train, v_train, shape, n_dims, (sd, intercept_prior_sd), device, dtype,
            (max_iter, ftol, gtol), seed, None, None, calibrate, time.perf_counter(), None,
            standard_errors=False,
        )  # fmt: skip
        eta = np.einsum("kd,kd->k", trial.theta[r[held]], trial.a[c[held]]) + trial.d[c[held]]
        prob = np.clip(0.5 * (1 + np.tanh(0.5 * eta)), 1e-6, 1 - 1e-6)
        yh = v[held]
        loss = float(-np.mean(yh * np.log(prob) + (1 - yh) * np.log1p(-prob)))
        losses[f"{sd:g}"] = loss
        if loss >= best_loss * (1.0 - _MIN_GAIN):
            break  # weaker regularisation no longer pays: keep the stronger, simpler fit
        best, best_loss, best_state = sd, loss, state
    return best, losses, best_state


def _fit_on_device(
    torch: Any,
    dev: Any,
    tdtype: Any,
    dtype: str,
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    sizes: tuple[int, int, int],
    start: tuple[np.ndarray, np.ndarray, np.ndarray],
    priors: tuple[float, float],
    stopping: tuple[int, float, float],
    callback: Callable[[int, float, float], None] | None,
    t0: float,
    rotation: str | None,
    calibrate: bool,
    standard_errors: bool = True,
) -> tuple[IRTFit, _State]:
    """The body of :func:`fit_map` once the start values and the device are settled; also
    returns the joint fit's raw optimum. ``standard_errors=False`` (the σ_a search's trials)
    leaves the SEs NaN."""
    n, p, D = sizes
    theta0, a0, d0 = start
    slope_prior_sd, intercept_prior_sd = priors
    max_iter, ftol, gtol = stopping
    Yt = torch.zeros((n, p), dtype=tdtype, device=dev)
    Wt = torch.zeros((n, p), dtype=tdtype, device=dev)
    _scatter(torch, Yt, r, c, lambda s, e: v[s:e])
    _scatter(torch, Wt, r, c, lambda s, e: np.ones(e - s, dtype=np.float32))
    block = max(1, _BLOCK_ELEMENTS // p)
    inv_vd = 1.0 / intercept_prior_sd**2

    from measurand.latent.irt._newton import alternating_newton

    (th_t, a_t, d_t), record = alternating_newton(
        torch,
        Yt,
        Wt,
        tuple(torch.as_tensor(x, dtype=torch.float64, device=dev) for x in (theta0, a0, d0)),
        (slope_prior_sd, intercept_prior_sd),
        (max_iter, ftol, gtol),
        block,
        callback,
    )
    trace = record["trace"]
    it = int(record["n_iter"])
    converged = bool(record["converged"])
    reason = (
        f"relative objective change over an iteration < {ftol:g} and ‖∇F‖_∞ < {gtol:g} "
        f"(alternating block Newton; ‖∇F‖_∞ = {record['grad_inf']:.2e}, {it} iterations)"
    )
    th, a, d = (t.double().cpu().numpy().copy() for t in (th_t, a_t, d_t))
    raw = (th.copy(), a.copy(), d.copy())
    nll = float(record["nll"])

    # Standardise θ (η unchanged): θ' = (θ − μ) L⁻ᵀ, a' = a L, d' = d + a μ.
    mu = th.mean(axis=0)
    cov = np.atleast_2d(np.cov(th, rowvar=False, bias=True))
    L = np.linalg.cholesky(cov + 1e-12 * np.eye(D))
    th = np.linalg.solve(L, (th - mu).T).T
    d = d + a @ mu
    a = a @ L
    calibration: dict[str, Any] | None = None
    if calibrate:
        # The joint fit's σ_a is a nuclear-norm weight, not a prior in θ's unit-variance metric
        # (its gauge balancing shrinks weak dimensions more); recalibrate the items given the
        # standardised θ with a slope prior whose scale is estimated (empirical Bayes).
        from measurand.latent.irt._newton import calibrate_items

        th_t = torch.as_tensor(th, dtype=torch.float64, device=dev)
        (a_t, d_t), calibration = calibrate_items(
            torch,
            Yt,
            Wt,
            th_t,
            tuple(torch.as_tensor(x, dtype=torch.float64, device=dev) for x in (a, d)),
            intercept_prior_sd,
            (min(max_iter, _CALIBRATION_PASSES), gtol),
            block,
        )
        a, d = (t.double().cpu().numpy().copy() for t in (a_t, d_t))
        del th_t, a_t, d_t
        nll = float(calibration["nll"])
        slope_cov = calibration["tau"] ** 2 * np.eye(D)
        converged = converged and bool(calibration["converged"])
        reason += (
            f"; items then recalibrated given the standardised θ with a_i ~ N(0, τ² I), "
            f"τ = {calibration['tau']:.4g} by empirical Bayes ({calibration['n_iter']} Newton "
            f"passes, ‖∇‖_∞ = {calibration['grad_inf']:.2e})"
        )
    else:
        # the joint prior N(0, σ_a² I) on a becomes N(0, σ_a² LᵀL) in the standardised metric
        slope_cov = slope_prior_sd**2 * (L.T @ L)
    theta_cov = np.eye(D)
    if a[:, 0].sum() < 0 and D == 1:
        a, th = -a, -th
    phi = None
    if rotation is not None and D > 1:
        from measurand.latent.rotation import rotate

        rotated = rotate(a, rotation, seed=0)
        a = rotated.loadings
        T = rotated.rotation_matrix
        th = th @ np.linalg.inv(T).T
        # the priors follow the coordinates: a T ~ N(0, Tᵀ Σ_a T), θ T⁻ᵀ ~ N(0, (TᵀT)⁻¹)
        slope_cov = T.T @ slope_cov @ T
        theta_cov = np.linalg.inv(T.T @ T)
        phi = rotated.phi
        rotation = rotated.method
    else:
        rotation = None
    if standard_errors:
        se_theta, se_a, se_d = _curvature_se(
            torch, Yt, Wt, th, a, d, (np.linalg.inv(theta_cov), np.linalg.inv(slope_cov), inv_vd),
            block, dev,
        )  # fmt: skip
    else:
        se_theta, se_a, se_d = (
            np.full_like(th, np.nan),
            np.full_like(a, np.nan),
            np.full_like(d, np.nan),
        )
    fitted = IRTFit(
        model="2pl" if D == 1 else "m2pl",
        rotation=rotation,
        phi=phi,
        method="map",
        a=a,
        d=d,
        c=np.zeros(p),
        se_a=se_a,
        se_d=se_d,
        se_c=np.full(p, np.nan),
        theta=th,
        theta_se=se_theta,
        loglik=-nll,
        n_params=n * D + p * (D + 1),
        objective_trace=tuple(trace),
        converged=converged,
        n_iter=it,
        criterion=reason,
        extra={
            "device": str(dev),
            "dtype": dtype,
            "slope_prior_sd": slope_prior_sd,
            "calibrated_slope_prior_sd": None if calibration is None else calibration["tau"],
            "intercept_prior_sd": intercept_prior_sd,
            "n_observed": int(v.size),
            "seconds": time.perf_counter() - t0,
            "se_method": "inverse conditional posterior curvature (each block given the rest)",
            "objective": "negative log posterior (joint MAP)",
        },
    )
    return fitted, raw


def _curvature_se(
    torch: Any,
    Yt: Any,
    Wt: Any,
    th: np.ndarray,
    a: np.ndarray,
    d: np.ndarray,
    precisions: tuple[np.ndarray, np.ndarray, float],
    block: int,
    dev: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SEs of θ (n, D), a (p, D), d (p,) from the block curvatures in final coordinates;
    ``precisions`` = the prior precision matrices of θ and a there, and 1/σ_d²."""
    theta_precision, slope_precision, inv_vd = precisions
    n, D = th.shape
    p = a.shape[0]
    dtype = torch.float64
    tht = torch.as_tensor(th, dtype=dtype, device=dev)
    at = torch.as_tensor(a, dtype=dtype, device=dev)
    dt = torch.as_tensor(d, dtype=dtype, device=dev)
    aa = (at[:, :, None] * at[:, None, :]).reshape(p, D * D)
    X = torch.cat([tht, torch.ones((n, 1), dtype=dtype, device=dev)], dim=1)
    H_theta = torch.empty((n, D * D), dtype=torch.float64, device=dev)
    H_item = torch.zeros((p, (D + 1) ** 2), dtype=torch.float64, device=dev)
    for s in range(0, n, block):
        e = min(n, s + block)
        prob = torch.sigmoid(torch.addmm(dt, tht[s:e], at.T))
        w = prob * (1 - prob) * Wt[s:e].to(dtype)
        H_theta[s:e] = (w @ aa).double()
        xx = (X[s:e, :, None] * X[s:e, None, :]).reshape(e - s, (D + 1) ** 2)
        H_item += (w.T @ xx).double()
    H_theta = H_theta.cpu().numpy().reshape(n, D, D) + theta_precision
    prior = np.zeros((D + 1, D + 1))
    prior[:D, :D] = slope_precision
    prior[D, D] = inv_vd
    H_item = H_item.cpu().numpy().reshape(p, D + 1, D + 1) + prior
    cov_theta = np.linalg.inv(H_theta)
    cov_item = np.linalg.inv(H_item)
    se_theta = np.sqrt(np.diagonal(cov_theta, axis1=1, axis2=2))
    se_item = np.sqrt(np.diagonal(cov_item, axis1=1, axis2=2))
    return se_theta, se_item[:, :D], se_item[:, D]
