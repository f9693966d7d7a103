"""How many factors a matrix can identify, and parallel analysis's k kept within it.

Shared by the ``factors`` and ``noise`` workflows (numerics: no files, no printing).
"""

from __future__ import annotations

__all__ = ["clamp_suggested_k", "k_rule_label", "max_identified_factors"]


def max_identified_factors(p: int) -> int:
    """Largest k with non-negative degrees of freedom of a free k-factor model on p tasks,
    (p − k)² ≥ p + k (0 when not even one factor is identified)."""
    k = 0
    while k + 1 < p and (p - k - 1) ** 2 >= p + k + 1:
        k += 1
    return k


def clamp_suggested_k(k: int, p: int, warnings: list[str]) -> int:
    """Parallel analysis's ``k`` kept within [1, max_identified_factors(p)] (at least 1), with a
    warning in ``warnings`` for each adjustment."""
    k_max = max(1, max_identified_factors(p))
    if k < 1:
        warnings.append("parallel analysis found no factor above chance; fitting k = 1")
        return 1
    if k > k_max:
        warnings.append(
            f"parallel analysis suggests k = {k}, but {p} tasks identify at most {k_max} "
            f"factor(s) ((p − k)² ≥ p + k); fitting k = {k_max}"
        )
        return k_max
    return k


def k_rule_label(rule: str, quantile: float) -> str:
    """How parallel analysis chose k under ``rule`` (one of :data:`K_RULES`), for reports."""
    percentile = f"random {100 * quantile:g}th percentile"
    how = {
        "quantile": f"leading eigenvalues above the {percentile}, up to the first crossing",
        "mean": "leading eigenvalues above the random mean, up to the first crossing",
        "count": f"every eigenvalue above the {percentile}; liberal, it finds factors in noise",
    }
    return f"parallel analysis: {how[rule]}"
