"""Shared by ``factors_scale.py`` and ``noise_scale.py``: run a workload in a child process
(time and peak memory), against the code on ``main`` extracted with ``git archive`` as the
named baseline, capped in wall time (a capped run is reported as "> cap")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def checkout(ref: str, into: Path) -> Path:
    """``git archive REF src`` unpacked into ``into``; returns its ``src`` folder."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def run_child(code: str, src: Path, cap: float) -> dict[str, object]:
    """Run ``code`` (it prints one JSON line) with ``src`` first on the path; add the child's
    peak RSS (MB). Returns {"capped": True} when it ran past ``cap`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    wrapper = (
        "import json, resource, sys\n"
        + code
        + "\nout['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print('RESULT ' + json.dumps(out))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", wrapper], env=env, capture_output=True, text=True, timeout=cap
        )
    except subprocess.TimeoutExpired:
        return {"capped": True}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"the child failed:\n{done.stderr[-3000:]}")


def fmt(result: dict[str, object], key: str, cap: float) -> str:
    if result.get("capped"):
        return f"> {cap:.0f} s (capped)"
    return f"{result[key]:.1f} s"


def ratio(base: dict[str, object], new: dict[str, object], key: str, cap: float) -> str:
    if new.get("capped"):
        return "n/a (measurand capped)"
    if base.get("capped"):
        return f"> {cap / float(new[key]):.1f}x"
    return f"{float(base[key]) / float(new[key]):.1f}x"


def tempdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="measurand-bench-"))
    return path


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
