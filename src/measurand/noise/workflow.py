"""``measurand noise``: how much of a benchmark's spread is noise?

:func:`run_noise` takes a sweep matrix (runs x metrics) and a noise matrix (reruns of one
configuration x the same metrics), and/or a long table with seeds, and runs:

1. **Per task** (:func:`~measurand.noise.floors.noise_floors`): noise share s²_noise/s²_sweep
   (ddof 1) with its exact F interval, the h² ceiling clip(1 − share, 0, 1) and the SNR
   1/share − 1. Metrics present in only one of the two matrices are listed, never silently used.
2. **Noise-anchored factor model**: the non-negative k-factor model
   (:func:`measurand.latent._nonneg_em.fit_nonneg_em`) on the z-scored sweep (ddof 0), with
   ψ_j fixed at clip(noise share_j, 1e-3, 0.999) and free for tasks without a noise
   measurement (``missing="zero"``); k from Horn's parallel analysis unless given. The fitted
   h² = Σλ²/(Σλ² + ψ) is compared with the ceiling (h² above it: overfit, or a noise estimate
   too low).
3. **SNR per factor and for the mean-θ aggregate**
   (:func:`~measurand.noise.snr.projection_snr`): the noise rows, z-scored with the sweep's
   mean and sd, are projected through the posterior map. Tasks missing from the noise matrix
   are either dropped (``missing="drop"``: they leave the model and the projection) or
   zero-filled (``missing="zero"``: they add no noise, so the factor noise is a lower bound and
   the SNR an upper bound, when their noise is independent of the measured tasks').
4. **Benchmark level** (Heineman et al. 2025): relative dispersion / relative noise per task;
   with a ``target`` matrix (the same runs at a larger scale, rows matched by id), the decision
   accuracy per task and for the mean-z aggregate.
5. **Seeds** (:func:`~measurand.noise.seeds.seed_split`): for a long table with several seeds per
   condition and task, per task seed noise against the spread across conditions, ranked.

Everything random (parallel analysis, the SNR intervals' parametric bootstrap) derives from
``seed``: the same inputs and seed give the same result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from measurand._compat import renamed_kwargs
from measurand._result import Result
from measurand.errors import InputError
from measurand.io.noise_inputs import RunMatrix, as_run_matrix, read_noise_inputs
from measurand.noise.floors import (
    NoiseFloors,
    _check_alpha,
    _check_snr_threshold,
    accepts_alpha,
    confidence_to_alpha,
    noise_floors,
)
from measurand.noise.seeds import SeedSplit, seed_split
from measurand.noise.snr import (
    BenchmarkSNR,
    DecisionAccuracy,
    ProjectionSNR,
    benchmark_snr,
    decision_accuracy,
    projection_snr,
)

__all__ = [
    "MISSING_CHOICES",
    "MatrixNoise",
    "NoiseModel",
    "NoiseResult",
    "NoiseSettings",
    "RunMatrix",
    "TaskNoise",
    "as_run_matrix",
    "read_noise_inputs",
    "run_noise",
]

MISSING_CHOICES = ("drop", "zero")
PSI_BOUNDS = (1e-3, 0.999)
_ABOVE_TOL = 1e-9
_WIDE_P = 2000  # more tasks than this and than rows: a bounded EM (see _matrix_noise)
_WIDE_EM_STEPS = 500


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class NoiseSettings(Result):
    n_factors: int | None
    missing: str
    snr_threshold: float
    alpha: float
    pa_iter: int
    n_draws: int
    seed: int | None
    window: str | None
    metric: str | None


@dataclasses.dataclass(frozen=True)
class NoiseModel(Result):
    """The noise-anchored non-negative factor model.

    ``fixed`` marks tasks whose ψ was fixed at their clipped noise share; ``ceiling`` is NaN for
    the others. ``above_ceiling``: h² > ceiling; ``above_ceiling_ci``: h² above even the upper
    end of the ceiling's interval.
    """

    tasks: tuple[str, ...]
    n_factors: int
    n_factors_rule: str
    parallel_k: int | None
    loadings: np.ndarray
    uniquenesses: np.ndarray
    fixed: np.ndarray
    h2: np.ndarray
    ceiling: np.ndarray
    ceiling_high: np.ndarray
    above_ceiling: np.ndarray
    above_ceiling_ci: np.ndarray
    converged: bool
    n_iter: int
    loglik: float
    n_rows: int


@dataclasses.dataclass(frozen=True)
class TaskNoise(Result):
    """One row of the ranked per-task table."""

    rank: int | None
    task: str
    in_noise: bool
    in_model: bool
    noise_share: float | None
    noise_share_ci: tuple[float, float] | None
    ceiling: float | None
    ceiling_ci: tuple[float, float] | None
    snr: float | None
    snr_ci: tuple[float, float] | None
    h2: float | None
    above_ceiling: bool | None
    benchmark_snr: float | None
    decision_accuracy: float | None
    low_snr: bool | None


@dataclasses.dataclass(frozen=True)
class MatrixNoise(Result):
    """The sweep-vs-noise analyses (sections 1-4 of the module notes)."""

    sweep_source: str
    noise_source: str
    target_source: str | None
    n_sweep_runs: int
    n_noise_runs: int
    tasks: tuple[str, ...]
    common_tasks: tuple[str, ...]
    missing_from_noise: tuple[str, ...]
    only_in_noise: tuple[str, ...]
    zero_noise_tasks: tuple[str, ...]
    missing: str
    missing_consequence: str
    floors: NoiseFloors
    model: NoiseModel
    projection: ProjectionSNR
    benchmark: BenchmarkSNR
    decision: DecisionAccuracy | None
    decision_aggregate: float | None
    n_target_matched: int
    task_table: tuple[TaskNoise, ...]
    low_snr_tasks: tuple[str, ...]
    low_snr_factors: tuple[str, ...]
    snr_threshold: float


@dataclasses.dataclass(frozen=True)
class NoiseResult(Result):
    """Everything ``measurand noise`` found; ``to_dict()`` is ``results.json``."""

    settings: NoiseSettings
    matrix: MatrixNoise | None
    seeds: SeedSplit | None
    warnings: tuple[str, ...]


# ----------------------------------------------------------------------------------------------
# The workflow
# ----------------------------------------------------------------------------------------------
def _listing(names: Sequence[str], limit: int = 10) -> str:
    """The first ``limit`` names, comma-separated, with ", ..." when there are more."""
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _check_directions(sweep: RunMatrix, other: RunMatrix, common: Sequence[str], what: str) -> None:
    bad = [c for c in common if sweep.directions.get(c, 1) != other.directions.get(c, 1)]
    if bad:
        listing = ", ".join(
            f"{c} (sweep {'lower' if sweep.directions.get(c, 1) < 0 else 'higher'} is better, "
            f"{what} {'lower' if other.directions.get(c, 1) < 0 else 'higher'} is better)"
            for c in bad[:10]
        )
        raise InputError(
            f"metric directions differ between the sweep and the {what} matrix: {listing}; read "
            "both with the same --lower-is-better rules"
        )


def _sign_flip_warnings(sweep: np.ndarray, noise: np.ndarray, tasks: Sequence[str]) -> list[str]:
    """Tasks whose noise runs sit outside the sweep's range while their negation sits inside."""
    with np.errstate(invalid="ignore"):
        low, high = np.nanmin(sweep, axis=0), np.nanmax(sweep, axis=0)
        centre = np.nanmean(noise, axis=0)
    outside = (centre < low) | (centre > high)
    mirrored = (-centre >= low) & (-centre <= high)
    flagged = [tasks[j] for j in np.nonzero(outside & mirrored)[0]]
    if not flagged:
        return []
    return [
        f"the noise runs of {_listing(flagged)} lie outside the sweep's range but their "
        "negation lies inside it: check that both files orient these metrics the same way "
        "(lower-is-better rules)"
    ]


def _consequence(missing: str, dropped: Sequence[str]) -> str:
    if not dropped:
        return "Every sweep task has a noise measurement; nothing was dropped or zero-filled."
    names = _listing(dropped)
    if missing == "drop":
        return (
            f"{len(dropped)} task(s) missing from the noise matrix ({names}) were dropped: the "
            "factor model, the h² comparison and the factor SNRs use only the tasks with a noise "
            "measurement."
        )
    return (
        f"{len(dropped)} task(s) missing from the noise matrix ({names}) stay in the factor model "
        "with a free uniqueness, and their noise was zero-filled in the projection: they add no "
        "noise, so the factor noise is a lower bound and the factor SNRs are upper bounds "
        "(exact bounds when their noise is independent of the measured tasks' noise)."
    )


def _float_or_none(value: float) -> float | None:
    return None if not np.isfinite(value) and not np.isinf(value) else float(value)


def _stream(seed: Any, analysis: str) -> Any:
    """The random stream of one analysis, keyed by what it computes (``measurand.stats._rng``)."""
    from measurand.stats._rng import keyed_sequence, root_sequence

    return keyed_sequence(root_sequence(seed), "noise", analysis)


def _choose_k(
    z: np.ndarray,
    n_factors: int | None,
    pa_iter: int,
    seed: Any,
    warnings: list[str],
) -> tuple[int, str, int | None]:
    from measurand.latent.identification import (
        clamp_suggested_k,
        k_rule_label,
        max_identified_factors,
    )

    n, p = z.shape
    if n_factors is not None:
        if isinstance(n_factors, bool) or not isinstance(n_factors, int | np.integer):
            raise InputError(f"n_factors must be a positive integer, got {n_factors!r}")
        k = int(n_factors)
        if k < 1:
            raise InputError(f"n_factors must be at least 1, got {k}")
        if k >= p:
            raise InputError(f"{k} factor(s) need more than {k} tasks in the model; it has {p}")
        if k > n:
            raise InputError(f"{n} complete sweep rows are fewer than the {k} factors asked for")
        if k > max_identified_factors(p):
            warnings.append(
                f"{k} factors on {p} tasks leave a free model under-identified ((p − k)² < p + "
                "k); the fixed uniquenesses help, but check the loadings"
            )
        return k, "given", None
    from measurand.latent.parallel import parallel_analysis

    pa = parallel_analysis(
        z, n_resamples=pa_iter, quantile=0.95, seed=_stream(seed, "parallel_analysis")
    )
    k = clamp_suggested_k(int(pa.k), p, warnings)
    return k, k_rule_label("quantile", pa.quantile), int(pa.k)


def _matrix_noise(
    sweep_in: Any,
    noise_in: Any,
    target_in: Any,
    *,
    n_factors: int | None,
    missing: str,
    snr_threshold: float,
    alpha: float,
    pa_iter: int,
    n_draws: int,
    seed: Any,
    warnings: list[str],
    notify: Callable[[str], None],
) -> MatrixNoise:
    from measurand.latent._corr import check_no_overflow

    sweep = as_run_matrix(sweep_in, name="sweep")
    noise = as_run_matrix(noise_in, name="noise")
    for matrix in (sweep, noise):
        try:
            check_no_overflow(matrix.values, matrix.columns, what=matrix.source)
        except InputError as exc:
            raise InputError(str(exc).split(": ", 1)[1], source=matrix.source) from None
    if sweep.dropped_constant:
        raise InputError(
            f"metric(s) constant in the sweep: {', '.join(sweep.dropped_constant)}; their noise "
            "share is undefined (a variance ratio over zero): exclude them (--exclude)",
            source=sweep.source,
        )
    warnings.extend(f"sweep: {note}" for note in sweep.notes if "constant" not in note)
    warnings.extend(f"noise: {note}" for note in noise.notes)
    if noise.values.shape[0] < 2:
        raise InputError(
            f"the noise matrix has {noise.values.shape[0]} row(s); a noise variance needs at "
            "least 2 reruns of the same configuration",
            source=noise.source,
        )
    sweep_pos = {c: j for j, c in enumerate(sweep.columns)}
    noise_pos = {c: j for j, c in enumerate(noise.columns)}
    common = [c for c in sweep.columns if c in noise_pos]
    missing_from_noise = [c for c in sweep.columns if c not in noise_pos]
    only_in_noise = [c for c in noise.columns if c not in sweep_pos]
    if not common:
        raise InputError(
            f"the sweep and noise matrices share no metric; sweep: {_listing(sweep.columns, 8)}; "
            f"noise: {_listing(noise.columns, 8)}"
        )
    _check_directions(sweep, noise, common, "noise")
    if missing_from_noise:
        warnings.append(
            f"{len(missing_from_noise)} sweep metric(s) missing from the noise matrix "
            f"({_listing(missing_from_noise)}): "
            f"{'dropped' if missing == 'drop' else 'zero-filled (a lower bound on noise)'}"
        )
    if only_in_noise:
        warnings.append(
            f"{len(only_in_noise)} noise metric(s) not in the sweep, ignored: "
            f"{_listing(only_in_noise)}"
        )

    s_idx = [sweep_pos[c] for c in common]
    n_idx = [noise_pos[c] for c in common]
    sweep_common = sweep.values[:, s_idx]
    noise_common = noise.values[:, n_idx]
    notify("noise floors")
    floors = noise_floors(sweep_common, noise_common, tasks=common, confidence_level=1 - alpha)
    warnings.extend(_sign_flip_warnings(sweep_common, noise_common, common))
    zero_noise = tuple(c for c, v in zip(common, floors.var_noise, strict=True) if v == 0)

    # The factor model.
    model_tasks = list(common) if missing == "drop" else list(sweep.columns)
    m_idx = [sweep_pos[c] for c in model_tasks]
    values = sweep.values[:, m_idx]
    complete = np.all(np.isfinite(values), axis=1)
    if not complete.all():
        warnings.append(
            f"{int((~complete).sum())} sweep row(s) with missing cells were left out of the factor "
            "model (the per-task noise shares use every present value)"
        )
    x = values[complete]
    if x.shape[0] < 3:
        raise InputError(f"only {x.shape[0]} complete sweep row(s) for the factor model")
    if len(model_tasks) < 2:
        raise InputError(
            f"the factor model needs at least 2 tasks; {len(model_tasks)} left "
            f"({', '.join(model_tasks)})"
        )
    mean, sd = x.mean(axis=0), x.std(axis=0)
    if np.any(~(sd > 0)):
        bad = [t for t, s in zip(model_tasks, sd, strict=True) if not s > 0]
        raise InputError(f"metric(s) constant over the complete sweep rows: {', '.join(bad)}")
    z = (x - mean) / sd
    floor_pos = {t: j for j, t in enumerate(common)}
    anchored = np.array([t in floor_pos for t in model_tasks])

    def on_model_tasks(values: np.ndarray) -> np.ndarray:
        """A per-task floor quantity on the model's tasks (NaN where not measured)."""
        return np.array([values[floor_pos[t]] if t in floor_pos else np.nan for t in model_tasks])

    fixed_psi = on_model_tasks(floors.noise_share)
    k, rule, parallel_k = _choose_k(z, n_factors, pa_iter, seed, warnings)
    notify(f"fitting the noise-anchored {k}-factor model")
    from measurand.latent._nonneg_em import fit_nonneg_em

    n_rows, n_tasks = z.shape
    wide = n_tasks > _WIDE_P and n_tasks >= n_rows
    if wide:
        warnings.append(
            f"{n_tasks} tasks and {n_rows} complete sweep rows: with more tasks than rows the "
            "sample covariance is singular and the factor model's likelihood has no interior "
            f"maximum; the fit stops after {_WIDE_EM_STEPS} EM steps (read loading sizes with "
            "care)"
        )
    fit = fit_nonneg_em(
        z,
        k,
        fixed_psi=fixed_psi,
        seed=_stream(seed, "model"),
        max_iter=_WIDE_EM_STEPS if wide else 5000,
    )
    if not fit.converged and not wide:
        warnings.append(f"the factor model did not converge in {fit.n_iter} EM steps")
    common_var = np.sum(fit.loadings**2, axis=1)
    h2 = common_var / (common_var + fit.uniquenesses)
    ceiling = on_model_tasks(floors.ceiling)
    ceiling_high = on_model_tasks(floors.ceiling_high)
    with np.errstate(invalid="ignore"):
        above = anchored & (h2 > ceiling + _ABOVE_TOL)
        above_ci = anchored & (h2 > ceiling_high + _ABOVE_TOL)
    model = NoiseModel(
        tasks=tuple(model_tasks),
        n_factors=k,
        n_factors_rule=rule,
        parallel_k=parallel_k,
        loadings=fit.loadings,
        uniquenesses=fit.uniquenesses,
        fixed=anchored,
        h2=h2,
        ceiling=ceiling,
        ceiling_high=ceiling_high,
        above_ceiling=above,
        above_ceiling_ci=above_ci,
        converged=bool(fit.converged),
        n_iter=int(fit.n_iter),
        loglik=float(fit.loglik),
        n_rows=int(x.shape[0]),
    )
    if above_ci.any():
        names = [t for t, a in zip(model_tasks, above_ci, strict=True) if a]
        warnings.append(
            f"fitted h² above the upper end of the noise ceiling's interval for "
            f"{_listing(names)}: overfit, or a noise estimate too low"
        )

    # The projection SNR.
    notify("projecting the noise rows")
    noise_model = np.zeros((noise.values.shape[0], len(model_tasks)))
    for j, task in enumerate(model_tasks):
        if task in noise_pos:
            column = noise.values[:, noise_pos[task]]
            noise_model[:, j] = (column - mean[j]) / sd[j]
    usable = np.all(np.isfinite(noise_model), axis=1)
    if not usable.all():
        warnings.append(
            f"{int((~usable).sum())} noise row(s) with missing cells were left out of the SNR "
            "projection"
        )
    noise_rows = noise_model[usable]
    if noise_rows.shape[0] < 2:
        raise InputError(
            f"only {noise_rows.shape[0]} complete noise row(s) for the SNR projection; need 2"
        )
    cross_fit = noise_rows.shape[0] >= 3
    if not cross_fit:
        warnings.append(
            "with 2 complete noise rows the factor SNRs are in-sample (not cross-fitted) and "
            "biased high; rerun the configuration more often"
        )
    projection = projection_snr(
        z,
        noise_rows,
        fit.loadings,
        fit.uniquenesses,
        anchored=anchored if cross_fit else None,
        psi_bounds=PSI_BOUNDS,
        confidence_level=1 - alpha,
        n_resamples=n_draws,
        seed=_stream(seed, "projection_snr"),
    )
    low_factors = tuple(
        label
        for label, value in zip(projection.labels, projection.snr, strict=True)
        if value < snr_threshold
    )

    # Benchmark level.
    bench = benchmark_snr(sweep_common, noise_common, tasks=common)
    decision, decision_aggregate, n_matched, target_source = None, None, 0, None
    if target_in is not None:
        decision, decision_aggregate, n_matched, target_source = _decision(
            sweep, as_run_matrix(target_in, name="target"), warnings
        )

    # The ranked per-task table.
    table = _task_table(
        sweep.columns, common, floors, model, bench, decision, snr_threshold, model_tasks
    )
    low_tasks = tuple(row.task for row in table if row.low_snr)
    return MatrixNoise(
        sweep_source=sweep.source,
        noise_source=noise.source,
        target_source=target_source,
        n_sweep_runs=int(sweep.values.shape[0]),
        n_noise_runs=int(noise.values.shape[0]),
        tasks=tuple(sweep.columns),
        common_tasks=tuple(common),
        missing_from_noise=tuple(missing_from_noise),
        only_in_noise=tuple(only_in_noise),
        zero_noise_tasks=zero_noise,
        missing=missing,
        missing_consequence=_consequence(missing, missing_from_noise),
        floors=floors,
        model=model,
        projection=projection,
        benchmark=bench,
        decision=decision,
        decision_aggregate=decision_aggregate,
        n_target_matched=n_matched,
        task_table=table,
        low_snr_tasks=low_tasks,
        low_snr_factors=low_factors,
        snr_threshold=float(snr_threshold),
    )


def _decision(
    sweep: RunMatrix, target: RunMatrix, warnings: list[str]
) -> tuple[DecisionAccuracy | None, float | None, int, str]:
    _check_directions(sweep, target, [c for c in sweep.columns if c in target.columns], "target")
    position = {name: i for i, name in enumerate(target.row_names)}
    pairs = [(i, position[r]) for i, r in enumerate(sweep.row_names) if r in position]
    tasks = [c for c in sweep.columns if c in target.columns]
    if len(pairs) < 2 or not tasks:
        warnings.append(
            f"decision accuracy skipped: the target matrix shares {len(pairs)} run id(s) and "
            f"{len(tasks)} metric(s) with the sweep (needs 2 ids and 1 metric)"
        )
        return None, None, len(pairs), target.source
    rows_s = [i for i, _ in pairs]
    rows_t = [j for _, j in pairs]
    sweep_pos = {c: j for j, c in enumerate(sweep.columns)}
    target_pos = {c: j for j, c in enumerate(target.columns)}
    small = sweep.values[np.ix_(rows_s, [sweep_pos[c] for c in tasks])]
    large = target.values[np.ix_(rows_t, [target_pos[c] for c in tasks])]
    result = decision_accuracy(small, large, tasks=tasks)

    def mean_z(values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (values - np.nanmean(values, axis=0)) / np.nanstd(values, axis=0)
            return np.nanmean(np.where(np.isfinite(z), z, np.nan), axis=1)

    aggregate = decision_accuracy(mean_z(small), mean_z(large)).accuracy[0]
    return result, _float_or_none(aggregate), len(pairs), target.source


def _task_table(
    tasks: Sequence[str],
    common: Sequence[str],
    floors: NoiseFloors,
    model: NoiseModel,
    bench: BenchmarkSNR,
    decision: DecisionAccuracy | None,
    threshold: float,
    model_tasks: Sequence[str],
) -> tuple[TaskNoise, ...]:
    f_pos = {t: j for j, t in enumerate(common)}
    m_pos = {t: j for j, t in enumerate(model_tasks)}
    d_pos = {} if decision is None else {t: j for j, t in enumerate(decision.tasks)}
    order = sorted(
        tasks,
        key=lambda t: (t not in f_pos, -floors.snr[f_pos[t]] if t in f_pos else 0.0),
    )
    rows = []
    for rank, task in enumerate(order, start=1):
        j = f_pos.get(task)
        m = m_pos.get(task)
        d = d_pos.get(task)
        measured = j is not None
        rows.append(
            TaskNoise(
                rank=rank if measured else None,
                task=task,
                in_noise=measured,
                in_model=m is not None,
                noise_share=float(floors.noise_share[j]) if measured else None,
                noise_share_ci=(
                    (float(floors.noise_share_low[j]), float(floors.noise_share_high[j]))
                    if measured
                    else None
                ),
                ceiling=float(floors.ceiling[j]) if measured else None,
                ceiling_ci=(
                    (float(floors.ceiling_low[j]), float(floors.ceiling_high[j]))
                    if measured
                    else None
                ),
                snr=float(floors.snr[j]) if measured else None,
                snr_ci=(float(floors.snr_low[j]), float(floors.snr_high[j])) if measured else None,
                h2=float(model.h2[m]) if m is not None else None,
                above_ceiling=bool(model.above_ceiling[m]) if m is not None and measured else None,
                benchmark_snr=_float_or_none(bench.snr[j]) if measured else None,
                decision_accuracy=(
                    _float_or_none(decision.accuracy[d])
                    if decision is not None and d is not None
                    else None
                ),
                low_snr=bool(floors.snr[j] < threshold) if measured else None,
            )
        )
    return tuple(rows)


@accepts_alpha
@renamed_kwargs(n_draws="n_resamples")
def run_noise(
    sweep: Any = None,
    noise: Any = None,
    *,
    target: Any = None,
    seeds_data: Any = None,
    seeds_window: Any = "all",
    seeds_metric: str | None = None,
    seeds_conditions: list[str] | None = None,
    n_factors: int | None = None,
    missing: str = "drop",
    snr_threshold: float = 1.0,
    confidence_level: float = 0.95,
    pa_iter: int = 500,
    n_resamples: int = 2000,
    seed: int | None = 0,
    progress: Callable[[str], None] | None = None,
) -> NoiseResult:
    """Run the noise analyses (see the module notes).

    Parameters
    ----------
    sweep, noise:
        The sweep (runs x metrics) and the noise baseline (reruns x metrics): each a
        :class:`~measurand.io.matrix.MatrixData`, a :class:`RunMatrix` or a mapping
        ``{metric: values}``. Give both or neither.
    target:
        Optional target-scale matrix (rows matched to the sweep by id) for decision accuracy.
    seeds_data:
        Optional long table (:class:`measurand.io.RunData`) with several seeds per condition and
        task, for the per-task seed split; ``seeds_window``, ``seeds_metric`` and
        ``seeds_conditions`` as in :func:`~measurand.noise.seeds.seed_split`.
    n_factors:
        k; ``None`` = Horn's parallel analysis (``pa_iter`` draws).
    missing:
        ``"drop"`` or ``"zero"``: what happens to sweep tasks missing from the noise matrix.
    snr_threshold:
        Tasks and factors whose SNR is below it are flagged (the recommendation list).
    confidence_level:
        Level of every interval (old name ``alpha`` = 1 − confidence_level).
    n_resamples:
        Parametric-bootstrap draws for the factor SNR intervals.
    seed:
        Seed of every random procedure.
    progress:
        Called with a short message before each long step.
    """
    if missing not in MISSING_CHOICES:
        raise InputError(f"missing must be 'drop' or 'zero', got {missing!r}")
    _check_snr_threshold(snr_threshold)
    alpha = confidence_to_alpha(confidence_level)
    n_draws = n_resamples
    _check_alpha(alpha)
    if (sweep is None) != (noise is None):
        raise InputError("give both a sweep matrix and a noise matrix (or neither)")
    if sweep is None and seeds_data is None:
        raise InputError("nothing to analyse: give a sweep and a noise matrix, or a long table")
    notify = progress or (lambda _message: None)
    warnings: list[str] = []
    matrix = None
    if sweep is not None:
        matrix = _matrix_noise(
            sweep,
            noise,
            target,
            n_factors=n_factors,
            missing=missing,
            snr_threshold=snr_threshold,
            alpha=alpha,
            pa_iter=pa_iter,
            n_draws=n_draws,
            seed=seed,
            warnings=warnings,
            notify=notify,
        )
    seeds = None
    if seeds_data is not None:
        notify("splitting seed noise from the spread across conditions")
        warnings.extend(getattr(seeds_data, "warnings", ()))
        seeds = seed_split(
            seeds_data,
            window=seeds_window,
            metric=seeds_metric,
            conditions=seeds_conditions,
            confidence_level=confidence_level,
            snr_threshold=snr_threshold,
        )
        if seeds.skipped:
            warnings.append(
                f"{len(seeds.skipped)} task(s) could not be split (see the seeds section): "
                + _listing(list(seeds.skipped))
            )
    settings = NoiseSettings(
        n_factors=n_factors,
        missing=missing,
        snr_threshold=float(snr_threshold),
        alpha=float(alpha),
        pa_iter=int(pa_iter),
        n_draws=int(n_draws),
        seed=seed if isinstance(seed, int) or seed is None else None,
        window=None if seeds is None else seeds.window,
        metric=None if seeds is None else seeds.metric,
    )
    return NoiseResult(settings=settings, matrix=matrix, seeds=seeds, warnings=tuple(warnings))
