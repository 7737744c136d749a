"""Readers for what the active scene writes: the render output over the frame range and the
compositor's File Output nodes. Patterns come from Blender's own ``frame_path`` where it has one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .blender_paths import output_pattern, pattern_from_frame_paths
from .read_context import Produced, ReadContext, Reader, Ref, id_ref, item, quote

OUT = "output"
#: Beyond any padding an artist uses, and ending in another digit than frame 1.
_PROBE_FRAME = 1_000_000


def fill_frame(pattern: str, frame: int) -> str:
    """Write ``frame`` into the last ``#`` run of ``pattern``."""
    end = pattern.rfind("#") + 1
    start = end
    while start > 0 and pattern[start - 1] == "#":
        start -= 1
    return f"{pattern[:start]}{frame:0{end - start}d}{pattern[end:]}"


def _over_frames(pattern: str, scene: Any, origin: str, kind: str) -> Iterator[Produced]:
    start, end, step = scene.frame_start, scene.frame_end, scene.frame_step
    if step == 1:
        yield item(pattern, OUT, origin, kind, frames=(start, end))
        return
    for frame in range(start, end + 1, step):  # only every step-th frame is written
        yield item(fill_frame(pattern, frame), OUT, origin, kind)


def _read_render_output(ctx: ReadContext, scene: Any) -> Iterable[Produced]:
    render = scene.render
    origin = f"{id_ref(scene)}.render.filepath"
    if render.is_movie_format:
        yield item(ctx.abspath(render.frame_path(frame=scene.frame_start)), OUT, origin, "render_output")
        return
    views = [""]
    if render.use_multiview and render.views_format == "INDIVIDUAL":
        views = [view.name for view in render.views if view.use]
    for view in views:
        pattern = pattern_from_frame_paths(
            render.frame_path(frame=1, view=view), 1, render.frame_path(frame=_PROBE_FRAME, view=view), _PROBE_FRAME)
        if pattern is None:
            fmt = render.image_settings
            pattern = output_pattern(render.filepath, fmt.file_format, use_extension=render.use_file_extension,
                                     jpeg2k_codec=fmt.jpeg2k_codec)
        yield from _over_frames(ctx.abspath(pattern, scene.library), scene, origin, "render_output")


def _file_output_refs(ctx: ReadContext) -> Iterator[Ref]:
    scene = ctx.scene
    if scene is None or not scene.use_nodes or scene.node_tree is None or not scene.render.use_compositing:
        return
    seen: set[int] = set()

    def walk(tree: Any, prefix: str) -> Iterator[Ref]:
        if tree.as_pointer() in seen:
            return
        seen.add(tree.as_pointer())
        for node in tree.nodes:
            if node.mute:
                continue
            if node.bl_idname == "CompositorNodeOutputFile":
                yield Ref(f"{prefix}.nodes[{quote(node.name)}]", node, scene)
            elif node.type == "GROUP" and node.node_tree is not None:
                yield from walk(node.node_tree, id_ref(node.node_tree))

    yield from walk(scene.node_tree, f"{id_ref(scene)}.node_tree")


def _join(base: str, name: str) -> str:
    """``BLI_path_join`` for two parts: exactly one separator between them."""
    if not base:
        return name
    return base.rstrip("/\\") + "/" + name.lstrip("/\\")


def _read_file_output(ctx: ReadContext, ref: Ref) -> Iterable[Produced]:
    node, scene = ref.value, ref.owner
    use_ext = scene.render.use_file_extension
    fmt = node.format
    if fmt.file_format == "OPEN_EXR_MULTILAYER":
        if any(socket.is_linked for socket in node.inputs):
            pattern = output_pattern(node.base_path, fmt.file_format, use_extension=use_ext)
            yield from _over_frames(ctx.abspath(pattern, scene.library), scene, f"{ref.label}.base_path", "file_output")
        return
    for socket, slot in zip(node.inputs, node.file_slots):
        if not socket.is_linked:
            continue  # an unconnected slot writes nothing
        slot_fmt = fmt if slot.use_node_format else slot.format
        pattern = output_pattern(_join(node.base_path, slot.path), slot_fmt.file_format, use_extension=use_ext,
                                 jpeg2k_codec=slot_fmt.jpeg2k_codec)
        yield from _over_frames(ctx.abspath(pattern, scene.library), scene,
                                f"{ref.label}.file_slots[{quote(slot.path)}].path", "file_output")


OUTPUT_READERS: tuple[Reader, ...] = (
    Reader("render output", lambda ctx: [ctx.scene] if ctx.scene is not None else [], _read_render_output),
    Reader("File Output node", _file_output_refs, _read_file_output),
)
