"""Run the readers over the open .blend on Blender's main thread and gather a Collection.

The readers yield plain dicts shaped like ``vendor_publish.models`` (so this module also runs
inside a Blender whose Python has no pydantic, e.g. a ``blender -b`` subprocess); only
``collect_current`` builds the typed ``Collection``. One data-block that cannot be read
becomes a warning finding and the scan goes on.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import bpy

from .adapter_errors import adapter_error
from .readers import DEFAULT_READERS, Reader, ReadContext

if TYPE_CHECKING:
    from vendor_publish.models import Collection

HOST = "blender"


def _unreadable(reader: Reader, block: Any, exc: BaseException) -> dict[str, Any]:
    label = reader.label(block)
    return {
        "code": "unreadable-reference",
        "severity": "warning",
        "message": f"Could not read the file path of {label} ({type(exc).__name__}: {exc}); "
        "whatever it points to is not in this publish.",
        "path": None,
        "origin": label,
        "fix": f"Check {label} in Blender (File > External Data > Report Missing Files helps), "
        "fix or remove it, save, and publish again.",
    }


def iter_collect(readers: Sequence[Reader] = DEFAULT_READERS) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``("item", dict)`` and ``("finding", dict)`` one data-block at a time, main thread only.

    A caller that must keep Blender responsive (a ``bpy.app.timers`` step) can stop after any
    yield and resume later; nothing here touches the disk.
    """
    ctx = ReadContext.from_blender()
    for reader in readers:
        try:
            blocks = list(reader.blocks(ctx))
        except Exception as exc:  # a whole category unreadable: say so, keep scanning the rest
            yield "finding", _unreadable(reader, None, exc)
            continue
        for block in blocks:
            try:
                produced = list(reader.read(ctx, block))
            except Exception as exc:
                yield "finding", _unreadable(reader, block, exc)
                continue
            for kind, value in produced:
                yield kind, value


def _merge(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per (path, role): several data-blocks may share a file or a cache folder."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        key = (item["path"], item["role"])
        seen = merged.get(key)
        if seen is None:
            merged[key] = dict(item)
            continue
        if seen.get("frames") and item.get("frames"):
            seen["frames"] = (min(seen["frames"][0], item["frames"][0]), max(seen["frames"][1], item["frames"][1]))
        if item.get("expected"):
            seen["expected"] = sorted(set(seen.get("expected") or ()) | set(item["expected"]))
        seen["optional"] = seen.get("optional", False) and item.get("optional", False)
    return list(merged.values())


def collect_steps(readers: Sequence[Reader] = DEFAULT_READERS) -> Generator[None, None, dict[str, Any]]:
    """``collect_raw`` in small steps: yields after each item or finding, returns the dict at the end.

    A ``bpy.app.timers`` callback drives it with ``next()`` for a few milliseconds per tick, so
    Blender keeps drawing on a big scene; ``StopIteration.value`` is the collection.
    """
    project = bpy.data.filepath
    if not project:
        raise adapter_error("The open .blend has never been saved, so there is no project file to publish.",
                            "Save it (File > Save As), then publish again.")
    items: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    # Background Blender (and the bpy module) report every file as dirty; only a UI session knows.
    if bpy.data.is_dirty and not bpy.app.background:
        findings.append({
            "code": "unsaved-changes",
            "severity": "error",
            "message": f"{os.path.basename(project)} has unsaved changes; the file on disk is not what you see.",
            "path": project,
            "origin": "bpy.data.is_dirty",
            "fix": "Save the .blend (File > Save) and publish again.",
        })
    for kind, value in iter_collect(readers):
        (items if kind == "item" else findings).append(value)
        yield
    return {
        "schema_version": 1,
        "host": HOST,
        "host_version": bpy.app.version_string,
        "project_file": os.path.normpath(os.path.abspath(project)),
        "items": _merge(items),
        "findings": findings,
    }


def collect_raw(readers: Sequence[Reader] = DEFAULT_READERS) -> dict[str, Any]:
    """Collect the open .blend into a JSON-ready dict shaped like ``models.Collection``."""
    steps = collect_steps(readers)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def collect_current(readers: Sequence[Reader] = DEFAULT_READERS) -> Collection:
    """Collect the open .blend as a typed ``vendor_publish.models.Collection`` (main thread only)."""
    from vendor_publish.models import Collection

    return Collection.model_validate(collect_raw(readers))


def summarize(collection: Collection) -> str:
    """One line for Blender's status bar: counts by role and findings."""
    deps = sum(1 for i in collection.items if i.role.value == "dependency")
    outs = sum(1 for i in collection.items if i.role.value == "output")
    text = f"{os.path.basename(collection.project_file)}: {deps} dependencies, {outs} outputs"
    if collection.findings:
        text += f", {len(collection.findings)} finding(s): " + "; ".join(f.message for f in collection.findings[:3])
    return text
