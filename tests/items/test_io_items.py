from __future__ import annotations

import json

import polars as pl
import pytest
from items_lm_eval_fixtures import record, write_model

from measurand.errors import InputError
from measurand.io.items import read_item_inputs, read_item_table
from measurand.io.lm_eval import read_lm_eval_samples


@pytest.fixture
def two_models(tmp_path):
    write_model(
        tmp_path,
        "org__model-a",
        {
            "arc_easy": [record(i, {"acc": float(i % 2), "acc_norm": 1.0}) for i in range(4)],
            "hellaswag": [record(i, {"acc": 1.0, "acc_norm": 0.0}) for i in range(3)],
        },
    )
    write_model(
        tmp_path,
        "org__model-b",
        {
            "arc_easy": [record(i, {"acc": 1.0, "acc_norm": 0.0}) for i in range(4)],
            "hellaswag": [record(i, {"acc": 0.0, "acc_norm": 1.0}) for i in range(3)],
        },
    )
    return tmp_path


def test_reads_models_tasks_and_first_listed_metric(two_models):
    samples = read_lm_eval_samples(two_models)
    assert samples.metric == "acc"
    assert samples.binarization is None
    frame = samples.frame
    assert frame.columns == ["model", "task", "item", "run", "score"]
    assert frame.schema["run"] == pl.Int64 and frame.schema["score"] == pl.Float64
    assert sorted(samples.models) == ["org__model-a", "org__model-b"]
    assert frame.height == 14
    a = frame.filter((pl.col("model") == "org__model-a") & (pl.col("task") == "arc_easy"))
    assert a.get_column("item").to_list() == ["0", "1", "2", "3"]
    assert a.get_column("score").to_list() == [0.0, 1.0, 0.0, 1.0]
    assert set(frame.get_column("run").to_list()) == {0}


def test_metric_by_name_and_task_filter(two_models):
    samples = read_lm_eval_samples(two_models, metric="acc_norm", tasks=["hellaswag"])
    assert samples.metric == "acc_norm"
    assert samples.tasks == ["hellaswag"]
    assert samples.frame.get_column("score").sum() == 3.0


def test_missing_metric_lists_available_fields(two_models):
    with pytest.raises(InputError, match=r"'exact_match'.*acc, acc_norm") as info:
        read_lm_eval_samples(two_models, metric="exact_match")
    assert info.value.line == 1 and "samples_arc_easy" in str(info.value.source)


def test_unknown_task_is_named(two_models):
    with pytest.raises(InputError, match="mmlu"):
        read_lm_eval_samples(two_models, tasks=["mmlu"])


def test_malformed_line_names_file_and_line(tmp_path):
    folder = write_model(tmp_path, "m", {"t": [record(0, {"acc": 1.0})]})
    path = folder / "samples_t_2024-05-13T13-05-04.123456.jsonl"
    path.write_text(path.read_text() + "\n{not json\n")
    with pytest.raises(InputError) as info:
        read_lm_eval_samples(tmp_path)
    assert info.value.line == 3 and info.value.source == str(path)


def test_record_without_doc_id_and_non_numeric_metric(tmp_path):
    folder = write_model(tmp_path, "m", {"t": [record(0, {"acc": 1.0})]})
    path = next(folder.glob("samples_*"))
    rec = record(1, {"acc": 1.0})
    del rec["doc_id"]
    path.write_text(path.read_text() + json.dumps(rec) + "\n")
    with pytest.raises(InputError, match="doc_id") as info:
        read_lm_eval_samples(tmp_path)
    assert info.value.line == 2
    path.write_text(json.dumps(record(0, {"bleu": ["ref", "pred"]})) + "\n")
    with pytest.raises(InputError, match="not a per-sample number"):
        read_lm_eval_samples(tmp_path, metric="bleu")


def test_repeats_become_runs_in_timestamp_order(tmp_path):
    write_model(tmp_path, "m", {"t": [record(i, {"acc": 0.0}) for i in range(2)]})
    write_model(
        tmp_path,
        "m",
        {"t": [record(i, {"acc": 1.0}) for i in range(2)]},
        stamp="2024-06-01T00-00-00.000001",
    )
    frame = read_lm_eval_samples(tmp_path).frame.sort("item", "run")
    assert frame.get_column("run").to_list() == [0, 1, 0, 1]
    assert frame.get_column("score").to_list() == [0.0, 1.0, 0.0, 1.0]


def test_several_filters_need_a_choice(tmp_path):
    recs = [record(i, {"exact_match": 1.0}, filt="strict-match") for i in range(2)]
    recs += [record(i, {"exact_match": 0.0}, filt="flexible-extract") for i in range(2)]
    write_model(tmp_path, "m", {"gsm8k": recs})
    with pytest.raises(InputError, match="strict-match, flexible-extract"):
        read_lm_eval_samples(tmp_path)
    samples = read_lm_eval_samples(tmp_path, filter_name="flexible-extract")
    assert samples.frame.get_column("score").to_list() == [0.0, 0.0]
    assert samples.filters == {"gsm8k": "flexible-extract"}


def test_threshold_binarizes_and_records_the_rule(tmp_path):
    write_model(tmp_path, "m", {"t": [record(i, {"f1": v}) for i, v in enumerate([0.2, 0.5, 0.9])]})
    samples = read_lm_eval_samples(tmp_path, threshold=0.5)
    assert samples.metric == "f1"
    assert samples.frame.get_column("score").to_list() == [0.0, 1.0, 1.0]
    assert samples.binarization == "score >= 0.5 → 1, else 0"


def test_no_logs_is_an_error(tmp_path):
    with pytest.raises(InputError, match="log_samples"):
        read_lm_eval_samples(tmp_path)


def _table(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_long_table_with_runs_tasks_clusters(tmp_path):
    path = _table(
        tmp_path,
        "model,item,score,run,subject\n"
        "a,1,1,r1,x\na,1,0,r2,x\na,2,1,r1,y\na,2,1,r2,y\n"
        "b,1,0,r1,x\nb,1,0,r2,x\nb,2,true,r1,y\nb,2,1,r2,y\n",
    )
    data = read_item_table(
        path,
        model_col="model",
        item_col="item",
        score_col="score",
        run_col="run",
        cluster_col="subject",
    )
    assert data.has_clusters and data.binary
    frame = data.frame
    assert frame.columns == ["model", "task", "item", "run", "cluster", "score"]
    assert frame.get_column("run").to_list() == [0, 1, 0, 1, 0, 1, 0, 1]
    assert frame.get_column("cluster").to_list()[:3] == ["x", "x", "y"]


def test_long_table_errors_name_line_and_column(tmp_path):
    path = _table(tmp_path, "model,item,score\na,1,1\na,2,oops\n")
    with pytest.raises(InputError, match="oops") as info:
        read_item_table(path, model_col="model", item_col="item", score_col="score")
    assert info.value.line == 3 and info.value.column == "score"
    path = _table(tmp_path, "model,item,score\na,1,1\na,2,nan\n")
    with pytest.raises(InputError, match="finite") as info:
        read_item_table(path, model_col="model", item_col="item", score_col="score")
    assert info.value.line == 3
    path = _table(tmp_path, "model,item,score\na,1,1\na,1,0\n")
    with pytest.raises(InputError, match=r"line 2 and line 3.*--run-col"):
        read_item_table(path, model_col="model", item_col="item", score_col="score")
    with pytest.raises(InputError, match="available columns"):
        read_item_table(path, model_col="model", item_col="nope", score_col="score")


def test_item_in_two_clusters_is_refused(tmp_path):
    path = _table(tmp_path, "model,item,score,c\na,1,1,x\nb,1,0,y\n")
    with pytest.raises(InputError, match="cluster") as info:
        read_item_table(
            path, model_col="model", item_col="item", score_col="score", cluster_col="c"
        )
    assert info.value.line == 3


def test_read_item_inputs_dispatches(two_models, tmp_path):
    data = read_item_inputs([two_models])
    assert data.metric == "acc" and data.models == ["org__model-a", "org__model-b"]
    path = _table(tmp_path, "m,i,s\na,1,0.3\n", name="x.csv")
    with pytest.raises(InputError, match=r"--item-col, --score-col.*m, i, s"):
        read_item_inputs([path], model_col="m")
    data = read_item_inputs([path], model_col="m", item_col="i", score_col="s", threshold=0.25)
    assert data.frame.get_column("score").to_list() == [1.0]
    assert data.binarization.startswith("score >= 0.25")
