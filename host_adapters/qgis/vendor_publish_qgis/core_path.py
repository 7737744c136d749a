"""Make the core importable inside QGIS: the copy ``install/qgis.py`` vendors beside the plugin."""

from __future__ import annotations

import os
import sys

#: Folder the installer fills with vendor_publish and its dependencies built for QGIS's Python.
VENDOR_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_vendor")


def add_vendor_path() -> None:
    """Put the vendored core first on ``sys.path`` (once), importing nothing."""
    if os.path.isdir(VENDOR_DIR) and VENDOR_DIR not in sys.path:
        sys.path.insert(0, VENDOR_DIR)


def ensure_core() -> None:
    """Put the vendored core first on ``sys.path`` (once); raise ImportError if it is nowhere."""
    add_vendor_path()
    import vendor_publish  # noqa: F401  (raises ImportError with the missing module's name)
    import pydantic  # noqa: F401
