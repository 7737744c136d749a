"""A full publish from inside Blender into the sandbox, driven the way the UI drives it.

bpy runs in a subprocess (one main file per process); the sandbox runs in pytest on a free
loopback port and the subprocess gets the vendor's environment. In background mode there is
no dialog to click, so the script calls the dialog operator's execute with what the artist
would have chosen (a comment, the optional bake unticked) and pumps the UI's timer function.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blender_support import needs_bpy, run_bpy
from vendor_env import TASK, build_publish_scene, clean_env, landed, vendor_env

pytestmark = needs_bpy

DRIVER = """
    import json, os, sys, time, traceback, bpy
    # bpy 4.5's "delayed close" thread can deadlock its own exit handler (seen under gdb in
    # GlobalState::~GlobalState): whatever happens, leave with os._exit once the output is written.
    sys.excepthook = lambda *exc: (traceback.print_exception(*exc), sys.stderr.flush(), os._exit(1))
    import vendor_publish_blender
    from vendor_publish_blender import ui
    vendor_publish_blender.register()
    blend, task = sys.argv[1], sys.argv[2]
    bpy.ops.wm.open_mainfile(filepath=blend, load_ui=False, use_scripts=False)

    def pump(until, timeout=90):
        deadline = time.monotonic() + timeout
        while not until() and time.monotonic() < deadline:
            if ui.tick() is None:
                break
            time.sleep(0.005)

    t0 = time.perf_counter()
    bpy.ops.wm.vendor_publish(as_saved=True, task=task)  # the menu click, without the save question
    ctl = ui.current()
    pump(lambda: ctl.stage.value not in ("collecting", "planning"))
    state = {"ready_after": time.perf_counter() - t0, "stage": ctl.stage.value,
             "status": ctl.status_text(), "collection": ctl.collection.model_dump(mode="json")}
    view = ui.plan_view()
    state["view"] = {"groups": [[g.title, [[r.what, r.destination, r.optional] for r in g.rows]] for g in view.groups],
                     "totals": view.totals, "verdict": view.verdict, "blocked": view.blocked,
                     "findings": [list(f.lines) for f in view.findings]}
    optional = [e.id for e in ctl.plan.entries if e.optional]
    state["optional"] = [e.source for e in ctl.plan.entries if e.optional]
    # The artist unticks the optional bake, types a comment and presses Publish.
    bpy.ops.wm.vendor_publish_dialog(comment="first delivery, lighting",
                                     entries=[{"name": i, "entry_id": i, "included": False} for i in optional])
    state["totals_after_untick"] = ui.plan_view().totals
    pump(lambda: ctl.stage.final, timeout=120)
    state["final"] = ctl.stage.value
    state["outcome"] = list(ctl.outcome.lines) if ctl.outcome else None
    state["result"] = ctl.result.model_dump() if ctl.result else None
    state["snapshot"] = ctl.snapshot.model_dump() if ctl.snapshot else None
    state["dirty_saved"] = bpy.data.is_dirty
    print("STATE=" + json.dumps(state), flush=True)
    os._exit(0)
"""


def _state(proc: Any) -> dict[str, Any]:
    return json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("STATE="))[6:])


def test_publish_from_inside_blender_lands_on_the_studio_volume(sandbox: Any, sandbox_api_key: str,
                                                                 tmp_path: Path) -> None:
    env, work = vendor_env(sandbox, sandbox_api_key, tmp_path)
    facts = build_publish_scene(work, "shot010")
    blend = Path(facts["blend"])
    before = blend.read_bytes()

    proc = run_bpy(DRIVER, str(blend), TASK, timeout=240, env=clean_env(env))
    state = _state(proc)

    assert state["stage"] == "ready", state
    udim = next(i for i in state["collection"]["items"] if "<UDIM>" in i["path"])
    assert udim["expected"] == [1001, 1002]  # Blender's declared tiles reach the core
    groups = dict((title, rows) for title, rows in state["view"]["groups"])
    assert [r[0] for r in groups["Project file"]] == ["shot010.blend"]
    deps = {r[0] for r in groups["Dependencies"]}
    assert {"tex/wood.png", "tex/skin.<UDIM>.png [1001-1002] (2 files)"} <= deps
    assert any(r[0].startswith("renders/shot010_####.png [1-3]") for r in groups["Outputs"])
    assert all(r[1].startswith("proj002-outsourcing") or "/" in r[1] for rows in groups.values() for r in rows)
    assert state["view"]["blocked"] is False and state["view"]["verdict"].startswith("Ready to publish")
    assert len(state["optional"]) == 1 and "bakes" in state["optional"][0]
    assert state["totals_after_untick"] != state["view"]["totals"]  # the bake's files left the totals

    assert state["final"] == "done", state["outcome"]
    assert state["outcome"][0].startswith(f"Job {TASK}_output created: id ")
    assert state["outcome"][1].startswith("[done] 100.0%") and "All files arrived at the studio." in state["outcome"][1]
    assert state["snapshot"]["status"] == "done"

    assert blend.read_bytes() == before  # published as saved: never re-saved, never touched
    sandbox.wait_idle(timeout=30)
    dest = landed(sandbox)
    for rel in ("shot010.blend", "tex/wood.png", "tex/skin.1001.png", "tex/skin.1002.png",
                "renders/shot010_0001.png", "renders/shot010_0003.png"):
        assert (dest / rel).read_bytes() == (work / rel).read_bytes(), rel
    assert not (dest / "bakes").exists()  # unticked
    (manifest,) = (dest / "_vendor_publish").glob("*.json")
    data = json.loads(manifest.read_text())
    assert data["comment"] == "first delivery, lighting" and data["host"] == "blender"
    assert sandbox_api_key not in proc.stdout + proc.stderr


CANCEL_DRIVER = """
    import json, os, sys, time, traceback, bpy
    sys.excepthook = lambda *exc: (traceback.print_exception(*exc), sys.stderr.flush(), os._exit(1))
    import vendor_publish_blender
    from vendor_publish_blender import ui
    vendor_publish_blender.register()
    blend, other = sys.argv[1], sys.argv[2]
    state = {}

    def pump():
        for _ in range(20000):
            if ui.tick() is None:
                return
            time.sleep(0.002)

    bpy.ops.wm.open_mainfile(filepath=blend, load_ui=False, use_scripts=False)
    state["cancel_poll_idle"] = bpy.ops.wm.vendor_publish_cancel.poll()
    bpy.ops.wm.vendor_publish(as_saved=True)
    state["cancel_poll_busy"] = bpy.ops.wm.vendor_publish_cancel.poll()
    bpy.ops.wm.vendor_publish_cancel()  # File > Cancel Publish
    pump()
    state["cancelled"] = [ui.current().stage.value, list(ui.current().outcome.lines)]

    bpy.ops.wm.vendor_publish(as_saved=True)
    bpy.ops.wm.open_mainfile(filepath=other, load_ui=False, use_scripts=False)  # another file, mid-scan
    pump()
    state["other_file"] = [ui.current().stage.value, list(ui.current().outcome.lines)]
    print("STATE=" + json.dumps(state), flush=True)
    os._exit(0)
"""


def test_cancel_from_the_menu_and_when_another_file_opens(sandbox: Any, sandbox_api_key: str,
                                                          tmp_path: Path) -> None:
    env, work = vendor_env(sandbox, sandbox_api_key, tmp_path)
    one = build_publish_scene(work / "a", "shot030")["blend"]
    other = build_publish_scene(work / "b", "shot040")["blend"]
    state = _state(run_bpy(CANCEL_DRIVER, one, other, timeout=120, env=clean_env(env)))
    assert state["cancel_poll_idle"] is False and state["cancel_poll_busy"] is True
    assert state["cancelled"] == ["cancelled", ["Not published.", "Nothing was sent."]]
    assert state["other_file"] == ["cancelled", ["Not published.", "Nothing was sent."]]
