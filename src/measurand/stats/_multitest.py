"""Multiple-testing adjustment of p-values: Holm, Benjamini–Hochberg, Bonferroni.

Adjusted p-values keep the input's shape and order; reject hypothesis i at level alpha when
``adjusted[i] <= alpha``. NaN p-values (tests that could not be run) stay NaN and are not counted
in the number of tests m.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from measurand.errors import InputError
from measurand.stats import _validate

__all__ = ["adjust_pvalues", "benjamini_hochberg", "holm"]

AdjustMethod = Literal["holm", "bh", "bonferroni", "none"]
_METHODS = ("holm", "bh", "bonferroni", "none")


def _as_pvalues(p: object) -> np.ndarray:
    values = _validate.numeric_array(p, "p-values", allow_bool=False, source="p")
    outside = ~np.isnan(values) & ~((values >= 0) & (values <= 1))
    if outside.any():
        first = values.ravel()[np.flatnonzero(outside.ravel())[0]]
        raise InputError(
            f"p-values must lie in [0, 1] (or be NaN); found {int(outside.sum())} outside, "
            f"e.g. {first!r}",
            source="p",
        )
    return values


def _holm_sorted(sorted_p: np.ndarray) -> np.ndarray:
    m = sorted_p.size
    return np.maximum.accumulate(sorted_p * np.arange(m, 0, -1))


def _bh_sorted(sorted_p: np.ndarray) -> np.ndarray:
    m = sorted_p.size
    raw = sorted_p / (np.arange(1, m + 1) / m)
    return np.minimum.accumulate(raw[::-1])[::-1]


def adjust_pvalues(p: object, method: AdjustMethod = "holm") -> np.ndarray:
    """Adjust p-values for multiplicity.

    With the m non-NaN p-values sorted, ``p_(1) <= ... <= p_(m)``:

    - ``"holm"`` (Holm 1979, family-wise error): ``max_{j <= i} (m - j + 1) p_(j)``;
    - ``"bh"`` (Benjamini & Hochberg 1995, false discovery rate under independence or positive
      dependence): ``min_{j >= i} m p_(j) / j``;
    - ``"bonferroni"``: ``m p_i``;
    - ``"none"``: the p-values unchanged;

    each clipped to 1. Identical to ``statsmodels.stats.multitest.multipletests(p,
    method="holm" | "fdr_bh" | "bonferroni")[1]`` and, for BH, to
    ``scipy.stats.false_discovery_control(p)``. Adjusted values are monotone in the raw ones and
    never below them.

    Parameters
    ----------
    p : array-like of p-values in [0, 1], any shape
        NaN entries stay NaN and do not count towards m.
    method : "holm", "bh", "bonferroni" or "none"

    Returns
    -------
    numpy.ndarray
        Float array of adjusted p-values, same shape and order as ``p``.
    """
    if method not in _METHODS:
        raise InputError(
            f"method must be one of {', '.join(map(repr, _METHODS))}; got {method!r}",
            source="method",
        )
    values = _as_pvalues(p)
    flat = values.ravel()
    adjusted = np.full(flat.shape, np.nan)
    present = np.flatnonzero(~np.isnan(flat))
    m = present.size
    if m == 0:
        return adjusted.reshape(values.shape)
    observed = flat[present]
    if method == "none":
        result = observed.copy()
    elif method == "bonferroni":
        result = observed * m
    else:
        order = np.argsort(observed, kind="stable")
        adjust_sorted = _holm_sorted if method == "holm" else _bh_sorted
        result = np.empty(m)
        result[order] = adjust_sorted(observed[order])
    adjusted[present] = np.minimum(result, 1.0)
    return adjusted.reshape(values.shape)


def holm(p: object) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values; see :func:`adjust_pvalues`."""
    return adjust_pvalues(p, method="holm")


def benjamini_hochberg(p: object) -> np.ndarray:
    """Benjamini–Hochberg (1995) step-up adjusted p-values (FDR); see :func:`adjust_pvalues`."""
    return adjust_pvalues(p, method="bh")
