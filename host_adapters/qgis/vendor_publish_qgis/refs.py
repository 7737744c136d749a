"""Plain, JSON-ready records for what a project uses, shaped like ``vendor_publish.models``.

Modules that run inside QGIS's own Python build these dicts instead of the core's pydantic
models, so a bare QGIS (no pydantic) can read a project in a subprocess; the caller validates
them into a ``Collection``.
"""

from __future__ import annotations

from typing import Any

DEPENDENCY = "dependency"
OUTPUT = "output"


def item(path: str, origin: str, kind: str, *, role: str = DEPENDENCY, optional: bool = False,
         is_dir: bool = False, companions: list[str] | None = None) -> dict[str, Any]:
    """A ``CollectedItem`` as a dict; ``companions``: names of files beside ``path`` that go with it."""
    return {"path": path, "role": role, "origin": origin, "kind": kind, "optional": optional, "is_dir": is_dir,
            "companions": companions if companions is not None else []}


def finding(code: str, severity: str, message: str, *, path: str | None = None, origin: str | None = None,
            fix: str | None = None) -> dict[str, Any]:
    """A ``Finding`` as a dict."""
    return {"code": code, "severity": severity, "message": message, "path": path, "origin": origin, "fix": fix}


def layer_origin(name: str, provider: str, embedded_from: str | None = None) -> str:
    """How a layer is named in findings and the plan: ``layer 'roads' (ogr)``."""
    where = f", embedded from {embedded_from}" if embedded_from else ""
    return f"layer {name!r} ({provider}{where})"
