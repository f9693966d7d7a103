"""The ``irt`` workflow: item response models for subjects × items binary responses."""

from __future__ import annotations

from measurand.irt.workflow import IRTResult, IRTSettings, run_irt

__all__ = ["IRTResult", "IRTSettings", "run_irt"]
