"""Tests for measurand.io.campaign.read_campaign.

Reference: every expected frame is rebuilt independently from the Python objects written to the
test folders (the standard library's ``json`` is the trusted writer), so a reader that drops,
renames or alters a value fails.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from campaigns import RunFiles, write_campaign_layout
from measurand.errors import InputError
from measurand.io._frames import CANONICAL_SCHEMA, COUNTS_SCHEMA, GENERATIONS_SCHEMA
from measurand.io.campaign import RunData, read_campaign


def write_jsonl(file: Path, records: list[object], *, tail: str = "") -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in records)
    file.write_text(text + tail)


def metric_record(condition: str, seed: int, step: int) -> dict[str, object]:
    """A metrics.jsonl line whose numbers encode (condition, seed, step) so they can be checked."""
    base = (len(condition) * 1000 + seed * 10 + step) / 10_000
    return {
        "step": step,
        "condition": condition,
        "correct_rate": base,
        "mean_reward": base + 0.5,
        "loss": -base,
        "num_datums": 128 - step,
        "sepa_gate_open": step % 2 == 0,
        "custom_score": step * 3,
        "bp_regime": "normal",  # text: ignored
        "histogram": {"a": 1},  # nested: ignored
        "optional": None,  # null: not logged this step
    }


def expected_rows(condition: str, seed: int, steps: list[int]) -> list[dict[str, object]]:
    rows = []
    for step in steps:
        record = metric_record(condition, seed, step)
        for key, value in record.items():
            if key == "step" or isinstance(value, str | dict) or value is None:
                continue
            rows.append(
                {
                    "condition": condition,
                    "seed": str(seed),
                    "task": "",
                    "step": step,
                    "metric": key,
                    "value": float(value),
                }
            )
    return rows


def make_campaign(
    root: Path,
    conditions: list[str],
    seeds: list[int | str],
    steps: list[int],
    *,
    manifest: bool = True,
    log_dir_prefix: str = "/home/someone-else/logs/campaign_20250215_143022/runs",
) -> Path:
    runs = {
        (condition, seed): RunFiles(
            metrics=[metric_record(condition, int(seed), s) for s in steps],
            cmd=f"retrain --seed {seed}",
        )
        for condition in conditions
        for seed in seeds
    }
    return write_campaign_layout(
        root,
        runs,
        manifest=manifest,
        log_dir_prefix=log_dir_prefix,
        timestamp="20250215_143022",
        max_steps=max(steps) + 1,
    )


def canonical(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CANONICAL_SCHEMA)


def sort_keys(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(["condition", "seed", "task", "step", "metric"])


# --------------------------------------------------------------------------- the happy path


def test_manifest_campaign_values_and_order(tmp_path: Path) -> None:
    conditions = ["grpo+none", "maxrl+gtpo_hicra", "maxrl+gtpo_sepa"]
    seeds = [42, 101, 7]
    steps = [0, 1, 2, 4, 7]  # steps 3, 5, 6 never logged
    make_campaign(tmp_path, conditions, seeds, steps)

    data = read_campaign(tmp_path)

    assert isinstance(data, RunData)
    assert data.frame.schema == pl.Schema(CANONICAL_SCHEMA)
    assert data.source == str(tmp_path)
    assert data.warnings == ()
    assert data.conditions() == conditions  # manifest order, not alphabetical
    assert data.seeds("maxrl+gtpo_sepa") == ["42", "101", "7"]
    assert data.metrics() == [
        "correct_rate",
        "mean_reward",
        "loss",
        "num_datums",
        "sepa_gate_open",
        "custom_score",
    ]
    expected = canonical([r for c in conditions for s in seeds for r in expected_rows(c, s, steps)])
    assert_frame_equal(data.frame, expected)  # order too: manifest runs, steps ascending
    gate = data.frame.filter(pl.col("metric") == "sepa_gate_open")
    assert gate["value"].to_list()[:5] == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert data.counts is None and data.generations is None
    with pytest.raises(InputError, match="unknown condition 'nope'"):
        data.seeds("nope")


def test_manifest_string_seed_and_relative_log_dir(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], ["3"], [0, 1])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["runs"][0]["log_dir"] = "runs/a_s3"  # relative to the campaign directory
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    data = read_campaign(tmp_path)
    assert data.seeds("a") == ["3"]
    assert data.frame.height == len(expected_rows("a", 3, [0, 1]))


def test_manifest_condition_wins_over_records_with_warning(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1], [0])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["runs"][0]["condition"] = "renamed"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    data = read_campaign(tmp_path)
    assert data.conditions() == ["renamed"]
    assert any("records say condition 'a'" in w for w in data.warnings)


def test_without_manifest_infers_from_directory_names(tmp_path: Path) -> None:
    conditions = ["maxrl+gtpo_sepa", "maxrl+gtpo"]  # '_s' inside a condition name
    make_campaign(tmp_path, conditions, [42, 101], [0, 1, 2], manifest=False)
    data = read_campaign(tmp_path)
    assert data.warnings == ()
    # runs sorted by directory name
    assert data.conditions() == ["maxrl+gtpo", "maxrl+gtpo_sepa"]
    assert data.seeds("maxrl+gtpo_sepa") == ["101", "42"]
    expected = canonical(
        [r for c in conditions for s in (42, 101) for r in expected_rows(c, s, [0, 1, 2])]
    )
    assert_frame_equal(sort_keys(data.frame), sort_keys(expected))


def test_without_manifest_or_condition_key(tmp_path: Path) -> None:
    for name in ("maxrl+gtpo_sepa_s42", "base_sfirst"):
        records = [{"step": 0, "correct_rate": 0.25}, {"step": 1, "correct_rate": 0.5}]
        write_jsonl(tmp_path / "runs" / name / "metrics.jsonl", records)
    data = read_campaign(tmp_path)
    assert data.conditions() == ["base", "maxrl+gtpo_sepa"]
    assert data.seeds("maxrl+gtpo_sepa") == ["42"]
    assert data.seeds("base") == ["first"]  # seed text, not only digits


def test_seedless_directory_name_uses_records_condition(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "runs" / "trial-A" / "metrics.jsonl",
        [{"step": 0, "condition": "grpo+none", "correct_rate": 0.1}],
    )
    data = read_campaign(tmp_path)
    assert data.conditions() == ["grpo+none"]
    assert data.seeds("grpo+none") == ["trial-A"]
    assert any("seed taken as 'trial-A'" in w for w in data.warnings)


def test_unidentifiable_run_is_left_out_with_warning(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1], [0], manifest=False)
    write_jsonl(tmp_path / "runs" / "mystery" / "metrics.jsonl", [{"step": 0, "x": 1}])
    data = read_campaign(tmp_path)
    assert data.conditions() == ["a"]
    assert any("mystery" in w and "cannot tell condition and seed" in w for w in data.warnings)


def test_directory_of_runs_and_single_run(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a", "b"], [1], [0, 1], manifest=False)
    runs_dir = tmp_path / "runs"
    assert read_campaign(runs_dir).conditions() == ["a", "b"]
    single = read_campaign(runs_dir / "b_s1")
    assert single.conditions() == ["b"] and single.seeds("b") == ["1"]
    assert_frame_equal(single.frame, canonical(expected_rows("b", 1, [0, 1])))


@settings(max_examples=25, deadline=None)
@given(
    condition=st.text(alphabet="ab_s+-1", min_size=1, max_size=10).filter(
        lambda c: not c.startswith((".", "-"))
    ),
    seed=st.integers(min_value=0, max_value=10**6),
)
def test_directory_name_split_property(condition: str, seed: int) -> None:
    """`<condition>_s<digits>` always splits back into the same condition and seed."""
    with tempfile.TemporaryDirectory() as tmp:
        write_jsonl(
            Path(tmp) / "runs" / f"{condition}_s{seed}" / "metrics.jsonl",
            [{"step": 0, "v": 1.0}],
        )
        data = read_campaign(tmp)
        assert data.conditions() == [condition]
        assert data.seeds(condition) == [str(seed)]


# --------------------------------------------------------------------------- robustness


def test_truncated_last_line_is_skipped_with_warning(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1], [0, 1, 2])
    file = tmp_path / "runs" / "a_s1" / "metrics.jsonl"
    with file.open("a") as f:
        f.write('{"step": 3, "correct_rate": 0.4')  # the writer was interrupted
    data = read_campaign(tmp_path)
    assert data.frame["step"].unique().sort().to_list() == [0, 1, 2]
    (warning,) = data.warnings
    assert str(file) in warning and "line 4" in warning


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    file = tmp_path / "runs" / "a_s1" / "metrics.jsonl"
    write_jsonl(file, [{"step": 0, "correct_rate": 0.1}], tail='{"step": 1, "correct_rate": 0.2}')
    data = read_campaign(tmp_path)
    assert data.frame["value"].to_list() == [0.1, 0.2]
    assert data.warnings == ()


def test_malformed_middle_line_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "runs" / "a_s1" / "metrics.jsonl"
    file.parent.mkdir(parents=True)
    file.write_text('{"step": 0, "loss": 1}\n{"step": 1, "loss": \n{"step": 2, "loss": 3}\n')
    with pytest.raises(InputError, match="expected a JSON object") as info:
        read_campaign(tmp_path)
    assert info.value.line == 2
    assert info.value.source == str(file)
    assert f"{file}, line 2" in str(info.value)


def test_non_object_line_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "runs" / "a_s1" / "metrics.jsonl"
    write_jsonl(file, [{"step": 0, "loss": 1}, [1, 2], {"step": 2, "loss": 3}])
    with pytest.raises(InputError, match="expected a JSON object, got list") as info:
        read_campaign(tmp_path)
    assert info.value.line == 2


def test_text_in_known_numeric_key_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "runs" / "a_s1" / "metrics.jsonl"
    write_jsonl(
        file,
        [
            {"step": 0, "correct_rate": 0.5, "note": "text in an unknown key is fine"},
            {"step": 1, "correct_rate": "abc"},
        ],
    )
    with pytest.raises(InputError, match="correct_rate") as info:
        read_campaign(tmp_path)
    assert (info.value.source, info.value.line, info.value.column) == (
        str(file),
        2,
        "correct_rate",
    )
    assert "'abc'" in str(info.value)


@pytest.mark.parametrize("step", ["3", 1.5, None, True])
def test_bad_or_missing_step_is_an_error(tmp_path: Path, step: object) -> None:
    record = {"correct_rate": 0.5} if step is None else {"step": step, "correct_rate": 0.5}
    write_jsonl(tmp_path / "runs" / "a_s1" / "metrics.jsonl", [{"step": 0, "loss": 1}, record])
    with pytest.raises(InputError, match="expected an integer 'step'") as info:
        read_campaign(tmp_path)
    assert info.value.line == 2


def test_integral_float_step_is_accepted(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "runs" / "a_s1" / "metrics.jsonl", [{"step": 5.0, "loss": 1}])
    assert read_campaign(tmp_path).frame["step"].to_list() == [5]


def test_nan_and_inf_are_dropped_with_a_count(tmp_path: Path) -> None:
    file = tmp_path / "runs" / "a_s1" / "metrics.jsonl"
    records = [
        {"step": 0, "loss": float("nan"), "correct_rate": 0.1},
        {"step": 1, "loss": float("inf"), "correct_rate": 0.2},
        {"step": 2, "loss": 0.3, "correct_rate": float("-inf")},
        {"step": 3, "loss": 0.4, "correct_rate": 0.4},
    ]
    write_jsonl(file, records)  # json.dumps writes NaN / Infinity tokens, as Python loggers do
    assert "NaN" in file.read_text()
    data = read_campaign(tmp_path)
    assert data.frame.select(pl.col("value").is_finite().all()).item()
    assert sorted(data.frame["value"].to_list()) == [0.1, 0.2, 0.3, 0.4, 0.4]
    assert data.warnings == (f"{file}: dropped 3 NaN/inf value(s)",)


def test_run_without_metric_lines_is_absent_with_warning(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a", "b"], [1, 2], [0, 1])
    empty = tmp_path / "runs" / "b_s2" / "metrics.jsonl"
    empty.write_text("\n")
    data = read_campaign(tmp_path)
    assert data.seeds("b") == ["1"]
    assert any(str(empty) in w and "no metric lines" in w for w in data.warnings)


def test_duplicate_condition_seed_directories_is_an_error(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "runs" / "a_s1" / "metrics.jsonl", [{"step": 0, "loss": 1}])
    # another directory whose records name the same condition and whose suffix is the same seed
    write_jsonl(
        tmp_path / "runs" / "copy_s1" / "metrics.jsonl",
        [{"step": 0, "condition": "a", "loss": 2}],
    )
    with pytest.raises(InputError, match="two run directories") as info:
        read_campaign(tmp_path)
    message = str(info.value)
    assert str(tmp_path / "runs" / "a_s1") in message
    assert str(tmp_path / "runs" / "copy_s1") in message


def test_duplicate_steps_keep_the_last_line(tmp_path: Path) -> None:
    file = tmp_path / "runs" / "a_s1" / "metrics.jsonl"
    write_jsonl(
        file,
        [
            {"step": 0, "loss": 1.0, "correct_rate": 0.1},
            {"step": 1, "loss": 2.0, "correct_rate": 0.2},
            {"step": 1, "loss": 3.0},  # a restarted run re-logged step 1
        ],
    )
    data = read_campaign(tmp_path)
    step1 = data.frame.filter(pl.col("step") == 1)
    assert step1["metric"].to_list() == ["loss"] and step1["value"].to_list() == [3.0]
    assert data.warnings == (f"{file}: 1 repeated step line(s); the last one of each kept",)


def test_manifest_run_without_directory_warns(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1, 2], [0])
    missing = tmp_path / "runs" / "a_s2"
    for child in missing.iterdir():
        child.unlink()
    missing.rmdir()
    data = read_campaign(tmp_path)
    assert data.seeds("a") == ["1"]
    assert any("'a_s2'" in w and "has no directory" in w for w in data.warnings)


def test_unlisted_run_directory_is_read_with_warning(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1], [0])
    write_jsonl(tmp_path / "runs" / "a_s9" / "metrics.jsonl", [{"step": 0, "loss": 1.0}])
    data = read_campaign(tmp_path)
    assert data.seeds("a") == ["1", "9"]
    assert any("not listed" in w for w in data.warnings)


def test_ragged_runs_are_noted(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1, 2], list(range(10)))
    file = tmp_path / "runs" / "a_s2" / "metrics.jsonl"
    write_jsonl(file, [metric_record("a", 2, s) for s in range(6)])  # stopped early
    data = read_campaign(tmp_path)
    (note,) = data.warnings
    assert "ragged" in note and "last step 5..9" in note


@pytest.mark.parametrize("kind", ["missing", "file", "empty", "only-empty-runs"])
def test_unusable_paths_are_errors(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "campaign"
    if kind == "file":
        target.write_text("{}")
    elif kind == "empty":
        target.mkdir()
    elif kind == "only-empty-runs":
        (target / "runs" / "a_s1").mkdir(parents=True)
        (target / "runs" / "a_s1" / "metrics.jsonl").write_text("")
    with pytest.raises(InputError) as info:
        read_campaign(target)
    assert info.value.source == str(target)


def test_malformed_manifest_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"runs": [')
    with pytest.raises(InputError, match="cannot parse manifest"):
        read_campaign(tmp_path)
    (tmp_path / "manifest.json").write_text('{"runs": [{"seed": 1}]}')
    with pytest.raises(InputError, match=r"runs\[0\]: expected a text 'condition'"):
        read_campaign(tmp_path)


# --------------------------------------------------------------------------- metric selection


def test_metric_selection(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1], [0, 1])
    data = read_campaign(tmp_path, metrics=["correct_rate", "loss"])
    assert set(data.metrics()) == {"correct_rate", "loss"}
    assert data.frame.height == 4
    assert read_campaign(tmp_path, metrics="loss").metrics() == ["loss"]
    with pytest.raises(InputError, match=r"\['nope'\] not found") as info:
        read_campaign(tmp_path, metrics=["loss", "nope"])
    assert "correct_rate" in str(info.value)  # lists what is available


# --------------------------------------------------------------------------- emergence


def test_emergence_counts_and_generations(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1, 2], [0, 1, 2])
    run1 = tmp_path / "runs" / "a_s1" / "emergence"
    write_jsonl(
        run1 / "steps.jsonl",
        [
            {
                "step": 0,
                "mean_reward": 0.2,
                "correct_count": 3,
                "total_count": 16,
                "condition": "a",
            },
            {"step": 2, "mean_reward": 0.4, "correct_count": 7.0, "total_count": 16},
        ],
        tail='{"step": 3, "correct_co',
    )
    write_jsonl(
        run1 / "generations.jsonl",
        [
            {"step": 0, "prompt": "p", "completion": "c", "reward": 1.0, "num_tokens": 5},
            {"step": 0, "prompt": "p", "completion": "c", "reward": 0.5, "num_tokens": 5},
            {"step": 0, "prompt": "p", "completion": "c", "reward": 0.9, "correct": False},
            {"step": 1, "reward": 0.0, "metadata": {"correctness": True}},
            {"step": 1, "reward": 0.0, "metadata": {"correctness": "correct"}},
            {"step": 1, "reward": 0.7, "metadata": {"other": 1}},
            {"step": 2, "prompt": "no reward, no verdict"},
        ],
    )
    data = read_campaign(tmp_path)

    expected_counts = pl.DataFrame(
        {
            "condition": ["a", "a"],
            "seed": ["1", "1"],
            "step": [0, 2],
            "correct_count": [3, 7],
            "total_count": [16, 16],
        },
        schema=COUNTS_SCHEMA,
    )
    assert data.counts is not None
    assert_frame_equal(data.counts, expected_counts)
    # correct: reward 1.0; correctness True; "correct"; reward 0.7 -> 4 of 6 judged completions
    expected_generations = pl.DataFrame(
        {"condition": ["a"], "seed": ["1"], "n_completions": [6], "n_correct": [4]},
        schema=GENERATIONS_SCHEMA,
    )
    assert data.generations is not None
    assert_frame_equal(data.generations, expected_generations)
    assert any("steps.jsonl: line 3 is incomplete" in w for w in data.warnings)
    assert any("1 completion(s) with neither" in w for w in data.warnings)


def test_emergence_bad_counts_are_errors(tmp_path: Path) -> None:
    make_campaign(tmp_path, ["a"], [1], [0])
    steps = tmp_path / "runs" / "a_s1" / "emergence" / "steps.jsonl"
    write_jsonl(steps, [{"step": 0, "correct_count": 9, "total_count": 8}, {"step": 1}])
    with pytest.raises(InputError, match="exceeds total_count") as info:
        read_campaign(tmp_path)
    assert info.value.line == 1
    write_jsonl(steps, [{"step": 0, "correct_count": "x", "total_count": 8}, {"step": 1}])
    with pytest.raises(InputError, match="correct_count") as info:
        read_campaign(tmp_path)
    assert info.value.column == "correct_count"


# --------------------------------------------------------------------------- properties, speed


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.integers(min_value=-3, max_value=20),
            st.dictionaries(st.sampled_from(["loss", "correct_rate", "x/y", "k"]), finite),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_round_trip_property(lines: list[tuple[int, dict[str, float]]]) -> None:
    """Every finite number written comes back exactly; a repeated step keeps its last line."""
    expected: dict[int, dict[str, float]] = {}
    for step, values in lines:
        expected[step] = values
    rows = {(s, k): v for s, values in expected.items() for k, v in values.items()}
    with tempfile.TemporaryDirectory() as tmp:
        write_jsonl(
            Path(tmp) / "runs" / "c_s0" / "metrics.jsonl",
            [{"step": s, **values} for s, values in lines],
        )
        if not rows:
            with pytest.raises(InputError, match="empty campaign"):
                read_campaign(tmp)
            return
        frame = read_campaign(tmp).frame
    got = {(s, k): v for s, k, v in frame.select("step", "metric", "value").iter_rows()}
    assert got == rows
    assert frame["step"].to_list() == sorted(frame["step"].to_list())
    assert all(math.isfinite(v) for v in frame["value"])


def test_forty_runs_of_five_hundred_steps(tmp_path: Path) -> None:
    conditions = ["grpo+none", "maxrl+none", "maxrl+gtpo", "maxrl+gtpo_hicra", "maxrl+gtpo_sepa"]
    make_campaign(tmp_path, conditions, list(range(8)), list(range(500)))
    data = read_campaign(tmp_path)
    assert data.frame.height == 40 * 500 * 6
    assert len(data.conditions()) == 5
