"""``measurand report``: several results folders in one self-contained page, plotly once."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from typer.testing import CliRunner

from measurand.cli import app
from measurand.errors import InputError
from measurand.io.output import dumps_json
from measurand.report import Report, report_files
from measurand.report.combine import (
    expand_folders,
    headline_markdown,
    provenance,
    write_combined_report,
)

BUNDLE_MARK = "plotly.js v"  # the banner at the top of the plotly.js bundle


def _folder(root: Path, name: str, *, seed: int, n_figures: int) -> Path:
    report = Report(f"{name.title()}: a test analysis")
    report.preamble.append(f"Input: `{name}.csv`.")
    head = report.section("Headline")
    head.add(f"- {name} is **better** by 1.5 [0.5, 2.5].")
    for i in range(n_figures):
        head.figure(go.Figure(go.Scatter(x=[0, 1, 2], y=[i, i + 1, i * 2], name=f"{name}{i}")))
    report.section("Details").add("| a | b |\n|---|---|\n| x | 1.5 |")
    results = {"tool": f"measurand {name}", "measurand_version": "9.9", "settings": {"seed": seed}}
    folder = root / name
    folder.mkdir()
    for file, content in report_files(report, results).items():
        (folder / file).write_text(content if isinstance(content, str) else content.decode())
    return folder


def test_combined_page_inlines_plotly_once_and_keeps_every_figure(tmp_path: Path) -> None:
    a = _folder(tmp_path, "alpha", seed=7, n_figures=2)
    b = _folder(tmp_path, "beta", seed=3, n_figures=1)
    out = write_combined_report([a, b], tmp_path / "all.html")
    page = out.read_text()
    single = (a / "report.html").stat().st_size
    assert page.count(BUNDLE_MARK) == 1
    assert (a / "report.html").read_text().count(BUNDLE_MARK) == 1
    # one bundle plus a little, not two bundles
    assert single < out.stat().st_size < 1.3 * single
    assert len(re.findall(r'class="plotly-graph-div"', page)) == 3
    assert page.count("Plotly.newPlot") == 3
    # nothing is fetched from the network
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page)
    # contents, headlines, provenance
    assert '<a href="#alpha">Alpha: a test analysis</a>' in page
    assert '<a href="#beta">Beta: a test analysis</a>' in page
    assert "alpha is <strong>better</strong> by 1.5 [0.5, 2.5]." in page
    assert "<code>7</code>" in page and "<code>3</code>" in page  # seeds
    assert "<code>measurand alpha</code>" in page
    assert "<code>measurand</code> 9.9" in page
    # the report titles become analysis headings, their sections one level below
    assert page.count("<h1") == 1
    assert '<h3 id="alpha--headline">Headline</h3>' in page and "<h2>Headline</h2>" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    # the contents link to every section of every analysis
    assert '<a href="#alpha--headline">Headline</a>' in page
    assert '<h3 id="beta--details">Details</h3>' in page
    for target in re.findall(r'href="#([^"]+)"', page):
        assert target in ids, target


def test_a_demo_like_folder_expands_to_its_results_folders(tmp_path: Path) -> None:
    _folder(tmp_path, "b", seed=0, n_figures=1)
    _folder(tmp_path, "a", seed=0, n_figures=0)
    (tmp_path / "README.md").write_text("index")
    assert [p.name for p in expand_folders([tmp_path])] == ["a", "b"]
    # the same folder twice is combined once
    assert [p.name for p in expand_folders([tmp_path / "a", tmp_path / "a"])] == ["a"]


def test_folder_without_report_html_uses_its_summary(tmp_path: Path) -> None:
    folder = tmp_path / "mdonly"
    folder.mkdir()
    (folder / "summary.md").write_text("# Only text\n\n## Summary\n\n- it **works**\n")
    (folder / "results.json").write_text(dumps_json({"seed": 11, "command": ["measurand", "x"]}))
    page = write_combined_report([folder], tmp_path / "o.html").read_text()
    assert BUNDLE_MARK not in page  # no figures, no bundle
    assert "it <strong>works</strong>" in page
    assert "<code>measurand x</code>" in page and "<code>11</code>" in page


def test_refuses_overwrite_and_bad_folders(tmp_path: Path) -> None:
    a = _folder(tmp_path, "alpha", seed=0, n_figures=0)
    out = tmp_path / "x.html"
    out.write_text("keep me")
    with pytest.raises(InputError, match="--force"):
        write_combined_report([a], out)
    assert out.read_text() == "keep me"
    write_combined_report([a], out, force=True)
    assert "Alpha" in out.read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="not a results folder"):
        write_combined_report([empty], tmp_path / "y.html")
    with pytest.raises(InputError, match="no such folder"):
        write_combined_report([tmp_path / "missing"], tmp_path / "y.html")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        write_combined_report([bad], tmp_path / "z.html")


def test_headline_and_provenance_readers() -> None:
    md = "# T\n\nIntro line.\n\n## Data\n\n- d\n\n## Headline\n\n- h1\n- h2\n\n## More\n"
    assert headline_markdown(md) == "- h1\n- h2"
    assert headline_markdown("# T\n\nFirst paragraph.\n\nSecond.\n") == "First paragraph."
    prov = provenance(
        {"provenance": {"command": "measurand compare x", "versions": {"numpy": "2"}, "seed": 5}}
    )
    assert prov["command"] == "measurand compare x"
    assert prov["versions"] == {"numpy": "2"} and prov["seed"] == 5
    assert provenance({"seed": 4, "settings": {"seed": 9}})["seed"] == 4


def test_cli_report_writes_the_page_and_exits_2_on_bad_input(tmp_path: Path) -> None:
    _folder(tmp_path, "alpha", seed=0, n_figures=1)
    out = tmp_path / "team.html"
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "combined 1 report(s)" in result.output
    assert "measurand report" in out.read_text()  # the command that combined it
    again = runner.invoke(app, ["report", str(tmp_path / "alpha"), "--out", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.output


def test_combined_demo_report_is_at_most_6_mb_with_every_figure(demo_dir: Path) -> None:
    folders = expand_folders([demo_dir])
    assert {p.name for p in folders} >= {"diagnose", "compare", "factors", "noise"}
    pages = [(f / "report.html").read_text() for f in folders]
    n_figures = sum(p.count('class="plotly-graph-div"') for p in pages)
    n_draws = sum(p.count("Plotly.newPlot(") for p in pages)
    out = write_combined_report([demo_dir], demo_dir.parent / "combined.html")
    page = out.read_text()
    assert page.count('class="plotly-graph-div"') == n_figures > 0
    # every figure script survives (some hold more data than 100 kB)
    assert page.count("Plotly.newPlot(") == n_draws == n_figures
    assert page.count(BUNDLE_MARK) == 1
    assert out.stat().st_size <= 6_000_000


def test_in_memory_parts_give_the_same_page_as_the_written_folders(tmp_path: Path) -> None:
    from measurand.report.combine import combined_html_from_files

    a = _folder(tmp_path, "alpha", seed=1, n_figures=1)
    b = _folder(tmp_path, "beta", seed=2, n_figures=2)
    parts = {f.name: {p.name: p.read_bytes() for p in f.iterdir()} for f in (a, b)}
    page = combined_html_from_files(parts, title="demo", command="measurand demo --seed 1")
    assert page.count(BUNDLE_MARK) == 1
    assert page.count('class="plotly-graph-div"') == 3
    assert '<a href="#alpha">' in page and '<a href="#beta">' in page
    assert "<code>measurand demo --seed 1</code>" in page  # no command in results.json
