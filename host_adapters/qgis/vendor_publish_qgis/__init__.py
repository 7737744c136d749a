"""vendor-publish for QGIS: *Publish to <studio>…* in the Plugins menu and a toolbar button.

QGIS imports this package at start-up and calls ``classFactory``; nothing heavy is imported
then. The core (httpx, pydantic) is imported on a background thread a few seconds later
(``warmup``), or by the first click if that comes sooner. The modules ``headless`` and
``outputs`` are importable without QGIS.
"""

from __future__ import annotations

from typing import Any


def classFactory(iface: Any) -> Any:  # noqa: N802 (the name QGIS looks for)
    """QGIS's plugin entry point."""
    from .plugin import VendorPublishPlugin

    return VendorPublishPlugin(iface)
