"""Readers for data-blocks that point at files: images, libraries, clips, sounds, fonts, texts,
cache files, volumes, sequencer strips and file-backed shader nodes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import bpy

from .blender_paths import collapse_numbered, split_sequence_number
from .read_context import Produced, ReadContext, Reader, Ref, finding, id_ref, is_packed, item, node_trees, quote

DEP = "dependency"


# Image users: which frames of an image sequence are read. Recorded before images are read.

def _image_user_refs(ctx: ReadContext) -> Iterator[Ref]:
    for prefix, tree in node_trees():
        for node in tree.nodes:
            if getattr(node, "image", None) is not None:
                yield Ref(f"{prefix}.nodes[{quote(node.name)}]", node)
    for tex in bpy.data.textures:
        if tex.type == "IMAGE" and tex.image is not None:
            yield Ref(id_ref(tex), tex)
    for cam in bpy.data.cameras:
        for i, bg in enumerate(cam.background_images):
            if bg.source == "IMAGE" and bg.image is not None:
                yield Ref(f"{id_ref(cam)}.background_images[{i}]", bg)
    for ob in bpy.data.objects:
        if ob.type == "EMPTY" and isinstance(ob.data, bpy.types.Image):
            yield Ref(id_ref(ob), ob)


def _read_image_user(ctx: ReadContext, ref: Ref) -> Iterable[Produced]:
    owner = ref.value
    image = owner.data if isinstance(owner, bpy.types.Object) else owner.image
    # The compositor's Image node keeps its image user's fields on the node itself.
    user = getattr(owner, "image_user", None) or owner
    duration = getattr(user, "frame_duration", 0)
    if image.source == "SEQUENCE" and duration > 0:
        # BKE_image_user_frame_get: file number = offset + 1 .. offset + duration.
        first = user.frame_offset + 1
        ctx.image_frames.setdefault(image.as_pointer(), []).append((first, first + duration - 1))
    return ()


def _read_image(ctx: ReadContext, img: Any) -> Iterable[Produced]:
    if img.source in {"GENERATED", "VIEWER"} or not img.filepath or is_packed(img):
        return
    path = ctx.abspath(img.filepath, img.library)
    origin = f"{id_ref(img)}.filepath"
    if img.source != "SEQUENCE":
        # FILE, MOVIE, and TILED (whose path carries Blender's <UDIM>/<UVTILE> token). A tiled
        # image declares its tiles: the core reports any declared tile missing on disk.
        tiles = sorted(t.number for t in img.tiles) if img.source == "TILED" else None
        yield item(path, DEP, origin, "image", expected=tiles or None)
        return
    parts = split_sequence_number(path)
    ranges = ctx.image_frames.get(img.as_pointer())
    if parts is None:
        yield item(path, DEP, origin, "image")
    elif ranges:
        yield item(parts.pattern(), DEP, origin, "image",
                   frames=(min(r[0] for r in ranges), max(r[1] for r in ranges)))
    else:
        yield item(path, DEP, origin, "image")
        yield finding(
            "sequence-range-unknown", "warning",
            f"Image sequence {img.name!r} is not used by any node, texture or camera, so its frame range is "
            "unknown; only the file it names is included.",
            path=path, origin=origin,
            fix="Use the sequence in a node (or remove the image) and publish again if more frames are needed.")


def _read_library(ctx: ReadContext, lib: Any) -> Iterable[Produced]:
    if is_packed(lib):
        return
    # Blender re-bases every library path (indirect ones too) onto the main file when loading.
    yield item(ctx.abspath(lib.filepath), DEP, f"{id_ref(lib)}.filepath", "library")


def _simple(kind: str, skip: frozenset[str] = frozenset()) -> Any:
    def read(ctx: ReadContext, block: Any) -> Iterable[Produced]:
        if not block.filepath or block.filepath in skip or is_packed(block):
            return
        yield item(ctx.abspath(block.filepath, block.library), DEP, f"{id_ref(block)}.filepath", kind)
    return read


def _read_text(ctx: ReadContext, text: Any) -> Iterable[Produced]:
    if text.is_in_memory or not text.filepath:
        return
    yield item(ctx.abspath(text.filepath, text.library), DEP, f"{id_ref(text)}.filepath", "text")


def _read_movieclip(ctx: ReadContext, clip: Any) -> Iterable[Produced]:
    if not clip.filepath:
        return
    path = ctx.abspath(clip.filepath, clip.library)
    origin = f"{id_ref(clip)}.filepath"
    parts = split_sequence_number(path) if clip.source == "SEQUENCE" else None
    if parts is None:
        yield item(path, DEP, origin, "movieclip")
        return
    # movieclip.cc: the path names the first file; frame_offset shifts; duration counts files.
    first = parts.number + clip.frame_offset
    yield item(parts.pattern(), DEP, origin, "movieclip", frames=(first, first + max(clip.frame_duration, 1) - 1))


def _read_cache_file(ctx: ReadContext, cache: Any) -> Iterable[Produced]:
    if not cache.filepath or is_packed(cache):
        return
    path = ctx.abspath(cache.filepath, cache.library)
    origin = f"{id_ref(cache)}.filepath"
    parts = split_sequence_number(path) if cache.is_sequence else None
    if parts is None:
        yield item(path, DEP, origin, "cache_file")
        return
    # cachefile.cc: a sequence reads the file numbered with the scene frame (or the override frame).
    if cache.override_frame:
        frames = (int(cache.frame), int(cache.frame))
    else:
        frames = (ctx.scene.frame_start, ctx.scene.frame_end)
    yield item(parts.pattern(), DEP, origin, "cache_file", frames=frames)


def _read_volume(ctx: ReadContext, vol: Any) -> Iterable[Produced]:
    if not vol.filepath or is_packed(vol):
        return
    path = ctx.abspath(vol.filepath, vol.library)
    origin = f"{id_ref(vol)}.filepath"
    parts = split_sequence_number(path) if vol.is_sequence and vol.frame_duration > 0 else None
    if parts is None:
        yield item(path, DEP, origin, "volume")
        return
    # volume.cc: file number = offset + 1 .. offset + duration, whatever the sequence mode.
    first = vol.frame_offset + 1
    yield item(parts.pattern(), DEP, origin, "volume", frames=(first, first + vol.frame_duration - 1))


def _strips(scene: Any) -> Iterable[Any]:
    editor = scene.sequence_editor
    if editor is None:
        return ()
    return editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all


def _strip_refs(ctx: ReadContext) -> Iterator[Ref]:
    for scene in bpy.data.scenes:
        attr = "strips_all" if scene.sequence_editor is not None and hasattr(scene.sequence_editor, "strips_all") \
            else "sequences_all"
        for strip in _strips(scene):
            if strip.type in {"IMAGE", "MOVIE"}:
                yield Ref(f"{id_ref(scene)}.sequence_editor.{attr}[{quote(strip.name)}]", strip, scene)


def _read_strip(ctx: ReadContext, ref: Ref) -> Iterable[Produced]:
    strip, library = ref.value, ref.owner.library
    if strip.type == "MOVIE":
        yield item(ctx.abspath(strip.filepath, library), DEP, f"{ref.label}.filepath", "movie")
        return
    directory = ctx.abspath(strip.directory, library)
    names = [element.filename for element in strip.elements]
    collapsed = collapse_numbered(names)
    if collapsed is not None:
        pattern, first, last = collapsed
        yield item(os.path.join(directory, pattern), DEP, f"{ref.label}.directory", "image", frames=(first, last))
        return
    for i, name in enumerate(names):
        yield item(os.path.join(directory, name), DEP, f"{ref.label}.elements[{i}].filename", "image")


#: Shader nodes that read a file of their own when set to External.
_FILE_NODES = {"ShaderNodeTexIES": "ies", "ShaderNodeScript": "script"}


def _file_node_refs(ctx: ReadContext) -> Iterator[Ref]:
    for prefix, tree in node_trees():
        for node in tree.nodes:
            if node.bl_idname in _FILE_NODES and getattr(node, "mode", "") == "EXTERNAL":
                yield Ref(f"{prefix}.nodes[{quote(node.name)}]", node, tree)


def _read_file_node(ctx: ReadContext, ref: Ref) -> Iterable[Produced]:
    node = ref.value
    if node.filepath:
        library = getattr(ref.owner, "library", None)
        yield item(ctx.abspath(node.filepath, library), DEP, f"{ref.label}.filepath", _FILE_NODES[node.bl_idname])


DATA_READERS: tuple[Reader, ...] = (
    Reader("image user", _image_user_refs, _read_image_user),
    Reader("image", lambda ctx: bpy.data.images, _read_image),
    Reader("library", lambda ctx: bpy.data.libraries, _read_library),
    Reader("movie clip", lambda ctx: bpy.data.movieclips, _read_movieclip),
    Reader("sound", lambda ctx: bpy.data.sounds, _simple("sound")),
    Reader("font", lambda ctx: bpy.data.fonts, _simple("font", frozenset({"<builtin>"}))),
    Reader("text", lambda ctx: bpy.data.texts, _read_text),
    Reader("cache file", lambda ctx: bpy.data.cache_files, _read_cache_file),
    Reader("volume", lambda ctx: bpy.data.volumes, _read_volume),
    Reader("sequencer strip", _strip_refs, _read_strip),
    Reader("file node", _file_node_refs, _read_file_node),
)
