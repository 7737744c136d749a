"""vendor-publish for Blender: File > Publish to <studio>… and the ``wm.vendor_publish`` operator.

This is the module Blender loads at start-up. It imports nothing at import time, and
``register()`` only adds the operators and the menu entry; the core (httpx, pydantic) loads when
the artist clicks. ``vendor_publish_blender.headless`` is importable without Blender.

Blender 4.2+ installs it as an extension (``blender_manifest.toml``, wheels); older Blenders
load it as a legacy add-on through ``bl_info``, with the core and its dependencies in ``_vendor/``.
"""

from __future__ import annotations

import os
import sys

# Legacy add-on header (Blender < 4.2); extensions read blender_manifest.toml instead.
bl_info = {
    "name": "vendor-publish",
    "author": "vendor-publish developers",
    "version": (0, 1, 0),
    "blender": (3, 0, 0),
    "location": "File > Publish to <studio>\u2026",
    "description": "Publish finished work and its files back to the studio",
    "category": "Import-Export",
}

_VENDOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_vendor")


def register() -> None:
    """Add the operators and the File menu entry."""
    if os.path.isdir(_VENDOR) and _VENDOR not in sys.path:
        # Legacy add-on: its bundled core and dependencies come first (the core loads on click).
        sys.path.insert(0, _VENDOR)
    from . import startup

    startup.register()


def unregister() -> None:
    """Remove what ``register`` added."""
    from . import startup

    startup.unregister()
