"""``collect_blend_file`` through a real Blender executable (``blender -b``), when one is installed.

The bpy module covers the adapter itself; this covers the other road the batch publish takes:
no bpy in the interpreter, a ``blender`` binary in background mode with the adapter on its path.
Debian's ``blender`` package (3.4) is older than the bpy module, so the scene here is built by
that same executable, with API calls every Blender since 3.0 has.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BLENDER = shutil.which("blender")
pytestmark = pytest.mark.skipif(BLENDER is None, reason="no 'blender' executable on PATH (Debian: apt-get install blender)")

BUILD = r"""
import os, sys, bpy
root = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
os.makedirs(root + "/tex", exist_ok=True)
def png(path):
    img = bpy.data.images.new("w", 2, 2)
    img.filepath_raw = path
    img.file_format = "PNG"
    img.save()
    bpy.data.images.remove(img)
bpy.ops.wm.save_as_mainfile(filepath=root + "/lib.blend")
png(root + "/tex/lib.png")
lib_img = bpy.data.images.load("//tex/lib.png")
mat = bpy.data.materials.new("LibMat")
mat.use_nodes = True
mat.node_tree.nodes.new("ShaderNodeTexImage").image = lib_img
mat.use_fake_user = True
bpy.ops.wm.save_mainfile()
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.wm.save_as_mainfile(filepath=root + "/shot.blend")
for f in (1, 2, 3):
    png(root + "/tex/seq.%04d.png" % f)
seq = bpy.data.images.load("//tex/seq.0001.png")
seq.source = "SEQUENCE"
with bpy.data.libraries.load("//lib.blend", link=True, relative=True) as (src, dst):
    dst.materials = ["LibMat"]
mesh = bpy.data.meshes.new("m")
mesh.materials.append(dst.materials[0])
ob = bpy.data.objects.new("o", mesh)
bpy.context.scene.collection.objects.link(ob)
look = bpy.data.materials.new("Look")
look.use_nodes = True
node = look.node_tree.nodes.new("ShaderNodeTexImage")
node.image = seq
node.image_user.frame_duration = 3
mesh.materials.append(look)
scene = bpy.context.scene
scene.frame_start, scene.frame_end = 1, 10
scene.render.filepath = "//render/shot_"
bpy.ops.wm.save_mainfile()
"""


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("blender_exe")
    subprocess.run([BLENDER, "-b", "--factory-startup", "--python-exit-code", "3", "--python-expr", BUILD, "--",
                    str(root)], check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    return root


def test_collect_through_the_blender_executable(shot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vendor_publish.models import Role

    from vendor_publish_blender.headless import collect_blend_file

    monkeypatch.setenv("VENDOR_PUBLISH_BLENDER", BLENDER)
    result = collect_blend_file(str(shot / "shot.blend"), blender=BLENDER, timeout=120)
    assert "bpy" not in sys.modules
    version = subprocess.run([BLENDER, "--version"], capture_output=True, text=True, timeout=60).stdout.split()[1]
    assert result.host == "blender" and result.host_version.startswith(version)
    got = {(i.path, i.role, i.kind, i.frames) for i in result.items}
    assert got == {
        (str(shot / "tex" / "seq.####.png"), Role.DEPENDENCY, "image", (1, 3)),
        (str(shot / "lib.blend"), Role.DEPENDENCY, "library", None),
        (str(shot / "tex" / "lib.png"), Role.DEPENDENCY, "image", None),
        (str(shot / "render" / "shot_####.png"), Role.OUTPUT, "render_output", (1, 10)),
    }
    assert result.findings == []


def test_a_newer_file_than_the_executable_gets_a_plain_explanation(scenes: dict[str, Any]) -> None:
    from vendor_publish.errors import VendorPublishError

    from vendor_publish_blender.headless import blend_file_version, collect_blend_file

    version = subprocess.run([BLENDER, "--version"], capture_output=True, text=True, timeout=60).stdout.split()[1]
    saved_by = blend_file_version(scenes["blend"])
    if tuple(map(int, version.split(".")[:2])) >= tuple(map(int, saved_by.split("."))):
        pytest.skip(f"Blender {version} can read files from {saved_by}")
    with pytest.raises(VendorPublishError, match="could not collect") as info:
        collect_blend_file(scenes["blend"], blender=BLENDER, timeout=120)
    assert f"saved by Blender {saved_by}" in (info.value.hint or "")
