"""The packaged example data: loaders, labels (real/synthetic), and the campaign's provenance."""

from __future__ import annotations

import filecmp
import importlib.util
from pathlib import Path

from typer.testing import CliRunner

from measurand import datasets
from measurand.cli import app
from measurand.cli.datasets import CATALOGUE
from measurand.io.campaign import read_campaign

REPO = Path(__file__).resolve().parents[1]


def test_loaders_return_the_documented_shapes() -> None:
    dopamine = datasets.dopamine_subset()
    assert dopamine.frame.height == 17_910 and dopamine.source.startswith("measurand/data/")
    assert sorted(dopamine.conditions()) == ["C51", "DQN", "Rainbow"]
    matrix = datasets.obsscaling_benchmarks()
    assert matrix.shape == (148, 7) and matrix.source.startswith("measurand/data/")
    arrays = datasets.diagnose_example()
    assert arrays["exact_correct"].shape == (2048,) and arrays["drift_zH"].shape == (2048, 16)
    responses = datasets.irt_responses()
    assert (responses.n_subjects, responses.n_items) == (40, 299)  # one constant item: excluded


def test_every_catalogued_dataset_has_its_loader() -> None:
    for name in CATALOGUE:
        assert callable(getattr(datasets, name)), name
    items = datasets.items_example()
    assert items.frame.get_column("model").n_unique() == 5


def test_synthetic_campaign_reads_and_is_labelled() -> None:
    root = datasets.synthetic_campaign()
    data = read_campaign(root)
    assert len(data.conditions()) == 5 and data.seeds("grpo+none") == ["42", "101", "202", "303"]
    assert {"correct_rate", "mean_reward", "exec_entropy_var"} <= set(data.metrics())
    assert data.counts is not None and data.warnings == ()
    assert "SYNTHETIC" in (root / "README.md").read_text()
    assert '"synthetic": true' in (root / "manifest.json").read_text()


def test_synthetic_campaign_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_synthetic_campaign", REPO / "scripts" / "make_synthetic_campaign.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.make(tmp_path / "campaign")
    shipped = datasets.synthetic_campaign()
    names = sorted(str(p.relative_to(shipped)) for p in shipped.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(rebuilt)) for p in rebuilt.rglob("*") if p.is_file())
    _match, mismatch, errors = filecmp.cmpfiles(shipped, rebuilt, names, shallow=False)
    assert not mismatch and not errors


def test_datasets_command_prints_each_path() -> None:
    runner = CliRunner()
    for name, (file, _kind, _what) in CATALOGUE.items():
        result = runner.invoke(app, ["datasets", name])
        assert result.exit_code == 0
        assert Path(result.output.strip()) == datasets.data_path(file)
    listing = runner.invoke(app, ["datasets"])
    assert listing.exit_code == 0 and "synthetic" in listing.output and "real" in listing.output
    assert runner.invoke(app, ["datasets", "nope"]).exit_code == 2
