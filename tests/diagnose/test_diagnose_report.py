"""Tests of measurand.report.diagnose: sections, sentences, tables and figures of the report.

References: the numbers in the text are those of the DiagnoseResult (checked against independent
computations in test_workflow.py); here the report must state them correctly — the zero-event
sentence "0 of 254 wrong examples are settled: at most 1.17% at 95%", the mirrored AUC
``1 - AUC`` of a signal where low values go with correct, the histogram counts per class.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from measurand.diagnose import diagnose
from measurand.report.diagnose import diagnose_report


@pytest.fixture(scope="module")
def zero_b():
    """254 wrong examples, none settled: B = 0."""
    rng = np.random.default_rng(0)
    label = np.r_[np.ones(700), np.zeros(254)].astype(np.int8)
    drift = np.where(label == 1, 1e-6, 1e-2)[:, None] * 10 ** rng.normal(0, 0.2, (954, 8))
    return {"correct": label, "drift": drift, "other": label ^ (rng.random(954) < 0.1)}


@pytest.fixture(scope="module")
def result(zero_b):
    return diagnose(
        zero_b,
        label="correct",
        signals={"d": "drift|last:4|mean|log10:1e-12", "drift|max": "drift|max"},
        paired_label="other",
        n_resamples=300,
        seed=0,
    )


def test_sections_in_order(result):
    report = diagnose_report(result, source="run.npz")
    titles = [s.title for s in report.sections]
    assert titles[0] == "Headline"
    assert titles[1].startswith("AUC")
    assert titles[2].startswith("Median signal")
    assert titles[3] == "Threshold and 2x2 cells: `d`"
    assert titles[4].startswith("Robustness")
    assert titles[5] == "Paired comparison"
    assert titles[-1] == "Settings"
    assert "Input: `run.npz`" in report.to_markdown()


def test_zero_event_sentence(result):
    text = diagnose_report(result).to_markdown()
    assert result.cells["B"].count == 0
    assert "0 of 254 wrong examples are settled: at most 1.17% at 95%" in text
    assert "0% [≤ 1.17%]" in text  # the table cell


def test_low_values_predict_correct_are_restated(result):
    entry = result.auc_of("d")
    assert entry.auc < 0.5
    text = diagnose_report(result).to_markdown()
    low, high = entry.bootstrap_ci
    assert f"AUC(−`d` → correct) = {1 - entry.auc:.4f}" in text
    assert f"[{1 - high:.4g}, {1 - low:.4g}]" in text
    assert "lower values go with correct answers" in text


def test_pipes_in_names_are_escaped_in_tables(result):
    lines = diagnose_report(result).to_markdown().splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("| `drift\\|max`")]
    assert len(rows) == 3  # AUC, medians, robustness tables
    for i in rows:
        table_start = i
        while lines[table_start - 1].startswith("|"):
            table_start -= 1
        header = lines[table_start]
        cells = re.split(r"(?<!\\)\|", lines[i].strip().strip("|"))
        assert len(cells) == header.count("|") - 1


def test_histogram_figure_matches_the_result(result):
    report = diagnose_report(result)
    cells_section = report.sections[3]
    histogram, heatmap = cells_section.figures
    correct, wrong = histogram.data
    assert list(correct.y) == list(result.histogram.counts_correct)
    assert list(wrong.y) == list(result.histogram.counts_wrong)
    assert sum(correct.y) == result.n_correct and sum(wrong.y) == result.n_wrong
    assert histogram.layout.shapes[0].x0 == pytest.approx(result.cells.threshold)
    assert np.array(heatmap.data[0].z).tolist() == [
        [result.cells["A"].count, result.cells["C"].count],
        [result.cells["B"].count, result.cells["D"].count],
    ]
    html = report.to_html()
    assert html.count('class="plotly-graph-div"') == 2
    assert "2x2 cells" in html


def test_single_class_and_no_intervals_render(zero_b):
    res = diagnose(
        zero_b, label=np.ones(954, dtype=bool), signals=["drift|max"], ci_methods=(), n_resamples=50
    )
    text = diagnose_report(res).to_markdown()
    assert "is undefined: a class is empty" in text
    assert "## Warnings" in text
    assert "AUC intervals: none" in text
    diagnose_report(res).to_html()


def test_unsettled_direction_reads_the_same_in_headline_and_table() -> None:
    import numpy as np

    from measurand.diagnose import diagnose
    from measurand.report.diagnose import diagnose_report

    rng = np.random.default_rng(5)
    label = (rng.random(400) < 0.6).astype(int)
    signal = rng.normal(size=(400, 4)).max(axis=1)  # unrelated to the label
    result = diagnose(
        {"y": label, "s": signal}, label="y", signals={"s": "s"}, n_resamples=2000, seed=0
    )
    (auc,) = result.auc
    assert auc.bootstrap_ci.low < 0.5 < auc.bootstrap_ci.high
    lines = diagnose_report(result).to_markdown().splitlines()
    unsettled = [line for line in lines if "direction not settled" in line]
    assert any(line.startswith("- AUC(") for line in unsettled)  # headline
    assert any(line.startswith("| `s` |") for line in unsettled)  # AUC table row
    assert not any("lower values go with correct" in line for line in lines)
