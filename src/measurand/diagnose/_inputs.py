"""The inputs of ``diagnose``, checked once: the binary labels and the signals' finite values.

Every analysis receives these prepared arrays; none re-reads or re-derives them.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from measurand.diagnose.results import SignalInfo
from measurand.diagnose.signals import Signal, parse_signal
from measurand.errors import InputError


def resolve_binary(arrays: Mapping[str, Any], label: Any, role: str) -> tuple[str, np.ndarray]:
    """The label's name and its values as a 1-D bool array; InputError unless binary."""
    if isinstance(label, str):
        if label not in arrays:
            available = ", ".join(sorted(arrays)) or "(none)"
            raise InputError(f"{role} array {label!r} not found; available arrays: {available}")
        name, raw = label, np.asarray(arrays[label])
    else:
        name, raw = role, np.asarray(label)
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim != 1:
        raise InputError(
            f"{role} {name!r} must be one value per example (1-D), got shape {raw.shape}"
        )
    if raw.size == 0:
        raise InputError(f"{role} {name!r} is empty")
    if raw.dtype == bool:
        return name, raw.copy()
    if not np.issubdtype(raw.dtype, np.number):
        raise InputError(
            f"{role} {name!r} must be binary (0/1 or true/false), got values of type {raw.dtype}"
        )
    bad = ~np.isin(raw, (0, 1))
    if bad.any():
        rows = np.flatnonzero(bad)
        # Each offending value at the first row that holds it, in row order.
        _, first_of_value = np.unique(raw[rows], return_index=True)
        first_rows = rows[np.sort(first_of_value)][:3]
        shown = ", ".join(f"{raw[row].item():.6g} (first at row {row})" for row in first_rows)
        raise InputError(
            f"{role} {name!r} must be binary (0/1 or true/false); found {rows.size} other "
            f"value(s): {shown}"
        )
    return name, raw == 1


@dataclasses.dataclass(frozen=True)
class PreparedSignal:
    info: SignalInfo
    values: np.ndarray  # finite values only
    keep: np.ndarray  # bool mask over examples
    stream_key: str  # what the signal computes: its canonical spec, or a digest of its values


def stream_key(values: np.ndarray) -> str:
    """The random-stream label of an array given in Python: a digest of its contents (a name
    chosen by the user must not change the numbers)."""
    data = np.ascontiguousarray(values)
    digest = hashlib.blake2b(data.tobytes(), digest_size=12)
    digest.update(f"{data.dtype.str}{data.shape}".encode())
    return f"array:{digest.hexdigest()}"


def _normalize_signal_specs(signals: Any) -> list[tuple[str, Any]]:
    if isinstance(signals, str):
        items = [(None, signals)]
    elif isinstance(signals, Mapping):
        items = list(signals.items())
    elif isinstance(signals, Sequence) and not isinstance(signals, bytes):
        items = [(None, spec) for spec in signals]
    else:
        raise InputError(
            "signals must be a spec string, a list of specs, or a mapping of names to specs"
        )
    if not items:
        raise InputError("give at least one signal, e.g. 'lyap_spec[:, 0]'")
    named: list[tuple[str, Any]] = []
    for name, spec in items:
        if name is None:
            if not isinstance(spec, str):
                raise InputError(
                    "a signal given as an array needs a name: pass signals={'name': array}"
                )
            name = str(parse_signal(spec))
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"signal names must be non-empty strings, got {name!r}")
        named.append((name.strip(), spec))
    seen: set[str] = set()
    for name, _ in named:
        if name in seen:
            raise InputError(f"signal name {name!r} is used twice; give each signal its own name")
        seen.add(name)
    return named


def prepare_signals(
    arrays: Mapping[str, Any],
    signals: Any,
    label_name: str,
    n_examples: int,
    nan_policy: str,
) -> list[PreparedSignal]:
    prepared = []
    for name, spec in _normalize_signal_specs(signals):
        if isinstance(spec, str):
            parsed: Signal | None = parse_signal(spec)
            for array_name in parsed.array_names:
                shape = np.shape(arrays[array_name]) if array_name in arrays else ()
                rows = shape[0] if shape else None
                if rows is not None and rows != n_examples:
                    raise InputError(
                        f"signal {name!r}: array {array_name!r} has {rows} rows but label array "
                        f"{label_name!r} has {n_examples}; both need one row per example"
                    )
            values = parsed.evaluate(arrays)
            spec_text, used = str(parsed), parsed.array_names
        else:
            values = np.asarray(spec, dtype=float)
            spec_text, used = "(array)", ()
            if values.ndim != 1:
                raise InputError(f"signal {name!r} must be 1-D, got shape {values.shape}")
        if values.size != n_examples:
            raise InputError(
                f"signal {name!r} has {values.size} values but label {label_name!r} has "
                f"{n_examples}; both need one value per example"
            )
        keep = np.isfinite(values)
        n_bad = int(n_examples - keep.sum())
        if n_bad and nan_policy == "raise":
            first = int(np.flatnonzero(~keep)[0])
            raise InputError(
                f"signal {name!r} ({spec_text}) has {n_bad} non-finite value(s) (NaN/inf), the "
                f"first at row {first}; drop them with nan_policy='drop' (--nan drop)"
            )
        if not keep.any():
            raise InputError(f"signal {name!r} ({spec_text}) has no finite values")
        info = SignalInfo(name, spec_text, tuple(used), int(keep.sum()), n_bad)
        key = spec_text if isinstance(spec, str) else stream_key(values)
        prepared.append(PreparedSignal(info, values[keep], keep, key))
    return prepared
