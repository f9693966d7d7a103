"""AUC, DeLong and bootstrap intervals against scikit-learn, scipy and published pROC output."""

from __future__ import annotations

import math
import types
import warnings

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from measurand.errors import InputError
from measurand.stats import AUCResult, auc
from measurand.stats import _auc as auc_module
from measurand.stats._auc import (
    DegenerateDataWarning,
    _bootstrap_distribution,
    _bootstrap_interval,
    _CellCountSampler,
    _jackknife_acceleration,
    _tie_groups,
    _weighted_auc,
)
from measurand.stats._rng import as_generator


def _binormal(n: int, shift: float, seed: int, decimals: int | None = None):
    rng = np.random.default_rng(seed)
    label = rng.random(n) < 0.5
    score = rng.normal(size=n) + shift * label
    if decimals is not None:
        score = np.round(score, decimals)
    return score, label


def _delong_by_definition(score: np.ndarray, label: np.ndarray) -> tuple[float, float]:
    """DeLong et al. (1988) written out with the full n_pos x n_neg kernel matrix."""
    pos, neg = score[label], score[~label]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10 = psi.mean(axis=1)
    v01 = psi.mean(axis=0)
    return float(psi.mean()), float(v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size)


def _naive_bootstrap(score, label, n_resamples, seed, stratified=False):
    """Index resampling, each resample re-ranked by scipy.stats.rankdata (Mann-Whitney U)."""
    rng = np.random.default_rng(seed)
    n = score.size
    if stratified:
        pos_idx, neg_idx = np.flatnonzero(label), np.flatnonzero(~label)
        idx = np.concatenate(
            [
                pos_idx[rng.integers(0, pos_idx.size, (n_resamples, pos_idx.size))],
                neg_idx[rng.integers(0, neg_idx.size, (n_resamples, neg_idx.size))],
            ],
            axis=1,
        )
    else:
        idx = rng.integers(0, n, (n_resamples, n))
    ranks = scipy.stats.rankdata(score[idx], axis=1)
    is_pos = label[idx]
    n_pos = is_pos.sum(axis=1)
    n_neg = n - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((ranks * is_pos).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


# --- the point estimate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "shift", "decimals"),
    [(500, 1.0, 1), (2000, 0.3, 0), (300, 2.0, None), (50, 0.0, 2), (4000, 1.5, 1)],
)
def test_auc_equals_sklearn_roc_auc_score_on_tied_data(n, shift, decimals):
    score, label = _binormal(n, shift, seed=n, decimals=decimals)
    result = auc(score, label)
    assert result.statistic == pytest.approx(roc_auc_score(label, score), abs=1e-12)
    assert result.value == result.statistic
    assert (result.n_pos, result.n_neg) == (int(label.sum()), int((~label).sum()))
    pos, neg = score[label], score[~label]
    assert result.n_tied_pairs == int((pos[:, None] == neg[None, :]).sum())


def test_auc_all_scores_tied_is_one_half_and_integer_scores_work():
    label = np.array([1, 0, 1, 0, 0])
    assert auc(np.full(5, 3.0), label).statistic == 0.5
    integer_score = np.array([3, 1, 2, 2, 0])
    assert auc(integer_score, label).statistic == pytest.approx(
        roc_auc_score(label, integer_score), abs=1e-15
    )


def test_label_encodings_agree():
    score, label = _binormal(200, 1.0, seed=3, decimals=1)
    reference = auc(score, label).statistic
    assert auc(score, label.astype(int)).statistic == reference
    assert auc(score, label.astype(float)).statistic == reference
    assert auc(score.tolist(), label.tolist()).statistic == reference


def test_orientation_higher_score_predicts_positive_and_negation_flips():
    score = np.array([0.1, 0.2, 0.8, 0.9])
    label = np.array([0, 0, 1, 1])
    assert auc(score, label).statistic == 1.0
    assert auc(-score, label).statistic == 0.0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-4, max_value=4), st.booleans()),
        min_size=2,
        max_size=40,
    ).filter(lambda rows: 0 < sum(lab for _, lab in rows) < len(rows))
)
def test_property_matches_sklearn_and_negation_gives_complement(rows):
    score = np.array([s for s, _ in rows], dtype=float) / 3
    label = np.array([lab for _, lab in rows])
    value = auc(score, label).statistic
    assert value == pytest.approx(roc_auc_score(label, score), abs=1e-12)
    assert auc(-score, label).statistic == pytest.approx(1 - value, abs=1e-12)
    assert auc(np.exp(score), label).statistic == value  # rank-based: monotone invariant


# --- degenerate and invalid input -----------------------------------------------------------


@pytest.mark.parametrize("ci", [None, "delong", "bootstrap"])
def test_empty_class_gives_nan_and_warns(ci):
    with pytest.warns(DegenerateDataWarning, match="both classes"):
        result = auc([0.1, 0.4, 0.3], [1, 1, 1], ci=ci, n_resamples=50, seed=0)
    assert math.isnan(result.statistic)
    assert (result.n_pos, result.n_neg) == (3, 0)
    if ci is None:
        assert result.confidence_interval is None
    else:
        assert all(math.isnan(v) for v in result.confidence_interval)
    assert issubclass(DegenerateDataWarning, RuntimeWarning)


@pytest.mark.parametrize(
    ("score", "label", "kwargs", "match"),
    [
        ([0.1, np.nan, 0.3], [0, 1, 1], {}, "NaN or infinite"),
        ([0.1, np.inf, 0.3], [0, 1, 1], {}, "NaN or infinite"),
        ([0.1, 0.2, 0.3], [0, 1], {}, "differ in length"),
        ([0.1, 0.2, 0.3], [0, 1, 2], {}, "boolean or 0/1"),
        ([0.1, 0.2, 0.3], [0, 1, np.nan], {}, "boolean or 0/1"),
        ([0.1, 0.2, 0.3], ["a", "b", "a"], {}, "boolean or 0/1"),
        (["a", "b", "c"], [0, 1, 1], {}, "numeric"),
        ([[0.1, 0.2], [0.3, 0.4]], [0, 1], {}, "one-dimensional"),
        ([0.1, 0.2, 0.3], [0, 1, 1], {"ci": "wald"}, "ci must be"),
        ([0.1, 0.2, 0.3], [0, 1, 1], {"method": "studentized"}, "method must be"),
        ([0.1, 0.2, 0.3], [0, 1, 1], {"ci": "bootstrap", "n_resamples": 0}, "n_resamples"),
        ([0.1, 0.2, 0.3], [0, 1, 1], {"ci": "bootstrap", "n_resamples": 2.5}, "n_resamples"),
        ([0.1, 0.2, 0.3], [0, 1, 1], {"ci": "delong", "confidence_level": 1.0}, "confidence"),
        ([0.1, 0.2, 0.3], [0, 1, 1], {"ci": "delong", "confidence_level": 95}, "confidence"),
    ],
)
def test_invalid_input_raises_input_error(score, label, kwargs, match):
    with pytest.raises(InputError, match=match):
        auc(score, label, **kwargs)


# --- DeLong -----------------------------------------------------------------------------------

# pROC::aSAH (Turck et al. 2010, Intensive Care Med 36:107; shipped with R's pROC): outcome
# == "Poor" is the positive class (41 of 113), s100b / wfns / ndka are the markers.
_ASAH_POOR = [
    0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0,
    0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0,
    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0,
    0,
]  # fmt: skip
_ASAH_S100B = [
    0.13, 0.14, 0.1, 0.04, 0.13, 0.1, 0.47, 0.16, 0.18, 0.1, 0.12, 0.1, 0.44, 0.71,
    0.04, 0.08, 0.49, 0.04, 0.07, 0.33, 0.09, 0.09, 0.07, 0.11, 0.07, 0.17, 0.07, 0.11,
    0.13, 0.19, 0.05, 0.16, 0.41, 0.14, 0.34, 0.35, 0.48, 0.09, 0.96, 0.25, 0.5, 0.46,
    0.16, 0.07, 0.43, 0.45, 0.11, 0.08, 0.09, 0.86, 0.52, 0.08, 0.06, 0.13, 2.07, 0.1,
    0.14, 0.15, 0.07, 0.06, 0.77, 0.05, 0.09, 0.3, 0.03, 0.09, 0.04, 0.23, 0.7, 0.09,
    0.27, 0.71, 0.08, 0.26, 0.08, 0.16, 0.09, 0.13, 0.1, 0.08, 0.11, 0.33, 0.11, 0.28,
    0.07, 0.1, 0.32, 0.22, 0.07, 0.05, 0.24, 0.38, 0.1, 0.15, 0.08, 0.14, 0.1, 0.07,
    0.04, 0.19, 0.56, 0.14, 0.58, 0.32, 0.82, 0.74, 0.15, 0.47, 0.17, 0.44, 0.15, 0.5,
    0.48,
]  # fmt: skip
_ASAH_WFNS = [
    1, 1, 1, 1, 3, 2, 5, 4, 1, 2, 5, 2, 5, 5, 1, 2, 5, 2, 2, 5, 2, 1, 1, 1, 1, 2, 1, 2,
    1, 1, 3, 4, 2, 1, 4, 5, 4, 1, 4, 2, 5, 5, 1, 1, 2, 4, 1, 1, 2, 5, 5, 2, 1, 2, 5, 1,
    2, 2, 2, 1, 5, 1, 1, 2, 5, 2, 1, 4, 5, 2, 4, 4, 1, 4, 1, 2, 1, 4, 2, 1, 2, 3, 2, 4,
    2, 1, 4, 5, 1, 1, 5, 4, 2, 2, 1, 1, 1, 3, 1, 2, 5, 2, 2, 5, 5, 5, 2, 4, 4, 5, 1, 1,
    1,
]  # fmt: skip
_ASAH_NDKA = [
    3.01, 8.54, 8.09, 10.42, 17.4, 12.75, 6.0, 13.2, 15.54, 6.01, 15.96, 17.86, 5.18,
    8.9, 13.41, 20.75, 11.6, 16.11, 32.37, 54.82, 32.41, 49.94, 40.34, 9.47, 6.29,
    12.53, 6.54, 6.3, 80.3, 12.8, 9.8, 9.81, 9.85, 18.21, 5.03, 14.04, 21.93, 8.02,
    7.42, 8.38, 6.59, 9.63, 13.12, 7.96, 14.34, 41.43, 7.63, 7.06, 12.59, 13.56, 3.87,
    9.44, 7.66, 12.98, 419.19, 27.19, 22.27, 9.95, 21.22, 11.73, 10.4, 58.83, 6.39,
    11.09, 12.22, 13.67, 17.21, 22.63, 12.9, 9.7, 21.57, 8.23, 72.57, 15.54, 10.51,
    10.6, 14.57, 5.19, 9.63, 4.61, 21.48, 17.3, 12.71, 9.44, 11.07, 19.46, 10.83, 5.37,
    11.97, 7.75, 9.83, 10.55, 28.49, 8.53, 12.57, 12.9, 46.83, 11.68, 12.67, 9.01, 9.57,
    34.06, 11.72, 14.26, 47.61, 11.67, 24.58, 10.33, 13.87, 15.89, 22.43, 6.79, 13.45,
]  # fmt: skip


def test_delong_reproduces_published_proc_output_on_asah():
    # pROC's documented example: roc(aSAH$outcome, aSAH$s100b, ci=TRUE) prints
    # "Area under the curve: 0.7314" and "95% CI: 0.6301-0.8326 (DeLong)".
    result = auc(_ASAH_S100B, _ASAH_POOR, ci="delong")
    assert (result.n_pos, result.n_neg) == (41, 72)
    assert round(result.statistic, 4) == 0.7314
    low, high = result.confidence_interval
    assert (round(low, 4), round(high, 4)) == (0.6301, 0.8326)


@pytest.mark.parametrize(
    ("marker", "proc_auc", "proc_var"),
    [
        # pROC 1.19.1 (R 4.4.1): r <- roc(y, x, levels=c(0,1), direction="<");
        # format(auc(r), digits=17); format(var(r, method="delong"), digits=17).
        (_ASAH_S100B, 0.73136856368563685, 0.0026686824571724378),
        (_ASAH_WFNS, 0.82367886178861793, 0.0014699147088236264),  # 5-level score: ties
        (_ASAH_NDKA, 0.61195799457994582, 0.0031908105493913021),
    ],
)
def test_delong_variance_matches_proc_to_full_precision(marker, proc_auc, proc_var):
    result = auc(marker, _ASAH_POOR, ci="delong")
    assert result.statistic == pytest.approx(proc_auc, rel=1e-14)
    assert result.standard_error**2 == pytest.approx(proc_var, rel=1e-12)
    score, label = np.asarray(marker, float), np.asarray(_ASAH_POOR) == 1
    definition_auc, definition_var = _delong_by_definition(score, label)
    assert result.statistic == pytest.approx(definition_auc, abs=1e-12)
    assert result.standard_error**2 == pytest.approx(definition_var, rel=1e-12)


@pytest.mark.parametrize(
    ("n", "shift", "decimals", "level"),
    [(300, 1.0, 1, 0.95), (120, 0.4, 0, 0.9), (800, 1.2, None, 0.99), (60, 3.0, 1, 0.95)],
)
def test_delong_matches_direct_placements_and_normal_interval(n, shift, decimals, level):
    score, label = _binormal(n, shift, seed=n + 1, decimals=decimals)
    result = auc(score, label, ci="delong", confidence_level=level)
    definition_auc, definition_var = _delong_by_definition(score, label)
    assert result.statistic == pytest.approx(definition_auc, abs=1e-12)
    assert result.standard_error == pytest.approx(math.sqrt(definition_var), rel=1e-12)
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    low = max(0.0, definition_auc - z * math.sqrt(definition_var))
    high = min(1.0, definition_auc + z * math.sqrt(definition_var))
    assert result.confidence_interval == pytest.approx((low, high), abs=1e-12)
    assert result.ci_method == "delong" and result.confidence_level == level


def test_delong_perfect_separation_has_zero_width_and_single_positive_warns():
    perfect = auc([0.1, 0.2, 0.3, 0.7, 0.8], [0, 0, 0, 1, 1], ci="delong")
    assert perfect.statistic == 1.0
    assert perfect.standard_error == 0.0
    assert perfect.confidence_interval == (1.0, 1.0)
    with pytest.warns(DegenerateDataWarning, match="needs 2 per class"):
        lonely = auc([0.1, 0.2, 0.3, 0.7], [0, 0, 0, 1], ci="delong")
    assert lonely.statistic == 1.0 and math.isnan(lonely.standard_error)


def test_delong_interval_covers_the_true_binormal_auc():
    # Binormal with unit variances and mean shift d: true AUC = Phi(d / sqrt(2)).
    shift = 1.0
    true_auc = scipy.stats.norm.cdf(shift / math.sqrt(2))
    repeats = 1000
    covered = 0
    for seed in range(repeats):
        score, label = _binormal(150, shift, seed=10_000 + seed)
        low, high = auc(score, label, ci="delong").confidence_interval
        covered += low <= true_auc <= high
    # Monte Carlo SE of the rate is ~0.007; DeLong is slightly liberal at n = 150.
    assert 0.925 <= covered / repeats <= 0.97


# --- the weighted AUC behind the bootstrap ------------------------------------------------


def _group_weights(score, label, weights):
    """Observation weights ``(batch, n)`` summed per (tie group, class): ``(pos, neg)``."""
    _, group = np.unique(score, return_inverse=True)
    n_groups = group.max() + 1
    per_class = []
    for members in (label, ~label):
        cells = group[members] + n_groups * np.arange(weights.shape[0])[:, None]
        per_class.append(
            np.bincount(cells.ravel(), weights[:, members].ravel(), len(weights) * n_groups)
            .reshape(len(weights), n_groups)
            .astype(np.int64)
        )
    return per_class[0], per_class[1]


@pytest.mark.parametrize("decimals", [0, 1, None])
def test_weights_from_explicit_index_draws_give_the_resample_auc_exactly(decimals):
    score, label = _binormal(250, 0.8, seed=7, decimals=decimals)
    groups = _tie_groups(score, label)
    rng = np.random.default_rng(11)
    draws = rng.integers(0, score.size, size=(40, score.size))
    weights = np.stack([np.bincount(row, minlength=score.size) for row in draws])
    pos_weights, neg_weights = _group_weights(score, label, weights)
    assert pos_weights.shape[1] == groups.n_groups
    weighted = _weighted_auc(pos_weights, neg_weights)
    expected = [roc_auc_score(label[row], score[row]) for row in draws]
    np.testing.assert_allclose(weighted, expected, rtol=0, atol=1e-12)
    # Unit weights give the sample AUC.
    unit = _weighted_auc(*_group_weights(score, label, np.ones((1, score.size), dtype=np.int64)))
    assert unit[0] == pytest.approx(roc_auc_score(label, score), abs=1e-12)


def test_weighted_auc_is_nan_when_a_class_has_no_weight():
    pos = np.array([[0, 0, 0], [1, 0, 2]])
    neg = np.array([[2, 1, 0], [0, 0, 0]])
    assert np.isnan(_weighted_auc(pos, neg)).all()


@pytest.mark.parametrize(
    ("cell_sizes", "poissonized"),
    [
        (np.array([500, 300, 200]), True),  # few cells
        (np.array([100_000, 3, 50, 1]), True),  # one huge cell, long Poisson table
        (np.repeat([10, 20, 30, 40], 25), True),
        (np.ones(400, dtype=np.int64), False),  # one observation per cell: index draws
        (np.repeat([1, 2, 3, 4], 50), False),  # many small cells
    ],
)
def test_cell_counts_follow_the_multinomial_law(cell_sizes, poissonized):
    sampler = _CellCountSampler(cell_sizes)
    assert sampler.poissonized == poissonized
    n = int(cell_sizes.sum())
    n_rows = 4000
    counts = sampler.draw(np.random.default_rng(5), n_rows)
    assert counts.shape == (n_rows, cell_sizes.size) and counts.dtype == np.int64
    assert (counts.sum(axis=1) == n).all() and (counts >= 0).all()
    p = cell_sizes / n
    # Multinomial(n, p): mean n p, variance n p (1 - p), covariance -n p_i p_j.
    mean_z = (counts.mean(axis=0) - n * p) / np.sqrt(n * p * (1 - p) / n_rows)
    assert np.abs(mean_z).max() < 5
    variance_ratio = counts.var(axis=0, ddof=1) / (n * p * (1 - p))
    assert abs(variance_ratio.mean() - 1) < 0.05
    expected_covariance = -n * p[0] * p[1]
    covariance = np.cov(counts[:, 0], counts[:, 1])[0, 1]
    variances = n * p[:2] * (1 - p[:2])
    covariance_se = np.sqrt((variances.prod() + expected_covariance**2) / n_rows)
    assert abs(covariance - expected_covariance) < 5 * covariance_se


@pytest.mark.parametrize("cell_sizes", [np.array([2, 5, 3]), np.array([7, 1]), np.array([4])])
def test_poissonized_counts_match_the_exact_multinomial_pmf(cell_sizes):
    # Small n: the whole joint law can be checked cell by cell against scipy's pmf.
    sampler = _CellCountSampler(cell_sizes)
    assert sampler.poissonized
    n = int(cell_sizes.sum())
    n_rows = 40_000
    counts = sampler.draw(np.random.default_rng(6), n_rows)
    outcomes, observed = np.unique(counts, axis=0, return_counts=True)
    expected = scipy.stats.multinomial.pmf(outcomes, n, cell_sizes / n) * n_rows
    assert (counts.sum(axis=1) == n).all()
    if outcomes.shape[0] == 1:
        assert observed[0] == n_rows
        return
    # Pool outcomes expected fewer than 5 times, then a chi-square goodness-of-fit test.
    rare = expected < 5
    observed = np.append(observed[~rare], observed[rare].sum())
    expected = np.append(expected[~rare], n_rows - expected[~rare].sum())
    assert scipy.stats.chisquare(observed, expected).pvalue > 1e-3


def test_cell_counts_are_reproducible_for_a_seed():
    sampler = _CellCountSampler(np.array([50, 30, 20]))
    first = sampler.draw(np.random.default_rng(1), 100)
    again = sampler.draw(np.random.default_rng(1), 100)
    np.testing.assert_array_equal(first, again)


# --- the bootstrap distribution has the law of naive index resampling ---------------------


@pytest.mark.parametrize(
    ("decimals", "stratified"),
    [(1, False), (1, True), (None, False), (None, True)],  # multinomial / index-draw paths
)
def test_bootstrap_distribution_matches_naive_index_resampling(decimals, stratified):
    score, label = _binormal(300, 0.8, seed=21, decimals=decimals)
    groups = _tie_groups(score, label)
    cells = np.concatenate([groups.pos_counts, groups.neg_counts])
    assert _CellCountSampler(cells[cells > 0]).poissonized == (decimals is not None)
    ours = _bootstrap_distribution(groups, 20_000, as_generator(1), stratified)
    naive = _naive_bootstrap(score, label, 4000, seed=2, stratified=stratified)
    assert not np.isnan(ours).any() and not np.isnan(naive).any()
    sd = naive.std(ddof=1)
    # Monte Carlo SEs: mean sd*sqrt(1/4000 + 1/20000) ~ 0.017 sd; sd ~ 0.012 sd (relative);
    # 2.5 % / 97.5 % quantiles ~ 0.06 sd. Tolerances are ~5 SEs.
    assert abs(ours.mean() - naive.mean()) < 0.09 * sd
    assert ours.std(ddof=1) == pytest.approx(sd, rel=0.06)
    probabilities = [0.025, 0.25, 0.5, 0.75, 0.975]
    np.testing.assert_allclose(
        np.quantile(ours, probabilities), np.quantile(naive, probabilities), atol=0.3 * sd
    )
    # Centred on the sample AUC (the bootstrap bias of the AUC is ~0).
    assert abs(ours.mean() - roc_auc_score(label, score)) < 0.05 * sd


def test_bootstrap_distribution_is_complete_across_many_small_chunks(monkeypatch):
    score, label = _binormal(120, 0.8, seed=4, decimals=1)
    groups = _tie_groups(score, label)
    monkeypatch.setattr(auc_module, "_CHUNK_BYTES", 1)  # one resample per chunk
    distribution = _bootstrap_distribution(groups, 37, as_generator(0), False)
    assert distribution.shape == (37,) and np.isfinite(distribution).all()
    assert np.unique(distribution).size > 20
    assert abs(distribution.mean() - roc_auc_score(label, score)) < 0.03


# --- bootstrap intervals ----------------------------------------------------------------------


def _rank_auc(score, label, axis=-1):
    ranks = scipy.stats.rankdata(score, axis=axis)
    n_pos = label.sum(axis=axis)
    n_neg = label.shape[axis] - n_pos
    return ((ranks * label).sum(axis=axis) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _pairwise_auc(pos, neg, axis=-1):
    greater = pos[..., :, None] > neg[..., None, :]
    equal = pos[..., :, None] == neg[..., None, :]
    return (greater + 0.5 * equal).mean(axis=(-2, -1))


@pytest.mark.parametrize("method", ["percentile", "bca", "basic"])
@pytest.mark.parametrize("stratified", [False, True])
def test_interval_equals_scipy_bootstrap_on_the_same_distribution(method, stratified):
    score, label = _binormal(90, 0.7, seed=8, decimals=1)
    result = auc(
        score,
        label,
        ci="bootstrap",
        method=method,
        n_resamples=5000,
        stratified=stratified,
        seed=123,
    )
    # The same seed reproduces the distribution the interval was computed from; scipy computes
    # its interval (and, for BCa, its own jackknife) from that distribution.
    distribution = _bootstrap_distribution(
        _tie_groups(score, label), 5000, as_generator(123), stratified
    )
    previous = types.SimpleNamespace(bootstrap_distribution=distribution)
    if stratified:
        data, statistic = (score[label], score[~label]), _pairwise_auc
    else:
        data, statistic = (score, label.astype(float)), _rank_auc
    reference = scipy.stats.bootstrap(
        data,
        statistic,
        n_resamples=0,
        bootstrap_result=previous,
        method=method,
        paired=not stratified,
        vectorized=True,
    )
    expected = reference.confidence_interval
    assert 0 < expected.low < expected.high < 1  # no clipping in play
    assert result.confidence_interval == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert result.standard_error == pytest.approx(np.std(distribution, ddof=1), rel=1e-12)
    assert (result.n_resamples, result.n_invalid) == (5000, 0)
    assert (result.bootstrap_method, result.stratified) == (method, stratified)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_interval_agrees_with_scipy_bootstrap_within_monte_carlo_error(method):
    score, label = _binormal(80, 0.8, seed=9, decimals=1)
    result = auc(score, label, ci="bootstrap", method=method, n_resamples=10_000, seed=0)
    reference = scipy.stats.bootstrap(
        (score, label.astype(float)),
        _rank_auc,
        n_resamples=10_000,
        method=method,
        paired=True,
        vectorized=True,
        rng=np.random.default_rng(1),
    ).confidence_interval
    # Endpoint Monte Carlo SE ~0.027 sd per side at B = 10,000; 0.2 sd is ~5 SEs of the gap.
    tolerance = 0.2 * result.standard_error
    assert result.confidence_interval.low == pytest.approx(reference.low, abs=tolerance)
    assert result.confidence_interval.high == pytest.approx(reference.high, abs=tolerance)


@pytest.mark.parametrize("stratified", [False, True])
def test_jackknife_acceleration_equals_brute_force_leave_one_out(stratified):
    score, label = _binormal(70, 1.0, seed=12, decimals=1)
    groups = _tie_groups(score, label)
    statistic = roc_auc_score(label, score)
    leave_one_out = np.array(
        [roc_auc_score(np.delete(label, i), np.delete(score, i)) for i in range(score.size)]
    )
    # Efron & Tibshirani (1993) eq. 14.15 per resampled sample, pooled as scipy.stats.bootstrap.
    samples = [label, ~label] if stratified else [np.ones(score.size, dtype=bool)]
    numerator = denominator = 0.0
    for members in samples:
        values = leave_one_out[members]
        n = values.size
        u = (n - 1) * (values.mean() - values)
        numerator += (u**3).sum() / n**3
        denominator += (u**2).sum() / n**2
    expected = numerator / (6 * denominator**1.5)
    assert expected != 0
    assert _jackknife_acceleration(groups, statistic, stratified) == pytest.approx(
        expected, rel=1e-9, abs=1e-15
    )


def test_bca_with_all_resamples_on_one_side_warns_and_is_nan():
    with pytest.warns(DegenerateDataWarning, match="one side"):
        interval = _bootstrap_interval(np.full(100, 0.6), 0.7, "bca", 0.95, 0.0)
    assert all(math.isnan(v) for v in interval)


def test_perfect_separation_bootstrap_interval_is_the_point():
    score = np.arange(20.0)
    label = score >= 10
    for method in ("percentile", "bca", "basic"):
        result = auc(score, label, ci="bootstrap", method=method, n_resamples=500, seed=0)
        assert result.confidence_interval == (1.0, 1.0)


def test_same_seed_same_result_and_generators_are_accepted():
    score, label = _binormal(200, 0.5, seed=13, decimals=1)
    first = auc(score, label, ci="bootstrap", method="bca", n_resamples=2000, seed=42)
    second = auc(score, label, ci="bootstrap", method="bca", n_resamples=2000, seed=42)
    assert first == second
    from_generator = auc(
        score, label, ci="bootstrap", method="bca", n_resamples=2000, seed=np.random.default_rng(42)
    )
    assert from_generator == first
    other = auc(score, label, ci="bootstrap", method="bca", n_resamples=2000, seed=43)
    assert other.confidence_interval != first.confidence_interval


def test_resamples_missing_a_class_are_dropped_and_counted():
    score = np.array([0.9, 0.1, 0.2, 0.3, 0.4, 0.5])
    label = np.array([1, 0, 0, 0, 0, 0])
    n_resamples = 4000
    with pytest.warns(DegenerateDataWarning, match="lacked a class"):
        result = auc(score, label, ci="bootstrap", n_resamples=n_resamples, seed=3)
    # P(no positive drawn) = (5/6)^6, P(no negative) = (1/6)^6.
    p_invalid = (5 / 6) ** 6 + (1 / 6) ** 6
    sd = math.sqrt(n_resamples * p_invalid * (1 - p_invalid))
    assert abs(result.n_invalid - n_resamples * p_invalid) < 5 * sd
    assert result.confidence_interval == (1.0, 1.0)  # every valid resample separates perfectly
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stratified = auc(score, label, ci="bootstrap", n_resamples=500, seed=3, stratified=True)
    assert stratified.n_invalid == 0


def test_bootstrap_percentile_interval_covers_the_true_auc():
    shift = 1.0
    true_auc = scipy.stats.norm.cdf(shift / math.sqrt(2))
    repeats = 300
    covered = 0
    for seed in range(repeats):
        score, label = _binormal(200, shift, seed=20_000 + seed)
        result = auc(score, label, ci="bootstrap", n_resamples=1000, seed=seed, stratified=True)
        covered += result.confidence_interval.low <= true_auc <= result.confidence_interval.high
    # Monte Carlo SE of the rate ~0.013.
    assert 0.9 <= covered / repeats <= 0.99


def test_result_is_a_plain_serialisable_record():
    score, label = _binormal(100, 1.0, seed=14, decimals=1)
    plain = auc(score, label)
    assert isinstance(plain, AUCResult)
    assert plain.to_dict() == {
        "statistic": plain.statistic,
        "confidence_interval": None,
        "standard_error": None,
        "n_pos": plain.n_pos,
        "n_neg": plain.n_neg,
        "n_tied_pairs": plain.n_tied_pairs,
        "ci_method": None,
        "bootstrap_method": None,
        "stratified": False,
        "n_resamples": None,
        "n_invalid": None,
        "confidence_level": None,
    }
    boot = auc(score, label, ci="bootstrap", n_resamples=200, seed=0).to_dict()
    assert boot["confidence_interval"] == list(
        auc(score, label, ci="bootstrap", n_resamples=200, seed=0).confidence_interval
    )
    assert boot["ci_method"] == "bootstrap" and boot["n_resamples"] == 200


def test_a_constant_score_warns_that_it_carries_no_information():
    from measurand.errors import DegenerateDataWarning

    label = np.array([1, 0] * 20, dtype=bool)
    with pytest.warns(DegenerateDataWarning, match="every score is the same value"):
        out = auc(np.ones(40), label, ci="bootstrap", n_resamples=100, seed=0)
    assert out.statistic == 0.5


@pytest.mark.parametrize("stratified", [False, True])
def test_distinct_scores_fast_path_equals_the_general_path(stratified, monkeypatch):
    # Without ties every cell is one observation and a shorter path counts the same draws.
    from measurand.stats import _auc

    rng = np.random.default_rng(4)
    label = rng.random(500) < 0.3
    score = rng.normal(size=500) + label
    fast = auc(score, label, ci="bootstrap", n_resamples=700, seed=8, stratified=stratified)
    monkeypatch.setattr(_auc._CellCountSampler, "all_singletons", property(lambda self: False))
    general = auc(score, label, ci="bootstrap", n_resamples=700, seed=8, stratified=stratified)
    assert fast.confidence_interval == general.confidence_interval
    assert fast.standard_error == general.standard_error
