"""Per-task noise floors: hand computations, R's ``var.test`` interval, coverage by simulation.

References
----------
* R 4.x ``var.test(x, y)`` (stats): the interval for var(x)/var(y) is
  [ratio / qf(0.975, nx − 1, ny − 1), ratio / qf(0.025, nx − 1, ny − 1)]; the literals below
  come from

      x <- c(2.0, 2.5, 3.0, 2.2, 2.9); y <- c(1, 2, 3, 4, 5.5, 0.5, 3.3, 2.7)
      v <- var.test(x, y); sprintf("%.15g", c(v$estimate, v$conf.int))
      sprintf("%.15g", var.test(x, y, conf.level = 0.9)$conf.int)

* scipy.stats.f for the quantiles of the hand computations.
* Coverage: normal data with known variances; the interval must cover the true share at the
  nominal rate (this also checks the orientation of the F quantiles).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from measurand.errors import InputError
from measurand.noise.floors import f_ratio_interval, noise_floors

NOISE = np.array([2.0, 2.5, 3.0, 2.2, 2.9])
SWEEP = np.array([1, 2, 3, 4, 5.5, 0.5, 3.3, 2.7])


def test_matches_r_var_test() -> None:
    floors = noise_floors(SWEEP, NOISE)
    assert floors.noise_share[0] == pytest.approx(0.072002200220022, rel=1e-12)
    assert floors.noise_share_low[0] == pytest.approx(0.0130377492384875, rel=1e-10)
    assert floors.noise_share_high[0] == pytest.approx(0.653358120819725, rel=1e-10)
    at_90 = noise_floors(SWEEP, NOISE, alpha=0.1)
    assert at_90.noise_share_low[0] == pytest.approx(0.0174749400027157, rel=1e-10)
    assert at_90.noise_share_high[0] == pytest.approx(0.438796595255216, rel=1e-10)


def test_hand_computed_tiny_example() -> None:
    # sweep 1..4: mean 2.5, s² = (2.25 + 0.25 + 0.25 + 2.25)/3 = 5/3; noise 2, 2.5, 3: s² = 0.25
    floors = noise_floors([[1.0], [2.0], [3.0], [4.0]], [[2.0], [2.5], [3.0]], tasks=["t"])
    share = 0.25 / (5 / 3)
    assert floors.var_sweep[0] == pytest.approx(5 / 3)
    assert floors.var_noise[0] == pytest.approx(0.25)
    assert floors.noise_share[0] == pytest.approx(0.15)
    assert floors.ceiling[0] == pytest.approx(0.85)
    assert floors.snr[0] == pytest.approx(1 / 0.15 - 1)
    low = share / stats.f.ppf(0.975, 2, 3)
    high = share / stats.f.ppf(0.025, 2, 3)
    assert floors.noise_share_low[0] == pytest.approx(low)
    assert floors.noise_share_high[0] == pytest.approx(high)
    assert floors.ceiling_low[0] == pytest.approx(max(0.0, 1 - high))
    assert floors.ceiling_high[0] == pytest.approx(1 - low)
    assert floors.snr_low[0] == pytest.approx(1 / high - 1)
    assert floors.snr_high[0] == pytest.approx(1 / low - 1)
    assert floors.width_factor == pytest.approx(stats.f.ppf(0.975, 2, 3) / stats.f.ppf(0.025, 2, 3))
    row = floors.rows()[0]
    assert row["task"] == "t" and row["n_sweep"] == 4 and row["n_noise"] == 3
    assert row["noise_share_ci"] == [pytest.approx(low), pytest.approx(high)]


def test_missing_cells_use_per_task_counts() -> None:
    sweep = np.array([[1.0, 1.0], [2.0, np.nan], [3.0, 5.0], [4.0, 2.0], [6.0, 3.0]])
    noise = np.array([[1.0, 2.0], [1.5, np.nan], [2.5, 2.2]])
    floors = noise_floors(sweep, noise)
    second = noise_floors(sweep[[0, 2, 3, 4], 1], noise[[0, 2], 1])
    assert floors.n_sweep.tolist() == [5, 4]
    assert floors.n_noise.tolist() == [3, 2]
    assert floors.noise_share[1] == pytest.approx(second.noise_share[0])
    assert floors.noise_share_high[1] == pytest.approx(second.noise_share_high[0])


def test_interval_covers_at_the_nominal_rate() -> None:
    # 4,000 independent tasks at once: 240 sweep runs, 10 reruns, known variance shares.
    rng = np.random.default_rng(2024)
    p = 4000
    true_share = rng.uniform(0.02, 0.95, p)
    sweep = rng.standard_normal((240, p)) * 3.0 + 7.0
    noise = rng.standard_normal((10, p)) * np.sqrt(true_share) * 3.0 - 1.0
    floors = noise_floors(sweep, noise)
    covered = (floors.noise_share_low <= true_share) & (true_share <= floors.noise_share_high)
    assert 0.94 <= covered.mean() <= 0.96
    # Each side misses about alpha/2: the F quantiles are oriented correctly.
    assert 0.015 <= np.mean(true_share < floors.noise_share_low) <= 0.035
    assert 0.015 <= np.mean(true_share > floors.noise_share_high) <= 0.035
    true_snr = 1 / true_share - 1
    assert np.mean((floors.snr_low <= true_snr) & (true_snr <= floors.snr_high)) == covered.mean()


def test_zero_noise_is_an_infinite_snr() -> None:
    floors = noise_floors([[1.0], [2.0], [3.0]], [[2.0], [2.0]])
    assert floors.noise_share[0] == 0.0
    assert floors.ceiling[0] == 1.0
    assert np.isinf(floors.snr[0])


@pytest.mark.parametrize(
    ("sweep", "noise", "message"),
    [
        ([[1.0], [2.0], [3.0]], [[1.0]], "at least 2 reruns"),
        ([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]], [[1.0, 1.0], [2.0, 2.0]], "constant in the sweep"),
        ([[1.0, 5.0], [2.0, 6.0]], [[1.0], [2.0]], "task column"),
        ([[1.0, 5.0], [2.0, 6.0]], [[1.0, np.nan], [2.0, 1.0]], "fewer than 2 values"),
        (np.zeros((2, 2, 2)), [[1.0], [2.0]], "1-D or 2-D"),
    ],
)
def test_bad_input(sweep, noise, message: str) -> None:
    with pytest.raises(InputError, match=message):
        noise_floors(sweep, noise)


def test_bad_alpha_and_names() -> None:
    with pytest.raises(InputError, match="alpha"):
        noise_floors([1.0, 2.0, 3.0], [1.0, 2.0], alpha=1.5)
    with pytest.raises(InputError, match="task name"):
        noise_floors([1.0, 2.0, 3.0], [1.0, 2.0], tasks=["a", "b"])


def test_f_ratio_interval_vectorizes() -> None:
    low, high = f_ratio_interval(np.array([0.5, 2.0]), np.array([4, 9]), np.array([20, 30]))
    assert low[1] == pytest.approx(2.0 / stats.f.ppf(0.975, 9, 30))
    assert high[0] == pytest.approx(0.5 / stats.f.ppf(0.025, 4, 20))


samples = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=3, max_size=30
)


@settings(max_examples=60, deadline=None)
@given(sweep=samples, noise=samples, scale=st.floats(min_value=1e-3, max_value=1e3))
def test_properties(sweep, noise, scale) -> None:
    sweep_a, noise_a = np.array(sweep), np.array(noise)
    magnitude = max(1.0, np.abs(sweep_a).max())
    spread = np.std(sweep_a, ddof=1)
    if spread <= 1e-13 * magnitude:
        with pytest.raises(InputError, match="constant"):
            noise_floors(sweep_a, noise_a)
        return
    assume(spread > 1e-6 * magnitude)  # away from the constant threshold and from rounding
    floors = noise_floors(sweep_a, noise_a)
    scaled = noise_floors(sweep_a * scale + 3.0, noise_a * scale - 1.0)
    # A ratio of variances: invariant to a common affine change of units.
    assert scaled.noise_share[0] == pytest.approx(floors.noise_share[0], rel=1e-6, abs=1e-12)
    assert floors.noise_share_low[0] <= floors.noise_share[0] <= floors.noise_share_high[0]
    assert 0.0 <= floors.ceiling_low[0] <= floors.ceiling[0] <= floors.ceiling_high[0] <= 1.0
    if floors.noise_share[0] > 0:
        assert floors.snr[0] == pytest.approx(1 / floors.noise_share[0] - 1, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    ratio=st.floats(min_value=1e-4, max_value=1e4),
    d1=st.integers(1, 50),
    d2=st.integers(1, 500),
)
def test_f_ratio_interval_properties(ratio: float, d1: int, d2: int) -> None:
    low, high = f_ratio_interval(ratio, d1, d2)
    assert low <= ratio <= high
    # Proportional to the ratio: the pivot does not depend on it.
    low2, high2 = f_ratio_interval(2 * ratio, d1, d2)
    assert low2 == pytest.approx(2 * low) and high2 == pytest.approx(2 * high)
    assert stats.f.cdf(ratio / low, d1, d2) == pytest.approx(0.975)


def test_old_alpha_keyword_maps_to_confidence_level() -> None:
    import warnings as _warnings

    rng = np.random.default_rng(0)
    sweep, noise = rng.normal(size=(40, 3)), 0.3 * rng.normal(size=(8, 3))
    new = noise_floors(sweep, noise, confidence_level=0.9)
    with pytest.warns(DeprecationWarning, match="confidence_level"):
        old = noise_floors(sweep, noise, alpha=0.1)
    np.testing.assert_array_equal(new.noise_share_low, old.noise_share_low)
    assert new.alpha == old.alpha == 0.1
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(InputError, match="both"):
            noise_floors(sweep, noise, alpha=0.1, confidence_level=0.9)
