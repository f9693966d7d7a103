"""``measurand demo``: run the analyses on the embedded example data and write one report folder.

The demo is a list of *parts*; each builds its report files in memory and knows how to print its
summary. All parts are written together in one atomic step into ``<out>/<part folder>/``, so a
failing part leaves nothing behind. Adding a part is one entry in :data:`DEMO_PARTS`.

The example data and their loaders live in :mod:`measurand.datasets`; this module holds what
turns them into reports (it renders, so it belongs to the CLI layer, not to a workflow). Every
workflow and report module is imported inside the functions, so ``measurand --help`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from measurand.cli._app import ForceOption, SeedOption, app, console, reports_input_errors, working

if TYPE_CHECKING:
    from measurand.compare.workflow import CompareResult
    from measurand.factors.workflow import FactorsResult
    from measurand.noise.workflow import NoiseResult, RunMatrix

DEFAULT_OUT = Path("measurand-demo")


@dataclass
class DemoPart:
    """One analysis of the demo: its folder, its files (name -> content), how to summarise it."""

    folder: str
    title: str
    files: dict[str, str | bytes]
    show: Callable[[], None] = field(default=lambda: None)


# --------------------------------------------------------------------------- diagnose

DIAGNOSE_LABEL = "exact_correct"
DIAGNOSE_PAIRED_LABEL = "baseline_correct"
DIAGNOSE_SIGNALS = {
    "zH": "drift_zH|last:4|mean|log10:1e-12",
    "zL": "drift_zL|last:4|mean|log10:1e-12",
    "combined": "norm(drift_zH|last:4|mean, drift_zL|last:4|mean)|log10:1e-12",
    "lam1": "lyap_spec[:, 0]",
}
DIAGNOSE_PRIMARY = "zH"


def diagnose_demo(**options: Any) -> Any:  # -> DiagnoseResult
    """``diagnose`` on :func:`measurand.datasets.diagnose_example` (``options`` override)."""
    from measurand.datasets import diagnose_example
    from measurand.diagnose.workflow import diagnose

    settings: dict[str, Any] = {
        "label": DIAGNOSE_LABEL,
        "signals": DIAGNOSE_SIGNALS,
        "primary": DIAGNOSE_PRIMARY,
        "paired_label": DIAGNOSE_PAIRED_LABEL,
    }
    settings.update(options)
    return diagnose(diagnose_example(), **settings)


def diagnose_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``diagnose`` on the synthetic recurrent-model example (see measurand/data/README.md)."""
    from measurand.cli.diagnose import print_summary
    from measurand.datasets import DIAGNOSE_EXAMPLE_FILE
    from measurand.report import report_files
    from measurand.report.diagnose import diagnose_report

    result = diagnose_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    report = diagnose_report(
        result, source=f"measurand/data/{DIAGNOSE_EXAMPLE_FILE} (synthetic example)"
    )
    return DemoPart(
        folder="diagnose",
        title="diagnose: does a per-example signal predict correctness?",
        files=report_files(report, result.to_dict()),
        show=lambda: print_summary(result),
    )


# --------------------------------------------------------------------------- compare
# Dopamine agents on six Atari games: learning curves with seed bands, Rainbow vs DQN over the
# last 10 iterations of every game, and the across-game aggregates of min-max normalized scores.

COMPARE_BASELINE = "DQN"
COMPARE_CANDIDATE = "Rainbow"
COMPARE_WINDOW = "last:10"


def compare_demo(
    *,
    seed: int = 0,
    n_resamples: int = 10_000,
    across_resamples: int = 50_000,
    progress: Callable[[str], None] | None = None,
) -> tuple[CompareResult, Any]:
    """Run the compare demo analyses; returns ``(result, report)`` without writing anything."""
    from measurand.compare.workflow import run_compare
    from measurand.datasets import dopamine_subset
    from measurand.report.compare import compare_report

    result = run_compare(
        dopamine_subset(),
        baseline=COMPARE_BASELINE,
        candidate=COMPARE_CANDIDATE,
        window=COMPARE_WINDOW,
        across_tasks=True,
        n_resamples=n_resamples,
        across_resamples=across_resamples,
        seed=seed,
        progress=progress,
    )
    report = compare_report(result)
    report.preamble.insert(
        0,
        "Demo data: Dopamine baselines (google/dopamine, Apache-2.0, © The Dopamine Authors): "
        "DQN, C51 and Rainbow, 5 runs each on 6 Atari games; the value is the score the "
        "baselines record per training iteration.\n",
    )
    return result, report


def compare_summary_text(result: CompareResult) -> str:
    """A few plain lines: per game Rainbow - DQN with its verdict, then the IQM per agent."""
    import polars as pl

    lines = [
        f"compare demo: {COMPARE_CANDIDATE} vs {COMPARE_BASELINE}, mean of the last 10 "
        "iterations per run, 5 runs per agent (the run is the unit)"
    ]
    if result.significance is not None:
        for c in result.significance.comparisons:
            lines.append(
                f"  {c.task:<14} delta {c.delta:+.1f} [{c.ci.low:+.1f}, {c.ci.high:+.1f}] "
                f"p={c.pvalue:.4f} {c.verdict}"
            )
    for item in result.across_tasks:
        iqm = item.aggregates.filter(pl.col("metric") == "iqm")
        parts = [
            f"{row['condition']} {row['estimate']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
            for row in iqm.iter_rows(named=True)
        ]
        lines.append(
            f"  IQM of min-max normalized scores across {len(item.tasks)} games: "
            + "; ".join(parts)
        )
    return "\n".join(lines)


def run_compare_demo(
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    seed: int = 0,
    n_resamples: int = 10_000,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Write the compare demo report into ``<out_dir>/compare/`` and return a short summary.

    Refuses a non-empty ``<out_dir>/compare`` unless ``force``; the folder is written in one
    step (nothing half-written on failure).
    """
    from measurand.io.output import check_output_dir
    from measurand.report.document import write_report

    target = Path(out_dir) / "compare"
    check_output_dir(target, force=force)
    result, report = compare_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    write_report(target, report, result.to_dict(), force=force)
    return compare_summary_text(result)


def compare_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``compare`` on a subset of the Dopamine baselines (real data, Apache-2.0)."""
    from measurand.cli.compare import print_summary
    from measurand.report import report_files

    result, report = compare_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    return DemoPart(
        folder="compare",
        title="compare: DQN, C51, Rainbow on six Atari games (Dopamine baselines)",
        files=report_files(report, result.to_dict()),
        show=lambda: print_summary(result),
    )


# --------------------------------------------------------------------------- factors
# Seven ObsScaling benchmarks are the tasks, HumanEval is held out for validation, and rows
# missing a task score are dropped (listwise), which leaves 129 of 148 models.

FACTORS_SOURCE = (
    "measurand/data/obsscaling_base_llm_benchmark_eval.csv (ObsScaling base models, Apache-2.0)"
)


def factors_demo(**options: Any) -> FactorsResult:
    """``factors`` on :func:`measurand.datasets.obsscaling_benchmarks` (``options`` override)."""
    from measurand.datasets import obsscaling_benchmarks
    from measurand.factors.workflow import run_factors

    settings: dict[str, Any] = {"missing": "drop-rows", "seed": 0}
    settings.update(options)
    return run_factors(obsscaling_benchmarks(), **settings)


def run_factors_demo(
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    seed: int = 0,
    n_resamples: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> FactorsResult:
    """Run the factors example and write its report into ``<out_dir>/factors/``.

    Refuses a non-empty ``<out_dir>/factors`` unless ``force``.
    """
    from measurand.io.output import check_output_dir
    from measurand.report import write_report
    from measurand.report.factors import factors_report

    target = Path(out_dir) / "factors"
    check_output_dir(target, force=force)
    result = factors_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    write_report(
        target, factors_report(result, source=FACTORS_SOURCE), result.to_dict(), force=force
    )
    return result


def factors_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``factors`` on the ObsScaling base-model benchmark matrix (real data, Apache-2.0)."""
    from measurand.cli.factors import print_summary
    from measurand.report import report_files
    from measurand.report.factors import factors_report

    result = factors_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    return DemoPart(
        folder="factors",
        title="factors: what do 7 LLM benchmarks measure? (ObsScaling base models)",
        files=report_files(factors_report(result, source=FACTORS_SOURCE), result.to_dict()),
        show=lambda: print_summary(result),
    )


# --------------------------------------------------------------------------- noise
# A synthetic sweep with a noise baseline (made here from a fixed seed, documented as synthetic
# in the report), and the real Dopamine seeds split per game into seed noise and spread.

NOISE_WINDOW = "last:10"


def synthetic_sweep(seed: int = 0) -> tuple[RunMatrix, RunMatrix]:
    """The noise demo's **synthetic** sweep (240 x 12) and noise baseline (10 x 10).

    240 runs x 12 tasks from a non-negative 2-factor model with known per-task noise (sd 0.2 to
    0.8 of a unit-loading task), and 10 reruns of one configuration that lack the last two tasks
    (zero-filled, so that the report shows the lower-bound consequence).
    """
    import numpy as np

    from measurand.noise.workflow import RunMatrix

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
) -> tuple[NoiseResult, Any]:
    """Run the noise demo analyses; returns the result and its report."""
    from measurand.datasets import dopamine_subset
    from measurand.noise.workflow import run_noise
    from measurand.report.noise import noise_report

    sweep, noise = synthetic_sweep(seed)
    result = run_noise(
        sweep,
        noise,
        seeds_data=dopamine_subset(),
        seeds_window=NOISE_WINDOW,
        missing="zero",
        n_resamples=n_draws,
        seed=seed,
        progress=progress,
    )
    report = noise_report(result)
    report.preamble.insert(
        0,
        "The sweep and noise matrices are **synthetic** (a 2-factor model with known per-task "
        "noise, made by `measurand.cli.demo.synthetic_sweep`); the seeds section uses the "
        "embedded Dopamine subset (real learning curves, Apache-2.0).\n",
    )
    return result, report


def noise_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``noise`` on a synthetic sweep with a rerun baseline, and the Dopamine seeds split."""
    from measurand.cli.noise import print_summary
    from measurand.report import report_files

    result, report = noise_demo(seed=seed, progress=progress)
    return DemoPart(
        folder="noise",
        title="noise: rerun noise vs spread (synthetic sweep; Dopamine seeds)",
        files=report_files(report, result.to_dict()),
        show=lambda: print_summary(result),
    )


# --------------------------------------------------------------------------- verbs that write


def folder_part(
    folder: str, title: str, module: str, *, needs: str | None = None
) -> Callable[..., DemoPart]:
    """A part from a verb whose ``cli`` module has ``demo_part(out_dir, *, seed) -> str``.

    The verb writes its report into a scratch folder; the files are read back so that every part
    is still written together, in one atomic step, with the others. ``needs`` names an optional
    package (an extra) without which the part is left out, with a note, instead of failing.
    """

    def build(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
        import importlib
        import tempfile

        progress(f"running the {folder} demo")
        with tempfile.TemporaryDirectory(prefix="measurand-demo-") as scratch:
            out = Path(scratch) / folder
            line = importlib.import_module(module).demo_part(out, seed=seed)
            files: dict[str, str | bytes] = {
                path.relative_to(out).as_posix(): path.read_bytes()
                for path in sorted(out.rglob("*"))
                if path.is_file()
            }
        return DemoPart(folder=folder, title=title, files=files, show=lambda: console.print(line))

    build.__name__ = f"{folder}_part"
    build.needs = needs  # type: ignore[attr-defined]
    return build


def missing_extra(build: Callable[..., DemoPart]) -> str | None:
    """The optional package a part needs and this environment lacks, else None."""
    import importlib.util

    needs = getattr(build, "needs", None)
    return needs if needs and importlib.util.find_spec(needs) is None else None


# Each builder takes (seed, n_resamples, progress) keywords and returns a DemoPart.
DEMO_PARTS: list[Callable[..., DemoPart]] = [
    diagnose_part,
    compare_part,
    factors_part,
    noise_part,
    folder_part(
        "items",
        "items: five models on the same items (synthetic, clustered passages)",
        "measurand.cli.items",
    ),
    folder_part(
        "irt",
        "irt: item response model on a simulated models x items set",
        "measurand.cli.irt",
        needs="torch",
    ),
    folder_part(
        "simulate",
        "simulate: strategic evaluation games on a synthetic pool (--fast grid)",
        "measurand.cli.simulate",
    ),
]


def _index(parts: list[DemoPart]) -> str:
    lines = ["# measurand demo", "", "Reports built from the example data embedded in the package"]
    lines += ["(see `measurand/data/README.md` for what is synthetic and what is real):"]
    lines.append("")
    lines += [f"- `{p.folder}/report.html` — {p.title}" for p in parts]
    return "\n".join(lines) + "\n"


def run_demo(
    out: Path = DEFAULT_OUT,
    *,
    force: bool = False,
    seed: int = 0,
    n_resamples: int = 10_000,
    progress: Callable[[str], None] | None = None,
) -> list[DemoPart]:
    """Build every demo part and write them all into ``out`` at once."""
    from measurand.io.output import claim_output_dir, write_output_dir

    claim_output_dir(out, force=force)  # before computing: refused or held, never raced
    notify = progress or (lambda _message: None)
    parts = [
        build(seed=seed, n_resamples=n_resamples, progress=notify)
        for build in DEMO_PARTS
        if missing_extra(build) is None
    ]
    from measurand.report.combine import combined_html_from_files

    files: dict[str, str | bytes] = {"README.md": _index(parts)}
    for part in parts:
        files.update({f"{part.folder}/{name}": content for name, content in part.files.items()})
    notify("combining the reports")
    files["index.html"] = combined_html_from_files(
        {part.folder: part.files for part in parts},
        title="measurand demo",
        command=f"measurand demo --out {out} --seed {seed} --resamples {n_resamples}",
    )
    notify("writing reports")
    write_output_dir(out, files, force=force)
    return parts


@app.command("demo")
@reports_input_errors
def demo_command(
    out: Path = typer.Option(
        DEFAULT_OUT, "--out", "-o", help="Folder for the demo reports (refused if not empty)."
    ),
    force: bool = ForceOption,
    seed: int = SeedOption,
    resamples: int = typer.Option(10_000, "--resamples", min=1, help="Bootstrap resamples."),
) -> None:
    """Run the analyses on embedded example data and write a report folder.

    \b
    Example:
      measurand demo --out measurand-demo --force
      open measurand-demo/diagnose/report.html
    """
    with working("running the demo") as progress:
        parts = run_demo(out, force=force, seed=seed, n_resamples=resamples, progress=progress)
    for part in parts:
        console.rule(part.title)
        part.show()
    console.print()
    for part in parts:
        console.print(f"report: [bold]{out / part.folder / 'report.html'}[/]", soft_wrap=True)
    console.print(f"all in one page: [bold]{out / 'index.html'}[/]", soft_wrap=True)
    for build in DEMO_PARTS:
        if (needs := missing_extra(build)) is not None:
            console.print(
                f"left out: {build.__name__.removesuffix('_part')} needs {needs} "
                f'(pip install "torch==2.13.0" for the CPU build, or measurand[irt])',
                soft_wrap=True,
            )
    console.print(
        f"(also summary.md and results.json in each folder; index: {out / 'README.md'})",
        soft_wrap=True,
    )


__all__ = [
    "DEFAULT_OUT",
    "DEMO_PARTS",
    "DemoPart",
    "compare_demo",
    "compare_part",
    "compare_summary_text",
    "diagnose_demo",
    "diagnose_part",
    "factors_demo",
    "factors_part",
    "folder_part",
    "missing_extra",
    "noise_demo",
    "noise_part",
    "run_compare_demo",
    "run_demo",
    "run_factors_demo",
    "synthetic_sweep",
]
