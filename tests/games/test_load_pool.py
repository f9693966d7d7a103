"""Loading exported item pools as game pools: the error names the file and the row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from measurand.errors import InputError
from measurand.io.games import load_task_pool
from measurand.io.pool import save_item_pool
from measurand.latent.pool import item_pool


def _write_raw(path: Path, z: np.ndarray) -> None:
    np.savez(
        path,
        z=z,
        item_names=np.array([f"t{i}" for i in range(len(z))]),
        metadata=np.array(json.dumps({"format": "measurand.item_pool", "format_version": 1})),
    )


def test_exported_pool_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pool = item_pool(rng.standard_normal((30, 3)), tau=0.1, seed=0)
    path = tmp_path / "pool.npz"
    save_item_pool(pool, path)
    loaded = load_task_pool(path)
    np.testing.assert_array_equal(loaded.z, pool.z)
    assert loaded.task_names == pool.item_names
    assert loaded.metadata["file"] == "pool.npz" and loaded.metadata["tau"] == 0.1


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (np.array([[0.5, 0.5], [0.2, -0.3], [0.1, 0.1]]), r"bad\.npz: row 1 \('t1'\).*negative"),
        (np.array([[0.5, 0.5], [0.1, 0.1], [1.0, 0.5]]), r"bad\.npz: row 2 \('t2'\).*length"),
        (np.array([[0.5, np.inf], [0.1, 0.1]]), r"bad\.npz: row 0 \('t0'\).*NaN or inf"),
    ],
)
def test_bad_pool_rows_are_named(tmp_path: Path, z: np.ndarray, match: str) -> None:
    path = tmp_path / "bad.npz"
    _write_raw(path, z)
    with pytest.raises(InputError, match=match):
        load_task_pool(path)


def test_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_task_pool(tmp_path / "nope.npz")
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(InputError, match=r"other\.npz: not an item pool"):
        load_task_pool(other)
