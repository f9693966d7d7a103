"""The noise part of ``measurand demo``: a synthetic sweep with a noise baseline, and real seeds.

* **Synthetic sweep** (made here from a fixed seed, documented as synthetic in the report): 240
  runs x 12 tasks from a non-negative 2-factor model with known per-task noise (sd 0.2 to 0.8 of
  a unit-loading task), and a noise baseline of 10 reruns of one configuration that lacks the last
  two tasks (zero-filled, so the report shows the lower-bound consequence).
* **Real seeds**: the embedded Dopamine subset (DQN, C51, Rainbow, five runs each on six Atari
  games; google/dopamine, Apache-2.0), split per game into seed noise and spread across agents
  over the last 10 iterations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from measurand.noise.workflow import NoiseResult, RunMatrix, run_noise

__all__ = ["DEMO_WINDOW", "noise_demo", "synthetic_sweep"]

DEMO_WINDOW = "last:10"


def synthetic_sweep(seed: int = 0) -> tuple[RunMatrix, RunMatrix]:
    """The demo's synthetic sweep (240 x 12) and noise baseline (10 x 10: two tasks missing)."""
    rng = np.random.default_rng(seed)
    p = 12
    loadings = np.zeros((p, 2))
    loadings[:6, 0] = np.linspace(0.5, 1.0, 6)
    loadings[6:, 1] = np.linspace(0.4, 0.9, 6)
    loadings[5, 1] = loadings[6, 0] = 0.3
    noise_sd = np.linspace(0.2, 0.8, p)
    names = tuple(f"synthetic/task{j + 1:02d}" for j in range(p))
    sweep = 0.5 + 0.1 * (rng.standard_normal((240, 2)) @ loadings.T)
    sweep += 0.1 * rng.standard_normal((240, p)) * noise_sd
    config = rng.standard_normal(2)
    reruns = 0.5 + 0.1 * (config @ loadings.T) + 0.1 * rng.standard_normal((10, p)) * noise_sd
    sweep_matrix = RunMatrix(
        values=sweep,
        columns=names,
        row_names=tuple(f"run{i:03d}" for i in range(240)),
        directions=dict.fromkeys(names, 1),
        source="synthetic sweep (2-factor model, known noise)",
    )
    noise_matrix = RunMatrix(
        values=reruns[:, :-2],
        columns=names[:-2],
        row_names=tuple(f"rerun{i}" for i in range(10)),
        directions=dict.fromkeys(names[:-2], 1),
        source="synthetic noise baseline (10 reruns of one configuration)",
    )
    return sweep_matrix, noise_matrix


def noise_demo(
    *,
    seed: int = 0,
    n_draws: int = 2000,
    progress: Callable[[str], None] | None = None,
) -> tuple[NoiseResult, object]:
    """Run the demo analyses; returns the result and its report (``measurand.report.Report``)."""
    from measurand.compare.demo import load_dopamine_subset
    from measurand.report.noise import noise_report

    sweep, noise = synthetic_sweep(seed)
    result = run_noise(
        sweep,
        noise,
        seeds_data=load_dopamine_subset(),
        seeds_window=DEMO_WINDOW,
        missing="zero",
        n_draws=n_draws,
        seed=seed,
        progress=progress,
    )
    report = noise_report(result)
    report.preamble.insert(
        0,
        "The sweep and noise matrices are **synthetic** (a 2-factor model with known per-task "
        "noise, made by `measurand.noise.demo.synthetic_sweep`); the seeds section uses the "
        "embedded Dopamine subset (real learning curves, Apache-2.0).\n",
    )
    return result, report
