"""Where the real data used by the tests live: ``../shared/data`` beside the repository.

Test modules import :data:`SHARED_DATA` from here (``tests/`` is on ``sys.path`` through the
``pythonpath`` setting of pytest), never from ``conftest``: several ``conftest.py`` files exist
and the name ``conftest`` does not say which one is meant.
"""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
