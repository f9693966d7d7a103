"""Tests for measurand.latent.pool (item pools from rotated loadings).

References: the projection onto the non-negative unit ball is checked against
``scipy.optimize.minimize`` (SLSQP) solving min ‖x − v‖² s.t. x ≥ 0, ‖x‖ ≤ 1; sparsification and
mass-sorting against hand-computed values; the file format by a round trip and by reading the
``.npz`` with plain ``numpy.load`` / ``json``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import optimize

from measurand.errors import InputError
from measurand.io.pool import load_item_pool, save_item_pool
from measurand.latent.pool import (
    POOL_FORMAT,
    ItemPool,
    item_pool,
    project_nonneg_unit_ball,
    sparsify,
)


def slsqp_projection(v: np.ndarray) -> np.ndarray:
    result = optimize.minimize(
        lambda x: np.sum((x - v) ** 2),
        x0=np.full_like(v, 0.01),
        jac=lambda x: 2 * (x - v),
        bounds=[(0, None)] * len(v),
        constraints=[{"type": "ineq", "fun": lambda x: 1 - x @ x, "jac": lambda x: -2 * x}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    return result.x


def test_projection_matches_a_constrained_solver():
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.8, size=(40, 4))
    ours = project_nonneg_unit_ball(vectors)
    reference = np.array([slsqp_projection(v) for v in vectors])
    np.testing.assert_allclose(ours, reference, atol=1e-6)


def test_sparsify_by_hand():
    z = np.array([[0.6, 0.3, 0.1], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    out = sparsify(z, 0.1)
    # row 0: shares 0.36/0.46, 0.09/0.46 = 0.196, 0.01/0.46 = 0.022 -> drop the last entry
    length = np.sqrt(0.46)
    np.testing.assert_allclose(out[0], np.array([0.6, 0.3, 0.0]) * length / np.sqrt(0.45))
    np.testing.assert_allclose(out[1], [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(out[2], [0.0, 0.0, 0.0])


def test_item_pool_pipeline_by_hand():
    loadings = np.array(
        [
            [0.1, 0.7, -0.2],  # -> [0.1, 0.7, 0]: share of 0.1 is 0.02 -> dropped; length kept
            [0.0, 0.9, 0.6],  # length 1.08 -> scaled to 1 first
            [-0.3, -0.1, -0.5],  # no positive loading -> dropped
            [0.5, 0.1, 0.4],
        ]
    )
    pool = item_pool(loadings, tau=0.1, item_names=["a", "b", "c", "d"])
    assert pool.item_names == ("a", "b", "d")
    assert pool.metadata["dropped_no_positive_loading"] == ["c"]
    a = np.array([0.0, np.hypot(0.1, 0.7), 0.0])
    b = np.array([0.0, 0.9, 0.6]) / np.hypot(0.9, 0.6)
    d_len = np.sqrt(0.25 + 0.01 + 0.16)
    d = np.array([0.5, 0.0, 0.4]) * d_len / np.sqrt(0.41)
    expected = np.vstack([a, b, d])
    mass = (expected**2).sum(axis=0)
    order = np.argsort(-mass)
    np.testing.assert_allclose(pool.z, expected[:, order], atol=1e-12)
    assert pool.metadata["axis_order"] == order.tolist()
    assert pool.metadata["axis_order"][0] == 1  # the second factor carries the most mass
    assert pool.metadata["format"] == POOL_FORMAT


def test_subsample_is_seeded_and_keeps_input_order():
    rng = np.random.default_rng(1)
    loadings = np.abs(rng.normal(0.5, 0.2, size=(50, 3)))
    a = item_pool(loadings, n_pool=10, seed=3)
    b = item_pool(loadings, n_pool=10, seed=3)
    c = item_pool(loadings, n_pool=10, seed=4)
    assert a.item_names == b.item_names and a.item_names != c.item_names
    np.testing.assert_array_equal(a.z, b.z)
    positions = [int(name.split("_")[1]) for name in a.item_names]
    assert positions == sorted(positions)
    full = item_pool(loadings)
    np.testing.assert_allclose(a.z, full.z[positions])


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    pool = item_pool(
        rng.normal(0.3, 0.3, size=(30, 4)),
        tau=0.2,
        item_names=[f"task/{i}" for i in range(30)],
        metadata={"method": "ml", "rotation": "oblimin"},
    )
    path = save_item_pool(pool, tmp_path / "pool.npz")
    back = load_item_pool(path)
    assert isinstance(back, ItemPool)
    np.testing.assert_array_equal(back.z, pool.z)
    assert back.item_names == pool.item_names
    assert back.metadata == json.loads(json.dumps(pool.metadata))
    with np.load(path, allow_pickle=False) as raw:
        meta = json.loads(str(raw["metadata"]))
    assert meta["format_version"] == 1 and meta["rotation"] == "oblimin"


def test_load_rejects_other_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_item_pool(tmp_path / "missing.npz")
    other = tmp_path / "other.npz"
    np.savez(other, z=np.zeros((2, 2)))
    with pytest.raises(InputError, match="missing array"):
        load_item_pool(other)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, z=np.zeros((1, 1)), item_names=np.array(["a"]), metadata=np.array([{}]))
    with pytest.raises(InputError, match="cannot read item pool"):
        load_item_pool(pickled)
    wrong = tmp_path / "wrong.npz"
    np.savez(
        wrong,
        z=np.zeros((1, 1)),
        item_names=np.array(["a"]),
        metadata=np.array(json.dumps({"format": "something else"})),
    )
    with pytest.raises(InputError, match="not an item pool"):
        load_item_pool(wrong)


def test_bad_arguments():
    with pytest.raises(InputError, match="tau"):
        item_pool(np.ones((3, 2)), tau=0.6)
    with pytest.raises(InputError, match="n_pool"):
        item_pool(np.ones((3, 2)), n_pool=5)
    with pytest.raises(InputError, match="item_names"):
        item_pool(np.ones((3, 2)), item_names=["a"])
    with pytest.raises(InputError, match="NaN"):
        item_pool(np.array([[np.nan, 1.0]]))


@settings(max_examples=60, deadline=None)
@given(
    loadings=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 5)),
        elements=st.floats(-1.5, 1.5, allow_nan=False),
    ),
    tau_share=st.floats(0, 1),
)
@example(loadings=np.full((1, 5), 1.34375), tau_share=1.0)  # equal entries, tau = 1/k
def test_property_pool_rows_are_sparse_nonnegative_and_in_the_unit_ball(loadings, tau_share):
    k = loadings.shape[1]
    tau = tau_share / k
    projected = project_nonneg_unit_ball(loadings)
    keep = np.linalg.norm(projected, axis=1) > 0
    if not keep.any():
        return
    pool = item_pool(loadings, tau=tau)
    z = pool.z
    assert z.shape == (int(keep.sum()), k)
    assert np.all(z >= 0)
    norms = np.linalg.norm(z, axis=1)
    assert np.all(norms <= 1 + 1e-12)
    # sparsification keeps each item's length and only its entries with share ≥ tau
    before = projected[keep][:, pool.metadata["axis_order"]]
    np.testing.assert_allclose(norms, np.linalg.norm(before, axis=1), rtol=1e-10)
    share = before**2 / np.sum(before**2, axis=1, keepdims=True)
    np.testing.assert_array_equal(z > 0, (share >= tau * (1 - 1e-12)) & (before > 0))
    mass = np.sum(z**2, axis=0)
    assert np.all(np.diff(mass) <= 1e-12)
