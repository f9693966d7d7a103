"""``measurand noise``: how much of a benchmark's spread is rerun (seed) noise?

Per-task noise shares with exact F intervals and h² ceilings (:mod:`.floors`), the factor and
benchmark-level signal-to-noise ratios and decision accuracy (:mod:`.snr`), the per-task split of
long tables with seeds (:mod:`.seeds`), and the workflow behind the command (:mod:`.workflow`).
"""

from __future__ import annotations

from measurand.noise.floors import NoiseFloors, f_ratio_interval, noise_floors
from measurand.noise.seeds import SeedSplit, noncentral_f_interval, seed_split, seed_split_frame
from measurand.noise.snr import (
    BenchmarkSNR,
    DecisionAccuracy,
    ProjectionSNR,
    benchmark_snr,
    decision_accuracy,
    posterior_map,
    projection_snr,
)
from measurand.noise.workflow import (
    MatrixNoise,
    NoiseModel,
    NoiseResult,
    RunMatrix,
    TaskNoise,
    as_run_matrix,
    read_noise_inputs,
    run_noise,
)

__all__ = [
    "BenchmarkSNR",
    "DecisionAccuracy",
    "MatrixNoise",
    "NoiseFloors",
    "NoiseModel",
    "NoiseResult",
    "ProjectionSNR",
    "RunMatrix",
    "SeedSplit",
    "TaskNoise",
    "as_run_matrix",
    "benchmark_snr",
    "decision_accuracy",
    "f_ratio_interval",
    "noise_floors",
    "noncentral_f_interval",
    "posterior_map",
    "projection_snr",
    "read_noise_inputs",
    "run_noise",
    "seed_split",
    "seed_split_frame",
]
