"""Paper figures (``--pdf``): the main figures of each verb as matplotlib PDFs.

One module per verb draws from the same data as the verb's HTML figures, read from its
``results.json`` form (``result.to_dict()``), in the shared style of
:mod:`measurand.report.paper` (embedded TrueType fonts, Okabe–Ito palette, two-column widths).
Identical input gives identical bytes.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

#: The verbs that have paper figures, each a module ``measurand.report.pdf.<verb>``.
VERBS: tuple[str, ...] = ("diagnose", "compare", "factors", "noise", "irt", "items", "plan")


def paper_figures(verb: str, result: Any) -> dict[str, bytes]:
    """The main figures of ``verb`` as PDFs: file name -> PDF bytes.

    ``result`` is the verb's result object (anything with ``to_dict()``) or its results.json
    content as a mapping.
    """
    if verb not in VERBS:
        from measurand.errors import InputError

        raise InputError(f"no paper figures for {verb!r}; verbs with --pdf: {', '.join(VERBS)}")
    data = result if isinstance(result, Mapping) else result.to_dict()
    module = importlib.import_module(f"measurand.report.pdf.{verb}")
    return module.figures(data)


def paper_files(verb: str, result: Any, enabled: bool) -> dict[str, str | bytes]:
    """``paper_figures`` when ``--pdf`` was given, else nothing: the CLI passes this as the
    report's ``extra_files`` so the PDFs land in the same atomic write as the report."""
    return dict(paper_figures(verb, result)) if enabled else {}


__all__ = ["VERBS", "paper_figures", "paper_files"]
