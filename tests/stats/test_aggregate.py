"""Tests for measurand.stats.aggregate (rliable-style aggregate metrics across tasks).

Reference values marked RLIABLE were produced with rliable 1.2.0 (arch 7.2.0, numpy 2.4.6,
scipy 1.17.1, pandas 2.3.3; rliable needs arch<8, which needs pandas<3) by this script, run as
``python make_refs.py <shared>/data/dopamine_baselines.csv.gz``::

    import sys, numpy as np, polars as pl
    from rliable import library as rly, metrics as rm
    S = _synthetic_scores()                       # the function below, verbatim
    T = {k: np.round(v, 1) for k, v in S.items()}
    four = lambda x: np.array([rm.aggregate_mean(x), rm.aggregate_median(x),
                               rm.aggregate_iqm(x), rm.aggregate_optimality_gap(x)])
    POINT = {k: four(v) for k, v in S.items()};  POINT_TIED = {k: four(v) for k, v in T.items()}
    POI[f"{a}>{b}"] = rm.probability_of_improvement(S[a], S[b])       # POI_TIED: on T
    taus = np.linspace(-0.25, 1.75, 9)
    PROFILE, _ = rly.create_performance_profile({k: S[k] for k in "ABC"}, taus, reps=1)
    AVG_PROFILE, _ = rly.create_performance_profile(..., use_score_distribution=False)
    np.random.seed(12345); _, CI = rly.get_interval_estimates({k: S[k] for k in "ABC"}, four,
                                                              reps=50_000)
    np.random.seed(12345); _, CI_BC = rly.get_interval_estimates({"A": S["A"]}, four,
                                                                 reps=50_000, method="bc")
    np.random.seed(12345); _, CI_POI = rly.get_interval_estimates(
        {"CA": [S["C"], S["A"]], "AD": [S["A"], S["D"]]},
        lambda x, y: np.array([rm.probability_of_improvement(x, y)]), reps=20_000)
    np.random.seed(12345); _, BANDS = rly.create_performance_profile(
        {k: S[k] for k in "AC"}, taus, reps=20_000)
    # dopamine: _dopamine_subset() below (same selection), then four(...) per agent,
    np.random.seed(12345); _, DOPAMINE_CI = rly.get_interval_estimates(norm, four, reps=50_000)
    DOPAMINE_POI = rm.probability_of_improvement(norm["Rainbow"], norm["DQN"])

Intervals are compared within Monte-Carlo error: the standard error of a bootstrap quantile
``q_p`` from ``B`` resamples is ``sqrt(p (1-p) / B) * dq/dp``, with ``dq/dp`` read off our own
bootstrap distribution.
"""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from measurand._result import ConfidenceInterval
from measurand.errors import InputError
from measurand.stats import aggregate as agg
from measurand.stats._rng import as_generator
from shared_paths import SHARED_DATA  # the one place that knows ../shared/data

METRICS = ("mean", "median", "iqm", "optimality_gap")


def _synthetic_scores() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20211206)
    level = rng.uniform(0.2, 0.9, size=10)
    return {
        "A": level + rng.normal(0.00, 0.25, size=(5, 10)),
        "B": level + rng.normal(0.10, 0.25, size=(5, 10)),
        "C": level + rng.normal(0.25, 0.30, size=(5, 10)),
        "D": level + rng.normal(0.05, 0.25, size=(7, 10)),
    }


SCORES = _synthetic_scores()
TIED = {k: np.round(v, 1) for k, v in SCORES.items()}
TAUS = np.linspace(-0.25, 1.75, 9)

# RLIABLE: [mean, median, iqm, optimality_gap] per condition
POINT = {
    "A": [0.5187732930369784, 0.5012732493723574, 0.5028904150206693, 0.4968908819819494],
    "B": [0.6517411632259498, 0.6620653925211677, 0.6521466569027863, 0.36132831936849497],
    "C": [0.788343857298848, 0.6838873432666372, 0.7890686587207301, 0.2637364935852784],
    "D": [0.6099186844794582, 0.552427466453786, 0.5822229081687448, 0.4076230667106814],
}
POINT_TIED = {
    "A": [0.512, 0.49, 0.4961538461538461, 0.504],
    "B": [0.6500000000000001, 0.6599999999999999, 0.6499999999999999, 0.362],
    "C": [0.784, 0.6799999999999999, 0.7846153846153846, 0.264],
    "D": [0.6142857142857143, 0.55, 0.588888888888889, 0.4028571428571429],
}
POI = {
    "A>B": 0.33199999999999996,
    "B>A": 0.6679999999999999,
    "C>A": 0.796,
    "A>D": 0.3942857142857143,
    "D>C": 0.3114285714285714,
}
POI_TIED = {
    "A>B": 0.32599999999999996,
    "B>A": 0.674,
    "C>A": 0.788,
    "A>D": 0.3757142857142858,
}
PROFILE = {
    "A": [1.0, 0.94, 0.78, 0.48, 0.22, 0.08, 0.04, 0.0, 0.0],
    "B": [1.0, 1.0, 0.86, 0.72, 0.36, 0.14, 0.0, 0.0, 0.0],
    "C": [1.0, 1.0, 0.96, 0.82, 0.5, 0.3, 0.08, 0.0, 0.0],
}
AVG_PROFILE = {
    "A": [1.0, 1.0, 0.9, 0.5, 0.2, 0.1, 0.0, 0.0, 0.0],
    "B": [1.0, 1.0, 1.0, 0.7, 0.2, 0.0, 0.0, 0.0, 0.0],
    "C": [1.0, 1.0, 1.0, 1.0, 0.4, 0.3, 0.0, 0.0, 0.0],
}
# RLIABLE, 50,000 resamples, percentile: [low, high] per metric
CI = {
    "A": [
        [0.45568851283790823, 0.5806005533644222],
        [0.41085028941940227, 0.5867238956846814],
        [0.43760417163791715, 0.5705487883810816],
        [0.43958416786298377, 0.5551390910898003],
    ],
    "B": [
        [0.5911527271844321, 0.7116942937137121],
        [0.5727767105856145, 0.7353576126784135],
        [0.5856436203521869, 0.7229912400967103],
        [0.3050662600410694, 0.41849249296287233],
    ],
    "C": [
        [0.7217402450404796, 0.8539646779650616],
        [0.6489895353818882, 0.8335189867670453],
        [0.7127406718821314, 0.8580431529665418],
        [0.20781514619744407, 0.3205911980481844],
    ],
}
CI_BC_A = [
    [0.45552797550837, 0.5804754799202752],
    [0.4145840191044431, 0.5900801040107401],
    [0.4370029122675456, 0.5699394292144634],
    [0.43974112276469574, 0.5551946367109439],
]
CI_POI = {"CA": [0.712, 0.876], "AD": [0.2914285714285714, 0.5]}  # 20,000 resamples
BANDS = {  # 20,000 resamples
    "A": [
        [1.0, 0.88, 0.7, 0.36, 0.14, 0.02, 0.0, 0.0, 0.0],
        [1.0, 1.0, 0.86, 0.58, 0.3, 0.14, 0.08, 0.0, 0.0],
    ],
    "C": [
        [1.0, 1.0, 0.9, 0.72, 0.4, 0.22, 0.02, 0.0, 0.0],
        [1.0, 1.0, 1.0, 0.92, 0.6, 0.38, 0.14, 0.0, 0.0],
    ],
}
DOPAMINE_GAMES = [
    "airraid", "alien", "amidar", "assault", "asterix",
    "asteroids", "atlantis", "bankheist", "battlezone", "beamrider",
]  # fmt: skip
DOPAMINE_POINT = {
    "C51": [0.3078100358063073, 0.2914004506432512, 0.2816192456133524, 0.6921899641936927],
    "DQN": [0.1666061766933145, 0.10010453295959351, 0.1094838458455057, 0.8333938233066855],
    "IQN": [0.7439344515540756, 0.7774458401632038, 0.7564023280795248, 0.25606554844592466],
    "Rainbow": [0.6596627543511185, 0.7105349296717469, 0.667557465685917, 0.34033724564888135],
}
DOPAMINE_CI = {
    "C51": [
        [0.2742829928741376, 0.3417385535420984],
        [0.2484509183535695, 0.3327389106857136],
        [0.25379442705312155, 0.3085629103706856],
        [0.6582614464579016, 0.7257170071258623],
    ],
    "DQN": [
        [0.14102560593360355, 0.1920399136244636],
        [0.06869994931281427, 0.13153642828531736],
        [0.08327930725847561, 0.13361241216885067],
        [0.8079600863755364, 0.8589743940663964],
    ],
    "IQN": [
        [0.7058293114196564, 0.7809549427872916],
        [0.7026239341841128, 0.8354258502445899],
        [0.7089424288640401, 0.8054879651788053],
        [0.21904505721270856, 0.2941706885803435],
    ],
    "Rainbow": [
        [0.6206819672645332, 0.6983133704359386],
        [0.6098263988692373, 0.7753134229664088],
        [0.6211794559603402, 0.7202586498432323],
        [0.30168662956406156, 0.3793180327354668],
    ],
}
DOPAMINE_POI = 0.9040000000000001  # Rainbow over DQN


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def _point(scores: np.ndarray) -> list[float]:
    return [agg.mean(scores), agg.median(scores), agg.iqm(scores), agg.optimality_gap(scores)]


def _quantile_mc_se(replicates: np.ndarray, p: float, n_resamples: int) -> float:
    """Monte-Carlo standard error of the p-quantile of ``n_resamples`` bootstrap replicates."""
    h = 0.01
    slope = (np.quantile(replicates, p + h) - np.quantile(replicates, p - h)) / (2 * h)
    return math.sqrt(p * (1 - p) / n_resamples) * slope


def _assert_intervals_close(
    ours: ConfidenceInterval,
    reference: list[float],
    replicates: np.ndarray,
    n_ours: int,
    n_reference: int,
    confidence_level: float = 0.95,
    atom: float = 0.0,
) -> None:
    alpha = (1 - confidence_level) / 2
    for value, ref, p in ((ours.low, reference[0], alpha), (ours.high, reference[1], 1 - alpha)):
        se = math.hypot(
            _quantile_mc_se(replicates, p, n_ours), _quantile_mc_se(replicates, p, n_reference)
        )
        assert abs(value - ref) <= 4.5 * se + atom + 1e-12, (value, ref, se)


def _replicates(scores: np.ndarray, n: int, seed: int, metrics=METRICS) -> np.ndarray:
    strata = agg._strata(scores, "x")
    return agg._aggregate_replicates(strata, metrics, 1.0, n, as_generator(seed))


def _expand(ragged: np.ndarray, copies: int) -> np.ndarray:
    """Replicate each task's present runs so every task has ``copies`` runs (copies % k == 0)."""
    columns = []
    for column in ragged.T:
        present = column[~np.isnan(column)]
        columns.append(np.repeat(present, copies // present.size))
    return np.column_stack(columns)


RAGGED = np.array(
    [
        [0.10, 0.90, 0.35, 1.40],
        [0.70, np.nan, 0.20, 0.60],
        [np.nan, 0.30, np.nan, 0.95],
        [np.nan, 0.55, 0.80, 0.05],
    ]
)  # k = (2, 3, 3, 4): N = 12 scores, lcm 12


# ------------------------------------------------------------------------------------------
# point estimates
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", sorted(POINT))
def test_point_metrics_match_rliable(condition):
    np.testing.assert_allclose(_point(SCORES[condition]), POINT[condition], rtol=0, atol=1e-12)
    np.testing.assert_allclose(_point(TIED[condition]), POINT_TIED[condition], rtol=0, atol=1e-12)


def test_iqm_matches_scipy_trim_mean_and_gamma_clips():
    x = SCORES["D"]  # 70 scores: floor(17.5) = 17 cut at each end
    assert agg.iqm(x) == pytest.approx(stats.trim_mean(x, 0.25, axis=None), abs=1e-14)
    assert agg.optimality_gap(x, gamma=0.5) == pytest.approx(0.5 - np.minimum(x, 0.5).mean())
    assert agg.optimality_gap(x, gamma=10.0) == pytest.approx(10.0 - x.mean())


def test_point_estimates_of_aggregate_metrics_are_the_point_functions():
    result = agg.aggregate_metrics(SCORES, n_resamples=200, seed=0)
    assert result.conditions == ("A", "B", "C", "D")
    for condition, expected in POINT.items():
        got = [result.estimates[condition][m] for m in METRICS]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_ragged_point_metrics_equal_balanced_expansion():
    # Task weight 1/n_tasks split over present runs == every task replicated to 12 runs; the
    # cut fraction floor(N/4)/N is 1/4 both for N = 12 and N = 48.
    expanded = _expand(RAGGED, 12)
    np.testing.assert_allclose(_point(RAGGED), _point(expanded), rtol=0, atol=1e-12)
    task_means = np.array([0.4, 0.5833333333333334, 0.45, 0.75])
    assert agg.mean(RAGGED) == pytest.approx(task_means.mean(), abs=1e-12)
    assert agg.median(RAGGED) == pytest.approx(np.median(task_means), abs=1e-12)


# ------------------------------------------------------------------------------------------
# stratified bootstrap intervals
# ------------------------------------------------------------------------------------------


def test_percentile_intervals_agree_with_rliable_within_mc_error():
    n = 20_000
    result = agg.aggregate_metrics({k: SCORES[k] for k in "ABC"}, n_resamples=n, seed=7)
    for condition, reference in CI.items():
        replicates = _replicates(SCORES[condition], n, seed=99)
        for j, metric in enumerate(METRICS):
            _assert_intervals_close(
                result.confidence_intervals[condition][metric],
                reference[j],
                replicates[:, j],
                n,
                50_000,
            )


def test_bc_intervals_agree_with_arch_within_mc_error():
    n = 20_000
    result = agg.aggregate_metrics({"A": SCORES["A"]}, n_resamples=n, method="bc", seed=3)
    replicates = _replicates(SCORES["A"], n, seed=98)
    for j, metric in enumerate(METRICS):
        _assert_intervals_close(
            result.confidence_intervals["A"][metric], CI_BC_A[j], replicates[:, j], n, 50_000
        )


def test_bc_interval_matches_arch_on_skewed_data():
    # One task: the stratified bootstrap is the ordinary one. References from arch 7.2.0:
    #   x = np.random.default_rng(7).lognormal(0.0, 1.0, size=25)
    #   IIDBootstrap(x, seed=12345).conf_int(f, reps=50_000, method="bc")
    # with f = np.mean and f = lambda a: scipy.stats.trim_mean(a, 0.25). The skew moves the bc
    # interval 0.03 above the percentile one, well beyond the Monte-Carlo tolerance.
    x = np.random.default_rng(7).lognormal(0.0, 1.0, size=25)[:, None]
    reference = {
        "mean": [0.6751111586165599, 1.2811166870701616],
        "iqm": [0.5287695777575391, 1.0428107453700204],
    }
    n = 50_000
    result = agg.aggregate_metrics(
        {"x": x}, metrics=("mean", "iqm"), n_resamples=n, method="bc", seed=31
    )
    replicates = _replicates(x, n, seed=97, metrics=("mean", "iqm"))
    for j, metric in enumerate(("mean", "iqm")):
        _assert_intervals_close(
            result.confidence_intervals["x"][metric], reference[metric], replicates[:, j], n, n
        )


def test_bc_interval_is_efron_bias_corrected_percentile():
    # Efron (1981): z0 = Phi^-1(#{theta* < theta} / B); the interval is the empirical
    # Phi(2 z0 -+ 1.96) quantiles of the same bootstrap replicates (same seed, same draws).
    x = np.random.default_rng(7).lognormal(0.0, 1.0, size=(8, 3))
    result = agg.aggregate_metrics(
        {"x": x}, metrics=("iqm",), n_resamples=4_000, method="bc", seed=5
    )
    replicates = _replicates(x, 4_000, seed=5, metrics=("iqm",))[:, 0]
    z0 = stats.norm.ppf(np.mean(replicates < agg.iqm(x)))
    assert abs(z0) > 0.02  # a real bias correction (z0 = -0.046 here)
    levels = stats.norm.cdf(2 * z0 + stats.norm.ppf([0.025, 0.975]))
    expected = np.percentile(replicates, 100 * levels)
    np.testing.assert_allclose(result.confidence_intervals["x"]["iqm"], expected, atol=1e-12)


def test_basic_interval_reflects_percentile_interval():
    kwargs = {"n_resamples": 3_000, "seed": 11}
    pct = agg.aggregate_metrics(SCORES, **kwargs)
    basic = agg.aggregate_metrics(SCORES, method="basic", **kwargs)
    for condition in SCORES:
        for metric in METRICS:
            est = pct.estimates[condition][metric]
            low, high = pct.confidence_intervals[condition][metric]
            assert basic.confidence_intervals[condition][metric] == pytest.approx(
                (2 * est - high, 2 * est - low), abs=1e-12
            )


def test_mean_bootstrap_variance_matches_closed_form():
    # Stratified bootstrap of the mean of task means: Var* = sum_m s2_m / (k_m n_tasks^2), with
    # s2_m the plug-in (ddof=0) variance of task m's present runs.
    for scores in (SCORES["C"], RAGGED):
        columns = [c[~np.isnan(c)] for c in scores.T]
        expected = sum(c.var() / c.size for c in columns) / len(columns) ** 2
        n = 40_000
        replicates = _replicates(scores, n, seed=5, metrics=("mean",))[:, 0]
        assert replicates.var() == pytest.approx(expected, rel=0.04)
        assert replicates.mean() == pytest.approx(agg.mean(scores), abs=5 * math.sqrt(expected / n))


def test_weighted_path_equals_gathered_path_on_balanced_data():
    strata = agg._strata(SCORES["D"], "D")
    indices = agg._draw_run_indices(as_generator(1), strata, 300)
    draws = strata.values[indices, np.arange(strata.n_tasks)]
    gathered = agg._metrics_from_gathered(draws.copy(), METRICS, 1.0)
    counted = agg._metrics_from_counts(agg._run_counts(indices, strata), strata, METRICS, 1.0)
    np.testing.assert_allclose(counted, gathered, rtol=0, atol=1e-12)


def test_ragged_resamples_stay_within_present_runs():
    result = agg.aggregate_metrics({"r": RAGGED}, n_resamples=2_000, seed=2)
    present = RAGGED[~np.isnan(RAGGED)]
    for metric in ("mean", "median", "iqm"):
        low, high = result.confidence_intervals["r"][metric]
        assert present.min() <= low < high <= present.max()
    assert result.confidence_intervals["r"]["mean"].low < agg.mean(RAGGED)
    assert agg.mean(RAGGED) < result.confidence_intervals["r"]["mean"].high


def test_same_seed_same_result_and_chunking_bounds_memory(monkeypatch):
    first = agg.aggregate_metrics(SCORES, n_resamples=1_000, seed=123)
    second = agg.aggregate_metrics(SCORES, n_resamples=1_000, seed=123)
    assert first == second
    other = agg.aggregate_metrics(SCORES, n_resamples=1_000, seed=124)
    assert other.confidence_intervals != first.confidence_intervals
    # several chunks (not one) give a valid interval around the same estimate
    monkeypatch.setattr(agg, "_CHUNK_ELEMENTS", 500)
    chunked = agg.aggregate_metrics(SCORES, n_resamples=1_000, seed=123)
    assert chunked.estimates == first.estimates
    for condition in SCORES:
        low, high = chunked.confidence_intervals[condition]["iqm"]
        ref_low, ref_high = first.confidence_intervals[condition]["iqm"]
        assert abs(low - ref_low) < 0.05 and abs(high - ref_high) < 0.05


def test_to_frame_and_to_dict():
    result = agg.aggregate_metrics(SCORES, metrics=("iqm", "mean"), n_resamples=500, seed=0)
    frame = result.to_frame()
    assert frame.columns == ["condition", "metric", "estimate", "ci_low", "ci_high"]
    assert frame.height == 8
    row = frame.filter((pl.col("condition") == "B") & (pl.col("metric") == "iqm")).row(0)
    assert row[2] == pytest.approx(POINT["B"][2], abs=1e-12)
    assert (row[3], row[4]) == tuple(result.confidence_intervals["B"]["iqm"])
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["estimates"]["C"]["mean"] == pytest.approx(POINT["C"][0])
    assert payload["confidence_intervals"]["A"]["iqm"] == list(
        result.confidence_intervals["A"]["iqm"]
    )


# ------------------------------------------------------------------------------------------
# probability of improvement
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, reference", [(SCORES, POI), (TIED, POI_TIED)])
def test_probability_of_improvement_point_matches_rliable(data, reference):
    for pair, expected in reference.items():
        x, y = pair.split(">")
        result = agg.probability_of_improvement(data[x], data[y], n_resamples=10, seed=0)
        assert result.statistic == pytest.approx(expected, abs=1e-12)


def test_probability_of_improvement_tasks_are_mann_whitney():
    x, y = TIED["A"], TIED["D"]
    result = agg.probability_of_improvement(x, y, n_resamples=10, seed=0)
    expected = [
        stats.mannwhitneyu(x[:, m], y[:, m], alternative="greater").statistic / (5 * 7)
        for m in range(10)
    ]
    np.testing.assert_allclose(result.task_probabilities, expected, rtol=0, atol=1e-12)


def test_probability_of_improvement_interval_agrees_with_rliable():
    n = 20_000
    for key, (x, y) in {"CA": ("C", "A"), "AD": ("A", "D")}.items():
        result = agg.probability_of_improvement(SCORES[x], SCORES[y], n_resamples=n, seed=4)
        sx, sy = agg._strata(SCORES[x], "x"), agg._strata(SCORES[y], "y")
        replicates = agg._improvement_replicates(sx, sy, n, as_generator(5))
        atom = 1.0 / (10 * sx.n_runs * sy.n_runs)  # replicates are multiples of this
        _assert_intervals_close(
            result.confidence_interval, CI_POI[key], replicates, n, 20_000, atom=atom
        )


def test_probability_of_improvement_bootstrap_is_centred():
    # E*[P*] equals the point estimate exactly (every run's expected count is 1).
    sx, sy = agg._strata(SCORES["B"], "x"), agg._strata(SCORES["A"], "y")
    n = 20_000
    replicates = agg._improvement_replicates(sx, sy, n, as_generator(8))
    assert replicates.mean() == pytest.approx(POI["B>A"], abs=5 * replicates.std() / math.sqrt(n))


def test_probability_of_improvement_ragged_equals_expansion():
    y = np.array([[0.5, 0.2, 0.3, 1.0], [0.1, 0.9, np.nan, 0.4], [0.35, np.nan, np.nan, 0.7]])
    ragged = agg.probability_of_improvement(RAGGED, y, n_resamples=10, seed=0)
    expanded = agg.probability_of_improvement(
        _expand(RAGGED, 12), _expand(y, 6), n_resamples=10, seed=0
    )
    assert ragged.statistic == pytest.approx(expanded.statistic, abs=1e-12)
    np.testing.assert_allclose(ragged.task_probabilities, expanded.task_probabilities, atol=1e-12)


# ------------------------------------------------------------------------------------------
# performance profiles
# ------------------------------------------------------------------------------------------


def test_performance_profiles_match_rliable():
    data = {k: SCORES[k] for k in "ABC"}
    runs = agg.performance_profile(data, TAUS, n_resamples=10, seed=0)
    tasks = agg.performance_profile(
        data, TAUS, use_score_distribution=False, n_resamples=10, seed=0
    )
    for condition in data:
        np.testing.assert_allclose(runs.profiles[condition], PROFILE[condition], atol=1e-12)
        np.testing.assert_allclose(tasks.profiles[condition], AVG_PROFILE[condition], atol=1e-12)


def test_performance_profile_bands_agree_with_rliable():
    result = agg.performance_profile({k: SCORES[k] for k in "AC"}, TAUS, n_resamples=20_000, seed=6)
    for condition, reference in BANDS.items():
        # fractions of 50 runs: quantiles sit on atoms 1/50 apart
        np.testing.assert_allclose(result.bands[condition], reference, atol=0.02 + 1e-12)
        assert np.mean(np.isclose(result.bands[condition], reference)) >= 0.8


def test_score_distribution_band_of_one_task_is_binomial():
    # One task, 20 runs, 6 (resp. 2) above tau: resampled count ~ Binomial(20, 0.3 (0.1)); the
    # 2.5% and 97.5% quantiles sit well inside atoms, so the band is exact.
    # Thresholds equal to a score check that a score equal to tau does not count ("> tau").
    scores = np.arange(20, dtype=float)[:, None]
    result = agg.performance_profile({"x": scores}, [13.0, 17.0], n_resamples=20_000, seed=0)
    for j, p in enumerate((0.3, 0.1)):
        expected = stats.binom.ppf([0.025, 0.975], 20, p) / 20
        np.testing.assert_allclose(result.bands["x"][:, j], expected, atol=1e-12)
        assert result.profiles["x"][j] == pytest.approx(p)


def test_ragged_profile_equals_expansion():
    taus = np.r_[TAUS, 0.35, 0.55, 0.9]  # some equal to a score
    ragged = agg.performance_profile({"r": RAGGED}, taus, n_resamples=10, seed=0)
    expanded = agg.performance_profile({"r": _expand(RAGGED, 12)}, taus, n_resamples=10, seed=0)
    np.testing.assert_allclose(ragged.profiles["r"], expanded.profiles["r"], atol=1e-12)
    both = [
        agg.performance_profile(
            {"r": d}, taus, use_score_distribution=False, n_resamples=10, seed=0
        )
        for d in (RAGGED, _expand(RAGGED, 12))
    ]
    np.testing.assert_allclose(both[0].profiles["r"], both[1].profiles["r"], atol=1e-12)


# ------------------------------------------------------------------------------------------
# normalization
# ------------------------------------------------------------------------------------------


def test_minmax_normalization():
    normalized = agg.normalize_scores(SCORES)
    stacked = np.concatenate(list(SCORES.values()))
    low, high = stacked.min(axis=0), stacked.max(axis=0)
    for condition, values in SCORES.items():
        np.testing.assert_allclose(normalized[condition], (values - low) / (high - low))
    all_normalized = np.concatenate(list(normalized.values()))
    np.testing.assert_allclose(all_normalized.min(axis=0), 0.0)
    np.testing.assert_allclose(all_normalized.max(axis=0), 1.0)


def test_reference_normalization_and_nan_passthrough():
    random_score = np.array([0.0, 10.0, -5.0])
    human_score = np.array([1.0, 20.0, 5.0])
    scores = {"a": np.array([[0.5, 15.0, 0.0], [np.nan, 30.0, -5.0]])}
    out = agg.normalize_scores(scores, method="reference", low=random_score, high=human_score)
    np.testing.assert_array_equal(out["a"], [[0.5, 0.5, 0.5], [np.nan, 2.0, 0.0]])


def test_normalization_errors_name_the_task():
    with pytest.raises(InputError, match="task 1"):
        agg.normalize_scores({"a": np.array([[0.0, 2.0], [1.0, 2.0]])})
    with pytest.raises(InputError, match="task 0"):
        agg.normalize_scores({"a": np.ones((2, 2))}, method="reference", low=[1, 0], high=[1, 1])
    with pytest.raises(InputError, match="needs both"):
        agg.normalize_scores({"a": np.ones((2, 2))}, method="reference", low=0)
    with pytest.raises(InputError, match="same tasks"):
        agg.normalize_scores({"a": np.ones((2, 2)), "b": np.ones((2, 3))})


# ------------------------------------------------------------------------------------------
# input errors
# ------------------------------------------------------------------------------------------


def test_input_errors():
    with pytest.raises(InputError, match=r"condition 'b', task 1"):
        agg.aggregate_metrics({"a": np.ones((2, 2)), "b": np.array([[1.0, np.nan]])})
    with pytest.raises(InputError, match="2-D"):
        agg.aggregate_metrics({"a": np.ones(5)})
    with pytest.raises(InputError, match="infinite"):
        agg.iqm(np.array([[1.0, np.inf]]))
    with pytest.raises(InputError, match="metrics"):
        agg.aggregate_metrics(SCORES, metrics=("iqm", "max"))
    with pytest.raises(InputError, match="method"):
        agg.aggregate_metrics(SCORES, method="bca")
    with pytest.raises(InputError, match="n_resamples"):
        agg.aggregate_metrics(SCORES, n_resamples=0)
    with pytest.raises(InputError, match="confidence_level"):
        agg.probability_of_improvement(SCORES["A"], SCORES["B"], confidence_level=1.0)
    with pytest.raises(InputError, match="tasks"):
        agg.probability_of_improvement(SCORES["A"], SCORES["B"][:, :3])
    with pytest.raises(InputError, match="taus"):
        agg.performance_profile(SCORES, [])
    with pytest.raises(InputError, match="mapping"):
        agg.aggregate_metrics(SCORES["A"])


# ------------------------------------------------------------------------------------------
# real data: dopamine baselines
# ------------------------------------------------------------------------------------------

DOPAMINE = SHARED_DATA / "dopamine_baselines.csv.gz"


@pytest.fixture(scope="module")
def dopamine_subset() -> dict[str, np.ndarray]:
    """Final-iteration return of each run; agents C51/DQN/IQN/Rainbow on the first 10 base
    Atari games (alphabetical, no _CNN/_Impala suffix), 5 runs; min-max normalized by game."""
    if not DOPAMINE.exists():
        pytest.skip(f"dopamine data not found at {DOPAMINE} (shared data checkout absent)")
    frame = pl.read_csv(DOPAMINE, schema_overrides={"iteration": pl.Float64, "value": pl.Float64})
    agents = ["C51", "DQN", "IQN", "Rainbow"]
    base = frame.filter((pl.col("suite") == "atari") & ~pl.col("game").str.contains("_"))
    games = sorted(base["game"].unique().to_list())[:10]
    final = (
        base.filter(pl.col("agent").is_in(agents) & pl.col("game").is_in(games))
        .sort("iteration")
        .group_by("agent", "game", "run")
        .agg(pl.col("value").last())
    )
    raw = {}
    for agent in agents:
        wide = (
            final.filter(pl.col("agent") == agent)
            .pivot(on="game", index="run", values="value")
            .sort("run")
        )
        raw[agent] = wide.select(games).to_numpy()
    assert games == DOPAMINE_GAMES
    return agg.normalize_scores(raw)


def test_dopamine_subset_matches_rliable(dopamine_subset):
    n = 20_000
    result = agg.aggregate_metrics(dopamine_subset, n_resamples=n, seed=2021)
    for agent, expected in DOPAMINE_POINT.items():
        assert dopamine_subset[agent].shape == (5, 10)
        got = [result.estimates[agent][m] for m in METRICS]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
        replicates = _replicates(dopamine_subset[agent], n, seed=2022)
        for j, metric in enumerate(METRICS):
            _assert_intervals_close(
                result.confidence_intervals[agent][metric],
                DOPAMINE_CI[agent][j],
                replicates[:, j],
                n,
                50_000,
            )
    poi = agg.probability_of_improvement(
        dopamine_subset["Rainbow"], dopamine_subset["DQN"], n_resamples=2_000, seed=0
    )
    assert poi.statistic == pytest.approx(DOPAMINE_POI, abs=1e-12)
    assert poi.confidence_interval.low < DOPAMINE_POI < poi.confidence_interval.high


# ------------------------------------------------------------------------------------------
# live comparison with rliable, when it is importable (it is not a test dependency)
# ------------------------------------------------------------------------------------------


def _rliable_metrics():
    try:
        from rliable import metrics
    except Exception as exc:  # rliable 1.2.0 fails to import with arch 7 + pandas 3
        pytest.skip(f"rliable not importable: {type(exc).__name__}: {exc}")
    return metrics


@pytest.mark.parametrize("seed", range(5))
def test_point_estimates_equal_live_rliable(seed):
    rm = _rliable_metrics()
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 0.4, size=(rng.integers(2, 9), rng.integers(1, 30)))
    y = np.round(rng.gamma(2.0, 0.4, size=(rng.integers(2, 9), x.shape[1])), 1)
    expected = [
        rm.aggregate_mean(x),
        rm.aggregate_median(x),
        rm.aggregate_iqm(x),
        rm.aggregate_optimality_gap(x),
    ]
    np.testing.assert_allclose(_point(x), expected, rtol=0, atol=1e-12)
    poi = agg.probability_of_improvement(x, y, n_resamples=10, seed=0).statistic
    assert poi == pytest.approx(rm.probability_of_improvement(x, y), abs=1e-12)


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

_finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def _score_arrays(draw, missing: bool = True):
    shape = draw(st.tuples(st.integers(1, 6), st.integers(1, 6)))
    values = draw(hnp.arrays(float, shape, elements=_finite))
    if missing:
        holes = draw(hnp.arrays(bool, shape, elements=st.booleans()))
        holes[0] = False  # every task keeps at least one run
        values = np.where(holes, np.nan, values)
    return values


@settings(max_examples=60, deadline=None)
@given(_score_arrays())
def test_iqm_lies_between_min_and_max(scores):
    value = agg.iqm(scores)
    present = scores[~np.isnan(scores)]
    tol = 1e-9 * (1 + np.abs(present).max())
    assert present.min() - tol <= value <= present.max() + tol
    assert agg.mean(scores) == pytest.approx(np.mean([np.nanmean(c) for c in scores.T]), abs=tol)


@settings(max_examples=40, deadline=None)
@given(_score_arrays(), st.integers(0, 2**32 - 1))
def test_percentile_interval_contains_mean_estimate(scores, seed):
    result = agg.aggregate_metrics({"x": scores}, metrics=("mean",), n_resamples=500, seed=seed)
    estimate = result.estimates["x"]["mean"]
    low, high = result.confidence_intervals["x"]["mean"]
    tol = 1e-9 * (1 + np.nanmax(np.abs(scores)))
    assert low - tol <= estimate <= high + tol


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 5),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_probabilities_of_improvement_sum_to_one(n_x, n_y, n_tasks, ties, seed):
    rng = np.random.default_rng(seed)
    if ties:
        x, y = rng.integers(0, 3, (n_x, n_tasks)), rng.integers(0, 3, (n_y, n_tasks))
    else:  # distinct values: no ties anywhere
        values = rng.permutation((n_x + n_y) * n_tasks).reshape(n_x + n_y, n_tasks)
        x, y = values[:n_x], values[n_x:]
    forward = agg.probability_of_improvement(x, y, n_resamples=50, seed=seed)
    backward = agg.probability_of_improvement(y, x, n_resamples=50, seed=seed)
    assert forward.statistic + backward.statistic == pytest.approx(1.0, abs=1e-12)
    assert 0.0 <= forward.confidence_interval.low <= forward.confidence_interval.high <= 1.0


@settings(max_examples=40, deadline=None)
@given(_score_arrays(), st.lists(_finite, min_size=1, max_size=6))
def test_profiles_are_fractions_decreasing_in_tau(scores, taus):
    taus = np.sort(np.asarray(taus))
    result = agg.performance_profile({"x": scores}, taus, n_resamples=200, seed=0)
    profile, band = result.profiles["x"], result.bands["x"]
    assert np.all(np.diff(profile) <= 1e-12)
    assert np.all((band >= -1e-12) & (band <= 1 + 1e-12))
    assert np.all(band[0] <= band[1] + 1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda n_tasks: st.tuples(
            hnp.arrays(float, st.tuples(st.integers(1, 4), st.just(n_tasks)), elements=_finite),
            hnp.arrays(float, st.tuples(st.integers(1, 4), st.just(n_tasks)), elements=_finite),
        )
    )
)
def test_minmax_normalized_scores_span_unit_interval(pair):
    first, second = pair
    stacked = np.concatenate([first, second])
    if np.any(stacked.max(axis=0) == stacked.min(axis=0)):
        with pytest.raises(InputError, match="high == low"):
            agg.normalize_scores({"a": first, "b": second})
        return
    out = np.concatenate(list(agg.normalize_scores({"a": first, "b": second}).values()))
    np.testing.assert_allclose(out.min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.max(axis=0), 1.0, atol=1e-12)
