from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folders ``measurand demo`` writes (fewer resamples: the figures are the same)."""
    from measurand.cli.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "demo"
    run_demo(out, seed=0, n_resamples=200)
    return out
