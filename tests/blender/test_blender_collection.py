"""What the adapter collects from a scene built with bpy, checked item by item."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any


from blender_matching import covered_by_any
from blender_support import needs_bpy, run_bpy

pytestmark = needs_bpy


def _by_path(collected: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["path"]: i for i in collected["items"]}


def _proj(scenes: dict[str, Any], rel: str) -> str:
    return os.path.normpath(os.path.join(scenes["root"], "project", rel))


def test_header(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    from vendor_publish.models import Collection

    model = Collection.model_validate(collected)
    assert model.host == "blender"
    assert model.host_version and model.host_version.startswith("4.5")
    assert model.project_file == os.path.normpath(scenes["blend"])
    assert model.findings == []  # background mode: nothing unreadable, no bogus "unsaved" finding


def test_every_kind_is_collected(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    kinds = Counter(i["kind"] for i in collected["items"])
    expected = {"image", "library", "movieclip", "sound", "font", "text", "volume", "point_cache", "ies",
                "bake", "multires", "render_output", "file_output"}
    if scenes["alembic_exported"]:
        expected.add("cache_file")
    assert expected <= set(kinds), kinds


def test_each_path_once(collected: dict[str, Any]) -> None:
    keys = Counter((i["path"], i["role"]) for i in collected["items"])
    assert [k for k, n in keys.items() if n > 1] == []


def test_relative_and_absolute_images(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    items = _by_path(collected)
    wood = items[_proj(scenes, "tex/wood.png")]
    assert (wood["role"], wood["kind"], wood["origin"]) == ("dependency", "image", 'bpy.data.images["wood"].filepath')
    absolute = items[os.path.normpath(os.path.join(scenes["root"], "external", "abs.png"))]
    assert absolute["origin"] == 'bpy.data.images["abs"].filepath'


def test_udim_stays_a_pattern_despite_the_missing_tile(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    assert scenes["udim_tiles"] == [1001, 1002, 1003]
    assert not os.path.exists(_proj(scenes, "tex/udim/skin.1002.png"))
    pattern = _proj(scenes, "tex/udim/skin.<UDIM>.png")
    assert _by_path(collected)[pattern]["frames"] is None  # tiles are the core's to expand
    assert [i for i in collected["items"] if "skin.10" in i["path"]] == []  # never expanded here


def test_image_sequence_keeps_its_range_across_the_gap(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    seq = _by_path(collected)[_proj(scenes, "seq/frame.####.png")]
    assert seq["frames"] == [1, 5]  # the image user's range; frame 3 missing is the plan's finding
    assert [i for i in collected["items"] if "/seq/frame.0" in i["path"]] == []


def test_linked_libraries_are_followed_recursively(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    items = _by_path(collected)
    assert items[_proj(scenes, "libs/lib.blend")]["kind"] == "library"
    assert items[_proj(scenes, "libs/sub/deep.blend")]["kind"] == "library"  # linked by lib.blend, not by us
    brick = items[_proj(scenes, "libs/tex/brick.png")]  # '//tex/brick.png' inside libs/lib.blend
    assert brick["origin"] == 'bpy.data.images["brick.png", "//libs/lib.blend"].filepath'
    stone = items[_proj(scenes, "libs/sub/deep_tex/stone.png")]  # '//deep_tex/stone.png' inside libs/sub/
    assert stone["origin"].startswith('bpy.data.images["stone.png", ')


def test_packed_and_in_memory_data_is_not_a_dependency(collected: dict[str, Any]) -> None:
    paths = " ".join(i["path"] for i in collected["items"])
    assert "packed_only" not in paths
    assert "internal_only" not in paths


def test_other_datablock_kinds(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    items = _by_path(collected)
    clip = items[_proj(scenes, "clip/shot.####.png")]
    assert (clip["kind"], clip["frames"]) == ("movieclip", [1, scenes["clip_duration"]])
    assert items[_proj(scenes, "audio/beep.wav")]["kind"] == "sound"
    assert items[_proj(scenes, "fonts/mono.woff2")]["origin"] == 'bpy.data.fonts["mono"].filepath'
    assert items[_proj(scenes, "scripts/notes.py")]["kind"] == "text"
    assert items[_proj(scenes, "ies/spot.ies")]["origin"] == \
        'bpy.data.materials["Look"].node_tree.nodes["IES Texture"].filepath'
    volume = items[_proj(scenes, "vdb/smoke.####.vdb")]
    assert (volume["kind"], volume["frames"]) == ("volume", [1, 3])
    plate = items[_proj(scenes, "plate/plate_###.png")]
    assert plate["frames"] == [1, 3]
    assert plate["origin"] == 'bpy.data.scenes["Scene"].sequence_editor.strips_all["plate"].directory'
    if scenes["alembic_exported"]:
        assert items[_proj(scenes, "cache/anim.abc")]["kind"] == "cache_file"


def test_point_cache_is_the_disk_cache_folder(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    cache = _by_path(collected)[_proj(scenes, "blendcache_scene")]
    assert (cache["kind"], cache["is_dir"], cache["optional"]) == ("point_cache", True, True)  # not baked
    assert cache["origin"].startswith('bpy.data.objects["Emitter"].modifiers["Particles"]')


def test_simulation_bake_and_multires(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    items = _by_path(collected)
    bake = items[os.path.normpath(scenes["gn_bake"])]  # <bake_directory>/<bake id>, as Blender writes it
    assert (bake["kind"], bake["is_dir"]) == ("bake", True)
    assert bake["origin"] == 'bpy.data.objects["Sim"].modifiers["Sim"].bake_directory'
    assert sorted(os.listdir(bake["path"])) == ["blobs", "meta"]  # the folder really is the bake
    disp = items[_proj(scenes, "sculpt/disp.btx")]
    assert (disp["kind"], disp["origin"]) == ("multires", 'bpy.data.objects["Sculpt"].modifiers["Multires"].filepath')
    assert os.path.isfile(disp["path"])


def test_outputs_over_the_frame_range(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    items = _by_path(collected)
    render = items[_proj(scenes, "render/beauty.####.png")]
    assert (render["role"], render["kind"], render["frames"]) == ("output", "render_output", [1, 10])
    assert render["origin"] == 'bpy.data.scenes["Scene"].render.filepath'
    comp = items[_proj(scenes, "comp/mask_####.exr")]
    assert (comp["role"], comp["kind"], comp["frames"]) == ("output", "file_output", [1, 10])
    assert comp["origin"].endswith('.nodes["Comp Out"].file_slots["mask_"].path')
    assert {i["role"] for i in collected["items"] if i["role"] == "output"} == {"output"}
    assert sum(1 for i in collected["items"] if i["role"] == "output") == 2


def test_everything_blender_lists_is_collected(collected: dict[str, Any], scenes: dict[str, Any]) -> None:
    """Blender's own ``bpy.utils.blend_paths`` is a second witness: each path it lists is ours."""
    proc = run_bpy("""
        import json, sys, bpy
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False, use_scripts=False)
        print("PATHS=" + json.dumps(bpy.utils.blend_paths(absolute=True, packed=False, local=False)))
    """, scenes["blend"])
    line = next(x for x in proc.stdout.splitlines() if x.startswith("PATHS="))
    listed = {os.path.normpath(p) for p in json.loads(line[6:]) if p}
    missing = sorted(p for p in listed if not covered_by_any(collected["items"], p))
    assert missing == []
