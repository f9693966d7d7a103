"""One section of the compare report per analysis that ran."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from measurand.compare.workflow import CompareResult
from measurand.report.compare._common import (
    MAX_TABLE_ROWS,
    MAX_TASK_PANELS,
    POOLED_LABEL,
    STATUS_ICON,
    fmt_p,
    is_pooled,
    where,
)
from measurand.report.compare._figures import (
    STATUS_COLOURS,
    ForestRow,
    aggregate_figure,
    curves_figure,
    difference_forests,
    forest_figure,
    profile_figure,
)
from measurand.report.document import Report, Section, md_table
from measurand.report.format import cell_code, code, interval, level, num


def significance_section(report: Report, sig: Any, *, counts: bool = True) -> None:
    pooled = is_pooled(sig.unit)
    title = f"Significance: {code(sig.candidate)} vs {code(sig.baseline)}"
    if pooled:
        title += f" ({POOLED_LABEL})"
    section = report.section(title)
    ci_label = level(1.0 - sig.alpha)
    if pooled:
        section.add(
            "**Pseudo-replicated analysis.** Every window step of every seed is treated as an "
            "independent observation, which overstates the evidence (steps of one run share its "
            "seed). Shown because it was asked for (`--pooled`), for comparison with scripts that "
            "pool; the seed-level analysis above is the one to report."
        )
    all_exact = all(c.permutation_exact for c in sig.comparisons)
    section.add(
        f"Δ = candidate − baseline over window {code(sig.window)}, unit: {sig.unit}. CI: "
        f"{ci_label} bootstrap; p: two-sided permutation test, "
        + (
            "exact (all relabelings enumerated)."
            if all_exact
            else "exact where marked (all relabelings enumerated), Monte Carlo otherwise."
        )
    )
    section.add(
        md_table(
            [
                "Metric",
                "n (base / cand)",
                "Baseline",
                "Candidate",
                "Δ",
                f"{ci_label} CI",
                "p",
                "Verdict",
            ],
            [
                [
                    where(c.metric, c.task, cell_code),
                    f"{c.n_baseline} / {c.n_candidate}",
                    num(c.mean_baseline),
                    num(c.mean_candidate),
                    num(c.delta),
                    interval(c.ci),
                    fmt_p(c.pvalue) + (" (exact)" if c.permutation_exact and not all_exact else ""),
                    f"**{c.verdict}**",
                ]
                for c in sig.comparisons
            ],
        )
    )
    effect_size_table(section, sig, ci_label)
    with_counts = [c for c in sig.comparisons if c.counts is not None]
    if counts and with_counts:
        counts_table(section, with_counts, sig.power)
    difference_forests(
        section,
        [(c.task or c.metric, c, c.verdict) for c in sig.comparisons],
        what=f"{sig.candidate} − {sig.baseline}",
        ci_label=ci_label,
        pooled=pooled,
    )


def effect_size_table(section: Section, sig: Any, ci_label: str) -> None:
    """Cohen's d with its interval, Hedges' g, and the power figures, one row per comparison."""
    target = f"{100 * sig.power:g}%"
    with_min_effect = any(c.min_effect is not None for c in sig.comparisons)
    units = "steps" if is_pooled(sig.unit) else "seeds"
    section.add(
        f"Effect sizes and power: Cohen's d = Δ / pooled sd with its {ci_label} CI (noncentral "
        "t), Hedges' g = d with the small-sample correction; power of a two-sided t test at "
        f"α = {sig.alpha:g} at the observed d; {units} per arm for {target} power at the "
        "observed d"
        + (" and at `--min-effect`" if with_min_effect else "")
        + f"; MDE: the smallest Δ detected with {target} power at the current n."
    )
    headers = ["Metric", "Cohen's d", f"{ci_label} CI of d", "Hedges' g", "Power (obs. d)"]
    headers.append(f"n/arm for {target} (obs. d)")
    if with_min_effect:
        headers.append(f"n/arm for {target} (min effect)")
    rows = []
    for c in sig.comparisons:
        row = [
            where(c.metric, c.task, cell_code),
            num(c.cohens_d, 3),
            interval(c.cohens_d_ci, 3),
            num(c.hedges_g, 3),
            num(c.power_observed, 3),
            fmt_count(c.n_per_arm_observed),
        ]
        if with_min_effect:
            row.append(fmt_count(c.n_per_arm_min_effect))
        rows.append([*row, num(c.mde)])
    section.add(md_table([*headers, "MDE"], rows))


def counts_table(section: Section, counts: Sequence[Any], power: float) -> None:
    """The pooled episode counts with their rates, then their difference and its tests."""
    section.add(
        "Pooled correct/total counts (episode level: all seeds and window steps pooled; this "
        "ignores seed-to-seed variation, a supplement to the seed-level test above). Rates with "
        "Wilson intervals; the difference with Newcombe's; Fisher's exact test with its "
        f"conditional odds ratio; episodes per arm for {100 * power:g}% power at the observed "
        "rates (two-proportion z test):"
    )
    section.add(
        md_table(
            ["Metric", "Baseline correct/total", "Rate", "Candidate correct/total", "Rate"],
            [
                [
                    where(c.metric, c.task, cell_code),
                    f"{k.correct_baseline}/{k.total_baseline}",
                    f"{num(k.rate_baseline)} {interval(k.rate_baseline_ci)}",
                    f"{k.correct_candidate}/{k.total_candidate}",
                    f"{num(k.rate_candidate)} {interval(k.rate_candidate_ci)}",
                ]
                for c in counts
                for k in [c.counts]
            ],
        )
    )
    section.add(
        md_table(
            ["Metric", "Difference", "Fisher p", "Odds ratio", "Episodes/arm"],
            [
                [
                    where(c.metric, c.task, cell_code),
                    f"{num(k.rate_difference)} {interval(k.rate_difference_ci)}",
                    fmt_p(k.fisher_pvalue),
                    f"{num(k.odds_ratio, 3)} {interval(k.odds_ratio_ci, 3)}",
                    "–" if k.episodes_per_arm is None else f"{k.episodes_per_arm:,}",
                ]
                for c in counts
                for k in [c.counts]
            ],
        )
    )


def fmt_count(value: int | None) -> str:
    return "–" if value is None else str(value)


def multiple_section(report: Report, result: CompareResult) -> None:
    multiple = result.multiple
    pooled = is_pooled(multiple.unit)
    pair_baseline = result.settings.get("baseline")
    if result.settings.get("all_pairs") or pair_baseline is None:
        title = "All pairs"
    else:
        title = f"Every condition vs {code(pair_baseline)}"
    if pooled:
        title += f" ({POOLED_LABEL})"
    section = report.section(title)
    adjust = ", ".join(multiple.adjust)
    section.add(
        f"Δ = candidate − baseline over window {code(multiple.window)}, unit: {multiple.unit}. "
        f"p-values adjusted for multiplicity ({adjust}; family: {multiple.family}); the verdict "
        f"uses the first adjustment at α = {multiple.alpha:g}. Intervals are not adjusted."
    )
    frame = multiple.frame
    p_columns = [c for c in frame.columns if c.startswith("p_")]
    rows = []
    for row in frame.head(MAX_TABLE_ROWS).iter_rows(named=True):
        rows.append(
            [
                where(row["metric"], row["task"], cell_code),
                # no break inside a pair: the metric column wraps instead
                f"{cell_code(row['candidate'])}\u00a0−\u00a0{cell_code(row['baseline'])}",
                f"{row['n_baseline']} / {row['n_candidate']}",
                num(row["delta"]),
                interval((row["ci_low"], row["ci_high"])),
                fmt_p(row["pvalue"]),
                *[fmt_p(row[c]) for c in p_columns],
                f"**{row['verdict']}**",
            ]
        )
    section.add(
        md_table(
            ["Metric", "Pair", "n", "Δ", "CI", "p", *p_columns, "Verdict"],
            rows,
        )
    )
    if frame.height > MAX_TABLE_ROWS:
        section.add(f"({frame.height - MAX_TABLE_ROWS} more rows in results.json.)")
    # The frame's verdict is the multiplicity-adjusted one; the pair's comparison holds the
    # effect size and its interval.
    comparisons = {
        (pair.baseline, pair.candidate, c.metric, c.task): c
        for pair in multiple.pairs
        for c in pair.comparisons
    }
    # every row goes in: the forest plot draws the largest effects, the table lists the rest
    shown = frame
    difference_forests(
        section,
        [
            (
                pair_label(row["candidate"], row["baseline"], row["task"]),
                comparisons[(row["baseline"], row["candidate"], row["metric"], row["task"])],
                row["verdict"],
            )
            for row in shown.iter_rows(named=True)
        ],
        what="pairwise differences",
        ci_label=level(1.0 - multiple.alpha),
        pooled=pooled,
    )


def pair_label(candidate: str, baseline: str, task: str) -> str:
    pair = f"{candidate} − {baseline}"
    return f"{pair} | {task}" if task else pair


def ordering_section(section: Section, result: CompareResult) -> None:
    ordering = result.ordering
    chain = " ≥ ".join(code(c) for c in ordering.ordering)
    section.add(
        f"Expected: {chain} on {where(ordering.metric, ordering.task)}, window "
        f"{code(ordering.window)}. Overall: **{ordering.status}**. A pair is supported when the "
        f"{ordering.adjust}-adjusted p < {ordering.alpha:g} and its CI lies above 0, "
        "contradicted when significantly below 0, unresolved otherwise."
    )
    section.add(
        md_table(
            ["Pair", "Difference", "CI", "p", "p (adjusted)", "Status"],
            [
                [
                    f"{cell_code(p.higher)} ≥ {cell_code(p.lower)}",
                    num(p.difference),
                    interval(p.ci),
                    fmt_p(p.pvalue),
                    fmt_p(p.p_adjusted),
                    f"**{p.status}**",
                ]
                for p in ordering.pairs
            ],
        )
    )
    rows = [
        ForestRow(
            f"{p.higher} − {p.lower}",
            p.difference,
            p.ci,
            p.status,
            f"Δ = {num(p.difference)} {interval(p.ci)}",
        )
        for p in ordering.pairs
    ]
    section.figure(
        forest_figure(
            rows,
            title=f"{ordering.metric}: adjacent differences",
            xaxis_title="difference (higher − lower in the expected ordering)",
            colours=STATUS_COLOURS,
        )
    )


def litmus_section(section: Section, result: CompareResult) -> None:
    litmus = result.litmus
    name = f" ({litmus.name})" if litmus.name else ""
    icon = STATUS_ICON.get(litmus.status, "")
    task = f", task {litmus.task}" if litmus.task else ""
    section.add(
        f"**{icon} {litmus.status}**{name}: {code(litmus.candidate)} vs "
        f"{code(litmus.baseline)}, window {code(litmus.window)}{task}; rules from "
        f"{code(litmus.source)}."
    )
    section.add("\n".join(f"- {reason}" for reason in litmus.reasons))
    section.add(
        md_table(
            ["Evidence", "Required", "Observed", "Met", "Detail"],
            [
                [
                    e.requirement,
                    e.required,
                    "–" if e.observed is None else e.observed,
                    "yes" if e.met else "**no**",
                    e.detail,
                ]
                for e in litmus.evidence
            ],
        )
    )
    section.add(
        md_table(
            [
                "Check",
                "Expression",
                "Weight",
                "Baseline",
                "Candidate",
                "Observed (needed)",
                "Result",
            ],
            [
                [
                    c.name,
                    cell_code(c.expression),
                    c.weight or "–",
                    num(c.baseline_value),
                    num(c.candidate_value),
                    f"{c.quantity} = {num(c.observed)} ({c.operator} {c.threshold:g})",
                    "pass" if c.passed else ("**fail**" if c.passed is False else "n/a"),
                ]
                for c in litmus.checks
            ],
        )
    )


def across_section(section: Section, item: Any, result: CompareResult) -> None:
    ci_label = level(item.confidence_level)
    norm = {
        "minmax": "min-max normalized per task (over every run of every condition)",
        "reference": "normalized per task with the given reference scores",
        None: "raw (not normalized)",
    }.get(item.normalization, str(item.normalization))
    section.add(
        f"{len(item.tasks)} task(s); one score per run and task (its mean over window "
        f"{code(item.window)}), {norm}. {ci_label} stratified bootstrap intervals "
        f"({item.n_resamples:,} resamples of runs within each task). IQM: mean of the middle 50% "
        "of all run x task scores; optimality gap: mean shortfall below 1."
    )
    aggregates = item.aggregates
    metrics = aggregates.get_column("metric").unique(maintain_order=True).to_list()
    rows = []
    for cond in item.conditions:
        sub = aggregates.filter(pl.col("condition") == cond)
        cells = []
        for metric in metrics:
            row = sub.filter(pl.col("metric") == metric).row(0, named=True)
            cells.append(f"{num(row['estimate'])} {interval((row['ci_low'], row['ci_high']))}")
        rows.append([cell_code(cond), item.n_runs[cond], *cells])
    section.add(md_table(["Condition", "Runs", *metrics], rows))
    if item.improvement.height:
        section.add(
            md_table(
                ["X", "Y", "P(X > Y)", f"{ci_label} CI"],
                [
                    [
                        cell_code(r["x"]),
                        cell_code(r["y"]),
                        num(r["probability"], 3),
                        interval((r["ci_low"], r["ci_high"]), 3),
                    ]
                    for r in item.improvement.iter_rows(named=True)
                ],
            )
        )
    section.figure(aggregate_figure(item))
    section.figure(profile_figure(item))
    per_task = item.per_task
    if per_task.height <= MAX_TABLE_ROWS:
        wide = per_task.pivot(on="condition", index="task", values="mean")
        section.add(
            "Per-task means of the run scores (raw units):\n\n"
            + md_table(
                ["Task", *[cell_code(c) for c in item.conditions]],
                [[row[0], *row[1:]] for row in wide.select("task", *item.conditions).iter_rows()],
            )
        )
    else:
        section.add(f"({per_task.height} per-task rows in results.json.)")


def curves_section(section: Section, result: CompareResult) -> None:
    curves = result.curves
    band = {
        "sd": "mean ± sd over seeds",
        "sem": "mean ± standard error over seeds",
        "ci": f"bootstrap {level(curves.confidence_level or 0.95)} CI of the mean over seeds",
    }.get(curves.band, curves.band)
    smoothing = f", runs smoothed with {code(curves.smoothing)}" if curves.smoothing else ""
    section.add(
        f"Mean over the seeds that logged each step, band: {band}{smoothing}. Steps where fewer "
        "than two seeds remain have no band. (Figures in report.html; values in results.json.)"
    )
    frame = curves.frame
    tasks = frame.get_column("task").unique(maintain_order=True).to_list()
    shown = tasks[:MAX_TASK_PANELS]
    if len(tasks) > MAX_TASK_PANELS:
        section.add(
            f"Curves of the first {MAX_TASK_PANELS} of {len(tasks)} tasks are drawn; "
            "results.json holds them all."
        )
    conditions = list(result.conditions)
    for metric in frame.get_column("metric").unique(maintain_order=True).to_list():
        sub = frame.filter((pl.col("metric") == metric) & pl.col("task").is_in(shown))
        section.figure(curves_figure(sub, metric, shown, conditions))
