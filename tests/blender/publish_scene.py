"""Build a small publishable .blend (run with bpy or ``blender -b --python``: ``publish_scene.py DIR NAME [IMAGES]``).

DIR/NAME.blend uses ``//tex/wood.png``, a complete UDIM set (declared tiles 1001-1002), IMAGES
extra textures (for the benchmark), renders ``//renders/NAME_####.png`` over frames 1-3 (the
frames are written here), and, in Blender 4.x, a geometry-nodes bake on disk (an optional
folder). Works in Debian's Blender 3.4 too, so the GUI test can open what it builds.
"""

from __future__ import annotations

import json
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_scenes import png  # noqa: E402  (the same PNG writer as the collection scenes)




def textured(name: str, image: bpy.types.Image) -> None:
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)], [], [(0, 1, 2, 3)])
    ob = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(ob)
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    mat.node_tree.nodes.new("ShaderNodeTexImage").image = image
    ob.data.materials.append(mat)


def bake(name: str) -> str | None:
    """A geometry-nodes simulation baked to ``//bakes`` (Blender 4.1+), else None."""
    tree = bpy.data.node_groups.new("SimTree", "GeometryNodeTree")
    if not hasattr(tree, "interface") or not hasattr(bpy.types, "GeometryNodeSimulationInput"):
        return None
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from build_scenes import bake_simulation, cube

    bpy.data.node_groups.remove(tree)
    return bake_simulation(cube(name))


def build(folder: str, name: str, images: int = 0) -> dict:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.filepaths.save_version = 0  # no .blend1 beside the project
    os.makedirs(folder, exist_ok=True)
    blend = os.path.join(folder, f"{name}.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)  # first, so '//' paths resolve while building
    wood = bpy.data.images.load(png(os.path.join(folder, "tex", "wood.png"), (0.8, 0.5, 0.2, 1)))
    wood.filepath = "//tex/wood.png"
    textured("Floor", wood)
    for tile in (1001, 1002):
        png(os.path.join(folder, "tex", f"skin.{tile}.png"), (0.2, 0.4, 0.9, 1))
    skin = bpy.data.images.load(os.path.join(folder, "tex", "skin.1001.png"))
    skin.source = "TILED"
    skin.filepath = "//tex/skin.<UDIM>.png"
    if len(skin.tiles) < 2:
        skin.tiles.new(tile_number=1002)
    textured("Skin", skin)
    for i in range(images):
        img = bpy.data.images.load(png(os.path.join(folder, "tex", "many", f"t{i:04d}.png")))
        img.filepath = f"//tex/many/t{i:04d}.png"
        img.use_fake_user = True
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 3
    scene.render.filepath = f"//renders/{name}_"
    scene.render.image_settings.file_format = "PNG"
    for frame in (1, 2, 3):
        png(os.path.join(folder, "renders", f"{name}_{frame:04d}.png"), (frame / 3, 0.3, 0.3, 1))
    facts = {"blend": blend, "bake": bake("Sim") if images == 0 else None,
             "tiles": sorted(t.number for t in skin.tiles)}
    bpy.ops.wm.save_as_mainfile(filepath=blend, relative_remap=True)
    return facts


if __name__ == "__main__":
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    facts = build(os.path.abspath(argv[0]), argv[1], int(argv[2]) if len(argv) > 2 else 0)
    print("FACTS=" + json.dumps(facts))
