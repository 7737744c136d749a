"""Errors in the core's classes when the core is importable, plain RuntimeError inside a bare Blender.

A ``blender -b`` subprocess may have no pydantic (so no core); its message then reaches the
parent through stderr, and the parent raises the core's error.
"""

from __future__ import annotations


def adapter_error(message: str, hint: str | None = None) -> Exception:
    """A ``VendorPublishError`` carrying ``hint``, or a RuntimeError with the hint appended."""
    try:
        from vendor_publish.errors import VendorPublishError
    except ImportError:
        return RuntimeError(message if hint is None else f"{message} {hint}")
    return VendorPublishError(message, hint=hint)
