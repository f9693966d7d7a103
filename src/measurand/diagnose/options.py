"""Options of ``diagnose``: their allowed values, their checks, and the threshold rule."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from measurand.errors import InputError
from measurand.stats import _validate

CI_METHODS = ("delong", "bootstrap")
BOOTSTRAP_METHODS = ("percentile", "bca")
NAN_POLICIES = ("drop", "raise")

ThresholdRule = str | float


def check_options(
    nan_policy: str,
    n_resamples: int,
    confidence_level: float,
    ci_methods: Sequence[str],
    bootstrap_method: str,
) -> None:
    if nan_policy not in NAN_POLICIES:
        raise InputError(f"nan_policy must be 'drop' or 'raise', got {nan_policy!r}")
    _validate.positive_int(n_resamples, "n_resamples")
    _validate.confidence_level(confidence_level)
    if isinstance(ci_methods, str):
        raise InputError(f"ci_methods must be a sequence such as ('delong',), got {ci_methods!r}")
    unknown = [m for m in ci_methods if m not in CI_METHODS]
    if unknown:
        raise InputError(f"unknown ci_methods {unknown}; choose from {list(CI_METHODS)}")
    if bootstrap_method not in BOOTSTRAP_METHODS:
        raise InputError(
            f"bootstrap_method must be one of {list(BOOTSTRAP_METHODS)}, got {bootstrap_method!r}"
        )


def parse_threshold(threshold: ThresholdRule) -> tuple[str, float | None]:
    """``"otsu"`` -> ``("otsu", None)``; ``"percentile:45"`` -> ``("percentile", 45.0)``; a
    number (or numeric string) -> ``("fixed", value)``."""
    if isinstance(threshold, bool):
        raise InputError(f"threshold must be 'otsu', 'percentile:Q' or a number, got {threshold!r}")
    if isinstance(threshold, int | float | np.integer | np.floating):
        value = float(threshold)
        if not math.isfinite(value):
            raise InputError(f"a fixed threshold must be finite, got {threshold!r}")
        return ("fixed", value)
    if not isinstance(threshold, str):
        raise InputError(f"threshold must be 'otsu', 'percentile:Q' or a number, got {threshold!r}")
    text = threshold.strip().lower()
    if text == "otsu":
        return ("otsu", None)
    if text.startswith("percentile:"):
        try:
            q = float(text.split(":", 1)[1])
        except ValueError:
            q = math.nan
        if not 0.0 <= q <= 100.0:
            raise InputError(
                f"threshold {threshold!r}: the percentile must be a number in [0, 100], e.g. "
                "'percentile:45'"
            )
        return ("percentile", q)
    try:
        return parse_threshold(float(text))
    except ValueError:
        raise InputError(
            f"threshold must be 'otsu', 'percentile:Q' (e.g. 'percentile:45') or a number; got "
            f"{threshold!r}"
        ) from None


def rule_text(rule: tuple[str, float | None]) -> str:
    kind, value = rule
    if kind == "otsu":
        return "otsu"
    if kind == "percentile":
        return f"percentile:{value:g}"
    return f"fixed:{value!r}"
