"""Every page ``measurand demo`` writes, and the combined report, in headless Chromium:
no console errors, every plotly figure drawn with data, a screenshot per page kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_cdp import Browser, PageLoad

VERBS = ("diagnose", "compare", "factors", "noise")


@pytest.fixture(scope="session")
def demo_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every HTML page of a demo folder plus a combined report of it, by relative name."""
    from measurand.cli.demo import run_demo
    from measurand.report.combine import write_combined_report

    out = tmp_path_factory.mktemp("browser-demo") / "demo"
    run_demo(out, seed=0, n_resamples=200)
    pages = {str(p.relative_to(out)): p for p in sorted(out.rglob("*.html"))}
    combined = write_combined_report([out], out.parent / "combined.html")
    pages["combined.html"] = combined
    return pages


@pytest.fixture(scope="session")
def loads(browser: Browser, demo_pages: dict[str, Path], artifacts: Path) -> dict[str, PageLoad]:
    loaded = {}
    for name, path in demo_pages.items():
        load = browser.load(path.resolve().as_uri())
        stem = name.replace("/", "__").removesuffix(".html")
        for i, png in enumerate(load.screenshots):
            (artifacts / (f"{stem}.png" if i == 0 else f"{stem}.{i + 1}.png")).write_bytes(png)
        loaded[name] = load
    summary = {
        name: {"height_px": ld.height, "errors": ld.errors, "figures": ld.figures}
        for name, ld in loaded.items()
    }
    (artifacts / "pages.json").write_text(json.dumps(summary, indent=1))
    return loaded


def test_every_demo_page_and_the_combined_report_are_loaded(loads: dict[str, PageLoad]) -> None:
    assert {f"{verb}/report.html" for verb in VERBS} | {"combined.html"} <= set(loads)


def test_no_console_errors(loads: dict[str, PageLoad]) -> None:
    errors = {name: ld.errors for name, ld in loads.items() if ld.errors}
    assert not errors, json.dumps(errors, indent=1)


def test_every_figure_div_holds_rendered_plot_data(loads: dict[str, PageLoad]) -> None:
    for name, load in loads.items():
        assert load.figures, f"{name}: no plotly figure on the page"
        for fig in load.figures:
            assert fig["plotted"] and fig["svg"], f"{name}: figure {fig} was not drawn"
            assert fig["traces"] > 0 and fig["drawn"] > 0, f"{name}: figure {fig} has no data"
    # the combined page draws every figure of the reports it combines
    per_report = sum(len(ld.figures) for n, ld in loads.items() if n.endswith("/report.html"))
    assert len(loads["combined.html"].figures) == per_report


def test_a_screenshot_per_page_is_kept(loads: dict[str, PageLoad], artifacts: Path) -> None:
    for name, load in loads.items():
        png = artifacts / (name.replace("/", "__").removesuffix(".html") + ".png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(load.screenshot) > 10_000  # not a blank page


def test_a_broken_page_is_caught(browser: Browser, tmp_path: Path) -> None:
    """The checks above can fail: a script error and an undrawn figure div are reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<html><body><div class="plotly-graph-div" id="x"></div>'
        "<script>console.error('boom'); undefinedFunction();</script></body></html>"
    )
    load = browser.load(page.as_uri(), timeout=3)
    assert any("boom" in e for e in load.errors)
    assert any("undefinedFunction" in e for e in load.errors)
    assert load.figures and not load.figures[0]["svg"]
