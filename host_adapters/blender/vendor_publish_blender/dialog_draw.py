"""Draw a ``view.PlanView`` into a Blender layout (the plan dialog's body)."""

from __future__ import annotations

from typing import Any

from .view import PlanView

ROLE_ICONS = {"Project file": "FILE_BLEND", "Dependencies": "LINKED", "Outputs": "RENDER_RESULT"}
SEVERITY_ICONS = {"error": "ERROR", "warning": "ERROR", "info": "INFO"}


def draw_plan(layout: Any, view: PlanView | None, toggles: dict[str, Any], op: Any, *,
              plain_buttons: bool = False) -> None:
    """Heading, files by role (optional ones with a tick box), findings, comment, totals, verdict.

    ``plain_buttons``: the dialog's button says OK (Blender < 4.1), so the verdict says what it does.
    """
    if view is None:
        layout.label(text="The plan is not ready yet.")
        return
    head = layout.column(align=True)
    for line in view.heading:
        head.label(text=line.strip())
    for group in view.groups:
        box = layout.box()
        box.label(text=f"{group.title}", icon=ROLE_ICONS.get(group.title, "FILE"))
        col = box.column(align=True)
        for row in group.rows:
            line = col.row(align=True)
            toggle = toggles.get(row.entry_id)
            if row.optional and toggle is not None:
                line.prop(toggle, "included", text="")
            else:
                line.label(text="", icon="CHECKMARK")  # always published: no box to untick
            split = line.split(factor=0.45, align=True)
            split.label(text=row.what)
            right = split.split(factor=0.82, align=True)
            right.label(text=f"\u2192 {row.destination}")
            right.label(text=row.size)
        if group.more:
            col.label(text=f"\u2026 and {group.more} more ({group.more_size}); "
                           "'vendor-publish plan' lists every file.")
    if view.findings:
        box = layout.box()
        box.label(text="Findings", icon="VIEWZOOM")
        col = box.column(align=True)
        for finding in view.findings:
            for i, text in enumerate(finding.lines):
                line = col.row()
                line.alert = finding.blocking and i == 0
                line.label(text=text.strip(), icon=SEVERITY_ICONS.get(finding.severity, "INFO") if i == 0 else "BLANK1")
    for note in view.notes:
        layout.label(text=note, icon="INFO")
    layout.prop(op, "comment")
    layout.label(text=view.totals)
    verdict = layout.row()
    verdict.alert = view.blocked
    text = view.disabled_reason or view.verdict
    if plain_buttons:
        text += (" OK closes this box; nothing is sent." if view.blocked
                 else " Press OK to publish; click outside this box to cancel.")
    verdict.label(text=text, icon="CANCEL" if view.blocked else "CHECKMARK")
    if any(row.optional for group in view.groups for row in group.rows):
        layout.label(text="Untick optional items to leave them out of this publish.", icon="INFO")
