"""Blender's side of the publish: the timer that drives the controller, the plan dialog, cancel, result.

Only bpy and this package at import time (it is registered at start-up); the core loads in
``start``. Everything that decides lives in ``controller`` and ``view``; this module draws and
forwards clicks. No worker ever calls bpy: they talk to the controller, this timer reads it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import bpy

from .profile_label import studio_name

if TYPE_CHECKING:
    from .controller import PublishController
    from .view import PlanView

#: Seconds of bpy reading per timer tick while collecting: Blender redraws between ticks.
COLLECT_BUDGET = 0.03
DIALOG = "wm.vendor_publish_dialog"
DIALOG_WIDTH = 900
#: Seconds the dialog waits for the online check after the plan is ready. A popup only redraws
#: on events over it, so an answer that arrives later shows when the mouse moves; within this
#: grace (loopback, a studio nearby) the dialog opens complete. Publish waits for it either way.
ACCESS_GRACE = 0.3
#: Blender < 4.1 cannot name a dialog's buttons: its OK button publishes, and the dialog says so.
PLAIN_BUTTONS = bpy.app.version < (4, 1, 0)


@dataclass
class Session:
    """The running publish and what the UI has done about it."""

    controller: PublishController
    dialog_shown: bool = False
    view: PlanView | None = None
    view_of: tuple[int, bool, bool] = (0, False, False)  # the plan's id(), access pending, access failed
    status: str | None = None  # what the status bar says now (set only when it changes)


# Blender re-creates operators on every call and timers are bare functions: the one publish
# of this Blender session has to live somewhere they can all find it.
_SESSION: dict[str, Session] = {}


def dialog_opened() -> bool:
    """Whether the plan dialog of the current publish was opened (or would be, in background mode)."""
    session = _SESSION.get("current")
    return session is not None and session.dialog_shown


def current() -> PublishController | None:
    """The publish of this Blender session, if one was started."""
    session = _SESSION.get("current")
    return session.controller if session else None


def plan_view() -> PlanView | None:
    """The dialog's content for the current plan (rebuilt only when the plan changed)."""
    session = _SESSION.get("current")
    if session is None or session.controller.plan is None:
        return None
    ctl = session.controller
    key = (id(ctl.plan), ctl.access_pending, ctl.access_error is not None)
    if session.view is None or session.view_of != key:
        from .view import build_view

        notes, blocking = ctl.access_lines()
        session.view = build_view(ctl.plan, notes=notes, blocked_by=notes[0] if blocking else None)
        session.view_of = key
    return session.view


def start(task: str | None = None) -> PublishController:
    """Begin a publish of the open (saved) .blend: collection runs from a timer, in small steps."""
    session = _SESSION.get("current")
    if session is not None and session.controller.stage.busy:
        from vendor_publish.errors import VendorPublishError

        raise VendorPublishError("A publish is already running in this Blender.",
                                 hint="Wait for it, or cancel it (File > Cancel Publish), then publish again.")
    from .collection import collect_steps
    from .controller import PublishController

    controller = PublishController(task=task)
    controller.begin(collect_steps(), bpy.data.filepath)
    _SESSION["current"] = Session(controller)
    _schedule()
    return controller


def _schedule() -> None:
    # Persistent: a publish already reading files or followed at accsyn goes on if the artist
    # opens another .blend, and its result is still shown.
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=0.0, persistent=True)


def tick() -> float | None:
    """The timer: advance collection, take the workers' results, update the status bar, show dialogs."""
    session = _SESSION.get("current")
    if session is None:
        return None
    ctl = session.controller
    if ctl.stage.value == "collecting":
        if os.path.normcase(bpy.data.filepath) != os.path.normcase(ctl.project):
            ctl.cancel()  # another file was opened mid-scan: its data is not this project's
        ctl.collect_step(COLLECT_BUDGET)
    ctl.poll()
    if ctl.stage.final:
        _status(session, None)
        _show_result(ctl)
        return None
    if ctl.stage.value == "ready":
        if not session.dialog_shown:
            if ctl.access_pending and time.perf_counter() - ctl.timings["planned"] < ACCESS_GRACE:
                _status(session, ctl.status_text())
                return 0.002
            session.dialog_shown = True
            _open_dialog()
        if ctl.access_pending:
            _status(session, ctl.status_text())
            return 0.02  # the online check's answer goes into the open dialog
        if not bpy.app.background:
            _redraw()
            # The dialog has it now: Publish starts this timer again. (Blender < 4.1 may not tell a
            # dialog dismissed by moving away, so no timer and no stale status text are left behind.)
            _status(session, None)
            return None
    _status(session, ctl.status_text())
    # Collecting: run again at once (Blender still redraws between ticks). Planning: a queue
    # poll every 2 ms (the status bar is only touched when its text changes), so the dialog
    # opens right after the plan. Publishing: the status bar every 0.1 s is plenty.
    return {"collecting": 0.0, "planning": 0.002, "ready": 0.25}.get(ctl.stage.value, 0.1)


def _redraw() -> None:
    # The online answer came after the dialog opened: tag every area so Blender redraws now. A
    # popup may still wait for the next event over it to show the answer (Publish waits for the
    # answer either way).
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            area.tag_redraw()


def _window() -> Any:
    wm = bpy.context.window_manager
    return bpy.context.window or (wm.windows[0] if wm and wm.windows else None)


def _status(session: Session, text: str | None) -> None:
    if bpy.app.background or text == session.status:
        return
    session.status = text
    for window in bpy.context.window_manager.windows:
        window.workspace.status_text_set(text)


def _open_dialog() -> None:
    window = _window()
    if bpy.app.background or window is None:
        return  # no one to ask: a script calls the dialog's execute (see tests/blender)
    with bpy.context.temp_override(window=window, screen=window.screen):
        bpy.ops.wm.vendor_publish_dialog("INVOKE_DEFAULT")


def _show_result(ctl: PublishController) -> None:
    outcome = ctl.outcome
    if outcome is None:
        return
    if bpy.app.background:
        print("\n".join(outcome.lines))
        return
    window = _window()
    if window is None:
        return
    with bpy.context.temp_override(window=window, screen=window.screen):
        try:
            bpy.ops.wm.vendor_publish_result("INVOKE_DEFAULT")
        except RuntimeError:
            pass  # an ERROR report raises when an operator is called from Python; it was shown


def _invoke_dialog(wm: Any, op: Any, *, confirm: str) -> set[str]:
    try:  # Blender 4.1+ names the buttons; older ones say OK
        return wm.invoke_props_dialog(op, width=DIALOG_WIDTH, title=f"Publish to {studio_name()}",
                                      confirm_text=confirm)
    except TypeError:
        return wm.invoke_props_dialog(op, width=DIALOG_WIDTH)


class VendorPublishEntry(bpy.types.PropertyGroup):
    """An optional plan entry the artist may untick."""

    entry_id: bpy.props.StringProperty()  # type: ignore[valid-type]
    included: bpy.props.BoolProperty(name="Include", default=True,  # type: ignore[valid-type]
                                     description="Publish this optional file")


class WM_OT_vendor_publish_dialog(bpy.types.Operator):
    """Show the plan: files by role and where they go, findings, comment, totals"""

    bl_idname = DIALOG
    bl_label = "Publish"
    bl_options = {"INTERNAL"}

    comment: bpy.props.StringProperty(name="Comment", description="A note for the studio with this publish")  # type: ignore[valid-type]
    entries: bpy.props.CollectionProperty(type=VendorPublishEntry)  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context: Any) -> bool:
        ctl = current()
        return ctl is not None and ctl.stage.value == "ready"

    def invoke(self, context: Any, event: Any) -> set[str]:
        ctl = current()
        self.comment = ctl.plan.comment
        self.entries.clear()
        for entry in ctl.plan.entries:
            if entry.optional:
                item = self.entries.add()
                item.entry_id, item.included = entry.id, entry.included
        return _invoke_dialog(context.window_manager, self, confirm="Close" if ctl.plan.blocked else "Publish")

    def check(self, context: Any) -> bool:
        current().set_included({e.entry_id: e.included for e in self.entries})
        return True  # redraw: totals and findings may have changed

    def draw(self, context: Any) -> None:
        from .dialog_draw import draw_plan

        draw_plan(self.layout, plan_view(), {e.entry_id: e for e in self.entries}, self, plain_buttons=PLAIN_BUTTONS)

    def execute(self, context: Any) -> set[str]:
        ctl = current()
        ctl.set_included({e.entry_id: e.included for e in self.entries})
        view = plan_view()
        if ctl.access_error is not None:
            ctl.close()  # ends the publish with the error, shown as the CLI words it
            _schedule()
            return {"CANCELLED"}
        if ctl.plan.blocked:
            ctl.close()
            self.report({"WARNING"}, f"{view.disabled_reason} Nothing was sent.")
            return {"CANCELLED"}
        ctl.publish(self.comment)
        _schedule()
        self.report({"INFO"}, f"Publishing {ctl.plan.totals.files} files; File > Cancel Publish stops it.")
        return {"FINISHED"}

    def cancel(self, context: Any) -> None:
        ctl = current()
        if ctl is not None:
            ctl.close()


class WM_OT_vendor_publish_cancel(bpy.types.Operator):
    """Stop the running publish at the next file (a job already created goes on at accsyn)"""

    bl_idname = "wm.vendor_publish_cancel"
    bl_label = "Cancel Publish"

    @classmethod
    def poll(cls, context: Any) -> bool:
        ctl = current()
        return ctl is not None and ctl.stage.busy

    def execute(self, context: Any) -> set[str]:
        current().cancel()
        self.report({"INFO"}, "Cancelling the publish…")
        return {"FINISHED"}


class WM_OT_vendor_publish_result(bpy.types.Operator):
    """How the last publish ended"""

    bl_idname = "wm.vendor_publish_result"
    bl_label = "Publish Result"
    bl_options = {"INTERNAL"}

    def invoke(self, context: Any, event: Any) -> set[str]:
        outcome = current().outcome

        def draw(menu: Any, _context: Any) -> None:
            for line in outcome.lines:
                menu.layout.label(text=line)

        context.window_manager.popup_menu(draw, title=f"Publish to {studio_name()}",
                                          icon={"ERROR": "ERROR", "WARNING": "ERROR"}.get(outcome.level, "INFO"))
        return self.execute(context)

    def execute(self, context: Any) -> set[str]:
        outcome = current().outcome
        self.report({outcome.level}, "\n".join(outcome.lines))
        return {"FINISHED"}


CLASSES = (VendorPublishEntry, WM_OT_vendor_publish_dialog, WM_OT_vendor_publish_cancel, WM_OT_vendor_publish_result)


def cancel_menu_draw(menu: Any, context: Any) -> None:
    """File menu: *Cancel Publish* while one runs."""
    ctl = current()
    if ctl is not None and ctl.stage.busy:
        menu.layout.operator("wm.vendor_publish_cancel", icon="CANCEL")
