"""measurand.parallel: same numbers on every backend; failures reported, the rest kept."""

from __future__ import annotations

import numpy as np
import pytest

from measurand.errors import InputError
from measurand.parallel import SCHEDULER_ENV, map_cells


def draw(cell: dict, sequence: np.random.SeedSequence) -> list[float]:
    rng = np.random.default_rng(sequence)
    if cell.get("fail"):
        raise ValueError(f"cell {cell['i']} fails on purpose")
    return (rng.standard_normal(3) * cell["scale"]).tolist()


CELLS = [{"i": i, "scale": float(i + 1)} for i in range(6)]


def test_serial_matches_spawned_sequences() -> None:
    out = map_cells(draw, CELLS, seed=7, n_workers=1)
    assert out.backend == "serial" and out.ok
    children = np.random.SeedSequence(7).spawn(len(CELLS))
    expected = [
        (np.random.default_rng(s).standard_normal(3) * c["scale"]).tolist()
        for s, c in zip(children, CELLS, strict=True)
    ]
    assert out.results == expected


def test_processes_match_serial_and_report_progress() -> None:
    seen: list[tuple[int, int]] = []
    serial = map_cells(draw, CELLS, seed=3, n_workers=1)
    local = map_cells(draw, CELLS, seed=3, n_workers=2, progress=lambda d, t: seen.append((d, t)))
    assert local.backend == "processes" and local.n_workers == 2
    assert local.results == serial.results
    assert [d for d, _ in seen] == list(range(1, len(CELLS) + 1))
    assert {t for _, t in seen} == {len(CELLS)}


def test_failed_cell_reported_with_params_rest_kept() -> None:
    cells = [*CELLS[:2], {"i": 99, "scale": 1.0, "fail": True}, *CELLS[2:3]]
    out = map_cells(draw, cells, seed=0, n_workers=1)
    assert not out.ok and len(out.failures) == 1
    failure = out.failures[0]
    assert failure.index == 2 and failure.params["i"] == 99
    assert "fails on purpose" in failure.error and "ValueError" in failure.traceback
    assert out.results[2] is None
    assert all(out.results[i] is not None for i in (0, 1, 3))
    assert failure.to_dict()["params"] == cells[2]


def test_bad_worker_count() -> None:
    with pytest.raises(InputError, match="at least 1"):
        map_cells(draw, CELLS, seed=0, n_workers=0)


def test_dask_local_cluster_matches_local(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    serial = map_cells(draw, CELLS, seed=11, n_workers=1)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        by_address = map_cells(draw, CELLS, seed=11, scheduler=cluster.scheduler_address)
        monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
        failing = [*CELLS[:1], {"i": 5, "scale": 1.0, "fail": True}]
        by_env = map_cells(draw, failing, seed=11)
    assert by_address.backend == "dask" and by_address.n_workers == 2
    assert by_address.results == serial.results
    assert by_env.backend == "dask"
    assert by_env.results[0] == serial.results[0]
    assert by_env.failures[0].index == 1 and by_env.failures[0].params["i"] == 5
