"""The options of one ``measurand compare`` run, built once (by the CLI or the caller)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

from measurand._compat import renamed_kwargs
from measurand._result import Result
from measurand.compare._options import (
    PairOptions,
    accepts_alpha,
    alpha_from_confidence,
    make_pair_options,
)
from measurand.compare._rules import LitmusRules
from measurand.compare.aggregates import AGGREGATE_METRICS
from measurand.stats._window import Window, parse_window

__all__ = ["CompareOptions"]


@dataclasses.dataclass(frozen=True)
class CompareOptions(Result):
    """Everything that decides what :func:`measurand.compare.run_compare` computes.

    Analyses and their inputs: ``baseline``/``candidate`` (a named pair), ``conditions``
    (restrict every analysis to these, in this order), ``metrics``, ``window`` (a
    :class:`~measurand.stats._window.Window`, parsed from text such as ``"last:100"``),
    ``all_pairs``, ``ordering``/``ordering_metric``, ``rules`` (litmus), ``across_tasks``
    (None: when the data hold several tasks), ``normalization``, ``reference`` and
    ``aggregates`` (across tasks), ``curves``, ``band`` and ``smoothing`` (learning curves).

    Statistics: ``confidence_level`` (of every interval; tests are significant at ``alpha = 1
    - confidence_level``), ``power`` and ``min_effect`` (power figures),
    ``permutation_resamples`` (Monte Carlo relabelings when exact enumeration would exceed
    them), ``n_resamples`` (bootstrap), ``across_resamples`` (stratified bootstrap across
    tasks), ``ci_method``, ``hierarchical``, ``pooled``, ``higher_is_better`` (bool or per
    metric), ``adjust`` (multiplicity adjustments, the first decides) and ``seed``.

    Build it with keywords; :meth:`replace` returns a copy with some fields changed. The old
    keyword names ``alpha`` (for ``confidence_level = 1 - alpha``) and ``n_permutations``
    (``permutation_resamples``) are accepted for one release.
    """

    baseline: str | None = None
    candidate: str | None = None
    metrics: tuple[str, ...] | None = None
    conditions: tuple[str, ...] | None = None
    window: Window = dataclasses.field(default_factory=lambda: Window("all"))
    all_pairs: bool = False
    ordering: str | tuple[str, ...] | None = None
    ordering_metric: str | None = None
    rules: LitmusRules | str | os.PathLike[str] | None = None
    across_tasks: bool | None = None
    normalization: str | None = "minmax"
    reference: Mapping[str, tuple[float, float]] | None = None
    aggregates: tuple[str, ...] = AGGREGATE_METRICS
    curves: bool = True
    band: str = "sd"
    smoothing: str | None = None
    confidence_level: float = 0.95
    power: float = 0.8
    min_effect: Mapping[str, float] | float | None = None
    permutation_resamples: int = 20_000
    n_resamples: int = 10_000
    across_resamples: int = 50_000
    ci_method: str = "percentile"
    hierarchical: bool = False
    pooled: bool = False
    higher_is_better: Mapping[str, bool] | bool = True
    adjust: tuple[str, ...] = ("holm", "bh")
    seed: Any = 0

    def __post_init__(self) -> None:
        # Normalise the forms a caller may give (a str metric, lists, window text) once, so
        # that every analysis reads one representation.
        fix = {
            "window": parse_window(self.window),
            "metrics": _names(self.metrics),
            "conditions": _names(self.conditions),
            "aggregates": tuple(self.aggregates),
            "adjust": (self.adjust,) if isinstance(self.adjust, str) else tuple(self.adjust),
        }
        if self.ordering is not None and not isinstance(self.ordering, str):
            fix["ordering"] = tuple(self.ordering)
        for name, value in fix.items():
            object.__setattr__(self, name, value)
        alpha_from_confidence(self.confidence_level)  # validates the level

    @classmethod
    @renamed_kwargs(n_permutations="permutation_resamples")
    @accepts_alpha
    def build(cls, **fields: Any) -> CompareOptions:
        """``CompareOptions(**fields)`` that also accepts the old keyword names."""
        return cls(**fields)

    def replace(self, **fields: Any) -> CompareOptions:
        """A copy with ``fields`` changed (old keyword names accepted as in :meth:`build`)."""
        return type(self).build(**{**_fields(self), **fields})

    @property
    def alpha(self) -> float:
        """Significance level of every test: ``1 - confidence_level``."""
        return alpha_from_confidence(self.confidence_level)

    def pair_options(self, *, pooled: bool = False) -> PairOptions:
        """The validated options of the pairwise analyses (``pooled`` for the pseudo-replicated
        one)."""
        return make_pair_options(
            alpha=self.alpha,
            power=self.power,
            min_effect=self.min_effect,
            n_permutations=self.permutation_resamples,
            n_resamples=self.n_resamples,
            ci_method=self.ci_method,
            hierarchical=self.hierarchical,
            pooled=pooled,
            higher_is_better=self.higher_is_better,
        )

    def direction(self, metric: str) -> bool:
        """True when higher is better for ``metric``."""
        if isinstance(self.higher_is_better, Mapping):
            return bool(self.higher_is_better.get(metric, True))
        return bool(self.higher_is_better)


def _names(value: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def _fields(options: CompareOptions) -> dict[str, Any]:
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
