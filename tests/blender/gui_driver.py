"""Drive Blender's real UI (under xvfb) as an artist would and take screenshots.

``blender scene.blend --python gui_driver.py -- OUTDIR MODE`` with MODE one of:
``menu`` (File menu open), ``save`` (unsaved changes: the save question), ``dialog`` (the plan
dialog; then Publish is pressed and the result shown), ``blocked`` (a plan that cannot be
published). Writes OUTDIR/MODE*.png and OUTDIR/MODE.json, then quits.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

import bpy

ARGS = sys.argv[sys.argv.index("--") + 1:]
OUT, MODE = ARGS[0], ARGS[1]
STATE: dict = {"mode": MODE, "blender": bpy.app.version_string, "shots": []}


def window_context() -> dict:
    window = bpy.context.window_manager.windows[0]
    area = max(window.screen.areas, key=lambda a: a.width * a.height)
    return {"window": window, "screen": window.screen, "area": area}


def topbar_context() -> dict:
    """The top bar when the screen lists it; global areas are hidden from ``screen.areas`` in some versions."""
    ctx = window_context()
    area = next((a for a in ctx["screen"].areas if a.type == "TOPBAR"), None)
    if area is None:
        return ctx  # the menu then opens at the pointer: the same menu, drawn by the same code
    region = next(r for r in area.regions if r.type == "HEADER")
    return {**ctx, "area": area, "region": region}


def shot(name: str) -> None:
    path = os.path.join(OUT, f"{name}.png")
    with bpy.context.temp_override(**window_context()):
        bpy.ops.screen.screenshot(filepath=path, check_existing=False)
    # Three quarters of the size is still readable and keeps the README's pictures small.
    img = bpy.data.images.load(path)
    width, height = img.size
    img.scale(width * 3 // 4, height * 3 // 4)
    img.save()
    bpy.data.images.remove(img)
    STATE["shots"].append(path)


def finish(code: int = 0) -> None:
    with open(os.path.join(OUT, f"{MODE}.json"), "w") as fh:
        json.dump(STATE, fh, indent=1)
    sys.stdout.flush()
    os._exit(code)  # no "save changes?" question, no exit handlers


def script(steps):
    """Run a generator of waits (seconds) from a timer, so Blender draws between steps."""
    gen = steps()

    def tick():
        try:
            return next(gen)
        except StopIteration:
            finish(0)
        except Exception:
            STATE["error"] = traceback.format_exc()
            finish(1)
        return None

    bpy.app.timers.register(tick, first_interval=1.5)


def controller():
    from vendor_publish_blender import ui

    return ui


def wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        yield 0.2


def menu():
    with bpy.context.temp_override(**topbar_context()):
        bpy.ops.wm.call_menu(name="TOPBAR_MT_file")
    yield 1.0
    shot("file_menu")


def save():
    with bpy.context.temp_override(**window_context()):
        bpy.ops.mesh.primitive_cube_add()  # an unsaved change, made the way an artist makes one
        bpy.ops.ed.undo_push(message="Add Cube")  # what the UI does after an operator (marks the file changed)
    yield 0.5
    STATE["dirty_before"] = bpy.data.is_dirty
    with bpy.context.temp_override(**window_context()):
        STATE["invoke"] = sorted(bpy.ops.wm.vendor_publish("INVOKE_DEFAULT"))
    yield 1.0
    STATE["saved"] = not bpy.data.is_dirty
    shot("save_prompt")


def dialog():
    t0 = time.perf_counter()
    with bpy.context.temp_override(**window_context()):
        bpy.ops.wm.vendor_publish("INVOKE_DEFAULT")  # what the menu item does
    ui = controller()
    yield from wait_for(lambda: ui.current() is not None and ui.current().stage.value not in ("collecting", "planning"),
                        60)
    ctl = ui.current()
    STATE["menu_to_dialog_s"] = time.perf_counter() - t0
    STATE["stage"] = ctl.stage.value
    view = ui.plan_view()
    STATE["blocked"] = view.blocked if view else None
    STATE["verdict"] = view.disabled_reason or view.verdict if view else None
    STATE["outcome"] = list(ctl.outcome.lines) if ctl.outcome else None
    yield 1.0
    shot(MODE)
    if MODE != "dialog" or ctl.stage.value != "ready":
        return
    # The artist presses Return: the dialog's OK/Publish button (Blender started with
    # --enable-event-simulate, so this goes through Blender's own event handling).
    window = bpy.context.window_manager.windows[0]
    window.event_simulate(type="RET", value="PRESS")
    window.event_simulate(type="RET", value="RELEASE")
    yield from wait_for(lambda: ctl.stage.value != "ready", 10)
    STATE["after_return"] = ctl.stage.value
    yield from wait_for(lambda: ctl.stage.final, 90)
    STATE["final"] = ctl.stage.value
    STATE["outcome"] = list(ctl.outcome.lines) if ctl.outcome else None
    yield 1.5
    shot("result")


try:
    os.makedirs(OUT, exist_ok=True)
    script({"menu": menu, "save": save, "dialog": dialog, "blocked": dialog}[MODE])
except Exception:
    STATE["error"] = traceback.format_exc()
    finish(1)
