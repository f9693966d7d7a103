"""``measurand irt``: fit an item response model, check it on held-out cells, flag items.

Steps (:func:`run_irt`):

1. **Dimensions.** Horn's parallel analysis of the 0/1 matrix with missing cells
   (:func:`measurand.latent.irt.binary_parallel_analysis`); ``dims=None`` ("auto") takes its k
   for ``m2pl`` (1 → the 2PL), and 1 for the unidimensional models (k is still reported).
2. **Estimator.** ``"mml"`` (marginal ML, 1–3 dimensions, SEs from the observed information,
   EAP abilities) or ``"map"`` (joint MAP on torch, any size and dimension). ``"auto"``:
   MML for the 1PL/3PL, and for the 2PL/M2PL with at least 200 subjects and at most 500 items
   (one dimension) or 60 items (2–3 dimensions) and 2·10⁶ cells; MAP otherwise.
3. **Held-out check.** ``heldout`` (default 10 %) of the observed cells are masked, the same
   model is fitted on the rest and predicts them; AUC and log-loss are reported next to the
   item-mean baseline and the truncated-SVD floor.
4. **Final fit** on every cell; multidimensional loadings rotated (varimax by default, through
   :mod:`measurand.latent.rotation`); item flags (negative or near-zero slopes); optionally an
   item pool (:func:`measurand.latent.pool.item_pool`) built from the standardised loadings
   λ_i = (a_i / 1.702) / √(1 + ‖a_i / 1.702‖²) (the normal-ogive factor loadings of the
   logistic slopes, rows inside the unit ball).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.io.responses import ResponseData
from measurand.latent.irt import (
    HeldoutScores,
    IRTFit,
    ItemFlags,
    binary_parallel_analysis,
    fit_map,
    fit_mml,
    heldout_scores,
    heldout_split,
    svd_start,
)
from measurand.latent.parallel import ParallelAnalysisResult
from measurand.latent.pool import ItemPool, item_pool
from measurand.stats._rng import keyed_generator, recorded_seed, root_sequence

__all__ = ["ESTIMATORS", "MODELS", "IRTResult", "IRTSettings", "run_irt"]

MODELS = ("1pl", "2pl", "3pl", "m2pl")
ESTIMATORS = ("auto", "mml", "map")
_MML_MIN_SUBJECTS = 200
_MML_MAX_ITEMS = 500
_MML_MAX_ITEMS_MULTI = 60
_MML_MAX_CELLS = 2_000_000
_LOGISTIC_TO_NORMAL = 1.702


@dataclasses.dataclass(frozen=True)
class IRTSettings(Result):
    model: str
    dims_requested: int | None
    n_dims: int
    estimator: str
    rotation: str | None
    guessing: str | float | None
    device: str
    heldout_fraction: float
    n_resamples: int
    seed: int | None
    slope_prior_sd: float | str | None = None


@dataclasses.dataclass(frozen=True)
class IRTResult(Result):
    """Everything ``measurand irt`` reports (``to_dict`` is ``results.json``)."""

    data: dict[str, Any]
    settings: IRTSettings
    subjects: tuple[str, ...]
    items: tuple[str, ...]
    fit: IRTFit
    flags: ItemFlags
    parallel_analysis: ParallelAnalysisResult | None
    heldout: HeldoutScores | None
    heldout_svd_floor: HeldoutScores | None
    item_pool: ItemPool | None
    warnings: tuple[str, ...]

    def item_rows(self) -> list[dict[str, Any]]:
        fit = self.fit
        rows = []
        for i, name in enumerate(self.items):
            rows.append(
                {
                    "item": name,
                    "a": fit.a[i].tolist(),
                    "se_a": fit.se_a[i].tolist(),
                    "d": float(fit.d[i]),
                    "se_d": float(fit.se_d[i]),
                    "c": float(fit.c[i]),
                    "discrimination": float(fit.discrimination[i]),
                    "difficulty": float(fit.difficulty[i]),
                    "flag": self.flags.reason.get(i),
                    "negative_slope_q": self.flags.q_values.get(i),
                    "negative_slope_p": self.flags.p_values.get(i),
                }
            )
        return rows

    def subject_rows(self) -> list[dict[str, Any]]:
        score, se = self.ability_score()
        order = np.argsort(-score, kind="stable")
        return [
            {
                "rank": rank + 1,
                "subject": self.subjects[s],
                "theta": self.fit.theta[s].tolist(),
                "se": self.fit.theta_se[s].tolist(),
                "score": float(score[s]),
                "score_se": float(se[s]),
            }
            for rank, s in enumerate(order)
        ]

    def ability_score(self) -> tuple[np.ndarray, np.ndarray]:
        """One ability per subject to rank by: θ in one dimension; in several, θ projected on
        the unit direction of the mean slope vector (SE from the per-dimension SEs, ignoring
        their correlation)."""
        fit = self.fit
        if fit.n_dims == 1:
            return fit.theta[:, 0], fit.theta_se[:, 0]
        w = fit.a.mean(axis=0)
        w = w / max(np.linalg.norm(w), 1e-12)
        return fit.theta @ w, np.sqrt((fit.theta_se**2) @ (w**2))

    def to_dict(self) -> dict[str, Any]:
        fit = self.fit
        return {
            "analysis": "irt",
            "data": self.data,
            "settings": self.settings.to_dict(),
            "fit": {
                "model": fit.model,
                "method": fit.method,
                "n_dims": fit.n_dims,
                "loglik": fit.loglik,
                "n_params": fit.n_params,
                "converged": fit.converged,
                "n_iter": fit.n_iter,
                "criterion": fit.criterion,
                "rotation": fit.rotation,
                "phi": None if fit.phi is None else fit.phi.tolist(),
                "details": fit.extra,
            },
            "parallel_analysis": None
            if self.parallel_analysis is None
            else self.parallel_analysis.to_dict(),
            "heldout": None if self.heldout is None else self.heldout.to_dict(),
            "heldout_svd_floor": None
            if self.heldout_svd_floor is None
            else self.heldout_svd_floor.to_dict(),
            "flags": [
                {"item": self.items[i], "reason": reason}
                for i, reason in sorted(self.flags.reason.items())
            ],
            "flag_rule": {
                "threshold": self.flags.threshold,
                "negative_slope_fdr": self.flags.fdr,
                "candidates_with_slope_below_threshold": len(self.flags.q_values)
                if self.flags.fdr is not None
                else len(self.flags.negative),
            },
            "items": self.item_rows(),
            "subjects": self.subject_rows(),
            "item_pool": None if self.item_pool is None else self.item_pool.metadata,
            "warnings": list(self.warnings),
        }


def _choose_estimator(estimator: str, model: str, n_dims: int, n: int, p: int) -> str:
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator takes {', '.join(ESTIMATORS)}; got {estimator!r}")
    if model in ("1pl", "3pl"):
        if estimator == "map":
            raise InputError(f"the MAP estimator fits the 2PL and M2PL only, not {model}")
        return "mml"
    if estimator != "auto":
        if estimator == "mml" and n_dims > 3:
            raise InputError(
                f"marginal ML integrates at most 3 dimensions; {n_dims} need --estimator map"
            )
        return estimator
    # Marginal ML needs many subjects (item parameters have no prior) and its observed
    # information costs ~2 E-steps per parameter on a grid that grows as 61, 31², 15³.
    enough_subjects = n >= _MML_MIN_SUBJECTS
    small = p <= (_MML_MAX_ITEMS if n_dims == 1 else _MML_MAX_ITEMS_MULTI)
    return "mml" if enough_subjects and small and n * p <= _MML_MAX_CELLS else "map"


def _fit(
    estimator: str,
    data_rows: np.ndarray,
    data_cols: np.ndarray,
    y: np.ndarray,
    shape: tuple[int, int],
    *,
    model: str,
    n_dims: int,
    guessing: str | float | None,
    rotation: str | None,
    device: str,
    seed_value: int,
    callback: Callable[[int, float], None] | None,
    slope_prior_sd: float | str = "auto",
) -> IRTFit:
    if estimator == "map":
        return fit_map(
            slope_prior_sd=slope_prior_sd,
            rows=data_rows,
            cols=data_cols,
            y=y,
            shape=shape,
            n_dims=n_dims,
            device=device,
            seed=seed_value,
            rotation=rotation,
            callback=None if callback is None else (lambda i, v, g: callback(i, v)),
        )
    Y = np.full(shape, np.nan)
    Y[data_rows, data_cols] = y
    fit = fit_mml(
        Y,
        model=model if n_dims == 1 or model == "m2pl" else "m2pl",
        n_dims=n_dims,
        guessing=guessing,
        callback=callback,
    )
    if n_dims > 1 and rotation is not None:
        from measurand.latent.rotation import rotate

        rotated = rotate(fit.a, rotation, seed=0)
        fit = dataclasses.replace(
            fit,
            a=rotated.loadings,
            theta=fit.theta @ np.linalg.inv(rotated.rotation_matrix).T,
            se_a=np.full_like(fit.a, np.nan),
            rotation=rotated.method,
            phi=rotated.phi,
            extra={
                **fit.extra,
                "se_note": "slope SEs are not reported after rotation (they belong to the "
                "lower-triangular identification); θ SDs are those before rotation",
            },
        )
    return fit


def run_irt(
    data: ResponseData,
    *,
    model: str = "2pl",
    dims: int | None = None,
    estimator: str = "auto",
    rotation: str | None = "varimax",
    guessing: str | float | None = None,
    device: str = "cpu",
    heldout: float = 0.1,
    n_resamples: int = 100,
    pool_tau: float | None = None,
    pool_size: int | None = None,
    seed: int | None = 0,
    progress: Callable[[str], None] | None = None,
    slope_prior_sd: float | str = "auto",
) -> IRTResult:
    """Fit ``model`` to ``data`` and check it; see the module notes for the steps.

    ``slope_prior_sd`` (MAP only): the joint fit's σ_a, or "auto" to choose it on validation
    cells (up to four fits: the cost to skip on very large data by giving a number)."""
    notify = progress or (lambda text: None)
    model = str(model).lower()
    if model not in MODELS:
        raise InputError(f"model takes {', '.join(MODELS)}; got {model!r}")
    if dims is not None and dims < 1:
        raise InputError(f"dims must be at least 1 (or auto), got {dims}")
    if dims is not None and dims > 1 and model != "m2pl":
        raise InputError(f"--model {model} is unidimensional; use --model m2pl for {dims} dims")
    if not 0.0 <= heldout < 0.5:
        raise InputError(f"heldout must lie in [0, 0.5), got {heldout}")
    if slope_prior_sd != "auto" and not float(slope_prior_sd) > 0:
        raise InputError(f"slope prior SD must be positive or 'auto', got {slope_prior_sd!r}")
    root = root_sequence(seed)
    n, p = data.n_subjects, data.n_items
    warnings: list[str] = []
    if data.excluded_items:
        warnings.append(
            f"{len(data.excluded_items)} item(s) excluded (constant or answered by one subject); "
            "listed under data.excluded_items"
        )

    notify("parallel analysis")
    pa: ParallelAnalysisResult | None = None
    if min(n, p) >= 3:
        pa = binary_parallel_analysis(
            data.dense(),
            n_resamples=n_resamples,
            seed=keyed_generator(root, "irt", "parallel analysis"),
        )
    if dims is None:
        n_dims = max(1, pa.k if pa is not None else 1) if model == "m2pl" else 1
    else:
        n_dims = int(dims)
    n_dims = min(n_dims, max(1, min(n, p) - 1))
    fit_model = model if n_dims > 1 or model != "m2pl" else "2pl"
    chosen = _choose_estimator(estimator, fit_model, n_dims, n, p)
    seed_value = int(keyed_generator(root, "irt", "fit").integers(2**31))

    def progress_of(stage: str) -> Callable[[int, float], None]:
        return lambda it, value: notify(f"{stage}: iteration {it}, objective {value:,.4f}")

    held_scores = floor_scores = None
    trained: IRTFit | None = None
    if heldout > 0:
        notify("held-out check")
        held = heldout_split(
            data.rows, data.cols, heldout, seed=keyed_generator(root, "irt", "heldout")
        )
        train = ~held
        trained = _fit(
            chosen, data.rows[train], data.cols[train], data.y[train], (n, p),
            model=fit_model, n_dims=n_dims, guessing=guessing, rotation=None, device=device,
            seed_value=seed_value, callback=progress_of("held-out fit"),
            slope_prior_sd=slope_prior_sd,
        )  # fmt: skip
        count = np.bincount(data.cols[train], minlength=p)
        base = np.bincount(data.cols[train], weights=data.y[train], minlength=p) / count
        rows_h, cols_h, y_h = data.rows[held], data.cols[held], data.y[held]
        prob = trained.probability()[rows_h, cols_h]
        held_scores = heldout_scores(y_h, prob, base[cols_h])
        try:
            floor = svd_start(
                rows=data.rows[train], cols=data.cols[train], y=data.y[train], shape=(n, p),
                n_dims=n_dims, seed=seed_value, device=device,
            )  # fmt: skip
        except InputError as exc:  # torch is an optional extra; the MML path does without it
            warnings.append(f"SVD floor not computed: {exc}")
        else:
            floor_scores = heldout_scores(y_h, floor.probability(rows_h, cols_h), base[cols_h])
        if not held_scores.beats_baseline:
            warnings.append(
                "the model does not beat the item-mean baseline on held-out cells (AUC "
                f"{held_scores.auc:.3f} vs {held_scores.baseline_auc:.3f}, log-loss "
                f"{held_scores.log_loss:.4f} vs {held_scores.baseline_log_loss:.4f})"
            )

    notify("fitting")
    # the slope prior chosen on validation cells inside the held-out fit serves the final fit
    prior = slope_prior_sd
    if prior == "auto" and trained is not None:
        prior = trained.extra.get("slope_prior_sd", "auto")
    fit = _fit(
        chosen, data.rows, data.cols, data.y, (n, p),
        model=fit_model, n_dims=n_dims, guessing=guessing, rotation=rotation, device=device,
        seed_value=seed_value, callback=progress_of("fit"), slope_prior_sd=prior,
    )  # fmt: skip
    if trained is not None and "slope_prior_selection" in trained.extra:
        fit.extra["slope_prior_selection"] = trained.extra["slope_prior_selection"]
    if not fit.converged:
        warnings.append(f"the fit did not meet its convergence criterion ({fit.criterion})")
    flags = fit.flags()
    if flags.reason:
        warnings.append(
            f"{len(flags.reason)} item(s) flagged (negative or near-zero slope): candidates for "
            "mislabeled or broken items"
        )

    pool = None
    if pool_tau is not None:
        scaled = fit.a / _LOGISTIC_TO_NORMAL
        loadings = scaled / np.sqrt(1.0 + (scaled**2).sum(axis=1, keepdims=True))
        pool = item_pool(
            loadings,
            tau=pool_tau,
            n_pool=pool_size,
            seed=keyed_generator(root, "irt", "item pool"),
            item_names=data.items,
            metadata={
                "made_by": "measurand irt",
                "loadings": "normal-ogive loadings of the slopes: (a/1.702)/sqrt(1+|a/1.702|^2)",
                "model": fit.model,
                "estimator": fit.method,
                "rotation": fit.rotation,
            },
        )
    settings = IRTSettings(
        model=fit_model,
        dims_requested=dims,
        n_dims=n_dims,
        estimator=chosen,
        rotation=fit.rotation,
        guessing=guessing if fit_model == "3pl" else None,
        device=device,
        heldout_fraction=float(heldout),
        n_resamples=int(n_resamples),
        seed=recorded_seed(seed),
        slope_prior_sd=slope_prior_sd if chosen == "map" else None,
    )
    return IRTResult(
        data=data.summary(),
        settings=settings,
        subjects=data.subjects,
        items=data.items,
        fit=fit,
        flags=flags,
        parallel_analysis=pa,
        heldout=held_scores,
        heldout_svd_floor=floor_scores,
        item_pool=pool,
        warnings=tuple(warnings),
    )
