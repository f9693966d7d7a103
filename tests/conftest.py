"""Test-suite settings.

Under CI (``CI`` set in the environment) hypothesis runs derandomized, so a landing never
depends on which examples a random seed happened to draw; locally it explores new examples
on every run.

Real data live beside the repository, in ``../shared/data`` (``shared_paths.SHARED_DATA``, the
one place that knows the path; tests import it or use the ``shared_data`` fixture). Locally,
tests that need it skip when it is absent; under CI a missing folder fails the whole run before
any test runs, so that CI never passes by skipping them.
"""

import os
from pathlib import Path

import pytest
from hypothesis import settings

from shared_paths import SHARED_DATA

settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def pytest_sessionstart(session: pytest.Session) -> None:
    if _under_ci() and not SHARED_DATA.is_dir():
        raise pytest.UsageError(
            f"CI is set but the shared real data are missing: {SHARED_DATA} "
            "(check out the shared data beside the repository; tests must not skip in CI)"
        )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; skips locally when absent (CI fails at start instead)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared real data not found at {SHARED_DATA}")
    return SHARED_DATA
