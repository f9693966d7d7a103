"""Build src/measurand/data/irt_demo_responses.csv — SIMULATED models × items responses.

40 fictitious models answer 300 fictitious items of two skills ("knowledge" items 0-179,
"reasoning" items 180-299, a quarter of them drawing on both); 8 % of the cells are missing
(items a model was not run on). Slopes U(0.8, 2.2) on the main skill, U(0.3, 0.9) on the second,
intercepts N(0.3, 1.2), abilities N(0, I). Four items are deliberately broken: two miskeyed
(slope reversed) and two pure noise (slope 0), so that the report has something to flag.
Rerunning this script rebuilds the file byte for byte (numpy default_rng(20261206)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).parents[1] / "src" / "measurand" / "data" / "irt_demo_responses.csv"


def main() -> None:
    rng = np.random.default_rng(20261206)
    n, p = 40, 300
    A = np.zeros((p, 2))
    main_skill = (np.arange(p) >= 180).astype(int)
    A[np.arange(p), main_skill] = rng.uniform(0.8, 2.2, p)
    both = rng.random(p) < 0.25
    A[np.flatnonzero(both), 1 - main_skill[both]] = rng.uniform(0.3, 0.9, int(both.sum()))
    d = rng.normal(0.3, 1.2, p)
    broken = {17: "miskeyed", 203: "miskeyed", 88: "noise", 250: "noise"}
    for item, kind in broken.items():
        A[item] = -A[item] if kind == "miskeyed" else 0.0
    theta = rng.standard_normal((n, 2))
    prob = 1.0 / (1.0 + np.exp(-(theta @ A.T + d)))
    Y = (rng.random((n, p)) < prob).astype(int)
    missing = rng.random((n, p)) < 0.08
    models = [f"sim-model-{i:02d}" for i in range(n)]
    items = [f"q{j:03d}" for j in range(p)]
    lines = ["model," + ",".join(items)]
    for i in range(n):
        cells = ["" if missing[i, j] else str(Y[i, j]) for j in range(p)]
        lines.append(models[i] + "," + ",".join(cells))
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT} ({n} models x {p} items, {int(missing.sum())} missing cells)")


if __name__ == "__main__":
    main()
