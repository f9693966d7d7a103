"""``measurand factors``: how many capabilities does a benchmark matrix measure, and who leads?"""

from __future__ import annotations

from measurand.factors.workflow import FactorsResult, run_factors

__all__ = ["FactorsResult", "run_factors"]
