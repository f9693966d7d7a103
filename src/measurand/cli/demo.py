"""``measurand demo``: run the analyses on the embedded example data and write one report folder.

The demo is a list of *parts*; each builds its report files in memory and knows how to print its
summary. All parts are written together in one atomic step into ``<out>/<part folder>/``, so a
failing part leaves nothing behind. Adding a part is one entry in :data:`DEMO_PARTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer

from measurand.cli._app import ForceOption, SeedOption, app, console, reports_input_errors, working
from measurand.io.output import check_output_dir, write_output_dir
from measurand.report import report_files

DEFAULT_OUT = Path("measurand-demo")


@dataclass
class DemoPart:
    """One analysis of the demo: its folder, its files (name -> content), how to summarise it."""

    folder: str
    title: str
    files: dict[str, str | bytes]
    show: Callable[[], None] = field(default=lambda: None)


def diagnose_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``diagnose`` on the synthetic recurrent-model example (see measurand/data/README.md)."""
    from measurand.cli.diagnose import print_summary
    from measurand.diagnose.example import EXAMPLE_FILE, diagnose_example
    from measurand.report.diagnose import diagnose_report

    result = diagnose_example(seed=seed, n_resamples=n_resamples, progress=progress)
    report = diagnose_report(result, source=f"measurand/data/{EXAMPLE_FILE} (synthetic example)")
    return DemoPart(
        folder="diagnose",
        title="diagnose: does a per-example signal predict correctness?",
        files=report_files(report, result.to_dict()),
        show=lambda: print_summary(result),
    )


def compare_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``compare`` on a subset of the Dopamine baselines (real data, Apache-2.0)."""
    from measurand.cli.compare import print_summary
    from measurand.compare.demo import compare_demo

    result, report = compare_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    return DemoPart(
        folder="compare",
        title="compare: DQN, C51, Rainbow on six Atari games (Dopamine baselines)",
        files=report_files(report, result.to_dict()),
        show=lambda: print_summary(result),
    )


def factors_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``factors`` on the ObsScaling base-model benchmark matrix (real data, Apache-2.0)."""
    from measurand.cli.factors import print_summary
    from measurand.factors.demo import DEMO_SOURCE, factors_demo
    from measurand.report.factors import factors_report

    result = factors_demo(seed=seed, n_resamples=n_resamples, progress=progress)
    return DemoPart(
        folder="factors",
        title="factors: what do 7 LLM benchmarks measure? (ObsScaling base models)",
        files=report_files(factors_report(result, source=DEMO_SOURCE), result.to_dict()),
        show=lambda: print_summary(result),
    )


def noise_part(*, seed: int, n_resamples: int, progress: Callable[[str], None]) -> DemoPart:
    """``noise`` on a synthetic sweep with a rerun baseline, and the Dopamine seeds split."""
    from measurand.cli.noise import print_summary
    from measurand.noise.demo import noise_demo

    result, report = noise_demo(seed=seed, progress=progress)
    return DemoPart(
        folder="noise",
        title="noise: rerun noise vs spread (synthetic sweep; Dopamine seeds)",
        files=report_files(report, result.to_dict()),
        show=lambda: print_summary(result),
    )


# Each builder takes (seed, n_resamples, progress) keywords and returns a DemoPart.
DEMO_PARTS: list[Callable[..., DemoPart]] = [diagnose_part, compare_part, factors_part, noise_part]


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
    check_output_dir(out, force=force)
    notify = progress or (lambda _message: None)
    parts = [build(seed=seed, n_resamples=n_resamples, progress=notify) for build in DEMO_PARTS]
    files: dict[str, str | bytes] = {"README.md": _index(parts)}
    for part in parts:
        files.update({f"{part.folder}/{name}": content for name, content in part.files.items()})
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
    console.print(
        f"(also summary.md and results.json in each folder; index: {out / 'README.md'})",
        soft_wrap=True,
    )


__all__ = [
    "DEFAULT_OUT",
    "DEMO_PARTS",
    "DemoPart",
    "compare_part",
    "diagnose_part",
    "factors_part",
    "noise_part",
    "run_demo",
]
