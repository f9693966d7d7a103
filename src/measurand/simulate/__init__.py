"""``measurand simulate``: strategic evaluation games on task pools (see :mod:`.workflow`)."""

from __future__ import annotations

from measurand.simulate.workflow import (
    PARTS,
    SimulateResult,
    SimulateSettings,
    run_simulate,
    simulate_settings,
)

__all__ = ["PARTS", "SimulateResult", "SimulateSettings", "run_simulate", "simulate_settings"]
