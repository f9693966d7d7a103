"""The canonical long frame that every ``measurand.io`` reader returns, and helpers to check it.

Canonical frame
---------------
A :class:`polars.DataFrame` in long ("tidy") form, one row per observation:

==========  =========  ==================================================================
column      dtype      meaning
==========  =========  ==================================================================
condition   Utf8       the method / arm / agent being compared (e.g. ``maxrl+gtpo_sepa``)
seed        Utf8       the replicate (seed, run number, wandb run); the unit of analysis
task        Utf8       game / benchmark / environment; ``""`` when the input has no task
step        Int64      training step / iteration; null when the input has no step
metric      Utf8       metric name (``correct_rate``, ``value``, ``train/mean_reward``...)
value       Float64    the measurement; always finite (readers drop NaN/inf with a warning)
==========  =========  ==================================================================

The key ``(condition, seed, task, step, metric)`` is unique: there is at most one value per
seed, task, step and metric. No key column holds nulls except ``step``, which is either null for a
whole source (no step column) or set. Row order is the order in which the reader met the data
(campaign: runs in manifest order, steps ascending; table: file order); consumers must not rely
on any other order. :meth:`RunData.conditions`, :meth:`RunData.metrics` and
:meth:`RunData.seeds` list values in order of first appearance.

Readers return a :class:`RunData`: the frame, the source path, the human-readable warnings met
while reading (skipped lines, dropped values, ragged runs...) and, for training campaigns, the
per-step correct/total counts and the per-run completion counts of the emergence logs.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from measurand.errors import InputError

CANONICAL_SCHEMA: dict[str, pl.DataType] = {
    "condition": pl.Utf8(),
    "seed": pl.Utf8(),
    "task": pl.Utf8(),
    "step": pl.Int64(),
    "metric": pl.Utf8(),
    "value": pl.Float64(),
}
"""Column name -> polars dtype of the canonical long frame, in canonical column order."""

KEY_COLUMNS: tuple[str, ...] = ("condition", "seed", "task", "step", "metric")
"""The columns that identify one observation of the canonical frame."""

COUNTS_SCHEMA: dict[str, pl.DataType] = {
    "condition": pl.Utf8(),
    "seed": pl.Utf8(),
    "step": pl.Int64(),
    "correct_count": pl.Int64(),
    "total_count": pl.Int64(),
}
"""Schema of :attr:`RunData.counts`: pooled correct/total completions per run and step."""

GENERATIONS_SCHEMA: dict[str, pl.DataType] = {
    "condition": pl.Utf8(),
    "seed": pl.Utf8(),
    "n_completions": pl.Int64(),
    "n_correct": pl.Int64(),
}
"""Schema of :attr:`RunData.generations`: completions logged per run and how many were correct."""

_MAX_EXAMPLES = 3


@dataclass(frozen=True)
class RunData:
    """What a reader returns: the canonical long frame plus what was learnt while reading it.

    Attributes
    ----------
    frame:
        Canonical long frame (see the module docstring and :data:`CANONICAL_SCHEMA`).
    source:
        The path the data came from.
    warnings:
        Human-readable notes: truncated last lines, dropped non-finite values, ragged runs...
    counts:
        Per ``(condition, seed, step)``: ``correct_count``, ``total_count`` (campaign emergence
        logs, :data:`COUNTS_SCHEMA`), or None when the source has none.
    generations:
        Per ``(condition, seed)``: ``n_completions``, ``n_correct`` (campaign emergence logs,
        :data:`GENERATIONS_SCHEMA`), or None when the source has none.
    """

    frame: pl.DataFrame
    source: str
    warnings: tuple[str, ...] = ()
    counts: pl.DataFrame | None = None
    generations: pl.DataFrame | None = None

    def conditions(self) -> list[str]:
        """Conditions in order of first appearance."""
        return self.frame.get_column("condition").unique(maintain_order=True).to_list()

    def metrics(self) -> list[str]:
        """Metric names in order of first appearance."""
        return self.frame.get_column("metric").unique(maintain_order=True).to_list()

    def seeds(self, condition: str) -> list[str]:
        """Seeds of ``condition`` in order of first appearance; InputError for an unknown one."""
        seeds = (
            self.frame.filter(pl.col("condition") == condition)
            .get_column("seed")
            .unique(maintain_order=True)
            .to_list()
        )
        if not seeds:
            raise InputError(
                f"unknown condition {condition!r}; available: {', '.join(self.conditions())}",
                source=self.source,
            )
        return seeds


def empty_canonical() -> pl.DataFrame:
    """A canonical frame with no rows."""
    return pl.DataFrame(schema=CANONICAL_SCHEMA)


def describe_key(row: dict[str, object], columns: tuple[str, ...] | list[str]) -> str:
    """``condition='a', seed='1', ...``: a key for an error message."""
    return ", ".join(f"{c}={row[c]!r}" for c in columns)


def first_duplicate(
    frame: pl.DataFrame, keys: tuple[str, ...] | list[str]
) -> tuple[int, int] | None:
    """Row positions ``(first, second)`` of the earliest repeated key in ``frame``, or None.

    "Earliest" is the repeat that occurs first in row order; ``first`` is where its key was
    first seen.
    """
    key = pl.struct(list(keys))
    repeated = frame.select(pl.arg_where(~key.is_first_distinct()).first()).item()
    if repeated is None:
        return None
    target = frame.row(repeated, named=True)
    match = pl.all_horizontal(
        [pl.col(k).is_null() if target[k] is None else pl.col(k) == target[k] for k in keys]
    )
    first = frame.select(pl.arg_where(match).first()).item()
    return int(first), int(repeated)


def step_summary(frame: pl.DataFrame) -> pl.DataFrame:
    """Per ``(condition, task, seed, metric)``: rows ``n``, distinct steps ``n_steps``, ``first``
    and ``last`` step.

    One group-by serves both the duplicate check (a key repeats exactly when ``n > n_steps``)
    and :func:`ragged_note`, which is what keeps a million-row table fast to validate.
    """
    return frame.group_by(["condition", "task", "seed", "metric"], maintain_order=True).agg(
        n=pl.len(),
        n_steps=pl.col("step").n_unique(),
        first=pl.col("step").min(),
        last=pl.col("step").max(),
    )


def has_duplicate_keys(summary: pl.DataFrame) -> bool:
    """Whether a :func:`step_summary` shows a repeated ``(condition, seed, task, step, metric)``."""
    return bool(summary.select((pl.col("n") > pl.col("n_steps")).any()).item())


def validate_canonical(
    frame: pl.DataFrame, source: str, *, check_duplicates: bool = True
) -> pl.DataFrame:
    """Check that ``frame`` is a canonical long frame; return it with columns in canonical order.

    Raises :class:`~measurand.errors.InputError` (naming ``source``) when a column is missing or
    has the wrong dtype, when a key column other than ``step`` or the value holds nulls, when a
    value is not finite, or (unless ``check_duplicates`` is False, for callers that already
    checked and can name file lines) when a ``(condition, seed, task, step, metric)`` key repeats.
    """
    missing = [c for c in CANONICAL_SCHEMA if c not in frame.columns]
    if missing:
        raise InputError(
            f"canonical frame lacks column(s) {missing}; it has {frame.columns}", source=source
        )
    extra = [c for c in frame.columns if c not in CANONICAL_SCHEMA]
    if extra:
        raise InputError(f"canonical frame has unexpected column(s) {extra}", source=source)
    for name, dtype in CANONICAL_SCHEMA.items():
        if frame.schema[name] != dtype:
            raise InputError(
                f"canonical column {name!r} must be {dtype}, got {frame.schema[name]}",
                source=source,
            )
    frame = frame.select(list(CANONICAL_SCHEMA))
    if frame.height == 0:
        return frame
    nulls = frame.null_count().row(0, named=True)
    for name, n in nulls.items():
        if name != "step" and n:
            raise InputError(f"canonical column {name!r} holds {n} null(s)", source=source)
    n_bad = frame.select((~pl.col("value").is_finite()).sum()).item()
    if n_bad:
        raise InputError(f"canonical column 'value' holds {n_bad} NaN/inf value(s)", source=source)
    dup = (
        first_duplicate(frame, KEY_COLUMNS)
        if check_duplicates and has_duplicate_keys(step_summary(frame))
        else None
    )
    if dup is not None:
        row = frame.row(dup[1], named=True)
        raise InputError(
            f"duplicate observation {describe_key(row, KEY_COLUMNS)} "
            f"(rows {dup[0] + 1} and {dup[1] + 1})",
            source=source,
        )
    return frame


# Magnitudes above sqrt(float64 max) ≈ 1.34e154 overflow when squared (variances, SDs).
SQUARE_LIMIT = 1.3407807929942596e154


def overflow_note(frame: pl.DataFrame) -> str | None:
    """A warning when values are so large that their squares overflow float64, else None.

    Variances, standard deviations and effect sizes of such values are ``inf``/NaN; the note
    names the metrics so that the user can rescale them before the statistics run.
    """
    huge = frame.filter(pl.col("value").abs() > SQUARE_LIMIT)
    if huge.height == 0:
        return None
    metrics = huge.get_column("metric").unique(maintain_order=True).to_list()
    return (
        f"{huge.height} value(s) of metric(s) {metrics[:5]} exceed {SQUARE_LIMIT:.3g} in "
        "magnitude: their squares overflow float64, so variances and effect sizes of these "
        "metrics cannot be computed; rescale them (e.g. divide by a power of 10)"
    )


def ragged_note(frame: pl.DataFrame, summary: pl.DataFrame | None = None) -> str | None:
    """A warning when seeds of one (condition, task) cover different step ranges, else None.

    Runs that stop early (a run still going, a crash) or start late make learning curves
    ragged: a per-step mean then mixes different sets of seeds. Missing interior steps are
    normal in training logs and not reported. ``summary`` is :func:`step_summary` of ``frame``
    when the caller already has it.
    """
    if frame.height == 0 or frame.get_column("step").null_count() == frame.height:
        return None
    if summary is None:
        summary = step_summary(frame)
    per_run = summary.group_by(["condition", "task", "seed"], maintain_order=True).agg(
        first=pl.col("first").min(), last=pl.col("last").max()
    )
    per_group = (
        per_run.group_by(["condition", "task"], maintain_order=True)
        .agg(
            n_first=pl.col("first").n_unique(),
            n_last=pl.col("last").n_unique(),
            min_last=pl.col("last").min(),
            max_last=pl.col("last").max(),
            min_first=pl.col("first").min(),
            max_first=pl.col("first").max(),
            n_seeds=pl.len(),
        )
        .filter((pl.col("n_first") > 1) | (pl.col("n_last") > 1))
    )
    if per_group.height == 0:
        return None
    examples = []
    for row in per_group.head(_MAX_EXAMPLES).iter_rows(named=True):
        where = row["condition"] if row["task"] == "" else f"{row['condition']} / {row['task']}"
        examples.append(
            f"{where}: first step {row['min_first']}..{row['max_first']}, "
            f"last step {row['min_last']}..{row['max_last']} over {row['n_seeds']} seeds"
        )
    more = "" if per_group.height <= _MAX_EXAMPLES else ", ..."
    return (
        f"ragged runs: in {per_group.height} (condition, task) group(s) the seeds cover "
        f"different step ranges ({'; '.join(examples)}{more})"
    )
