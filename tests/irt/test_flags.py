"""Item flags: negative slopes beyond chance (FDR over items), near-zero slopes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control, norm

from measurand.latent.irt import flag_items


def test_negative_flags_use_benjamini_hochberg_over_items():
    rng = np.random.default_rng(0)
    p, D = 400, 2
    a = np.abs(rng.normal(1.0, 0.3, (p, D)))
    se = np.full((p, D), 0.2)
    a[5] = [-1.2, 0.4]  # z = -6: beyond any chance
    a[9] = [0.5, -0.5]  # z = -2.5: p = 2 x 0.0062, not at an FDR of 5 % over 400 items
    a[11, 0] = -0.1  # above -threshold: never a candidate
    flags = flag_items(a, se)
    assert flags.negative == (5,)
    assert set(flags.q_values) == {5, 9}
    entry = np.where(a <= -0.2, norm.cdf(a / se), 1.0)
    expected_p = np.minimum(1.0, D * entry.min(axis=1))
    np.testing.assert_allclose(flags.p_values[9], expected_p[9])
    np.testing.assert_allclose(flags.q_values[9], false_discovery_control(expected_p)[9])
    assert "dimension 1 (-1.200, q = " in flags.reason[5]
    assert flags.dimensions == {5: 0, 9: 1}
    # over 20 items, item 9 (rank 2) has q = 0.0124 x 20 / 2 = 0.124
    assert 9 in flag_items(a[:20], se[:20], fdr=0.2).negative
    assert 9 not in flag_items(a[:20], se[:20], fdr=0.1).negative


def test_without_standard_errors_the_threshold_decides():
    a = np.array([[1.0], [-0.5], [0.1], [-0.19]])
    flags = flag_items(a)
    assert flags.negative == (1,) and flags.near_zero == (2, 3) and flags.fdr is None
    nan_se = flag_items(a, np.full_like(a, np.nan))
    assert nan_se.negative == (1,) and nan_se.fdr is None
    with pytest.raises(ValueError, match="fdr"):
        flag_items(a, np.ones_like(a), fdr=1.5)


def test_few_flags_when_no_item_is_broken():
    """Under the null (every slope positive, 48 subjects' worth of noise on 8 dimensions) the
    per-entry 95 % rule used before flagged several percent of the items; the FDR rule about
    none."""
    rng = np.random.default_rng(1)
    p, D = 5000, 8
    truth = np.zeros((p, D))
    truth[np.arange(p), rng.integers(0, D, p)] = rng.uniform(0.8, 2.0, p)
    se = np.full((p, D), 0.27)
    a = truth + rng.normal(0.0, 0.27, (p, D))
    flags = flag_items(a, se)
    old_rule = ((a <= -0.2) & (a + 1.96 * se < 0)).any(axis=1).sum()
    assert old_rule > 0.02 * p
    assert len(flags.negative) <= 5
