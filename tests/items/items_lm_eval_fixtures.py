"""Writers of lm-evaluation-harness ``--log_samples`` folders, laid out as the harness writes them.

One folder per model (``<output_path>/<model_name_sanitized>/``), a ``results_<stamp>.json`` and
one ``samples_<task>_<stamp>.jsonl`` per task; each line a document record with ``doc_id``,
``doc``, ``target``, ``arguments``, ``resps``, ``filtered_resps``, ``filter``, ``metrics``, the
hashes and the per-document metric values at the top level.
"""

from __future__ import annotations

import json
from pathlib import Path

STAMP = "2024-05-13T13-05-04.123456"


def record(doc_id: int, metrics: dict[str, float], *, filt: str = "none") -> dict:
    return {
        "doc_id": doc_id,
        "doc": {"question": f"q{doc_id}", "choices": ["a", "b"], "answer": 0},
        "target": "0",
        "arguments": {"gen_args_0": {"arg_0": f"Question: q{doc_id}", "arg_1": " a"}},
        "resps": [[["-1.5", "False"]]],
        "filtered_resps": [["-1.5", "False"]],
        "filter": filt,
        "metrics": list(metrics),
        "doc_hash": f"{doc_id:064x}",
        "prompt_hash": f"{doc_id + 1:064x}",
        "target_hash": f"{doc_id + 2:064x}",
        **metrics,
    }


def write_model(
    root: Path,
    model: str,
    task_records: dict[str, list[dict]],
    *,
    stamp: str = STAMP,
) -> Path:
    folder = root / model
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"results_{stamp}.json").write_text(
        json.dumps({"results": {t: {"alias": t} for t in task_records}, "config": {}})
    )
    for task, records in task_records.items():
        lines = "".join(json.dumps(r) + "\n" for r in records)
        (folder / f"samples_{task}_{stamp}.jsonl").write_text(lines)
    return folder
