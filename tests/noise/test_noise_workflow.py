"""``run_noise`` end to end on simulated matrices and on files read by ``read_matrix``.

References: the workflow's numbers are compared with direct calls of the checked pieces
(``noise_floors``, ``fit_nonneg_em``, ``projection_snr``, ``benchmark_snr``,
``decision_accuracy``) on the same arrays, and with the formulas (h² = Σλ²/(Σλ² + ψ), ψ fixed at
the clipped noise share) computed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from measurand.errors import InputError
from measurand.io.matrix import read_matrix
from measurand.latent._nonneg_em import fit_nonneg_em
from measurand.noise import noise_floors, read_noise_inputs, run_noise
from measurand.noise.snr import benchmark_snr, decision_accuracy


def simulate(seed: int = 0, p: int = 10, n: int = 120, m: int = 8):
    rng = np.random.default_rng(seed)
    half = p // 2
    lam = np.zeros((p, 2))
    lam[:half, 0] = np.linspace(0.6, 1.0, half)
    lam[half:, 1] = np.linspace(0.5, 0.9, p - half)
    sigma = np.linspace(0.2, 0.7, p)
    sweep = 3 + rng.standard_normal((n, 2)) @ lam.T + rng.standard_normal((n, p)) * sigma
    noise = 3 + rng.standard_normal(2) @ lam.T + rng.standard_normal((m, p)) * sigma
    names = [f"task{j}" for j in range(p)]
    return names, sweep, noise


def as_mapping(names, values):
    return {name: values[:, j] for j, name in enumerate(names)}


def test_floors_model_and_projection_compose_the_pieces() -> None:
    names, sweep, noise = simulate()
    result = run_noise(
        as_mapping(names, sweep), as_mapping(names, noise), n_factors=2, n_draws=300, seed=3
    )
    m = result.matrix
    floors = noise_floors(sweep, noise, tasks=names)
    np.testing.assert_allclose(m.floors.noise_share, floors.noise_share)
    np.testing.assert_allclose(m.floors.noise_share_high, floors.noise_share_high)
    z = (sweep - sweep.mean(axis=0)) / sweep.std(axis=0)
    fit = fit_nonneg_em(z, 2, fixed_psi=np.clip(floors.noise_share, 1e-3, 0.999), seed=3)
    np.testing.assert_allclose(m.model.loadings, fit.loadings, atol=1e-10)
    np.testing.assert_allclose(m.model.uniquenesses, np.clip(floors.noise_share, 1e-3, 0.999))
    common = np.sum(fit.loadings**2, axis=1)
    np.testing.assert_allclose(m.model.h2, common / (common + fit.uniquenesses))
    np.testing.assert_allclose(m.model.ceiling, np.clip(1 - floors.noise_share, 0, 1))
    assert m.model.above_ceiling.tolist() == (m.model.h2 > m.model.ceiling + 1e-9).tolist()
    assert m.projection.method == "cross-fitted"
    assert m.projection.labels == ("factor 1", "factor 2", "mean θ")
    np.testing.assert_allclose(m.benchmark.snr, benchmark_snr(sweep, noise).snr)
    # The ranked table: by decreasing per-task SNR, flags below the threshold.
    snrs = [row.snr for row in m.task_table]
    assert snrs == sorted(snrs, reverse=True)
    assert [row.rank for row in m.task_table] == list(range(1, len(names) + 1))
    assert m.low_snr_tasks == tuple(row.task for row in m.task_table if row.snr < 1.0)
    assert result.to_dict()["matrix"]["task_table"][0]["task"] == m.task_table[0].task


def test_same_seed_same_result() -> None:
    names, sweep, noise = simulate(1)
    first = run_noise(as_mapping(names, sweep), as_mapping(names, noise), n_draws=200, seed=5)
    second = run_noise(as_mapping(names, sweep), as_mapping(names, noise), n_draws=200, seed=5)
    assert first.to_dict() == second.to_dict()
    assert first.matrix.model.n_factors_rule.startswith("parallel analysis")


def test_drop_and_zero_for_tasks_missing_from_the_noise_matrix() -> None:
    names, sweep, noise = simulate(2)
    partial = as_mapping(names[:-2], noise[:, :-2])
    dropped = run_noise(as_mapping(names, sweep), partial, n_factors=2, n_draws=200).matrix
    zeroed = run_noise(
        as_mapping(names, sweep), partial, n_factors=2, missing="zero", n_draws=200
    ).matrix
    assert dropped.missing_from_noise == ("task8", "task9")
    assert dropped.model.tasks == tuple(names[:-2])
    assert zeroed.model.tasks == tuple(names)
    assert zeroed.model.fixed.tolist() == [True] * 8 + [False, False]
    assert np.isnan(zeroed.model.ceiling[-1])
    assert "lower bound" in zeroed.missing_consequence
    assert "dropped" in dropped.missing_consequence
    # Unmeasured tasks come last, unranked and unflagged.
    last = zeroed.task_table[-1]
    assert last.rank is None and last.low_snr is None and last.in_model and not last.in_noise
    assert [row.task for row in dropped.task_table][-2:] == ["task8", "task9"]
    assert not dropped.task_table[-1].in_model


def test_zero_fill_is_a_lower_bound_on_factor_noise() -> None:
    names, sweep, noise = simulate(3)
    result = run_noise(
        as_mapping(names, sweep),
        as_mapping(names[:-3], noise[:, :-3]),
        n_factors=2,
        missing="zero",
        n_draws=200,
    ).matrix
    weights = result.projection.weights
    combined = np.column_stack([weights, weights.mean(axis=1)])
    mean, sd = sweep.mean(axis=0), sweep.std(axis=0)
    zero_filled = (noise - mean) / sd
    zero_filled[:, -3:] = 0.0
    np.testing.assert_allclose(
        result.projection.var_noise_in_sample, np.var(zero_filled @ combined, axis=0, ddof=1)
    )
    # With noise independent across tasks, the zero-filled tasks' share of the score noise is
    # missing: many reruns of the same simulation show the full noise is larger.
    _, _, many = simulate(3, m=4000)
    full = (many - mean) / sd
    partial = full.copy()
    partial[:, -3:] = 0.0
    assert np.all(
        np.var(partial @ combined, axis=0, ddof=1) < np.var(full @ combined, axis=0, ddof=1)
    )


def test_decision_accuracy_against_a_target_scale() -> None:
    names, sweep, noise = simulate(4)
    rng = np.random.default_rng(9)
    target = sweep + rng.normal(size=sweep.shape) * 0.3
    result = run_noise(
        as_mapping(names, sweep),
        as_mapping(names, noise),
        target=as_mapping(names, target),
        n_factors=2,
        n_draws=200,
    ).matrix
    np.testing.assert_allclose(result.decision.accuracy, decision_accuracy(sweep, target).accuracy)
    assert result.n_target_matched == sweep.shape[0]
    assert 0.5 < result.decision_aggregate <= 1.0
    assert result.task_table[0].decision_accuracy is not None


@pytest.mark.parametrize(
    ("sweep", "noise", "message"),
    [
        ({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]}, {"a": [1.0]}, "at least 2"),
        ({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]}, {"c": [1.0, 2.0]}, "share no"),
        (
            {"a": [1.0, 2.0, 3.0, 4.0], "b": [5.0, 5.0, 5.0, 5.0]},
            {"a": [1.0, 2.0], "b": [1.0, 2.0]},
            "constant in the sweep",
        ),
    ],
)
def test_bad_input(sweep, noise, message: str) -> None:
    with pytest.raises(InputError, match=message):
        run_noise(sweep, noise, n_factors=1)


def test_bad_arguments() -> None:
    names, sweep, noise = simulate(5, p=4)
    with pytest.raises(InputError, match="missing"):
        run_noise(as_mapping(names, sweep), as_mapping(names, noise), missing="impute")
    with pytest.raises(InputError, match="both"):
        run_noise(as_mapping(names, sweep), None)
    with pytest.raises(InputError, match="nothing to analyse"):
        run_noise()
    with pytest.raises(InputError, match="more than 4 tasks"):
        run_noise(as_mapping(names, sweep), as_mapping(names, noise), n_factors=4)


def write_csv(path: Path, ids, names, values) -> Path:
    frame = pl.DataFrame({"run": list(ids), **{n: values[:, j] for j, n in enumerate(names)}})
    frame.write_csv(path)
    return path


def test_matrix_files_directions_and_constant_noise(tmp_path: Path) -> None:
    names, sweep, noise = simulate(6, p=6)
    names[0] = "loss"
    sweep[:, 0] *= -1  # stored as a loss: lower is better
    noise[:, 0] *= -1
    noise[:, 5] = 0.25  # a task whose reruns agree exactly: zero rerun noise
    s_path = write_csv(tmp_path / "sweep.csv", [f"r{i}" for i in range(len(sweep))], names, sweep)
    n_path = write_csv(tmp_path / "noise.csv", [f"s{i}" for i in range(len(noise))], names, noise)
    sweep_m, noise_m, _ = read_noise_inputs(s_path, n_path, id_col="run", lower_is_better=["loss"])
    assert noise_m.columns[-1] == "task5" and "zero rerun noise" in " ".join(noise_m.notes)
    result = run_noise(sweep_m, noise_m, n_factors=2, n_draws=200).matrix
    assert result.zero_noise_tasks == ("task5",)
    assert result.floors.noise_share[result.floors.tasks.index("task5")] == 0.0
    # Negating a metric changes no variance: the shares equal those of the raw arrays.
    reference = noise_floors(sweep, noise, tasks=names)
    for task in names:
        i, j = result.floors.tasks.index(task), reference.tasks.index(task)
        assert result.floors.noise_share[i] == pytest.approx(reference.noise_share[j])
    # MatrixData straight from read_matrix works too, and mismatched directions are refused.
    plain = read_matrix(s_path, id_col="run")
    flipped = read_matrix(n_path, id_col="run", lower_is_better=["loss"])
    with pytest.raises(InputError, match="directions differ"):
        run_noise(plain, flipped, n_factors=1)


def test_sign_flip_warning() -> None:
    names, sweep, noise = simulate(7, p=4)
    flipped = noise + 10
    flipped[:, 1] *= -1  # the noise file stores task1 with the opposite sign
    result = run_noise(
        as_mapping(names, sweep + 10), as_mapping(names, flipped), n_factors=1, n_draws=200
    )
    assert any("task1" in w and "negation" in w for w in result.warnings)
    clean = run_noise(
        as_mapping(names, sweep + 10), as_mapping(names, noise + 10), n_factors=1, n_draws=200
    )
    assert not any("negation" in w for w in clean.warnings)


def test_seeds_section_from_a_long_frame() -> None:
    frame = pl.DataFrame(
        {
            "condition": ["A"] * 3 + ["B"] * 3,
            "seed": ["1", "2", "3"] * 2,
            "task": ["g"] * 6,
            "step": [None] * 6,
            "metric": ["score"] * 6,
            "value": [1.0, 1.2, 0.9, 3.0, 3.3, 2.8],
        },
        schema_overrides={"step": pl.Int64},
    )
    result = run_noise(seeds_data=frame)
    assert result.matrix is None and result.seeds.tasks == ("g",)
    assert result.settings.metric == "score" and result.settings.window == "all"


def test_demo_recovers_the_synthetic_noise() -> None:
    from measurand.cli.demo import noise_demo, synthetic_sweep

    result, report = noise_demo(n_draws=300)
    m = result.matrix
    assert m.missing == "zero" and m.missing_from_noise == (
        "synthetic/task11",
        "synthetic/task12",
    )
    # Truth of the demo: noise share σ²/(Σλ² + σ²) per task; the 95% intervals should cover most.
    lam = np.zeros((12, 2))
    lam[:6, 0] = np.linspace(0.5, 1.0, 6)
    lam[6:, 1] = np.linspace(0.4, 0.9, 6)
    lam[5, 1] = lam[6, 0] = 0.3
    sigma = np.linspace(0.2, 0.8, 12)
    truth = (sigma**2 / (np.sum(lam**2, axis=1) + sigma**2))[:10]
    covered = (m.floors.noise_share_low <= truth) & (truth <= m.floors.noise_share_high)
    assert covered.sum() >= 8
    assert result.seeds is not None and len(result.seeds.tasks) == 6
    assert "synthetic" in report.to_markdown()
    assert synthetic_sweep(0)[0].values.shape == (240, 12)


def test_wide_sweep_runs_with_a_bounded_fit() -> None:
    rng = np.random.default_rng(5)
    n, m, p = 30, 5, 2100
    loadings = np.abs(rng.normal(0.6, 0.2, (p, 2)))
    sweep = rng.standard_normal((n, 2)) @ loadings.T + rng.standard_normal((n, p))
    noise = 0.5 * rng.standard_normal((m, p))
    names = [f"t{j}" for j in range(p)]
    result = run_noise(
        {c: sweep[:, j] for j, c in enumerate(names)},
        {c: noise[:, j] for j, c in enumerate(names)},
        n_factors=2,
        n_resamples=200,
    )
    assert any("more tasks than rows" in w for w in result.warnings)
    snr = result.matrix.projection.snr
    assert np.all(np.isfinite(snr))
