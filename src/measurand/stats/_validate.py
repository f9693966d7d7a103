"""Argument checks shared by the statistics functions; each raises InputError.

Messages start with the argument's name: ``confidence_level must be a number strictly between
0 and 1, got 95``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

from measurand.errors import InputError

ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")

CHUNK_BYTES = 50_000_000
"""Memory budget of the temporaries of one chunk of resamples (index matrices, gathered values):
every vectorized resampling loop in measurand sizes its chunks from this one number."""


def finite(value: object, name: str) -> float:
    """A finite real number (booleans refused)."""
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be a number, got the boolean {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite, got {value!r}")
    return number


def open_unit(value: object, name: str) -> float:
    """A number strictly between 0 and 1 (a probability level, alpha, a power)."""
    number = finite(value, name)
    if not 0.0 < number < 1.0:
        raise InputError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return number


def confidence_level(value: object) -> float:
    """A two-sided coverage strictly between 0 and 1."""
    return open_unit(value, "confidence_level")


def positive_int(value: object, name: str) -> int:
    """An integer >= 1; integral numpy scalars pass, floats and booleans do not."""
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise InputError(f"{name} must be a positive integer, got {value!r}") from None
    if number < 1:
        raise InputError(f"{name} must be a positive integer, got {number}")
    return number


def choice(value: object, name: str, choices: Sequence[str]) -> str:
    """One of ``choices``, matched case-insensitively; returned in the canonical spelling."""
    if isinstance(value, str) and value.lower() in choices:
        return value.lower()
    raise InputError(f"{name} must be one of {list(choices)}, got {value!r}")


def alternative(value: object) -> str:
    """``"two-sided"``, ``"less"`` or ``"greater"``."""
    return choice(value, "alternative", ALTERNATIVES)


def numeric_array(
    values: object,
    name: str,
    *,
    ndim: int | None = None,
    keep_integers: bool = False,
    allow_bool: bool = True,
    source: str | None = None,
) -> np.ndarray:
    """``values`` as a numpy array of real numbers: the one array coercion of ``stats``.

    Complex input is refused (a cast would drop the imaginary part silently), and so is text.
    Returns float64, or the integer/bool array itself with ``keep_integers`` (exact ranks and
    counts). ``ndim`` checks the number of dimensions.
    """
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be an array of numbers: {exc}", source=source) from None
    if raw.dtype == object:
        # Python objects (e.g. None for a missing value) as float64; None becomes NaN.
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} must be numeric (numbers): {exc}", source=source) from None
    if np.iscomplexobj(raw):
        raise InputError(
            f"{name} holds complex numbers; pass real values (a cast would drop the imaginary "
            "part)",
            source=source,
        )
    kinds = "biuf" if allow_bool else "iuf"
    if raw.dtype.kind not in kinds:
        raise InputError(f"{name} must be numeric (numbers), got dtype {raw.dtype}", source=source)
    if ndim is not None and raw.ndim != ndim:
        dims = "one-dimensional (1-D)" if ndim == 1 else f"{ndim}-D"
        raise InputError(f"{name} must be {dims}, got an array of shape {raw.shape}", source=source)
    if keep_integers and raw.dtype.kind in "biu":
        return raw
    return raw.astype(np.float64, copy=False)


# Magnitudes above this overflow float64 when squared (sums of squares, variances).
SQUARE_LIMIT = math.sqrt(np.finfo(np.float64).max)


def real_vector(values: object, name: str, *, min_size: int = 1, why: str = "") -> np.ndarray:
    """A 1-D float64 array of finite real numbers with at least ``min_size`` entries.

    Complex input is refused (casting would drop the imaginary part), and so are magnitudes
    above ``sqrt(float64 max) ≈ 1.34e154``, whose squares overflow: a variance of such values
    would be ``inf`` or NaN without a word.
    """
    array = numeric_array(values, name, ndim=1)
    if array.size < min_size:
        raise InputError(f"{name} needs at least {min_size} observations{why}, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{name} contains NaN or infinite values; remove them first")
    too_large = np.abs(array) > SQUARE_LIMIT
    if too_large.any():
        index = int(np.argmax(too_large))
        raise InputError(
            f"{name}[{index}] = {array[index]:.4g}: magnitudes above {SQUARE_LIMIT:.3g} overflow "
            "float64 when squared; rescale the values (e.g. divide them by a power of 10)"
        )
    return array
