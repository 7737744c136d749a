"""Readers for simulation and modifier data on disk: point caches, fluid and ocean caches,
geometry-nodes bakes, the Mesh Cache modifier's file and external multires displacement.

Caches are reported as the folder Blender writes into (``is_dir``), never as a guessed list of
frame files; a cache Blender does not call baked is ``optional`` (it may rightly be absent).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import bpy

from .read_context import Produced, ReadContext, Reader, Ref, id_ref, item, quote

DEP = "dependency"


def _point_cache_folder(ctx: ReadContext, cache: Any, owner: Any) -> str:
    """``ptcache_path``: the external folder, else ``blendcache_<blend name>`` beside the .blend."""
    if cache.use_external:
        return ctx.abspath(cache.filepath, owner.library)
    if owner.library is not None and cache.use_library_path:
        base = ctx.abspath(owner.library.filepath)
    else:
        base = ctx.blend_path
    stem = os.path.splitext(os.path.basename(base))[0]
    return os.path.join(os.path.dirname(base), f"blendcache_{stem}")


def _point_cache_items(ctx: ReadContext, cache: Any, owner: Any, origin: str) -> Iterator[Produced]:
    for i, one in enumerate(cache.point_caches):
        if not (one.use_disk_cache or one.use_external):
            continue  # memory caches live in the .blend
        field = "filepath" if one.use_external else "use_disk_cache"
        yield item(_point_cache_folder(ctx, one, owner), DEP, f"{origin}.point_caches[{i}].{field}",
                   "point_cache", is_dir=True, optional=not one.is_baked)


def _modifier_refs(ctx: ReadContext) -> Iterator[Ref]:
    for ob in bpy.data.objects:
        for mod in ob.modifiers:
            if mod.type in _MODIFIER_READERS:
                yield Ref(f"{id_ref(ob)}.modifiers[{quote(mod.name)}]", mod, ob)


def _read_modifier(ctx: ReadContext, ref: Ref) -> Iterable[Produced]:
    return _MODIFIER_READERS[ref.value.type](ctx, ref.value, ref.owner, ref.label)


def _cloth_like(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    yield from _point_cache_items(ctx, mod.point_cache, ob, f"{origin}.point_cache")


def _particles(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    yield from _point_cache_items(ctx, mod.particle_system.point_cache, ob, f"{origin}.particle_system.point_cache")


def _dynamic_paint(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    canvas = mod.canvas_settings
    if mod.ui_type != "CANVAS" or canvas is None:
        return
    for surface in canvas.canvas_surfaces:
        if surface.surface_format == "VERTEX":
            yield from _point_cache_items(
                ctx, surface.point_cache, ob, f"{origin}.canvas_settings.canvas_surfaces[{quote(surface.name)}].point_cache")


def _fluid(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    if mod.fluid_type != "DOMAIN" or not mod.domain_settings.cache_directory:
        return
    yield item(ctx.abspath(mod.domain_settings.cache_directory, ob.library), DEP,
               f"{origin}.domain_settings.cache_directory", "bake", is_dir=True, optional=True)


def _ocean(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    if mod.is_cached and mod.filepath:
        yield item(ctx.abspath(mod.filepath, ob.library), DEP, f"{origin}.filepath", "bake", is_dir=True)


def _mesh_cache(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    if mod.filepath:
        yield item(ctx.abspath(mod.filepath, ob.library), DEP, f"{origin}.filepath", "mesh_cache")


def _multires(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    """Sculpt displacement saved to an external file (kept in the mesh's custom data)."""
    if mod.is_external and mod.filepath:
        mesh = ob.data
        yield item(ctx.abspath(mod.filepath, getattr(mesh, "library", None) or ob.library), DEP,
                   f"{origin}.filepath", "multires")


def _nodes(ctx: ReadContext, mod: Any, ob: Any, origin: str) -> Iterator[Produced]:
    """Geometry-nodes bakes stored on disk (``get_node_bake_path`` in Blender's source)."""
    for bake in mod.bakes:
        target = mod.bake_target if bake.bake_target == "INHERIT" else bake.bake_target
        if target != "DISK":
            continue
        if bake.use_custom_path:
            if not bake.directory:
                continue
            folder = ctx.abspath(bake.directory, ob.library)
            where = f"{origin}.bakes[{bake.bake_id}].directory"
        elif mod.bake_directory:
            folder = os.path.join(ctx.abspath(mod.bake_directory, ob.library), str(bake.bake_id))
            where = f"{origin}.bake_directory"
        else:
            continue
        yield item(folder, DEP, where, "bake", is_dir=True, optional=True)


_MODIFIER_READERS = {
    "CLOTH": _cloth_like,
    "SOFT_BODY": _cloth_like,
    "PARTICLE_SYSTEM": _particles,
    "DYNAMIC_PAINT": _dynamic_paint,
    "FLUID": _fluid,
    "OCEAN": _ocean,
    "MESH_CACHE": _mesh_cache,
    "MULTIRES": _multires,
    "NODES": _nodes,
}


def _read_rigid_body(ctx: ReadContext, scene: Any) -> Iterable[Produced]:
    world = scene.rigidbody_world
    if world is None:
        return ()
    return _point_cache_items(ctx, world.point_cache, scene, f"{id_ref(scene)}.rigidbody_world.point_cache")


SIM_READERS: tuple[Reader, ...] = (
    Reader("modifier", _modifier_refs, _read_modifier),
    Reader("rigid body world", lambda ctx: bpy.data.scenes, _read_rigid_body),
)
