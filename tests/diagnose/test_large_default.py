"""Above BOOTSTRAP_AUC_MAX_EXAMPLES the default AUC interval is DeLong's alone, with a note
(issue 10: diagnose at N = 1e6 with 10,000 resamples runs in seconds by default)."""

from __future__ import annotations

import numpy as np

from measurand.diagnose.workflow import BOOTSTRAP_AUC_MAX_EXAMPLES, diagnose


def _arrays(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, n)
    return {"y": label, "s": label + rng.normal(size=n)}


def test_large_inputs_get_delong_by_default_and_say_so() -> None:
    res = diagnose(_arrays(BOOTSTRAP_AUC_MAX_EXAMPLES + 1), label="y", signals="s", n_resamples=50)
    auc = res.auc[0]
    assert auc.bootstrap_ci is None and auc.delong_ci is not None
    assert any("DeLong" in note for note in res.warnings)


def test_small_inputs_get_both_intervals_and_either_can_be_asked_for() -> None:
    res = diagnose(_arrays(2_000), label="y", signals="s", n_resamples=50)
    assert res.auc[0].bootstrap_ci is not None and res.auc[0].delong_ci is not None
    big = diagnose(
        _arrays(BOOTSTRAP_AUC_MAX_EXAMPLES + 1),
        label="y",
        signals="s",
        n_resamples=20,
        ci_methods=("delong", "bootstrap"),
    )
    assert big.auc[0].bootstrap_ci is not None
