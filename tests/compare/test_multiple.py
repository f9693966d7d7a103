"""Tests for measurand.compare.multiple: all-pairs comparisons and expected orderings.

References: adjusted p-values against ``statsmodels.stats.multitest.multipletests`` (``holm``,
``fdr_bh``, ``bonferroni``) applied to the raw p-values of each family; each pair's delta, CI and
p against a separate ``significance`` call on that pair (which is itself checked against scipy
in test_significance.py) and against ``scipy.stats.permutation_test`` (exact) on the seed means.
"""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from analysis_data import campaign, read_dopamine
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from measurand.compare.multiple import (
    ORDERING_STATUSES,
    check_ordering,
    compare_all,
    parse_ordering,
)
from measurand.compare.two_conditions import significance
from measurand.errors import InputError

CONDITIONS = ["grpo+none", "maxrl+none", "maxrl+gtpo", "maxrl+gtpo_hicra", "maxrl+gtpo_sepa"]


def _mean_diff(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


@pytest.fixture(scope="module")
def five():
    levels = dict(zip(CONDITIONS, [0.30, 0.30, 0.34, 0.37, 0.37], strict=True))
    return campaign(levels, n_seeds=6, n_steps=30, rng_seed=21)


@pytest.fixture(scope="module")
def everything(five):
    return compare_all(five, metrics="correct_rate", window="10:30", n_resamples=2000)


def test_all_pairs_frame(everything):
    frame = everything.frame
    assert frame.columns[:11] == [
        "metric",
        "task",
        "baseline",
        "candidate",
        "delta",
        "ci_low",
        "ci_high",
        "pvalue",
        "p_holm",
        "p_bh",
        "verdict",
    ]
    assert frame.height == math.comb(5, 2)
    expected_pairs = [(CONDITIONS[i], CONDITIONS[j]) for i in range(5) for j in range(i + 1, 5)]
    assert frame.select("baseline", "candidate").rows() == expected_pairs
    assert len(everything.pairs) == 10
    assert everything.adjust == ("holm", "bh") and everything.family == "metric"


def test_adjusted_pvalues_match_statsmodels(everything):
    raw = everything.frame["pvalue"].to_numpy()
    for column, method in (("p_holm", "holm"), ("p_bh", "fdr_bh")):
        reference = multipletests(raw, method=method)[1]
        np.testing.assert_allclose(everything.frame[column].to_numpy(), reference, rtol=1e-12)


def test_each_row_equals_a_separate_significance_call(five, everything):
    for row in everything.frame.iter_rows(named=True):
        single = significance(
            five,
            baseline=row["baseline"],
            candidate=row["candidate"],
            metrics="correct_rate",
            window="10:30",
            n_resamples=2000,
        ).comparisons[0]
        assert row["delta"] == single.delta
        assert (row["ci_low"], row["ci_high"]) == tuple(single.ci)
        assert row["pvalue"] == single.pvalue
        xb, xc = np.array(single.values_baseline), np.array(single.values_candidate)
        exact = sps.permutation_test(
            (xc, xb), _mean_diff, n_resamples=np.inf, vectorized=True
        ).pvalue
        assert row["pvalue"] == pytest.approx(exact, rel=1e-12)


def test_verdict_uses_the_first_adjustment(everything):
    for row in everything.frame.iter_rows(named=True):
        significant = row["p_holm"] < 0.05 and (row["ci_low"] > 0 or row["ci_high"] < 0)
        if significant:
            expected = "significant_improvement" if row["delta"] > 0 else "significant_degradation"
        else:
            expected = "insufficient_evidence"
        assert row["verdict"] == expected
    # hicra vs sepa: significant raw (and after BH) but not after Holm
    last = everything.frame.row(-1, named=True)
    assert (last["baseline"], last["candidate"]) == ("maxrl+gtpo_hicra", "maxrl+gtpo_sepa")
    assert last["pvalue"] < 0.05 < last["p_holm"] and last["p_bh"] < 0.05
    assert last["ci_low"] > 0
    assert last["verdict"] == "insufficient_evidence"


def test_verdict_follows_bh_when_it_comes_first(five):
    res = compare_all(
        five, metrics="correct_rate", window="10:30", n_resamples=2000, adjust=("bh", "holm")
    )
    assert res.frame.columns[8:10] == ["p_bh", "p_holm"]
    assert res.frame.row(-1, named=True)["verdict"] == "significant_improvement"


def test_against_a_baseline_and_other_options(five):
    res = compare_all(
        five,
        metrics="correct_rate",
        baseline="maxrl+gtpo",
        conditions=["grpo+none", "maxrl+gtpo_sepa"],
        adjust="bonferroni",
        n_resamples=500,
    )
    assert res.frame.select("baseline", "candidate").rows() == [
        ("maxrl+gtpo", "grpo+none"),
        ("maxrl+gtpo", "maxrl+gtpo_sepa"),
    ]
    assert "p_bonferroni" in res.frame.columns and "p_holm" not in res.frame.columns
    raw = res.frame["pvalue"].to_numpy()
    np.testing.assert_allclose(
        res.frame["p_bonferroni"].to_numpy(), multipletests(raw, method="bonferroni")[1]
    )
    json.dumps(res.to_dict(), allow_nan=False)


def test_family_per_metric_or_all(five):
    frame = five.frame.vstack(
        five.frame.with_columns(pl.lit("mean_reward").alias("metric"), pl.col("value") * 0.5)
    )
    kwargs = {
        "metrics": ["correct_rate", "mean_reward"],
        "conditions": CONDITIONS[:3],
        "n_resamples": 300,
    }
    per_metric = compare_all(frame, **kwargs).frame
    pooled = compare_all(frame, family="all", **kwargs).frame
    for metric in ("correct_rate", "mean_reward"):
        part = per_metric.filter(pl.col("metric") == metric)
        np.testing.assert_allclose(
            part["p_holm"].to_numpy(), multipletests(part["pvalue"].to_numpy(), method="holm")[1]
        )
    np.testing.assert_allclose(
        pooled["p_holm"].to_numpy(), multipletests(pooled["pvalue"].to_numpy(), method="holm")[1]
    )
    assert not np.allclose(pooled["p_holm"].to_numpy(), per_metric["p_holm"].to_numpy())


def test_untestable_pairs_stay_out_of_the_family():
    data = campaign({"a": 0.3, "b": 0.4, "c": 0.5}, n_seeds=4, n_steps=5, rng_seed=3)
    frame = data.frame.filter(~((pl.col("condition") == "c") & (pl.col("seed") != "0")))
    res = compare_all(frame, metrics="correct_rate", n_resamples=300)
    rows = {(r["baseline"], r["candidate"]): r for r in res.frame.iter_rows(named=True)}
    assert rows[("a", "c")]["pvalue"] is None and rows[("a", "c")]["p_holm"] is None
    assert rows[("a", "c")]["verdict"] == "insufficient_evidence"
    assert rows[("a", "b")]["p_holm"] == pytest.approx(rows[("a", "b")]["pvalue"])
    assert any("needs >= 2 seeds per arm" in w for w in res.warnings)


def test_compare_all_bad_inputs(five):
    with pytest.raises(InputError, match="unknown condition"):
        compare_all(five, metrics="correct_rate", baseline="nope")
    with pytest.raises(InputError, match="unknown condition"):
        compare_all(five, metrics="correct_rate", conditions=["grpo+none", "nope"])
    with pytest.raises(InputError, match="at least 2 conditions"):
        compare_all(five, metrics="correct_rate", conditions=["grpo+none"])
    with pytest.raises(InputError, match="adjust"):
        compare_all(five, metrics="correct_rate", adjust=("sidak",))
    with pytest.raises(InputError, match="family"):
        compare_all(five, metrics="correct_rate", family="task")
    with pytest.raises(InputError, match="absent from condition"):
        compare_all(five, metrics="loss")


# ------------------------------------------------------------------------------ orderings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A >= B >= C", ["A", "B", "C"]),
        ("A ≥ B ≥ C", ["A", "B", "C"]),
        ("A > B", ["A", "B"]),
        ("C <= B < A", ["A", "B", "C"]),
        ("maxrl+gtpo_sepa >= maxrl+gtpo_hicra", ["maxrl+gtpo_sepa", "maxrl+gtpo_hicra"]),
        ("DQN (Adam + MSE in JAX)>=DQN", ["DQN (Adam + MSE in JAX)", "DQN"]),
    ],
)
def test_parse_ordering(text, expected):
    assert parse_ordering(text) == expected


@pytest.mark.parametrize("bad", ["A", "A >= ", ">= A", "A >= B <= C", "A >= B >= A", ""])
def test_parse_ordering_rejects(bad):
    with pytest.raises(InputError, match="ordering"):
        parse_ordering(bad)


@given(
    names=st.lists(
        st.text(
            st.characters(whitelist_categories=("L", "N"), whitelist_characters="+_-."),
            min_size=1,
            max_size=8,
        ),
        min_size=2,
        max_size=6,
        unique=True,
    ),
    relation=st.sampled_from([">=", ">", "≥", "<=", "<", "≤"]),
)
def test_parse_ordering_round_trip(names, relation):
    parsed = parse_ordering(f" {relation} ".join(names))
    assert parsed == (names if relation in (">=", ">", "≥") else names[::-1])


def test_ordering_supported(five):
    res = check_ordering(
        five,
        "maxrl+gtpo_hicra >= maxrl+gtpo >= grpo+none",
        metric="correct_rate",
        window="10:30",
        n_resamples=2000,
    )
    assert res.ordering == ("maxrl+gtpo_hicra", "maxrl+gtpo", "grpo+none")
    assert [p.status for p in res.pairs] == ["supported", "supported"]
    assert res.status == "supported"
    raw = [p.pvalue for p in res.pairs]
    np.testing.assert_allclose(
        [p.p_adjusted for p in res.pairs], multipletests(raw, method="holm")[1]
    )
    for pair in res.pairs:
        single = significance(
            five,
            baseline=pair.lower,
            candidate=pair.higher,
            metrics="correct_rate",
            window="10:30",
            n_resamples=2000,
        ).comparisons[0]
        assert pair.difference == single.delta and pair.ci == single.ci
        assert pair.pvalue == single.pvalue
        assert pair.ci.low > 0
    json.dumps(res.to_dict(), allow_nan=False)


def test_ordering_contradicted_and_unresolved(five):
    wrong = check_ordering(
        five, ["grpo+none", "maxrl+gtpo_hicra"], metric="correct_rate", n_resamples=1000
    )
    assert wrong.pairs[0].status == "contradicted" and wrong.status == "contradicted"
    assert wrong.pairs[0].difference < 0 and wrong.pairs[0].ci.high < 0
    close = check_ordering(
        five,
        "maxrl+gtpo_sepa >= maxrl+gtpo_hicra >= maxrl+gtpo",
        metric="correct_rate",
        n_resamples=1000,
    )
    statuses = [p.status for p in close.pairs]
    assert statuses[0] == "unresolved" and statuses[1] == "supported"
    assert close.status == "unresolved"
    assert set(statuses) <= set(ORDERING_STATUSES)


def test_ordering_bad_inputs(five):
    with pytest.raises(InputError, match="unknown condition"):
        check_ordering(five, "grpo+none >= nope", metric="correct_rate")
    with pytest.raises(InputError, match="2 distinct"):
        check_ordering(five, ["grpo+none"], metric="correct_rate")
    with pytest.raises(InputError, match="absent from condition"):
        check_ordering(five, "grpo+none >= maxrl+none", metric="loss")
    with pytest.raises(InputError, match="adjust"):
        check_ordering(five, "grpo+none >= maxrl+none", metric="correct_rate", adjust="x")
    two_tasks = pl.concat(
        [
            campaign({"a": 0.3, "b": 0.2}, n_seeds=3, n_steps=3, task="t1").frame,
            campaign({"a": 0.3, "b": 0.2}, n_seeds=3, n_steps=3, task="t2").frame,
        ]
    )
    with pytest.raises(InputError, match="several tasks"):
        check_ordering(two_tasks, "a >= b", metric="correct_rate")
    with pytest.raises(InputError, match="unknown task"):
        check_ordering(two_tasks, "a >= b", metric="correct_rate", task="t3")
    res = check_ordering(two_tasks, "a >= b", metric="correct_rate", task="t2", n_resamples=200)
    assert res.task == "t2" and res.pairs[0].comparison.task == "t2"


@settings(max_examples=10, deadline=None)
@given(rng_seed=st.integers(0, 2**31), k=st.integers(2, 4))
def test_ordering_status_rule_property(rng_seed, k):
    rng = np.random.default_rng(rng_seed)
    levels = {f"c{i}": float(v) for i, v in enumerate(rng.normal(0.5, 0.05, k))}
    data = campaign(levels, n_seeds=4, n_steps=3, rng_seed=rng_seed % 1000)
    res = check_ordering(data, list(levels), metric="correct_rate", n_resamples=200)
    for pair in res.pairs:
        significant = pair.p_adjusted < 0.05
        if significant and pair.ci.low > 0:
            assert pair.status == "supported"
        elif significant and pair.ci.high < 0:
            assert pair.status == "contradicted"
        else:
            assert pair.status == "unresolved"
        assert pair.p_adjusted >= pair.pvalue
    statuses = [p.status for p in res.pairs]
    if "contradicted" in statuses:
        assert res.status == "contradicted"
    elif all(s == "supported" for s in statuses):
        assert res.status == "supported"
    else:
        assert res.status == "unresolved"


def test_dopamine_pairs_and_ordering_on_pong():
    agents = ["DQN", "C51", "Rainbow"]
    data = read_dopamine(agents, ["pong"])
    everything = compare_all(data, metrics="value", window="last:10", n_resamples=2000)
    assert everything.frame.height == 3
    assert (everything.frame["task"] == "pong").all()
    np.testing.assert_allclose(
        everything.frame["p_holm"].to_numpy(),
        multipletests(everything.frame["pvalue"].to_numpy(), method="holm")[1],
    )
    order = check_ordering(
        data, "Rainbow >= C51 >= DQN", metric="value", window="last:10", n_resamples=2000
    )
    assert [(p.higher, p.lower) for p in order.pairs] == [("Rainbow", "C51"), ("C51", "DQN")]
    for pair in order.pairs:
        row = everything.frame.filter(
            ((pl.col("baseline") == pair.lower) & (pl.col("candidate") == pair.higher))
            | ((pl.col("baseline") == pair.higher) & (pl.col("candidate") == pair.lower))
        ).row(0, named=True)
        sign = 1 if row["candidate"] == pair.higher else -1
        assert pair.difference == pytest.approx(sign * row["delta"], rel=1e-12)
        assert pair.pvalue == pytest.approx(row["pvalue"], rel=1e-12)
    assert order.status in ORDERING_STATUSES
