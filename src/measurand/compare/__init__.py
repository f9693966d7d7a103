"""Compare conditions across seeds: which is better, by how much, and how sure?

The seed (run) is the unit of analysis: every run is reduced to its mean over a step window
before any test. Start with :func:`run_compare` (what ``measurand compare`` calls) or use the
analyses one by one:

- :func:`parse_window`, :func:`window_means` - step windows and per-run reduction;
- :func:`learning_curves` - mean and band over seeds per step;
- :func:`significance` - two conditions: bootstrap CI, permutation p, effect sizes, power, counts;
- :func:`compare_all`, :func:`check_ordering` - many conditions with Holm / BH adjustment;
- :func:`evaluate_litmus`, :func:`load_rules` - TOML rule files giving CONFIRMED / FAILED /
  INCONCLUSIVE;
- :func:`across_tasks` - rliable-style IQM, mean, median, optimality gap, P(X > Y), profiles.
"""

from __future__ import annotations

from measurand.compare.aggregates import AcrossTasksResult, across_tasks
from measurand.compare.curves import CurvesResult, learning_curves
from measurand.compare.litmus import (
    CheckResult,
    EvidenceResult,
    LitmusResult,
    LitmusRules,
    evaluate_litmus,
    load_rules,
    parse_check,
    parse_rules,
)
from measurand.compare.multiple import (
    MultipleComparisonResult,
    OrderingResult,
    check_ordering,
    compare_all,
    parse_ordering,
)
from measurand.compare.options import CompareOptions
from measurand.compare.two_conditions import MetricComparison, SignificanceResult, significance
from measurand.compare.window import Window, parse_window, window_means
from measurand.compare.workflow import CompareResult, run_compare

__all__ = [
    "AcrossTasksResult",
    "CheckResult",
    "CompareOptions",
    "CompareResult",
    "CurvesResult",
    "EvidenceResult",
    "LitmusResult",
    "LitmusRules",
    "MetricComparison",
    "MultipleComparisonResult",
    "OrderingResult",
    "SignificanceResult",
    "Window",
    "across_tasks",
    "check_ordering",
    "compare_all",
    "evaluate_litmus",
    "learning_curves",
    "load_rules",
    "parse_check",
    "parse_ordering",
    "parse_rules",
    "parse_window",
    "run_compare",
    "significance",
    "window_means",
]
