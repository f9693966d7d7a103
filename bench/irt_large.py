"""2,000 subjects x 30,000 items, d = 8, 20 % missing, simulated with known truth: time, peak
memory and recovery of ``fit_map`` next to the truncated-SVD floor measured in the same run.
Target: < 120 s in < 4 GB on CPU. Run: python bench/irt_large.py [--device cuda]
[--slope-prior-sd 0.3] (a fixed prior skips the validation path)."""

from __future__ import annotations

import argparse

from _irt_common import run_case, simulate

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--items", type=int, default=30_000)
    parser.add_argument("--slope-prior-sd", default="auto")
    args = parser.parse_args()
    sd = args.slope_prior_sd if args.slope_prior_sd == "auto" else float(args.slope_prior_sd)
    data = simulate(args.subjects, args.items, 8, 0.2, seed=0)
    run_case(data, 8, device=args.device, slope_prior_sd=sd)
