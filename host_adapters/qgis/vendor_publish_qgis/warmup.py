"""The core imported on a background thread a few seconds after QGIS starts (``vendor_publish.warmup``).

Started by a timer from ``initGui``: the vendored core goes on ``sys.path`` (no import of it),
then one daemon thread imports what a click needs, so the first click costs what later ones do.
"""

from __future__ import annotations

from typing import Any

from .core_path import add_vendor_path, ensure_core

#: What the click path imports (the core with pydantic and httpx, the adapter's click modules).
MODULES = (
    "vendor_publish.errors",
    "vendor_publish.settings",
    "vendor_publish.models",
    "vendor_publish.workflow",
    "vendor_publish.report",
    "vendor_publish.accsyn_client",
    "vendor_publish_qgis.collection",
    "vendor_publish_qgis.planning",
    "vendor_publish_qgis.plan_model",
    "vendor_publish_qgis.dialog",
    "vendor_publish_qgis.tasks",
)
#: How long after start-up to begin (QGIS is still loading projects and plugins before that).
DELAY_MS = 3000


def start_warmup() -> Any:
    """The running warm-up (a ``vendor_publish.warmup.Warmup``), or None when the core is not
    installed for this QGIS (the click says so)."""
    add_vendor_path()
    try:
        from vendor_publish.warmup import Warmup
    except ImportError:
        return None
    return Warmup(ensure_core, MODULES).start()
