"""``measurand items``: several models on the same test items, compared item by item."""

from __future__ import annotations

from measurand.items.workflow import ItemsResult, run_items

__all__ = ["ItemsResult", "run_items"]
