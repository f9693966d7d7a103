"""Task pools, performance, utility, best response and biased evaluation distributions."""

from __future__ import annotations

import numpy as np
import pytest

from measurand.errors import InputError
from measurand.games import (
    axis_bias,
    best_response,
    evaluator_utility,
    kl_to_uniform,
    max_utility,
    prefix_bias,
    project_feasible,
    synthetic_pool,
    task_performance,
    validate_pool,
)


def test_synthetic_pool_is_stratified_nonneg_in_ball() -> None:
    pool = synthetic_pool(d=4, n_per_layer=30, spill=0.2, r_min=0.5, seed=1)
    z = pool.z
    assert z.shape == (120, 4) and pool.n_tasks == 120 and pool.n_skills == 4
    assert (z >= 0).all()
    norms = np.linalg.norm(z, axis=1)
    assert norms.max() <= 1 + 1e-12 and norms.min() >= 0.5 - 1e-12
    # Every task sits on its own layer's axis, off-axis entries at most spill x the main one.
    assert (z.argmax(axis=1) == pool.layer).all()
    main = z[np.arange(120), pool.layer]
    off = z.copy()
    off[np.arange(120), pool.layer] = 0
    assert (off.max(axis=1) <= 0.2 * main + 1e-12).all()
    assert (pool.layer == np.repeat(np.arange(4), 30)).all()
    assert synthetic_pool(4, 30, spill=0.2, seed=1).z.tobytes() == z.tobytes()


def test_synthetic_pool_without_spill_is_one_hot() -> None:
    z = synthetic_pool(3, 5, spill=0.0, seed=0).z
    assert ((z > 0).sum(axis=1) == 1).all()


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (np.array([[0.5, 0.5], [-0.1, 0.2]]), r"row 1 .*negative"),
        (np.array([[0.5, 0.5], [0.9, 0.9]]), r"row 1 .*length 1\.27"),
        (np.array([[0.5, np.nan]]), r"row 0 .*NaN"),
        (np.array([[0.5, 0.1], [0.0, 0.0]]), r"row 1 .*all zeros"),
        (np.array([0.5, 0.5]), r"2-D"),
        (np.zeros((0, 3)), r"2-D"),
    ],
)
def test_validate_pool_names_file_and_row(z: np.ndarray, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        validate_pool(z, source="pool.npz")
    assert str(info.value).startswith("pool.npz: ")


def test_validate_pool_names_task() -> None:
    with pytest.raises(InputError, match=r"row 1 \('b'\)"):
        validate_pool(np.array([[0.5, 0.5], [0.9, 0.9]]), task_names=["a", "b"])


def test_performance_and_utility() -> None:
    z = np.array([[1.0, 0.0], [0.0, 0.5], [0.6, 0.8]])
    theta = np.array([0.6, 0.8])
    np.testing.assert_allclose(task_performance(z, theta), [0.6, 0.4, 1.0])
    assert evaluator_utility(z, theta) == pytest.approx(2.0)
    logistic = task_performance(z, theta, "logistic")
    np.testing.assert_allclose(logistic, 1 / (1 + np.exp(-8 * (np.array([0.6, 0.4, 1.0]) - 0.3))))
    batch = np.stack([theta, [1.0, 0.0]])
    np.testing.assert_allclose(evaluator_utility(z, batch), [2.0, 1.6])
    with pytest.raises(InputError, match="link"):
        task_performance(z, theta, "probit")  # type: ignore[arg-type]


def _random_feasible(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    direction = np.abs(rng.standard_normal((n, d)))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    return direction * rng.uniform(0, 1, size=(n, 1)) ** (1 / d)


@pytest.mark.parametrize("link", ["identity", "logistic"])
def test_best_response_beats_random_search(link: str) -> None:
    rng = np.random.default_rng(5)
    z = synthetic_pool(4, 15, seed=2).z
    candidates = _random_feasible(rng, 20_000, 4)
    for _ in range(5):
        q = rng.dirichlet(np.full(z.shape[0], 0.3))
        theta = best_response(q, z, link)  # type: ignore[arg-type]
        assert (theta >= 0).all() and np.linalg.norm(theta) <= 1 + 1e-12
        best = q @ task_performance(z, theta, link)  # type: ignore[arg-type]
        searched = (task_performance(z, candidates, link) @ q).max()  # type: ignore[arg-type]
        assert best >= searched - 1e-9
        # ... and random search comes close, so the check has teeth.
        assert searched > best - 0.05 * abs(best)


def test_best_response_closed_form_and_batch() -> None:
    z = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(best_response(np.array([3.0, 4.0]), z), [0.6, 0.8])
    batch = best_response(np.array([[1.0, 0.0], [0.0, 2.0]]), z)
    np.testing.assert_allclose(batch, [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(project_feasible(np.array([-1.0, 3.0, 4.0])), [0, 0.6, 0.8])
    np.testing.assert_allclose(project_feasible(np.array([0.1, -0.2])), [0.1, 0.0])


def test_max_utility_is_uniform_best_response() -> None:
    z = synthetic_pool(3, 10, seed=0).z
    w = z.sum(axis=0)
    assert max_utility(z) == pytest.approx(float(np.linalg.norm(w)))


def test_biased_distributions() -> None:
    pi = prefix_bias(10, fraction=0.4, weight=3.0)
    np.testing.assert_allclose(pi[:4], 3 / 18)
    np.testing.assert_allclose(pi[4:], 1 / 18)
    z = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    pa = axis_bias(z, axis=0, weight=3.0)
    np.testing.assert_allclose(pa, np.array([3.0, 1.0, 2.2]) / 6.2)
    assert kl_to_uniform(np.full(7, 1 / 7)) == pytest.approx(0.0, abs=1e-15)
    assert kl_to_uniform(pi) == pytest.approx(float(np.sum(pi * np.log(10 * pi))))
    with pytest.raises(InputError):
        prefix_bias(10, fraction=0.0)
    with pytest.raises(InputError):
        axis_bias(z, axis=2)
