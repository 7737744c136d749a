"""The operator and File menu entry. UI only: collection lives in ``collection``, loaded on click."""

from __future__ import annotations

import os
from typing import Any

import bpy

from . import ui
from .profile_label import menu_label

OPERATOR = "wm.vendor_publish"


class WM_OT_vendor_publish(bpy.types.Operator):
    """Publish the saved .blend, what it uses and what it rendered, to the studio"""

    bl_idname = OPERATOR
    bl_label = "Publish to Studio"
    bl_options = {"REGISTER"}

    save_first: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Save First",
        description="Save the .blend before publishing (asked when it has unsaved changes)",
        default=False,
        options={"SKIP_SAVE"},
    )
    as_saved: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="As Saved",
        description="Publish the .blend as it is on disk without saving (scripts in background Blender, "
        "where every file counts as changed)",
        default=False,
        options={"SKIP_SAVE"},
    )
    task: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Task", description="The studio's task (default: from the file name)", options={"SKIP_SAVE"})

    def invoke(self, context: Any, event: Any) -> set[str]:
        """Ask before saving; never save silently."""
        if bpy.data.filepath and bpy.data.is_dirty and not (self.save_first or self.as_saved):
            self.save_first = True
            message = f"Save {os.path.basename(bpy.data.filepath)} before publishing?"
            try:  # Blender 4.1+ lets the question and the button speak
                return context.window_manager.invoke_confirm(self, event, title="Unsaved changes", message=message,
                                                             confirm_text="Save and Publish")
            except TypeError:  # Blender < 4.1: a dialog whose draw() asks the question
                return context.window_manager.invoke_props_dialog(self, width=460)
        return self.execute(context)

    def draw(self, context: Any) -> None:
        """The save question for Blender < 4.1 (newer ones ask through ``invoke_confirm``)."""
        col = self.layout.column()
        col.label(text=f"{os.path.basename(bpy.data.filepath)} has unsaved changes.", icon="QUESTION")
        col.label(text="Save it, then publish? The studio gets the file as it is on disk.")
        col.label(text="OK saves and publishes; click outside this box to cancel.")

    def execute(self, context: Any) -> set[str]:
        """Start the publish: collection from a timer, planning in a worker, then the plan dialog."""
        problem = _refusal(self.save_first or self.as_saved)
        if problem is not None:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        if bpy.data.is_dirty and self.save_first:
            bpy.ops.wm.save_mainfile()  # the artist said yes
        try:
            from . import ui

            ui.start(task=self.task or None)
        except ImportError as exc:
            self.report({"ERROR"}, f"error: vendor-publish's core is not installed for Blender's Python ({exc}).\n"
                                   "  what to do: run: vendor-publish install blender")
            return {"CANCELLED"}
        except Exception as exc:  # the same words as the CLI
            from .messages import error_lines

            self.report({"ERROR"}, "\n".join(error_lines(exc, bpy.data.filepath)))
            return {"CANCELLED"}
        self.report({"INFO"}, "Publish: reading the scene…")
        return {"FINISHED"}


def _refusal(save_confirmed: bool) -> str | None:
    """Why the publish cannot start now, in the artist's words, or None."""
    if not bpy.data.filepath:
        return "Save the .blend first (File > Save As): only a saved file can be published."
    if bpy.data.is_dirty and not save_confirmed:
        # Interactive sessions get asked in invoke(); background scripts must say save_first=True.
        return (f"{os.path.basename(bpy.data.filepath)} has unsaved changes and is never saved for you: "
                "save it (File > Save), then publish again.")
    return None


def _menu_draw(self: Any, context: Any) -> None:
    self.layout.separator()
    self.layout.operator(OPERATOR, text=menu_label(), icon="EXPORT")
    ui.cancel_menu_draw(self, context)


_CLASSES = (WM_OT_vendor_publish, *ui.CLASSES)


def register() -> None:
    """Add the operators and the File menu entry."""
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.TOPBAR_MT_file.append(_menu_draw)


def unregister() -> None:
    """Remove the File menu entry and the operators (and stop watching a running publish)."""
    bpy.types.TOPBAR_MT_file.remove(_menu_draw)
    if bpy.app.timers.is_registered(ui.tick):
        bpy.app.timers.unregister(ui.tick)
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
