"""Tests of measurand.diagnose.workflow against independent computations.

References (computed in the tests): ``sklearn.metrics.roc_auc_score`` for the AUC; a direct
O(n²) DeLong placement computation (DeLong, DeLong & Clarke-Pearson 1988) for its interval;
``skimage.filters.threshold_otsu(x, nbins=256)`` and ``numpy.percentile`` for thresholds;
direct numpy counts for the 2x2 cells; ``statsmodels.stats.proportion.proportion_confint(
method="beta")`` for Clopper-Pearson; ``1 - alpha**(1/n)`` for the zero-event bound (0.011725
at n = 254: "at most 1.17%"); ``statsmodels.stats.contingency_tables.mcnemar(exact=True)`` for
McNemar; and loops of plain numpy bootstraps for the bootstrap intervals (agreement within Monte
Carlo error).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from skimage.filters import threshold_otsu
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from measurand.diagnose import (
    compute_threshold,
    diagnose,
    group_medians,
    paired_comparison,
    parse_threshold,
    settling_cells,
    signal_auc,
)
from measurand.errors import InputError
from measurand.io.output import dumps_json

N = 400
SIGNALS = {
    "zH": "drift_zH|last:4|mean|log10:1e-12",
    "lam1": "lyap_spec[:, 0]",
    "combined": "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12",
}


def make_arrays(n: int = N, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    settled = rng.random(n) < 0.7
    correct = rng.random(n) < np.where(settled, 0.95, 0.3)
    floor = np.where(settled, 10 ** rng.normal(-6, 0.7, n), 10 ** rng.normal(-2, 0.7, n))
    steps = np.exp(-np.arange(16))[None, :]
    return {
        "exact_correct": correct.astype(np.int8),
        "other_correct": (correct ^ (rng.random(n) < 0.15)).astype(np.int8),
        "lyap_spec": np.round(
            np.where(settled, -0.05, 0.01)[:, None] + rng.normal(0, 0.03, (n, 8)), 2
        ),
        "drift_zH": floor[:, None] * (1 + steps) * 10 ** rng.normal(0, 0.1, (n, 16)),
        "drift_zL": floor[:, None] * 10 ** rng.normal(0.2, 0.3, (n, 16)),
    }


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    return make_arrays()


@pytest.fixture(scope="module")
def result(arrays):
    return diagnose(
        arrays,
        label="exact_correct",
        signals=SIGNALS,
        paired_label="other_correct",
        n_resamples=2000,
        seed=11,
    )


def _signal(arrays, name):
    from measurand.diagnose import derive_signal

    return derive_signal(arrays, SIGNALS[name])


def delong_reference(score, label, level=0.95):
    """Textbook DeLong: placements by all pairwise comparisons (O(n_pos n_neg))."""
    pos, neg = score[label], score[~label]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    auc = psi.mean()
    se = math.sqrt(v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size)
    z = norm.ppf(0.5 + level / 2)
    return auc, se, (max(0.0, auc - z * se), min(1.0, auc + z * se))


# ----------------------------------------------------------------------------------------------
# AUC
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SIGNALS))
def test_auc_matches_sklearn_and_delong(arrays, result, name):
    score = _signal(arrays, name)
    label = arrays["exact_correct"] == 1
    entry = result.auc_of(name)
    assert entry.auc == pytest.approx(roc_auc_score(label, score), abs=1e-15)
    auc, se, ci = delong_reference(score, label)
    assert entry.auc == pytest.approx(auc, abs=1e-12)
    assert entry.delong_se == pytest.approx(se, rel=1e-9)
    assert entry.delong_ci == pytest.approx(ci, rel=1e-9)
    assert (entry.n_correct, entry.n_wrong) == (int(label.sum()), int((~label).sum()))


def test_auc_of_lyapunov_has_ties_and_matches_sklearn(arrays, result):
    score = _signal(arrays, "lam1")
    assert np.unique(score).size < score.size / 4  # rounded to 2 decimals: many ties
    assert result.auc_of("lam1").n_tied_pairs > 0


def test_negation_mirrors_the_auc(arrays):
    plain = diagnose(arrays, label="exact_correct", signals=["lyap_spec[:, 0]"], n_resamples=200)
    negated = diagnose(arrays, label="exact_correct", signals=["-lyap_spec[:, 0]"], n_resamples=200)
    a, b = plain.auc[0], negated.auc[0]
    assert a.auc + b.auc == pytest.approx(1.0, abs=1e-14)
    assert a.delong_ci.low == pytest.approx(1 - b.delong_ci.high, abs=1e-12)
    assert negated.signals[0].name == "-lyap_spec[:, 0]"


def test_bootstrap_auc_interval_agrees_with_a_plain_loop(arrays, result):
    score, label = _signal(arrays, "zH"), arrays["exact_correct"] == 1
    rng = np.random.default_rng(0)
    loop = []
    for _ in range(600):
        idx = rng.integers(0, N, N)
        loop.append(roc_auc_score(label[idx], score[idx]))
    low, high = np.percentile(loop, [2.5, 97.5])
    entry = result.auc_of("zH")
    width = high - low
    assert entry.bootstrap_ci.low == pytest.approx(low, abs=0.2 * width)
    assert entry.bootstrap_ci.high == pytest.approx(high, abs=0.2 * width)
    assert entry.bootstrap_se == pytest.approx(np.std(loop, ddof=1), rel=0.2)
    assert entry.n_resamples == 2000 and entry.bootstrap_method == "percentile"


def test_signal_auc_ci_methods_and_bca(arrays):
    score, label = _signal(arrays, "zH"), arrays["exact_correct"] == 1
    only_delong = signal_auc(score, label, ci_methods=("delong",))
    assert only_delong.bootstrap_ci is None and only_delong.delong_ci is not None
    bca = signal_auc(
        score, label, ci_methods=("bootstrap",), bootstrap_method="bca", n_resamples=1000, seed=1
    )
    assert bca.delong_ci is None and bca.bootstrap_method == "bca"
    assert bca.bootstrap_ci.low < bca.auc < bca.bootstrap_ci.high


# ----------------------------------------------------------------------------------------------
# Group medians
# ----------------------------------------------------------------------------------------------
def test_group_medians_match_a_brute_force_bootstrap_in_distribution():
    # The resampled medians are drawn through order statistics; the classic bootstrap
    # (resample rows, take the class median) must give the same distribution.
    rng = np.random.default_rng(5)
    values = np.round(rng.normal(size=60), 1)  # ties
    label = rng.random(60) < 0.3
    n_resamples = 20_000
    out = group_medians(values, label, n_resamples=n_resamples, seed=4)
    rows = rng.integers(0, 60, (n_resamples, 60))
    for flag, entry in ((True, out.correct), (False, out.wrong)):
        members = np.where(label[rows] == flag, values[rows], np.nan)
        brute = np.nanmedian(members, axis=1)
        low, high = np.percentile(brute, [2.5, 97.5])
        assert entry.median == np.median(values[label == flag])
        assert entry.confidence_interval.low == pytest.approx(low, abs=0.051)
        assert entry.confidence_interval.high == pytest.approx(high, abs=0.051)
        assert entry.standard_error == pytest.approx(np.std(brute, ddof=1), rel=0.05)


def test_group_medians_point_estimates_and_bootstrap(arrays, result):
    score, label = _signal(arrays, "lam1"), arrays["exact_correct"] == 1
    entry = result.medians_of("lam1")
    assert entry.correct.median == np.median(score[label])
    assert entry.wrong.median == np.median(score[~label])
    assert (entry.correct.n, entry.wrong.n) == (int(label.sum()), int((~label).sum()))
    rng = np.random.default_rng(1)
    loop = []
    for _ in range(600):
        idx = rng.integers(0, N, N)
        s, y = score[idx], label[idx]
        loop.append(np.median(s[~y]))
    low, high = np.percentile(loop, [2.5, 97.5])
    # Medians of rounded data move in steps of 0.01: compare within one to two steps.
    assert entry.wrong.confidence_interval.low == pytest.approx(low, abs=0.0151)
    assert entry.wrong.confidence_interval.high == pytest.approx(high, abs=0.0151)


def test_group_medians_with_an_empty_class():
    values = np.arange(10.0)
    out = group_medians(values, np.ones(10, dtype=bool), n_resamples=100, seed=0)
    assert out.correct.median == 4.5
    assert math.isnan(out.wrong.median) and out.wrong.n == 0
    assert any("no wrong examples" in w for w in out.warnings)


def test_stratified_medians_keep_every_class_in_every_resample():
    rng = np.random.default_rng(2)
    values, label = rng.normal(size=30), np.r_[np.ones(28), np.zeros(2)].astype(bool)
    plain = group_medians(values, label, n_resamples=2000, seed=0)
    strat = group_medians(values, label, n_resamples=2000, seed=0, stratified=True)
    assert plain.wrong.n_invalid > 0  # P(no wrong example drawn) = (28/30)^30 ≈ 0.13
    assert strat.wrong.n_invalid == 0


# ----------------------------------------------------------------------------------------------
# Thresholds and cells
# ----------------------------------------------------------------------------------------------
def test_otsu_threshold_matches_skimage(arrays, result):
    for name in SIGNALS:
        score = _signal(arrays, name)
        expected = threshold_otsu(score, nbins=256)
        assert result.cells_of(name).threshold == pytest.approx(expected, rel=1e-12)
        assert result.cells_of(name).threshold_rule == "otsu"


def test_percentile_and_fixed_thresholds(arrays):
    score = _signal(arrays, "zH")
    tau, rule = compute_threshold(score, "percentile:45")
    assert tau == np.percentile(score, 45) and rule == "percentile:45"
    assert compute_threshold(score, -3.5) == (-3.5, "fixed:-3.5")
    assert compute_threshold(score, "-3.5") == (-3.5, "fixed:-3.5")
    assert compute_threshold(np.full(5, 2.0), "otsu") == (2.0, "otsu")


@pytest.mark.parametrize("bad", ["percentile:120", "percentile:x", "median", float("nan"), True])
def test_bad_threshold_rules(bad):
    with pytest.raises(InputError, match=r"threshold|percentile"):
        parse_threshold(bad)


@pytest.mark.parametrize("name", list(SIGNALS))
def test_cells_match_direct_counts(arrays, result, name):
    score, label = _signal(arrays, name), arrays["exact_correct"] == 1
    cells = result.cells_of(name)
    settled = score < cells.threshold
    expected = {
        "A": settled & label,
        "B": settled & ~label,
        "C": ~settled & label,
        "D": ~settled & ~label,
    }
    for cell_name, member in expected.items():
        cell = cells[cell_name]
        assert cell.count == int(member.sum())
        assert cell.of_all.n == N
        assert cell.of_class.n == int((label if cell.correct else ~label).sum())
        assert cell.of_all.estimate == pytest.approx(member.mean())
        if cell.count:
            assert cell.median_signal == np.median(score[member])
            for fraction in (cell.of_all, cell.of_class):
                low, high = proportion_confint(fraction.k, fraction.n, 0.05, method="beta")
                assert fraction.confidence_interval == pytest.approx((low, high), rel=1e-9)
                assert fraction.upper_bound is None
    assert cells.n_settled == int(settled.sum())


def test_zero_settled_failures_give_the_exact_upper_bound():
    label = np.r_[np.ones(300), np.zeros(254)].astype(bool)
    signal = np.where(label, -5.0, -1.0) + np.linspace(0, 0.1, label.size)
    cells = settling_cells(signal, label, -3.0)
    b = cells["B"]
    assert b.count == 0
    assert b.of_class.n == 254
    assert b.of_class.upper_bound == pytest.approx(1 - 0.05 ** (1 / 254), rel=1e-12)
    assert b.of_class.upper_bound == pytest.approx(0.011725, abs=1e-6)  # "at most 1.17%"
    assert b.of_all.upper_bound == pytest.approx(1 - 0.05 ** (1 / 554), rel=1e-12)
    assert math.isnan(b.median_signal)
    ninety = settling_cells(signal, label, -3.0, confidence_level=0.9)
    assert ninety["B"].of_class.upper_bound == pytest.approx(1 - 0.1 ** (1 / 254), rel=1e-12)


@given(
    values=st.lists(st.integers(-5, 5), min_size=1, max_size=60),
    flips=st.lists(st.booleans(), min_size=60, max_size=60),
    tau=st.integers(-6, 6),
)
@settings(max_examples=60, deadline=None)
def test_cells_partition_the_examples(values, flips, tau):
    signal = np.asarray(values, dtype=float)
    label = np.asarray(flips[: signal.size])
    cells = settling_cells(signal, label, tau)
    counts = {name: cells[name].count for name in "ABCD"}
    assert sum(counts.values()) == signal.size
    assert counts["A"] + counts["C"] == int(label.sum())
    assert counts["A"] + counts["B"] == int((signal < tau).sum())
    for name in "ABCD":
        fraction = cells[name].of_class
        if fraction.n:
            assert fraction.confidence_interval.low <= fraction.estimate
            assert fraction.estimate <= fraction.confidence_interval.high


# ----------------------------------------------------------------------------------------------
# Paired comparison
# ----------------------------------------------------------------------------------------------
def test_paired_comparison_matches_statsmodels_and_a_loop(arrays, result):
    a = arrays["exact_correct"] == 1
    b = arrays["other_correct"] == 1
    paired = result.paired
    table = [
        [int((a & b).sum()), int((a & ~b).sum())],
        [int((~a & b).sum()), int((~a & ~b).sum())],
    ]
    got = [[paired.both_correct, paired.only_label], [paired.only_paired, paired.both_wrong]]
    assert got == table
    assert paired.mcnemar_pvalue == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)
    assert paired.difference == pytest.approx(a.mean() - b.mean())
    rng = np.random.default_rng(4)
    loop = [np.mean(a[i]) - np.mean(b[i]) for i in rng.integers(0, N, (800, N))]
    low, high = np.percentile(loop, [2.5, 97.5])
    width = high - low
    assert paired.difference_ci.low == pytest.approx(low, abs=0.15 * width)
    assert paired.difference_ci.high == pytest.approx(high, abs=0.15 * width)


def test_paired_comparison_of_identical_labels():
    y = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    out = paired_comparison(y, y, n_resamples=200, seed=0)
    assert out.difference == 0.0 and out.mcnemar_pvalue == 1.0
    assert out.difference_ci == (0.0, 0.0)


# ----------------------------------------------------------------------------------------------
# Input validation and NaN handling
# ----------------------------------------------------------------------------------------------
def test_nan_drop_counts_and_uses_the_finite_rows(arrays):
    data = dict(arrays)
    lyap = data["lyap_spec"].copy()
    lyap[[3, 10, 11], 0] = [np.nan, np.inf, -np.inf]
    data["lyap_spec"] = lyap
    out = diagnose(
        data, label="exact_correct", signals={"lam1": "lyap_spec[:, 0]"}, n_resamples=200
    )
    info = out.signals[0]
    assert (info.n_dropped, info.n_used) == (3, N - 3)
    keep = np.isfinite(lyap[:, 0])
    label = arrays["exact_correct"][keep] == 1
    assert out.auc[0].auc == pytest.approx(roc_auc_score(label, lyap[keep, 0]), abs=1e-15)
    assert out.cells.n == N - 3
    assert any("dropped 3 of 400" in w for w in out.warnings)


def test_nan_raise(arrays):
    data = dict(arrays)
    lyap = data["lyap_spec"].copy()
    lyap[7, 0] = np.nan
    data["lyap_spec"] = lyap
    with pytest.raises(InputError, match=r"1 non-finite value\(s\).*first at row 7"):
        diagnose(data, label="exact_correct", signals=["lyap_spec[:, 0]"], nan_policy="raise")


def test_signal_with_no_finite_values(arrays):
    data = dict(arrays, empty=np.full(N, np.nan))
    with pytest.raises(InputError, match="no finite values"):
        diagnose(data, label="exact_correct", signals=["empty"])


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        (np.r_[np.zeros(N - 1), 2], r"binary.*found 1 other value\(s\): 2 \(first at row 399\)"),
        (np.r_[np.zeros(N - 1), np.nan], "binary"),
        (np.array(["yes"] * N), "binary"),
        (np.zeros((N, 2)), "1-D"),
    ],
)
def test_label_must_be_binary(arrays, values, fragment):
    data = dict(arrays, bad=values)
    with pytest.raises(InputError, match=fragment):
        diagnose(data, label="bad", signals=["lyap_spec[:, 0]"])


def test_boolean_and_float_labels_are_accepted(arrays):
    base = diagnose(arrays, label="exact_correct", signals=["lyap_spec[:, 0]"], n_resamples=100)
    for label in (arrays["exact_correct"] == 1, arrays["exact_correct"].astype(float)):
        out = diagnose(arrays, label=label, signals=["lyap_spec[:, 0]"], n_resamples=100)
        assert out.auc[0].auc == base.auc[0].auc
        assert out.label == "label"


def test_unknown_label_lists_arrays(arrays):
    with pytest.raises(
        InputError,
        match="label array 'correct' not found; available arrays: "
        "drift_zH, drift_zL, exact_correct",
    ):
        diagnose(arrays, label="correct", signals=["lyap_spec[:, 0]"])


def test_length_mismatch_names_both_arrays(arrays):
    data = dict(arrays, short_drift=arrays["drift_zH"][:-5])
    with pytest.raises(
        InputError, match="array 'short_drift' has 395 rows but label array 'exact_correct' has 400"
    ):
        diagnose(data, label="exact_correct", signals={"s": "short_drift|mean"})
    with pytest.raises(
        InputError, match="paired label 'p' has 10 examples but label 'exact_correct' has 400"
    ):
        diagnose(
            dict(arrays, p=np.ones(10)),
            label="exact_correct",
            signals=["lyap_spec[:, 0]"],
            paired_label="p",
        )


def test_single_class_labels_give_nan_auc_and_warnings(arrays):
    out = diagnose(arrays, label=np.ones(N, dtype=bool), signals=SIGNALS, n_resamples=100)
    assert all(math.isnan(entry.auc) for entry in out.auc)
    assert all(math.isnan(entry.bootstrap_ci.low) for entry in out.auc)
    assert out.n_wrong == 0 and out.accuracy == 1.0
    assert any("only correct examples" in w for w in out.warnings)
    cells = out.cells
    assert cells["A"].count + cells["C"].count == N
    assert cells["B"].count == cells["D"].count == 0
    assert math.isnan(cells["B"].of_class.estimate)
    json.loads(dumps_json(out.to_dict()))  # NaN becomes null, still valid JSON


def test_option_validation(arrays):
    common = {"label": "exact_correct", "signals": ["lyap_spec[:, 0]"]}
    for kwargs, fragment in [
        ({"nan_policy": "keep"}, "nan_policy"),
        ({"n_resamples": 0}, "n_resamples"),
        ({"confidence_level": 1.5}, "confidence_level"),
        ({"ci_methods": ("wald",)}, "ci_methods"),
        ({"bootstrap_method": "basic"}, "bootstrap_method"),
        ({"primary": "zz"}, "primary signal 'zz'"),
        ({"signals": []}, "at least one signal"),
        ({"signals": {"a": "lyap_spec[:, 0]", " a": "lyap_spec[:, 1]"}}, "used twice"),
        ({"signals": [np.zeros(N)]}, "needs a name"),
        ({"signals": {"x": np.zeros(N - 1)}}, "399 values but label"),
    ]:
        with pytest.raises(InputError, match=fragment):
            diagnose(arrays, **{**common, **kwargs})


# ----------------------------------------------------------------------------------------------
# Determinism, structure, JSON
# ----------------------------------------------------------------------------------------------
def test_same_seed_same_result_and_signal_streams_are_independent(arrays):
    one = diagnose(arrays, label="exact_correct", signals=SIGNALS, n_resamples=300, seed=5)
    two = diagnose(arrays, label="exact_correct", signals=SIGNALS, n_resamples=300, seed=5)
    assert one.to_dict() == two.to_dict()
    other = diagnose(arrays, label="exact_correct", signals=SIGNALS, n_resamples=300, seed=6)
    assert other.auc_of("zH").bootstrap_ci != one.auc_of("zH").bootstrap_ci
    alone = diagnose(
        arrays, label="exact_correct", signals={"zH": SIGNALS["zH"]}, n_resamples=300, seed=5
    )
    assert alone.auc_of("zH").bootstrap_ci == one.auc_of("zH").bootstrap_ci
    assert alone.medians_of("zH") == one.medians_of("zH")


def test_primary_and_robustness_structure(arrays, result):
    assert result.primary == "zH"
    assert result.cells == result.cells_of("zH")
    assert [c.signal for c in result.robustness] == list(SIGNALS)
    hist = result.histogram
    assert sum(hist.counts_correct) == result.n_correct
    assert sum(hist.counts_wrong) == result.n_wrong
    assert len(hist.edges) == len(hist.counts_correct) + 1
    chosen = diagnose(
        arrays, label="exact_correct", signals=SIGNALS, primary="lam1", n_resamples=100
    )
    assert chosen.cells.signal == "lam1" and chosen.histogram.signal == "lam1"


def test_results_json_keys(result):
    data = json.loads(dumps_json(result.to_dict()))
    assert set(data) == {
        "label",
        "n_examples",
        "n_correct",
        "n_wrong",
        "accuracy",
        "primary",
        "signals",
        "auc",
        "medians",
        "cells",
        "robustness",
        "histogram",
        "paired",
        "settings",
        "warnings",
    }
    assert set(data["cells"]["cells"]) == {"A", "B", "C", "D"}
    assert set(data["cells"]["cells"]["B"]) == {
        "name",
        "settled",
        "correct",
        "count",
        "of_all",
        "of_class",
        "median_signal",
    }
    assert set(data["auc"][0]) >= {"signal", "auc", "delong_ci", "bootstrap_ci", "n_correct"}
    assert data["signals"][0] == {
        "name": "zH",
        "spec": SIGNALS["zH"],
        "arrays": ["drift_zH"],
        "n_used": N,
        "n_dropped": 0,
    }
    assert data["settings"]["seed"] == 11


def test_reads_a_path(tmp_path, arrays):
    path = tmp_path / "run.npz"
    np.savez(path, **arrays)
    out = diagnose(path, label="exact_correct", signals=["lyap_spec[:, 0]"], n_resamples=100)
    assert out.n_examples == N


def test_summary_text(result):
    text = result.summary()
    assert f"{N} examples" in text
    assert "AUC zH" in text and "A/B/C/D" in text


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------
@given(
    values=st.lists(st.integers(-3, 3), min_size=2, max_size=40),
    labels=st.lists(st.booleans(), min_size=40, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_resampled_group_medians_stay_in_range_property(values, labels, seed):
    x = np.asarray(values, dtype=float)
    y = np.asarray(labels[: x.size])
    out = group_medians(x, y, n_resamples=50, seed=seed)
    for flag, entry in ((True, out.correct), (False, out.wrong)):
        members = x[y == flag]
        if members.size == 0:
            assert math.isnan(entry.median)
            continue
        assert entry.median == np.median(members)
        midpoints = {(a + b) / 2 for a in members for b in members}
        ci = entry.confidence_interval
        assert members.min() <= ci.low <= ci.high <= members.max()
        assert ci.low in midpoints or ci.low in set(members) or ci.low < ci.high


@given(
    values=st.lists(st.integers(0, 6), min_size=4, max_size=50),
    labels=st.lists(st.booleans(), min_size=50, max_size=50),
)
@settings(max_examples=60, deadline=None)
def test_signal_auc_matches_sklearn_property(values, labels):
    x = np.asarray(values, dtype=float)
    y = np.asarray(labels[: x.size])
    out = signal_auc(x, y, ci_methods=("delong",))
    if y.all() or not y.any():
        assert math.isnan(out.auc) and out.warnings
    else:
        assert out.auc == pytest.approx(roc_auc_score(y, x), abs=1e-14)
        assert signal_auc(-x, y, ci_methods=()).auc == pytest.approx(1 - out.auc, abs=1e-14)


def test_non_binary_label_names_each_value_at_its_own_row():
    label = np.zeros(10)
    label[[3, 7]] = [0.5, -1.0]
    arrays = {"y": label, "s": np.arange(10.0)}
    with pytest.raises(InputError) as caught:
        diagnose(arrays, label="y", signals="s", n_resamples=10)
    message = str(caught.value)
    assert "0.5 (first at row 3)" in message and "-1 (first at row 7)" in message


def test_a_signals_stream_follows_its_expression_not_its_name(arrays):
    # The name is a label; the bootstrap stream is keyed by what the signal computes.
    options = {"label": "exact_correct", "n_resamples": 300, "seed": 5}
    anonymous = diagnose(arrays, signals=["-lyap_spec[:, 0]"], **options)
    named = diagnose(arrays, signals={"neg": "-lyap_spec[:, 0]"}, **options)
    spec = anonymous.signals[0].name
    assert anonymous.auc_of(spec).bootstrap_ci == named.auc_of("neg").bootstrap_ci
    assert anonymous.medians_of(spec).correct == named.medians_of("neg").correct
    other = diagnose(arrays, signals={"neg": "lyap_spec[:, 1]"}, **options)
    assert other.auc_of("neg").bootstrap_ci != named.auc_of("neg").bootstrap_ci
