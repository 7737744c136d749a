"""What every reader shares: the Reader record, the per-scan context, and item/label helpers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import bpy

from .blender_paths import normalise

#: ``ID.id_type`` -> the ``bpy.data`` collection holding it, for origins that paste into Python.
_DATA_COLLECTIONS = {
    "ACTION": "actions", "ARMATURE": "armatures", "BRUSH": "brushes", "CACHEFILE": "cache_files",
    "CAMERA": "cameras", "COLLECTION": "collections", "CURVE": "curves", "CURVES": "hair_curves",
    "FONT": "fonts", "GREASEPENCIL": "grease_pencils", "GREASEPENCIL_V3": "grease_pencils_v3",
    "IMAGE": "images", "LATTICE": "lattices", "LIBRARY": "libraries", "LIGHT": "lights",
    "LIGHT_PROBE": "lightprobes", "LINESTYLE": "linestyles", "MASK": "masks", "MATERIAL": "materials",
    "MESH": "meshes", "META": "metaballs", "MOVIECLIP": "movieclips", "NODETREE": "node_groups",
    "OBJECT": "objects", "PAINTCURVE": "paint_curves", "PALETTE": "palettes", "PARTICLE": "particles",
    "POINTCLOUD": "pointclouds", "SCENE": "scenes", "SCREEN": "screens", "SOUND": "sounds",
    "SPEAKER": "speakers", "TEXT": "texts", "TEXTURE": "textures", "VOLUME": "volumes",
    "WINDOWMANAGER": "window_managers", "WORKSPACE": "workspaces", "WORLD": "worlds",
}

#: RNA class names whose upper-case is not their ID type.
_CLASS_ID_TYPES = {"VectorFont": "FONT", "LightProbe": "LIGHT_PROBE", "MetaBall": "META",
                   "ParticleSettings": "PARTICLE", "GreasePencil": "GREASEPENCIL"}

Produced = tuple[str, dict[str, Any]]


def _id_type_of_class(block: Any) -> str:
    """``ID.id_type`` for Blenders without it (3.x): from the RNA class or its base (``ShaderNodeTree`` -> NODETREE)."""
    for cls in type(block).__mro__:
        name = _CLASS_ID_TYPES.get(cls.__name__, cls.__name__.upper())
        if name in _DATA_COLLECTIONS:
            return name
    return ""


class Ref(NamedTuple):
    """Something inside a data-block that a reader reads: its printable origin and the thing."""

    label: str
    value: Any
    owner: Any = None


@dataclass(frozen=True)
class Reader:
    """One kind of external reference: how to list the blocks, and how to read one."""

    name: str
    blocks: Callable[[ReadContext], Iterable[Any]]
    read: Callable[[ReadContext, Any], Iterable[Produced]]

    def label(self, block: Any) -> str:
        """Printable origin of a block (or of the whole kind when ``block`` is None)."""
        if block is None:
            return f"every {self.name} in the .blend"
        if isinstance(block, Ref):
            return block.label
        return id_ref(block)


@dataclass
class ReadContext:
    """State of one scan: the main file, the active scene and facts readers pass along."""

    blend_path: str
    scene: Any
    #: ``Image.as_pointer()`` -> inclusive frame ranges its image users read.
    image_frames: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def from_blender(cls) -> ReadContext:
        """Context for the currently open .blend."""
        scene = getattr(bpy.context, "scene", None) or (bpy.data.scenes[0] if bpy.data.scenes else None)
        return cls(blend_path=os.path.abspath(bpy.data.filepath), scene=scene)

    def abspath(self, path: str, library: Any = None) -> str:
        """Resolve ``//`` against the .blend the data comes from (a library's own folder for linked data).

        ``bpy.path.abspath``'s rule, with the main file's folder read once per scan rather than
        from ``bpy.data`` for each of a scene's thousands of paths.
        """
        if not path.startswith("//"):
            return normalise(path)
        base = os.path.dirname(self.blend_path if library is None else self.abspath(library.filepath))
        return normalise(os.path.join(base, path[2:]))


def quote(name: str) -> str:
    """A Python string literal for a data-block or node name."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def id_ref(block: Any) -> str:
    """``bpy.data.images["wood"]``, with the library for linked data (``["wood", "//lib.blend"]``)."""
    collection = _DATA_COLLECTIONS.get(getattr(block, "id_type", "") or _id_type_of_class(block), "?")
    library = getattr(block, "library", None)
    key = quote(block.name) if library is None else f"{quote(block.name)}, {quote(library.filepath)}"
    return f"bpy.data.{collection}[{key}]"


def item(path: str, role: str, origin: str, kind: str, *, frames: tuple[int, int] | None = None,
         is_dir: bool = False, optional: bool = False, expected: list[int] | None = None) -> Produced:
    """A collected item as a JSON-ready dict (``expected``: numbers Blender declares, e.g. UDIM tiles)."""
    value = {"path": path, "role": role, "origin": origin, "kind": kind, "frames": frames,
             "is_dir": is_dir, "optional": optional}
    if expected is not None:
        value["expected"] = expected
    return "item", value


def finding(code: str, severity: str, message: str, *, path: str | None = None, origin: str | None = None,
            fix: str | None = None) -> Produced:
    """A finding as a JSON-ready dict."""
    return "finding", {"code": code, "severity": severity, "message": message, "path": path, "origin": origin,
                       "fix": fix}


def is_packed(block: Any) -> bool:
    """True when the data-block carries its file inside the .blend."""
    if getattr(block, "packed_file", None) is not None:
        return True
    return len(getattr(block, "packed_files", ()) or ()) > 0


def node_trees() -> Iterator[tuple[str, Any]]:
    """Every node tree in the file with the origin prefix that reaches it."""
    for attr in ("materials", "worlds", "lights", "textures", "linestyles", "scenes"):
        for block in getattr(bpy.data, attr):
            tree = getattr(block, "node_tree", None)
            if tree is not None:
                yield f"{id_ref(block)}.node_tree", tree
    for tree in bpy.data.node_groups:
        yield id_ref(tree), tree
