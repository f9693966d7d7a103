"""A small client for headless Chromium over the DevTools protocol (tests only).

Starts ``chromium --headless`` on a free loopback port (``--remote-debugging-port=0``; the port
is read back from ``DevToolsActivePort``), drives one page target through ``websocket-client``,
collects console errors and uncaught exceptions, and takes full-page screenshots.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


@dataclass
class PageLoad:
    url: str
    errors: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    height: int = 0
    screenshots: list[bytes] = field(default_factory=list)  # top to bottom

    @property
    def screenshot(self) -> bytes:
        return self.screenshots[0] if self.screenshots else b""


class Browser:
    """One headless Chromium with one tab; use as a context manager (the process is ended)."""

    def __init__(self, executable: str, profile: Path, *, width: int = 1280, height: int = 900):
        self.width, self.height = width, height
        profile.mkdir(parents=True, exist_ok=True)
        # A marker left by an earlier browser on this profile would name a dead port.
        (profile / "DevToolsActivePort").unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                executable,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        try:
            port = self._wait_port(profile / "DevToolsActivePort")
            self.ws = self._connect(port)
        except BaseException:
            self.close()
            raise

    def _wait_port(self, marker: Path, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.proc.returncode}")
            if marker.is_file():
                first = marker.read_text().splitlines()[:1]
                if first and first[0].strip().isdigit():
                    return int(first[0])
            time.sleep(0.1)
        raise TimeoutError("chromium did not open its DevTools port")

    def _connect(self, port: int) -> Any:
        import websocket

        deadline = time.monotonic() + 30.0
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = json.load(r)
            pages = [t for t in targets if t.get("type") == "page"]
            if pages or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        return ws

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def _wait_event(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["method"] == method for e in self._events):
                return
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            finally:
                self.ws.settimeout(60)
            if "method" in message:
                self._events.append(message)
        raise TimeoutError(f"no {method} within {timeout:g} s")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def load(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        slice_height: int = 8_000,
        max_height: int = 48_000,
    ) -> PageLoad:
        """Open ``url``, wait until every plotly figure has drawn, and screenshot the page."""
        self._events.clear()
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Page.navigate", url=url)
        self._wait_event("Page.loadEventFired", timeout)
        deadline = time.monotonic() + timeout
        figures: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            figures = self.evaluate(_FIGURES_JS)
            if all(f["svg"] and f["traces"] > 0 for f in figures):
                break
            time.sleep(0.25)
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        load = PageLoad(url=url, figures=figures, height=height)
        # Tall pages are shot in slices: one capture has a size limit (about 16k px).
        for top in range(0, min(height, max_height), slice_height):
            shot = self.send(
                "Page.captureScreenshot",
                format="png",
                captureBeyondViewport=True,
                clip={
                    "x": 0,
                    "y": top,
                    "width": self.width,
                    "height": min(slice_height, height - top),
                    "scale": 1,
                },
            )
            load.screenshots.append(base64.b64decode(shot["data"]))
        load.errors = _errors(self._events)
        return load

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Each plotly figure div: whether plotly drew its SVG, how many traces it holds, how many
# points the traces drew (scatter points, bars, heat-map cells …).
_FIGURES_JS = """
Array.from(document.querySelectorAll('.plotly-graph-div')).map(function (gd) {
  return {
    id: gd.id,
    plotted: gd.classList.contains('js-plotly-plot'),
    svg: gd.querySelectorAll('.main-svg').length > 0,
    traces: (gd._fullData || []).filter(function (t) { return t.visible !== false; }).length,
    drawn: gd.querySelectorAll(
      '.trace, .point, .heatmaplayer image, .hm image, .table .cell-text').length,
    title: (gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title)) || ''
  };
})
"""


def _errors(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and error log entries (failed loads, CSP …)."""
    found = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args", [])
            found.append(
                "console.error: "
                + " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exc = details.get("exception", {})
            found.append(f"exception: {exc.get('description') or details.get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
    return found
