"""Litmus gates: a rule file of pass/fail checks with evidence requirements, for CI pipelines.

A rule file (TOML) names a baseline and a candidate condition, a step window, the evidence that
must be present before any conclusion is drawn, and a list of checks. :func:`evaluate_litmus`
returns one of three statuses:

``CONFIRMED``
    every evidence requirement is met and every check passes;
``FAILED``
    every evidence requirement is met and at least one check fails;
``INCONCLUSIVE``
    an evidence requirement is not met (too few runs, steps or completions), or a check could not
    be evaluated (e.g. a relative lift over a baseline of exactly 0, or a ``significant(...)``
    check with too few seeds for any permutation p-value to fall below ``alpha``). The checks
    are still evaluated and reported, for information.

Rule-file schema
----------------
.. code-block:: toml

    name = "SEPA vs HICRA"              # optional, shown in reports
    description = "..."                 # optional
    baseline = "maxrl+gtpo_hicra"       # condition names (required unless given by the caller)
    candidate = "maxrl+gtpo_sepa"
    window = "last:100"                 # optional step window ("400:500", "last:100", "all")
    task = "pong"                       # optional; required when the data holds several tasks
    weight = "runs"                     # default weight of every check: runs | steps | generations
    alpha = 0.05                        # significance level of significant(...) checks
    n_permutations = 20000              # resamples of significant(...) checks
    n_resamples = 10000

    [evidence]                          # all optional
    min_runs_per_arm = 3                # seeds with data in the window, in each arm (default 2)
    min_steps_per_run = 50              # steps in the window, in every run (default 0)
    min_completions_per_run = 1000      # completions in the window, in every run (default 0)

    [[checks]]
    name = "accuracy lift"              # optional (defaults to the expression)
    expr = "lift(correct_rate) >= 0.005"
    weight = "generations"              # optional, overrides the file's default

    [[checks]]
    expr = "exec_entropy_var: candidate < baseline"

An entry of ``checks`` may also be a bare expression string: ``checks = ["lift(x) >= 0.01"]``.

Check expressions (parsed by a small hand-written parser, never evaluated as code)::

    lift(M)      OP NUMBER     candidate value - baseline value of metric M
    rel_lift(M)  OP NUMBER     (candidate - baseline) / |baseline|
    candidate(M) OP NUMBER     the candidate's value alone (an absolute gate)
    baseline(M)  OP NUMBER     the baseline's value alone
    abs(lift(M)) OP NUMBER     also abs(rel_lift(M)): "about equal" gates
    M: candidate OP baseline   direction only (also "M: baseline OP candidate")
    significant(M)             seed-level test: candidate significantly higher (p < alpha, CI > 0)
    significant(M, lower)      candidate significantly lower

``OP`` is one of ``>= > <= <`` (``≥``/``≤`` also accepted); ``M`` is a metric name (letters,
digits, ``_ . / - +``), or any text in double quotes.

Values and weights
------------------
Each run is first reduced to its mean over the window. An arm's value is the weighted mean of
its runs' means:

``runs``
    every run weighs the same (the seed is the unit; the default);
``steps``
    a run weighs its number of steps in the window (all steps of the arm pooled);
``generations``
    every step weighs its number of completions (``total_count`` of the emergence logs), so for
    ``correct_rate`` the arm's value is its pooled correct/total over the window. Steps without a
    completion count are left out (with a note); data without counts is an input error.

``significant(M)`` runs :func:`measurand.compare.significance` on the run means (permutation
test and bootstrap CI with the seed as the unit) and ignores the weight. It is not evaluated
(INCONCLUSIVE) when an arm has fewer than 2 seeds or when the smallest attainable p-value is
``>= alpha`` (2 vs 2 seeds: 1/3), since more seeds, not a different result, would decide it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl

from measurand._result import ConfidenceInterval, Result
from measurand.compare.significance import significance, smallest_pvalue
from measurand.compare.window import (
    excluded_stop_note,
    parse_window,
    window_means,
    window_rows,
)
from measurand.errors import InputError
from measurand.io._frames import RunData
from measurand.stats._rng import SeedLike

__all__ = [
    "CheckResult",
    "CheckRule",
    "EvidenceResult",
    "EvidenceRules",
    "LitmusResult",
    "LitmusRules",
    "ParsedCheck",
    "evaluate_litmus",
    "load_rules",
    "parse_check",
    "parse_rules",
    "shipped_rules",
]

Status = Literal["CONFIRMED", "FAILED", "INCONCLUSIVE"]
WEIGHTS = ("runs", "steps", "generations")
_QUANTITIES = ("lift", "rel_lift", "candidate", "baseline")
_OPERATORS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "≥": ">=", "≤": "<="}
_TOP_KEYS = {
    "name",
    "description",
    "baseline",
    "candidate",
    "window",
    "task",
    "weight",
    "alpha",
    "n_permutations",
    "n_resamples",
    "evidence",
    "checks",
}
_CHECK_KEYS = {"name", "expr", "weight"}
_EVIDENCE_KEYS = {"min_runs_per_arm", "min_steps_per_run", "min_completions_per_run"}
_FORMS = (
    "expected one of: 'lift(M) >= 0.01', 'rel_lift(M) >= 0.02', 'candidate(M) >= 0.3', "
    "'baseline(M) <= 0.5', 'abs(lift(M)) <= 0.01', 'M: candidate < baseline', "
    "'significant(M)', 'significant(M, lower)'"
)


# --------------------------------------------------------------------------------------------
# Check expressions
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ParsedCheck(Result):
    """A parsed check expression.

    ``kind`` is ``"threshold"`` (``quantity OP threshold``), ``"direction"`` (``candidate OP
    baseline``, stored as ``lift OP 0``) or ``"significance"``. ``quantity`` is one of
    ``lift, rel_lift, candidate, baseline`` (``absolute`` wraps it in ``abs``); for significance
    checks ``direction`` is ``"higher"`` or ``"lower"``.
    """

    kind: Literal["threshold", "direction", "significance"]
    metric: str
    quantity: str | None = None
    absolute: bool = False
    operator: str | None = None
    threshold: float | None = None
    direction: Literal["higher", "lower"] | None = None

    def describe(self) -> str:
        """The observed quantity in words, e.g. ``abs(lift(correct_rate))``."""
        if self.kind == "significance":
            return f"significant({self.metric}, {self.direction})"
        inner = f"{self.quantity}({self.metric})"
        return f"abs({inner})" if self.absolute else inner


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>>=|<=|≥|≤|>|<)
      | (?P<punct>[(),:])
      | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<quoted>"[^"]*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_./+\-]*)
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"unexpected text {stripped[pos:].strip()[:20]!r}")
        kind = match.lastgroup
        assert kind is not None
        value = match.group(kind)
        if kind == "quoted":
            kind, value = "name", value[1:-1]
            if not value:
                raise ValueError("empty quoted metric name")
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None, what: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            wanted = what or (repr(value) if value is not None else kind)
            found = "the end" if token is None else repr(token[1])
            raise ValueError(f"expected {wanted}, found {found}")
        self.pos += 1
        return token[1]

    def done(self) -> None:
        token = self.peek()
        if token is not None:
            raise ValueError(f"unexpected {token[1]!r} after a complete check")

    def metric(self) -> str:
        return self.take("name", what="a metric name")

    def operator(self) -> str:
        return _OPERATORS[self.take("op", what="a comparison (>=, >, <=, <)")]

    def number(self) -> float:
        value = float(self.take("number", what="a number"))
        if not math.isfinite(value):
            raise ValueError("the threshold must be finite")
        return value

    def check(self) -> ParsedCheck:
        first = self.peek()
        second = self.peek(1)
        if first is None:
            raise ValueError("empty expression")
        if first[0] == "name" and second == ("punct", ":"):
            return self.direction_check()
        if first == ("name", "significant") and second == ("punct", "("):
            return self.significance_check()
        return self.threshold_check()

    def direction_check(self) -> ParsedCheck:
        metric = self.metric()
        self.take("punct", ":")
        left = self.side()
        op = self.operator()
        right = self.side()
        self.done()
        if left == right:
            raise ValueError("a direction check compares candidate with baseline")
        if left == "baseline":  # "baseline < candidate" is "candidate > baseline"
            op = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}[op]
        return ParsedCheck(
            kind="direction", metric=metric, quantity="lift", operator=op, threshold=0.0
        )

    def side(self) -> str:
        side = self.take("name", what="'candidate' or 'baseline'")
        if side not in ("candidate", "baseline"):
            raise ValueError(f"expected 'candidate' or 'baseline', found {side!r}")
        return side

    def significance_check(self) -> ParsedCheck:
        self.take("name", "significant")
        self.take("punct", "(")
        metric = self.metric()
        direction = "higher"
        if self.peek() == ("punct", ","):
            self.take("punct", ",")
            direction = self.take("name", what="'higher' or 'lower'")
            if direction not in ("higher", "lower"):
                raise ValueError(f"expected 'higher' or 'lower', found {direction!r}")
        self.take("punct", ")")
        self.done()
        return ParsedCheck(kind="significance", metric=metric, direction=direction)  # type: ignore[arg-type]

    def threshold_check(self) -> ParsedCheck:
        absolute = False
        if self.peek() == ("name", "abs") and self.peek(1) == ("punct", "("):
            self.take("name", "abs")
            self.take("punct", "(")
            absolute = True
        quantity = self.take("name", what="lift, rel_lift, candidate, baseline, abs or a metric")
        if quantity not in _QUANTITIES:
            raise ValueError(
                f"unknown function {quantity!r}; use lift, rel_lift, candidate, baseline, abs, "
                "significant, or 'METRIC: candidate < baseline'"
            )
        if absolute and quantity not in ("lift", "rel_lift"):
            raise ValueError("abs(...) applies to lift(M) or rel_lift(M)")
        self.take("punct", "(")
        metric = self.metric()
        self.take("punct", ")")
        if absolute:
            self.take("punct", ")")
        op = self.operator()
        threshold = self.number()
        self.done()
        return ParsedCheck(
            kind="threshold",
            metric=metric,
            quantity=quantity,
            absolute=absolute,
            operator=op,
            threshold=threshold,
        )


def parse_check(expression: str) -> ParsedCheck:
    """Parse one check expression (see the module docstring); ValueError says what is wrong."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError("empty expression")
    return _Parser(expression).check()


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EvidenceRules(Result):
    """Evidence required before a check may confirm or fail a claim."""

    min_runs_per_arm: int = 2
    min_steps_per_run: int = 0
    min_completions_per_run: int = 0


@dataclasses.dataclass(frozen=True)
class CheckRule(Result):
    """One check of a rule file: its 1-based position, name, expression, weight and parse."""

    index: int
    name: str
    expression: str
    weight: str
    parsed: ParsedCheck


@dataclasses.dataclass(frozen=True)
class LitmusRules(Result):
    """A parsed rule file (see the module docstring for the schema)."""

    checks: tuple[CheckRule, ...]
    baseline: str | None = None
    candidate: str | None = None
    window: str | None = None
    task: str | None = None
    evidence: EvidenceRules = EvidenceRules()
    alpha: float = 0.05
    n_permutations: int = 20_000
    n_resamples: int = 10_000
    name: str | None = None
    description: str | None = None
    source: str = "<rules>"

    def metrics(self) -> list[str]:
        """Metrics named by the checks, in order of first mention."""
        return list(dict.fromkeys(c.parsed.metric for c in self.checks))


def shipped_rules() -> list[str]:
    """Names of the rule files that ship with measurand (``measurand/rules/*.toml``)."""
    folder = resources.files("measurand").joinpath("rules")
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def _shipped_path(name: str) -> Path | None:
    stem = name[: -len(".toml")] if name.endswith(".toml") else name
    if os.sep in name or "/" in name or stem not in shipped_rules():
        return None
    return Path(str(resources.files("measurand").joinpath("rules", f"{stem}.toml")))


def load_rules(path: str | os.PathLike[str]) -> LitmusRules:
    """Read and validate a TOML rule file; InputError names the file and the offending rule.

    A bare name that is not an existing file but names a shipped rule file (``"sepa_vs_hicra"``,
    see :func:`shipped_rules`) loads that one.
    """
    source = str(path)
    file = Path(path)
    if not file.is_file():
        shipped = _shipped_path(source)
        if shipped is None:
            names = ", ".join(shipped_rules()) or "none"
            raise InputError(f"rule file not found (shipped rule files: {names})", source=source)
        file, source = shipped, str(shipped)
    try:
        with file.open("rb") as fh:
            mapping = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 text: {exc}", source=source) from None
    return parse_rules(mapping, source=source)


def _rule_error(source: str, where: str, message: str) -> InputError:
    return InputError(f"{where}: {message}", source=source)


def _integer(value: Any, key: str, source: str, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _rule_error(source, where, f"{key} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _text(value: Any, key: str, source: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _rule_error(source, where, f"{key} must be a non-empty string, got {value!r}")
    return value


def _weight(value: Any, source: str, where: str) -> str:
    if value not in WEIGHTS:
        raise _rule_error(
            source, where, f"weight must be one of {', '.join(WEIGHTS)}, got {value!r}"
        )
    return str(value)


def _reject_unknown_keys(
    table: Mapping[str, Any], allowed: set[str], source: str, where: str
) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _rule_error(
            source, where, f"unknown key(s) {unknown}; allowed: {', '.join(sorted(allowed))}"
        )


def parse_rules(mapping: Mapping[str, Any], *, source: str = "<rules>") -> LitmusRules:
    """Validate a rule mapping (the parsed TOML) into :class:`LitmusRules`."""
    if not isinstance(mapping, Mapping):
        raise InputError("rules must be a table of keys", source=source)
    top = "top level"
    _reject_unknown_keys(mapping, _TOP_KEYS, source, top)
    names: dict[str, str | None] = {}
    for key in ("name", "description", "baseline", "candidate", "window", "task"):
        names[key] = _text(mapping[key], key, source, top) if key in mapping else None
    if names["baseline"] is not None and names["baseline"] == names["candidate"]:
        raise _rule_error(source, top, "baseline and candidate name the same condition")
    if names["window"] is not None:
        try:
            parse_window(names["window"])
        except InputError as exc:
            raise _rule_error(source, top, exc.message) from None
    default_weight = _weight(mapping.get("weight", "runs"), source, top)
    alpha = mapping.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise _rule_error(source, top, f"alpha must be a number in (0, 1), got {alpha!r}")
    n_permutations = _integer(
        mapping.get("n_permutations", 20_000), "n_permutations", source, top, 1
    )
    n_resamples = _integer(mapping.get("n_resamples", 10_000), "n_resamples", source, top, 1)

    raw_evidence = mapping.get("evidence", {})
    if not isinstance(raw_evidence, Mapping):
        raise _rule_error(source, "[evidence]", "must be a table")
    _reject_unknown_keys(raw_evidence, _EVIDENCE_KEYS, source, "[evidence]")
    defaults = EvidenceRules()
    evidence = EvidenceRules(
        **{
            key: _integer(
                raw_evidence.get(key, getattr(defaults, key)), key, source, "[evidence]", 0
            )
            for key in sorted(_EVIDENCE_KEYS)
        }
    )

    raw_checks = mapping.get("checks")
    if raw_checks is None:
        raise _rule_error(source, top, "no [[checks]]: a rule file needs at least one check")
    if not isinstance(raw_checks, list) or not raw_checks:
        raise _rule_error(source, top, "checks must be a non-empty list of checks")
    checks: list[CheckRule] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw_checks, start=1):
        where = f"check {index}"
        if isinstance(entry, str):
            entry = {"expr": entry}
        if not isinstance(entry, Mapping):
            raise _rule_error(source, where, "must be an expression string or a table with expr")
        if "name" in entry:
            where = f"check {index} ({entry['name']!r})"
        _reject_unknown_keys(entry, _CHECK_KEYS, source, where)
        if "expr" not in entry:
            raise _rule_error(source, where, "missing expr")
        expression = _text(entry["expr"], "expr", source, where)
        name = _text(entry.get("name", expression), "name", source, where)
        if name in seen:
            raise _rule_error(source, where, f"two checks are named {name!r}")
        seen.add(name)
        weight = _weight(entry.get("weight", default_weight), source, where)
        try:
            parsed = parse_check(expression)
        except ValueError as exc:
            raise _rule_error(
                source, where, f"cannot parse {expression!r}: {exc}; {_FORMS}"
            ) from None
        checks.append(
            CheckRule(index=index, name=name, expression=expression, weight=weight, parsed=parsed)
        )

    return LitmusRules(
        checks=tuple(checks),
        baseline=names["baseline"],
        candidate=names["candidate"],
        window=names["window"],
        task=names["task"],
        evidence=evidence,
        alpha=float(alpha),
        n_permutations=n_permutations,
        n_resamples=n_resamples,
        name=names["name"],
        description=names["description"],
        source=source,
    )


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CheckResult(Result):
    """Outcome of one check.

    ``observed`` is the quantity the check compares (the p-value for a significance check; the
    lift ``candidate - baseline`` for a direction check), ``threshold`` what it is compared to.
    ``passed`` is None when the check could not be evaluated (``detail`` says why).
    """

    index: int
    name: str
    expression: str
    kind: str
    metric: str
    weight: str | None
    quantity: str
    operator: str
    threshold: float
    observed: float
    baseline_value: float
    candidate_value: float
    passed: bool | None
    pvalue: float | None = None
    confidence_interval: ConfidenceInterval | None = None
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class EvidenceResult(Result):
    """One evidence requirement: what was required, the least observed, and whether it is met."""

    requirement: str
    required: int
    observed: int | None
    met: bool
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class LitmusResult(Result):
    """Outcome of :func:`evaluate_litmus`: the status, each check and each evidence item."""

    status: Status
    checks: tuple[CheckResult, ...]
    evidence: tuple[EvidenceResult, ...]
    evidence_met: bool
    baseline: str
    candidate: str
    window: str
    task: str
    name: str | None
    source: str
    reasons: tuple[str, ...]
    notes: tuple[str, ...]


def _compare(observed: float, op: str, threshold: float) -> bool:
    if op == ">=":
        return observed >= threshold
    if op == ">":
        return observed > threshold
    if op == "<=":
        return observed <= threshold
    return observed < threshold


def _subset(data: RunData, frame: pl.DataFrame) -> RunData:
    return dataclasses.replace(data, frame=frame)


def _check_where(rule: CheckRule) -> str:
    return f"check {rule.index} ({rule.name!r})"


def evaluate_litmus(
    data: RunData,
    rules: LitmusRules | str | os.PathLike[str],
    *,
    baseline: str | None = None,
    candidate: str | None = None,
    window: Any = None,
    seed: SeedLike = 0,
) -> LitmusResult:
    """Evaluate a rule file on ``data`` (see the module docstring for the semantics).

    ``baseline``/``candidate``/``window`` given here replace the rule file's (the file's values
    are the defaults). Raises :class:`InputError` (naming the rule file and the check) when a
    named condition, task or metric is absent, or a ``generations`` weight meets data without
    completion counts.
    """
    if not isinstance(rules, LitmusRules):
        rules = load_rules(rules)
    source = rules.source
    baseline = baseline or rules.baseline
    candidate = candidate or rules.candidate
    if baseline is None or candidate is None:
        raise InputError(
            "no baseline/candidate: name them in the rule file (baseline = ..., candidate = ...) "
            "or pass them (--baseline/--candidate)",
            source=source,
        )
    if baseline == candidate:
        raise InputError(f"baseline and candidate are both {baseline!r}", source=source)
    window_spec = window if window is not None else rules.window
    frame = data.frame
    available = data.conditions()
    for role, cond in (("baseline", baseline), ("candidate", candidate)):
        if cond not in available:
            raise InputError(
                f"{role} condition {cond!r} is not in the data; available: {', '.join(available)}",
                source=source,
            )

    tasks = frame.get_column("task").unique(maintain_order=True).to_list()
    task = rules.task
    if task is None:
        if len(tasks) > 1:
            raise InputError(
                f"the data holds {len(tasks)} tasks; name one with task = ... in the rule file "
                f"(tasks: {', '.join(tasks[:10])}{', ...' if len(tasks) > 10 else ''})",
                source=source,
            )
        task = tasks[0] if tasks else ""
    elif task not in tasks:
        raise InputError(
            f"task {task!r} is not in the data; available: {', '.join(tasks)}", source=source
        )

    arms = frame.filter(pl.col("condition").is_in([baseline, candidate]), pl.col("task") == task)
    present: dict[str, set[str]] = {baseline: set(), candidate: set()}
    for cond, names in arms.group_by("condition").agg(pl.col("metric").unique()).iter_rows():
        present[cond] = set(names)
    for rule in rules.checks:
        metric = rule.parsed.metric
        for cond in (baseline, candidate):
            if metric not in present[cond]:
                raise InputError(
                    f"{_check_where(rule)}: metric {metric!r} is absent for condition {cond!r}; "
                    f"its metrics: {', '.join(sorted(present[cond]))}",
                    source=source,
                )
    if any(r.weight == "generations" and r.parsed.kind != "significance" for r in rules.checks):
        if data.counts is None or data.counts.height == 0:
            first = next(
                r
                for r in rules.checks
                if r.weight == "generations" and r.parsed.kind != "significance"
            )
            raise InputError(
                f"{_check_where(first)}: weight 'generations' needs completion counts "
                "(emergence/steps.jsonl correct_count/total_count) and the data has none",
                source=source,
            )

    notes: list[str] = []
    stop_note = excluded_stop_note(arms, parse_window(window_spec))
    if stop_note:
        notes.append(stop_note)
    arm_data = _subset(data, arms)
    metrics = rules.metrics()
    means = window_means(arm_data, window_spec, metrics=metrics)
    counts_frame = _counts_in_arms(data, baseline, candidate)

    evidence = _evidence(
        rules.evidence, means, counts_frame, data, arm_data, window_spec, baseline, candidate, notes
    )
    evidence_met = all(item.met for item in evidence)

    cache: dict[tuple[str, str], tuple[float, float, str]] = {}
    significance_cache: dict[tuple[str, str], Any] = {}
    checks: list[CheckResult] = []
    for rule in rules.checks:
        parsed = rule.parsed
        if parsed.kind == "significance":
            checks.append(
                _significance_check(
                    rule,
                    arm_data,
                    baseline,
                    candidate,
                    task,
                    window_spec,
                    rules,
                    seed,
                    significance_cache,
                )
            )
            continue
        key = (parsed.metric, rule.weight)
        if key not in cache:
            cache[key] = _arm_values(
                means,
                counts_frame,
                arm_data,
                window_spec,
                parsed.metric,
                rule.weight,
                baseline,
                candidate,
                notes,
            )
        base_value, cand_value, detail = cache[key]
        checks.append(_threshold_check(rule, base_value, cand_value, detail))

    reasons: list[str] = []
    if not evidence_met:
        status: Status = "INCONCLUSIVE"
        reasons += [
            f"evidence not met: {e.requirement} "
            f"{'unknown' if e.observed is None else e.observed} < {e.required} ({e.detail})"
            for e in evidence
            if not e.met
        ]
    elif any(c.passed is None for c in checks):
        status = "INCONCLUSIVE"
        reasons += [
            f"check {c.index} ({c.name!r}) could not be evaluated: {c.detail}"
            for c in checks
            if c.passed is None
        ]
    elif all(c.passed for c in checks):
        status = "CONFIRMED"
        reasons.append("evidence met and every check passes")
    else:
        status = "FAILED"
        reasons += [f"check {c.index} ({c.name!r}) fails" for c in checks if c.passed is False]
    return LitmusResult(
        status=status,
        checks=tuple(checks),
        evidence=tuple(evidence),
        evidence_met=evidence_met,
        baseline=baseline,
        candidate=candidate,
        window=parse_window(window_spec).label,
        task=task,
        name=rules.name,
        source=source,
        reasons=tuple(reasons),
        notes=tuple(dict.fromkeys(notes)),
    )


def _counts_in_arms(data: RunData, baseline: str, candidate: str) -> pl.DataFrame | None:
    if data.counts is None or data.counts.height == 0:
        return None
    counts = data.counts.filter(pl.col("condition").is_in([baseline, candidate]))
    return counts if counts.height else None


def _arm_values(
    means: pl.DataFrame,
    counts: pl.DataFrame | None,
    arm_data: RunData,
    window_spec: Any,
    metric: str,
    weight: str,
    baseline: str,
    candidate: str,
    notes: list[str],
) -> tuple[float, float, str]:
    values: dict[str, float] = {}
    if weight == "generations":
        assert counts is not None
        rows = window_rows(arm_data, window_spec, metrics=[metric])
        joined = rows.join(
            counts.select("condition", "seed", "step", "total_count"),
            on=["condition", "seed", "step"],
            how="inner",
        )
        if joined.height < rows.height:
            notes.append(
                f"{metric}: {rows.height - joined.height} step(s) without a completion count are "
                "left out of generation-weighted values"
            )
        for cond in (baseline, candidate):
            arm = joined.filter(pl.col("condition") == cond)
            total = float(arm.get_column("total_count").sum())
            weighted = float((arm.get_column("value") * arm.get_column("total_count")).sum())
            values[cond] = weighted / total if total > 0 else math.nan
        return values[baseline], values[candidate], "each step weighted by its completions"
    for cond in (baseline, candidate):
        arm = means.filter((pl.col("condition") == cond) & (pl.col("metric") == metric))
        if arm.height == 0:
            values[cond] = math.nan
            continue
        run_means = arm.get_column("value").to_numpy()
        if weight == "steps":
            n_steps = arm.get_column("n_steps").to_numpy().astype(float)
            values[cond] = float((run_means * n_steps).sum() / n_steps.sum())
        else:
            values[cond] = float(run_means.mean())
    detail = "runs weighted equally" if weight == "runs" else "runs weighted by steps in the window"
    return values[baseline], values[candidate], detail


def _threshold_check(
    rule: CheckRule, base_value: float, cand_value: float, weight_detail: str
) -> CheckResult:
    parsed = rule.parsed
    assert parsed.operator is not None and parsed.threshold is not None
    detail = weight_detail
    if parsed.quantity == "lift":
        observed = cand_value - base_value
    elif parsed.quantity == "rel_lift":
        observed = (cand_value - base_value) / abs(base_value) if base_value != 0 else math.nan
        if base_value == 0:
            detail = "relative lift undefined: the baseline value is 0"
    elif parsed.quantity == "candidate":
        observed = cand_value
    else:
        observed = base_value
    if parsed.absolute:
        observed = abs(observed)
    if math.isnan(observed):
        passed: bool | None = None
        if detail == weight_detail:
            detail = "no value in the window for one of the arms"
    else:
        passed = _compare(observed, parsed.operator, parsed.threshold)
    return CheckResult(
        index=rule.index,
        name=rule.name,
        expression=rule.expression,
        kind=parsed.kind,
        metric=parsed.metric,
        weight=rule.weight,
        quantity=parsed.describe(),
        operator=parsed.operator,
        threshold=parsed.threshold,
        observed=observed,
        baseline_value=base_value,
        candidate_value=cand_value,
        passed=passed,
        detail=detail,
    )


def _significance_check(
    rule: CheckRule,
    arm_data: RunData,
    baseline: str,
    candidate: str,
    task: str,
    window_spec: Any,
    rules: LitmusRules,
    seed: SeedLike,
    cache: dict[tuple[str, str], Any],
) -> CheckResult:
    """``significant(M[, lower])``: passes on a seed-level ``significant_improvement`` in the
    named direction. A test that cannot be made (fewer than 2 seeds in an arm) or cannot reach
    ``p < alpha`` whatever the data (too few seeds for the permutation test) is not evaluated
    (``passed`` None, status INCONCLUSIVE): more seeds could decide it."""
    parsed = rule.parsed
    assert parsed.direction is not None
    key = (parsed.metric, parsed.direction)
    if key not in cache:
        result = significance(
            arm_data,
            baseline=baseline,
            candidate=candidate,
            metrics=[parsed.metric],
            window=window_spec,
            alpha=rules.alpha,
            n_permutations=rules.n_permutations,
            n_resamples=rules.n_resamples,
            higher_is_better=parsed.direction == "higher",
            seed=seed,
        )
        cache[key] = result.comparison(parsed.metric, task)
    comparison = cache[key]
    pvalue = float(comparison.pvalue)
    seeds = f"{comparison.n_baseline} vs {comparison.n_candidate} seeds"
    passed: bool | None = comparison.verdict == "significant_improvement"
    if math.isnan(pvalue):
        passed = None
        detail = f"no test with {seeds}: each arm needs >= 2 seeds in the window"
    elif smallest_pvalue(comparison.permutation_exact, comparison.n_permutations) >= rules.alpha:
        passed = None
        detail = (
            f"with {seeds} no permutation p-value can fall below alpha {rules.alpha:g}; add seeds"
        )
    else:
        detail = f"verdict {comparison.verdict} ({seeds}; {parsed.direction} is better)"
    return CheckResult(
        index=rule.index,
        name=rule.name,
        expression=rule.expression,
        kind=parsed.kind,
        metric=parsed.metric,
        weight=None,
        quantity=parsed.describe(),
        operator="<",
        threshold=rules.alpha,
        observed=pvalue,
        baseline_value=float(comparison.mean_baseline),
        candidate_value=float(comparison.mean_candidate),
        passed=passed,
        pvalue=pvalue,
        confidence_interval=comparison.ci,
        detail=detail,
    )


def _evidence(
    required: EvidenceRules,
    means: pl.DataFrame,
    counts: pl.DataFrame | None,
    data: RunData,
    arm_data: RunData,
    window_spec: Any,
    baseline: str,
    candidate: str,
    notes: list[str],
) -> list[EvidenceResult]:
    runs = means.group_by("condition").agg(pl.col("seed").n_unique().alias("n"))
    per_arm = {cond: 0 for cond in (baseline, candidate)}
    for cond, n in runs.iter_rows():
        per_arm[cond] = int(n)
    fewest_runs = min(per_arm.values())
    items = [
        EvidenceResult(
            requirement="runs per arm",
            required=required.min_runs_per_arm,
            observed=fewest_runs,
            met=fewest_runs >= required.min_runs_per_arm,
            detail=f"{baseline}: {per_arm[baseline]}, {candidate}: {per_arm[candidate]}",
        )
    ]

    steps = means.group_by("condition", "seed").agg(pl.col("n_steps").max().alias("n"))
    if steps.height:
        shortest = steps.sort("n", "condition", "seed").row(0, named=True)
        fewest_steps = int(shortest["n"])
        detail = f"fewest in {shortest['condition']} seed {shortest['seed']}"
    else:
        fewest_steps, detail = 0, "no run has data in the window"
    items.append(
        EvidenceResult(
            requirement="steps per run",
            required=required.min_steps_per_run,
            observed=fewest_steps,
            met=fewest_steps >= required.min_steps_per_run,
            detail=detail,
        )
    )

    completions: int | None = None
    if counts is not None:
        in_window = (
            window_rows(arm_data, window_spec)
            .select("condition", "seed", "step")
            .unique()
            .join(counts, on=["condition", "seed", "step"], how="inner")
            .group_by("condition", "seed")
            .agg(pl.col("total_count").sum())
        )
        per_run = {(c, s): int(t) for c, s, t in in_window.iter_rows()}
        observed = [
            (per_run.get((c, s), 0), c, s) for c, s in steps.select("condition", "seed").iter_rows()
        ]
        if observed:
            completions, cond, run_seed = min(observed)
            detail = f"fewest in {cond} seed {run_seed} (completion counts in the window)"
        else:
            detail = "no run has data in the window"
    elif data.generations is not None and data.generations.height:
        gens = data.generations.filter(pl.col("condition").is_in([baseline, candidate]))
        if gens.height:
            row = gens.sort("n_completions", "condition", "seed").row(0, named=True)
            completions = int(row["n_completions"])
            detail = (
                f"fewest in {row['condition']} seed {row['seed']} (whole run: no per-step counts)"
            )
            notes.append("completions per run counted over whole runs (generations.jsonl)")
        else:
            detail = "no generation records for these conditions"
    else:
        detail = "the data has no completion counts"
    if required.min_completions_per_run > 0 or completions is not None:
        items.append(
            EvidenceResult(
                requirement="completions per run",
                required=required.min_completions_per_run,
                observed=completions,
                met=(completions is not None and completions >= required.min_completions_per_run)
                if required.min_completions_per_run > 0
                else True,
                detail=detail,
            )
        )
    return items
