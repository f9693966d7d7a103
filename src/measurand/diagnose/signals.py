"""Signal specs: derive one value per example from named arrays, without ``eval``.

A *signal spec* is a short string naming an array and the reductions that turn it into a 1-D
signal (one value per example). The first axis of every array is the example axis; reductions
work on the last axis (the step axis of a per-example trajectory).

Grammar
-------
::

    signal   := ["-"] pipeline                    leading "-" negates the result (orientation)
    pipeline := source { "|" step }               steps apply left to right
    source   := NAME [ index ]                    an array, optionally indexed like numpy
              | "norm" "(" signal { "," signal } ")"   Euclidean norm of 1-D signals
    index    := "[" ":" { "," item } "]"          the first item is the example axis: always ":"
    item     := INT | [INT] ":" [INT] [":" [INT]]  an integer or a slice, as in numpy
    step     := OP [ ":" NUMBER ]

``NAME`` is an identifier (letters, digits, ``_`` and ``.``, not starting with a digit) or a quoted
name (``'drift zH'`` or ``"drift zH"``) for arrays whose names hold other characters.

Steps
-----
=================  =========================================================================
``last:k``         keep the last ``k`` steps (needs a 2-D array and ``k`` ≤ number of steps)
``first:k``        keep the first ``k`` steps
``mean``           mean over the step axis (``median``, ``min``, ``max``, ``sum`` likewise)
``log10[:floor]``  base-10 log; with ``floor``, values are clipped at ``floor`` first (the
                   clip makes an exactly-settled 0 finite); without it 0 gives -inf and
                   negatives NaN, which count as non-finite values
``log[:floor]``    natural log, same rule
``abs``, ``neg``   absolute value, negation
=================  =========================================================================

A reduction over steps on a 1-D array, an index past the array's shape, or a result that is not
one value per example raises :class:`~measurand.errors.InputError` pointing at the offending
part of the spec.

Examples
--------
``lyap_spec[:, 0]``
    first column: the largest Lyapunov exponent per example.
``-lyap_spec[:, 0]``
    the same, negated, so that a higher value predicts a correct answer.
``drift_zH|last:4|mean|log10:1e-12``
    mean of the last 4 steps of the drift trajectory, log10, clipped at 1e-12.
``norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12``
    the combined drift ``sqrt(a² + b²)`` of the two late means, then log10.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from measurand.errors import InputError

STEP_REDUCTIONS = ("mean", "median", "min", "max", "sum")
STEP_WINDOWS = ("last", "first")
ELEMENTWISE = ("log10", "log", "abs", "neg")
OPERATIONS = STEP_WINDOWS + STEP_REDUCTIONS + ELEMENTWISE

_REDUCERS = {
    "mean": np.mean,
    "median": np.median,
    "min": np.min,
    "max": np.max,
    "sum": np.sum,
}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


# ----------------------------------------------------------------------------------------------
# Syntax tree
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexItem:
    """One index entry: an integer (``value``) or a slice (``start:stop:step``)."""

    position: int
    value: int | None = None
    start: int | None = None
    stop: int | None = None
    step: int | None = None
    is_slice: bool = False

    def to_python(self) -> int | slice:
        return slice(self.start, self.stop, self.step) if self.is_slice else int(self.value or 0)

    def __str__(self) -> str:
        if not self.is_slice:
            return str(self.value)
        start = "" if self.start is None else str(self.start)
        stop = "" if self.stop is None else str(self.stop)
        return f"{start}:{stop}" if self.step is None else f"{start}:{stop}:{self.step}"


@dataclass(frozen=True)
class ArraySource:
    name: str
    position: int
    index: tuple[IndexItem, ...] = ()

    def __str__(self) -> str:
        name = self.name if _IDENT.fullmatch(self.name) and self.name != "norm" else repr(self.name)
        if not self.index:
            return name
        return f"{name}[{', '.join(str(item) for item in self.index)}]"


@dataclass(frozen=True)
class NormSource:
    arguments: tuple[Signal, ...]
    position: int

    def __str__(self) -> str:
        return f"norm({', '.join(str(arg) for arg in self.arguments)})"


@dataclass(frozen=True)
class Step:
    op: str
    position: int
    argument: float | None = None

    def __str__(self) -> str:
        if self.argument is None:
            return self.op
        if self.op in STEP_WINDOWS:
            return f"{self.op}:{int(self.argument)}"
        return f"{self.op}:{self.argument!r}"


@dataclass(frozen=True)
class Signal:
    """A parsed signal spec; ``str(signal)`` is its canonical text."""

    text: str
    source: ArraySource | NormSource
    steps: tuple[Step, ...] = ()
    negate: bool = False
    spec: str = ""  # the whole spec this signal was parsed from (positions refer to it)
    end: int = 0  # position just after this signal in ``spec``

    def __str__(self) -> str:
        body = "|".join([str(self.source), *(str(step) for step in self.steps)])
        return f"-{body}" if self.negate else body

    @property
    def array_names(self) -> tuple[str, ...]:
        """Names of the arrays the signal reads, in order of first use."""
        if isinstance(self.source, ArraySource):
            return (self.source.name,)
        names: list[str] = []
        for arg in self.source.arguments:
            names += [n for n in arg.array_names if n not in names]
        return tuple(names)

    def evaluate(self, arrays: Mapping[str, Any]) -> np.ndarray:
        """The 1-D float64 signal (one value per example) computed from ``arrays``."""
        values, origin = self._evaluate(arrays)
        if values.ndim != 1:
            if self.steps or not isinstance(self.source, ArraySource) or self.source.index:
                hint = f"e.g. '{self.text}|mean'"
            else:
                name = str(self.source)
                hint = f"e.g. '{self.text}|last:4|mean', or pick one column: '{name}[:, 0]'"
            what = (
                origin
                if origin.endswith(f"shape {values.shape}")
                else (f"shape {values.shape} (from {origin})")
            )
            raise _spec_error(
                self.spec or self.text,
                self.end,
                f"{what} is not one value per example; reduce the step axis, {hint}",
            )
        return values

    def _evaluate(self, arrays: Mapping[str, Any]) -> tuple[np.ndarray, str]:
        if isinstance(self.source, ArraySource):
            values, origin = _load(arrays, self.source, self.spec or self.text)
        else:
            values, origin = _norm(arrays, self.source, self.spec or self.text)
        for step in self.steps:
            values = _apply_step(values, step, origin, self.spec or self.text)
        if self.negate:
            values = -values
        return values, origin


# ----------------------------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------------------------
MAX_NESTING = 32
"""Deepest nesting of ``norm(...)`` a spec may use (deeper specs are refused, not recursed)."""


def parse_signal(spec: str) -> Signal:
    """Parse a signal spec (see the module docstring for the grammar)."""
    if not isinstance(spec, str):
        raise InputError(f"a signal spec must be a string, got {type(spec).__name__}")
    if not spec.strip():
        raise InputError("empty signal spec; give an array name such as 'lyap_spec[:, 0]'")
    parser = _Parser(spec)
    signal = parser.signal()
    parser.expect_end()
    return signal


def derive_signal(arrays: Mapping[str, Any], spec: str | Signal) -> np.ndarray:
    """Evaluate ``spec`` on ``arrays`` and return the 1-D float64 signal."""
    signal = parse_signal(spec) if isinstance(spec, str) else spec
    return signal.evaluate(arrays)


# ----------------------------------------------------------------------------------------------
# Tokenizer and recursive-descent parser
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "quoted", "number", a punctuation character, or "end"
    text: str
    position: int


def _tokenize(spec: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(spec):
        char = spec[i]
        if char.isspace():
            i += 1
            continue
        if char in "[](),:|-":
            tokens.append(_Token(char, char, i))
            i += 1
            continue
        if char in "'\"":
            end = spec.find(char, i + 1)
            if end < 0:
                raise _spec_error(spec, i, f"unterminated quoted name (missing closing {char})")
            if end == i + 1:
                raise _spec_error(spec, i, "empty quoted name")
            tokens.append(_Token("quoted", spec[i + 1 : end], i))
            i = end + 1
            continue
        match = _NUMBER.match(spec, i)
        if match:
            tokens.append(_Token("number", match.group(), i))
            i = match.end()
            continue
        match = _IDENT.match(spec, i)
        if match:
            tokens.append(_Token("name", match.group(), i))
            i = match.end()
            continue
        raise _spec_error(spec, i, f"unexpected character {char!r}")
    tokens.append(_Token("end", "", len(spec)))
    return tokens


class _Parser:
    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.tokens = _tokenize(spec)
        self.i = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, expected: str) -> InputError:
        token = self.token
        found = "the end of the spec" if token.kind == "end" else repr(token.text)
        return _spec_error(self.spec, token.position, f"expected {expected}, found {found}")

    def expect(self, kind: str, expected: str) -> _Token:
        if self.token.kind != kind:
            raise self.fail(expected)
        return self.advance()

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.fail("'|' followed by a step, or the end of the spec")

    def signal(self) -> Signal:
        if self.depth >= MAX_NESTING:
            raise _spec_error(
                self.spec,
                self.token.position,
                f"signals nest more than {MAX_NESTING} levels deep (norm inside norm ...)",
            )
        self.depth += 1
        try:
            return self._signal()
        finally:
            self.depth -= 1

    def _signal(self) -> Signal:
        start = self.token.position
        negate = False
        if self.token.kind == "-":
            negate = True
            self.advance()
        source = self.source()
        steps: list[Step] = []
        while self.token.kind == "|":
            self.advance()
            steps.append(self.step())
        end = self.token.position
        text = self.spec[start:end].strip()
        return Signal(text, source, tuple(steps), negate, self.spec, start + len(text))

    def source(self) -> ArraySource | NormSource:
        token = self.token
        if token.kind == "name" and token.text == "norm" and self.tokens[self.i + 1].kind == "(":
            self.advance()
            self.advance()
            arguments = [self.signal()]
            while self.token.kind == ",":
                self.advance()
                arguments.append(self.signal())
            self.expect(")", "',' or ')' closing norm(")
            return NormSource(tuple(arguments), token.position)
        if token.kind not in ("name", "quoted"):
            raise self.fail("an array name")
        self.advance()
        index: tuple[IndexItem, ...] = ()
        if self.token.kind == "[":
            index = self.index()
        return ArraySource(token.text, token.position, index)

    def index(self) -> tuple[IndexItem, ...]:
        self.advance()  # "["
        items = [self.index_item()]
        while self.token.kind == ",":
            self.advance()
            items.append(self.index_item())
        self.expect("]", "',' or ']'")
        first = items[0]
        full_slice = first.start is None and first.stop is None and first.step is None
        if not (first.is_slice and full_slice):
            raise _spec_error(
                self.spec,
                first.position,
                "the first index is the example axis and must be ':' (e.g. 'lyap_spec[:, 0]')",
            )
        return tuple(items)

    def index_item(self) -> IndexItem:
        position = self.token.position
        parts: list[int | None] = [self.optional_int()]
        while self.token.kind == ":" and len(parts) < 3:
            self.advance()
            parts.append(self.optional_int())
        if len(parts) == 1:
            if parts[0] is None:
                raise self.fail("an integer or a slice such as ':' or '-4:'")
            return IndexItem(position, value=parts[0])
        start, stop, *rest = parts
        step = rest[0] if rest else None
        if step == 0:
            raise _spec_error(self.spec, position, "slice step cannot be zero")
        return IndexItem(position, start=start, stop=stop, step=step, is_slice=True)

    def optional_int(self) -> int | None:
        negative = False
        if self.token.kind == "-":
            negative = True
            self.advance()
        if self.token.kind != "number":
            if negative:
                raise self.fail("an integer after '-'")
            return None
        token = self.advance()
        if not token.text.isdigit():
            raise _spec_error(self.spec, token.position, f"index {token.text!r} is not an integer")
        value = int(token.text)
        return -value if negative else value

    def step(self) -> Step:
        token = self.token
        if token.kind != "name" or token.text not in OPERATIONS:
            if token.kind in ("name", "quoted"):
                raise _spec_error(
                    self.spec,
                    token.position,
                    f"unknown step {token.text!r}; steps are {', '.join(OPERATIONS)}",
                )
            raise self.fail(f"a step ({', '.join(OPERATIONS)})")
        self.advance()
        argument: float | None = None
        if self.token.kind == ":":
            self.advance()
            negative = False
            if self.token.kind == "-":
                negative = True
                self.advance()
            number = self.expect("number", f"a number after '{token.text}:'")
            argument = -float(number.text) if negative else float(number.text)
        return _check_step(self.spec, Step(token.text, token.position, argument))


def _check_step(spec: str, step: Step) -> Step:
    op, arg, pos = step.op, step.argument, step.position
    if op in STEP_WINDOWS:
        if arg is None:
            raise _spec_error(spec, pos, f"'{op}' needs a number of steps, e.g. '{op}:4'")
        if arg != int(arg) or arg < 1:
            raise _spec_error(spec, pos, f"'{op}:{arg:g}' needs a whole number of steps ≥ 1")
    elif op in ("log10", "log"):
        if arg is not None and not arg > 0:
            raise _spec_error(spec, pos, f"'{op}:{arg:g}': the clip floor must be > 0")
    elif arg is not None:
        raise _spec_error(spec, pos, f"'{op}' takes no argument (found '{op}:{arg:g}')")
    return step


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------
def _load(arrays: Mapping[str, Any], source: ArraySource, spec: str) -> tuple[np.ndarray, str]:
    if source.name not in arrays:
        available = ", ".join(sorted(arrays)) or "(none)"
        raise _spec_error(
            spec, source.position, f"unknown array {source.name!r}; available arrays: {available}"
        )
    raw = np.asarray(arrays[source.name])
    if raw.dtype == bool:
        raw = raw.astype(np.float64)
    if not np.issubdtype(raw.dtype, np.number):
        raise _spec_error(
            spec, source.position, f"array {source.name!r} is not numeric (dtype {raw.dtype})"
        )
    if raw.ndim == 0:
        raise _spec_error(
            spec, source.position, f"array {source.name!r} is a scalar, not one value per example"
        )
    values = raw.astype(np.float64, copy=False)
    origin = f"array {source.name!r} with shape {raw.shape}"
    if source.index:
        if len(source.index) > values.ndim:
            raise _spec_error(
                spec,
                source.index[values.ndim].position,
                f"too many indices: {origin} has {values.ndim} axes",
            )
        for axis, item in enumerate(source.index):
            if not item.is_slice:
                size = values.shape[axis]
                if not -size <= int(item.value or 0) < size:
                    raise _spec_error(
                        spec,
                        item.position,
                        f"index {item.value} is out of range for axis {axis} of size {size} "
                        f"({origin})",
                    )
        values = values[tuple(item.to_python() for item in source.index)]
        if values.ndim >= 2 and values.shape[-1] == 0:
            raise _spec_error(spec, source.position, f"the slice selects no steps of {origin}")
    return values, origin


def _norm(arrays: Mapping[str, Any], source: NormSource, spec: str) -> tuple[np.ndarray, str]:
    parts = []
    for arg in source.arguments:
        values = arg.evaluate(arrays)
        if parts and values.shape != parts[0][0].shape:
            first_arg, this_arg = source.arguments[0], arg
            raise _spec_error(
                spec,
                arg.source.position,
                f"norm() arguments differ in length: '{first_arg.text}' has "
                f"{parts[0][0].shape[0]} examples but '{this_arg.text}' has {values.shape[0]}",
            )
        parts.append((values, arg))
    stacked = np.stack([values for values, _ in parts])
    origin = f"norm of {', '.join(repr(arg.text) for _, arg in parts)}"
    with np.errstate(over="ignore"):
        norm = np.sqrt(np.sum(stacked * stacked, axis=0))
    # Squares of finite values beyond ~1.3e154 overflow: recompute those with hypot, which
    # scales before squaring, so finite inputs keep a finite norm (or one near float64 max).
    overflowed = np.isinf(norm) & np.isfinite(stacked).all(axis=0)
    if overflowed.any():
        with np.errstate(over="ignore"):
            norm[overflowed] = np.hypot.reduce(stacked[:, overflowed], axis=0)
    return norm, origin


def _apply_step(values: np.ndarray, step: Step, origin: str, spec: str) -> np.ndarray:
    op, arg = step.op, step.argument
    if op in STEP_WINDOWS or op in STEP_REDUCTIONS:
        if values.ndim < 2:
            source = (
                origin
                if origin.endswith(f"shape {values.shape}")
                else (f"shape {values.shape} (from {origin})")
            )
            raise _spec_error(
                spec,
                step.position,
                f"'{step}' works on the step axis and needs a 2-D array (examples × steps), "
                f"but it gets {source}",
            )
        if op in STEP_WINDOWS:
            k, n_steps = int(arg or 0), values.shape[-1]
            if k > n_steps:
                raise _spec_error(
                    spec,
                    step.position,
                    f"'{step}' asks for {k} steps but there are {n_steps} ({origin})",
                )
            return values[..., -k:] if op == "last" else values[..., :k]
        return _REDUCERS[op](values, axis=-1)
    if op == "abs":
        return np.abs(values)
    if op == "neg":
        return -values
    log = np.log10 if op == "log10" else np.log
    with np.errstate(divide="ignore", invalid="ignore"):
        if arg is not None:
            # np.maximum keeps NaN as NaN (np.clip would too), so missing values stay missing.
            return log(np.maximum(values, arg))
        return log(values)


def _spec_error(spec: str, position: int, message: str) -> InputError:
    caret = " " * (2 + position) + "^"
    return InputError(f"signal '{spec}': {message} (position {position})\n  {spec}\n{caret}")


__all__ = ["OPERATIONS", "Signal", "derive_signal", "parse_signal"]
