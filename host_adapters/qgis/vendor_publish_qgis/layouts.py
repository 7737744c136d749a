"""Export a project's print layouts to PDF as outputs (QGIS main thread; works headless)."""

from __future__ import annotations

import os
from typing import Any

from qgis.core import QgsLayoutExporter

from .outputs import pdf_name
from .refs import OUTPUT, finding, item


def export_pdfs(project: Any, folder: str, names: list[str] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Export each print layout (or those in ``names``) to ``folder``; output items and findings."""
    items: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    layouts = [lay for lay in project.layoutManager().printLayouts() if names is None or lay.name() in names]
    if not layouts:
        return items, findings
    os.makedirs(folder, exist_ok=True)
    for layout in layouts:
        origin = f"print layout {layout.name()!r}"
        target = os.path.join(folder, pdf_name(project.fileName(), layout.name()))
        result = QgsLayoutExporter(layout).exportToPdf(target, QgsLayoutExporter.PdfExportSettings())
        if result == QgsLayoutExporter.Success and os.path.isfile(target):
            items.append(item(target, origin, "layout pdf", role=OUTPUT))
        else:
            findings.append(finding(
                "layout-export-failed", "error",
                f"Exporting {origin} to {target} failed (QGIS export result {int(result)}).",
                path=target, origin=origin,
                fix="Export the layout from QGIS's layout window to see why (a folder you cannot write to?)."))
    return items, findings
