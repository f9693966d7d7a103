"""The demo leaves out a part whose optional package is missing, instead of failing."""

from __future__ import annotations

import importlib.util

import measurand.cli.demo as demo


def test_the_irt_part_needs_torch_and_is_left_out_without_it(monkeypatch) -> None:
    irt = next(b for b in demo.DEMO_PARTS if b.__name__ == "irt_part")
    real = importlib.util.find_spec
    assert demo.missing_extra(irt) is None  # torch is installed for the tests
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    assert demo.missing_extra(irt) == "torch"
    assert all(demo.missing_extra(b) is None for b in demo.DEMO_PARTS if b is not irt)
