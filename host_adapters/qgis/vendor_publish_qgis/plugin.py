"""The QGIS plugin: the menu entry and toolbar button, and the publish they start.

Main thread: asking to save, reading the project's layers and layouts, the dialog. QgsTasks:
planning (stat), online checks, hashing and upload. Messages use the CLI's words.
"""

from __future__ import annotations

import os
from typing import Any

from qgis.core import Qgis, QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QMessageBox

from .core_path import ensure_core
from .profile_label import menu_label
from .warmup import DELAY_MS, start_warmup

MENU = "&vendor-publish"
ICON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.svg")
TITLE = "vendor-publish"


def error_text(exc: BaseException, project: str = "") -> str:
    """An error as ``vendor-publish`` prints it: message, then what to do."""
    prefix = f"{project}: " if project else ""
    text = f"{prefix}error: {exc}"
    hint = getattr(exc, "hint", None)
    return f"{text}\n  what to do: {hint}" if hint else text


#: A plan not ready this many ms after the click gets its dialog at once, saying it is being made.
PENDING_AFTER_MS = 150


class _Planning:
    """One click's planning: whether it finished, the dialog opened while it ran (if any)."""

    def __init__(self) -> None:
        self.finished = False
        self.dialog: Any = None


class VendorPublishPlugin:
    """Registers *Publish to <studio>…*; the core loads on the first click."""

    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.action: QAction | None = None
        self.dialog: Any = None
        self.tasks: list[Any] = []  # QGIS does not own Python task objects: keep them alive
        self.warmup: Any = None  # the core's background import, started a few seconds after initGui
        self.planning: _Planning | None = None

    # -- QGIS plugin interface ------------------------------------------------------------------

    def initGui(self) -> None:  # noqa: N802
        """Add the menu entry and the toolbar button."""
        self.action = QAction(QIcon(ICON), menu_label(), self.iface.mainWindow())
        self.action.setObjectName("vendorPublishAction")
        self.action.setStatusTip("Upload this project, its data and outputs to the studio")
        self.action.triggered.connect(self.run)
        self.iface.addPluginToMenu(MENU, self.action)
        self.iface.addToolBarIcon(self.action)
        QTimer.singleShot(DELAY_MS, self._warm_up)

    def _warm_up(self) -> None:
        """Import the core in the background, so the first click does not (``warmup``)."""
        if self.warmup is None:
            self.warmup = start_warmup()

    def unload(self) -> None:
        """Remove what ``initGui`` added."""
        if self.action is not None:
            self.iface.removePluginMenu(MENU, self.action)
            self.iface.removeToolBarIcon(self.action)
            self.action.deleteLater()
            self.action = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None

    # -- the publish ---------------------------------------------------------------------------

    def _say(self, text: str, level: Any = Qgis.Info, duration: int = 10) -> None:
        self.iface.messageBar().pushMessage(TITLE, text, level=level, duration=duration)

    def _fail(self, exc: BaseException, project: str = "") -> None:
        QMessageBox.critical(self.iface.mainWindow(), TITLE, error_text(exc, project))

    def _start(self, task: Any) -> None:
        # QGIS deletes the C++ task once it has finished: drop our reference in its callback,
        # never ask a finished task anything
        self.tasks.append(task)
        task.on_finished = lambda: self.tasks.remove(task) if task in self.tasks else None
        QgsApplication.taskManager().addTask(task)

    def run(self) -> None:
        """Menu click: save if needed, read the project, plan in a task, then the dialog (opened while
        the plan is made when that takes long)."""
        if self.action is not None:
            self.action.setText(menu_label())  # the studio profile may have changed since start-up
        if self.warmup is not None:
            self.warmup.wait()  # never import beside the warm-up thread
        try:
            ensure_core()
        except ImportError as exc:
            QMessageBox.critical(self.iface.mainWindow(), TITLE,
                                 f"error: vendor-publish's core is not installed for QGIS's Python ({exc}).\n"
                                 "  what to do: run: vendor-publish install qgis")
            return
        project = QgsProject.instance()
        if not self._saved(project):
            return
        from vendor_publish.errors import VendorPublishError
        from vendor_publish.settings import resolve_settings

        try:
            settings = resolve_settings()
            facts = self._read(project)
        except VendorPublishError as exc:
            self._fail(exc, project.fileName())
            return
        self._plan(settings, facts, left_out=set(), comment="", note="")

    def _saved(self, project: QgsProject) -> bool:
        window = self.iface.mainWindow()
        if not project.fileName():
            QMessageBox.information(window, TITLE, "error: This project has never been saved.\n"
                                    "  what to do: Save it (Project > Save As...) inside your work folder, "
                                    "then publish again.")
            return False
        if not project.isDirty():
            return True
        answer = QMessageBox.question(
            window, TITLE, f"{os.path.basename(project.fileName())} has unsaved changes.\n"
            "Save it now? The studio gets the project as it is on disk.",
            QMessageBox.Save | QMessageBox.Cancel, QMessageBox.Save)
        if answer != QMessageBox.Save:
            return False
        if not project.write():
            QMessageBox.critical(window, TITLE, f"error: Could not save {project.fileName()}: {project.error()}\n"
                                 "  what to do: Save the project from the Project menu, then publish again.")
            return False
        return True

    def _read(self, project: QgsProject, pdfs: tuple[list, list] = ([], [])) -> Any:
        """What QGIS says the project uses (main thread); the files behind it are looked at in the task."""
        from .planning import read

        return read(project, pdfs)

    def _plan(self, settings: Any, facts: Any, *, left_out: set[tuple[str, str]], comment: str, note: str) -> None:
        from .planning import plan
        from .tasks import CallTask

        def work(task: CallTask) -> Any:
            return plan(settings, facts, comment=comment, left_out=left_out)

        run = _Planning()
        self.planning = run  # a later click's planning replaces this one's

        def done(plan: Any, error: BaseException | None) -> None:
            run.finished = True
            if self.planning is not run or (run.dialog is not None and (self.dialog is not run.dialog
                                                                        or run.dialog.ended)):
                return  # the analyst closed the dialog (or clicked again) while the plan was made
            if error is not None and run.dialog is not None:
                run.dialog.close()
            if isinstance(error, KeyboardInterrupt):
                self._say("Planning cancelled; nothing was sent.", Qgis.Warning)
            elif error is not None:
                self._fail(error, facts.project_file)
            elif run.dialog is not None:
                run.dialog.show_plan(plan)
            else:
                self._open(settings, plan, note)

        def still_planning() -> None:
            # a plan that takes long (a big project) gets its dialog now, saying it is being made;
            # a quick one opens its dialog complete, without a flash of "Planning..."
            if self.planning is run and not run.finished:
                run.dialog = self._open(settings, None, note, project_file=facts.project_file)

        self._start(CallTask("Planning the publish", work, done))
        QTimer.singleShot(PENDING_AFTER_MS, still_planning)

    def _open(self, settings: Any, plan: Any, note: str, project_file: str = "") -> Any:
        """The plan dialog, shown (without a plan yet when ``plan`` is None); the last one is closed."""
        from .dialog import PlanDialog

        if self.dialog is not None:
            self.dialog.close()
        layouts = len(QgsProject.instance().layoutManager().printLayouts())
        dialog = PlanDialog(plan, title=menu_label().rstrip("\u2026"), layouts=layouts, note=note,
                            profile=settings.profile, parent=self.iface.mainWindow(), project_file=project_file)
        dialog.accepted.connect(lambda: self._publish(settings, dialog))
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        return dialog

    def _publish(self, settings: Any, dialog: Any) -> None:
        plan = dialog.current_plan()
        if dialog.export_layouts.isChecked():
            self._export_and_replan(settings, plan)
            return
        self._submit(settings, plan)

    def _export_and_replan(self, settings: Any, plan: Any) -> None:
        """PDF export is QGIS work (main thread); then plan again so the PDFs are in the plan."""
        from vendor_publish.errors import VendorPublishError

        from .layouts import export_pdfs
        from .outputs import layouts_folder
        from .planning import left_out_of

        project = QgsProject.instance()
        folder = layouts_folder(project.fileName(), settings.profile.output_folders)
        try:
            pdfs = export_pdfs(project, folder)
            facts = self._read(project, pdfs)
        except VendorPublishError as exc:
            self._fail(exc, project.fileName())
            return
        self._plan(settings, facts, left_out=left_out_of(plan), comment=plan.comment,
                   note=f"Print layouts exported to {folder}; check the plan and press Publish.")

    def _submit(self, settings: Any, plan: Any) -> None:
        from vendor_publish import report, workflow
        from vendor_publish.accsyn_client import AccsynClient

        from .tasks import CallTask

        def work(task: CallTask) -> Any:
            client = AccsynClient(credentials=settings.credentials.require())
            try:
                checked = workflow.check_online(plan, settings, client)
                if checked.blocked:
                    return "blocked", checked
                return "sent", workflow.publish_plan(checked, client, progress=task.progress_callback(),
                                                     cancelled=task.isCanceled)
            finally:
                client.close()

        def done(outcome: Any, error: BaseException | None) -> None:
            if isinstance(error, KeyboardInterrupt):
                self._say("Publish cancelled; nothing was sent.", Qgis.Warning)
                return
            if error is not None:
                self._fail(error, plan.project_file)
                return
            kind, value = outcome
            if kind == "blocked":
                self._open(settings, value, "Nothing was sent: the studio's checks found problems.")
                return
            again = " (already submitted earlier; not sent again)" if value.reused_existing else ""
            self._say(f"Job {value.job_code} created: id {value.job_id}, {value.files} files, "
                      f"{report.human_size(value.bytes)}{again}. Follow it with: vendor-publish status "
                      f"{value.job_id} --wait", Qgis.Success, duration=0)

        self._say(f"Publishing {plan.totals.files} files ({report.human_size(plan.totals.bytes)}); "
                  "progress is in the task manager, where you can cancel it.")
        self._start(CallTask(f"Publishing {os.path.basename(plan.project_file)}", work, done))
