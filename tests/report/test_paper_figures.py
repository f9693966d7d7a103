"""``--pdf``: every verb's main figures as paper PDFs, drawn from the results' own data."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from measurand.errors import InputError
from measurand.report.pdf import VERBS, paper_figures, paper_files

TASKS = ("arith", "reading", "trivia")  # the items demo's tasks
EXPECTED = {
    "diagnose": {"diagnose_histogram.pdf", "diagnose_auc.pdf"},
    "compare": {
        "compare_curves.pdf",
        "compare_effects.pdf",
        "compare_aggregates.pdf",
        "compare_profile.pdf",
    },
    "factors": {"factors_scree.pdf", "factors_loadings.pdf", "factors_leaderboard.pdf"},
    "noise": {"noise_snr.pdf", "noise_ceiling.pdf", "noise_seeds.pdf"},
    "irt": {"irt_icc.pdf", "irt_slope_difficulty.pdf", "irt_abilities.pdf"},
    "items": {
        *(f"items_{kind}_{task}.pdf" for kind in ("pairs", "ranks") for task in TASKS),
        "items_cd.pdf",
    },
}


def _results(demo_dir: Path, verb: str) -> dict[str, Any]:
    return json.loads((demo_dir / verb / "results.json").read_text())


def _font_files(pdf: bytes) -> list[bytes]:
    """The embedded font programs' keys (FontFile, FontFile2, FontFile3) of a PDF."""
    return re.findall(rb"/FontFile[23]?\b", pdf)


_DRAWN: dict[str, dict[str, bytes]] = {}


def _drawn(demo_dir: Path, verb: str) -> dict[str, bytes]:
    """Each verb's figures drawn once for the checks below (drawing is the slow part)."""
    if verb not in _DRAWN:
        _DRAWN[verb] = paper_figures(verb, _results(demo_dir, verb))
    return _DRAWN[verb]


# the demo has no plan part: plan's PDF is checked from its own run below
DEMO_VERBS = tuple(v for v in VERBS if v != "plan")


@pytest.mark.parametrize("verb", DEMO_VERBS)
def test_each_verb_writes_valid_pdfs_with_embedded_fonts(demo_dir: Path, verb: str) -> None:
    figures = _drawn(demo_dir, verb)
    assert set(figures) == EXPECTED[verb]
    for name, pdf in figures.items():
        assert pdf.startswith(b"%PDF-"), name
        assert pdf.rstrip().endswith(b"%%EOF"), name
        # TrueType (Type 42) fonts are embedded, never referenced or drawn as Type 3 glyphs
        assert b"/FontFile2" in pdf, name
        assert b"/Subtype /Type3" not in pdf, name
        assert len(_font_files(pdf)) >= 1
        # no creation date: the same data gives the same bytes
        assert b"/CreationDate" not in pdf


@pytest.mark.parametrize("verb", DEMO_VERBS)
def test_identical_input_gives_identical_bytes(demo_dir: Path, verb: str) -> None:
    data = json.loads(json.dumps(_results(demo_dir, verb)))
    assert paper_figures(verb, data) == _drawn(demo_dir, verb)


def test_a_result_object_and_its_json_give_the_same_pdfs(demo_dir: Path) -> None:
    class Result:
        def to_dict(self) -> dict[str, Any]:
            return _results(demo_dir, "factors")

    assert paper_figures("factors", Result()) == _drawn(demo_dir, "factors")
    assert paper_files("factors", Result(), False) == {}
    assert set(paper_files("factors", Result(), True)) == EXPECTED["factors"]


def test_unknown_verb_is_an_input_error() -> None:
    with pytest.raises(InputError, match="diagnose, compare, factors, noise, irt, items"):
        paper_figures("nope", {})


def _capture(monkeypatch: pytest.MonkeyPatch, module: str) -> list[Any]:
    """Keep the matplotlib figures a paper module draws (instead of closing them)."""
    import importlib

    import matplotlib.pyplot as plt

    mod = importlib.import_module(f"measurand.report.pdf.{module}")
    kept: list[Any] = []

    def keep(fig: Any) -> bytes:
        kept.append(fig)
        return b"%PDF-"

    monkeypatch.setattr(mod, "pdf_bytes", keep)
    monkeypatch.setattr(plt, "close", lambda *a, **k: None)
    return kept


def _dots(ax: Any) -> list[tuple[float, float]]:
    """(x, y) of the single-point 'o' markers (the estimates) on an axis."""
    return [
        (float(line.get_xdata()[0]), float(line.get_ydata()[0]))
        for line in ax.get_lines()
        if line.get_marker() == "o" and len(line.get_xdata()) == 1
    ]


def test_compare_effects_draw_the_cohens_d_of_each_task(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figs = _capture(monkeypatch, "compare")
    data = _results(demo_dir, "compare")
    paper_figures("compare", data)
    effects = figs[1].axes[0]  # curves, effects, aggregates, profile
    rows = data["significance"]["comparisons"]
    drawn = sorted(_dots(effects), key=lambda p: -p[1])  # first row on top
    assert [x for x, _ in drawn] == pytest.approx([r["cohens_d"] for r in rows])
    labels = [t.get_text() for t in effects.get_yticklabels()]
    assert labels == [f"value / {r['task']}" for r in rows]


def test_noise_snr_marks_intervals_whose_lower_end_is_not_positive(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figs = _capture(monkeypatch, "noise")
    data = _results(demo_dir, "noise")
    paper_figures("noise", data)
    ax = figs[0].axes[0]
    floors = data["matrix"]["floors"]
    assert sorted(x for x, _ in _dots(ax)) == pytest.approx(sorted(floors["snr"]))
    arrows = [line for line in ax.get_lines() if line.get_marker() == "<"]
    n_nonpositive = sum(1 for low in floors["snr_low"] if low <= 0)
    assert n_nonpositive > 0  # the demo has such intervals: the check below means something
    assert len(arrows) == n_nonpositive
    assert ax.get_xscale() == "log"


def test_factors_scree_draws_the_observed_eigenvalues(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figs = _capture(monkeypatch, "factors")
    data = _results(demo_dir, "factors")
    paper_figures("factors", data)
    observed = figs[0].axes[0].get_lines()[0]
    assert list(observed.get_ydata()) == pytest.approx(data["parallel_analysis"]["observed"])


def test_pdf_text_is_text_not_outlines(demo_dir: Path) -> None:
    """Labels are drawn with text operators (editable, searchable), not as glyph paths."""
    pdf = paper_figures("factors", _results(demo_dir, "factors"))["factors_loadings.pdf"]
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    text = b"".join(_inflate(s) for s in streams)
    assert b"Tj" in text or b"TJ" in text


def _inflate(stream: bytes) -> bytes:
    try:
        return zlib.decompress(stream)
    except zlib.error:
        return b""


def test_cli_pdf_flag_writes_the_figures_beside_the_report(tmp_path: Path) -> None:
    import numpy as np
    from typer.testing import CliRunner

    from measurand.cli import app

    rng = np.random.default_rng(0)
    theta = rng.normal(size=60)
    lines = ["id,a,b,c,d,e"]
    for i, t in enumerate(theta):
        cells = 0.8 * t + 0.5 * rng.normal(size=5)
        lines.append(f"m{i}," + ",".join(f"{v:.4f}" for v in cells))
    table = tmp_path / "matrix.csv"
    table.write_text("\n".join(lines) + "\n")
    args = ["factors", str(table), "--id-col", "id", "--resamples", "50"]
    runner = CliRunner()
    with_pdf = runner.invoke(app, [*args, "--out", str(tmp_path / "with"), "--pdf"])
    assert with_pdf.exit_code == 0, with_pdf.output
    written = {p.name for p in (tmp_path / "with").iterdir()}
    assert EXPECTED["factors"] <= written
    without = runner.invoke(app, [*args, "--out", str(tmp_path / "without")])
    assert without.exit_code == 0, without.output
    assert not any(p.suffix == ".pdf" for p in (tmp_path / "without").iterdir())
    # the PDFs draw the results the folder records
    data = json.loads((tmp_path / "with" / "results.json").read_text())
    pdfs = {n: (tmp_path / "with" / n).read_bytes() for n in EXPECTED["factors"]}
    assert paper_figures("factors", data) == pdfs


def test_compare_all_pairs_draws_every_pair_with_its_verdict_colour(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from measurand.report.paper import PALETTE

    data = _results(demo_dir, "compare")
    data["significance"] = None
    data["multiple"] = {
        "frame": [
            {
                "metric": "m",
                "task": "t",
                "baseline": "A",
                "candidate": "B",
                "delta": 2.0,
                "ci_low": 1.0,
                "ci_high": 3.0,
                "verdict": "significant_improvement",
            },
            {
                "metric": "m",
                "task": "t",
                "baseline": "A",
                "candidate": "C",
                "delta": -2.0,
                "ci_low": -3.0,
                "ci_high": -1.0,
                "verdict": "significant_degradation",
            },
            {
                "metric": "m",
                "task": "t",
                "baseline": "B",
                "candidate": "C",
                "delta": 0.5,
                "ci_low": -1.0,
                "ci_high": 2.0,
                "verdict": "insufficient_evidence",
            },
        ]
    }
    assert "compare_pairs.pdf" in paper_figures("compare", data)
    figs = _capture(monkeypatch, "compare")
    paper_figures("compare", data)
    ax = figs[1].axes[0]
    dots = sorted(_dots(ax), key=lambda p: -p[1])
    assert [x for x, _ in dots] == [2.0, -2.0, 0.5]
    colours = [
        line.get_color()
        for line in sorted(
            (ln for ln in ax.get_lines() if ln.get_marker() == "o"),
            key=lambda ln: -ln.get_ydata()[0],
        )
    ]
    assert colours == [PALETTE[2], PALETTE[3], "#7f7f7f"]


def test_irt_abilities_draw_the_top_30_scores_with_their_intervals(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figs = _capture(monkeypatch, "irt")
    data = _results(demo_dir, "irt")
    paper_figures("irt", data)
    ax = figs[2].axes[0]  # icc, slope vs difficulty, abilities
    top = sorted(data["subjects"], key=lambda r: r["rank"])[:30]
    assert len(data["subjects"]) > 30  # the cut means something
    drawn = sorted(_dots(ax), key=lambda p: -p[1])
    assert [x for x, _ in drawn] == pytest.approx([r["score"] for r in top])
    assert [t.get_text() for t in ax.get_yticklabels()] == [r["subject"] for r in top]
    # each interval is score ± 1.959964 SE
    spans = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2]
    widths = sorted(float(ln.get_xdata()[1] - ln.get_xdata()[0]) for ln in spans)
    assert widths == pytest.approx(sorted(2 * 1.959963984540054 * r["score_se"] for r in top))


def test_irt_curves_are_the_fitted_item_response_functions(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    figs = _capture(monkeypatch, "irt")
    data = _results(demo_dir, "irt")
    paper_figures("irt", data)
    lines = figs[0].axes[0].get_lines()
    items = data["items"]
    flagged = [r for r in items if r["flag"]]
    assert len(flagged) >= 3 and len(lines) == 6
    # three flagged items first, then the three most discriminating of the rest
    rest = sorted((r for r in items if r not in flagged[:3]), key=lambda r: -r["discrimination"])
    chosen = flagged[:3] + rest[:3]
    a = np.array([r["a"] for r in items])
    w = a.mean(axis=0) / np.linalg.norm(a.mean(axis=0))  # the mean slope direction
    for line, row in zip(lines, chosen, strict=True):
        grid = np.asarray(line.get_xdata())
        expected = row["c"] + (1 - row["c"]) / (
            1 + np.exp(-(grid * (np.array(row["a"]) @ w) + row["d"]))
        )
        assert np.asarray(line.get_ydata()) == pytest.approx(expected, abs=1e-12)
        assert line.get_label().startswith(row["item"])
    # slope vs difficulty: every item with finite values, flagged ones in their own series
    scatter = figs[1].axes[0].collections
    offsets = np.concatenate([c.get_offsets() for c in scatter])
    assert data["fit"]["n_dims"] > 1  # so the y axis is the discrimination ‖a‖
    expected_points = sorted((r["difficulty"], r["discrimination"]) for r in items)
    drawn_points = sorted((float(x), float(y)) for x, y in offsets)
    assert np.array(drawn_points) == pytest.approx(np.array(expected_points))
    flagged_points = sorted((float(x), float(y)) for x, y in scatter[1].get_offsets())
    assert np.array(flagged_points) == pytest.approx(
        np.array(sorted((r["difficulty"], r["discrimination"]) for r in flagged))
    )


def test_items_forest_and_cd_diagram_draw_the_results(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from measurand.report.paper import PALETTE

    figs = _capture(monkeypatch, "items")
    data = _results(demo_dir, "items")
    paper_figures("items", data)
    task = data["tasks"][0]
    forest = figs[0].axes[0]  # pairs, ranks per task, then the CD diagram
    pairs = sorted(task["pairs"], key=lambda p: -abs(p["difference"]))
    drawn = sorted(
        (ln for ln in forest.get_lines() if ln.get_marker() == "o"),
        key=lambda ln: -ln.get_ydata()[0],
    )
    assert [float(ln.get_xdata()[0]) for ln in drawn] == pytest.approx(
        [p["difference"] for p in pairs]
    )
    assert [ln.get_color() for ln in drawn] == [
        PALETTE[2] if p["pvalue_fwer"] < 0.05 else "#7f7f7f" for p in pairs
    ]
    ranks = figs[1].axes[0]
    models = sorted(task["models"], key=lambda r: (r["rank"], r["model"]))
    assert [t.get_text() for t in ranks.get_yticklabels()] == [r["model"] for r in models]
    cd = figs[-1].axes[0]
    friedman = data["across_tasks"]["friedman"]
    assert sorted(x for x, _ in _dots(cd)) == pytest.approx(sorted(friedman["average_rank"]))
    texts = " ".join(t.get_text() for t in cd.texts)
    assert f"CD = {friedman['critical_difference']:.2f}" in texts


def test_items_cli_pdf_flag_and_simulate_no_pdf(tmp_path: Path) -> None:
    from importlib import resources

    from typer.testing import CliRunner

    from measurand.cli import app

    runner = CliRunner()
    with resources.as_file(resources.files("measurand") / "data" / "items_example.csv.gz") as f:
        args = ["items", str(f), "--model-col", "model", "--item-col", "item"]
        args += ["--score-col", "correct", "--task-col", "task", "--run-col", "run"]
        args += ["--resamples", "200"]
        done = runner.invoke(app, [*args, "--out", str(tmp_path / "items"), "--pdf"])
    assert done.exit_code == 0, done.output
    data = json.loads((tmp_path / "items" / "results.json").read_text())
    pdfs = {p.name: p.read_bytes() for p in (tmp_path / "items").glob("*.pdf")}
    assert pdfs == paper_figures("items", data)
    assert "items_cd.pdf" in pdfs
    sim = ["simulate", "closedform", "--synthetic", "d=4,n_per_layer=10", "--fast"]
    done = runner.invoke(app, [*sim, "--out", str(tmp_path / "sim"), "--no-pdf"])
    assert done.exit_code == 0, done.output
    assert not list((tmp_path / "sim").glob("*.pdf"))
    assert (tmp_path / "sim" / "manifest.json").is_file()


def test_irt_cli_pdf_flag_writes_the_figures_of_its_results(tmp_path: Path) -> None:
    from importlib import resources

    from typer.testing import CliRunner

    from measurand.cli import app

    out = tmp_path / "irt"
    with resources.as_file(resources.files("measurand") / "data" / "irt_demo_responses.csv") as f:
        args = ["irt", str(f), "--id-col", "model", "--model", "2pl", "--dims", "1"]
        done = CliRunner().invoke(app, [*args, "--heldout", "0", "--out", str(out), "--pdf"])
    assert done.exit_code == 0, done.output
    data = json.loads((out / "results.json").read_text())
    pdfs = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    assert set(pdfs) == EXPECTED["irt"]
    assert pdfs == paper_figures("irt", data)


def test_plan_power_curves_match_statsmodels_and_cross_the_target_at_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    from scipy import stats
    from statsmodels.stats.power import TTestPower
    from typer.testing import CliRunner

    from measurand.cli import app
    from measurand.report.pdf.plan import power_curves

    out = tmp_path / "plan"
    argv = ["plan", "--sd", "0.45", "--mde", "0.05", "--design-effect", "1.5"]
    done = CliRunner().invoke(app, [*argv, "--out", str(out), "--pdf"])
    assert done.exit_code == 0, done.output
    data = json.loads((out / "results.json").read_text())
    assert (out / "plan_power.pdf").read_bytes() == paper_figures("plan", data)["plan_power.pdf"]
    (curve,) = power_curves(data)
    n_items = data["rows"][0]["items"]["n_items"]
    for n, power in list(zip(curve["n"], curve["power"], strict=True))[::15]:
        # R's power.t.test (the upper tail, as the plan solves for n) on n / design effect
        df, ncp = n / 1.5 - 1, 0.05 / 0.45 * np.sqrt(n / 1.5)
        ref = stats.nct.sf(stats.t.ppf(0.975, df), df, ncp)
        assert power == pytest.approx(ref, rel=1e-6)
        if n / 1.5 > 30:  # where the lower tail is negligible, statsmodels' two-tailed power
            both = TTestPower().power(effect_size=0.05 / 0.45, nobs=n / 1.5, alpha=0.05)
            assert power == pytest.approx(both, abs=1e-4)
    assert np.interp(n_items, curve["n"], curve["power"]) == pytest.approx(0.8, abs=0.01)
    figs = _capture(monkeypatch, "plan")
    paper_figures("plan", data)
    drawn = figs[0].axes[0].get_lines()[0]
    assert list(drawn.get_ydata()) == pytest.approx(curve["power"])
    assert "Power against items" in (out / "report.html").read_text()
    # --pdf needs a folder to write into
    assert CliRunner().invoke(app, [*argv, "--pdf"]).exit_code == 2
