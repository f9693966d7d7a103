"""The example data shipped inside the package, and their loaders.

Every loader says whether its data are **real** (published results, with their source and
licence in ``measurand/data/*_NOTICE.md``) or **synthetic** (made from a fixed seed by a script
in ``scripts/``; no model produced them). See ``measurand/data/README.md`` for each file.

=============================  ==========  ==========================================  =========
accessor                       kind        what                                        licence
=============================  ==========  ==========================================  =========
:func:`dopamine_subset`        real        DQN, C51, Rainbow: 5 runs x 6 Atari games   Apache-2.0
:func:`obsscaling_benchmarks`  real        148 base LLMs x 8 benchmarks (ObsScaling)   Apache-2.0
:func:`diagnose_example`       synthetic   recurrent-model diagnostics, N = 2048       Apache-2.0
:func:`synthetic_campaign`     synthetic   ``retrain``-layout campaign, 5 x 4 runs   Apache-2.0
:func:`items_example`          synthetic   5 models x 3 tasks of items, 3 runs each    Apache-2.0
:func:`irt_responses`          synthetic   0/1 responses, 40 models x 300 items        Apache-2.0
=============================  ==========  ==========================================  =========

This module sits in the io layer: it reads files through :mod:`measurand.io` and never imports
a workflow, so every layer may use it. Reports name the packaged file (``measurand/data/...``),
never this machine's install path.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from measurand.io._frames import RunData
    from measurand.io.items import ItemData
    from measurand.io.matrix import MatrixData
    from measurand.io.responses import ResponseData

__all__ = [
    "DIAGNOSE_EXAMPLE_FILE",
    "DOPAMINE_FILE",
    "IRT_RESPONSES_FILE",
    "ITEMS_EXAMPLE_FILE",
    "OBSSCALING_FILE",
    "OBSSCALING_HELDOUT",
    "OBSSCALING_ID_COL",
    "OBSSCALING_TASKS",
    "SYNTHETIC_CAMPAIGN_DIR",
    "data_path",
    "diagnose_example",
    "dopamine_subset",
    "irt_responses",
    "items_example",
    "obsscaling_benchmarks",
    "synthetic_campaign",
]

DOPAMINE_FILE = "dopamine_subset.csv.gz"
OBSSCALING_FILE = "obsscaling_base_llm_benchmark_eval.csv"
OBSSCALING_ID_COL = "Model"
OBSSCALING_TASKS = ("MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd")
OBSSCALING_HELDOUT = "HumanEval"
DIAGNOSE_EXAMPLE_FILE = "diagnose_example.npz"
SYNTHETIC_CAMPAIGN_DIR = "synthetic_campaign"
ITEMS_EXAMPLE_FILE = "items_example.csv.gz"
IRT_RESPONSES_FILE = "irt_demo_responses.csv"


def data_path(name: str) -> Path:
    """The path of a packaged data file or folder (``measurand/data/<name>``).

    The package is installed as plain files (setuptools package data), so the resource is a
    real path on disk that command-line examples can name.
    """
    resource = resources.files("measurand").joinpath("data", name)
    path = Path(str(resource))
    if not path.exists():
        raise FileNotFoundError(f"measurand/data/{name} is not installed with the package")
    return path


def dopamine_subset() -> RunData:
    """**Real** learning curves: the Dopamine baselines of DQN, C51 and Rainbow.

    Five runs each on six Atari games (asterix, breakout, pong, qbert, seaquest, spaceinvaders),
    199 training iterations; google/dopamine, © The Dopamine Authors, Apache-2.0 (see
    ``measurand/data/DOPAMINE_NOTICE.md``). Returned as :class:`~measurand.io.RunData` with
    agent = condition, run = seed, game = task, iteration = step and the metric ``value``.
    """
    from measurand.io.table import read_table

    data = read_table(
        data_path(DOPAMINE_FILE),
        condition="agent",
        seed="run",
        task="game",
        step="iteration",
        value="value",
    )
    return dataclasses.replace(data, source=f"measurand/data/{DOPAMINE_FILE}")


def obsscaling_benchmarks() -> MatrixData:
    """**Real** benchmark scores of 148 base language models (ObsScaling, Apache-2.0).

    The seven tasks :data:`OBSSCALING_TASKS` are the columns; HumanEval is the held-out column;
    rows are the models (``Model``). Source: ryoungj/ObsScaling, Ruan, Maddison & Hashimoto
    (2024), "Observational Scaling Laws and the Predictability of Language Model Performance";
    see ``measurand/data/OBSSCALING_NOTICE.md``.
    """
    from measurand.io.matrix import read_matrix

    data = read_matrix(
        data_path(OBSSCALING_FILE),
        id_col=OBSSCALING_ID_COL,
        include=list(OBSSCALING_TASKS),
        heldout=OBSSCALING_HELDOUT,
    )
    return dataclasses.replace(data, source=f"measurand/data/{OBSSCALING_FILE}")


def diagnose_example() -> dict[str, np.ndarray]:
    """**Synthetic** per-example diagnostics of a recurrent reasoning model (N = 2048).

    Arrays: ``exact_correct`` (N,), ``baseline_correct`` (N,), ``lyap_spec`` (N, 8),
    ``drift_zH`` and ``drift_zL`` (N, 16). Made by ``scripts/make_diagnose_example.py`` from a
    fixed seed; no model produced them (``measurand/data/README.md`` says how). Apache-2.0.
    """
    from measurand.io.arrays import read_arrays

    return read_arrays(data_path(DIAGNOSE_EXAMPLE_FILE))


def synthetic_campaign() -> Path:
    """The folder of a small **synthetic** training campaign in the ``retrain`` layout.

    Five conditions (``grpo+none``, ``maxrl+none``, ``maxrl+gtpo``, ``maxrl+gtpo_hicra``,
    ``maxrl+gtpo_sepa``) x four seeds x 500 steps, with ``manifest.json``, ``metrics.jsonl``
    (``correct_rate``, ``mean_reward``, ``exec_entropy_var``, ``plan_entropy_var``) and
    ``emergence/steps.jsonl`` (16 completions per step) per run; made by
    ``scripts/make_synthetic_campaign.py`` from a fixed seed (no model was trained). Read it
    with :func:`measurand.io.campaign.read_campaign` or ``measurand compare <path>``. Apache-2.0.
    """
    return data_path(SYNTHETIC_CAMPAIGN_DIR)


def items_example() -> ItemData:
    """**Synthetic** per-item scores: 5 models x 3 tasks (``arith``, ``reading``, ``trivia``),
    items grouped in passages, 3 runs per item, 0/1 ``correct`` (a long table; the ``items``
    demo and ``measurand items --help`` use it). Apache-2.0."""
    from measurand.io.items import read_item_table

    return read_item_table(
        data_path(ITEMS_EXAMPLE_FILE),
        model_col="model",
        item_col="item",
        score_col="correct",
        run_col="run",
        task_col="task",
        cluster_col="passage",
    )


def irt_responses() -> ResponseData:
    """**Simulated** 0/1 responses of 40 models to 300 items with two skills (a wide matrix,
    one row per ``model``; the ``irt`` demo and ``measurand irt --help`` use it). Apache-2.0."""
    from measurand.io.responses import read_wide_responses

    return read_wide_responses(data_path(IRT_RESPONSES_FILE), id_col="model")
