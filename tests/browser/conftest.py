"""Browser tests need Chromium: they skip without it locally and fail without it under CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_cdp import Browser, find_chromium


def _require(what: str) -> None:
    message = f"{what} is not available; `.ci/run` installs it (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        _require("chromium")
    try:
        import websocket  # noqa: F401
    except ImportError:
        _require("websocket-client")
    return path  # type: ignore[return-value]


@pytest.fixture(scope="session")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Browser:
    with Browser(chromium, tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots go to $MEASURAND_ARTIFACTS/browser when set (CI keeps it), else a tmp dir."""
    root = os.environ.get("MEASURAND_ARTIFACTS")
    if root:
        path = Path(root) / "browser"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("browser-artifacts")
