"""``measurand app``: a reactive marimo app to explore a results folder or a raw input.

The notebook (``notebook.py``) holds only the interface; what it runs lives in
:mod:`measurand.app.explore`, which calls the verbs' public workflow functions and report
builders, so the app shows the same numbers and figures as the command line. The app sits at
the cli level of the layers. It needs the ``app`` extra (``pip install "measurand[app]"``).
"""

from __future__ import annotations

from pathlib import Path

NOTEBOOK = Path(__file__).with_name("notebook.py")

__all__ = ["NOTEBOOK"]
