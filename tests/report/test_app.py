"""``measurand app``: what the marimo app runs, and the server it starts on loopback."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from measurand.app import NOTEBOOK
from measurand.app.explore import (
    guess_roles,
    report_sections,
    resolve_start,
    run_compare_view,
    run_factors_view,
)
from measurand.errors import InputError


def test_a_factors_results_folder_starts_from_its_input_and_settings(demo_dir: Path) -> None:
    start = resolve_start(demo_dir / "factors")
    assert start.mode == "factors"
    assert start.table is not None and start.table.name.startswith("obsscaling")
    assert start.defaults["id_col"] == "Model"
    assert "TruthfulQA" in start.defaults["columns"]
    # the same analysis with another k: the loadings follow the choice
    one, _ = run_factors_view(
        start.table,
        id_col="Model",
        columns=start.defaults["columns"],
        n_factors=1,
        method="nonneg_em",
        rotation=None,
        n_resamples=50,
    )
    two, report = run_factors_view(
        start.table,
        id_col="Model",
        columns=start.defaults["columns"][:6],
        n_factors=2,
        method="ml",
        rotation="varimax",
        n_resamples=50,
    )
    assert one.to_dict()["model"]["n_factors"] == 1
    assert two.to_dict()["model"]["n_factors"] == 2
    assert len(two.to_dict()["model"]["tasks"]) == 6
    titles = [t for t, _, _ in report_sections(report, "how many factors", "loadings")]
    assert len(titles) == 2 and all(figs for _, figs, _ in report_sections(report, "loadings"))


def test_a_compare_results_folder_gives_curves_and_verdicts(demo_dir: Path) -> None:
    start = resolve_start(demo_dir / "compare")
    assert start.mode == "compare" and start.defaults["baseline"] == "DQN"
    roles = guess_roles(["game", "agent", "run", "iteration", "value"])
    assert roles == {
        "condition": "agent",
        "seed": "run",
        "task": "game",
        "step": "iteration",
        "metric": None,
    }
    result, report = run_compare_view(
        start.table,
        roles=roles,
        value_col="value",
        conditions=["DQN", "Rainbow"],
        baseline="DQN",
        candidate="Rainbow",
        window="last:5",
        n_resamples=200,
    )
    data = result.to_dict()
    assert data["window"] == "last:5"
    verdicts = {c["task"]: c["verdict"] for c in data["significance"]["comparisons"]}
    assert len(verdicts) == 6 and verdicts["qbert"] == "significant_improvement"
    assert report_sections(report, "learning curves")[0][1]  # the curves figure
    with pytest.raises(InputError, match="two different conditions"):
        run_compare_view(
            start.table,
            roles=roles,
            value_col="value",
            conditions=["DQN"],
            baseline="DQN",
            candidate="DQN",
            window="last:5",
        )


def test_bad_paths_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        resolve_start(tmp_path / "missing.csv")
    with pytest.raises(InputError, match=r"results\.json"):
        resolve_start(tmp_path)
    (tmp_path / "results.json").write_text('{"tool": "measurand diagnose"}')
    with pytest.raises(InputError, match="neither"):
        resolve_start(tmp_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_app_serves_its_page_on_loopback_and_the_server_ends(demo_dir: Path) -> None:
    if importlib.util.find_spec("marimo") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("marimo is in the dev extra")
        pytest.skip("marimo (the app extra) is not installed")
    assert NOTEBOOK.is_file()
    port = _free_port()
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from measurand.cli import main; main()",
            "app",
            str(demo_dir / "factors"),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the marimo server ends with it
    )
    try:
        body, deadline = "", time.monotonic() + 120
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    body = response.read().decode()
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert "marimo" in body.lower(), body[:500]
        assert "measurand explorer" in body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
    assert server.returncode is not None
    # the marimo server in the same group ends too (it may take a moment to shut down)
    closed, deadline = False, time.monotonic() + 30
    while not closed and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3).close()
            time.sleep(0.5)
        except (urllib.error.URLError, ConnectionError):
            closed = True
    assert closed, f"the app server still answers on port {port}"


def test_cli_app_refuses_a_bad_path_before_starting(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from measurand.cli import app

    result = CliRunner().invoke(app, ["app", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such file" in result.output
