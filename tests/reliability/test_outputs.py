"""Outputs that are never lost (issue 10, items 1-4): claims, atomic replace, full disks.

A killed run is simulated by a forked child that calls ``os._exit`` at the k-th rename, so no
``finally`` block or ``atexit`` hook runs, as with ``kill -9``.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from measurand import datasets
from measurand.cli import app
from measurand.errors import OutputError
from measurand.io import output
from measurand.io.output import claim_output_dir, release_claims, write_output_dir

FORK = multiprocessing.get_context("fork")
FAST = ["--metric", "correct_rate", "--resamples", "200", "--permutations", "200"]
OLD = {"results.json": '{"run": "old"}', "summary.md": "# old\n"}
NEW = {"results.json": '{"run": "new"}', "summary.md": "# new\n", "report.html": "<p>new</p>"}


def read_report(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def debris(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture(autouse=True)
def _no_claims_left():
    yield
    release_claims()


# --------------------------------------------------------------------------- concurrency


def _racer(out: str, barrier, results: str, index: int) -> None:
    barrier.wait()
    try:
        claim_output_dir(out)
        time.sleep(0.2)  # the computation
        write_output_dir(out, {"results.json": f'{{"winner": {index}}}'})
    except OutputError as exc:
        outcome = f"refused {exc}"
    else:
        outcome = "wrote"
    Path(results, str(index)).write_text(outcome)
    os._exit(0)


@pytest.mark.parametrize("trial", range(4))
def test_concurrent_runs_on_one_out_exactly_one_wins(tmp_path: Path, trial: int) -> None:
    out = tmp_path / "work" / "report"
    results = tmp_path / "outcomes"
    results.mkdir()
    n = 4
    barrier = FORK.Barrier(n)
    procs = [
        FORK.Process(target=_racer, args=(str(out), barrier, str(results), i)) for i in range(n)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    outcomes = {int(p.name): p.read_text() for p in results.iterdir()}
    assert len(outcomes) == n
    winners = [index for index, what in outcomes.items() if what == "wrote"]
    assert len(winners) == 1, outcomes
    assert read_report(out) == {"results.json": f'{{"winner": {winners[0]}}}'}
    for what in outcomes.values():
        if what != "wrote":
            assert "another measurand run" in what or "not empty" in what, what
    assert debris(out.parent) == []


def test_concurrent_cli_runs_exactly_one_wins(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "report"
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-m", "measurand", "compare", str(datasets.synthetic_campaign())]
    command += [*FAST, "--out", str(out)]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    codes = sorted(proc.wait(300) for proc in procs)
    assert codes == [0, 2]
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "summary.md"]
    assert debris(tmp_path) == []


# --------------------------------------------------------------------------- killed runs


def _killed_writer(out: str, kill_at: int, exchange: bool) -> None:
    calls = {"n": 0}
    real_rename, real_exchange = os.rename, output._exchange

    def counting(fn):
        def wrapped(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == kill_at:
                os._exit(9)
            result = fn(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] == kill_at:
                os._exit(9)
            return result

        return wrapped

    os.rename = counting(real_rename)  # type: ignore[assignment]
    output._exchange = counting(real_exchange if exchange else (lambda a, b: False))
    write_output_dir(out, NEW, force=True)
    os._exit(0)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_run_killed_at_every_rename_leaves_old_or_new(tmp_path: Path, exchange: bool) -> None:
    """With renameat2 the target is old-or-new at every instant; with the two-rename fallback
    a kill between the renames leaves the old report beside it, and the next run puts it back."""
    for kill_at in range(1, 8):
        out = tmp_path / f"k{kill_at}" / "report"
        write_output_dir(out, OLD)
        child = FORK.Process(target=_killed_writer, args=(str(out), kill_at, exchange))
        child.start()
        child.join(60)
        if exchange or out.exists():
            assert read_report(out) in (OLD, NEW), kill_at
        # The next run on the same target: recovers, cleans, and finds old or new.
        claim = claim_output_dir(out, force=True)
        assert read_report(out) in (OLD, NEW), kill_at
        assert all("interrupted run" in n or "died" in n for n in claim.notes), claim.notes
        claim.release()
        assert debris(out.parent) == [], kill_at


def test_stale_lock_of_a_dead_run_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "report"
    child = FORK.Process(target=lambda: (claim_output_dir(out), os._exit(9)))
    child.start()
    child.join(60)
    assert (tmp_path / ".report.measurand-lock").exists()
    claim = claim_output_dir(out)
    assert any("died" in note for note in claim.notes)
    claim.release()


def test_a_live_claim_refuses_a_second_claimant(tmp_path: Path) -> None:
    out = tmp_path / "report"
    (tmp_path / ".report.measurand-lock").write_text("1 some-other-host\n")
    with pytest.raises(OutputError, match="another measurand run"):
        claim_output_dir(out)


# --------------------------------------------------------------------------- full disk, no access


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_disk_full_while_writing_exits_2_and_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"
    campaign = datasets.synthetic_campaign()
    assert invoke("compare", campaign, *FAST, "--out", out).exit_code == 0
    before = read_report(out)
    real = output.write_atomic

    def full_disk(path, content):
        if Path(path).name == "report.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, content)

    monkeypatch.setattr(output, "write_atomic", full_disk)
    result = invoke("compare", campaign, *FAST, "--seed", "1", "--out", out, "--force")
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "No space left on device" in message and str(out) in message
    assert "Traceback" not in result.output
    assert read_report(out) == before
    assert debris(tmp_path) == []


def test_unwritable_target_folder_exits_2_before_computing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "ro" / "report"
    out.parent.mkdir()
    real_access = os.access
    # Root ignores permission bits, so the read-only folder is simulated where it is checked.
    monkeypatch.setattr(
        output.os,
        "access",
        lambda p, mode: False if Path(p) == out.parent.resolve() else real_access(p, mode),
    )
    monkeypatch.setattr(
        "measurand.compare.workflow.run_compare",
        lambda *a, **k: pytest.fail("computed before checking the output"),
    )
    result = invoke("compare", datasets.synthetic_campaign(), *FAST, "--out", out)
    assert result.exit_code == 2, result.output
    assert "is not writable" in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_folder_really_refused(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = invoke("compare", datasets.synthetic_campaign(), *FAST, "--out", parent / "r")
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 2 and "not writable" in result.output


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("proc", "cannot create the folder"),
        ("parent-file", "is a file, not a folder"),
        ("cwd", "current folder"),
        ("input-ancestor", "holds the input"),
    ],
)
def test_bad_output_locations_exit_2_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, message: str
) -> None:
    import shutil

    campaign = tmp_path / "data" / "campaign"
    shutil.copytree(datasets.synthetic_campaign(), campaign)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    out = {
        "proc": Path("/proc/measurand-test/report"),
        "parent-file": tmp_path / "afile" / "report",
        "cwd": Path("."),
        "input-ancestor": tmp_path / "data",
    }[where]
    result = invoke("compare", campaign, *FAST, "--out", out, "--force")
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert (campaign / "manifest.json").exists()


def test_force_replaces_only_a_folder_measurand_wrote(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text("print('precious')")
    result = invoke("compare", datasets.synthetic_campaign(), *FAST, "--out", project, "--force")
    assert result.exit_code == 2
    assert "replaces only a report folder measurand wrote" in " ".join(result.output.split())
    assert (project / "train.py").read_text() == "print('precious')"
