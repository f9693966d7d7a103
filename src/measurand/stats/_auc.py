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
from scipy.special import ndtr, ndtri, pdtr

from measurand._result import ConfidenceInterval, Result
from measurand.errors import DegenerateDataWarning, InputError
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["AUCResult", "DegenerateDataWarning", "auc"]

CIMethod = Literal["delong", "bootstrap"]
BootstrapMethod = Literal["percentile", "bca", "basic"]

_CI_METHODS = ("delong", "bootstrap")
_BOOTSTRAP_METHODS = ("percentile", "bca", "basic")

# Temporaries of one chunk of resamples: far under a 50 MB memory bound, and cache-sized
# chunks measured fastest.
_CHUNK_BYTES = 8_000_000
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
    """Scores sorted once and collapsed to distinct values (ascending).

    ``pos_counts[g]`` / ``neg_counts[g]`` count the positives / negatives whose score is the
    g-th smallest distinct value. ``order`` sorts the observations, ``group_starts`` are the
    sorted positions where each group begins, ``is_pos`` is the label in input order.
    """

    pos_counts: np.ndarray
    neg_counts: np.ndarray
    order: np.ndarray
    group_starts: np.ndarray
    is_pos: np.ndarray

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
    order = np.argsort(score, kind="stable")
    sorted_score = score[order]
    starts_group = np.empty(score.size, dtype=bool)
    starts_group[:1] = True
    np.not_equal(sorted_score[1:], sorted_score[:-1], out=starts_group[1:])
    group_starts = np.flatnonzero(starts_group)
    group_of_sorted = np.cumsum(starts_group) - 1
    n_groups = group_starts.size
    sorted_is_pos = is_pos[order]
    pos_counts = np.bincount(group_of_sorted[sorted_is_pos], minlength=n_groups)
    neg_counts = np.bincount(group_of_sorted[~sorted_is_pos], minlength=n_groups)
    return _TieGroups(
        pos_counts=pos_counts.astype(np.int64),
        neg_counts=neg_counts.astype(np.int64),
        order=order,
        group_starts=group_starts,
        is_pos=is_pos,
    )


def _group_weights(groups: _TieGroups, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum observation weights ``(batch, n)`` (input order) into positive and negative weights
    per tie group, each ``(batch, n_groups)``."""
    weights = np.atleast_2d(weights)
    sorted_weights = weights[:, groups.order]
    sorted_is_pos = groups.is_pos[groups.order]
    zero = np.zeros((), dtype=sorted_weights.dtype)
    pos = np.add.reduceat(np.where(sorted_is_pos, sorted_weights, zero), groups.group_starts, 1)
    neg = np.add.reduceat(np.where(sorted_is_pos, zero, sorted_weights), groups.group_starts, 1)
    return pos, neg


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
    The acceleration is scipy.stats.bootstrap's (Efron & Tibshirani 1993, eq. 14.15, extended
    to several independently resampled samples): with ``U = (n_j - 1)(mean_j - theta_ji)``,
    ``a = sum_j sum_i U^3 / n_j^3 / (6 (sum_j sum_i U^2 / n_j^2)^(3/2))``. Unstratified
    resampling is one sample of all observations, stratified resampling two (the classes).
    A class of one observation has no leave-one-out value and is left out; zero spread gives 0.
    """
    v10, v01 = _placements(groups)
    n_pos, n_neg = groups.n_pos, groups.n_neg
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    if n_pos > 1:
        pieces.append(((n_pos * statistic - v10) / (n_pos - 1), groups.pos_counts))
    if n_neg > 1:
        pieces.append(((n_neg * statistic - v01) / (n_neg - 1), groups.neg_counts))
    if not pieces:
        return 0.0
    if not stratified:
        pieces = [
            (
                np.concatenate([values for values, _ in pieces]),
                np.concatenate([counts for _, counts in pieces]),
            )
        ]
    numerator = 0.0
    denominator = 0.0
    for values, counts in pieces:
        n = float(counts.sum())
        u = (n - 1) * (float(counts @ values) / n - values)
        numerator += float(counts @ u**3) / n**3
        denominator += float(counts @ u**2) / n**2
    if denominator <= 0:
        return 0.0
    return numerator / (6 * denominator**1.5)


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


def _bootstrap_interval(
    distribution: np.ndarray,
    statistic: float,
    method: str,
    confidence_level: float,
    acceleration: float,
) -> ConfidenceInterval:
    """Percentile, basic or BCa interval from the valid bootstrap AUCs (as in
    scipy.stats.bootstrap: linear-interpolated quantiles; BCa's bias correction uses the
    mid-rank share of resamples below the estimate, ``z0 = Phi^-1((#< + #<=) / 2B)``)."""
    tail = (1 - confidence_level) / 2
    if method == "percentile":
        low, high = np.quantile(distribution, [tail, 1 - tail])
    elif method == "basic":
        q_low, q_high = np.quantile(distribution, [tail, 1 - tail])
        low, high = 2 * statistic - q_high, 2 * statistic - q_low
    else:
        below = np.count_nonzero(distribution < statistic)
        at_or_below = np.count_nonzero(distribution <= statistic)
        z0 = float(ndtri((below + at_or_below) / (2 * distribution.size)))
        if not math.isfinite(z0):
            warnings.warn(
                "BCa interval undefined: every bootstrap AUC lies on one side of the estimate; "
                "the interval is NaN (use method='percentile').",
                DegenerateDataWarning,
                stacklevel=3,
            )
            return ConfidenceInterval(math.nan, math.nan)
        z = ndtri(np.array([tail, 1 - tail]))
        shifted = z0 + z
        probabilities = ndtr(z0 + shifted / (1 - acceleration * shifted))
        low, high = np.quantile(distribution, probabilities)
    return ConfidenceInterval(float(np.clip(low, 0.0, 1.0)), float(np.clip(high, 0.0, 1.0)))


def _as_score(score: object) -> np.ndarray:
    values = np.asarray(score)
    if values.ndim != 1:
        raise InputError(f"score must be one-dimensional, got shape {values.shape}", source="score")
    if values.dtype.kind == "b":
        values = values.astype(np.int8)
    elif values.dtype.kind not in "iuf":
        raise InputError(f"score must be numeric, got dtype {values.dtype}", source="score")
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
    ci: str | None,
    method: str,
    n_resamples: int,
    confidence_level: float,
) -> None:
    if ci is not None and ci not in _CI_METHODS:
        raise InputError(f"ci must be None, 'delong' or 'bootstrap', got {ci!r}", source="ci")
    if method not in _BOOTSTRAP_METHODS:
        raise InputError(
            f"method must be 'percentile', 'bca' or 'basic', got {method!r}", source="method"
        )
    if ci == "bootstrap" and (
        isinstance(n_resamples, bool | np.bool_)
        or not isinstance(n_resamples, int | np.integer)
        or n_resamples < 1
    ):
        raise InputError(
            f"n_resamples must be a positive integer, got {n_resamples!r}", source="n_resamples"
        )
    if ci is not None and not (
        isinstance(confidence_level, int | float | np.number) and 0 < float(confidence_level) < 1
    ):
        raise InputError(
            f"confidence_level must lie strictly between 0 and 1, got {confidence_level!r}",
            source="confidence_level",
        )


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
    _check_options(ci, method, n_resamples, confidence_level)
    score_values = _as_score(score)
    is_pos = _as_positive_mask(label, score_values.size)
    groups = _tie_groups(score_values, is_pos)
    n_pos, n_neg = groups.n_pos, groups.n_neg
    n_tied_pairs = int(groups.pos_counts @ groups.neg_counts)
    bootstrap = ci == "bootstrap"
    common = {
        "n_pos": n_pos,
        "n_neg": n_neg,
        "n_tied_pairs": n_tied_pairs,
        "ci_method": ci,
        "bootstrap_method": method if bootstrap else None,
        "stratified": bool(stratified) if bootstrap else False,
        "n_resamples": int(n_resamples) if bootstrap else None,
        "confidence_level": float(confidence_level) if ci is not None else None,
    }
    nan_interval = ConfidenceInterval(math.nan, math.nan) if ci is not None else None

    if n_pos == 0 or n_neg == 0:
        warnings.warn(
            f"AUC undefined: {n_pos} positive and {n_neg} negative observation(s); "
            "both classes are needed. The AUC is NaN.",
            DegenerateDataWarning,
            stacklevel=2,
        )
        return AUCResult(
            statistic=math.nan,
            confidence_interval=nan_interval,
            standard_error=math.nan if ci is not None else None,
            n_invalid=int(n_resamples) if bootstrap else None,
            **common,
        )

    statistic = float(_weighted_auc(groups.pos_counts, groups.neg_counts))

    if ci is None:
        return AUCResult(
            statistic=statistic,
            confidence_interval=None,
            standard_error=None,
            n_invalid=None,
            **common,
        )

    if ci == "delong":
        if n_pos < 2 or n_neg < 2:
            warnings.warn(
                f"DeLong standard error undefined with {n_pos} positive and {n_neg} negative "
                "observation(s) (needs 2 per class); the interval is NaN.",
                DegenerateDataWarning,
                stacklevel=2,
            )
            return AUCResult(
                statistic=statistic,
                confidence_interval=nan_interval,
                standard_error=math.nan,
                n_invalid=None,
                **common,
            )
        standard_error = _delong_standard_error(groups, statistic)
        half_width = float(ndtri(0.5 + confidence_level / 2)) * standard_error
        interval = ConfidenceInterval(
            max(0.0, statistic - half_width), min(1.0, statistic + half_width)
        )
        return AUCResult(
            statistic=statistic,
            confidence_interval=interval,
            standard_error=standard_error,
            n_invalid=None,
            **common,
        )

    rng = as_generator(seed)
    distribution = _bootstrap_distribution(groups, int(n_resamples), rng, bool(stratified))
    valid = distribution[~np.isnan(distribution)]
    n_invalid = int(n_resamples) - valid.size
    if valid.size == 0:
        warnings.warn(
            f"all {n_resamples} bootstrap resamples lacked a class; the interval is NaN "
            "(use stratified=True).",
            DegenerateDataWarning,
            stacklevel=2,
        )
        return AUCResult(
            statistic=statistic,
            confidence_interval=nan_interval,
            standard_error=math.nan,
            n_invalid=n_invalid,
            **common,
        )
    if n_invalid:
        warnings.warn(
            f"{n_invalid} of {n_resamples} bootstrap resamples lacked a class and were dropped; "
            "the interval conditions on both classes being drawn (stratified=True avoids this).",
            DegenerateDataWarning,
            stacklevel=2,
        )
    acceleration = (
        _jackknife_acceleration(groups, statistic, bool(stratified)) if method == "bca" else 0.0
    )
    interval = _bootstrap_interval(valid, statistic, method, confidence_level, acceleration)
    standard_error = float(np.std(valid, ddof=1)) if valid.size > 1 else math.nan
    return AUCResult(
        statistic=statistic,
        confidence_interval=interval,
        standard_error=standard_error,
        n_invalid=n_invalid,
        **common,
    )
