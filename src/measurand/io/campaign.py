"""Read a training-campaign directory (the ``retrain`` layout) into the canonical long frame.

Layout::

    <campaign>/manifest.json      optional: {timestamp, conditions, seeds, max_steps, num_runs,
                                    runs: [{condition, seed, run_name, log_dir, cmd}]}
    <campaign>/runs/<condition>_s<seed>/metrics.jsonl           one JSON object per logged step
    <campaign>/runs/<condition>_s<seed>/emergence/steps.jsonl   correct_count / total_count per step
    <campaign>/runs/<condition>_s<seed>/emergence/generations.jsonl   one object per completion

Every numeric (int, float, bool) key of a ``metrics.jsonl`` record except ``step`` becomes a
metric; text and nested values are ignored, except that a known numeric key
(:data:`KNOWN_METRIC_KEYS`) holding something other than a number or null is an error. JSON
``null`` means "not logged at this step" and is skipped silently; NaN and infinities are dropped
and counted in a warning.

Without a manifest the runs are the sub-directories of ``<campaign>/runs`` (or of the given
directory itself, or the directory itself when it holds a ``metrics.jsonl``), and condition and
seed come from the ``condition`` key of the records and the ``<condition>_s<seed>`` directory
name (split at the last ``_s`` followed by the seed, so ``maxrl+gtpo_sepa_s42`` is condition
``maxrl+gtpo_sepa``, seed ``"42"``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson  # a core dependency: several times faster than the standard library
import polars as pl

from measurand.errors import InputError
from measurand.io._frames import (
    CANONICAL_SCHEMA,
    COUNTS_SCHEMA,
    GENERATIONS_SCHEMA,
    RunData,
    overflow_note,
    ragged_note,
    validate_canonical,
)

_fast_loads = orjson.loads

__all__ = ["KNOWN_METRIC_KEYS", "RunData", "read_campaign"]

KNOWN_METRIC_KEYS: frozenset[str] = frozenset(
    {
        "correct_rate",
        "running_correct_rate",
        "mean_reward",
        "loss",
        "num_datums",
        "max_token_hit_rate",
        "step_time_s",
        "batch_size",
        "group_size",
        "sepa_lambda",
        "sepa_gate_open",
        "exec_entropy_mean",
        "exec_entropy_var",
        "plan_entropy_mean",
        "plan_entropy_var",
    }
)
"""``metrics.jsonl`` keys that must hold numbers (or null) when present."""

METRICS_FILE = "metrics.jsonl"
EMERGENCE_STEPS = Path("emergence") / "steps.jsonl"
EMERGENCE_GENERATIONS = Path("emergence") / "generations.jsonl"
MANIFEST = "manifest.json"

# A completion counts as correct when its reward exceeds this (unless it says otherwise).
CORRECT_REWARD_THRESHOLD = 0.5

_SEED_DIGITS = re.compile(r"^(?P<condition>.+)_s(?P<seed>\d+)$")
_SEED_TEXT = re.compile(r"^(?P<condition>.+)_s(?P<seed>[^_]+)$")
_TRUE_TEXT = frozenset({"true", "correct", "yes", "1"})
_FALSE_TEXT = frozenset({"false", "incorrect", "wrong", "no", "0"})


@dataclass
class _Run:
    directory: Path
    condition: str | None = None
    seed: str | None = None
    from_manifest: bool = False


@dataclass
class _RunMetrics:
    steps: list[int]
    metrics: list[str]
    values: list[float]
    record_condition: str | None
    keys_seen: set[str]


def read_campaign(
    path: str | Path,
    *,
    metrics: str | Sequence[str] | None = None,
    allow_outside_log_dirs: bool = False,
) -> RunData:
    """Read a campaign directory into a :class:`~measurand.io._frames.RunData`.

    Parameters
    ----------
    path:
        The campaign directory (with ``manifest.json`` and/or ``runs/``), a directory of run
        directories, or one run directory.
    metrics:
        Metric name(s) to keep; all numeric keys when None. Naming one that no run logs is an
        error listing the available ones.
    allow_outside_log_dirs:
        A manifest entry's ``log_dir`` is resolved relative to the manifest. A run is read from
        the campaign folder (its ``log_dir`` there, else ``runs/<run_name>``); a ``log_dir``
        outside the campaign folder is read only with this set (else an InputError names it).

    Returns
    -------
    RunData
        ``frame``: canonical frame (``task`` is ``""``, ``step`` set), runs in manifest order
        (else sorted by directory name), steps ascending. ``counts``: per ``(condition, seed,
        step)`` ``correct_count``/``total_count`` from ``emergence/steps.jsonl``. ``generations``:
        per ``(condition, seed)`` ``n_completions``/``n_correct`` from
        ``emergence/generations.jsonl``, where a completion is correct when its ``correct`` or
        ``metadata.correctness`` field says so, else when ``reward > 0.5``. Both are None when no
        run has the file. ``warnings``: truncated last lines, dropped NaN/inf, repeated steps
        (the last line wins), runs left out for having no metric lines, manifest runs whose
        directory is missing, ragged runs.

    Raises
    ------
    InputError
        ``path`` missing or not a directory; no runs; a malformed line that is not the last one
        (file, line, what was expected); a known numeric key holding text (file, line, key);
        two directories giving the same ``(condition, seed)`` (both named); no metric lines in
        any run; unknown requested metrics.
    """
    root = Path(path)
    source = str(root)
    if not root.exists():
        raise InputError("campaign directory not found", source=source)
    if not root.is_dir():
        raise InputError("expected a campaign directory, got a file", source=source)
    wanted = _wanted_metrics(metrics)
    warnings: list[str] = []

    runs = _find_runs(root, warnings, allow_outside_log_dirs)
    if not runs:
        raise InputError(
            f"empty campaign: no {MANIFEST} runs and no run directories with {METRICS_FILE}",
            source=source,
        )

    parsed: list[tuple[_Run, _RunMetrics]] = []
    keys_seen: set[str] = set()
    for run in runs:
        metrics_file = run.directory / METRICS_FILE
        if not metrics_file.is_file():
            warnings.append(f"{run.directory}: no {METRICS_FILE}; run left out")
            continue
        data = _read_metrics(metrics_file, wanted, warnings)
        keys_seen |= data.keys_seen
        if not _identify(run, data.record_condition, warnings):
            continue
        if not data.values:
            what = "no metric lines" if wanted is None else "none of the requested metrics"
            warnings.append(f"{metrics_file}: {what}; run left out")
            continue
        parsed.append((run, data))

    _check_unique_runs([run for run, _ in parsed], source)
    if wanted is not None:
        unknown = [m for m in wanted if m not in keys_seen]
        if unknown:
            raise InputError(
                f"metric(s) {unknown} not found in any run; available: "
                f"{', '.join(sorted(keys_seen)) or 'none'}",
                source=source,
            )
    if not parsed:
        detail = "; ".join(warnings[-5:])
        raise InputError(f"empty campaign: no run has metric lines ({detail})", source=source)

    frame = validate_canonical(_build_frame(parsed), source, check_duplicates=False)
    counts = _read_counts([run for run, _ in parsed], warnings)
    generations = _read_generations([run for run, _ in parsed], warnings)
    huge = overflow_note(frame)
    if huge is not None:
        warnings.append(f"{source}: {huge}")
    note = ragged_note(frame)
    if note is not None:
        warnings.append(f"{source}: {note}")
    return RunData(
        frame=frame,
        source=source,
        warnings=tuple(warnings),
        counts=counts,
        generations=generations,
    )


def _wanted_metrics(metrics: str | Sequence[str] | None) -> list[str] | None:
    if metrics is None:
        return None
    wanted = [metrics] if isinstance(metrics, str) else list(metrics)
    if not wanted:
        raise InputError("metrics= must name at least one metric (or be None for all)")
    if "step" in wanted:
        raise InputError("'step' is the step index, not a metric")
    return wanted


# --------------------------------------------------------------------------- finding runs


def _find_runs(root: Path, warnings: list[str], allow_outside: bool = False) -> list[_Run]:
    manifest_file = root / MANIFEST
    runs_dir = root / "runs"
    if manifest_file.is_file():
        runs, claimed = _manifest_runs(root, manifest_file, warnings, allow_outside)
        if runs_dir.is_dir():
            for directory in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
                if directory.resolve() not in claimed:
                    warnings.append(f"{directory}: run directory not listed in {manifest_file}")
                    runs.append(_Run(directory))
        return runs
    if runs_dir.is_dir():
        return [_Run(p) for p in sorted(runs_dir.iterdir()) if p.is_dir()]
    if (root / METRICS_FILE).is_file():
        return [_Run(root)]
    return [_Run(p) for p in sorted(root.iterdir()) if (p / METRICS_FILE).is_file()]


def _manifest_runs(
    root: Path, manifest_file: Path, warnings: list[str], allow_outside: bool = False
) -> tuple[list[_Run], set[Path]]:
    try:
        manifest = json.loads(manifest_file.read_bytes())
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot parse manifest: {exc}", source=str(manifest_file)) from exc
    except RecursionError:
        raise InputError(
            "cannot parse manifest: JSON nested too deeply", source=str(manifest_file)
        ) from None
    if not isinstance(manifest, dict):
        raise InputError("expected a JSON object", source=str(manifest_file))
    entries = manifest.get("runs")
    if entries is None:
        # Older manifests list only conditions and seeds; the directory names follow from them.
        entries = [
            {"condition": c, "seed": s}
            for c in manifest.get("conditions") or []
            for s in manifest.get("seeds") or []
        ]
    if not isinstance(entries, list):
        raise InputError("'runs' must be a list", source=str(manifest_file))

    runs: list[_Run] = []
    claimed: set[Path] = set()
    for index, entry in enumerate(entries):
        where = f"runs[{index}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected an object", source=str(manifest_file))
        condition, seed = entry.get("condition"), entry.get("seed")
        if not isinstance(condition, str) or not condition:
            raise InputError(
                f"{where}: expected a text 'condition', got {condition!r}",
                source=str(manifest_file),
            )
        if seed is None or isinstance(seed, bool | dict | list):
            raise InputError(
                f"{where}: expected a 'seed' (text or integer), got {seed!r}",
                source=str(manifest_file),
            )
        seed_text = str(seed)
        run_name = entry.get("run_name") or f"{condition}_s{seed_text}"
        candidates: list[Path] = []
        outside: Path | None = None
        log_dir = entry.get("log_dir")
        if isinstance(log_dir, str) and log_dir:
            given = manifest_file.parent / log_dir  # an absolute log_dir stays as it is
            if _inside(given, root):
                candidates.append(given)
            else:
                outside = given
        local = root / "runs" / str(run_name)
        candidates.append(local)
        claimed.add(local.resolve())
        directory = next((c for c in candidates if c.is_dir()), None)
        if directory is None and outside is not None and outside.is_dir():
            if not allow_outside:
                raise InputError(
                    f"{where}.log_dir {log_dir!r} is outside the campaign folder {root} "
                    f"(resolved: {outside.resolve()}) and the run is not under runs/; pass "
                    "allow_outside_log_dirs=True (CLI: --allow-outside-log-dirs) to read it",
                    source=str(manifest_file),
                )
            directory = outside
            candidates.insert(0, outside)
        if directory is None:
            looked = ", ".join(str(c) for c in candidates)
            warnings.append(
                f"{manifest_file}: run {run_name!r} (condition {condition!r}, seed "
                f"{seed_text!r}) has no directory (looked in {looked}); run left out"
            )
            continue
        claimed.add(directory.resolve())
        runs.append(_Run(directory, condition, seed_text, from_manifest=True))
    return runs, claimed


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (links followed) lies in ``root``."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


def _identify(run: _Run, record_condition: str | None, warnings: list[str]) -> bool:
    """Fill in condition and seed of a run found without the manifest; False if impossible."""
    name = run.directory.name
    if run.from_manifest:
        if record_condition is not None and record_condition != run.condition:
            warnings.append(
                f"{run.directory}: records say condition {record_condition!r}, the manifest "
                f"says {run.condition!r}; using the manifest"
            )
        return True
    prefix = f"{record_condition}_s" if record_condition else None
    if prefix and name.startswith(prefix) and len(name) > len(prefix):
        run.condition, run.seed = record_condition, name[len(prefix) :]
        return True
    match = _SEED_DIGITS.match(name) or (None if record_condition else _SEED_TEXT.match(name))
    if match is not None:
        run.seed = match["seed"]
        run.condition = record_condition or match["condition"]
        if record_condition and record_condition != match["condition"]:
            warnings.append(
                f"{run.directory}: directory name says condition {match['condition']!r}, the "
                f"records say {record_condition!r}; using the records"
            )
        return True
    if record_condition:
        run.condition, run.seed = record_condition, name
        warnings.append(
            f"{run.directory}: no '_s<seed>' in the directory name; seed taken as {name!r}"
        )
        return True
    warnings.append(
        f"{run.directory}: cannot tell condition and seed (no manifest entry, no "
        f"'<condition>_s<seed>' directory name, no 'condition' key); run left out"
    )
    return False


def _check_unique_runs(runs: list[_Run], source: str) -> None:
    seen: dict[tuple[str, str], Path] = {}
    for run in runs:
        key = (run.condition or "", run.seed or "")
        if key in seen:
            raise InputError(
                f"two run directories give condition {key[0]!r}, seed {key[1]!r}: "
                f"{seen[key]} and {run.directory}",
                source=source,
            )
        seen[key] = run.directory


# --------------------------------------------------------------------------- JSON lines


def _json_lines(file: Path, warnings: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)``; skip blank lines and a truncated last line (warned)."""
    try:
        lines = file.read_bytes().split(b"\n")
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", source=str(file)) from exc
    last = len(lines) - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    for index in range(last + 1):
        raw = lines[index]
        if not raw.strip():
            continue
        try:
            obj = _fast_loads(raw)
        except ValueError:
            try:  # the standard library also accepts NaN / Infinity, which Python writes
                obj = json.loads(raw)
            except RecursionError:
                raise InputError(
                    "JSON nested too deeply", source=str(file), line=index + 1
                ) from None
            except ValueError as exc:
                if index == last:
                    warnings.append(
                        f"{file}: line {index + 1} is incomplete (a run still writing?); skipped"
                    )
                    return
                raise InputError(
                    f"expected a JSON object, got unparsable text ({exc})",
                    source=str(file),
                    line=index + 1,
                ) from exc
        if not isinstance(obj, dict):
            raise InputError(
                f"expected a JSON object, got {type(obj).__name__}",
                source=str(file),
                line=index + 1,
            )
        yield index + 1, obj


_INT64_LIMIT = 2**63


def _step_of(record: dict[str, Any], file: Path, line: int) -> int:
    step = record.get("step")
    if isinstance(step, int | float) and not isinstance(step, bool) and abs(step) >= _INT64_LIMIT:
        raise InputError(
            f"step {_short(step)} is outside the 64-bit integer range (|step| < 2^63)",
            source=str(file),
            line=line,
            column="step",
        )
    if isinstance(step, int) and not isinstance(step, bool):
        return step
    if isinstance(step, float) and math.isfinite(step) and step.is_integer():
        return int(step)
    raise InputError(
        f"expected an integer 'step', got {step!r}", source=str(file), line=line, column="step"
    )


def _number(value: Any, key: str, file: Path, line: int, required: bool) -> float | None:
    """The float value of a JSON number or bool; None for null / non-numbers (ignored keys)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer with hundreds of digits
            raise InputError(
                f"{key!r} = {_short(value)} is beyond the float64 range (about ±1.8e308)",
                source=str(file),
                line=line,
                column=key,
            ) from None
    if value is None or not required:
        return None
    raise InputError(
        f"expected a number for {key!r}, got {value!r}", source=str(file), line=line, column=key
    )


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}…{text[-6:]} ({len(text)} digits)"


# --------------------------------------------------------------------------- metrics


def _read_metrics(file: Path, wanted: list[str] | None, warnings: list[str]) -> _RunMetrics:
    by_step: dict[int, dict[str, float]] = {}
    keys_seen: set[str] = set()
    record_condition: str | None = None
    n_repeated = 0
    n_nonfinite = 0
    keep = None if wanted is None else set(wanted)
    for line, record in _json_lines(file, warnings):
        step = _step_of(record, file, line)
        if record_condition is None and isinstance(record.get("condition"), str):
            record_condition = record["condition"]
        values: dict[str, float] = {}
        for key, raw in record.items():
            if key == "step":
                continue
            number = _number(raw, key, file, line, key in KNOWN_METRIC_KEYS)
            if number is None:
                continue
            keys_seen.add(key)
            if keep is not None and key not in keep:
                continue
            if math.isfinite(number):
                values[key] = number
            else:
                n_nonfinite += 1
        if step in by_step:
            n_repeated += 1
        by_step[step] = values
    if n_repeated:
        warnings.append(f"{file}: {n_repeated} repeated step line(s); the last one of each kept")
    if n_nonfinite:
        warnings.append(f"{file}: dropped {n_nonfinite} NaN/inf value(s)")
    steps: list[int] = []
    names: list[str] = []
    numbers: list[float] = []
    for step in sorted(by_step):
        values = by_step[step]
        steps.extend([step] * len(values))
        names.extend(values)
        numbers.extend(values.values())
    return _RunMetrics(steps, names, numbers, record_condition, keys_seen)


def _build_frame(parsed: list[tuple[_Run, _RunMetrics]]) -> pl.DataFrame:
    parts = []
    for run, data in parsed:
        n = len(data.values)
        parts.append(
            pl.DataFrame(
                {
                    "step": data.steps,
                    "metric": data.metrics,
                    "value": data.values,
                },
                schema={"step": pl.Int64, "metric": pl.Utf8, "value": pl.Float64},
            ).with_columns(
                condition=pl.repeat(run.condition, n, dtype=pl.Utf8),
                seed=pl.repeat(run.seed, n, dtype=pl.Utf8),
                task=pl.repeat("", n, dtype=pl.Utf8),
            )
        )
    return pl.concat(parts).select(list(CANONICAL_SCHEMA))


# --------------------------------------------------------------------------- emergence


def _read_counts(runs: list[_Run], warnings: list[str]) -> pl.DataFrame | None:
    columns: dict[str, list] = {name: [] for name in COUNTS_SCHEMA}
    found = False
    for run in runs:
        file = run.directory / EMERGENCE_STEPS
        if not file.is_file():
            continue
        found = True
        by_step: dict[int, tuple[int, int]] = {}
        n_incomplete = 0
        for line, record in _json_lines(file, warnings):
            step = _step_of(record, file, line)
            correct = _count(record, "correct_count", file, line)
            total = _count(record, "total_count", file, line)
            if correct is None or total is None:
                n_incomplete += 1
                continue
            if correct > total:
                raise InputError(
                    f"correct_count {correct} exceeds total_count {total}",
                    source=str(file),
                    line=line,
                )
            by_step[step] = (correct, total)
        if n_incomplete:
            warnings.append(
                f"{file}: {n_incomplete} line(s) without correct_count/total_count skipped"
            )
        for step in sorted(by_step):
            columns["condition"].append(run.condition)
            columns["seed"].append(run.seed)
            columns["step"].append(step)
            columns["correct_count"].append(by_step[step][0])
            columns["total_count"].append(by_step[step][1])
    return pl.DataFrame(columns, schema=COUNTS_SCHEMA) if found else None


def _count(record: dict[str, Any], key: str, file: Path, line: int) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    number = _number(value, key, file, line, required=True)
    if (
        number is None
        or not math.isfinite(number)
        or not number.is_integer()
        or number < 0
        or number >= _INT64_LIMIT
    ):
        raise InputError(
            f"expected a non-negative integer for {key!r}, got {value!r}",
            source=str(file),
            line=line,
            column=key,
        )
    return int(number)


def _read_generations(runs: list[_Run], warnings: list[str]) -> pl.DataFrame | None:
    columns: dict[str, list] = {name: [] for name in GENERATIONS_SCHEMA}
    found = False
    for run in runs:
        file = run.directory / EMERGENCE_GENERATIONS
        if not file.is_file():
            continue
        found = True
        n_completions = n_correct = n_unknown = 0
        for line, record in _json_lines(file, warnings):
            verdict = _is_correct(record, file, line)
            if verdict is None:
                n_unknown += 1
                continue
            n_completions += 1
            n_correct += verdict
        if n_unknown:
            warnings.append(
                f"{file}: {n_unknown} completion(s) with neither a reward nor a correctness "
                f"field skipped"
            )
        columns["condition"].append(run.condition)
        columns["seed"].append(run.seed)
        columns["n_completions"].append(n_completions)
        columns["n_correct"].append(n_correct)
    return pl.DataFrame(columns, schema=GENERATIONS_SCHEMA) if found else None


def _is_correct(record: dict[str, Any], file: Path, line: int) -> bool | None:
    """An explicit ``correct`` / ``metadata.correctness`` wins over ``reward > 0.5``."""
    explicit = record.get("correct")
    if explicit is None and isinstance(record.get("metadata"), dict):
        explicit = record["metadata"].get("correctness")
    if explicit is not None:
        if isinstance(explicit, bool):
            return explicit
        if isinstance(explicit, int | float) and math.isfinite(explicit):
            return explicit > CORRECT_REWARD_THRESHOLD
        if isinstance(explicit, str) and explicit.strip().lower() in _TRUE_TEXT | _FALSE_TEXT:
            return explicit.strip().lower() in _TRUE_TEXT
        raise InputError(
            f"cannot read correctness {explicit!r} (expected true/false or a number)",
            source=str(file),
            line=line,
        )
    reward = record.get("reward")
    if reward is None:
        return None
    number = _number(reward, "reward", file, line, required=True)
    if number is None or math.isnan(number):
        return None
    return number > CORRECT_REWARD_THRESHOLD
