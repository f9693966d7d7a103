"""Does a per-example signal predict correctness? The ``diagnose`` workflow.

Inputs are named arrays (see :func:`measurand.io.arrays.read_arrays`), a binary label array
(1 = the example was solved) and one or more signal specs (see
:mod:`measurand.diagnose.signals`). For every signal the workflow reports:

- **AUC** ``P(s_correct > s_wrong) + ½ P(tie)``: higher signal values predict a correct answer;
  negate the signal (``-spec``) to score the other direction. DeLong and bootstrap intervals
  (:mod:`measurand.diagnose._auc`).
- **Group medians** of the signal among correct and among wrong examples, with bootstrap
  intervals (examples resampled with their labels; :mod:`measurand.diagnose._medians`).
- **Threshold** ``tau`` (Otsu on a 256-bin histogram, a percentile, or a fixed value) and the
  **2x2 cells**: an example is *settled* when ``signal < tau``;
  A = settled & correct, B = settled & wrong, C = unsettled & correct, D = unsettled & wrong,
  with counts, fractions of all and of each class, Clopper-Pearson intervals, the exact one-sided
  upper bound ``1 - alpha^(1/n)`` when a count is 0, and the median signal per cell
  (:mod:`measurand.diagnose._cells`).
- **Robustness**: the cells of every signal, each with its own threshold.
- Optionally a **paired comparison** of two label arrays on the same examples (two models or
  checkpoints): McNemar's exact test and a paired bootstrap of the accuracy difference
  (:mod:`measurand.diagnose._paired`).

Each analysis is a public function (:func:`signal_auc`, :func:`group_medians`,
:func:`compute_threshold`, :func:`settling_cells`, :func:`paired_comparison`) that works on
plain 1-D arrays; :func:`diagnose` checks the inputs once (:mod:`measurand.diagnose._inputs`)
and hands the prepared arrays to each.

Random streams follow :mod:`measurand.stats._rng`: each bootstrap is keyed by the analysis and
the signal's *expression* (its canonical spec), never by the name the user gives the signal, so
``-s '-confidence'`` and ``-s neg=-confidence`` give the same intervals.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from measurand.diagnose._auc import signal_auc
from measurand.diagnose._cells import (
    compute_threshold,
    settling_cells,
    signal_histogram,
)
from measurand.diagnose._inputs import prepare_signals, resolve_binary, stream_key
from measurand.diagnose._medians import group_medians
from measurand.diagnose._paired import paired_comparison
from measurand.diagnose.options import (
    CI_METHODS,
    ThresholdRule,
    check_options,
    parse_threshold,
    rule_text,
)
from measurand.diagnose.results import (
    CELL_MEANINGS,
    CELL_NAMES,
    Cell,
    CellsResult,
    DiagnoseResult,
    DiagnoseSettings,
    Fraction,
    GroupMedian,
    GroupMedians,
    Histogram,
    PairedResult,
    SignalAUC,
    SignalInfo,
)
from measurand.errors import InputError
from measurand.stats._rng import SeedLike, keyed_sequence, recorded_seed, root_sequence

__all__ = [
    "CELL_MEANINGS",
    "CELL_NAMES",
    "Cell",
    "CellsResult",
    "DiagnoseResult",
    "DiagnoseSettings",
    "Fraction",
    "GroupMedian",
    "GroupMedians",
    "Histogram",
    "PairedResult",
    "SignalAUC",
    "SignalInfo",
    "compute_threshold",
    "diagnose",
    "group_medians",
    "paired_comparison",
    "parse_threshold",
    "settling_cells",
    "signal_auc",
    "signal_histogram",
]


#: Above this many examples the default AUC interval is DeLong's alone (see ``ci_methods``).
BOOTSTRAP_AUC_MAX_EXAMPLES = 100_000


def diagnose(
    arrays: Mapping[str, Any] | str | os.PathLike[str],
    *,
    label: str | Any,
    signals: Mapping[str, str | Any] | Sequence[str] | str,
    primary: str | None = None,
    threshold: ThresholdRule = "otsu",
    nan_policy: str = "drop",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    ci_methods: Sequence[str] | None = None,
    bootstrap_method: str = "percentile",
    stratified: bool = False,
    paired_label: str | Any | None = None,
    seed: SeedLike = 0,
    progress: Callable[[str], None] | None = None,
) -> DiagnoseResult:
    """How well does each signal separate correct from wrong examples?

    Parameters
    ----------
    arrays
        Named arrays (first axis = examples), or a path read with
        :func:`measurand.io.arrays.read_arrays`.
    label
        Name of the binary label array (1/True = correct), or the array itself.
    signals
        ``{name: spec}``, a list of specs (each named by its canonical text) or one spec. A spec
        is a signal-spec string (:mod:`measurand.diagnose.signals`) or, in Python, a 1-D array.
    primary
        The signal whose 2x2 cells and histogram lead the report; the first by default.
    threshold
        ``"otsu"`` (256-bin Otsu), ``"percentile:Q"`` (``numpy.percentile``, linear) or a number;
        applied to every signal separately.
    nan_policy
        ``"drop"``: a signal's non-finite values (NaN, ±inf) drop those examples from that
        signal's analyses, counted in ``signals[i].n_dropped``; ``"raise"``: InputError.
    n_resamples, confidence_level, bootstrap_method, stratified, seed
        Bootstrap size, two-sided level, ``"percentile"`` or ``"bca"``, resampling within each
        class (keeps class sizes), and the seed (the same seed gives identical results).
    ci_methods
        AUC intervals to compute: any of ``"delong"``, ``"bootstrap"``. ``None`` (default): both
        up to :data:`BOOTSTRAP_AUC_MAX_EXAMPLES` examples, DeLong alone above it (with a note):
        a bootstrap of N untied scores costs N multinomial draws per resample (minutes at
        N = 1e6), and at that size DeLong's interval (DeLong et al. 1988) is as good.
    paired_label
        A second label array on the same examples (name or array): adds the paired comparison.
    progress
        Called with a short description before each slow step (for a CLI spinner).

    Raises
    ------
    InputError
        Unknown array or bad spec, a label that is not binary, lengths that differ, non-finite
        signal values with ``nan_policy="raise"``, a signal with no finite value, bad options.
    """
    if isinstance(arrays, str | os.PathLike):
        from measurand.io.arrays import read_arrays

        arrays = read_arrays(arrays)
    if not isinstance(arrays, Mapping):
        raise InputError(
            f"arrays must be a mapping of names to arrays, got {type(arrays).__name__}"
        )
    auto_ci = ci_methods is None
    check_options(
        nan_policy, n_resamples, confidence_level, CI_METHODS if auto_ci else ci_methods,
        bootstrap_method,
    )  # fmt: skip
    ci_methods = CI_METHODS if ci_methods is None else tuple(dict.fromkeys(ci_methods))
    rule = parse_threshold(threshold)
    notify = progress or (lambda _message: None)

    label_name, y = resolve_binary(arrays, label, "label")
    n_examples = y.size
    notes: list[str] = []
    n_correct = int(y.sum())
    n_wrong = n_examples - n_correct
    if auto_ci and n_examples > BOOTSTRAP_AUC_MAX_EXAMPLES:
        ci_methods = ("delong",)
        notes.append(
            f"{n_examples:,} examples: the AUC interval is DeLong's; the bootstrap AUC interval "
            f"runs up to {BOOTSTRAP_AUC_MAX_EXAMPLES:,} examples (ci_methods=('delong', "
            "'bootstrap') asks for it at any size; medians and cells are still bootstrapped)"
        )
    if n_correct == 0 or n_wrong == 0:
        notes.append(
            f"label {label_name!r} has only {'wrong' if n_correct == 0 else 'correct'} examples "
            f"({n_correct} correct, {n_wrong} wrong): AUCs are NaN (undefined) and the "
            "class-wise fractions of the empty class are NaN"
        )

    prepared = prepare_signals(arrays, signals, label_name, n_examples, nan_policy)
    names = [p.info.name for p in prepared]
    if primary is None:
        primary = names[0]
    elif primary not in names:
        raise InputError(f"primary signal {primary!r} is not one of the signals {names}")
    for p in prepared:
        if p.info.n_dropped:
            notes.append(
                f"signal {p.info.name!r}: dropped {p.info.n_dropped} of {n_examples} examples "
                "with non-finite values (NaN/inf)"
            )

    root = root_sequence(seed)
    auc_results, median_results, cell_results = [], [], []
    for p in prepared:
        values, labels = p.values, y[p.keep]
        if ci_methods:
            notify(f"AUC of {p.info.name} ({', '.join(ci_methods)})")
        auc_results.append(
            signal_auc(
                values,
                labels,
                signal=p.info.name,
                ci_methods=ci_methods,
                bootstrap_method=bootstrap_method,
                n_resamples=n_resamples,
                confidence_level=confidence_level,
                stratified=stratified,
                seed=keyed_sequence(root, "diagnose", "auc", p.stream_key),
            )
        )
        notify(f"bootstrap medians of {p.info.name}")
        median_results.append(
            group_medians(
                values,
                labels,
                signal=p.info.name,
                bootstrap_method=bootstrap_method,
                n_resamples=n_resamples,
                confidence_level=confidence_level,
                stratified=stratified,
                seed=keyed_sequence(root, "diagnose", "medians", p.stream_key),
            )
        )
        tau, rule_description = compute_threshold(values, rule)
        cell_results.append(
            settling_cells(
                values,
                labels,
                tau,
                signal=p.info.name,
                threshold_rule=rule_description,
                confidence_level=confidence_level,
            )
        )

    primary_index = names.index(primary)
    primary_cells = cell_results[primary_index]
    histogram = signal_histogram(
        prepared[primary_index].values,
        y[prepared[primary_index].keep],
        primary_cells.threshold,
        signal=primary,
    )

    paired = None
    if paired_label is not None:
        paired_name, y_paired = resolve_binary(arrays, paired_label, "paired_label")
        if y_paired.size != n_examples:
            raise InputError(
                f"paired label {paired_name!r} has {y_paired.size} examples but label "
                f"{label_name!r} has {n_examples}; a paired comparison needs the same examples"
            )
        paired_key = paired_label if isinstance(paired_label, str) else stream_key(y_paired)
        notify(f"paired comparison {label_name} vs {paired_name}")
        paired = paired_comparison(
            y,
            y_paired,
            label=label_name,
            paired_label=paired_name,
            bootstrap_method=bootstrap_method,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            seed=keyed_sequence(root, "diagnose", "paired", paired_key),
        )

    for entry in [*auc_results, *median_results, *cell_results, paired]:
        if entry is not None:
            notes.extend(entry.warnings)

    settings = DiagnoseSettings(
        threshold=rule_text(rule),
        nan_policy=nan_policy,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        ci_methods=ci_methods,
        bootstrap_method=bootstrap_method,
        stratified=bool(stratified),
        seed=recorded_seed(seed),
    )
    return DiagnoseResult(
        label=label_name,
        n_examples=n_examples,
        n_correct=n_correct,
        n_wrong=n_wrong,
        accuracy=n_correct / n_examples,
        primary=primary,
        signals=tuple(p.info for p in prepared),
        auc=tuple(auc_results),
        medians=tuple(median_results),
        cells=primary_cells,
        robustness=tuple(cell_results),
        histogram=histogram,
        paired=paired,
        settings=settings,
        warnings=tuple(dict.fromkeys(notes)),
    )
