"""The fitted IRT model shared by both estimators: item parameters, probabilities, information,
abilities and item flags.

Response function (slope–intercept form, as ``mirt``):

    P(y_si = 1 | θ_s) = c_i + (1 − c_i) σ(a_i · θ_s + d_i),   θ_s ~ N(0, I_D),

with σ the logistic function, ``c_i = 0`` except for the 3PL. In one dimension the IRT
difficulty is ``b_i = −d_i / a_i`` (``ltm``'s ``Dffclt``; its ``Dscrmn`` is ``a_i``). The
multidimensional discrimination is MDISC_i = ‖a_i‖ and the multidimensional difficulty
MDIFF_i = −d_i / ‖a_i‖ (Reckase 2009).

Fisher information of item i at θ (Reckase 2009; Birnbaum 1968 for the 3PL):
``I_i(θ) = a_i a_iᵀ (P − c)² (1 − P) / ((1 − c)² P)``, which is ``a_i a_iᵀ P (1 − P)`` when
``c = 0``; in one dimension the item information curve is that scalar, and test information is
the sum over items.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from measurand._result import Result

__all__ = ["IRTFit", "ItemFlags", "flag_items", "response_probability"]

MODELS = ("1pl", "2pl", "3pl", "m2pl")

# An item whose slope (its length ‖a_i‖ in several dimensions) is below this discriminates
# almost nothing: over the whole ±2 SD ability range its probability moves by less than ~0.2.
NEAR_ZERO_SLOPE = 0.2


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def response_probability(
    theta: np.ndarray, a: np.ndarray, d: np.ndarray, c: np.ndarray | None = None
) -> np.ndarray:
    """P(y = 1) for abilities ``theta`` (n, D) and items ``a`` (p, D), ``d`` (p,), ``c`` (p,)."""
    eta = np.asarray(theta, dtype=float) @ np.asarray(a, dtype=float).T + np.asarray(d)
    prob = _sigmoid(eta)
    if c is not None:
        prob = c + (1.0 - c) * prob
    return prob


@dataclasses.dataclass(frozen=True)
class ItemFlags(Result):
    """Items whose slope is negative or near zero: candidates for mislabeled or broken items.

    ``fdr`` is the false-discovery rate the negative list is held to (None when there were no
    standard errors and the threshold alone decided); ``q_values`` maps every item with some
    slope ≤ −threshold to its Benjamini–Hochberg q-value (the smallest FDR at which it would be
    flagged), ``p_values`` to its p-value (Bonferroni over dimensions) before that adjustment,
    ``dimensions`` to the (0-based) dimension of the slope that p-value comes from."""

    negative: tuple[int, ...]
    near_zero: tuple[int, ...]
    threshold: float
    reason: dict[int, str]
    fdr: float | None = None
    q_values: dict[int, float] = dataclasses.field(default_factory=dict)
    p_values: dict[int, float] = dataclasses.field(default_factory=dict)
    dimensions: dict[int, int] = dataclasses.field(default_factory=dict)


def flag_items(
    a: np.ndarray,
    se: np.ndarray | None = None,
    *,
    threshold: float = NEAR_ZERO_SLOPE,
    fdr: float = 0.05,
) -> ItemFlags:
    """Flag items whose slope is negative or near zero.

    * near zero: ‖a_i‖ < ``threshold`` (the estimate hardly tells abilities apart);
    * negative: some slope a_ij ≤ −``threshold`` that is negative beyond chance, with the
      false-discovery rate over items held at ``fdr``: each such slope's one-sided p-value
      Φ(a_ij / se_ij), the item's p-value the smallest of them times D (Bonferroni over the
      dimensions), then Benjamini–Hochberg (1995) over all items. A benchmark of 13,542 items
      has hundreds of slopes below 0 by chance alone when the subjects are few; a per-item
      95 % interval would list them all. Without standard errors (None or all NaN) the
      threshold alone decides. Multidimensional loadings should be rotated and oriented
      (columns with positive sums) first, as :func:`rotate` does.
    """
    from scipy.stats import false_discovery_control, norm

    A = np.asarray(a, dtype=float)
    if A.ndim == 1:
        A = A[:, None]
    p, D = A.shape
    length = np.linalg.norm(A, axis=1)
    below = A <= -threshold
    S = None if se is None else np.asarray(se, dtype=float).reshape(A.shape)
    q_values: dict[int, float] = {}
    p_values: dict[int, float] = {}
    dimensions: dict[int, int] = {}
    used_fdr: float | None = None
    if S is not None and np.isfinite(S).any():
        if not 0.0 < fdr < 1.0:
            raise ValueError(f"fdr must lie in (0, 1), got {fdr!r}")
        used_fdr = float(fdr)
        with np.errstate(divide="ignore", invalid="ignore"):
            entry_p = np.where(below & np.isfinite(S) & (S > 0), norm.cdf(A / S), 1.0)
        item_p = np.minimum(1.0, D * entry_p.min(axis=1))
        q = false_discovery_control(item_p, method="bh") if p > 0 else item_p
        candidates = np.flatnonzero(below.any(axis=1))
        worst = np.argmin(entry_p, axis=1)
        q_values = {int(i): float(q[i]) for i in candidates}
        p_values = {int(i): float(item_p[i]) for i in candidates}
        dimensions = {int(i): int(j) for i, j in zip(candidates, worst[candidates], strict=True)}
        negative = tuple(int(i) for i in candidates if q[i] <= fdr)
    else:
        negative = tuple(int(i) for i in np.flatnonzero(below.any(axis=1)))
        worst = np.argmin(np.where(below, A, np.inf), axis=1)
    near = tuple(int(i) for i in np.flatnonzero(length < threshold))
    reason: dict[int, str] = {}
    for i in negative:
        j = int(worst[i])
        where = "" if D == 1 else f" on dimension {j + 1}"
        evidence = "" if used_fdr is None else f", q = {q_values[i]:.2g}"
        reason[i] = f"negative slope{where} ({A[i, j]:.3f}{evidence})"
    for i in near:
        reason[i] = f"near-zero slope (length {length[i]:.3f} < {threshold:g})"
    return ItemFlags(
        negative=negative,
        near_zero=near,
        threshold=float(threshold),
        reason=reason,
        fdr=used_fdr,
        q_values=q_values,
        p_values=p_values,
        dimensions=dimensions,
    )


@dataclasses.dataclass(frozen=True)
class IRTFit(Result):
    """A fitted IRT model (marginal ML or joint MAP) with abilities and standard errors.

    Attributes
    ----------
    model:
        "1pl", "2pl", "3pl" or "m2pl".
    method:
        "mml" (Bock–Aitkin EM, then Newton (L-BFGS-B for the 3PL) on the marginal likelihood)
        or "map" (joint MAP).
    a, d, c:
        Slopes (p, D), intercepts (p,), guessing floors (p,; zeros unless 3PL).
    se_a, se_d, se_c:
        Standard errors (NaN where not computed: fixed parameters, or too many parameters for
        the full observed information).
    theta, theta_se:
        Abilities (n, D): EAP and posterior SD (MML) or MAP and the inverse posterior curvature
        (MAP).
    loglik:
        Marginal log-likelihood (MML) or the data log-likelihood at the MAP (MAP).
    objective_trace:
        The objective after each iteration (EM then Newton or L-BFGS-B, or block Newton).
    converged, n_iter, criterion:
        Whether the stated criterion was met, the iterations used, the criterion in words.
    rotation:
        The rotation applied to multidimensional loadings (None when D = 1 or unrotated).
    extra:
        Estimator details (quadrature, device, timings...).
    """

    model: str
    method: str
    a: np.ndarray
    d: np.ndarray
    c: np.ndarray
    se_a: np.ndarray
    se_d: np.ndarray
    se_c: np.ndarray
    theta: np.ndarray
    theta_se: np.ndarray
    loglik: float
    n_params: int
    objective_trace: tuple[float, ...]
    converged: bool
    n_iter: int
    criterion: str
    rotation: str | None = None
    phi: np.ndarray | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def n_dims(self) -> int:
        return int(self.a.shape[1])

    @property
    def difficulty(self) -> np.ndarray:
        """``−d / ‖a‖`` (the IRT difficulty b in one dimension; MDIFF in several)."""
        length = np.linalg.norm(self.a, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -self.d / np.where(length > 0, length, np.nan)

    @property
    def discrimination(self) -> np.ndarray:
        """``‖a_i‖`` (the slope in one dimension; MDISC in several)."""
        return np.linalg.norm(self.a, axis=1)

    def probability(self, theta: np.ndarray | None = None) -> np.ndarray:
        """P(y = 1) at ``theta`` (default the fitted abilities): shape (n, p)."""
        t = self.theta if theta is None else np.atleast_2d(theta)
        return response_probability(t, self.a, self.d, self.c if self.c.any() else None)

    def item_information(self, theta: np.ndarray) -> np.ndarray:
        """Information of each item at each θ, (len(theta), p); in D > 1 dimensions the trace
        of the information matrix (its total over directions)."""
        t = np.atleast_2d(np.asarray(theta, dtype=float))
        if t.shape[1] != self.n_dims and t.shape[0] == self.n_dims:
            t = t.T
        if self.n_dims == 1 and t.shape[1] != 1:
            t = t.reshape(-1, 1)
        prob = response_probability(t, self.a, self.d, self.c)
        c = self.c
        scale = (prob - c) ** 2 * (1 - prob) / ((1 - c) ** 2 * np.maximum(prob, 1e-300))
        return scale * (self.a**2).sum(axis=1)

    def test_information(self, theta: np.ndarray) -> np.ndarray:
        """Sum of the item information at each θ."""
        return self.item_information(theta).sum(axis=1)

    def flags(self, threshold: float = NEAR_ZERO_SLOPE, fdr: float = 0.05) -> ItemFlags:
        """:func:`flag_items` on the slopes and their standard errors."""
        return flag_items(self.a, self.se_a, threshold=threshold, fdr=fdr)
