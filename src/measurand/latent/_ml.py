"""Maximum-likelihood exploratory factor analysis on a correlation matrix.

The loadings are concentrated out of the normal likelihood (Jöreskog 1967; Lawley & Maxwell
1971): for uniquenesses ``psi``, let ``e_1 >= ... >= e_p`` be the eigenvalues and ``V`` the
eigenvectors of ``Psi^-1/2 R Psi^-1/2``; the ML loadings are
``Lambda = Psi^1/2 V_k diag(sqrt(max(e_k - 1, 0)))`` and the discrepancy left to minimise is

    F(psi) = sum_{j>k} (e_j - log e_j) + k - p,

with gradient ``dF/dpsi = diag(Lambda Lambda' + Psi - R) / psi^2``. ``F`` is minimised by
L-BFGS-B over ``psi`` in ``[0.005, 1]`` (the bounds of ``factanal`` and ``psych::fa``), from
``psi = 1 - SMC`` (psych's start). This is exactly the objective of ``factanal`` and
``psych::fa(fm="ml")``; solved here to a projected gradient of ~1e-10 rather than R's default
``factr``.

Fit statistics follow ``psych::fa.stats`` (psych 2.2.9); see :func:`fit_statistics`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import optimize, special, stats

from measurand._result import ConfidenceInterval

LOWER_BOUND = 0.005  # psych and factanal: optim(lower = .005)


@dataclasses.dataclass(frozen=True)
class UniquenessFit:
    """The outcome of optimising the uniquenesses (ML or minres)."""

    loadings: np.ndarray
    psi: np.ndarray
    objective: float
    n_iter: int
    converged: bool
    message: str


def ml_parts(psi: np.ndarray, R: np.ndarray, k: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Return (F(psi), gradient, loadings) from one eigendecomposition."""
    scale = 1.0 / np.sqrt(psi)
    values, vectors = np.linalg.eigh(R * np.outer(scale, scale))
    values = values[::-1]
    vectors = vectors[:, ::-1]
    rest = values[k:]
    if np.any(rest <= 0):
        objective = math.inf
    else:
        objective = float(np.sum(rest - np.log(rest))) + k - R.shape[0]
    loadings = vectors[:, :k] * np.sqrt(np.maximum(values[:k] - 1.0, 0.0))
    loadings = loadings * np.sqrt(psi)[:, None]
    gradient = (np.sum(loadings * loadings, axis=1) + psi - np.diag(R)) / (psi * psi)
    return objective, gradient, loadings


def fit_uniquenesses(
    R: np.ndarray,
    n_factors: int,
    parts,
    start: np.ndarray,
    *,
    fixed: np.ndarray | None,
    max_iter: int,
    tol: float,
    upper: float = 1.0,
) -> UniquenessFit:
    """Minimise a concentrated discrepancy ``parts(psi, R, k) -> (F, grad, loadings)`` over the
    uniquenesses in ``[0.005, upper]`` from ``start``: :func:`ml_parts` for maximum likelihood
    (see the module docstring), :func:`measurand.latent._minres.minres_parts` for minres.

    ``fixed`` (p,) holds NaN for free uniquenesses and the value of each fixed one.
    """
    p = R.shape[0]
    lower = np.full(p, LOWER_BOUND)
    upper_bounds = np.full(p, upper)
    x0 = np.clip(start, LOWER_BOUND, upper)
    if fixed is not None:
        held = ~np.isnan(fixed)
        lower[held] = upper_bounds[held] = x0[held] = fixed[held]

    def fun(psi: np.ndarray) -> tuple[float, np.ndarray]:
        objective, gradient, _ = parts(psi, R, n_factors)
        return objective, gradient

    result = optimize.minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=optimize.Bounds(lower, upper_bounds),
        options={"maxiter": max_iter, "ftol": 1e-15, "gtol": tol, "maxcor": 20},
    )
    psi = result.x
    objective, gradient, loadings = parts(psi, R, n_factors)
    # Converged when the gradient projected on the box is small, however L-BFGS-B stopped
    # (its line search often ends "abnormally" once F stops changing in the last digit).
    projected = np.where(
        (psi <= lower + 1e-12) & (gradient > 0) | (psi >= upper_bounds - 1e-12) & (gradient < 0),
        0.0,
        gradient,
    )
    converged = bool(np.max(np.abs(projected)) < max(tol, 1e-6))
    return UniquenessFit(
        loadings=loadings,
        psi=psi,
        objective=float(objective),
        n_iter=int(result.get("nit", 0)),
        converged=converged,
        message=str(result.message),
    )


def is_numerically_singular(eigenvalues: np.ndarray) -> bool:
    """Whether a symmetric matrix with these eigenvalues is singular to working precision.

    The rule of ``numpy.linalg.matrix_rank``: the smallest eigenvalue is at most
    ``p * eps * max|eigenvalue|`` (or negative: a pairwise correlation matrix can be indefinite).
    """
    values = np.asarray(eigenvalues, dtype=float)
    if values.size == 0:
        return True
    largest = float(np.max(np.abs(values)))
    return bool(np.min(values) <= values.size * np.finfo(float).eps * largest)


def degrees_of_freedom(p: int, k: int) -> float:
    """``((p - k)^2 - (p + k)) / 2`` (Lawley & Maxwell), as ``psych`` and ``factanal``."""
    return ((p - k) ** 2 - (p + k)) / 2.0


def _rmsea_bound(chi2: float, df: float, n_obs: float, tail: float) -> float:
    """sqrt(ncp / ((n - 1) df)) for the ncp with P(chi2'(df, ncp) <= chi2) = tail (psych)."""
    upper = max(n_obs, chi2) + 2.0 * n_obs

    def gap(ncp: float) -> float:
        # special.chndtr is ncx2.cdf without the distribution machinery (~100x less overhead).
        return float(special.chndtr(chi2, df, ncp)) - tail

    try:
        root = optimize.brentq(gap, 0.0, upper, xtol=1e-12, rtol=1e-12)
    except ValueError:
        return math.nan
    return math.sqrt(root / (n_obs - 1.0) / df)


def undefined_fit_statistics(p: int, k: int, n_obs: int) -> dict[str, object]:
    """:func:`fit_statistics`'s keys for a singular ``R`` never formed (p >> n): NaN values."""
    nan = math.nan
    return {
        "loglik": nan,
        "objective": nan,
        "chi2": nan,
        "df": degrees_of_freedom(p, k),
        "pvalue": nan,
        "rmsea": nan,
        "rmsea_ci": ConfidenceInterval(nan, nan),
        "rmsea_confidence_level": 0.9,
        "tli": nan,
        "bic": nan,
        "null_chi2": nan,
        "null_df": p * (p - 1) / 2.0,
        "n_obs": int(n_obs),
    }


def fit_statistics(
    R: np.ndarray,
    loadings: np.ndarray,
    phi: np.ndarray | None,
    n_obs: int,
    *,
    rmsea_alpha: float = 0.1,
    singular: bool | None = None,
) -> dict[str, object]:
    """Goodness of fit exactly as ``psych::fa.stats`` computes it for ``fa`` (psych 2.2.9).

    With ``M = Lambda Phi Lambda'`` and its diagonal replaced by ``diag(R)`` (1s), ``p`` items,
    ``k`` factors and ``n`` observations:

    * ``objective``  ``F = tr(M^-1 R) - log det(M^-1 R) - p`` (the ML discrepancy)
    * ``chi2``       ``F * (n - 1 - (2p + 5)/6 - 2k/3)`` (Bartlett's correction; psych's
      STATISTIC, also factanal's), ``df = ((p-k)^2 - (p+k))/2``, ``pvalue`` its upper tail
    * ``rmsea``      ``sqrt(max(chi2 / (df n) - 1/(n - 1), 0))`` (psych's formula), with the
      ``1 - rmsea_alpha`` interval from the noncentral chi-square (psych, alpha = .1)
    * ``tli``        ``(M0 - Mm) / (M0 - 1/nm)`` with ``M0 = F0 / (p(p-1)/2)``,
      ``F0 = -log det R``, ``Mm = F / df``, ``nm = n - 1 - (2p+5)/6 - 2k/3``
    * ``bic``        ``chi2 - df log n``
    * ``null_chi2``  ``F0 (n - 1 - (2p+5)/6)`` on ``null_df = p(p-1)/2``
    * ``loglik``     ``-n/2 (p log 2 pi + log det Sigma + tr(Sigma^-1 R))`` with
      ``Sigma = Lambda Phi Lambda' + Psi``, ``Psi = diag(R - Lambda Phi Lambda')`` — the normal
      log-likelihood of the standardised data (covariance ``R``), as sklearn's
      ``FactorAnalysis.score(X) * n`` on data z-scored with ddof = 0.

    With ``df <= 0`` the test statistics are NaN (a saturated or under-identified model), and so
    are all likelihood-based values when ``R`` is singular (psych substitutes residual sums of
    squares there; NaN says plainly that the likelihood is undefined). ``singular`` says whether
    ``R`` is; None decides it here with :func:`is_numerically_singular`. The sign of
    ``slogdet`` cannot decide it: the determinant of a rank-deficient ``R`` is a product of
    eigenvalues that are rounding noise around 0, whose sign (and so the verdict) changes with
    the LAPACK build.
    """
    p = R.shape[0]
    if singular is None:
        singular = is_numerically_singular(np.linalg.eigvalsh(R))
    k = loadings.shape[1]
    Phi = np.eye(k) if phi is None else phi
    model = loadings @ Phi @ loadings.T
    sigma = model.copy()
    np.fill_diagonal(sigma, np.diag(R))
    m_inv_r = np.linalg.solve(sigma, R)
    sign, logdet = np.linalg.slogdet(m_inv_r)
    objective = float(np.trace(m_inv_r) - logdet - p) if sign > 0 else math.inf
    df = degrees_of_freedom(p, k)
    correction = (n_obs - 1.0) - (2.0 * p + 5.0) / 6.0 - (2.0 * k) / 3.0
    chi2 = max(objective * correction, 0.0)
    sign_r, logdet_r = np.linalg.slogdet(R)
    f0 = float(np.trace(R) - logdet_r - p) if sign_r > 0 else math.nan
    null_df = p * (p - 1) / 2.0
    null_chi2 = f0 * ((n_obs - 1.0) - (2.0 * p + 5.0) / 6.0)

    nan = math.nan
    pvalue = rmsea = tli = bic = nan
    rmsea_ci = ConfidenceInterval(nan, nan)
    if singular:
        f0 = null_chi2 = nan
    if not (math.isfinite(objective) and math.isfinite(f0)):
        chi2 = objective = nan
    elif df > 0:
        pvalue = float(stats.chi2.sf(chi2, df))
        m0 = f0 * 2.0 / (p * (p - 1))
        mm = objective / df
        tli = (m0 - mm) / (m0 - 1.0 / correction)
        rmsea = math.sqrt(max(chi2 / (df * n_obs) - 1.0 / (n_obs - 1.0), 0.0))
        tail = rmsea_alpha / 2.0
        cdf0 = float(stats.chi2.cdf(chi2, df))
        upper = _rmsea_bound(chi2, df, n_obs, tail) if cdf0 > tail else 0.0
        lower = _rmsea_bound(chi2, df, n_obs, 1.0 - tail) if cdf0 > 1.0 - tail else 0.0
        # psych drops a bound that lands on the wrong side of the point estimate.
        if not math.isnan(upper) and upper < rmsea:
            upper = nan
        if not math.isnan(lower) and lower > rmsea:
            lower = nan
        rmsea_ci = ConfidenceInterval(lower, upper)
        bic = chi2 - df * math.log(n_obs)

    # Sigma (unit diagonal) is Lambda Phi Lambda' + Psi with Psi = diag(R - Lambda Phi Lambda').
    sign_s, logdet_s = np.linalg.slogdet(sigma)
    loglik = (
        -0.5 * n_obs * (p * math.log(2.0 * math.pi) + logdet_s + float(np.trace(m_inv_r)))
        if sign_s > 0
        else nan
    )
    return {
        "loglik": float(loglik),
        "objective": objective,
        "chi2": float(chi2),
        "df": df,
        "pvalue": pvalue,
        "rmsea": rmsea,
        "rmsea_ci": rmsea_ci,
        "rmsea_confidence_level": 1.0 - rmsea_alpha,
        "tli": float(tli),
        "bic": float(bic),
        "null_chi2": float(null_chi2),
        "null_df": null_df,
        "n_obs": int(n_obs),
    }


FIT_CUTOFFS = {
    "rmsea_good": 0.06,
    "rmsea_poor": 0.10,
    "tli_good": 0.95,
    "tli_poor": 0.90,
}
FIT_CUTOFF_SOURCES = (
    "Hu & Bentler (1999), Structural Equation Modeling 6(1):1-55: RMSEA <= .06 and TLI >= .95 "
    "for a good fit; Browne & Cudeck (1993), in Testing Structural Equation Models, pp. 136-162: "
    "RMSEA > .10 a poor fit"
)


def fit_quality(stats: dict[str, object]) -> tuple[str | None, tuple[str, ...]]:
    """Label the fit ``"good"``, ``"mediocre"`` or ``"poor"`` by conventional cut-offs.

    Poor: RMSEA > .10 (Browne & Cudeck 1993) or TLI < .90; mediocre: RMSEA > .06 or TLI < .95
    (Hu & Bentler 1999's cut-offs for a good fit); good otherwise. The chi-square test is not
    used: with hundreds of rows it rejects models that fit well. Returns (None, ()) when neither
    index is defined (a singular matrix or df <= 0). The reasons name each index that missed.
    """
    rmsea = stats.get("rmsea")
    tli = stats.get("tli")
    rmsea = float(rmsea) if isinstance(rmsea, int | float) and math.isfinite(rmsea) else None
    tli = float(tli) if isinstance(tli, int | float) and math.isfinite(tli) else None
    if rmsea is None and tli is None:
        return None, ()
    c = FIT_CUTOFFS
    reasons: list[str] = []
    label = "good"
    if rmsea is not None and rmsea > c["rmsea_poor"]:
        label = "poor"
        reasons.append(f"RMSEA {rmsea:.3f} > {c['rmsea_poor']:.2f}")
    elif rmsea is not None and rmsea > c["rmsea_good"]:
        label = "mediocre"
        reasons.append(f"RMSEA {rmsea:.3f} > {c['rmsea_good']:.2f}")
    if tli is not None and tli < c["tli_poor"]:
        label = "poor"
        reasons.append(f"TLI {tli:.3f} < {c['tli_poor']:.2f}")
    elif tli is not None and tli < c["tli_good"]:
        label = "mediocre" if label == "good" else label
        reasons.append(f"TLI {tli:.3f} < {c['tli_good']:.2f}")
    return label, tuple(reasons)
