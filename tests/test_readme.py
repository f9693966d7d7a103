"""The README's first Python example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert 0.5 < namespace["res"].statistic < 1
    assert namespace["perm"].exact and 0 < namespace["perm"].pvalue <= 1
    low, high = namespace["boot"].confidence_interval
    assert low < namespace["boot"].statistic < high


def test_workflow_packages_load_on_access() -> None:
    import measurand as ms

    assert callable(ms.compare.significance)
    assert callable(ms.io.read_campaign)
    assert ms.latent.FactorAnalysis.__name__ == "FactorAnalysis"


def test_readme_workflow_example_runs_on_shipped_data() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    namespace: dict = {}
    exec(compile(blocks[0] + blocks[1], "README.md", "exec"), namespace)
    sig = namespace["sig"]
    assert sig.comparisons and all(0 < c.pvalue <= 1 for c in sig.comparisons)
    fa = namespace["fa"]
    assert fa.loadings_.shape == (8, 2) and 0 <= fa.fit_stats_["rmsea"] < 0.1
