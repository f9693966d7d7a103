"""``measurand items``: several models on the same test items — who is ahead, by how much, sure?

:func:`run_items` takes :class:`~measurand.io.items.ItemData` and, per task:

1. averages runs within each item and keeps the items every model answered (the others are
   counted in a warning);
2. per model: the mean with its t interval (cluster-robust CR1 with ``G − 1`` df when clusters
   are given), the bootstrap interval, the within-item run variance when runs repeat;
3. one paired bootstrap over items (clusters resampled whole) shared by every pair: percentile
   interval of each difference, Romano–Wolf family-wise p-values, rank intervals; per pair also
   the paired t / CR1 interval and p-value (Holm and BH adjusted over the task's pairs),
   McNemar's exact test for binary scores, the correlation of the two models' item scores and
   how much pairing shrank the standard error;
4. the items where the models disagree most;
5. what the data allow: the smallest difference detectable with 80 % power at the current item
   count, and the variance pieces ``measurand plan`` reads.

Over two or more tasks with three or more models: Friedman's test on the task means with
Nemenyi's critical difference and Wilcoxon–Holm. With ``reference`` each other model gets a
status against it: ``BETTER``/``WORSE`` when the family-wise p-value is below ``1 − level``,
else ``INCONCLUSIVE``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from measurand._result import Result
from measurand.errors import InputError, NoSolutionError
from measurand.io.items import ItemData
from measurand.stats._friedman import FriedmanResult, friedman_nemenyi
from measurand.stats._item_bootstrap import disagreement, item_bootstrap
from measurand.stats._multitest import adjust_pvalues
from measurand.stats._paired import clustered_mean, paired_items, pooled_run_variance
from measurand.stats._planning import detectable_difference
from measurand.stats._rng import keyed_generator, recorded_seed, root_sequence
from measurand.stats._validate import confidence_level as check_confidence_level

__all__ = ["STATUSES", "ItemsResult", "run_items"]

STATUSES = ("BETTER", "WORSE", "INCONCLUSIVE")
PLANNING_POWER = 0.8


@dataclasses.dataclass(frozen=True)
class ItemsSettings(Result):
    n_resamples: int
    confidence_level: float
    seed: int | None
    reference: str | None
    top_disagreement: int


@dataclasses.dataclass(frozen=True)
class ModelRow(Result):
    model: str
    mean: float
    confidence_interval: tuple[float, float]
    bootstrap_interval: tuple[float, float]
    standard_error: float
    design_effect: float
    rank: int
    rank_interval: tuple[int, int]
    rank_probability: list[float]
    runs: float
    run_variance: float | None
    run_share: float | None


@dataclasses.dataclass(frozen=True)
class PairRow(Result):
    """``difference`` = mean(a) − mean(b)."""

    a: str
    b: str
    difference: float
    confidence_interval: tuple[float, float]
    bootstrap_interval: tuple[float, float]
    pvalue: float
    pvalue_holm: float
    pvalue_bh: float
    pvalue_fwer: float
    prob_a_ahead: float
    mcnemar_pvalue: float | None
    mcnemar_discordant: tuple[int, int] | None
    correlation: float
    pairing_ratio: float
    design_effect: float
    sd_difference: float
    sd_item: float | None
    sd_run: float | None
    mde_80: float | None
    status: str | None


@dataclasses.dataclass(frozen=True)
class DisagreementRow(Result):
    item: str
    cluster: str
    spread: float
    mean: float
    scores: list[float]


@dataclasses.dataclass(frozen=True)
class TaskAnalysis(Result):
    task: str
    n_items: int
    n_clusters: int
    mean_cluster_size: float
    runs: float
    items_dropped: int
    binary: bool
    models: list[ModelRow]
    pairs: list[PairRow]
    disagreement: list[DisagreementRow]
    n_unanimous: int


@dataclasses.dataclass(frozen=True)
class AcrossTasks(Result):
    models: list[str]
    tasks: list[str]
    means: list[list[float]]
    friedman: FriedmanResult | None
    note: str | None


@dataclasses.dataclass(frozen=True)
class ItemsResult(Result):
    source: str
    metric: str
    binarization: str | None
    has_clusters: bool
    models: list[str]
    settings: ItemsSettings
    tasks: list[TaskAnalysis]
    across_tasks: AcrossTasks | None
    status: str | None
    warnings: list[str]


def _codes(series: pl.Series) -> tuple[np.ndarray, list[str]]:
    """Dense integer codes of a text column and the label of each code.

    A categorical cast hashes each value once; grouping the text itself costs several times
    more on 10^6 rows.
    """
    physical = series.cast(pl.Categorical).to_physical().to_numpy()
    _, first, codes = np.unique(physical, return_index=True, return_inverse=True)
    return codes.reshape(-1).astype(np.intp), series.gather(first).to_list()


def _task_matrix(
    frame: pl.DataFrame, models: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray, int, float]:
    """(models × items) matrices of run-averaged scores, run counts and within-item sums of
    squares; item ids (sorted), cluster labels, integer cluster codes, items dropped,
    harmonic-mean runs per item (items answered by every model only)."""
    item_code, item_labels = _codes(frame.get_column("item"))
    model_code, model_labels = _codes(frame.get_column("model"))
    n_all = len(item_labels)
    # rows of the matrices follow `models`, whatever order the models appear in
    model_row = np.array([models.index(m) for m in model_labels], dtype=np.intp)[model_code]
    key = model_row * n_all + item_code
    cells = len(models) * n_all
    score = frame.get_column("score").to_numpy()
    runs = np.bincount(key, minlength=cells).astype(np.float64)
    sums = np.bincount(key, weights=score, minlength=cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / runs
    squares = np.bincount(key, weights=np.square(score - means[key]), minlength=cells)
    runs, means, squares = (a.reshape(len(models), n_all) for a in (runs, means, squares))
    complete = (runs > 0).all(axis=0)
    dropped = int(n_all - complete.sum())
    order = np.array(sorted(np.flatnonzero(complete), key=item_labels.__getitem__), dtype=np.intp)
    cluster_code, cluster_labels = _codes(frame.get_column("cluster"))
    first_row = np.full(n_all, -1, dtype=np.intp)
    first_row[item_code[::-1]] = np.arange(len(item_code) - 1, -1, -1)
    # codes ranked by label, so that the resamples do not depend on the order of the rows
    by_label = np.empty(len(cluster_labels), dtype=np.intp)
    by_label[sorted(range(len(cluster_labels)), key=cluster_labels.__getitem__)] = np.arange(
        len(cluster_labels)
    )
    item_cluster = cluster_code[first_row[order]]
    _, dense = np.unique(by_label[item_cluster], return_inverse=True)
    kept_runs = runs[:, order]
    harmonic = float(kept_runs.size / np.sum(1.0 / kept_runs)) if kept_runs.size else math.nan
    if abs(harmonic - round(harmonic)) < 1e-9:
        harmonic = float(round(harmonic))
    labels = np.array(cluster_labels, dtype=object)
    return (
        np.ascontiguousarray(means[:, order]),
        kept_runs,
        squares[:, order],
        [item_labels[i] for i in order],
        labels[item_cluster],
        dense.reshape(-1).astype(np.intp),
        dropped,
        harmonic,
    )


def _status(row_difference: float, p_fwer: float, alpha: float, reference_is_b: bool) -> str:
    if not p_fwer < alpha:
        return "INCONCLUSIVE"
    ahead = row_difference > 0 if reference_is_b else row_difference < 0
    return "BETTER" if ahead else "WORSE"


def _fmt_interval(ci: Any) -> tuple[float, float]:
    return (float(ci[0]), float(ci[1]))


def _analyse_task(
    task: str,
    frame: pl.DataFrame,
    models: list[str],
    *,
    has_clusters: bool,
    n_resamples: int,
    level: float,
    root: np.random.SeedSequence,
    reference: str | None,
    top: int,
    warnings: list[str],
) -> TaskAnalysis:
    matrix, run_counts, squares, items, clusters, codes, dropped, runs = _task_matrix(frame, models)
    label = f"task {task!r}" if task else "the data"
    if dropped:
        warnings.append(
            f"{label}: {dropped} item(s) not answered by every model were left out (the "
            "comparison is paired)"
        )
    n_items = matrix.shape[1]
    if n_items < 2:
        raise InputError(f"{label}: fewer than 2 items answered by every model")
    cluster_arg = codes if has_clusters else None
    n_clusters = int(codes.max()) + 1 if has_clusters else n_items
    if has_clusters and n_clusters < 2:
        raise InputError(f"{label}: all items are in one cluster; intervals need >= 2 clusters")
    if has_clusters and n_clusters < 20:
        warnings.append(
            f"{label}: only {n_clusters} clusters; cluster-robust intervals are rough below ~20"
        )
    binary = bool(np.isin(matrix, (0.0, 1.0)).all())
    boot = item_bootstrap(
        matrix,
        cluster_arg,
        n_resamples=n_resamples,
        confidence_level=level,
        seed=keyed_generator(root, "items", "bootstrap", task),
    )
    run_stats = {}
    if runs > 1:
        for index, m in enumerate(models):
            run_stats[m] = pooled_run_variance(matrix[index], run_counts[index], squares[index])
    model_rows = []
    for index, model in enumerate(models):
        mean = clustered_mean(matrix[index], cluster_arg, confidence_level=level)
        rv = run_stats.get(model)
        model_rows.append(
            ModelRow(
                model=model,
                mean=mean.statistic,
                confidence_interval=_fmt_interval(mean.confidence_interval),
                bootstrap_interval=_fmt_interval(boot.mean_ci[index]),
                standard_error=mean.standard_error,
                design_effect=mean.design_effect,
                rank=int(boot.rank[index]),
                rank_interval=(int(boot.rank_ci[index, 0]), int(boot.rank_ci[index, 1])),
                rank_probability=[float(v) for v in boot.rank_probability[index]],
                runs=runs,
                run_variance=None if rv is None else rv.within,
                run_share=None if rv is None else rv.share_of_mean_variance,
            )
        )
    alpha = 1 - level
    paired = [
        paired_items(matrix[i], matrix[j], cluster_arg, confidence_level=level, binary=binary)
        for i, j in boot.pairs
    ]
    raw_p = np.array([p.pvalue for p in paired])
    holm = adjust_pvalues(raw_p, "holm")
    bh = adjust_pvalues(raw_p, "bh")
    pair_rows = []
    for k, ((i, j), res) in enumerate(zip(boot.pairs, paired, strict=True)):
        a, b = models[i], models[j]
        sd_item = sd_run = None
        if runs > 1 and a in run_stats and b in run_stats:
            var_run = run_stats[a].within + run_stats[b].within
            if math.isfinite(var_run):
                sd_run = math.sqrt(var_run)
                sd_item = math.sqrt(max(res.sd_difference**2 - var_run / runs, 0.0))
        try:
            mde = (
                detectable_difference(
                    res.sd_difference,
                    n_items,
                    power=PLANNING_POWER,
                    confidence_level=level,
                    design_effect=res.design_effect if math.isfinite(res.design_effect) else 1.0,
                )
                if res.sd_difference > 0
                else None
            )
        except NoSolutionError:
            mde = None
        status = None
        if reference is not None and reference in (a, b):
            status = _status(res.statistic, float(boot.pvalue_fwer[k]), alpha, reference == b)
        pair_rows.append(
            PairRow(
                a=a,
                b=b,
                difference=res.statistic,
                confidence_interval=_fmt_interval(res.confidence_interval),
                bootstrap_interval=_fmt_interval(boot.difference_ci[k]),
                pvalue=res.pvalue,
                pvalue_holm=float(holm[k]),
                pvalue_bh=float(bh[k]),
                pvalue_fwer=float(boot.pvalue_fwer[k]),
                prob_a_ahead=float(boot.prob_positive[k]),
                mcnemar_pvalue=None if res.mcnemar is None else res.mcnemar.pvalue,
                mcnemar_discordant=None if res.mcnemar is None else (res.mcnemar.b, res.mcnemar.c),
                correlation=res.correlation,
                pairing_ratio=res.pairing_ratio,
                design_effect=res.design_effect,
                sd_difference=res.sd_difference,
                sd_item=sd_item,
                sd_run=sd_run,
                mde_80=mde,
                status=status,
            )
        )
    order, spread = disagreement(matrix, top=top)
    item_means = matrix.mean(axis=0)
    rows = [
        DisagreementRow(
            item=items[i],
            cluster=str(clusters[i]),
            spread=float(spread[i]),
            mean=float(item_means[i]),
            scores=[float(v) for v in matrix[:, i]],
        )
        for i in order
        if spread[i] > 0
    ]
    return TaskAnalysis(
        task=task,
        n_items=n_items,
        n_clusters=n_clusters,
        mean_cluster_size=n_items / n_clusters,
        runs=runs,
        items_dropped=dropped,
        binary=binary,
        models=model_rows,
        pairs=pair_rows,
        disagreement=rows,
        n_unanimous=int(np.count_nonzero(spread == 0)),
    )


def _across(tasks: list[TaskAnalysis], models: list[str], level: float) -> AcrossTasks | None:
    if len(tasks) < 2:
        return None
    means = [[row.mean for row in t.models] for t in tasks]
    friedman = None
    note = None
    if len(models) >= 3:
        friedman = friedman_nemenyi(np.array(means), confidence_level=level)
        if len(tasks) < 5:
            note = (
                f"only {len(tasks)} tasks: Friedman/Nemenyi over tasks has little power; read "
                "the per-task comparisons"
            )
    else:
        note = "Friedman's test needs at least 3 models; see the per-task pairs"
    return AcrossTasks(
        models=models, tasks=[t.task for t in tasks], means=means, friedman=friedman, note=note
    )


def _overall_status(tasks: list[TaskAnalysis]) -> str | None:
    statuses = [p.status for t in tasks for p in t.pairs if p.status is not None]
    if not statuses:
        return None
    if "WORSE" in statuses:
        return "WORSE"
    if all(s == "BETTER" for s in statuses):
        return "BETTER"
    return "INCONCLUSIVE"


def run_items(
    data: ItemData,
    *,
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    seed: int | None = 0,
    reference: str | None = None,
    top_disagreement: int = 200,
    progress: Callable[[str], None] | None = None,
) -> ItemsResult:
    """Analyse per-item scores of several models (see the module doc)."""
    report = progress or (lambda _text: None)
    check_confidence_level(confidence_level)
    models = data.models
    if len(models) < 2:
        raise InputError(
            f"need at least 2 models to compare, found {len(models)}: {', '.join(models)}",
            source=data.source,
        )
    if reference is not None and reference not in models:
        raise InputError(f"reference {reference!r} is not a model; models: {', '.join(models)}")
    warnings = list(data.warnings)
    root = root_sequence(seed)
    analyses = []
    task_names = data.tasks
    parts = (
        [((task_names[0],), data.frame)]
        if len(task_names) == 1
        else sorted(data.frame.partition_by("task", as_dict=True).items(), key=lambda kv: kv[0][0])
    )
    for task, part in parts:
        name = str(task[0])
        present = sorted(part.get_column("model").unique().to_list())
        if present != models:
            missing = sorted(set(models) - set(present))
            warnings.append(f"task {name!r}: no scores for {', '.join(missing)}; task left out")
            continue
        report(f"task {name or '(all)'}: {n_resamples:,} resamples")
        analyses.append(
            _analyse_task(
                name,
                part,
                models,
                has_clusters=data.has_clusters,
                n_resamples=n_resamples,
                level=confidence_level,
                root=root,
                reference=reference,
                top=top_disagreement,
                warnings=warnings,
            )
        )
    if not analyses:
        raise InputError("no task has scores for every model", source=data.source)
    return ItemsResult(
        source=data.source,
        metric=data.metric,
        binarization=data.binarization,
        has_clusters=data.has_clusters,
        models=models,
        settings=ItemsSettings(
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            seed=recorded_seed(seed),
            reference=reference,
            top_disagreement=top_disagreement,
        ),
        tasks=analyses,
        across_tasks=_across(analyses, models, confidence_level),
        status=_overall_status(analyses),
        warnings=warnings,
    )
