"""The statistics of one comparison: intervals, effect sizes, power, verdict, random streams."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence

import numpy as np

from measurand._result import ConfidenceInterval
from measurand.compare._options import PairOptions
from measurand.compare._prepare import Arm
from measurand.errors import InputError, NoSolutionError
from measurand.stats import bootstrap, cohens_d, power_t_test
from measurand.stats._effect import _hedges_correction
from measurand.stats._rng import SeedLike, keyed_sequence, root_sequence
from measurand.stats._validate import CHUNK_BYTES

UNIT_SEED = "seed"
UNIT_POOLED = "step (pseudo-replicated)"
# Bytes of the (resamples x seeds x steps) arrays held at once by the hierarchical bootstrap.
_CHUNK_BYTES = CHUNK_BYTES
NAN_CI = ConfidenceInterval(math.nan, math.nan)


def root_or_generator(seed: SeedLike) -> np.random.SeedSequence | np.random.Generator:
    """The root sequence of ``seed`` (:func:`measurand.stats._rng.root_sequence`); a Generator
    passes through and is then used as is, in order, by every comparison."""
    if isinstance(seed, np.random.Generator):
        return seed
    return root_sequence(seed)


def pair_streams(
    base: np.random.SeedSequence | np.random.Generator, *labels: str
) -> tuple[np.random.Generator, np.random.Generator]:
    """(bootstrap, permutation) generators for one comparison.

    From an integer seed each comparison gets its own child sequence keyed by its labels
    (:func:`measurand.stats._rng.keyed_sequence`), so its numbers do not depend on which other
    metrics, tasks or pairs are analysed in the same call: ``compare_all`` reproduces
    ``significance`` exactly. A Generator is used as is, in order.
    """
    if isinstance(base, np.random.Generator):
        return base, base
    boot, perm = keyed_sequence(base, *labels).spawn(2)
    return np.random.default_rng(boot), np.random.default_rng(perm)


def mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def hierarchical_means(
    steps: Sequence[np.ndarray], n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Two-stage bootstrap of the mean of seed means: ``n_resamples`` values.

    Each resample draws the seeds with replacement, then, for every drawn seed, as many of its
    window values as it has, with replacement; the statistic is the mean over drawn seeds of
    their resampled means. Vectorized over resamples in chunks of about 50 MB.
    """
    lengths = np.array([s.size for s in steps])
    n_seeds, width = lengths.size, int(lengths.max())
    packed = np.zeros((n_seeds, width))
    for k, values in enumerate(steps):
        packed[k, : values.size] = values
    columns = np.arange(width)
    rows = max(1, _CHUNK_BYTES // (32 * n_seeds * width))
    out = np.empty(n_resamples)
    for first in range(0, n_resamples, rows):
        count = min(rows, n_resamples - first)
        drawn = rng.integers(0, n_seeds, size=(count, n_seeds))
        drawn_lengths = lengths[drawn]
        offsets = (rng.random((count, n_seeds, width)) * drawn_lengths[..., None]).astype(np.intp)
        values = packed[drawn[..., None], offsets]
        values *= columns < drawn_lengths[..., None]
        seed_means = values.sum(axis=-1) / drawn_lengths
        out[first : first + count] = seed_means.mean(axis=-1)
    return out


def difference_interval(
    candidate: Arm,
    baseline: Arm,
    x_candidate: np.ndarray,
    x_baseline: np.ndarray,
    options: PairOptions,
    rng: np.random.Generator,
    notes: list[str],
) -> ConfidenceInterval:
    level = options.confidence_level
    if options.hierarchical:
        assert candidate.steps is not None and baseline.steps is not None
        distribution = hierarchical_means(
            candidate.steps, options.n_resamples, rng
        ) - hierarchical_means(baseline.steps, options.n_resamples, rng)
        tail = (1.0 - level) / 2.0
        low, high = np.quantile(distribution, [tail, 1.0 - tail])
        return ConfidenceInterval(float(low), float(high))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = bootstrap(
            (x_candidate, x_baseline),
            mean_difference,
            n_resamples=options.n_resamples,
            method=options.ci_method,
            confidence_level=level,
            seed=rng,
        )
    notes.extend(f"bootstrap: {w.message}" for w in caught)
    return result.confidence_interval


def effect_sizes(
    x_candidate: np.ndarray, x_baseline: np.ndarray, level: float, notes: list[str]
) -> tuple[float, ConfidenceInterval, float, ConfidenceInterval]:
    try:
        d = cohens_d(x_candidate, x_baseline, confidence_level=level)
    except (InputError, NoSolutionError) as error:
        notes.append(f"effect size not computed: {error}")
        return math.nan, NAN_CI, math.nan, NAN_CI
    # Hedges' g and its interval are d and d's interval times J(df) (what hedges_g returns);
    # scaling d's interval avoids inverting the noncentral t a second time.
    correction = _hedges_correction(d.df)
    low, high = d.confidence_interval
    g_ci = ConfidenceInterval(correction * low, correction * high)
    return d.statistic, d.confidence_interval, correction * d.statistic, g_ci


@functools.lru_cache(maxsize=256)
def detectable_effect_size(n: float, power: float, alpha: float) -> float:
    # Depends on the sizes only, so all pairs of a balanced campaign share one root search.
    return power_t_test(n=n, power=power, alpha=alpha).effect_size


def power_figures(
    d: float,
    pooled_sd: float,
    n_baseline: int,
    n_candidate: int,
    min_effect: float | None,
    options: PairOptions,
    unit: str,
    notes: list[str],
) -> tuple[float, int | None, int | None, float, float]:
    """(power at d, n per arm at d, n per arm at min_effect, mde, mde in d units)."""
    n = 2.0 * n_baseline * n_candidate / (n_baseline + n_candidate)
    alpha, target = options.alpha, options.power
    units = unit_noun(unit)
    if n_baseline != n_candidate:
        notes.append(
            f"unequal arms ({n_baseline} vs {n_candidate} {units}): power figures use their "
            f"harmonic mean n = {n:.3g} per arm"
        )
    observed = needed = needed_min = None
    mde_d = math.nan
    try:
        mde_d = detectable_effect_size(n, target, alpha)
    except NoSolutionError as error:
        notes.append(f"minimum detectable effect not computed: {error}")
    if math.isfinite(d):
        observed = power_t_test(effect_size=d, n=n, alpha=alpha).power
        try:
            needed = power_t_test(effect_size=abs(d), power=target, alpha=alpha).n_ceil
        except NoSolutionError as error:
            notes.append(f"{units} per arm at the observed effect not computed: {error}")
    needed = _at_least_attainable(needed, options, units, "the observed effect", notes)
    if min_effect is not None:
        if pooled_sd > 0 and math.isfinite(pooled_sd):
            try:
                needed_min = power_t_test(
                    effect_size=min_effect / pooled_sd, power=target, alpha=alpha
                ).n_ceil
            except NoSolutionError as error:
                notes.append(f"{units} per arm at min_effect not computed: {error}")
        else:
            notes.append(f"{units} per arm at min_effect not computed: the pooled sd is not > 0")
        needed_min = _at_least_attainable(needed_min, options, units, "min_effect", notes)
    mde = mde_d * pooled_sd if math.isfinite(pooled_sd) else math.nan
    return (math.nan if observed is None else observed), needed, needed_min, mde, mde_d


def _at_least_attainable(
    needed: int | None, options: PairOptions, units: str, what: str, notes: list[str]
) -> int | None:
    """``needed`` raised to the fewest units per arm at which the permutation test can reach
    ``p < alpha`` at all: the t-test sample size alone may advise 2 or 3 seeds per arm, where no
    relabeling can give a significant permutation p."""
    if needed is None:
        return None
    floor = fewest_per_arm(options.alpha, options.n_permutations)
    if floor is None or needed >= floor:
        return needed
    notes.append(
        f"{units} per arm at {what} raised from {needed} (t-test power) to {floor}, the fewest "
        f"with which the permutation test can reach p < {options.alpha:g}"
    )
    return floor


def _balanced_relabelings(n: int, n_permutations: int) -> tuple[bool, int]:
    """(exact, relabelings) of the permutation test with ``n`` units in each arm."""
    total = math.comb(2 * n, n)
    return (True, total) if total <= n_permutations else (False, n_permutations)


@functools.lru_cache(maxsize=64)
def fewest_per_arm(alpha: float, n_permutations: int) -> int | None:
    """The fewest units per arm (equal arms) at which the two-sided permutation test can give
    ``p < alpha`` (:func:`smallest_pvalue` below alpha); None when no n up to 1,000 can."""
    for n in range(2, 1001):
        if smallest_pvalue(*_balanced_relabelings(n, n_permutations)) < alpha:
            return n
    return None


def decide_verdict(
    pvalue: float, ci: ConfidenceInterval, delta: float, alpha: float, higher: bool
) -> str:
    if not (math.isfinite(pvalue) and pvalue < alpha):
        return "insufficient_evidence"
    if ci.low > 0 and delta > 0:
        return "significant_improvement" if higher else "significant_degradation"
    if ci.high < 0 and delta < 0:
        return "significant_degradation" if higher else "significant_improvement"
    return "insufficient_evidence"


def smallest_pvalue(exact: bool, n_permutations: int) -> float:
    """The smallest two-sided permutation p-value attainable: ``2 / N`` over ``N`` enumerated
    relabelings, ``2 / (B + 1)`` from ``B`` Monte Carlo ones (two-sided p doubles the smaller
    tail). When it is ``>= alpha`` no data can give a significant result."""
    return 2.0 / (n_permutations if exact else n_permutations + 1)


def unit_noun(unit: str) -> str:
    return "seeds" if unit == UNIT_SEED else "steps"


def sample_sd(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if values.size >= 2 else math.nan
