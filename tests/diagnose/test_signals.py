"""Tests of measurand.diagnose.signals: the signal-spec grammar and its evaluation.

References: every reduction is checked against the direct numpy expression it stands for,
including the reference script's ``late()`` (``log10(clip(d[:, -4:].mean(1), 1e-12, None))``) and
its combined drift ``log10(clip(sqrt(a² + b²), 1e-12, None))`` of the two late means.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from measurand.diagnose.signals import OPERATIONS, derive_signal, parse_signal
from measurand.errors import InputError

N = 40


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    drift = 10 ** rng.uniform(-8, -1, (N, 16))
    drift[3, -4:] = 0.0  # an exactly settled example: the clip floor matters
    return {
        "lyap_spec": np.round(rng.normal(size=(N, 8)), 3).astype(np.float32),
        "drift_zH": drift,
        "drift_zL": 10 ** rng.uniform(-8, -1, (N, 16)),
        "correct": rng.integers(0, 2, N).astype(bool),
        "score": rng.normal(size=N),
        "cube": rng.normal(size=(N, 3, 5)),
        "odd name": rng.normal(size=N),
        "text": np.array(["a"] * N, dtype=object),
    }


# ----------------------------------------------------------------------------------------------
# Values against numpy
# ----------------------------------------------------------------------------------------------
def test_column_selection_and_negation(arrays):
    lyap = arrays["lyap_spec"].astype(np.float64)
    np.testing.assert_array_equal(derive_signal(arrays, "lyap_spec[:, 0]"), lyap[:, 0])
    np.testing.assert_array_equal(derive_signal(arrays, "-lyap_spec[:,0]"), -lyap[:, 0])
    np.testing.assert_array_equal(derive_signal(arrays, "lyap_spec[:, -1]"), lyap[:, -1])
    np.testing.assert_array_equal(derive_signal(arrays, "lyap_spec[:, 2]|neg"), -lyap[:, 2])
    np.testing.assert_array_equal(derive_signal(arrays, "cube[:, 1, 4]"), arrays["cube"][:, 1, 4])
    assert derive_signal(arrays, "score").dtype == np.float64


def test_late_mean_log10_matches_reference_script(arrays):
    d = arrays["drift_zH"]
    expected = np.log10(np.clip(d[:, -4:].mean(1), 1e-12, None))
    got = derive_signal(arrays, "drift_zH|last:4|mean|log10:1e-12")
    np.testing.assert_allclose(got, expected, rtol=0, atol=0)
    assert got[3] == -12.0  # the exactly settled example sits on the floor
    np.testing.assert_array_equal(derive_signal(arrays, "drift_zH[:, -4:]|mean|log10:1e-12"), got)


def test_combined_norm_matches_reference_script(arrays):
    a = arrays["drift_zH"][:, -4:].mean(1)
    b = arrays["drift_zL"][:, -4:].mean(1)
    expected = np.log10(np.clip(np.sqrt(a**2 + b**2), 1e-12, None))
    got = derive_signal(arrays, "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12")
    np.testing.assert_allclose(got, expected, rtol=1e-15)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("drift_zH|first:3|median", lambda a: np.median(a["drift_zH"][:, :3], axis=1)),
        ("drift_zH|min", lambda a: a["drift_zH"].min(axis=1)),
        ("drift_zH|max|log", lambda a: np.log(a["drift_zH"].max(axis=1))),
        ("drift_zH|sum", lambda a: a["drift_zH"].sum(axis=1)),
        ("drift_zH[:, ::2]|mean", lambda a: a["drift_zH"][:, ::2].mean(axis=1)),
        ("drift_zH[:, 2:10:3]|max", lambda a: a["drift_zH"][:, 2:10:3].max(axis=1)),
        ("lyap_spec[:, 0]|abs", lambda a: np.abs(a["lyap_spec"][:, 0].astype(float))),
        ("cube|mean|last:2|mean", lambda a: a["cube"].mean(axis=2)[:, -2:].mean(axis=1)),
        ("cube[:, :, 0]|max", lambda a: a["cube"][:, :, 0].max(axis=1)),
        ("'odd name'", lambda a: a["odd name"]),
        ('"odd name"|neg|neg', lambda a: a["odd name"]),
        ("correct", lambda a: a["correct"].astype(float)),
        ("norm(score)", lambda a: np.abs(a["score"])),
        ("-norm(score, -score)", lambda a: -np.sqrt(2) * np.abs(a["score"])),
    ],
)
def test_reductions_match_numpy(arrays, spec, expected):
    np.testing.assert_allclose(derive_signal(arrays, spec), expected(arrays), rtol=1e-12)


def test_log_without_floor_gives_non_finite_values(arrays):
    values = derive_signal(arrays, "drift_zH|last:4|mean|log10")
    assert values[3] == -np.inf
    negative = arrays["lyap_spec"][:, 0] < 0
    assert np.isnan(derive_signal(arrays, "lyap_spec[:, 0]|log")[negative]).all()


def test_nan_values_propagate(arrays):
    data = dict(arrays)
    drift = data["drift_zH"].copy()
    drift[5, -1] = np.nan
    data["drift_zH"] = drift
    values = derive_signal(data, "drift_zH|last:4|mean|log10:1e-12")
    assert np.isnan(values[5])
    assert np.isfinite(np.delete(values, 5)).all()


# ----------------------------------------------------------------------------------------------
# Parsing and canonical text
# ----------------------------------------------------------------------------------------------
def test_canonical_text_and_array_names():
    signal = parse_signal("  norm( drift_zH | last:4|mean ,drift_zL|last:4|mean ) | log10:1e-12 ")
    assert str(signal) == "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12"
    assert signal.array_names == ("drift_zH", "drift_zL")
    assert str(parse_signal("-lyap_spec[:,0]")) == "-lyap_spec[:, 0]"
    assert str(parse_signal("'odd name'|mean")) == "'odd name'|mean"
    assert str(parse_signal("norm|neg")) == "'norm'|neg"  # an array called norm, not the function


@given(
    negate=st.booleans(),
    name=st.sampled_from(["drift_zH", "drift_zL"]),
    window=st.sampled_from(["", "|last:4", "|first:3", "|last:16"]),
    reducer=st.sampled_from(["mean", "median", "min", "max", "sum"]),
    tail=st.lists(st.sampled_from(["abs", "neg", "log10:1e-12", "log:1e-9", "log10"]), max_size=3),
    spaces=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_canonical_text_round_trips(arrays, negate, name, window, reducer, tail, spaces):
    spec = ("-" if negate else "") + name + window + f"|{reducer}" + "".join(f"|{t}" for t in tail)
    if spaces:
        spec = spec.replace("|", " | ")
    canonical = str(parse_signal(spec))
    assert str(parse_signal(canonical)) == canonical
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(derive_signal(arrays, spec), derive_signal(arrays, canonical))


@given(st.text(alphabet="abc_[]():,|-' 0123456789.", max_size=25))
@settings(max_examples=200, deadline=None)
def test_arbitrary_text_parses_or_raises_input_error(text):
    try:
        parse_signal(text)
    except InputError:
        pass


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------
def _error(arrays, spec) -> str:
    with pytest.raises(InputError) as info:
        derive_signal(arrays, spec)
    return str(info.value)


def _caret_column(message: str) -> int:
    """Column (0-based, in the spec) that the caret line points at."""
    caret_line = message.splitlines()[-1]
    return len(caret_line) - 3  # "  " indent and the caret itself


def test_unknown_array_lists_available_names(arrays):
    message = _error(arrays, "lyap[:, 0]")
    assert "unknown array 'lyap'" in message
    assert "available arrays: correct, cube, drift_zH, drift_zL, lyap_spec" in message
    assert _caret_column(message) == 0


def test_unknown_array_inside_norm_points_at_it(arrays):
    message = _error(arrays, "norm(drift_zH|mean, zl|mean)")
    assert "unknown array 'zl'" in message
    assert _caret_column(message) == 20


def test_step_reduction_on_1d_array(arrays):
    message = _error(arrays, "score|last:4|mean")
    assert "'last:4' works on the step axis and needs a 2-D array" in message
    assert "shape (40,)" in message
    assert _caret_column(message) == 6


def test_mean_after_full_reduction(arrays):
    message = _error(arrays, "drift_zH|mean|mean")
    assert "'mean' works on the step axis" in message
    assert _caret_column(message) == 14


def test_window_longer_than_trajectory(arrays):
    message = _error(arrays, "drift_zH|last:20|mean")
    assert "asks for 20 steps but there are 16" in message


def test_result_must_be_one_value_per_example(arrays):
    message = _error(arrays, "drift_zH|last:4")
    assert "shape (40, 4) (from array" in message
    assert "not one value per example" in message


@pytest.mark.parametrize(
    ("spec", "fragment", "position"),
    [
        ("lyap_spec[:, 0", "expected ',' or ']', found the end of the spec", 14),
        ("lyap_spec[0]", "the first index is the example axis and must be ':'", 10),
        ("lyap_spec[:, 9]", "index 9 is out of range for axis 1 of size 8", 13),
        ("lyap_spec[:, 0, 1]", "too many indices", 16),
        ("lyap_spec[:, 1.5]", "index '1.5' is not an integer", 13),
        ("drift_zH|mean|", "expected a step", 14),
        ("drift_zH|avg", "unknown step 'avg'", 9),
        ("drift_zH|last|mean", "'last' needs a number of steps", 9),
        ("drift_zH|last:0|mean", "needs a whole number of steps", 9),
        ("drift_zH|last:2.5|mean", "needs a whole number of steps", 9),
        ("drift_zH|mean:3", "'mean' takes no argument", 9),
        ("drift_zH|mean|log10:0", "the clip floor must be > 0", 14),
        ("drift_zH|mean|log10:", "expected a number after 'log10:'", 20),
        ("'drift_zH|mean", "unterminated quoted name", 0),
        ("drift_zH $", "unexpected character '$'", 9),
        ("drift_zH mean", "expected '|' followed by a step", 9),
        ("norm(drift_zH|mean", "expected ',' or ')' closing norm(", 18),
        ("--score", "expected an array name", 1),
        ("text", "is not numeric", 0),
    ],
)
def test_errors_name_the_problem_and_its_position(arrays, spec, fragment, position):
    message = _error(arrays, spec)
    assert fragment in message
    assert f"(position {position})" in message
    assert message.splitlines()[1] == f"  {spec}"
    assert _caret_column(message) == position


def test_empty_and_non_string_specs(arrays):
    with pytest.raises(InputError, match="empty signal spec"):
        parse_signal("   ")
    with pytest.raises(InputError, match="must be a string"):
        parse_signal(3)  # type: ignore[arg-type]


def test_norm_arguments_of_different_lengths(arrays):
    data = dict(arrays, short=np.ones(N - 1))
    message = _error(data, "norm(score, short)")
    assert re.search(r"'score' has 40 examples but 'short' has 39", message)


def test_operations_are_documented():
    import measurand.diagnose.signals as module

    for op in OPERATIONS:
        assert f"``{op}" in module.__doc__


def test_deep_nesting_is_refused_not_recursed():
    # issue 10: 500 nested norm( raised RecursionError (exit 1)
    spec = "norm(" * 500 + "a" + ")" * 500
    with pytest.raises(InputError, match="nest more than 32 levels"):
        parse_signal(spec)
    assert parse_signal("norm(" * 5 + "a" + ")" * 5) is not None


def test_norm_of_values_near_the_float_maximum_stays_finite():
    arrays = {"a": np.array([1e200, 3.0, -1e300]), "b": np.array([1e200, 4.0, 1e300])}
    values = derive_signal(arrays, "norm(a, b)")
    assert values[1] == 5.0
    assert values[0] == pytest.approx(np.sqrt(2) * 1e200, rel=1e-15)
    assert values[2] == pytest.approx(np.sqrt(2) * 1e300, rel=1e-15)
