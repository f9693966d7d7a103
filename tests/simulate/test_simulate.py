"""The simulate workflow and CLI: determinism across backends, violations listed, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from measurand.cli import app
from measurand.games import synthetic_pool
from measurand.io.output import dumps_json
from measurand.simulate import PARTS, run_simulate, simulate_settings

POOL = synthetic_pool(3, 12, seed=0)
TINY = {
    "rounds": 12,
    "reps": 4,
    "rhos": (0.0, 0.1, 0.5),
    "ks": (1, 3),
    "awareness": (0.0, 1.0),
    "oneshot_ks": (2, 6),
    "oneshot_reps": 6,
    "closedform_ks": (1, 2, 4),
}


def _json(seed: int, **kwargs) -> str:
    settings = simulate_settings(PARTS, seed=seed, **TINY)
    return dumps_json(run_simulate(POOL, settings, **kwargs).to_dict())


def test_same_seed_same_results_on_every_backend() -> None:
    distributed = pytest.importorskip("distributed")
    serial = _json(3, n_workers=1)
    assert _json(3, n_workers=1) == serial
    assert _json(3, n_workers=2) == serial
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert _json(3, scheduler=cluster.scheduler_address) == serial
    assert _json(4, n_workers=1) != serial


def test_bound_grid_checks_every_cell_and_lists_violations() -> None:
    settings = simulate_settings(("bound",), seed=0, **TINY)
    result = run_simulate(POOL, settings, n_workers=1)
    assert len(result.bound) == 6
    t = np.arange(1, 13)
    for cell in result.bound:
        pinsker = (1 - cell.rho) ** t * np.sqrt(result.d0 / 2)
        assert (cell.delta <= pinsker + 1e-12).all()
        assert cell.bound_check.n_checked == 12 * 4
    listed = {(v["rho"], v["k"]) for v in result.violations}
    violating = {(c.rho, c.k) for c in result.bound if c.bound_check.n_violations}
    assert listed == violating
    data = json.loads(dumps_json(result.to_dict()))
    assert len(data["violations"]) == len(listed)
    assert "manifest" not in data


def test_failed_cell_is_reported_and_others_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import measurand.simulate.workflow as workflow

    real = workflow.repeated_cell

    def flaky(*args, **kwargs):
        if kwargs["rho"] == 0.5 and kwargs["k"] == 3:
            raise FloatingPointError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(workflow, "repeated_cell", flaky)
    settings = simulate_settings(("repeated",), seed=0, **TINY)
    result = run_simulate(POOL, settings, n_workers=1)
    assert len(result.repeated) == 5
    (failure,) = result.failures
    assert failure["params"]["part"] == "repeated"
    assert failure["params"]["rho"] == 0.5 and failure["params"]["k"] == 3
    assert "boom" in failure["error"]
    assert any("failed" in w for w in result.warnings)


def test_fast_grid_and_bad_settings() -> None:
    fast = simulate_settings(PARTS, fast=True)
    assert fast.rounds == 60 and fast.reps == 10 and len(fast.rhos) * len(fast.ks) == 12
    assert simulate_settings(PARTS, fast=True, rounds=30).rounds == 30
    with pytest.raises(ValueError, match="parts"):
        simulate_settings(("everything",))
    with pytest.raises(ValueError, match="rho"):
        simulate_settings(PARTS, rhos=(1.5,))


runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, ["simulate", *args], catch_exceptions=False)


def test_cli_writes_every_output_and_refuses_overwrite(tmp_path: Path) -> None:
    pool_path = tmp_path / "pool.npz"
    from measurand.io.pool import save_item_pool
    from measurand.latent.pool import ItemPool

    save_item_pool(
        ItemPool(z=POOL.z, item_names=POOL.task_names, metadata={"format": "measurand.item_pool"}),
        pool_path,
    )
    out = tmp_path / "sim"
    args = ["closedform", "--pool", str(pool_path), "--T", "8", "--reps", "3", "--jobs", "1"]
    result = _cli(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"results.json", "summary.md", "report.html", "manifest.json"} <= names
    assert {"fig_repeated_closedform_cumulative_rho_0.01.pdf", "fig_pool_loadings.pdf"} <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 0
    assert len(manifest["parts"]["closedform"]["cells"]) == 2 * 12
    assert "k* =" in result.output
    again = _cli(*args, "--out", str(out))
    assert again.exit_code == 2 and "--force" in again.output
    assert _cli(*args, "--out", str(out), "--force").exit_code == 0


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    bad = _cli("all", "--synthetic", "d=8,layers=3", "--out", str(tmp_path / "a"))
    assert bad.exit_code == 2 and "--synthetic" in bad.output
    part = _cli("sideways", "--out", str(tmp_path / "b"))
    assert part.exit_code == 2 and "PART" in part.output
    pool = tmp_path / "neg.npz"
    np.savez(
        pool,
        z=np.array([[0.5, 0.1], [-0.2, 0.3]]),
        item_names=np.array(["a", "b"]),
        metadata=np.array('{"format": "measurand.item_pool", "format_version": 1}'),
    )
    neg = _cli("oneshot", "--pool", str(pool), "--out", str(tmp_path / "c"))
    assert neg.exit_code == 2 and "row 1" in neg.output and "neg.npz" in neg.output


@pytest.mark.slow
def test_demo_part_runs_the_fast_grid(tmp_path: Path) -> None:
    from measurand.cli.simulate import demo_part

    line = demo_part(tmp_path / "simulate", seed=0)
    assert line.startswith("simulate: 640-task synthetic pool")
    assert (tmp_path / "simulate" / "fig_repeated_validation.pdf").is_file()
