"""``measurand factors``: what does a benchmark matrix measure?

:func:`run_factors` composes the pieces of :mod:`measurand.latent` on a matrix read by
:func:`measurand.io.matrix.read_matrix`:

1. missing cells: refused (``missing="error"``, the default, with the counts), listwise deletion
   (``"drop-rows"``) or column-mean imputation of the z-scores (``"mean"``: a missing cell
   becomes 0 = its column's mean; this shrinks correlations toward 0 and is named in the report);
   after either, the columns are z-scored again (ddof 0) on the rows analysed;
2. the correlation matrix is checked (duplicate columns are named);
3. Horn's parallel analysis (always run, for the scree) chooses k unless ``n_factors`` is given:
   the leading observed eigenvalues above the random ``quantile``, up to the first one that is not
   (``k_rule="quantile"``, psych's first-crossing rule; ``"first_crossing"`` is an alias), the
   same against the random mean (``"mean"``), or every eigenvalue above the random quantile
   wherever it sits (``"count"``: liberal, it finds factors in pure noise); k is kept within what
   the tasks can identify ((p − k)² ≥ p + k);
4. the k-factor model (``method``: ``"nonneg_em"`` — the non-negative model, the default —,
   ``"ml"`` or ``"minres"``, with ``rotation``) through :class:`measurand.latent.FactorAnalysis`;
5. the leaderboard (aggregate of the posterior-mean factor scores, task-bootstrap rank
   intervals) and the held-out validation correlations;
6. optionally the item pool of the tasks' loadings.

Everything random derives from ``seed``; the same inputs and seed give the same result.
"""

from __future__ import annotations

import dataclasses
import warnings as warnings_module
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.io.matrix import MatrixData, MissingReport
from measurand.latent._leaderboard import (
    HeldoutValidationResult,
    LeaderboardResult,
    canonical_row_order,
    heldout_validation,
    leaderboard,
)
from measurand.latent._ml import FIT_CUTOFF_SOURCES, fit_quality
from measurand.latent.identification import (
    clamp_suggested_k,
    k_rule_label,
    max_identified_factors,
)
from measurand.latent.pool import ItemPool, item_pool


def _factor_count(
    pa: Any,
    n_factors: Any,
    k_rule: str,
    *,
    k_max: int,
    n_rows: int | None,
    warnings: list[str],
    what: str = "tasks",
) -> tuple[int, str]:
    """The number of factors and how it was chosen: parallel analysis's ``k_rule`` when
    ``n_factors`` is None (clamped to what ``p`` identifies), else the given count, checked."""
    p = int(pa.n_vars)
    if n_factors is None:
        k = clamp_suggested_k(int(getattr(pa, _K_RULE_ATTRIBUTES[k_rule])), p, warnings)
        return k, k_rule_label(k_rule, pa.quantile)
    if isinstance(n_factors, bool) or not isinstance(n_factors, int | np.integer):
        raise InputError(f"n_factors must be a positive integer or 'auto', got {n_factors!r}")
    k = int(n_factors)
    if k < 1:
        raise InputError(f"n_factors must be at least 1, got {k}")
    if n_rows is not None and n_rows < k:
        raise InputError(f"{n_rows} rows are fewer than the {k} factors asked for")
    if k > k_max:
        raise InputError(
            f"{p} {what} identify at most {k_max} factor(s) ((p − k)² ≥ p + k); asked for {k}"
        )
    return k, "given"


__all__ = [
    "K_RULES",
    "K_RULE_ALIASES",
    "METHODS",
    "MISSING_POLICIES",
    "DataSummary",
    "FactorsResult",
    "FactorsSettings",
    "ModelSummary",
    "TaskLoading",
    "clamp_suggested_k",
    "k_rule_label",
    "max_identified_factors",
    "run_factors",
    "run_factors_from_correlation",
]

METHODS = ("nonneg_em", "ml", "minres")
MISSING_POLICIES = ("error", "drop-rows", "mean")
K_RULES = ("quantile", "mean", "count")
# Accepted for compatibility: the quantile rule is itself the first crossing of the quantile.
K_RULE_ALIASES = {"first_crossing": "quantile"}
# The ParallelAnalysisResult attribute holding each rule's k.
_K_RULE_ATTRIBUTES = {"quantile": "k", "mean": "k_mean", "count": "k_count"}
ORTHOGONAL = ("varimax", "quartimax")
_WIDE_P = 2000  # more tasks than this (and than rows): never form the p x p correlation matrix
_WIDE_EM_STEPS = 500


@dataclasses.dataclass(frozen=True)
class FactorsSettings(Result):
    n_factors: int | None
    k_rule: str
    method: str
    rotation: str | None
    missing: str
    weights: tuple[float, ...] | None
    fixed_psi: dict[str, float]
    h2_ceiling: dict[str, float]
    pa_iter: int
    pa_quantile: float
    pa_kind: str
    n_resamples: int
    confidence_level: float
    pool_tau: float | None
    pool_size: int | None
    seed: int


@dataclasses.dataclass(frozen=True)
class DataSummary(Result):
    source: str
    id_col: str
    n_rows: int
    n_rows_used: int
    tasks: tuple[str, ...]
    heldout: tuple[str, ...]
    directions: dict[str, int]
    dropped_constant: tuple[str, ...]
    missing: MissingReport
    missing_policy: str
    rows_dropped: tuple[str, ...]
    n_imputed: int
    notes: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class TaskLoading(Result):
    task: str
    loadings: tuple[float, ...]
    uniqueness: float
    communality: float
    dominant_factor: int  # 1-based


@dataclasses.dataclass(frozen=True)
class ModelSummary(Result):
    method: str
    rotation: str | None
    n_factors: int
    factors: tuple[str, ...]
    tasks: tuple[TaskLoading, ...]
    phi: np.ndarray
    fit_stats: dict[str, Any]
    n_iter: int | None
    converged: bool | None
    fit_quality: str | None = None  # "good", "mediocre", "poor" (latent._ml.fit_quality)
    fit_quality_reasons: tuple[str, ...] = ()

    @property
    def loadings(self) -> np.ndarray:
        return np.array([t.loadings for t in self.tasks])

    @property
    def communalities(self) -> np.ndarray:
        return np.array([t.communality for t in self.tasks])


@dataclasses.dataclass(frozen=True)
class FactorsResult(Result):
    """Everything ``measurand factors`` found; ``to_dict()`` is ``results.json``.

    ``scores`` (rows used x k, posterior means), ``row_names`` and ``heldout_values`` (the
    held-out metrics on the rows used) serve the report's figures and are not written to JSON
    (the leaderboard rows carry every row's scores).
    """

    settings: FactorsSettings
    data: DataSummary
    parallel_analysis: Any  # measurand.latent.ParallelAnalysisResult
    n_factors: int
    n_factors_rule: str
    model: ModelSummary
    leaderboard: LeaderboardResult
    heldout_validation: HeldoutValidationResult | None
    item_pool: ItemPool | None
    warnings: tuple[str, ...]
    _scores: np.ndarray = dataclasses.field(repr=False, default=None)
    _row_names: tuple[str, ...] = dataclasses.field(repr=False, default=())
    _heldout_values: dict[str, np.ndarray] = dataclasses.field(repr=False, default_factory=dict)

    @property
    def scores(self) -> np.ndarray:
        return self._scores

    @property
    def row_names(self) -> tuple[str, ...]:
        return self._row_names

    @property
    def heldout_values(self) -> dict[str, np.ndarray]:
        return self._heldout_values


def _apply_missing(matrix: MatrixData, policy: str) -> tuple[np.ndarray, np.ndarray, int]:
    z = matrix.Z
    missing = np.isnan(z)
    keep = np.ones(z.shape[0], dtype=bool)
    if not missing.any():
        return z, keep, 0
    if policy == "error":
        raise InputError(
            f"{describe_missing(matrix.missing)}; choose how to handle them: --missing drop-rows "
            "(listwise deletion) or --missing mean (column-mean imputation)",
            source=matrix.source,
        )
    if policy == "drop-rows":
        keep = ~missing.any(axis=1)
        return z[keep], keep, 0
    # Mean imputation of z-scores: the column mean is 0.
    return np.where(missing, 0.0, z), keep, int(missing.sum())


def _stream(seed: int, analysis: str) -> Any:
    """The random stream of one analysis of this verb: keyed by what it computes, never by a
    loop position (``measurand.stats._rng``): same seed + same analysis → same numbers."""
    from measurand.stats._rng import keyed_sequence, root_sequence

    return keyed_sequence(root_sequence(seed), "factors", analysis)


def describe_missing(report: MissingReport, *, shown: int = 5) -> str:
    """One short line about the missing cells: counts, then the columns with the most missing
    cells (at most ``shown`` named) and how many more there are — never every column of a wide
    matrix."""
    columns = sorted(
        ((c, n) for c, n in report.by_column.items() if n), key=lambda item: (-item[1], item[0])
    )
    named = ", ".join(f"{c!r}: {n}" for c, n in columns[:shown])
    more = f" and {len(columns) - shown} more column(s)" if len(columns) > shown else ""
    rows = ", ".join(repr(r) for r in report.row_examples[:3])
    return (
        f"{report.n_missing:,} missing cell(s) of {report.n_cells:,} in "
        f"{report.rows_with_missing:,} row(s) and {len(columns):,} column(s) (most: {named}"
        f"{more}){f'; rows such as {rows}' if rows else ''}"
    )


def _fixed_share(fixed: Mapping[str, float] | None, tasks: Sequence[str]) -> np.ndarray | None:
    if not fixed:
        return None
    unknown = [name for name in fixed if name not in tasks]
    if unknown:
        raise InputError(f"unknown task(s) {unknown}; tasks: {list(tasks)}")
    share = np.full(len(tasks), np.nan)
    for name, value in fixed.items():
        if not np.isfinite(value):
            raise InputError(f"the value for task {name!r} must be a number, got {value!r}")
        share[list(tasks).index(name)] = float(value)
    return share


def run_factors(
    matrix: MatrixData,
    *,
    n_factors: int | str | None = None,
    k_rule: str = "quantile",
    method: str = "nonneg_em",
    rotation: str | None = "auto",
    missing: str = "error",
    weights: Sequence[float] | None = None,
    fixed_psi: Mapping[str, float] | None = None,
    h2_ceiling: Mapping[str, float] | None = None,
    pa_iter: int = 500,
    pa_quantile: float = 0.95,
    pa_kind: str = "pca",
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    pool_tau: float | None = None,
    pool_size: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> FactorsResult:
    """Run the factors analysis on a matrix (see the module notes for each step).

    Parameters
    ----------
    matrix:
        From :func:`measurand.io.matrix.read_matrix` (z-scored, higher = better).
    n_factors:
        k, or None / ``"auto"`` for parallel analysis with ``k_rule``.
    k_rule:
        ``"quantile"`` (first crossing of the random ``pa_quantile``; alias
        ``"first_crossing"``), ``"mean"`` (first crossing of the random mean) or ``"count"``
        (every eigenvalue above the random quantile; liberal). ``settings.k_rule`` records
        the rule an alias names.
    method, rotation:
        The factor model. ``rotation="auto"`` means none for ``nonneg_em`` (its loadings are
        already non-negative and need none) and ``"oblimin"`` for ``ml``/``minres`` (psych's
        default); None means unrotated.
    missing:
        ``"error"``, ``"drop-rows"`` or ``"mean"``.
    weights:
        Factor weights of the aggregate (default: equal).
    fixed_psi:
        Task -> noise share to hold its uniqueness at (e.g. 1 − the h² ceiling measured from
        repeated seeds); clipped to [1e-3, 0.999].
    h2_ceiling:
        Task -> the largest communality its noise allows, 1 − Var(noise) / Var(sweep) (from
        ``measurand noise`` or repeated seeds); shown against h² in the report.
    pa_iter, pa_quantile, pa_kind:
        Parallel analysis: random draws, quantile, ``"pca"`` or ``"fa"`` eigenvalues.
    n_resamples, confidence_level:
        Task-bootstrap resamples for the rank intervals and the level of every interval.
    pool_tau, pool_size:
        Build an item pool of the tasks when ``pool_tau`` is given (see ``item_pool``).
    seed:
        Seed of parallel analysis, the bootstrap and the pool subsample.
    progress:
        Called with a short message before each step.
    """
    from measurand.latent._corr import (
        check_correlation,
        check_duplicate_columns,
        check_no_overflow,
        correlation_matrix,
    )
    from measurand.latent.efa import FactorAnalysis
    from measurand.latent.parallel import parallel_analysis

    notify = progress or (lambda _message: None)
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if missing not in MISSING_POLICIES:
        raise InputError(f"missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
    k_rule = K_RULE_ALIASES.get(k_rule, k_rule)
    if k_rule not in K_RULES:
        raise InputError(f"k_rule must be one of {', '.join(K_RULES)}, got {k_rule!r}")
    if rotation == "auto":
        rotation = None if method == "nonneg_em" else "oblimin"
    if rotation is not None and method == "nonneg_em":
        raise InputError(
            "the non-negative model is not rotated (a rotation would break Λ ≥ 0); "
            "use --rotation none, or --method ml/minres to rotate"
        )
    if isinstance(n_factors, str):
        if n_factors != "auto":
            raise InputError(f"n_factors must be a positive integer or 'auto', got {n_factors!r}")
        n_factors = None
    tasks = list(matrix.columns)
    warnings: list[str] = []
    raw = getattr(matrix, "raw", None)
    if raw is not None:
        try:
            check_no_overflow(raw, tasks, what=matrix.source)
        except InputError as exc:
            raise InputError(str(exc).split(": ", 1)[1], source=matrix.source) from None

    z, keep, n_imputed = _apply_missing(matrix, missing)
    row_names = tuple(name for name, k in zip(matrix.row_names, keep, strict=True) if k)
    dropped_rows = tuple(name for name, k in zip(matrix.row_names, keep, strict=True) if not k)
    if dropped_rows:
        warnings.append(
            f"{len(dropped_rows)} of {len(keep)} rows with missing cells were dropped (listwise)"
        )
    if n_imputed:
        warnings.append(
            f"{n_imputed} missing cell(s) were imputed by their column mean (z = 0), which "
            "shrinks correlations toward 0"
        )
    n, p = z.shape
    if dropped_rows or n_imputed:
        # z-scores again on the rows analysed, so that every fit below sees unit variances.
        sd = z.std(axis=0)
        z = (z - z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if n < 3:
        raise InputError(f"only {n} row(s) left to analyse; factor analysis needs more rows")
    if p < 2:
        raise InputError(f"only {p} task column(s) ({', '.join(tasks)}); need at least 2")
    wide = p > _WIDE_P and p >= n
    if wide and method != "nonneg_em":
        raise InputError(
            f"{p} tasks and {n} rows: method {method!r} needs the p x p correlation matrix, which "
            "is singular with more tasks than rows (and would take "
            f"{8 * p * p / 2**30:.1f} GiB); use --method nonneg_em, which works on the data"
        )
    if wide:
        check_duplicate_columns(z, tasks)  # the rule of check_correlation, without p x p
    else:
        check_correlation(correlation_matrix(z)[0], tasks)
    share = _fixed_share(fixed_psi, tasks)
    ceiling = _fixed_share(h2_ceiling, tasks)  # same checks: known tasks, numbers
    k_max = max_identified_factors(p)
    if k_max < 1:
        raise InputError(f"{p} tasks cannot identify even one factor ((p − 1)² < p + 1)")

    notify("parallel analysis")
    pa = parallel_analysis(
        z,
        n_resamples=pa_iter,
        quantile=pa_quantile,
        kind=pa_kind,
        seed=_stream(seed, "parallel_analysis"),
    )
    k, rule = _factor_count(pa, n_factors, k_rule, k_max=k_max, n_rows=n, warnings=warnings)
    if rotation is not None and k == 1:
        rotation = None  # nothing to rotate

    notify(f"fitting the {k}-factor model ({method})")
    # Fitted once, on the leaderboard's canonical row order, and handed on to the leaderboard.
    canonical = canonical_row_order(z)
    max_iter = None
    if wide and method == "nonneg_em":
        max_iter = _WIDE_EM_STEPS
        warnings.append(
            f"{p} tasks and {n} rows: with more tasks than rows the sample covariance is "
            "singular and the factor model's likelihood has no interior maximum (the loadings "
            f"keep growing); the fit stops after {_WIDE_EM_STEPS} EM steps. Read the loadings' "
            "size with care; the order of the rows is stable (aggregate correlation > 0.99 "
            "between 100 and 800 steps on a simulated 50 x 13,500 matrix). The leaderboard's "
            "task bootstrap scores each resample with these loadings (no refits)"
        )
    with warnings_module.catch_warnings(record=True) as caught:
        warnings_module.simplefilter("always")
        model = FactorAnalysis(
            k,
            method=method,
            rotation=rotation,
            fixed_uniquenesses=share,
            seed=_stream(seed, "model"),
            max_iter=max_iter,
        ).fit(z[canonical], column_names=tasks)
    warnings.extend(dict.fromkeys(str(w.message) for w in caught))
    summary, lam = _model_summary(
        model, method=method, rotation=rotation, tasks=tasks, warnings=warnings,
        rejected="the loadings and scores describe a model the data reject; try more factors "
        "or another method.",
    )  # fmt: skip
    factor_names = summary.factors
    if summary.converged is False and max_iter is None:
        warnings.append(f"the {method} fit did not converge; read the loadings with care")
    heywood = [t.task for t in summary.tasks if t.uniqueness < 0.005]
    if heywood:
        warnings.append(
            f"near-zero uniqueness (Heywood case) for {', '.join(heywood)}: the model explains "
            "these tasks entirely; too many factors, or tasks that duplicate each other"
        )

    notify(f"leaderboard ({n_resamples:,} task resamples)")
    board = leaderboard(
        z,
        names=row_names,
        n_factors=k,
        method=method,
        rotation=rotation,
        weights=weights,
        fixed_psi=share,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        seed=_stream(seed, "leaderboard"),
        fit=model,
    )
    theta = np.empty((n, k))
    theta[board.order] = np.array([row.theta for row in board.rows])

    heldout_values = {name: values[keep] for name, values in matrix.heldout.items()}
    validation = None
    if heldout_values:
        notify("held-out validation")
        validation = heldout_validation(
            theta,
            heldout_values,
            weights=board.weights,
            score_names=factor_names,
            confidence_level=confidence_level,
        )

    pool = None
    if pool_tau is not None:
        pool = item_pool(
            lam,
            tau=pool_tau,
            n_pool=pool_size,
            seed=_stream(seed, "item_pool"),
            item_names=tasks,
            metadata={
                "source": matrix.source,
                "method": method,
                "rotation": rotation,
                "n_factors": k,
                "n_rows": n,
                "seed": int(seed),
                "seed_stream": "factors/item_pool",
            },
        )

    settings = FactorsSettings(
        n_factors=None if rule != "given" else k,
        k_rule=k_rule,
        method=method,
        rotation=rotation,
        missing=missing,
        weights=None if weights is None else tuple(float(w) for w in weights),
        fixed_psi={} if not fixed_psi else {str(t): float(v) for t, v in fixed_psi.items()},
        h2_ceiling={}
        if ceiling is None
        else {t: float(c) for t, c in zip(tasks, ceiling, strict=True) if np.isfinite(c)},
        pa_iter=int(pa_iter),
        pa_quantile=float(pa_quantile),
        pa_kind=pa_kind,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        pool_tau=pool_tau,
        pool_size=pool_size,
        seed=int(seed),
    )
    data = DataSummary(
        source=matrix.source,
        id_col=matrix.id_col,
        n_rows=len(matrix.row_names),
        n_rows_used=n,
        tasks=tuple(tasks),
        heldout=tuple(matrix.heldout),
        directions=dict(matrix.directions),
        dropped_constant=matrix.dropped_constant,
        missing=matrix.missing,
        missing_policy=missing,
        rows_dropped=dropped_rows,
        n_imputed=n_imputed,
        notes=matrix.notes,
    )
    return FactorsResult(
        settings=settings,
        data=data,
        parallel_analysis=pa,
        n_factors=k,
        n_factors_rule=rule,
        model=summary,
        leaderboard=board,
        heldout_validation=validation,
        item_pool=pool,
        warnings=tuple(warnings),
        _scores=theta,
        _row_names=row_names,
        _heldout_values=heldout_values,
    )


def _model_summary(
    model: Any, *, method: str, rotation: str | None, tasks: Sequence[str],
    warnings: list[str], rejected: str,
) -> tuple[ModelSummary, np.ndarray]:  # fmt: skip
    """The fitted model's loadings as a :class:`ModelSummary` (with its fit quality; a poor or
    mediocre fit adds a warning ending in ``rejected``) and the loading matrix."""
    from measurand.latent.scores import communality

    lam = np.asarray(model.loadings_, dtype=np.float64)
    psi = np.asarray(model.uniquenesses_, dtype=np.float64)
    k = lam.shape[1]
    phi_attr = getattr(model, "phi_", None)
    phi = np.eye(k) if phi_attr is None else np.asarray(phi_attr, dtype=np.float64)
    # h² = c / (c + ψ), c = diag(ΛΦΛᵀ): the model's share of each task's variance. It equals
    # Σλ² when the fit reproduces unit variances (ML, minres, free ψ) but not with a fixed ψ.
    h2 = communality(lam, psi, phi)
    fit_stats = dict(getattr(model, "fit_stats_", {}) or {})
    quality, reasons = fit_quality(fit_stats)
    if quality in ("poor", "mediocre"):
        warnings.append(
            f"the {k}-factor model fits {quality}ly ({'; '.join(reasons)}): {rejected} "
            f"Cut-offs: {FIT_CUTOFF_SOURCES}"
        )
    summary = ModelSummary(
        method=method,
        rotation=rotation,
        n_factors=k,
        factors=tuple(f"factor {j + 1}" for j in range(k)),
        tasks=tuple(
            TaskLoading(
                task=task,
                loadings=tuple(float(v) for v in lam[j]),
                uniqueness=float(psi[j]),
                communality=float(h2[j]),
                dominant_factor=int(np.argmax(np.abs(lam[j]))) + 1,
            )
            for j, task in enumerate(tasks)
        ),
        phi=phi,
        fit_stats=fit_stats,
        n_iter=_maybe_int(getattr(model, "n_iter_", None)),
        converged=_maybe_bool(getattr(model, "converged_", None)),
        fit_quality=quality,
        fit_quality_reasons=reasons,
    )
    return summary, lam


def _maybe_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _maybe_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def run_factors_from_correlation(
    correlation: Any,
    *,
    n_obs: int,
    n_factors: int | str | None = None,
    k_rule: str = "quantile",
    method: str = "ml",
    rotation: str | None = "auto",
    pa_iter: int = 500,
    pa_quantile: float = 0.95,
    pa_kind: str = "pca",
    pool_tau: float | None = None,
    pool_size: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> FactorsResult:
    """The factors analysis of a published correlation matrix of ``n_obs`` observations.

    ``correlation`` is a :class:`measurand.io.correlation.CorrelationInput`. Parallel analysis
    draws n_obs x p random data sets; the model is fitted to the matrix
    (:meth:`measurand.latent.FactorAnalysis.fit` with ``n_obs``) and its fit statistics use
    ``n_obs``. Without rows there are no scores: the leaderboard is empty and nothing is held
    out. The default method is ``ml`` (the fit statistics of a published matrix are the point).
    """
    from measurand.latent.efa import FactorAnalysis
    from measurand.latent.parallel import parallel_analysis

    notify = progress or (lambda _message: None)
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    k_rule = K_RULE_ALIASES.get(k_rule, k_rule)
    if k_rule not in K_RULES:
        raise InputError(f"k_rule must be one of {', '.join(K_RULES)}, got {k_rule!r}")
    if rotation == "auto":
        rotation = None if method == "nonneg_em" else "oblimin"
    if isinstance(n_factors, str):
        if n_factors != "auto":
            raise InputError(f"n_factors must be a positive integer or 'auto', got {n_factors!r}")
        n_factors = None
    R = np.asarray(correlation.correlation, dtype=np.float64)
    tasks = list(correlation.names)
    p = len(tasks)
    warnings: list[str] = []
    k_max = max_identified_factors(p)
    if k_max < 1:
        raise InputError(f"{p} variables cannot identify even one factor ((p − 1)² < p + 1)")
    notify("parallel analysis")
    pa = parallel_analysis(
        R,
        n_obs=n_obs,
        n_resamples=pa_iter,
        quantile=pa_quantile,
        kind=pa_kind,
        seed=_stream(seed, "parallel_analysis"),
    )
    k, rule = _factor_count(
        pa, n_factors, k_rule, k_max=k_max, n_rows=None, warnings=warnings, what="variables"
    )
    if rotation is not None and k == 1:
        rotation = None
    notify(f"fitting the {k}-factor model ({method})")
    with warnings_module.catch_warnings(record=True) as caught:
        warnings_module.simplefilter("always")
        model = FactorAnalysis(
            k, method=method, rotation=rotation, seed=_stream(seed, "model")
        ).fit(R, column_names=tasks, n_obs=n_obs)
    warnings.extend(dict.fromkeys(str(w.message) for w in caught))
    summary, lam = _model_summary(
        model, method=method, rotation=rotation, tasks=tasks, warnings=warnings,
        rejected="the loadings describe a model the data reject.",
    )  # fmt: skip
    board = LeaderboardResult(
        rows=(),
        order=np.zeros(0, dtype=np.int64),
        weights=np.full(k, 1.0 / k),
        method=method,
        n_factors=k,
        rotation=rotation,
        n_resamples=0,
        n_valid=0,
        confidence_level=0.95,
        n_tasks=p,
        mean_distinct_tasks=float("nan"),
        refit=False,
    )
    pool = None
    if pool_tau is not None:
        pool = item_pool(
            lam,
            tau=pool_tau,
            n_pool=pool_size,
            seed=_stream(seed, "item_pool"),
            item_names=tasks,
            metadata={
                "source": correlation.source,
                "method": method,
                "rotation": rotation,
                "n_factors": k,
                "n_rows": int(n_obs),
                "seed": int(seed),
                "seed_stream": "factors/item_pool",
            },
        )
    settings = FactorsSettings(
        n_factors=None if rule != "given" else k,
        k_rule=k_rule,
        method=method,
        rotation=rotation,
        missing="error",
        weights=None,
        fixed_psi={},
        h2_ceiling={},
        pa_iter=int(pa_iter),
        pa_quantile=float(pa_quantile),
        pa_kind=pa_kind,
        n_resamples=0,
        confidence_level=0.95,
        pool_tau=pool_tau,
        pool_size=pool_size,
        seed=int(seed),
    )
    data = DataSummary(
        source=correlation.source,
        id_col="",
        n_rows=int(n_obs),
        n_rows_used=int(n_obs),
        tasks=tuple(tasks),
        heldout=(),
        directions=dict.fromkeys(tasks, 1),
        dropped_constant=(),
        missing=MissingReport(
            n_missing=0,
            n_cells=p * p,
            by_column={},
            rows_with_missing=0,
            row_examples=(),
            heldout_by_column={},
        ),
        missing_policy="error",
        rows_dropped=(),
        n_imputed=0,
        notes=(f"a {p} x {p} correlation matrix of n = {n_obs} observations (no rows: no scores)",),
    )
    return FactorsResult(
        settings=settings,
        data=data,
        parallel_analysis=pa,
        n_factors=k,
        n_factors_rule=rule,
        model=summary,
        leaderboard=board,
        heldout_validation=None,
        item_pool=pool,
        warnings=tuple(warnings),
        _scores=np.zeros((0, k)),
        _row_names=(),
        _heldout_values={},
    )
