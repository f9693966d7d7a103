"""Generate ``src/measurand/data/diagnose_example.npz``: SYNTHETIC data for ``measurand demo``.

Shaped like the recurrent-reasoning diagnostics the diagnose workflow was designed for (see
``src/measurand/data/README.md``); no real model produced these numbers. Run from the repository
root::

    python scripts/make_diagnose_example.py

The output is byte-for-byte reproducible (fixed seed, fixed zip timestamps through numpy).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEED = 20_260_602
N_EXAMPLES = 2048
N_EXPONENTS = 8
N_STEPS = 16
OUT = Path(__file__).resolve().parents[1] / "src" / "measurand" / "data" / "diagnose_example.npz"


def make(seed: int = SEED, n: int = N_EXAMPLES) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    # A latent "settled" state: the recurrent state converges (drift decays to ~1e-6) or keeps
    # moving (drift stays ~1e-2). Settled examples are mostly solved, unsettled mostly not; a few
    # settled-but-wrong and unsettled-but-correct examples keep the cells B and C non-empty.
    settled = rng.random(n) < 0.78
    p_correct = np.where(settled, 0.985, 0.30)
    exact_correct = rng.random(n) < p_correct

    # Drift trajectories: geometric decay from ~1 towards a floor, with per-step noise. A few
    # slow settlers end between the two clusters, where zH and zL can disagree: that is what
    # makes the robustness table differ across settling definitions.
    steps = np.arange(N_STEPS)
    floor_h = np.where(settled, 10 ** rng.normal(-6.0, 0.5, n), 10 ** rng.normal(-2.0, 0.4, n))
    floor_l = floor_h * 10 ** rng.normal(0.3, 0.3, n)
    slow = rng.random(n) < 0.08
    floor_h = np.where(slow, 10 ** rng.uniform(-5.5, -2.5, n), floor_h)
    floor_l = np.where(slow, 10 ** rng.uniform(-5.5, -2.5, n), floor_l)
    rate = rng.uniform(0.8, 1.4, n)

    def trajectory(floor: np.ndarray) -> np.ndarray:
        start = 10 ** rng.normal(0.0, 0.2, n)
        decay = np.exp(-rate[:, None] * steps[None, :])
        noise = 10 ** rng.normal(0.0, 0.08, (n, N_STEPS))
        return ((start[:, None] - floor[:, None]) * decay + floor[:, None]) * noise

    drift_zh = trajectory(floor_h)
    drift_zl = trajectory(floor_l)

    # Lyapunov spectrum, sorted descending; the largest exponent is negative (contracting) for
    # settled examples and near zero or positive otherwise. Rounded to 3 decimals, so it ties.
    lam1 = np.where(settled, rng.normal(-0.08, 0.04, n), rng.normal(0.01, 0.03, n))
    gaps = rng.gamma(2.0, 0.05, (n, N_EXPONENTS - 1))
    spectrum = lam1[:, None] - np.concatenate([np.zeros((n, 1)), np.cumsum(gaps, axis=1)], axis=1)
    lyap_spec = np.round(spectrum, 3)

    # A second checkpoint on the same examples (for the paired comparison): agrees with the first
    # on most examples and solves slightly fewer.
    flip_down = exact_correct & (rng.random(n) < 0.06)
    flip_up = ~exact_correct & (rng.random(n) < 0.10)
    baseline_correct = (exact_correct & ~flip_down) | flip_up

    return {
        "exact_correct": exact_correct.astype(np.int8),
        "baseline_correct": baseline_correct.astype(np.int8),
        "lyap_spec": lyap_spec.astype(np.float32),
        "drift_zH": drift_zh.astype(np.float32),
        "drift_zL": drift_zl.astype(np.float32),
    }


def main() -> None:
    arrays = make()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    correct = arrays["exact_correct"]
    print(
        f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB): N={correct.size}, "
        f"{int(correct.sum())} correct, {int((correct == 0).sum())} wrong"
    )


if __name__ == "__main__":
    main()
