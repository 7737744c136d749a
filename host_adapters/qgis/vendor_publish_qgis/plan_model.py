"""The plan's files as a Qt table model: a title row per role, then one row per entry (main thread).

An entry is one row whatever it holds (a sequence, a folder, a file with its companions: a
shapefile and its sidecars); its label counts the files and the tooltip names a file's companions.

A ``QTreeWidget`` builds a C++ item with tooltips and flags for each of thousands of files
before the dialog can show; a model answers only for the rows on screen, so opening the dialog
costs the same for 50 files or 5,000. Texts use ``vendor_publish.report``'s words.
"""

from __future__ import annotations

import os
from operator import attrgetter
from typing import Any

from qgis.PyQt.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from qgis.PyQt.QtGui import QFont
from vendor_publish import report
from vendor_publish.models import EntryKind, Plan, PlanEntry, Role

#: Data role holding an entry's id (the dialog's tests and ticks use it).
ENTRY_ROLE = Qt.UserRole + 1
#: The roles ``data`` answers; the others get None at once.
ANSWERED_ROLES = frozenset({Qt.DisplayRole, Qt.ToolTipRole, Qt.CheckStateRole, Qt.FontRole, ENTRY_ROLE})
COLUMNS = 3


def shown_source(source: str, project_root: str) -> str:
    """A source relative to the project root when inside it (the tooltip keeps the full path)."""
    root = project_root.rstrip("/\\")
    if source.startswith(root) and source[len(root):len(root) + 1] in ("/", "\\"):
        return source[len(root) + 1:]
    return source


def shown_destination(destination: str, upload_root: str) -> str:
    """The destination under the upload folder the header names."""
    prefix = upload_root.rstrip("/") + "/"
    return destination[len(prefix):] if destination.startswith(prefix) else destination


def _tooltip(entry: PlanEntry) -> str:
    """The full source, the files that go with a file (its companions), where it comes from."""
    lines = [entry.source]
    if entry.kind is EntryKind.FILE and entry.members:  # not a sequence's: those could be thousands
        own = os.path.basename(entry.source)
        lines.append("with: " + ", ".join(name for name in entry.members if name != own))
    if entry.origin:
        lines.append(f"from: {entry.origin}")
    return "\n".join(lines)


class PlanFilesModel(QAbstractTableModel):
    """Files by role, flat: a title row per role, then its entries; ``ticked(entry_id, included)``.

    Flat on purpose: a ``QTreeView`` lays out every expanded row (three calls into Python per
    file) before it paints, a table asks only for the rows on screen.
    """

    ticked = pyqtSignal(str, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        # the upload folder is named in the dialog's header: the titles stay put when the plan comes
        self.headers = ["File (in the project root unless a full path)", "Destination (under the upload folder)",
                        "Size"]
        self.plan: Plan | None = None
        self.rows: list[tuple[str, str] | PlanEntry] = []  # none until ``show_plan``

    def show_plan(self, plan: Plan) -> None:
        """Show a plan's rows (the first, or another with other entries)."""
        self.beginResetModel()
        self._set(plan)
        self.endResetModel()

    def _set(self, plan: Plan) -> None:
        self.plan = plan
        by_role: dict[Role, list[PlanEntry]] = {role: [] for role in Role}
        for entry in plan.entries:
            by_role[entry.role].append(entry)
        #: one row each: (title, size) for a role's title row, a PlanEntry for a file
        self.rows: list[tuple[str, str] | PlanEntry] = []
        for role, entries in by_role.items():
            if entries:
                # the sizes summed in C: a Python generator over 2,000 entries' ``size`` costs ~1 ms
                size = report.human_size(sum(map(sum, map(attrgetter("sizes"), entries))))
                self.rows.append((f"{report.ROLE_TITLES[role]} ({len(entries)})", size))
                self.rows.extend(entries)

    def set_plan(self, plan: Plan) -> None:
        """Take a plan with the same entries (ticks or findings changed); repaint the ticks."""
        self._set(plan)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0), [Qt.CheckStateRole])

    def entry(self, index: QModelIndex) -> PlanEntry | None:
        """The plan entry of a row (None for a title row)."""
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        return None if isinstance(row, tuple) else row

    # -- QAbstractTableModel --------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        """Title rows and file rows."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        """File, destination, size."""
        return 0 if parent.isValid() else COLUMNS

    def headerData(self, section: int, orientation: Any, role: int = Qt.DisplayRole) -> Any:  # noqa: N802
        """The column titles."""
        if orientation == Qt.Horizontal and role == Qt.DisplayRole and 0 <= section < COLUMNS:
            return self.headers[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        """Texts, tooltips, tick state and entry id of one cell."""
        if role not in ANSWERED_ROLES or not index.isValid():  # the view asks ~8 roles per cell painted
            return None
        column = index.column()
        row = self.rows[index.row()]
        if isinstance(row, tuple):
            if role == Qt.DisplayRole:
                return (row[0], "", row[1])[column]
            if role == Qt.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.DisplayRole:
            if column == 0:
                return report.entry_label(row, shown_source(row.source, self.plan.project_root))
            if column == 1:
                return shown_destination(row.destination, self.plan.upload_root)
            return report.human_size(row.size)
        if role == Qt.ToolTipRole:
            if column == 0:
                return _tooltip(row)
            if column == 1:
                return f"{self.plan.share}/{row.destination}"
            return None
        if role == Qt.CheckStateRole and column == 0 and row.optional:
            return Qt.Checked if row.included else Qt.Unchecked
        if role == ENTRY_ROLE:
            return row.id
        return None

    def flags(self, index: QModelIndex) -> Any:
        """Optional entries can be ticked; required files cannot be left out."""
        if not index.isValid():
            return Qt.NoItemFlags
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemNeverHasChildren
        entry = self.entry(index)
        if entry is not None and entry.optional and index.column() == 0:
            flags |= Qt.ItemIsUserCheckable
        return flags

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.EditRole) -> bool:  # noqa: N802
        """A tick: tell the dialog, which re-plans and hands the new plan back (``set_plan``)."""
        entry = self.entry(index)
        if role != Qt.CheckStateRole or entry is None or not entry.optional or index.column() != 0:
            return False
        self.ticked.emit(entry.id, int(value) == int(Qt.Checked))
        return True
