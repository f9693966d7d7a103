"""Area under the ROC curve with DeLong or bootstrap confidence intervals.

The AUC is the Mann–Whitney probability ``P(S_pos > S_neg) + 0.5 P(S_pos = S_neg)``: over all
(positive, negative) pairs, a pair scores 1 when the positive has the higher score, 0.5 when the
scores tie and 0 otherwise; the AUC is the mean over the ``n_pos * n_neg`` pairs. This is
``U / (n_pos n_neg)`` with mid-ranks for ties and equals ``sklearn.metrics.roc_auc_score``.

Everything works on *tie groups*: the distinct score values in ascending order, with the number
of positives and negatives holding each value. The data are sorted once; a bootstrap resample is
then only a vector of counts per (tie group, class) cell, and its AUC follows from cumulative sums
over the groups (a weighted Mann–Whitney statistic), so no resample is ever re-sorted or re-ranked.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Literal

import numpy as np
from scipy.special import ndtri, pdtr

from measurand._result import ConfidenceInterval, Result
from measurand.errors import DegenerateDataWarning, InputError
from measurand.stats import _validate
from measurand.stats._resampling import bootstrap_interval, jackknife_acceleration
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["AUCResult", "DegenerateDataWarning", "auc"]

CIMethod = Literal["delong", "bootstrap"]
BootstrapMethod = Literal["percentile", "bca", "basic"]

_CI_METHODS = ("delong", "bootstrap")
_BOOTSTRAP_METHODS = ("percentile", "bca", "basic")

# Temporaries of one chunk of resamples: 8 MB, 4/25 of the shared budget
# (``_validate.CHUNK_BYTES``), because cache-sized chunks measured fastest here.
_CHUNK_BYTES = _validate.CHUNK_BYTES * 4 // 25
# Bytes per tie group and resample: the int64 count block (2 columns) and the temporaries of
# the weighted AUC (about 4 arrays of one column).
_BYTES_PER_GROUP = 48
# Poissonized draws cost ~11 ns per cell, index draws ~6 ns per observation (both with their
# counting, measured at n = 8192): draw per cell while cells <= observations / 3.
_CELLS_PER_OBSERVATION_BREAK_EVEN = 1 / 3
# Poisson rates sum to n - 2 sqrt(n): a row overshoots n with probability ~2 % (it is redrawn),
# and ~2 sqrt(n) draws per row are topped up one by one.
_POISSON_SHORTFALL_SDS = 2.0
# Each Poisson table runs to rate + 10 sd + 20, where the tail mass (< 1e-20) is far below the
# 2^-53 resolution of the uniforms that invert it.
_POISSON_TABLE_SDS = 10.0
_POISSON_TABLE_PAD = 20


@dataclasses.dataclass(frozen=True)
class AUCResult(Result):
    """AUC with an optional confidence interval.

    ``statistic`` is the AUC (``value`` is an alias). ``standard_error`` is DeLong's SE for
    ``ci_method="delong"`` and the standard deviation of the valid bootstrap AUCs for
    ``ci_method="bootstrap"``; ``None`` without an interval. ``n_tied_pairs`` counts the
    (positive, negative) pairs with equal scores, each of which scores one half.
    ``n_resamples`` is the number of resamples drawn, ``n_invalid`` the number dropped because
    a class was absent from the resample (always 0 with ``stratified=True``).
    """

    statistic: float
    confidence_interval: ConfidenceInterval | None
    standard_error: float | None
    n_pos: int
    n_neg: int
    n_tied_pairs: int
    ci_method: str | None
    bootstrap_method: str | None
    stratified: bool
    n_resamples: int | None
    n_invalid: int | None
    confidence_level: float | None

    @property
    def value(self) -> float:
        """The AUC; same as ``statistic``."""
        return self.statistic


@dataclasses.dataclass(frozen=True)
class _TieGroups:
    """Scores collapsed to their distinct values (ascending): ``pos_counts[g]`` /
    ``neg_counts[g]`` count the positives / negatives whose score is the g-th smallest value."""

    pos_counts: np.ndarray
    neg_counts: np.ndarray

    @property
    def n_groups(self) -> int:
        return int(self.pos_counts.size)

    @property
    def n_pos(self) -> int:
        return int(self.pos_counts.sum())

    @property
    def n_neg(self) -> int:
        return int(self.neg_counts.sum())


def _tie_groups(score: np.ndarray, is_pos: np.ndarray) -> _TieGroups:
    _, group = np.unique(score, return_inverse=True)
    n_groups = int(group.max()) + 1 if group.size else 0
    return _TieGroups(
        pos_counts=np.bincount(group[is_pos], minlength=n_groups).astype(np.int64),
        neg_counts=np.bincount(group[~is_pos], minlength=n_groups).astype(np.int64),
    )


def _weighted_auc(pos_weights: np.ndarray, neg_weights: np.ndarray) -> np.ndarray:
    """Weighted Mann–Whitney AUC for each row of per-group weights ``(batch, n_groups)``.

    With groups in ascending score order, a positive in group g beats the negative weight below
    g and ties with the negative weight in g:
    ``AUC = sum_g pos_g (below_g + neg_g / 2) / (sum pos * sum neg)``. Integer weights (counts)
    keep every sum exact, so the only rounding is the final division. Rows without positive or
    negative weight give NaN.
    """
    neg_below = np.cumsum(neg_weights, axis=-1) - neg_weights
    twice_wins = (pos_weights * (2 * neg_below + neg_weights)).sum(axis=-1)
    twice_pairs = 2 * pos_weights.sum(axis=-1) * neg_weights.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.true_divide(twice_wins, twice_pairs)
    return np.where(twice_pairs > 0, value, np.nan)


def _placements(groups: _TieGroups) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's placement values per tie group.

    ``v10[g]``: the share of negatives a positive with the g-th score beats (ties count half);
    ``v01[g]``: the share of positives that beat a negative with the g-th score.
    """
    pos = groups.pos_counts.astype(np.float64)
    neg = groups.neg_counts.astype(np.float64)
    neg_below = np.cumsum(neg) - neg
    pos_above = pos.sum() - np.cumsum(pos)
    v10 = (neg_below + 0.5 * neg) / neg.sum()
    v01 = (pos_above + 0.5 * pos) / pos.sum()
    return v10, v01


def _delong_standard_error(groups: _TieGroups, statistic: float) -> float:
    """DeLong, DeLong & Clarke-Pearson (1988) standard error from placement values, computed
    per tie group after one sort as in Sun & Xu (2014):
    ``Var = S10 / n_pos + S01 / n_neg`` with ``S10``, ``S01`` the sample variances (ddof 1) of
    the positives' and negatives' placements (both have mean equal to the AUC)."""
    v10, v01 = _placements(groups)
    n_pos, n_neg = groups.n_pos, groups.n_neg
    s10 = float(groups.pos_counts @ (v10 - statistic) ** 2) / (n_pos - 1)
    s01 = float(groups.neg_counts @ (v01 - statistic) ** 2) / (n_neg - 1)
    return math.sqrt(s10 / n_pos + s01 / n_neg)


def _jackknife_acceleration(groups: _TieGroups, statistic: float, stratified: bool) -> float:
    """BCa acceleration from the exact leave-one-out AUCs.

    Dropping a positive with placement ``v10`` leaves ``(n_pos * AUC - v10) / (n_pos - 1)``;
    dropping a negative with placement ``v01`` leaves ``(n_neg * AUC - v01) / (n_neg - 1)``.
    These go into scipy.stats.bootstrap's acceleration (:func:`jackknife_acceleration`), with
    one resampled sample of all observations (unstratified) or two, the classes (stratified).
    A class of one observation has no leave-one-out value and is left out; zero spread gives 0.
    """
    v10, v01 = _placements(groups)
    n_pos, n_neg = groups.n_pos, groups.n_neg
    samples = []
    if n_pos > 1:
        samples.append(np.repeat((n_pos * statistic - v10) / (n_pos - 1), groups.pos_counts))
    if n_neg > 1:
        samples.append(np.repeat((n_neg * statistic - v01) / (n_neg - 1), groups.neg_counts))
    if not samples:
        return 0.0
    return jackknife_acceleration(samples if stratified else [np.concatenate(samples)])


class _CellCountSampler:
    """Draws rows of Multinomial(n, cell_sizes / n) counts: the number of times each cell is
    hit by n draws with replacement from n observations grouped into cells (integer sizes).

    Many cells (little tying): draw the n observation indices and count them per row. Few
    cells: Poissonization. Draw independent ``X_k ~ Poisson(lambda p_k)`` with
    ``lambda = n - 2 sqrt(n)``; given ``S = sum X_k = s``, X is Multinomial(s, p) whatever s is.
    Rows with ``s > n`` are redrawn (conditioning on S only), and the other ``n - s`` draws are
    added one by one as observation indices, so every row is exactly Multinomial(n, p). Each
    Poisson variate is one uniform inverted through the rate's CDF table, with a guide table
    (Chen & Asau 1974) so that the search takes about one step.
    """

    def __init__(self, cell_sizes: np.ndarray) -> None:
        self.cell_sizes = np.asarray(cell_sizes, dtype=np.int64)
        self.total = int(self.cell_sizes.sum())
        self.n_cells = int(self.cell_sizes.size)
        self._cell_of_slot = np.repeat(np.arange(self.n_cells, dtype=np.intp), self.cell_sizes)
        self._index_dtype = np.int32 if self.total < 2**31 else np.int64
        self.poissonized = self.n_cells <= self.total * _CELLS_PER_OBSERVATION_BREAK_EVEN
        if self.poissonized:
            self._build_poisson_tables()

    @property
    def all_singletons(self) -> bool:
        """Every cell holds one observation (no ties): slot index = cell index."""
        return bool(self.total == self.n_cells)

    def singleton_counts(
        self, rng: np.random.Generator, n_rows: int, buffer: np.ndarray | None = None
    ) -> np.ndarray:
        """:meth:`draw` for :attr:`all_singletons` samplers: the same draws, no cell lookup.

        ``buffer`` (intp, at least ``n_rows * total``) is reused between chunks: numpy's
        ``bincount`` converts other index types into a fresh array, and the page faults of
        that allocation cost several times the counting itself.
        """
        size = n_rows * self.total
        slots = rng.integers(0, self.total, size=(n_rows, self.total), dtype=self._index_dtype)
        if buffer is None or buffer.size < size:
            buffer = np.empty(size, dtype=np.intp)
        flat = buffer[:size].reshape(n_rows, self.total)
        np.copyto(flat, slots, casting="safe")
        flat += (np.arange(n_rows, dtype=np.intp) * self.n_cells)[:, None]
        counts = np.bincount(flat.reshape(-1), minlength=size)
        return counts.reshape(n_rows, self.n_cells)

    @property
    def bytes_per_row(self) -> int:
        """Approximate peak temporary bytes per drawn row."""
        if self.poissonized:
            return 48 * self.n_cells + 24 * int(4 * math.sqrt(self.total) + 8)
        return 12 * self.total + 8 * self.n_cells

    def _build_poisson_tables(self) -> None:
        rate_total = max(self.total - _POISSON_SHORTFALL_SDS * math.sqrt(self.total), 0.0)
        rates = rate_total * self.cell_sizes / self.total
        lengths = (
            np.ceil(rates + _POISSON_TABLE_SDS * np.sqrt(rates)).astype(np.intp)
            + _POISSON_TABLE_PAD
        )
        cdf_offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        support = np.arange(int(lengths.sum())) - np.repeat(cdf_offsets, lengths)
        cdf = pdtr(support, np.repeat(rates, lengths))
        cdf[cdf_offsets + lengths - 1] = 1.0
        # Guide for cell k, bucket b (u in [b/L_k, (b+1)/L_k)): the first table index whose CDF
        # exceeds b/L_k, a lower bound on the inverse at u. One extra bucket guards u * L_k
        # rounding up to L_k.
        guide_offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        guide = np.empty(int((lengths + 1).sum()), dtype=np.intp)
        for start, length, guide_start in zip(cdf_offsets, lengths, guide_offsets, strict=True):
            thresholds = np.arange(length + 1) / length
            first_above = np.searchsorted(cdf[start : start + length], thresholds, side="right")
            guide[guide_start : guide_start + length + 1] = start + np.minimum(
                first_above, length - 1
            )
        self._cdf = cdf
        self._cdf_offsets = cdf_offsets
        self._buckets = lengths.astype(np.float64)
        self._guide = guide
        self._guide_offsets = guide_offsets

    def _poisson_rows(self, rng: np.random.Generator, n_rows: int) -> np.ndarray:
        uniform = rng.random((n_rows, self.n_cells))
        bucket = (uniform * self._buckets).astype(np.intp)
        bucket += self._guide_offsets
        position = self._guide[bucket]
        flat_position = position.reshape(-1)
        flat_uniform = uniform.reshape(-1)
        # The inverse is the first index whose CDF exceeds u: step up from the guide.
        pending = np.flatnonzero(self._cdf[flat_position] <= flat_uniform)
        while pending.size:
            flat_position[pending] += 1
            pending = pending[self._cdf[flat_position[pending]] <= flat_uniform[pending]]
        position -= self._cdf_offsets
        return position

    def _add_index_draws(
        self, rng: np.random.Generator, counts: np.ndarray, draws_per_row: np.ndarray | int
    ) -> None:
        """Add ``draws_per_row`` uniform draws over the observations to each row's cells."""
        n_rows = counts.shape[0]
        row_base = np.arange(n_rows, dtype=np.intp) * self.n_cells
        if np.isscalar(draws_per_row):
            shape = (n_rows, int(draws_per_row))
            slots = rng.integers(0, self.total, size=shape, dtype=self._index_dtype)
            cells = self._cell_of_slot[slots]
            cells += row_base[:, None]
        else:
            size = int(draws_per_row.sum())
            slots = rng.integers(0, self.total, size=size, dtype=self._index_dtype)
            cells = self._cell_of_slot[slots]
            cells += np.repeat(row_base, draws_per_row)
        counts += np.bincount(cells.reshape(-1), minlength=counts.size).reshape(counts.shape)

    def draw(self, rng: np.random.Generator, n_rows: int) -> np.ndarray:
        """``(n_rows, n_cells)`` int64 counts, each row Multinomial(n, cell_sizes / n)."""
        if not self.poissonized:
            counts = np.zeros((n_rows, self.n_cells), dtype=np.int64)
            self._add_index_draws(rng, counts, self.total)
            return counts
        counts = self._poisson_rows(rng, n_rows)
        sums = counts.sum(axis=1)
        overshoot = np.flatnonzero(sums > self.total)
        while overshoot.size:
            counts[overshoot] = self._poisson_rows(rng, overshoot.size)
            sums[overshoot] = counts[overshoot].sum(axis=1)
            overshoot = overshoot[sums[overshoot] > self.total]
        counts = counts.astype(np.int64, copy=False)
        self._add_index_draws(rng, counts, self.total - sums)
        return counts


def _rows_per_chunk(samplers: list[_CellCountSampler], n_groups: int, n_resamples: int) -> int:
    row_bytes = sum(sampler.bytes_per_row for sampler in samplers) + _BYTES_PER_GROUP * n_groups
    return max(1, min(n_resamples, _CHUNK_BYTES // row_bytes))


def _bootstrap_distribution(
    groups: _TieGroups, n_resamples: int, rng: np.random.Generator, stratified: bool
) -> np.ndarray:
    """AUC of each of ``n_resamples`` bootstrap resamples; NaN where a class is absent.

    Unstratified: n draws with replacement from all observations. Stratified: n_pos draws from
    the positives and n_neg from the negatives. Only the counts per (tie group, class) cell
    matter, so those are drawn, chunk by chunk, and fed to :func:`_weighted_auc`."""
    n_groups = groups.n_groups
    pos_groups = np.flatnonzero(groups.pos_counts)
    neg_groups = np.flatnonzero(groups.neg_counts)
    pos_sizes = groups.pos_counts[pos_groups]
    neg_sizes = groups.neg_counts[neg_groups]
    if stratified:
        samplers = [_CellCountSampler(pos_sizes), _CellCountSampler(neg_sizes)]
        column_sets = [pos_groups, n_groups + neg_groups]
    else:
        samplers = [_CellCountSampler(np.concatenate([pos_sizes, neg_sizes]))]
        column_sets = [np.concatenate([pos_groups, n_groups + neg_groups])]
    distribution = np.empty(n_resamples, dtype=np.float64)
    rows_per_chunk = _rows_per_chunk(samplers, n_groups, n_resamples)
    if all(sampler.all_singletons for sampler in samplers):
        _distinct_distribution(
            distribution, samplers, pos_groups, neg_groups, rows_per_chunk, rng, stratified
        )
        return distribution
    for start in range(0, n_resamples, rows_per_chunk):
        n_rows = min(rows_per_chunk, n_resamples - start)
        # One block: the positives' counts per group, then the negatives'.
        weights = np.zeros((n_rows, 2 * n_groups), dtype=np.int64)
        for sampler, columns in zip(samplers, column_sets, strict=True):
            weights[:, columns] = sampler.draw(rng, n_rows)
        distribution[start : start + n_rows] = _weighted_auc(
            weights[:, :n_groups], weights[:, n_groups:]
        )
    return distribution


def _distinct_distribution(
    distribution: np.ndarray,
    samplers: list[_CellCountSampler],
    pos_groups: np.ndarray,
    neg_groups: np.ndarray,
    rows_per_chunk: int,
    rng: np.random.Generator,
    stratified: bool,
) -> None:
    """:func:`_bootstrap_distribution` when no two scores tie (every cell is one observation).

    The same draws as the general path (the observation indices of each row, counted), without
    the cell lookup and the (rows, 2 groups) weight block: a positive's wins are the resampled
    negatives below it, ``cumsum(negative counts)`` read at the number of negatives scoring
    lower. The integer sums equal the general path's, so the AUCs are identical bit for bit.
    """
    n_pos, n_neg = pos_groups.size, neg_groups.size
    negatives_below = np.searchsorted(neg_groups, pos_groups)
    n_resamples = distribution.size
    buffer = np.empty(rows_per_chunk * max(n_pos, n_neg, n_pos + n_neg), dtype=np.intp)
    for start in range(0, n_resamples, rows_per_chunk):
        n_rows = min(rows_per_chunk, n_resamples - start)
        if stratified:
            pos_counts = samplers[0].singleton_counts(rng, n_rows, buffer)
            neg_counts = samplers[1].singleton_counts(rng, n_rows, buffer)
        else:
            counts = samplers[0].singleton_counts(rng, n_rows, buffer)
            pos_counts, neg_counts = counts[:, :n_pos], counts[:, n_pos:]
        cumulative = np.zeros((n_rows, n_neg + 1), dtype=np.int64)
        np.cumsum(neg_counts, axis=1, out=cumulative[:, 1:])
        twice_wins = 2 * np.einsum("ij,ij->i", pos_counts, cumulative[:, negatives_below])
        twice_pairs = 2 * pos_counts.sum(axis=1) * cumulative[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.true_divide(twice_wins, twice_pairs)
        distribution[start : start + n_rows] = np.where(twice_pairs > 0, value, np.nan)


def _bootstrap_interval(
    distribution: np.ndarray,
    statistic: float,
    method: str,
    confidence_level: float,
    acceleration: float,
) -> ConfidenceInterval:
    """Percentile, basic or BCa interval from the valid bootstrap AUCs, clipped to [0, 1]
    (:func:`measurand.stats._resampling.bootstrap_interval`, scipy.stats.bootstrap's
    conventions)."""
    interval = bootstrap_interval(
        distribution, statistic, method, (1 - confidence_level) / 2, acceleration
    )
    if interval is None:
        warnings.warn(
            "BCa interval undefined: every bootstrap AUC lies on one side of the estimate; "
            "the interval is NaN (use method='percentile').",
            DegenerateDataWarning,
            stacklevel=4,
        )
        return ConfidenceInterval(math.nan, math.nan)
    low, high = np.clip(interval, 0.0, 1.0)
    return ConfidenceInterval(float(low), float(high))


def _as_score(score: object) -> np.ndarray:
    values = _validate.numeric_array(score, "score", ndim=1, keep_integers=True, source="score")
    if values.dtype.kind == "b":
        values = values.astype(np.int8)
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values)
        if bad.any():
            raise InputError(
                f"score holds {int(bad.sum())} NaN or infinite value(s) (first at index "
                f"{int(np.argmax(bad))}); drop those observations first",
                source="score",
            )
    return values


def _as_positive_mask(label: object, n: int) -> np.ndarray:
    values = np.asarray(label)
    if values.ndim != 1:
        raise InputError(f"label must be one-dimensional, got shape {values.shape}", source="label")
    if values.size != n:
        raise InputError(f"score and label differ in length ({n} vs {values.size})", source="label")
    if values.dtype.kind == "b":
        return values.astype(bool, copy=False)
    if values.dtype.kind not in "iuf":
        raise InputError(f"label must be boolean or 0/1, got dtype {values.dtype}", source="label")
    binary = (values == 0) | (values == 1)
    if not binary.all():
        first = int(np.argmin(binary))
        raise InputError(
            f"label must be boolean or 0/1; found {values[first]!r} at index {first}",
            source="label",
        )
    return values == 1


def _check_options(
    ci: str | None, method: str, n_resamples: int, confidence_level: float
) -> tuple[str, int, float]:
    """Validate the options that ``ci`` uses; return ``method``, ``n_resamples`` and
    ``confidence_level`` in canonical form."""
    if ci is not None and ci not in _CI_METHODS:
        raise InputError(f"ci must be None, 'delong' or 'bootstrap', got {ci!r}")
    method = _validate.choice(method, "method", _BOOTSTRAP_METHODS)
    if ci == "bootstrap":
        n_resamples = _validate.positive_int(n_resamples, "n_resamples")
    if ci is not None:
        confidence_level = _validate.confidence_level(confidence_level)
    return method, n_resamples, confidence_level


def _delong_interval(
    groups: _TieGroups, statistic: float, confidence_level: float
) -> tuple[ConfidenceInterval, float]:
    """``AUC ± z SE`` clipped to [0, 1], with DeLong's SE; NaN (warned) below 2 per class."""
    if groups.n_pos < 2 or groups.n_neg < 2:
        warnings.warn(
            f"DeLong standard error undefined with {groups.n_pos} positive and {groups.n_neg} "
            "negative observation(s) (needs 2 per class); the interval is NaN.",
            DegenerateDataWarning,
            stacklevel=3,
        )
        return ConfidenceInterval(math.nan, math.nan), math.nan
    standard_error = _delong_standard_error(groups, statistic)
    half_width = float(ndtri(0.5 + confidence_level / 2)) * standard_error
    interval = ConfidenceInterval(
        max(0.0, statistic - half_width), min(1.0, statistic + half_width)
    )
    return interval, standard_error


def _bootstrap_ci(
    groups: _TieGroups,
    statistic: float,
    method: str,
    n_resamples: int,
    confidence_level: float,
    stratified: bool,
    seed: SeedLike,
) -> tuple[ConfidenceInterval, float, int]:
    """Bootstrap interval, SD of the valid bootstrap AUCs, and the number of resamples dropped
    for missing a class (warned)."""
    distribution = _bootstrap_distribution(groups, n_resamples, as_generator(seed), stratified)
    valid = distribution[~np.isnan(distribution)]
    n_invalid = n_resamples - valid.size
    if valid.size == 0:
        warnings.warn(
            f"all {n_resamples} bootstrap resamples lacked a class; the interval is NaN "
            "(use stratified=True).",
            DegenerateDataWarning,
            stacklevel=3,
        )
        return ConfidenceInterval(math.nan, math.nan), math.nan, n_invalid
    if n_invalid:
        warnings.warn(
            f"{n_invalid} of {n_resamples} bootstrap resamples lacked a class and were dropped; "
            "the interval conditions on both classes being drawn (stratified=True avoids this).",
            DegenerateDataWarning,
            stacklevel=3,
        )
    acceleration = (
        _jackknife_acceleration(groups, statistic, stratified) if method == "bca" else 0.0
    )
    interval = _bootstrap_interval(valid, statistic, method, confidence_level, acceleration)
    standard_error = float(np.std(valid, ddof=1)) if valid.size > 1 else math.nan
    return interval, standard_error, n_invalid


def auc(
    score: object,
    label: object,
    *,
    ci: CIMethod | None = None,
    method: BootstrapMethod = "percentile",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    stratified: bool = False,
    seed: SeedLike = None,
) -> AUCResult:
    """Area under the ROC curve, optionally with a confidence interval.

    ``AUC = U / (n_pos n_neg)``, the Mann–Whitney U of the positives' scores with mid-ranks for
    ties: the share of (positive, negative) pairs in which the positive scores higher, ties
    counting one half. Equal to ``sklearn.metrics.roc_auc_score(label, score)``.

    Parameters
    ----------
    score : 1-D numeric array
        Higher scores predict ``label == 1``. For a score where *lower* predicts the positive
        class (a distance, a loss), pass ``-score``. Must be finite: drop NaN/inf rows first.
    label : 1-D bool or 0/1 array
        1 / True marks a positive.
    ci : None, "delong" or "bootstrap"
        ``"delong"``: DeLong et al. (1988) standard error from placement values (computed in
        O(n log n), Sun & Xu 2014) and the normal interval ``AUC ± z SE`` clipped to [0, 1], as
        R's ``pROC::ci.auc(method="delong")``. ``"bootstrap"``: resample observations with
        replacement ``n_resamples`` times.
    method : "percentile", "bca" or "basic"
        Bootstrap interval type (ignored otherwise). BCa's acceleration uses the exact
        jackknife (leave-one-out AUCs from placement values). Basic intervals are clipped to
        [0, 1].
    n_resamples, confidence_level, seed
        Bootstrap size, two-sided coverage, and the random seed (same seed, same result).
    stratified : bool
        Resample positives and negatives separately, keeping both class sizes. Otherwise
        resamples that miss a class have no AUC; they are dropped and counted in
        ``n_invalid`` (with a warning), so the interval is conditional on both classes drawn.

    Returns
    -------
    AUCResult
        With NaN ``statistic`` (and a :class:`DegenerateDataWarning`) when a class is empty.
        DeLong needs at least two observations per class; perfect separation gives SE 0.

    Raises
    ------
    InputError
        Non-1-D or non-numeric input, NaN/inf scores, length mismatch, labels other than
        bool/0/1, or invalid options.
    """
    method, n_resamples, confidence_level = _check_options(
        ci, method, n_resamples, confidence_level
    )
    score_values = _as_score(score)
    is_pos = _as_positive_mask(label, score_values.size)
    groups = _tie_groups(score_values, is_pos)
    n_pos, n_neg = groups.n_pos, groups.n_neg
    bootstrap = ci == "bootstrap"
    stratified = bool(stratified) if bootstrap else False

    interval: ConfidenceInterval | None = None
    standard_error: float | None = None
    n_invalid: int | None = None
    if n_pos == 0 or n_neg == 0:
        warnings.warn(
            f"AUC undefined: {n_pos} positive and {n_neg} negative observation(s); "
            "both classes are needed. The AUC is NaN.",
            DegenerateDataWarning,
            stacklevel=2,
        )
        statistic = math.nan
        if ci is not None:
            interval, standard_error = ConfidenceInterval(math.nan, math.nan), math.nan
        if bootstrap:
            n_invalid = n_resamples
    else:
        statistic = float(_weighted_auc(groups.pos_counts, groups.neg_counts))
        if groups.n_groups == 1:
            warnings.warn(
                "every score is the same value: the AUC is 0.5 by ties alone and any interval "
                "has zero width; the score carries no information about the label",
                DegenerateDataWarning,
                stacklevel=2,
            )
        if ci == "delong":
            interval, standard_error = _delong_interval(groups, statistic, confidence_level)
        elif bootstrap:
            interval, standard_error, n_invalid = _bootstrap_ci(
                groups, statistic, method, n_resamples, confidence_level, stratified, seed
            )
    return AUCResult(
        statistic=statistic,
        confidence_interval=interval,
        standard_error=standard_error,
        n_pos=n_pos,
        n_neg=n_neg,
        n_tied_pairs=int(groups.pos_counts @ groups.neg_counts),
        ci_method=ci,
        bootstrap_method=method if bootstrap else None,
        stratified=stratified,
        n_resamples=n_resamples if bootstrap else None,
        n_invalid=n_invalid,
        confidence_level=confidence_level if ci is not None else None,
    )
