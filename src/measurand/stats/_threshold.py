"""Otsu's threshold for splitting a bimodal sample into two classes."""

from __future__ import annotations

import numpy as np

from measurand.errors import InputError

__all__ = ["otsu_threshold"]


def otsu_threshold(x: object, bins: int = 256) -> float:
    """Otsu's (1979) threshold: the histogram bin centre that maximises the between-class
    variance ``w0(t) w1(t) (mu0(t) - mu1(t))^2`` of the split ``x <= t`` / ``x > t``.

    The histogram has ``bins`` equal-width bins over ``[min(x), max(x)]`` (``numpy.histogram``)
    and candidate thresholds are the bin centres, so the result equals
    ``skimage.filters.threshold_otsu(np.asarray(x, dtype=float), nbins=bins)``, including its
    float32 class weights and its first-maximum tie break.

    Convention (scikit-image's): values ``> threshold`` form the upper class ("foreground"),
    values ``<= threshold`` the lower one. A caller that labels ``signal < threshold`` as the low
    class ("settled") differs from that split only for values exactly equal to the returned bin
    centre, which it puts in the upper class.

    Parameters
    ----------
    x : array-like of finite numbers, any shape (flattened)
        Integers are binned like floats: scikit-image instead gives integer images one bin per
        integer value and ignores ``nbins``, so match it with ``x.astype(float)``.
    bins : int
        Number of histogram bins, at least 2.

    Returns
    -------
    float
        The threshold. If every value is equal, that value (as scikit-image does).

    Raises
    ------
    InputError
        Empty, non-numeric or non-finite input, an invalid ``bins``, or a range too narrow for
        ``bins`` finite-width bins.
    """
    if isinstance(bins, bool | np.bool_) or not isinstance(bins, int | np.integer) or bins < 2:
        raise InputError(f"bins must be an integer >= 2, got {bins!r}", source="bins")
    values = np.asarray(x)
    if values.dtype.kind not in "biuf":
        raise InputError(f"x must be numeric, got dtype {values.dtype}", source="x")
    values = values.astype(np.float64).ravel()
    if values.size == 0:
        raise InputError("x is empty", source="x")
    not_finite = ~np.isfinite(values)
    if not_finite.any():
        raise InputError(
            f"x holds {int(not_finite.sum())} NaN or infinite value(s); drop them first",
            source="x",
        )
    if np.all(values == values[0]):
        return float(values[0])

    try:
        counts, edges = np.histogram(values, bins=int(bins))
    except ValueError as error:  # a range too narrow to split into `bins` finite bins
        raise InputError(f"cannot bin x into {bins} bins: {error}", source="x") from error
    centres = (edges[:-1] + edges[1:]) / 2.0
    # float32 counts, as scikit-image: near-equal maxima then break exactly as there.
    counts = counts.astype(np.float32)

    weight_low = np.cumsum(counts)
    weight_high = np.cumsum(counts[::-1])[::-1]
    mean_low = np.cumsum(counts * centres) / weight_low
    mean_high = (np.cumsum((counts * centres)[::-1]) / weight_high[::-1])[::-1]
    # Threshold at centre i: the lower class holds bins 0..i, the upper class bins i+1.. .
    between = weight_low[:-1] * weight_high[1:] * (mean_low[:-1] - mean_high[1:]) ** 2
    return float(centres[np.argmax(between)])
