"""A bad data-block never stops the scan; output rules match Blender's own ``frame_path``."""

from __future__ import annotations

import json
import os
from typing import Any

from blender_support import needs_bpy, run_bpy

pytestmark = needs_bpy


def _json_line(stdout: str, tag: str) -> Any:
    return json.loads(next(x for x in stdout.splitlines() if x.startswith(tag))[len(tag):])


def test_one_unreadable_datablock_is_a_finding_and_the_scan_goes_on(scenes: dict[str, Any]) -> None:
    proc = run_bpy("""
        import json, sys, bpy
        from vendor_publish_blender import readers_data
        from vendor_publish_blender.collection import collect_raw
        from vendor_publish_blender.readers import DEFAULT_READERS
        from vendor_publish_blender.read_context import Reader

        bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False, use_scripts=False)

        def fragile(ctx, img):
            # What an odd data-block does: its path property raises on access.
            if img.name == "wood":
                raise ValueError("path property unreadable")
            return readers_data._read_image(ctx, img)

        readers = tuple(Reader(r.name, r.blocks, fragile) if r.name == "image" else r for r in DEFAULT_READERS)
        broken_kind = tuple(Reader(r.name, (lambda ctx: 1 / 0), r.read) if r.name == "sound" else r for r in readers)
        print("RAW=" + json.dumps(collect_raw(broken_kind)))
    """, scenes["blend"])
    raw = _json_line(proc.stdout, "RAW=")
    findings = {f["origin"]: f for f in raw["findings"]}
    wood = findings['bpy.data.images["wood"]']
    assert (wood["code"], wood["severity"]) == ("unreadable-reference", "warning")
    assert "path property unreadable" in wood["message"] and "bpy.data.images" in wood["fix"]
    whole = findings["every sound in the .blend"]
    assert whole["code"] == "unreadable-reference" and "ZeroDivisionError" in whole["message"]
    paths = {os.path.basename(i["path"]) for i in raw["items"]}
    assert "wood.png" not in paths and "beep.wav" not in paths
    # The other images of the same kind, and every later reader, still ran.
    assert {"abs.png", "frame.####.png", "skin.<UDIM>.png", "brick.png", "stone.png"} <= paths
    assert {"beauty.####.png", "mask_####.exr", "mono.woff2", "notes.py"} <= paths
    from vendor_publish.models import Collection, Severity

    model = Collection.model_validate(raw)
    assert all(f.severity is Severity.WARNING and not f.blocking for f in model.findings)


def test_output_rules_match_blender_frame_path() -> None:
    """Our replica (used for File Output nodes) against Blender's render ``frame_path``."""
    proc = run_bpy("""
        import json, bpy
        from vendor_publish_blender.blender_paths import output_pattern, pattern_from_frame_paths
        from vendor_publish_blender.readers_output import fill_frame
        r = bpy.context.scene.render
        bad = []
        cases = 0
        for fmt in ("PNG", "OPEN_EXR", "OPEN_EXR_MULTILAYER", "JPEG", "TIFF", "BMP", "DPX", "WEBP", "JPEG2000", "TARGA"):
            r.image_settings.file_format = fmt
            for use_ext in (True, False):
                r.use_file_extension = use_ext
                for path in ("/x/a", "/x/a.####.png", "/x/a.png", "/x/a_##_v.jpeg", "/x/a.####.tif",
                             "/x/a.####.txt", "/x/a.png.####", "/x/d##/b", "/x/s10_", "/x/a.####.PNG"):
                    r.filepath = path
                    ours = output_pattern(path, fmt, use_extension=use_ext, jpeg2k_codec=r.image_settings.jpeg2k_codec)
                    derived = pattern_from_frame_paths(r.frame_path(frame=1), 1, r.frame_path(frame=1000000), 1000000)
                    for frame in (7, 1234, 99999):
                        cases += 1
                        if fill_frame(ours, frame) != r.frame_path(frame=frame) or \\
                                fill_frame(derived, frame) != r.frame_path(frame=frame):
                            bad.append((fmt, use_ext, path, frame, ours, derived, r.frame_path(frame=frame)))
        print("RESULT=" + json.dumps({"cases": cases, "bad": bad}))
    """)
    result = _json_line(proc.stdout, "RESULT=")
    assert result["cases"] == 600
    assert result["bad"] == []


def test_frame_step_names_only_rendered_frames_and_movies_are_one_file(scenes: dict[str, Any], tmp_path) -> None:
    proc = run_bpy("""
        import json, shutil, sys, bpy
        from vendor_publish_blender.collection import collect_raw
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False, use_scripts=False)
        scene = bpy.context.scene
        scene.frame_step = 4
        stepped = [i for i in collect_raw()["items"] if i["kind"] == "render_output"]
        scene.frame_step = 1
        scene.render.image_settings.file_format = "FFMPEG"
        scene.render.ffmpeg.format = "MPEG4"
        movie = [i for i in collect_raw()["items"] if i["kind"] == "render_output"]
        print("OUT=" + json.dumps({"stepped": stepped, "movie": movie}))
    """, scenes["blend"])
    out = _json_line(proc.stdout, "OUT=")
    render_dir = os.path.join(scenes["root"], "project", "render")
    assert sorted(i["path"] for i in out["stepped"]) == [
        os.path.join(render_dir, f"beauty.{f:04d}.png") for f in (1, 5, 9)]
    assert all(i["frames"] is None for i in out["stepped"])
    assert [(i["path"], i["frames"]) for i in out["movie"]] == [(os.path.join(render_dir, "beauty.0001-0010.mp4"), None)]
