"""Does a per-example signal predict correctness? The ``diagnose`` workflow and its analyses.

Inputs are named arrays (see :func:`measurand.io.arrays.read_arrays`), a binary label array
(1 = the example was solved) and one or more signal specs (see
:mod:`measurand.diagnose.signals`). For every signal the workflow reports:

- **AUC** ``P(s_correct > s_wrong) + ½ P(tie)``: higher signal values predict a correct answer;
  negate the signal (``-spec``) to score the other direction. DeLong and bootstrap intervals.
- **Group medians** of the signal among correct and among wrong examples, with bootstrap
  intervals (examples resampled with their labels).
- **Threshold** ``tau`` (Otsu on a 256-bin histogram, a percentile, or a fixed value) and the
  **2x2 cells**: an example is *settled* when ``signal < tau``;
  A = settled & correct, B = settled & wrong, C = unsettled & correct, D = unsettled & wrong,
  with counts, fractions of all and of each class, Clopper-Pearson intervals, the exact one-sided
  upper bound ``1 - alpha^(1/n)`` when a count is 0, and the median signal per cell.
- **Robustness**: the cells of every signal, each with its own threshold.
- Optionally a **paired comparison** of two label arrays on the same examples (two models or
  checkpoints): McNemar's exact test and a paired bootstrap of the accuracy difference.

Each analysis is a public function (:func:`signal_auc`, :func:`group_medians`,
:func:`compute_threshold`, :func:`settling_cells`, :func:`paired_comparison`) that works on
plain 1-D arrays; :func:`diagnose` validates the inputs and composes them.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from measurand import stats
from measurand._result import ConfidenceInterval, Result
from measurand.diagnose.signals import Signal, parse_signal
from measurand.errors import InputError
from measurand.stats._rng import SeedLike

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

CI_METHODS = ("delong", "bootstrap")
BOOTSTRAP_METHODS = ("percentile", "bca")
NAN_POLICIES = ("drop", "raise")
CELL_NAMES = ("A", "B", "C", "D")
CELL_MEANINGS = {
    "A": "settled & correct",
    "B": "settled & wrong",
    "C": "unsettled & correct",
    "D": "unsettled & wrong",
}
HISTOGRAM_BINS = 60
OTSU_BINS = 256

ThresholdRule = str | float


# ----------------------------------------------------------------------------------------------
# Result objects
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SignalInfo(Result):
    """A signal as used: its name, canonical spec, the arrays it reads, and the rows it kept."""

    name: str
    spec: str
    arrays: tuple[str, ...]
    n_used: int
    n_dropped: int


@dataclasses.dataclass(frozen=True)
class SignalAUC(Result):
    """AUC of one signal for predicting ``label == 1`` (higher signal = correct).

    ``delong_*`` is the DeLong (1988) normal interval, ``bootstrap_*`` the bootstrap interval
    (``bootstrap_method``); either is ``None`` when not requested. ``n_invalid`` counts bootstrap
    resamples that lacked a class (dropped).
    """

    signal: str
    auc: float
    n_correct: int
    n_wrong: int
    n_tied_pairs: int
    confidence_level: float
    delong_ci: ConfidenceInterval | None
    delong_se: float | None
    bootstrap_ci: ConfidenceInterval | None
    bootstrap_se: float | None
    bootstrap_method: str | None
    n_resamples: int | None
    n_invalid: int | None
    warnings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class GroupMedian(Result):
    """Median of the signal within one class, with a bootstrap interval."""

    median: float
    confidence_interval: ConfidenceInterval
    standard_error: float
    n: int
    n_invalid: int


@dataclasses.dataclass(frozen=True)
class GroupMedians(Result):
    """Medians of one signal among correct and among wrong examples."""

    signal: str
    correct: GroupMedian
    wrong: GroupMedian
    bootstrap_method: str
    n_resamples: int
    confidence_level: float
    stratified: bool
    warnings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Fraction(Result):
    """``k / n`` with a two-sided Clopper-Pearson interval.

    ``upper_bound`` is the exact one-sided bound ``1 - alpha^(1/n)`` (``alpha = 1 - level``) when
    ``k == 0`` and ``None`` otherwise; every value is NaN when ``n == 0``.
    """

    k: int
    n: int
    estimate: float
    confidence_interval: ConfidenceInterval
    upper_bound: float | None


@dataclasses.dataclass(frozen=True)
class Cell(Result):
    """One of the 2x2 cells (``A``..``D``)."""

    name: str
    settled: bool
    correct: bool
    count: int
    of_all: Fraction
    of_class: Fraction  # of the correct examples for A and C, of the wrong ones for B and D
    median_signal: float


@dataclasses.dataclass(frozen=True)
class CellsResult(Result):
    """The 2x2 settled/correct cells of one signal at threshold ``tau`` (settled: signal < tau)."""

    signal: str
    threshold: float
    threshold_rule: str
    n: int
    n_correct: int
    n_wrong: int
    n_settled: int
    cells: dict[str, Cell]
    confidence_level: float
    warnings: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Cell:
        return self.cells[name]


@dataclasses.dataclass(frozen=True)
class Histogram(Result):
    """Counts of one signal per class on shared bins (for plotting); ``len(edges) = bins + 1``."""

    signal: str
    edges: tuple[float, ...]
    counts_correct: tuple[int, ...]
    counts_wrong: tuple[int, ...]
    threshold: float


@dataclasses.dataclass(frozen=True)
class PairedResult(Result):
    """Two label arrays on the same examples: ``difference = accuracy - paired_accuracy``.

    ``only_label`` counts examples correct under ``label`` only, ``only_paired`` those correct
    under ``paired_label`` only; McNemar's exact test uses these discordant counts.
    """

    label: str
    paired_label: str
    n: int
    accuracy: float
    paired_accuracy: float
    difference: float
    difference_ci: ConfidenceInterval
    difference_se: float
    both_correct: int
    only_label: int
    only_paired: int
    both_wrong: int
    mcnemar_statistic: int
    mcnemar_pvalue: float
    bootstrap_method: str
    n_resamples: int
    confidence_level: float
    warnings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DiagnoseSettings(Result):
    threshold: str
    nan_policy: str
    n_resamples: int
    confidence_level: float
    ci_methods: tuple[str, ...]
    bootstrap_method: str
    stratified: bool
    seed: int | None


@dataclasses.dataclass(frozen=True)
class DiagnoseResult(Result):
    """Everything :func:`diagnose` found; ``to_dict()`` is the ``results.json`` content.

    ``cells`` and ``histogram`` are for the ``primary`` signal; ``auc``, ``medians`` and
    ``robustness`` hold one entry per signal, in the order given.
    """

    label: str
    n_examples: int
    n_correct: int
    n_wrong: int
    accuracy: float
    primary: str
    signals: tuple[SignalInfo, ...]
    auc: tuple[SignalAUC, ...]
    medians: tuple[GroupMedians, ...]
    cells: CellsResult
    robustness: tuple[CellsResult, ...]
    histogram: Histogram
    paired: PairedResult | None
    settings: DiagnoseSettings
    warnings: tuple[str, ...]

    def auc_of(self, signal: str) -> SignalAUC:
        return _by_signal(self.auc, signal)

    def medians_of(self, signal: str) -> GroupMedians:
        return _by_signal(self.medians, signal)

    def cells_of(self, signal: str) -> CellsResult:
        return _by_signal(self.robustness, signal)

    def summary(self) -> str:
        """A few plain-text lines: accuracy, AUC per signal, and the primary signal's cells."""
        lines = [
            f"{self.n_examples} examples, {self.n_correct} correct / {self.n_wrong} wrong "
            f"(accuracy {_pct(self.accuracy)})"
        ]
        for entry in self.auc:
            ci = entry.bootstrap_ci or entry.delong_ci
            ci_text = f" [{ci.low:.3f}, {ci.high:.3f}]" if ci is not None else ""
            lines.append(f"AUC {entry.signal}: {entry.auc:.4f}{ci_text}")
        cells = self.cells
        counts = "/".join(str(cells[name].count) for name in CELL_NAMES)
        lines.append(
            f"{cells.signal} < {cells.threshold:.4g} ({cells.threshold_rule}): A/B/C/D = {counts}"
        )
        return "\n".join(lines)


def _by_signal(entries: Sequence[Any], signal: str) -> Any:
    for entry in entries:
        if entry.signal == signal:
            return entry
    raise KeyError(f"no signal named {signal!r}; signals: {[e.signal for e in entries]}")


def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.2f}%"


# ----------------------------------------------------------------------------------------------
# The workflow
# ----------------------------------------------------------------------------------------------
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
    ci_methods: Sequence[str] = CI_METHODS,
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
        AUC intervals to compute: any of ``"delong"``, ``"bootstrap"``.
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
    _check_options(nan_policy, n_resamples, confidence_level, ci_methods, bootstrap_method)
    ci_methods = tuple(dict.fromkeys(ci_methods))
    rule = parse_threshold(threshold)
    notify = progress or (lambda _message: None)

    label_name, y = _resolve_binary(arrays, label, "label")
    n_examples = y.size
    notes: list[str] = []
    n_correct = int(y.sum())
    n_wrong = n_examples - n_correct
    if n_correct == 0 or n_wrong == 0:
        notes.append(
            f"label {label_name!r} has only {'wrong' if n_correct == 0 else 'correct'} examples "
            f"({n_correct} correct, {n_wrong} wrong): AUCs are NaN (undefined) and the "
            "class-wise fractions of the empty class are NaN"
        )

    prepared = _prepare_signals(arrays, signals, label_name, n_examples, nan_policy)
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

    root_seed = _root_seed(seed)
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
                seed=_child_seed(root_seed, "auc", p.info.name),
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
                seed=_child_seed(root_seed, "medians", p.info.name),
            )
        )
        tau, rule_text = compute_threshold(values, rule)
        cell_results.append(
            settling_cells(
                values,
                labels,
                tau,
                signal=p.info.name,
                threshold_rule=rule_text,
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
        paired_name, y_paired = _resolve_binary(arrays, paired_label, "paired_label")
        if y_paired.size != n_examples:
            raise InputError(
                f"paired label {paired_name!r} has {y_paired.size} examples but label "
                f"{label_name!r} has {n_examples}; a paired comparison needs the same examples"
            )
        notify(f"paired comparison {label_name} vs {paired_name}")
        paired = paired_comparison(
            y,
            y_paired,
            label=label_name,
            paired_label=paired_name,
            bootstrap_method=bootstrap_method,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            seed=_child_seed(root_seed, "paired", paired_name),
        )

    for entry in [*auc_results, *median_results, *cell_results, paired]:
        if entry is not None:
            notes.extend(entry.warnings)

    settings = DiagnoseSettings(
        threshold=_rule_text(rule),
        nan_policy=nan_policy,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        ci_methods=ci_methods,
        bootstrap_method=bootstrap_method,
        stratified=bool(stratified),
        seed=_recorded_seed(seed),
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


# ----------------------------------------------------------------------------------------------
# The analyses (plain 1-D arrays in, result objects out)
# ----------------------------------------------------------------------------------------------
def signal_auc(
    signal_values: Any,
    label: Any,
    *,
    signal: str = "signal",
    ci_methods: Sequence[str] = CI_METHODS,
    bootstrap_method: str = "percentile",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    stratified: bool = False,
    seed: SeedLike = None,
) -> SignalAUC:
    """AUC of finite ``signal_values`` for ``label == 1`` via :func:`measurand.stats.auc`.

    An empty class gives NaN values and a warning in ``warnings`` instead of an error.
    """
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    n_correct, n_wrong = int(y.sum()), int((~y).sum())
    empty = SignalAUC(
        signal=signal,
        auc=math.nan,
        n_correct=n_correct,
        n_wrong=n_wrong,
        n_tied_pairs=0,
        confidence_level=float(confidence_level),
        delong_ci=_NAN_CI if "delong" in ci_methods else None,
        delong_se=math.nan if "delong" in ci_methods else None,
        bootstrap_ci=_NAN_CI if "bootstrap" in ci_methods else None,
        bootstrap_se=math.nan if "bootstrap" in ci_methods else None,
        bootstrap_method=bootstrap_method if "bootstrap" in ci_methods else None,
        n_resamples=int(n_resamples) if "bootstrap" in ci_methods else None,
        n_invalid=None,
    )
    if n_correct == 0 or n_wrong == 0:
        note = (
            f"signal {signal!r}: AUC undefined with {n_correct} correct and {n_wrong} wrong "
            "examples; reported as NaN"
        )
        return dataclasses.replace(empty, warnings=(note,))
    notes: list[str] = []
    point = _capture(notes, f"AUC of {signal!r}", stats.auc, values, y)
    fields: dict[str, Any] = {"auc": point.statistic, "n_tied_pairs": point.n_tied_pairs}
    if "delong" in ci_methods:
        delong = _capture(notes, f"DeLong CI of {signal!r}", stats.auc, values, y, ci="delong",
                          confidence_level=confidence_level)
        fields |= {"delong_ci": _ci(delong.confidence_interval), "delong_se": delong.standard_error}
    if "bootstrap" in ci_methods:
        boot = _capture(
            notes,
            f"bootstrap CI of AUC of {signal!r}",
            stats.auc,
            values,
            y,
            ci="bootstrap",
            method=bootstrap_method,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            stratified=stratified,
            seed=seed,
        )
        fields |= {
            "bootstrap_ci": _ci(boot.confidence_interval),
            "bootstrap_se": boot.standard_error,
            "n_invalid": boot.n_invalid,
        }
    return dataclasses.replace(empty, warnings=tuple(notes), **fields)


def group_medians(
    signal_values: Any,
    label: Any,
    *,
    signal: str = "signal",
    bootstrap_method: str = "percentile",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    stratified: bool = False,
    seed: SeedLike = None,
) -> GroupMedians:
    """Median signal among correct and among wrong examples, with bootstrap intervals.

    Examples are resampled with their labels (a paired bootstrap of ``(signal, label)``; with
    ``stratified`` within each class), so the class sizes vary across resamples as they would in
    a new sample. Resamples without a member of the class are dropped and counted
    (``n_invalid``). Both medians use the same seed, hence the same resamples.
    """
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    seed = _replayable_seed(seed)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    rank = np.empty(values.size, dtype=np.intp)
    rank[order] = np.arange(values.size)
    notes: list[str] = []
    groups = {}
    for name, flag in (("correct", True), ("wrong", False)):
        n_group = int((y == flag).sum())
        if n_group == 0:
            notes.append(f"signal {signal!r}: no {name} examples; their median is NaN")
            groups[name] = GroupMedian(math.nan, _NAN_CI, math.nan, 0, int(n_resamples))
            continue
        method = bootstrap_method
        if method == "bca" and values.size < 2:
            method = "percentile"
        boot = _capture(
            notes,
            f"bootstrap CI of the median {signal!r} among {name} examples",
            stats.bootstrap,
            [rank, y.astype(np.int8)],
            _ranked_group_median(sorted_values, flag),
            n_resamples=n_resamples,
            method=method,
            confidence_level=confidence_level,
            strata=y if stratified else None,
            paired=True,
            seed=_copy_seed(seed),
        )
        groups[name] = GroupMedian(
            median=boot.statistic,
            confidence_interval=_ci(boot.confidence_interval),
            standard_error=boot.standard_error,
            n=n_group,
            n_invalid=boot.n_invalid,
        )
    return GroupMedians(
        signal=signal,
        correct=groups["correct"],
        wrong=groups["wrong"],
        bootstrap_method=bootstrap_method,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        stratified=bool(stratified),
        warnings=tuple(notes),
    )


def _ranked_group_median(sorted_values: np.ndarray, flag: bool) -> Callable[..., np.ndarray]:
    """Vectorized median of one class, from resampled *ranks* instead of values.

    Each resample row holds ranks into ``sorted_values``. One bincount over all rows (row ``r``
    offset by ``r * n``) and one cumulative sum give, for every row, how many class members
    have rank <= j; the median's order statistics are then found by ``searchsorted``, so no
    resample is ever sorted. Rows without a member of the class give NaN.
    """
    n_values = sorted_values.size

    def statistic(rank: np.ndarray, label: np.ndarray, axis: int = -1) -> np.ndarray:
        rank2 = np.atleast_2d(np.moveaxis(np.asarray(rank), axis, -1))
        member = np.atleast_2d(np.moveaxis(np.asarray(label), axis, -1)) == flag
        n_rows = rank2.shape[0]
        row_offset = np.arange(n_rows) * n_values
        flat = (rank2 + row_offset[:, None])[member]
        cumulative = np.cumsum(np.bincount(flat, minlength=n_rows * n_values))
        ends = cumulative[n_values - 1 :: n_values]
        starts = np.concatenate(([0], ends[:-1]))
        k = ends - starts
        # The member at 0-based position p of row r is the first flat index whose cumulative
        # count exceeds starts[r] + p.
        low = np.searchsorted(cumulative, starts + (k - 1) // 2, side="right") - row_offset
        high = np.searchsorted(cumulative, starts + k // 2, side="right") - row_offset
        low = np.clip(low, 0, n_values - 1)
        high = np.clip(high, 0, n_values - 1)
        median = np.where(k > 0, 0.5 * (sorted_values[low] + sorted_values[high]), np.nan)
        return median if np.ndim(rank) > 1 else median[0]

    return statistic


def parse_threshold(threshold: ThresholdRule) -> tuple[str, float | None]:
    """``"otsu"`` -> ``("otsu", None)``; ``"percentile:45"`` -> ``("percentile", 45.0)``; a
    number (or numeric string) -> ``("fixed", value)``."""
    if isinstance(threshold, bool):
        raise InputError(f"threshold must be 'otsu', 'percentile:Q' or a number, got {threshold!r}")
    if isinstance(threshold, int | float | np.integer | np.floating):
        value = float(threshold)
        if not math.isfinite(value):
            raise InputError(f"a fixed threshold must be finite, got {threshold!r}")
        return ("fixed", value)
    if not isinstance(threshold, str):
        raise InputError(f"threshold must be 'otsu', 'percentile:Q' or a number, got {threshold!r}")
    text = threshold.strip().lower()
    if text == "otsu":
        return ("otsu", None)
    if text.startswith("percentile:"):
        try:
            q = float(text.split(":", 1)[1])
        except ValueError:
            q = math.nan
        if not 0.0 <= q <= 100.0:
            raise InputError(
                f"threshold {threshold!r}: the percentile must be a number in [0, 100], e.g. "
                "'percentile:45'"
            )
        return ("percentile", q)
    try:
        return parse_threshold(float(text))
    except ValueError:
        raise InputError(
            f"threshold must be 'otsu', 'percentile:Q' (e.g. 'percentile:45') or a number; got "
            f"{threshold!r}"
        ) from None


def _rule_text(rule: tuple[str, float | None]) -> str:
    kind, value = rule
    if kind == "otsu":
        return "otsu"
    if kind == "percentile":
        return f"percentile:{value:g}"
    return f"fixed:{value!r}"


def compute_threshold(
    signal_values: Any, threshold: ThresholdRule | tuple[str, float | None] = "otsu"
) -> tuple[float, str]:
    """The threshold ``tau`` for finite ``signal_values`` and the rule's text.

    Otsu uses :func:`measurand.stats.otsu_threshold` with 256 bins; a constant signal gives
    ``tau`` equal to that constant (nothing is settled).
    """
    rule = threshold if isinstance(threshold, tuple) else parse_threshold(threshold)
    kind, value = rule
    values = np.asarray(signal_values, dtype=float)
    if kind == "fixed":
        return float(value), _rule_text(rule)  # type: ignore[arg-type]
    if values.size == 0:
        raise InputError("cannot compute a threshold from an empty signal")
    if kind == "percentile":
        return float(np.percentile(values, value)), _rule_text(rule)
    if values.min() == values.max():
        return float(values[0]), _rule_text(rule)
    return float(stats.otsu_threshold(values, bins=OTSU_BINS)), _rule_text(rule)


def settling_cells(
    signal_values: Any,
    label: Any,
    threshold: float,
    *,
    signal: str = "signal",
    threshold_rule: str = "fixed",
    confidence_level: float = 0.95,
) -> CellsResult:
    """The 2x2 cells of settled (``signal < threshold``) by correct, with exact intervals."""
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    settled = values < threshold
    n = values.size
    n_correct = int(y.sum())
    n_wrong = n - n_correct
    cells = {}
    for name, is_settled, is_correct in (
        ("A", True, True),
        ("B", True, False),
        ("C", False, True),
        ("D", False, False),
    ):
        member = (settled == is_settled) & (y == is_correct)
        count = int(member.sum())
        class_size = n_correct if is_correct else n_wrong
        cells[name] = Cell(
            name=name,
            settled=is_settled,
            correct=is_correct,
            count=count,
            of_all=_fraction(count, n, confidence_level),
            of_class=_fraction(count, class_size, confidence_level),
            median_signal=float(np.median(values[member])) if count else math.nan,
        )
    return CellsResult(
        signal=signal,
        threshold=float(threshold),
        threshold_rule=threshold_rule,
        n=n,
        n_correct=n_correct,
        n_wrong=n_wrong,
        n_settled=int(settled.sum()),
        cells=cells,
        confidence_level=float(confidence_level),
    )


def _fraction(k: int, n: int, confidence_level: float) -> Fraction:
    if n == 0:
        return Fraction(k, 0, math.nan, _NAN_CI, None)
    exact = stats.clopper_pearson(k, n, confidence_level=confidence_level)
    upper = None
    if k == 0:
        upper = float(
            stats.zero_event_upper_bound(n, confidence_level=confidence_level)
            .confidence_interval.high
        )
    return Fraction(k, n, k / n, _ci(exact.confidence_interval), upper)


def signal_histogram(
    signal_values: Any,
    label: Any,
    threshold: float,
    *,
    signal: str = "signal",
    bins: int = HISTOGRAM_BINS,
) -> Histogram:
    """Counts of correct and wrong examples on shared bins spanning the signal (and ``tau``)."""
    values = np.asarray(signal_values, dtype=float)
    y = np.asarray(label).astype(bool)
    low, high = float(values.min()), float(values.max())
    if math.isfinite(threshold):
        low, high = min(low, threshold), max(high, threshold)
    if low == high:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    return Histogram(
        signal=signal,
        edges=tuple(float(e) for e in edges),
        counts_correct=tuple(int(c) for c in np.histogram(values[y], bins=edges)[0]),
        counts_wrong=tuple(int(c) for c in np.histogram(values[~y], bins=edges)[0]),
        threshold=float(threshold),
    )


def paired_comparison(
    label_values: Any,
    paired_values: Any,
    *,
    label: str = "label",
    paired_label: str = "paired_label",
    bootstrap_method: str = "percentile",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    seed: SeedLike = None,
) -> PairedResult:
    """Compare two binary outcomes on the same examples.

    McNemar's exact test on the discordant counts, and a paired bootstrap (the same examples
    resampled for both) of the accuracy difference ``mean(label) - mean(paired_label)``. Resampling
    pairs and averaging ``a - b`` is the same as resampling the per-example differences
    ``d = a - b``, so the bootstrap runs on ``d`` alone.
    """
    a = np.asarray(label_values).astype(bool)
    b = np.asarray(paired_values).astype(bool)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(
            f"paired comparison needs two 1-D label arrays of equal length; got {a.shape} "
            f"({label!r}) and {b.shape} ({paired_label!r})"
        )
    both = int((a & b).sum())
    only_a = int((a & ~b).sum())
    only_b = int((~a & b).sum())
    neither = int((~a & ~b).sum())
    notes: list[str] = []
    mcnemar = stats.mcnemar_exact(only_a, only_b)
    method = bootstrap_method if a.size >= 2 else "percentile"
    boot = _capture(
        notes,
        f"bootstrap CI of the accuracy difference {label!r} - {paired_label!r}",
        stats.bootstrap,
        [a.astype(np.int8) - b.astype(np.int8)],
        _mean,
        n_resamples=n_resamples,
        method=method,
        confidence_level=confidence_level,
        seed=seed,
    )
    return PairedResult(
        label=label,
        paired_label=paired_label,
        n=int(a.size),
        accuracy=float(a.mean()),
        paired_accuracy=float(b.mean()),
        difference=float(a.mean() - b.mean()),
        difference_ci=_ci(boot.confidence_interval),
        difference_se=float(boot.standard_error),
        both_correct=both,
        only_label=only_a,
        only_paired=only_b,
        both_wrong=neither,
        mcnemar_statistic=int(mcnemar.statistic),
        mcnemar_pvalue=float(mcnemar.pvalue),
        bootstrap_method=bootstrap_method,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        warnings=tuple(notes),
    )


def _mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(values, axis=axis)


# ----------------------------------------------------------------------------------------------
# Validation and plumbing
# ----------------------------------------------------------------------------------------------
_NAN_CI = ConfidenceInterval(math.nan, math.nan)


def _ci(interval: Any) -> ConfidenceInterval:
    if interval is None:
        return _NAN_CI
    return ConfidenceInterval(float(interval[0]), float(interval[1]))


def _capture(notes: list[str], context: str, function: Callable[..., Any], *args, **kwargs) -> Any:
    """Call a stats function, turning the warnings it issues into notes for the result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    for warning in caught:
        if issubclass(warning.category, DeprecationWarning):
            continue
        notes.append(f"{context}: {warning.message}")
    return result


def _check_options(
    nan_policy: str,
    n_resamples: int,
    confidence_level: float,
    ci_methods: Sequence[str],
    bootstrap_method: str,
) -> None:
    if nan_policy not in NAN_POLICIES:
        raise InputError(f"nan_policy must be 'drop' or 'raise', got {nan_policy!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise InputError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if n_resamples < 1:
        raise InputError(f"n_resamples must be at least 1, got {n_resamples}")
    if not isinstance(confidence_level, int | float) or not 0 < confidence_level < 1:
        raise InputError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    if isinstance(ci_methods, str):
        raise InputError(f"ci_methods must be a sequence such as ('delong',), got {ci_methods!r}")
    unknown = [m for m in ci_methods if m not in CI_METHODS]
    if unknown:
        raise InputError(f"unknown ci_methods {unknown}; choose from {list(CI_METHODS)}")
    if bootstrap_method not in BOOTSTRAP_METHODS:
        raise InputError(
            f"bootstrap_method must be one of {list(BOOTSTRAP_METHODS)}, got {bootstrap_method!r}"
        )


def _resolve_binary(arrays: Mapping[str, Any], label: Any, role: str) -> tuple[str, np.ndarray]:
    """The label's name and its values as a 1-D bool array; InputError unless binary."""
    if isinstance(label, str):
        if label not in arrays:
            available = ", ".join(sorted(arrays)) or "(none)"
            raise InputError(f"{role} array {label!r} not found; available arrays: {available}")
        name, raw = label, np.asarray(arrays[label])
    else:
        name, raw = role, np.asarray(label)
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim != 1:
        raise InputError(
            f"{role} {name!r} must be one value per example (1-D), got shape {raw.shape}"
        )
    if raw.size == 0:
        raise InputError(f"{role} {name!r} is empty")
    if raw.dtype == bool:
        return name, raw.copy()
    if not np.issubdtype(raw.dtype, np.number):
        raise InputError(
            f"{role} {name!r} must be binary (0/1 or true/false), got values of type {raw.dtype}"
        )
    bad = ~np.isin(raw, (0, 1))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        shown = ", ".join(f"{v.item():.6g}" for v in np.unique(raw[bad])[:3])
        raise InputError(
            f"{role} {name!r} must be binary (0/1 or true/false); found {int(bad.sum())} other "
            f"value(s): {shown} (first at row {first})"
        )
    return name, raw == 1


@dataclasses.dataclass(frozen=True)
class _Prepared:
    info: SignalInfo
    values: np.ndarray  # finite values only
    keep: np.ndarray  # bool mask over examples


def _normalize_signal_specs(signals: Any) -> list[tuple[str, Any]]:
    if isinstance(signals, str):
        items = [(None, signals)]
    elif isinstance(signals, Mapping):
        items = list(signals.items())
    elif isinstance(signals, Sequence) and not isinstance(signals, bytes):
        items = [(None, spec) for spec in signals]
    else:
        raise InputError(
            "signals must be a spec string, a list of specs, or a mapping of names to specs"
        )
    if not items:
        raise InputError("give at least one signal, e.g. 'lyap_spec[:, 0]'")
    named: list[tuple[str, Any]] = []
    for name, spec in items:
        if name is None:
            if not isinstance(spec, str):
                raise InputError(
                    "a signal given as an array needs a name: pass signals={'name': array}"
                )
            name = str(parse_signal(spec))
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"signal names must be non-empty strings, got {name!r}")
        named.append((name.strip(), spec))
    seen: set[str] = set()
    for name, _ in named:
        if name in seen:
            raise InputError(f"signal name {name!r} is used twice; give each signal its own name")
        seen.add(name)
    return named


def _prepare_signals(
    arrays: Mapping[str, Any],
    signals: Any,
    label_name: str,
    n_examples: int,
    nan_policy: str,
) -> list[_Prepared]:
    prepared = []
    for name, spec in _normalize_signal_specs(signals):
        if isinstance(spec, str):
            parsed: Signal | None = parse_signal(spec)
            for array_name in parsed.array_names:
                shape = np.shape(arrays[array_name]) if array_name in arrays else ()
                rows = shape[0] if shape else None
                if rows is not None and rows != n_examples:
                    raise InputError(
                        f"signal {name!r}: array {array_name!r} has {rows} rows but label array "
                        f"{label_name!r} has {n_examples}; both need one row per example"
                    )
            values = parsed.evaluate(arrays)
            spec_text, used = str(parsed), parsed.array_names
        else:
            values = np.asarray(spec, dtype=float)
            spec_text, used = "(array)", ()
            if values.ndim != 1:
                raise InputError(f"signal {name!r} must be 1-D, got shape {values.shape}")
        if values.size != n_examples:
            raise InputError(
                f"signal {name!r} has {values.size} values but label {label_name!r} has "
                f"{n_examples}; both need one value per example"
            )
        keep = np.isfinite(values)
        n_bad = int(n_examples - keep.sum())
        if n_bad and nan_policy == "raise":
            first = int(np.flatnonzero(~keep)[0])
            raise InputError(
                f"signal {name!r} ({spec_text}) has {n_bad} non-finite value(s) (NaN/inf), the "
                f"first at row {first}; drop them with nan_policy='drop' (--nan drop)"
            )
        if not keep.any():
            raise InputError(f"signal {name!r} ({spec_text}) has no finite values")
        info = SignalInfo(name, spec_text, tuple(used), int(keep.sum()), n_bad)
        prepared.append(_Prepared(info, values[keep], keep))
    return prepared


def _root_seed(seed: SeedLike) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(2, dtype=np.uint64)[0])
    if seed is None:
        return int(np.random.SeedSequence().generate_state(2, dtype=np.uint64)[0])
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, a Generator or None, got {seed!r}")
    return int(seed)


def _recorded_seed(seed: SeedLike) -> int | None:
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return int(seed)
    return None


def _child_seed(root: int, *keys: str) -> np.random.SeedSequence:
    """An independent stream per (analysis, signal), stable whatever other signals are given."""
    return np.random.SeedSequence([root, *(zlib.crc32(key.encode()) for key in keys)])


def _replayable_seed(seed: SeedLike) -> SeedLike:
    """A seed that gives the same stream on every use (a Generator or None would not)."""
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(2**63)))
    if seed is None:
        return np.random.SeedSequence()
    return seed


def _copy_seed(seed: SeedLike) -> SeedLike:
    """A SeedSequence spawns the same streams on every use; a fresh Generator for each use."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    return seed
