"""``measurand plan``: how many items, runs, seeds or episodes a claim needs."""

from __future__ import annotations

from measurand.plan.workflow import PlanResult, plan_from_numbers, plan_from_results

__all__ = ["PlanResult", "plan_from_numbers", "plan_from_results"]
