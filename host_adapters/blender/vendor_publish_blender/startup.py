"""The operator and File menu entry. UI only: collection lives in ``collection``, loaded on click."""

from __future__ import annotations

import os
from typing import Any

import bpy

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

    def invoke(self, context: Any, event: Any) -> set[str]:
        """Ask before saving; never save silently."""
        if bpy.data.filepath and bpy.data.is_dirty and not self.save_first:
            self.save_first = True
            return context.window_manager.invoke_confirm(
                self, event, title="Unsaved changes",
                message=f"Save {os.path.basename(bpy.data.filepath)} before publishing?",
                confirm_text="Save and Publish")
        return self.execute(context)

    def execute(self, context: Any) -> set[str]:
        """Collect what the .blend uses and produces and report it."""
        problem = _refusal(self.save_first)
        if problem is not None:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        if bpy.data.is_dirty:
            bpy.ops.wm.save_mainfile()  # save_first is set: the artist said yes
        from .collection import collect_current, summarize

        try:
            collection = collect_current()
        except Exception as exc:  # shown in Blender's UI in the same words as the CLI
            hint = getattr(exc, "hint", None)
            self.report({"ERROR"}, f"Publish stopped: {exc}" + (f" {hint}" if hint else ""))
            return {"CANCELLED"}
        blocking = [f for f in collection.findings if f.blocking]
        self.report({"ERROR" if blocking else "WARNING" if collection.findings else "INFO"}, summarize(collection))
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


_CLASSES = (WM_OT_vendor_publish,)


def register() -> None:
    """Add the operator and the File menu entry."""
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.TOPBAR_MT_file.append(_menu_draw)


def unregister() -> None:
    """Remove the File menu entry and the operator."""
    bpy.types.TOPBAR_MT_file.remove(_menu_draw)
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
