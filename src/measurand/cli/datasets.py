"""``measurand datasets``: the example data shipped with measurand, and where they are.

``measurand datasets NAME`` prints one path and nothing else, so that examples can name shipped
data in any shell: ``measurand compare "$(measurand datasets synthetic_campaign)" ...``.
"""

from __future__ import annotations

import typer

from measurand.cli._app import app, console, reports_input_errors, summary_table
from measurand.errors import InputError

# name -> (file or folder under measurand/data, kind, what); the loaders are in measurand.datasets.
CATALOGUE = {
    "dopamine_subset": (
        "dopamine_subset.csv.gz",
        "real, Apache-2.0",
        "Dopamine DQN/C51/Rainbow learning curves, 5 runs x 6 Atari games (long table)",
    ),
    "obsscaling_benchmarks": (
        "obsscaling_base_llm_benchmark_eval.csv",
        "real, Apache-2.0",
        "ObsScaling: 148 base LLMs x 8 benchmarks (wide matrix)",
    ),
    "diagnose_example": (
        "diagnose_example.npz",
        "synthetic",
        "recurrent-model diagnostics, N = 2048 (named arrays)",
    ),
    "synthetic_campaign": (
        "synthetic_campaign",
        "synthetic",
        "retrain-layout campaign: 5 conditions x 4 seeds x 500 steps",
    ),
    "items_example": (
        "items_example.csv.gz",  # datasets.ITEMS_EXAMPLE_FILE
        "synthetic",
        "5 models x 3 tasks of items, passages, 3 runs per item (long table)",
    ),
    "irt_responses": (
        "irt_demo_responses.csv",  # datasets.IRT_RESPONSES_FILE
        "synthetic",
        "0/1 responses of 40 simulated models x 300 items, two skills (wide)",
    ),
}


@app.command("datasets")
@reports_input_errors
def datasets_command(
    name: str = typer.Argument(
        None, metavar="NAME", help="Print the path of this dataset only.", show_default=False
    ),
) -> None:
    """List the example data shipped with measurand (real or synthetic, licence, path).

    \b
    Examples:
      measurand datasets
      measurand compare "$(measurand datasets synthetic_campaign)" \\
          --metric correct_rate
    """
    from measurand.datasets import data_path

    if name is not None:
        if name not in CATALOGUE:
            raise InputError(f"unknown dataset {name!r}; choose from {', '.join(CATALOGUE)}")
        typer.echo(str(data_path(CATALOGUE[name][0])))
        return
    headers = ["name", "kind", "what"]
    table = summary_table("datasets shipped with measurand", headers, text=headers)
    for key, (_file, kind, what) in CATALOGUE.items():
        table.add_row(key, kind, what)
    console.print(table)
    for key, (file, _kind, _what) in CATALOGUE.items():  # one line each, to copy whole
        console.print(f"{key}: {data_path(file)}", soft_wrap=True, highlight=False)
    console.print(
        "Python: measurand.datasets.<name>() loads each one; see measurand/data/README.md"
    )
