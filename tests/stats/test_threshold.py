"""Otsu's threshold against scikit-image's ``threshold_otsu``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage.filters import threshold_otsu

from measurand.errors import InputError
from measurand.stats import otsu_threshold


def _bimodal_samples() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    return {
        # Loss-like: a converged cluster near 0.1 and a diverged one near 2.
        "loss_clusters": np.concatenate([rng.normal(0.1, 0.02, 700), rng.normal(2.0, 0.4, 300)]),
        "unequal_spread": np.concatenate([rng.normal(0, 1, 5000), rng.normal(8, 0.3, 200)]),
        "gamma_mixture": np.concatenate([rng.gamma(2, 1, 1500), 10 + rng.gamma(5, 2, 900)]),
        "log_normal": np.exp(np.concatenate([rng.normal(0, 0.5, 400), rng.normal(3, 0.5, 400)])),
        "rounded_ties": np.round(
            np.concatenate([rng.normal(0.2, 0.05, 2000), rng.normal(0.7, 0.1, 2000)]), 2
        ),
        "negative_values": np.concatenate([rng.normal(-50, 3, 100), rng.normal(-10, 3, 100)]),
        "spike_and_uniform": np.concatenate([np.full(300, 0.5), rng.uniform(0, 10, 300)]),
        "two_values": np.array([0.0] * 10 + [1.0] * 3),
        "two_points": np.array([3.0, 7.0]),
        "three_points": np.array([-1.0, 0.0, 5.0]),
        "wide_range": np.concatenate([rng.normal(1e-6, 1e-7, 50), rng.normal(1e6, 1e5, 50)]),
    }


@pytest.mark.parametrize("name", list(_bimodal_samples()))
@pytest.mark.parametrize("bins", [256, 64, 2, 1000])
def test_equals_skimage_threshold_otsu(name, bins):
    x = _bimodal_samples()[name]
    assert otsu_threshold(x, bins=bins) == threshold_otsu(x, nbins=bins)


def test_default_bins_is_256_and_threshold_splits_the_modes():
    x = _bimodal_samples()["loss_clusters"]
    threshold = otsu_threshold(x)
    assert threshold == threshold_otsu(x)  # nbins=256 by default in both
    assert 0.2 < threshold < 1.5
    assert np.count_nonzero(x > threshold) == pytest.approx(300, abs=5)


def test_two_dimensional_input_is_flattened_as_in_skimage():
    x = _bimodal_samples()["gamma_mixture"][:2400].reshape(40, 60)
    assert otsu_threshold(x) == threshold_otsu(x)


def test_integers_are_binned_as_floats():
    x = np.array([0, 0, 1, 2, 9, 10, 10, 11] * 5)
    assert otsu_threshold(x) == threshold_otsu(x.astype(float))


@pytest.mark.parametrize("value", [0.0, -3.5, 42.0])
def test_constant_input_returns_the_value_like_skimage(value):
    x = np.full(7, value)
    assert otsu_threshold(x) == value == threshold_otsu(x)
    assert otsu_threshold([value]) == value


@pytest.mark.parametrize(
    ("x", "bins", "match"),
    [
        ([0.1, np.nan, 0.3], 256, "NaN or infinite"),
        ([0.1, np.inf, 0.3], 256, "NaN or infinite"),
        ([], 256, "empty"),
        (["a", "b"], 256, "numeric"),
        ([0.1, 0.2], 1, "bins"),
        ([0.1, 0.2], 2.5, "bins"),
        ([0.1, 0.2], True, "bins"),
        ([0.0, 5e-324], 256, "cannot bin"),  # numpy: too many bins for the data range
    ],
)
def test_invalid_input_raises_input_error(x, bins, match):
    with pytest.raises(InputError, match=match):
        otsu_threshold(x, bins=bins)


@settings(max_examples=300, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(min_value=1, max_value=300),
        elements=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32),
    ),
    st.sampled_from([2, 16, 256]),
)
def test_property_matches_skimage_and_lies_inside_the_range(x, bins):
    try:
        expected = threshold_otsu(x, nbins=bins)
    except ValueError:
        with pytest.raises(InputError):
            otsu_threshold(x, bins=bins)
        return
    threshold = otsu_threshold(x, bins=bins)
    assert threshold == expected
    if x.min() < x.max():
        # A bin centre below the top bin: both classes non-empty.
        assert x.min() < threshold < x.max()
        assert np.any(x <= threshold) and np.any(x > threshold)
