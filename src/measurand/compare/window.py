"""Step windows and the per-run reduction (re-exported from :mod:`measurand.stats._window`).

The window helpers live one layer down, in :mod:`measurand.stats._window`, because the
``noise`` verb's seed split uses them too; see that module for the window syntax.
"""

from __future__ import annotations

from measurand.stats._window import (
    RUN_KEYS,
    Window,
    excluded_stop_note,
    filter_window,
    long_frame,
    parse_window,
    select_rows,
    window_means,
    window_rows,
)

__all__ = [
    "RUN_KEYS",
    "Window",
    "excluded_stop_note",
    "filter_window",
    "long_frame",
    "parse_window",
    "select_rows",
    "window_means",
    "window_rows",
]
