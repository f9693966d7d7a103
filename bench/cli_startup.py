"""Start-up time of ``measurand --help`` and of every ``measurand VERB --help``.

Each command runs in a fresh interpreter (``python -m measurand ...``), ``--repeat`` times; the
script prints the median wall time and its ratio against the named baseline measured in the same
run: ``python -c "import scipy.stats"`` (what ``--help`` used to import). It also lists the
heavy libraries that ``import measurand.cli`` pulls in (none is the target) from
``python -X importtime``. Target: every help under 0.5 s.

    python bench/cli_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("numpy", "scipy", "polars", "plotly", "matplotlib", "torch", "dask")
TARGET_S = 0.5


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "100"
    return env


def _median_wall(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of ``python *args``, ``repeat`` runs.

    CPU time is less disturbed than wall time by other jobs on a shared machine.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, *args], env=_env(), check=True, capture_output=True, text=True
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _verbs() -> list[str]:
    code = (
        "import typer.main, measurand.cli as c;"
        "print(' '.join(sorted(typer.main.get_command(c.app).commands)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(), check=True, capture_output=True, text=True
    )
    return out.stdout.split()


def _heavy_imports() -> list[str]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import measurand.cli"],
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    found = set()
    for line in out.stderr.splitlines():
        name = line.rsplit("|", 1)[-1].strip()
        if name.split(".")[0] in HEAVY:
            found.add(name.split(".")[0])
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    baseline, baseline_cpu = _median_wall(["-c", "import scipy.stats"], args.repeat)
    bare, _ = _median_wall(["-c", "pass"], args.repeat)
    print(
        f"baseline `python -c 'import scipy.stats'`: {baseline:.3f} s wall, "
        f"{baseline_cpu:.3f} s CPU (bare python {bare:.3f} s)"
    )
    print(
        f"{'command':<28}{'wall s':>8}{'x base':>8}{'CPU s':>8}{'x base':>8}  target < {TARGET_S} s"
    )
    worst = 0.0
    for command in [["--help"]] + [[verb, "--help"] for verb in _verbs()]:
        seconds, cpu = _median_wall(["-m", "measurand", *command], args.repeat)
        worst = max(worst, seconds)
        label = "measurand " + " ".join(command)
        flag = "ok" if seconds < TARGET_S else "SLOW (wall)"
        print(
            f"{label:<28}{seconds:>8.3f}{seconds / baseline:>8.2f}{cpu:>8.3f}"
            f"{cpu / baseline_cpu:>8.2f}  {flag}"
        )
    heavy = _heavy_imports()
    print(f"heavy libraries imported by `import measurand.cli`: {', '.join(heavy) or 'none'}")
    print(f"slowest help: {worst:.3f} s ({'meets' if worst < TARGET_S else 'misses'} the target)")


if __name__ == "__main__":
    main()
