"""Build the Blender test scenes with bpy (run as a script: ``python build_scenes.py ROOT``).

Writes ``ROOT/project/scene.blend`` (and the libraries it links) plus ``ROOT/facts.json``
describing what was built, so tests compare against facts rather than re-deriving them.
No binary fixtures: every file below is made here.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import wave

import bpy


def png(path: str, color: tuple[float, float, float, float] = (1, 0, 0, 1)) -> str:
    """Write a real 4x4 PNG through Blender's image writer."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img = bpy.data.images.new("_png_writer", 4, 4)
    img.pixels[:] = list(color) * 16
    img.filepath_raw = path
    img.file_format = "PNG"
    img.save()
    bpy.data.images.remove(img)
    return path


def wav(path: str) -> str:
    """Write a short silent WAV."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(8000)
        fh.writeframes(b"\0\0" * 800)
    return path


def reset() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)


def textured_material(name: str, image: bpy.types.Image) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    node = mat.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = image
    return mat


def cube(name: str) -> bpy.types.Object:
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)], [], [(0, 1, 2, 3)])
    ob = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(ob)
    return ob


def bake_simulation(ob: bpy.types.Object) -> str:
    """Give ``ob`` a simulation zone, bake frames 1-3 to ``//bakes``; returns the bake's folder."""
    tree = bpy.data.node_groups.new("SimTree", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    group_in, group_out = tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")
    sim_in, sim_out = tree.nodes.new("GeometryNodeSimulationInput"), tree.nodes.new("GeometryNodeSimulationOutput")
    sim_in.pair_with_output(sim_out)
    tree.links.new(group_in.outputs[0], sim_in.inputs[0])
    tree.links.new(sim_in.outputs[1], sim_out.inputs[1])
    tree.links.new(sim_out.outputs[0], group_out.inputs[0])
    mod = ob.modifiers.new("Sim", "NODES")
    mod.node_group = tree
    bpy.context.view_layer.update()
    mod.bake_target = "DISK"
    mod.bake_directory = "//bakes"
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 3
    bake_id = mod.bakes[0].bake_id
    with bpy.context.temp_override(object=ob, active_object=ob, selected_objects=[ob]):
        bpy.ops.object.geometry_node_bake_single(session_uid=ob.session_uid, modifier_name=mod.name, bake_id=bake_id)
    return os.path.join(os.path.dirname(bpy.data.filepath), "bakes", str(bake_id))


def build_deep_library(root: str) -> str:
    """libs/sub/deep.blend: a material whose texture is relative to libs/sub/."""
    reset()
    png(f"{root}/project/libs/sub/deep_tex/stone.png", (0, 1, 0, 1))
    img = bpy.data.images.load(f"{root}/project/libs/sub/deep_tex/stone.png")
    mat = textured_material("DeepMat", img)
    mat.use_fake_user = True
    path = f"{root}/project/libs/sub/deep.blend"
    bpy.ops.wm.save_as_mainfile(filepath=path, relative_remap=True)
    img.filepath = "//deep_tex/stone.png"
    bpy.ops.wm.save_mainfile()
    return path


def build_library(root: str, deep: str) -> str:
    """libs/lib.blend: an object with its own texture and a material linked from deep.blend."""
    reset()
    path = f"{root}/project/libs/lib.blend"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=path)
    png(f"{root}/project/libs/tex/brick.png", (0, 0, 1, 1))
    img = bpy.data.images.load("//tex/brick.png")
    ob = cube("LibCube")
    ob.data.materials.append(textured_material("LibMat", img))
    with bpy.data.libraries.load("//sub/deep.blend", link=True, relative=True) as (src, dst):
        dst.materials = ["DeepMat"]
    ob.data.materials.append(dst.materials[0])
    bpy.ops.wm.save_mainfile()
    return path


def build_scene(root: str) -> dict:
    """project/scene.blend with one of every kind of reference the adapter collects."""
    reset()
    proj = f"{root}/project"
    path = f"{proj}/scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=path)
    scene = bpy.context.scene
    facts: dict = {"blend": path}

    # Images: relative, absolute (outside the project), UDIM with a missing tile, sequence with a gap, packed.
    png(f"{proj}/tex/wood.png")
    rel = bpy.data.images.load("//tex/wood.png")
    rel.name = "wood"
    absolute = bpy.data.images.load(png(f"{root}/external/abs.png"))
    absolute.name = "abs"
    for tile in (1001, 1002, 1003):
        png(f"{proj}/tex/udim/skin.{tile}.png")
    udim = bpy.data.images.load(f"{proj}/tex/udim/skin.1001.png")
    udim.name = "skin"
    udim.source = "TILED"
    facts["udim_tiles"] = [t.number for t in udim.tiles]
    os.remove(f"{proj}/tex/udim/skin.1002.png")  # the missing tile
    for frame in (1, 2, 4, 5):  # frame 3 is the gap
        png(f"{proj}/seq/frame.{frame:04d}.png")
    seq = bpy.data.images.load("//seq/frame.0001.png")
    seq.name = "seq"
    seq.source = "SEQUENCE"
    packed = bpy.data.images.load(png(f"{proj}/tex/packed_only.png"))
    packed.name = "packed"
    packed.pack()
    mat = bpy.data.materials.new("Look")
    mat.use_nodes = True
    for img in (rel, absolute, udim, seq, packed):
        node = mat.node_tree.nodes.new("ShaderNodeTexImage")
        node.name = f"tex_{img.name}"
        node.image = img
    seq_node = mat.node_tree.nodes["tex_seq"]
    seq_node.image_user.frame_duration = 5
    seq_node.image_user.frame_offset = 0
    ies = mat.node_tree.nodes.new("ShaderNodeTexIES")
    ies.mode = "EXTERNAL"
    ies.filepath = "//ies/spot.ies"
    holder = cube("Holder")
    holder.data.materials.append(mat)

    # Linked library (which links deep.blend itself).
    with bpy.data.libraries.load("//libs/lib.blend", link=True, relative=True) as (src, dst):
        dst.objects = ["LibCube"]
    scene.collection.objects.link(dst.objects[0])

    # Movie clip from a contiguous PNG sequence, sound, font, external text.
    for frame in range(1, 5):
        png(f"{proj}/clip/shot.{frame:04d}.png", (1, 1, 0, 1))
    clip = bpy.data.movieclips.load(f"{proj}/clip/shot.0001.png")
    clip.name = "shot"
    scene.active_clip = clip  # a user, so the clip is saved
    facts["clip_duration"] = clip.frame_duration
    wav(f"{proj}/audio/beep.wav")
    font_src = os.path.join(bpy.utils.system_resource("DATAFILES", path="fonts"), "DejaVuSansMono.woff2")
    os.makedirs(f"{proj}/fonts", exist_ok=True)
    shutil.copy(font_src, f"{proj}/fonts/mono.woff2")
    font = bpy.data.fonts.load(f"{proj}/fonts/mono.woff2")
    font.name = "mono"
    curve = bpy.data.curves.new("Title", "FONT")
    curve.font = font
    scene.collection.objects.link(bpy.data.objects.new("Title", curve))
    os.makedirs(f"{proj}/scripts", exist_ok=True)
    with open(f"{proj}/scripts/notes.py", "w") as fh:
        fh.write("# notes kept next to the .blend\n")
    text = bpy.data.texts.load(f"{proj}/scripts/notes.py", internal=False)
    text.name = "notes"
    bpy.data.texts.new("internal_only").write("print('in memory')\n")

    # Alembic cache: export the library-free cube, then read it back through a CacheFile.
    abc = f"{proj}/cache/anim.abc"
    os.makedirs(os.path.dirname(abc), exist_ok=True)
    bpy.ops.wm.alembic_export(filepath=abc, start=1, end=2, selected=False)
    facts["alembic_exported"] = os.path.exists(abc)
    if facts["alembic_exported"]:
        bpy.ops.wm.alembic_import(filepath=abc, as_background_job=False)
        cached = cube("Cached")
        mod = cached.modifiers.new("Cache", "MESH_SEQUENCE_CACHE")
        mod.cache_file = bpy.data.cache_files[0]
        facts["cache_files"] = [c.name for c in bpy.data.cache_files]

    # OpenVDB volume sequence (files need not exist for Blender to reference them).
    vol = bpy.data.volumes.new("smoke")
    vol.filepath = "//vdb/smoke.0001.vdb"
    vol.is_sequence = True
    vol.frame_duration = 3
    vol.frame_offset = 0
    scene.collection.objects.link(bpy.data.objects.new("Smoke", vol))

    # Particle system with a disk cache (not baked).
    emitter = cube("Emitter")
    emitter.modifiers.new("Particles", "PARTICLE_SYSTEM")
    emitter.particle_systems[0].point_cache.use_disk_cache = True

    # Geometry-nodes simulation baked to disk, and a multires displacement saved externally.
    facts["gn_bake"] = bake_simulation(cube("Sim"))
    sculpt = cube("Sculpt")
    os.makedirs(f"{proj}/sculpt", exist_ok=True)  # Blender writes the displacement there on save
    sculpt.modifiers.new("Multires", "MULTIRES")
    with bpy.context.temp_override(object=sculpt, active_object=sculpt):
        bpy.ops.object.multires_subdivide(modifier="Multires", mode="SIMPLE")
        bpy.ops.object.multires_external_save(filepath=f"{proj}/sculpt/disp.btx", relative_path=True,
                                              modifier="Multires")

    # Sequencer: an image strip over three contiguous frames, and the sound as a strip (its user).
    for frame in (1, 2, 3):
        png(f"{proj}/plate/plate_{frame:03d}.png", (0, 1, 1, 1))
    editor = scene.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    strip = strips.new_image("plate", f"{proj}/plate/plate_001.png", channel=1, frame_start=1)
    strip.elements.append("plate_002.png")
    strip.elements.append("plate_003.png")
    sound_strip = strips.new_sound("beep", f"{proj}/audio/beep.wav", channel=2, frame_start=1)
    facts["sound_strip_sound"] = sound_strip.sound.name

    # Outputs: render frames 1-10, a File Output node fed by the render layers.
    scene.frame_start, scene.frame_end = 1, 10
    scene.render.filepath = "//render/beauty.####"
    scene.render.image_settings.file_format = "PNG"
    scene.use_nodes = True
    tree = scene.node_tree
    layers = next((n for n in tree.nodes if n.bl_idname == "CompositorNodeRLayers"), None) \
        or tree.nodes.new("CompositorNodeRLayers")
    out = tree.nodes.new("CompositorNodeOutputFile")
    out.name = "Comp Out"
    out.base_path = "//comp/"
    out.file_slots[0].path = "mask_"
    out.format.file_format = "OPEN_EXR"
    tree.links.new(layers.outputs[0], out.inputs[0])
    bpy.ops.wm.save_mainfile()
    return facts


def main(root: str) -> None:
    deep = build_deep_library(root)
    build_library(root, deep)
    facts = build_scene(root)
    with open(os.path.join(root, "facts.json"), "w") as fh:
        json.dump(facts, fh, indent=1)


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]))
