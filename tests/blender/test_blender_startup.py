"""The start-up module registers only a menu entry and an operator, and loads nothing heavy."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from blender_support import bpy_env, needs_bpy, run_bpy

pytestmark = needs_bpy

HEAVY = ("httpx", "pydantic", "pydantic_core", "vendor_publish", "platformdirs")

SCRIPT = """
    import json, os, sys, bpy
    heavy = %r
    def loaded():
        return sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
    state = {"before_import": loaded()}
    import vendor_publish_blender
    vendor_publish_blender.register()
    from vendor_publish_blender.profile_label import menu_label
    state["after_register"] = loaded()
    state["operator_type"] = hasattr(bpy.types, "WM_OT_vendor_publish")
    state["menu_funcs"] = [f.__name__ for f in bpy.types.TOPBAR_MT_file._dyn_ui_initialize()]
    state["label"] = menu_label()
    state["bl_idname"] = bpy.types.WM_OT_vendor_publish.bl_idname

    def call(**kw):
        try:
            return sorted(bpy.ops.wm.vendor_publish(**kw)), None
        except RuntimeError as exc:  # an ERROR report surfaces as RuntimeError when called from Python
            return None, str(exc)

    blend = sys.argv[1]
    state["unsaved"] = call()
    bpy.ops.wm.open_mainfile(filepath=blend, load_ui=False, use_scripts=False)
    mtime = os.stat(blend).st_mtime_ns
    state["dirty"] = bpy.data.is_dirty
    state["refused"] = call()
    state["saved_when_refused"] = os.stat(blend).st_mtime_ns != mtime
    state["after_refusal"] = loaded()
    state["confirmed"] = call(save_first=True)
    state["saved_when_confirmed"] = os.stat(blend).st_mtime_ns != mtime
    import time
    from vendor_publish_blender import ui
    ctl = ui.current()
    while ui.tick() is not None:  # what bpy.app.timers does in a UI session
        time.sleep(0.005)
    state["collected"] = {r: sum(1 for i in ctl.collection.items if i.role.value == r) for r in ("dependency", "output")}
    state["outcome"] = list(ctl.outcome.lines)
    state["after_click"] = loaded()
    vendor_publish_blender.unregister()
    state["operator_after_unregister"] = hasattr(bpy.types, "WM_OT_vendor_publish")
    state["menu_after_unregister"] = [f.__name__ for f in bpy.types.TOPBAR_MT_file._dyn_ui_initialize()]
    print("STATE=" + json.dumps(state))
"""


def test_register_menu_operator_and_save_policy(scenes: dict[str, Any], tmp_path: Path) -> None:
    project = Path(scenes["root"]) / "project"
    blend = project / "operator_copy.blend"  # beside the original, so its relative paths still resolve
    shutil.copy(scenes["blend"], blend)
    profile = tmp_path / "studio.toml"
    profile.write_text('display_name = "GeoScan"\n')
    proc = run_bpy(SCRIPT % (HEAVY,), str(blend), env=bpy_env({"VENDOR_PUBLISH_STUDIO": str(profile)}))
    state = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("STATE="))[6:])

    assert state["before_import"] == [] and state["after_register"] == []  # nothing heavy at start-up
    assert state["operator_type"] and state["bl_idname"] == "wm.vendor_publish"
    assert "_menu_draw" in state["menu_funcs"]
    assert state["label"] == "Publish to GeoScan\u2026"

    assert state["unsaved"][0] is None and "Save the .blend first" in state["unsaved"][1]
    # Background Blender calls every file dirty: the operator refuses and never saves on its own.
    assert state["dirty"] is True
    assert state["refused"][0] is None and "unsaved changes" in state["refused"][1]
    assert state["saved_when_refused"] is False
    assert state["after_refusal"] == []
    # With the save explicitly confirmed it saves, collects (from the timer) and plans; this
    # profile has a name but no workspace, so planning stops with the CLI's words.
    assert state["confirmed"] == [["FINISHED"], None]
    assert state["saved_when_confirmed"] is True
    assert state["collected"]["output"] == 2 and state["collected"]["dependency"] > 10
    assert state["outcome"][0].startswith("operator_copy.blend: error: ") and str(profile) in state["outcome"][0]
    assert state["outcome"][1].startswith("  what to do: ")
    assert {"pydantic", "vendor_publish"} <= set(state["after_click"])  # the core loads on click

    assert state["operator_after_unregister"] is False
    assert "_menu_draw" not in state["menu_after_unregister"]
    os.remove(blend)
