"""The embedded factors example: the ObsScaling base-model matrix (148 LLMs x 8 benchmarks).

Seven benchmarks (MMLU, ARC-C, HellaSwag, Winograd, TruthfulQA, GSM8K, XWinograd) are the tasks;
HumanEval is held out for validation; rows missing a task score are dropped (listwise), which
leaves 129 models. Source, copyright and licence: ``measurand/data/OBSSCALING_NOTICE.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from measurand.factors.workflow import FactorsResult, run_factors
from measurand.io.matrix import MatrixData, read_matrix

__all__ = [
    "DEMO_FILE",
    "DEMO_HELDOUT",
    "DEMO_ID_COL",
    "DEMO_SOURCE",
    "DEMO_TASKS",
    "factors_demo",
    "load_demo_matrix",
    "run_factors_demo",
]

DEMO_FILE = "obsscaling_base_llm_benchmark_eval.csv"
DEMO_SOURCE = f"measurand/data/{DEMO_FILE} (ObsScaling base models, Apache-2.0)"
DEMO_ID_COL = "Model"
DEMO_TASKS = ("MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd")
DEMO_HELDOUT = "HumanEval"


def load_demo_matrix() -> MatrixData:
    """The example matrix, read from the installed package data."""
    resource = resources.files("measurand").joinpath("data", DEMO_FILE)
    with resources.as_file(resource) as path:
        return read_matrix(path, id_col=DEMO_ID_COL, include=list(DEMO_TASKS), heldout=DEMO_HELDOUT)


def factors_demo(**options: Any) -> FactorsResult:
    """Run :func:`~measurand.factors.run_factors` on the example (``options`` override)."""
    settings: dict[str, Any] = {"missing": "drop-rows", "seed": 0}
    settings.update(options)
    return run_factors(load_demo_matrix(), **settings)


def run_factors_demo(
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    seed: int = 0,
    n_resamples: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> FactorsResult:
    """Run the example and write its report into ``<out_dir>/factors/``.

    Refuses a non-empty ``<out_dir>/factors`` unless ``force``.
    """
    from measurand.io.output import check_output_dir
    from measurand.report import write_report
    from measurand.report.factors import factors_report

    target = Path(out_dir) / "factors"
    check_output_dir(target, force=force)
    result = factors_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    write_report(target, factors_report(result, source=DEMO_SOURCE), result.to_dict(), force=force)
    return result
