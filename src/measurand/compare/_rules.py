"""Litmus rule files: the check-expression parser and the TOML schema (see
:mod:`measurand.compare.litmus` for the language and the evaluation)."""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from measurand._result import Result
from measurand.errors import InputError
from measurand.stats._window import parse_window

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


# Names users reach for that difflib would not map to the key they mean.
_SYNONYMS = {
    "min_seeds": "min_runs_per_arm",
    "min_seeds_per_arm": "min_runs_per_arm",
    "min_runs": "min_runs_per_arm",
    "min_steps": "min_steps_per_run",
    "min_completions": "min_completions_per_run",
    "permutations": "n_permutations",
    "resamples": "n_resamples",
    "level": "alpha",
}


def _reject_unknown_keys(
    table: Mapping[str, Any], allowed: set[str], source: str, where: str
) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        hints = []
        for key in unknown:
            close = [_SYNONYMS[key]] if _SYNONYMS.get(key) in allowed else []
            close = close or difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.5)
            if close:
                hints.append(f"did you mean {close[0]!r} for {key!r}?")
        raise _rule_error(
            source,
            where,
            f"unknown key(s) {unknown}"
            + (f" ({'; '.join(hints)})" if hints else "")
            + f"; allowed: {', '.join(sorted(allowed))}",
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
