"""48 models x 13,542 items, d = 8 (the MMLU-Pro shape of the strategic-evaluation seed),
simulated with known truth: fit time, recovery (slopes after Procrustes, intercepts, θ) and
held-out AUC / log-loss of ``fit_map`` next to the truncated-SVD floor measured in the same run.
Target: < 20 s on CPU. Run: python bench/irt_mmlu_shape.py [--device cuda]."""

from __future__ import annotations

import argparse

from _irt_common import run_case, simulate

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--items", type=int, default=13_542)
    args = parser.parse_args()
    data = simulate(48, args.items, 8, 0.0, seed=0)
    run_case(data, 8, device=args.device)
