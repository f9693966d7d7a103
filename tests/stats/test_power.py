"""Tests for measurand.stats._power against R's power.t.test / power.prop.test and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower
from statsmodels.stats.proportion import (
    power_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

from measurand.errors import InputError, NoSolutionError
from measurand.stats import PowerResult, power_proportions, power_t_test

# statsmodels spells the one-sided alternatives differently.
STATSMODELS_ALTERNATIVE = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


def _statsmodels_t(kind: str) -> TTestIndPower | TTestPower:
    return TTestIndPower() if kind == "two-sample" else TTestPower()


# ---------------------------------------------------------------------------------------------
# t test: published R values
# ---------------------------------------------------------------------------------------------


def test_t_test_matches_r_examples() -> None:
    # R: power.t.test(n = 20, delta = 1)  -> power = 0.8689528
    result = power_t_test(n=20, effect_size=1)
    assert isinstance(result, PowerResult)
    assert result.power == pytest.approx(0.8689528, abs=5e-8)
    assert (result.solved_for, result.n_ceil, result.kind) == ("power", None, "two-sample")
    # R: power.t.test(power = .90, delta = 1)  -> n = 22.02110 (uniroot tol ~1e-4)
    sized = power_t_test(power=0.9, effect_size=1)
    assert sized.n == pytest.approx(22.02110, abs=1e-4)
    assert sized.n_ceil == 23
    assert sized.power == 0.9
    # R: power.t.test(power = .90, delta = 1, alternative = "one.sided")  -> n = 17.84713
    one_sided = power_t_test(power=0.9, effect_size=1, alternative="greater")
    assert one_sided.n == pytest.approx(17.84713, abs=1e-4)
    assert one_sided.n_ceil == 18


@pytest.mark.parametrize("kind", ["two-sample", "paired", "one-sample"])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize(("effect", "n"), [(0.3, 50), (0.8, 10), (1.5, 4), (0.05, 3000)])
def test_t_power_matches_statsmodels(kind: str, alternative: str, effect: float, n: int) -> None:
    signed = -effect if alternative == "less" else effect
    # statsmodels counts both rejection tails: that is strict=True.
    expected = _statsmodels_t(kind).power(
        signed, n, 0.05, alternative=STATSMODELS_ALTERNATIVE[alternative]
    )
    result = power_t_test(effect_size=signed, n=n, alternative=alternative, kind=kind, strict=True)
    assert result.power == pytest.approx(expected, rel=1e-10)
    if alternative != "two-sided":
        # strict only matters for two-sided tests
        assert power_t_test(effect_size=signed, n=n, alternative=alternative, kind=kind).power == (
            result.power
        )
    else:
        loose = power_t_test(effect_size=signed, n=n, kind=kind).power
        assert 0.0 <= result.power - loose <= 0.025


@pytest.mark.parametrize("kind", ["two-sample", "paired", "one-sample"])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize(("effect", "power"), [(0.5, 0.8), (1.2, 0.95), (0.1, 0.9)])
def test_t_sample_size_matches_statsmodels(
    kind: str, alternative: str, effect: float, power: float
) -> None:
    signed = -effect if alternative == "less" else effect
    expected = _statsmodels_t(kind).solve_power(
        effect_size=signed,
        power=power,
        alpha=0.05,
        alternative=STATSMODELS_ALTERNATIVE[alternative],
    )
    result = power_t_test(
        effect_size=signed, power=power, alternative=alternative, kind=kind, strict=True
    )
    # statsmodels' own solver tolerance limits the agreement.
    assert result.n == pytest.approx(expected, rel=1e-6)
    assert result.n_ceil == math.ceil(expected)
    # The root really gives the requested power.
    check = power_t_test(
        effect_size=signed, n=result.n, alternative=alternative, kind=kind, strict=True
    )
    assert check.power == pytest.approx(power, abs=1e-9)


@pytest.mark.parametrize("kind", ["two-sample", "paired", "one-sample"])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize(("n", "power"), [(20, 0.8), (6, 0.9), (500, 0.5)])
def test_t_minimum_effect_matches_statsmodels(
    kind: str, alternative: str, n: int, power: float
) -> None:
    sm_alternative = STATSMODELS_ALTERNATIVE[alternative]
    result = power_t_test(n=n, power=power, alternative=alternative, kind=kind, strict=True)
    assert (result.effect_size < 0) == (alternative == "less")
    # statsmodels' power function at our root gives the target to full precision ...
    achieved = _statsmodels_t(kind).power(result.effect_size, n, 0.05, alternative=sm_alternative)
    assert achieved == pytest.approx(power, abs=1e-9)
    if alternative != "less":  # statsmodels' solver starts from a positive guess
        # ... and its own solver (tolerance ~1e-6) lands on the same effect.
        size_keyword = "nobs1" if kind == "two-sample" else "nobs"
        expected = _statsmodels_t(kind).solve_power(
            power=power, alpha=0.05, alternative=sm_alternative, **{size_keyword: n}
        )
        assert result.effect_size == pytest.approx(expected, rel=1e-4)
    assert result.solved_for == "effect_size"
    assert result.n_ceil is None


def test_t_solver_returns_minimum_n_when_n_two_suffices() -> None:
    result = power_t_test(effect_size=15.0, power=0.8, kind="paired")
    assert result.n == 2.0
    assert result.n_ceil == 2
    assert result.power >= 0.8
    expected = TTestPower().power(15.0, 2, 0.05)
    assert result.power == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effect_size": 0.5, "power": 0.05}, "does not exceed alpha"),
        ({"effect_size": 0.5, "power": 0.01}, "does not exceed alpha"),
        ({"n": 10, "power": 0.04, "alpha": 0.05}, "does not exceed alpha"),
        ({"effect_size": 0.5, "n": 1}, "degree of freedom"),
        ({"n": 0.5, "power": 0.8}, "degree of freedom"),
        ({"effect_size": 0.5, "n": 1.9, "kind": "paired"}, "at least 2"),
        ({"effect_size": 0.5, "n": 1.4, "kind": "two-sample"}, "at least 1.5"),
        ({"effect_size": 0.0, "power": 0.8}, "effect_size is 0"),
        ({"effect_size": -0.5, "power": 0.8, "alternative": "greater"}, "points away"),
        ({"effect_size": 0.5, "power": 0.8, "alternative": "less"}, "points away"),
        ({"effect_size": 1e-6, "power": 0.8}, "not reached"),
    ],
)
def test_t_unsolvable_requests_raise_no_solution(kwargs: dict, message: str) -> None:
    with pytest.raises(NoSolutionError, match=message):
        power_t_test(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effect_size": 0.5, "n": 10, "power": 0.8}, "exactly one"),
        ({"effect_size": 0.5}, "exactly one"),
        ({"effect_size": 0.5, "n": 10, "alpha": 0.0}, "alpha"),
        ({"effect_size": 0.5, "power": 1.0}, "power"),
        ({"effect_size": 0.5, "n": 10, "kind": "welch"}, "kind"),
        ({"effect_size": 0.5, "n": 10, "alternative": "two.sided"}, "alternative"),
        ({"effect_size": float("nan"), "n": 10}, "finite"),
        ({"effect_size": "big", "n": 10}, "number"),
    ],
)
def test_t_invalid_arguments_raise_input_error(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        power_t_test(**kwargs)


@settings(max_examples=40, deadline=None)
@given(
    effect=st.floats(0.05, 3.0),
    n=st.floats(2.5, 2000.0),
    kind=st.sampled_from(["two-sample", "paired", "one-sample"]),
    alternative=st.sampled_from(["two-sided", "greater", "less"]),
    strict=st.booleans(),
)
def test_t_solvers_round_trip(
    effect: float, n: float, kind: str, alternative: str, strict: bool
) -> None:
    signed = -effect if alternative == "less" else effect
    common = {"kind": kind, "alternative": alternative, "strict": strict}
    power = power_t_test(effect_size=signed, n=n, **common).power
    if not 0.06 < power < 0.999:
        return  # flat regions: round-tripping is ill-conditioned there
    assert power_t_test(effect_size=signed, power=power, **common).n == pytest.approx(n, rel=1e-6)
    assert power_t_test(n=n, power=power, **common).effect_size == pytest.approx(signed, rel=1e-6)
    # More data never loses power.
    assert power_t_test(effect_size=signed, n=n + 1, **common).power >= power


# ---------------------------------------------------------------------------------------------
# Two proportions
# ---------------------------------------------------------------------------------------------


def test_proportions_match_r_examples() -> None:
    # R documentation examples for power.prop.test (printed to the precision shown there):
    #   power.prop.test(n = 50, p1 = .50, p2 = .75)       ## => power = 0.740
    #   power.prop.test(p1 = .50, p2 = .75, power = .90)  ## =>     n = 76.7
    #   power.prop.test(n = 50, p1 = .5, power = .90)     ## =>    p2 = 0.8026
    assert power_proportions(p1=0.5, p2=0.75, n=50).power == pytest.approx(0.740, abs=5e-4)
    sized = power_proportions(p1=0.5, p2=0.75, power=0.9)
    assert sized.n == pytest.approx(76.7, abs=0.05)
    assert sized.n_ceil == 77
    assert (sized.effect_size, sized.p1, sized.p2) == (0.25, 0.5, 0.75)
    detectable = power_proportions(p1=0.5, n=50, power=0.9)
    assert detectable.p2 == pytest.approx(0.8026, abs=5e-5)
    assert detectable.effect_size == pytest.approx(detectable.p2 - 0.5, abs=1e-15)
    # The closed form ((z_{.975} sqrt(2 pbar qbar) + z_{.9} sqrt(p1 q1 + p2 q2)) / |d|)^2,
    # also statsmodels samplesize_proportions_2indep_onetail(0.25, 0.5, 0.9):
    expected = samplesize_proportions_2indep_onetail(0.25, 0.5, 0.9)
    assert sized.n == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize(
    ("p1", "p2", "n"), [(0.5, 0.75, 50), (0.1, 0.15, 800), (0.9, 0.6, 30), (0.02, 0.01, 5000)]
)
def test_proportion_power_matches_statsmodels(
    p1: float, p2: float, n: float, alternative: str
) -> None:
    sm_alternative = STATSMODELS_ALTERNATIVE[alternative]
    # statsmodels: diff = prop1 - prop2 with prop2 the reference, so prop1 is our p2.
    pooled = power_proportions_2indep(p2 - p1, p1, n, alternative=sm_alternative).power
    result = power_proportions(p1=p1, p2=p2, n=n, alternative=alternative, strict=True)
    assert result.power == pytest.approx(pooled, rel=1e-10, abs=1e-300)
    # Unpooled: a normal test with standardised effect d / sqrt((p1 q1 + p2 q2) / 2).
    effect = (p2 - p1) / math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    unpooled = NormalIndPower().power(effect, n, 0.05, alternative=sm_alternative)
    result = power_proportions(
        p1=p1, p2=p2, n=n, alternative=alternative, pooled=False, strict=True
    )
    assert result.power == pytest.approx(unpooled, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("pooled", [True, False])
@pytest.mark.parametrize(
    ("p1", "p2", "power"), [(0.5, 0.75, 0.9), (0.1, 0.15, 0.8), (0.9, 0.6, 0.95)]
)
def test_proportion_sample_size_round_trips(
    p1: float, p2: float, power: float, pooled: bool
) -> None:
    for strict in (False, True):
        sized = power_proportions(p1=p1, p2=p2, power=power, pooled=pooled, strict=strict)
        achieved = power_proportions(p1=p1, p2=p2, n=sized.n, pooled=pooled, strict=strict)
        assert achieved.power == pytest.approx(power, abs=1e-10)
    # strict counts more rejections, so it never needs more data.
    loose = power_proportions(p1=p1, p2=p2, power=power, pooled=pooled).n
    strict_n = power_proportions(p1=p1, p2=p2, power=power, pooled=pooled, strict=True).n
    assert strict_n <= loose


def test_unpooled_sample_size_matches_statsmodels() -> None:
    p1, p2 = 0.3, 0.4
    effect = (p2 - p1) / math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    expected = NormalIndPower().solve_power(effect_size=effect, power=0.8, alpha=0.05)
    result = power_proportions(p1=p1, p2=p2, power=0.8, pooled=False, strict=True)
    assert result.n == pytest.approx(expected, rel=1e-6)


def test_minimum_detectable_p2_directions() -> None:
    up = power_proportions(p1=0.3, n=200, power=0.8)
    down = power_proportions(p1=0.3, n=200, power=0.8, alternative="less")
    assert up.p2 > 0.3 > down.p2
    for result in (up, down):
        assert power_proportions(
            p1=0.3, p2=result.p2, n=200, alternative=result.alternative
        ).power == pytest.approx(0.8, abs=1e-10)
    # One-sided "greater" needs a smaller move than two-sided.
    assert power_proportions(p1=0.3, n=200, power=0.8, alternative="greater").p2 < up.p2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p1": 0.95, "n": 20, "power": 0.9}, "no p2 above"),
        ({"p1": 0.05, "n": 20, "power": 0.9, "alternative": "less"}, "no p2 below"),
        ({"p1": 0.5, "p2": 0.5, "power": 0.9}, "p1 equals p2"),
        ({"p1": 0.5, "p2": 0.4, "power": 0.9, "alternative": "greater"}, "points away"),
        ({"p1": 0.5, "p2": 0.6, "power": 0.03}, "does not exceed alpha"),
        ({"p1": 0.5, "p2": 0.6, "n": 0}, "positive"),
    ],
)
def test_proportions_unsolvable_requests_raise_no_solution(kwargs: dict, message: str) -> None:
    with pytest.raises(NoSolutionError, match=message):
        power_proportions(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p1": 0.5, "p2": 0.6, "n": 10, "power": 0.8}, "exactly one"),
        ({"p1": 0.0, "p2": 0.6, "n": 10}, "p1"),
        ({"p1": 0.5, "p2": 1.0, "n": 10}, "p2"),
        ({"p1": 0.5, "p2": 0.6, "n": 10, "alpha": 1.5}, "alpha"),
    ],
)
def test_proportions_invalid_arguments_raise_input_error(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        power_proportions(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    p1=st.floats(0.02, 0.98),
    p2=st.floats(0.02, 0.98),
    n=st.floats(5, 5000),
    pooled=st.booleans(),
    strict=st.booleans(),
)
def test_proportion_solvers_round_trip(
    p1: float, p2: float, n: float, pooled: bool, strict: bool
) -> None:
    alternative = "greater" if p2 > p1 else "less"
    common = {"pooled": pooled, "strict": strict, "alternative": alternative}
    power = power_proportions(p1=p1, p2=p2, n=n, **common).power
    assert 0.0 <= power <= 1.0
    if not 0.06 < power < 0.999 or abs(p2 - p1) < 1e-3:
        return
    assert power_proportions(p1=p1, p2=p2, power=power, **common).n == pytest.approx(n, rel=1e-7)
    solved = power_proportions(p1=p1, n=n, power=power, **common)
    # The solver returns the closest p2 reaching the power; it is no farther than p2.
    assert abs(solved.p2 - p1) <= abs(p2 - p1) + 1e-9
    assert power_proportions(p1=p1, p2=solved.p2, n=n, **common).power == pytest.approx(
        power, abs=1e-9
    )


def test_power_result_serialises() -> None:
    as_dict = power_proportions(p1=0.5, p2=0.75, power=0.9).to_dict()
    assert as_dict["n_ceil"] == 77
    assert as_dict["p2"] == 0.75
    assert as_dict["kind"] == "two-proportions"
    assert np.isclose(as_dict["n"], 76.70692845177743)
