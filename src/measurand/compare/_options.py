"""Validated options of the pairwise analyses (shared by ``two_conditions`` and ``multiple``)."""

from __future__ import annotations

import dataclasses
import functools
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from measurand.errors import InputError
from measurand.stats import _validate

CI_METHODS = ("percentile", "bca", "basic")
F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass(frozen=True)
class PairOptions:
    alpha: float
    power: float
    min_effect: Mapping[str, float] | float | None
    n_permutations: int
    n_resamples: int
    ci_method: str
    hierarchical: bool
    pooled: bool
    higher_is_better: Mapping[str, bool] | bool

    @property
    def confidence_level(self) -> float:
        return 1.0 - self.alpha

    def direction(self, metric: str) -> bool:
        if isinstance(self.higher_is_better, Mapping):
            return bool(self.higher_is_better.get(metric, True))
        return bool(self.higher_is_better)

    def minimum_effect(self, metric: str) -> float | None:
        if isinstance(self.min_effect, Mapping):
            value = self.min_effect.get(metric)
            return None if value is None else float(value)
        return None if self.min_effect is None else float(self.min_effect)


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}", source=name)
    return int(value)


def open_unit(name: str, value: Any) -> float:
    """:func:`measurand.stats._validate.open_unit` with the option's name as the error's source."""
    if isinstance(value, bool):
        raise InputError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    try:
        return _validate.open_unit(value, name)
    except InputError as exc:
        exc.source = name
        raise


def make_pair_options(
    *,
    alpha: float,
    power: float,
    min_effect: Mapping[str, float] | float | None,
    n_permutations: int,
    n_resamples: int,
    ci_method: str,
    hierarchical: bool,
    pooled: bool,
    higher_is_better: Mapping[str, bool] | bool,
) -> PairOptions:
    if ci_method not in CI_METHODS:
        raise InputError(
            f"ci_method must be one of {list(CI_METHODS)}, got {ci_method!r}", source="ci_method"
        )
    if hierarchical and pooled:
        raise InputError(
            "hierarchical=True (resample seeds, then steps) and pooled=True (steps as "
            "independent units) contradict each other; choose one",
            source="hierarchical",
        )
    if hierarchical and ci_method != "percentile":
        raise InputError(
            "the hierarchical bootstrap gives percentile intervals only; use "
            "ci_method='percentile' with hierarchical=True",
            source="ci_method",
        )
    effects = min_effect.values() if isinstance(min_effect, Mapping) else [min_effect]
    for value in effects:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0
        ):
            raise InputError(
                f"min_effect must be a positive difference in metric units, got {value!r}",
                source="min_effect",
            )
    directions = (
        higher_is_better.values() if isinstance(higher_is_better, Mapping) else [higher_is_better]
    )
    for value in directions:
        if not isinstance(value, bool | np.bool_):
            raise InputError(
                f"higher_is_better must be a bool or a mapping metric -> bool, got {value!r}",
                source="higher_is_better",
            )
    return PairOptions(
        alpha=open_unit("alpha", alpha),
        power=open_unit("power", power),
        min_effect=min_effect,
        n_permutations=positive_int("n_permutations", n_permutations),
        n_resamples=positive_int("n_resamples", n_resamples),
        ci_method=ci_method,
        hierarchical=bool(hierarchical),
        pooled=bool(pooled),
        higher_is_better=higher_is_better,
    )


def alpha_from_confidence(confidence_level: Any) -> float:
    """``1 - confidence_level`` rounded to 12 digits (0.95 gives 0.05, not 0.050000000000000044),
    after checking that the level lies strictly between 0 and 1."""
    return round(1.0 - open_unit("confidence_level", confidence_level), 12)


def accepts_alpha(func: F) -> F:
    """Accept the old ``alpha=`` for ``confidence_level = 1 - alpha`` for one release.

    Not a plain rename (:func:`measurand._compat.renamed_kwargs`): the value changes too. The
    significance level of every test is ``1 - confidence_level``, so the two cannot disagree.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "alpha" in kwargs:
            if "confidence_level" in kwargs:
                raise InputError(
                    f"{func.__name__}() got both alpha= and confidence_level= (alpha is the old "
                    "name; confidence_level = 1 - alpha)"
                )
            alpha = open_unit("alpha", kwargs.pop("alpha"))
            warnings.warn(
                f"{func.__name__}(alpha=...) is replaced by confidence_level=1 - alpha; the old "
                "name goes in the next release",
                DeprecationWarning,
                stacklevel=2,
            )
            kwargs["confidence_level"] = 1.0 - alpha
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
