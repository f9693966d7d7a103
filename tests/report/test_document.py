import json
from pathlib import Path

import plotly.graph_objects as go

from measurand.report import Report, md_table, write_report


def test_md_table_formats_floats_and_missing() -> None:
    text = md_table(["a", "b"], [["x", 0.123456], ["y", None], ["z", float("nan")]])
    assert text.splitlines() == [
        "| a | b |",
        "|---|---|",
        "| x | 0.1235 |",
        "| y | – |",
        "| z | – |",
    ]


def test_report_renders_markdown_and_self_contained_html(tmp_path: Path) -> None:
    rep = Report("Title <x>")
    sec = rep.section("AUC")
    sec.add("- **bold** `code`").add(md_table(["k", "v"], [["auc", 0.75]]))
    sec.figure(go.Figure(go.Scatter(x=[0, 1], y=[1, 0])))
    md = rep.to_markdown()
    assert md.startswith("# Title &lt;x>\n") and "## AUC" in md and "| auc | 0.75 |" in md
    html = rep.to_html()
    assert "<title>Title &lt;x&gt;</title>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<td>0.75</td>" in html
    assert "Plotly.newPlot" in html and "cdn.plot.ly" not in html.split("<body>")[1]
    written = write_report(tmp_path / "out", rep, {"auc": 0.75})
    assert json.loads(Path(written["json"]).read_text()) == {"auc": 0.75}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.html",
        "results.json",
        "summary.md",
    ]


def test_cli_version_and_verbs() -> None:
    from typer.testing import CliRunner

    from measurand import __version__
    from measurand.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).output.strip() == f"measurand {__version__}"
    listing = runner.invoke(app, ["--help"]).output
    for verb in ("demo", "diagnose", "compare", "factors", "noise"):
        assert verb in listing
