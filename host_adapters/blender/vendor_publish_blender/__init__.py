"""vendor-publish for Blender: File > Publish to <studio>… and the ``wm.vendor_publish`` operator.

This is the module Blender loads at start-up. It imports nothing at import time, and
``register()`` only adds the operator and the menu entry; the core (httpx, pydantic) loads when
the artist clicks. ``vendor_publish_blender.headless`` is importable without Blender.
"""

from __future__ import annotations


def register() -> None:
    """Add the operator and the File menu entry."""
    from . import startup

    startup.register()


def unregister() -> None:
    """Remove what ``register`` added."""
    from . import startup

    startup.unregister()
