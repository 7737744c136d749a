"""The publish dialog: the core's plan as QGIS's own Qt shows it (main thread only).

Files grouped by role with their destinations (``plan_model``: rows are drawn only when on
screen), the findings, a comment, the totals. Optional entries can be unticked; blocking
findings disable Publish. All wording comes from ``vendor_publish.report``, so the dialog and
the CLI say the same things.
"""

from __future__ import annotations

import os
from typing import Any

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QBrush, QColor
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)
from vendor_publish import report
from vendor_publish.models import Plan, Severity
from vendor_publish.validation import set_included, summarise, totals

from .plan_model import PlanFilesModel

SEVERITY_COLOURS = {Severity.ERROR: QColor(178, 34, 34), Severity.WARNING: QColor(184, 134, 11),
                    Severity.INFO: QColor(90, 90, 90)}


def summary_lines(plan: Plan) -> list[str]:
    """The totals and verdict, exactly as ``vendor-publish plan`` ends."""
    return report.summary_lines(plan)


class PlanDialog(QDialog):
    """Shows a plan; ``current_plan()`` is what the analyst chose (ticks and comment).

    Made with ``plan=None`` it opens at once, saying the plan is being made (Publish disabled),
    while the plan is made in a worker; ``show_plan`` then fills it in.
    """

    def __init__(self, plan: Plan | None, *, title: str, layouts: int = 0, note: str = "", profile: Any = None,
                 parent: Any = None, project_file: str = "") -> None:
        super().__init__(parent)
        self.profile = profile  # the studio's rules, to check the plan again when a tick changes
        self.setObjectName("vendorPublishDialog")
        self.setWindowTitle(title)
        self.resize(980, 640)
        self.plan: Plan | None = None
        layout = QVBoxLayout(self)
        # three lines, as the plan's header has: the layout stays put when the plan comes, and
        # only what changed is painted again
        self.header = QLabel(f"Planning the publish of {os.path.basename(project_file)}:\n"
                             "looking at, mapping and checking every file...\n")
        self.header.setToolTip(project_file)
        self.header.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.header)
        if note:
            self.note = QLabel(note)
            self.note.setObjectName("vendorPublishNote")
            self.note.setStyleSheet("font-weight: bold")
            self.note.setWordWrap(True)  # it names a folder: a long path must not widen the dialog
            layout.addWidget(self.note)
        splitter = QSplitter(Qt.Vertical)
        self.files = QTableView()
        self.files.setObjectName("vendorPublishFiles")
        # the row header goes before the model comes: a visible one sizes itself from ~200 rows'
        # header data (800 calls into Python) as the model is set. Fixed row heights: the view
        # never asks every row for its size.
        self.files.verticalHeader().hide()
        self.files.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.files.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.model = PlanFilesModel(self.files)  # rows come with the plan (``show_plan``)
        self.files.setModel(self.model)
        self.files.setShowGrid(False)
        self.files.setSelectionBehavior(QTableView.SelectRows)
        self.files.setWordWrap(False)
        self.files.horizontalHeader().setStretchLastSection(True)
        self.files.setColumnWidth(0, 440)
        self.files.setColumnWidth(1, 380)
        self.model.ticked.connect(self._ticked)
        splitter.addWidget(self.files)
        self.findings = QTreeWidget()
        self.findings.setObjectName("vendorPublishFindings")
        self.findings.setHeaderLabels(["Findings"])
        splitter.addWidget(self.findings)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        layout.addWidget(QLabel("Comment for the studio:"))
        self.comment = QPlainTextEdit(plan.comment if plan is not None else "")
        self.comment.setObjectName("vendorPublishComment")
        self.comment.setMaximumHeight(60)
        layout.addWidget(self.comment)
        self.export_layouts = QCheckBox(f"Export the project's {layouts} print layout(s) to PDF as outputs")
        self.export_layouts.setObjectName("vendorPublishExportLayouts")
        self.export_layouts.setVisible(layouts > 0)
        layout.addWidget(self.export_layouts)
        self.totals = QLabel()
        self.totals.setObjectName("vendorPublishTotals")
        layout.addWidget(self.totals)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.publish_button = self.buttons.addButton("Publish", QDialogButtonBox.AcceptRole)
        self.publish_button.setObjectName("vendorPublishButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.export_layouts.toggled.connect(self._refresh_totals)
        self.ended = False  # closed (Publish, Cancel, or by the plugin)
        self.finished.connect(self._end)
        if plan is None:
            self._refresh_totals()
        else:
            self.show_plan(plan)

    def _end(self, *_: Any) -> None:
        self.ended = True

    def show_plan(self, plan: Plan) -> None:
        """Show the plan (once; ``_ticked`` updates it after)."""
        self.plan = plan
        self.header.setText("\n".join(line.strip() for line in report.header_lines(plan)))
        self.header.setToolTip("")
        self.model.show_plan(plan)
        if plan.comment and not self.comment.toPlainText():
            self.comment.setPlainText(plan.comment)
        self._fill_findings()

    def _fill_findings(self) -> None:
        self.findings.clear()
        for finding in summarise(self.plan.findings):
            lines = report.finding_lines(finding)
            node = QTreeWidgetItem([lines[0]])
            node.setForeground(0, QBrush(SEVERITY_COLOURS[finding.severity]))
            node.setToolTip(0, "\n".join(lines))
            for line in lines[1:]:
                node.addChild(QTreeWidgetItem([line.strip()]))
            self.findings.addTopLevelItem(node)
            node.setExpanded(finding.severity is Severity.ERROR)
        if not self.plan.findings:
            self.findings.addTopLevelItem(QTreeWidgetItem(["No findings."]))
        self._refresh_totals()

    def _ticked(self, entry_id: str, included: bool) -> None:
        if self.profile is not None:  # findings of a left-out file go, the studio's rules run again
            self.plan = set_included(self.plan, self.profile, {entry_id: included})
            self._fill_findings()
        else:
            entries = [e.model_copy(update={"included": included}) if e.id == entry_id else e for e in self.plan.entries]
            self.plan = self.plan.model_copy(update={"entries": entries, "totals": totals(entries, self.plan.findings)})
        self.model.set_plan(self.plan)
        self._refresh_totals()

    def _refresh_totals(self, *_: Any) -> None:
        if self.plan is None:
            self.totals.setText("Planning...")
            self.publish_button.setEnabled(False)
            return
        lines = summary_lines(self.plan)
        if self.export_layouts.isChecked():
            lines.append("Print layouts are exported to PDF and added when you press Publish.")
        self.totals.setText("\n".join(lines))
        self.publish_button.setEnabled(not self.plan.blocked)
        self.publish_button.setToolTip("Fix the problems marked ERROR first." if self.plan.blocked else "")

    def current_plan(self) -> Plan:
        """The plan with the analyst's ticks and comment."""
        return self.plan.model_copy(update={"comment": self.comment.toPlainText().strip()})
