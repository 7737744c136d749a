"""Slow work off QGIS's main thread: planning (stat), online checks, hashing and upload.

Each task runs one core call in ``run()`` (a worker thread, no QGIS project access) and hands
its result or error back in ``finished()`` on the main thread; QGIS's task manager shows the
progress and its cancel button stops the work between files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qgis.core import QgsTask


class CallTask(QgsTask):
    """Run ``work(task)`` in a worker; ``done(result, error)`` on the main thread afterwards."""

    def __init__(self, description: str, work: Callable[["CallTask"], Any],
                 done: Callable[[Any, BaseException | None], None]) -> None:
        super().__init__(description, QgsTask.CanCancel)
        self._work = work
        self._done = done
        self.result: Any = None
        self.error: BaseException | None = None
        self.on_finished: Callable[[], None] | None = None

    def run(self) -> bool:  # worker thread
        """Do the work; never raise into QGIS (it would only log it)."""
        try:
            self.result = self._work(self)
        except BaseException as exc:  # KeyboardInterrupt is how the core says "cancelled"
            self.error = exc
            return False
        return True

    def finished(self, ok: bool) -> None:  # main thread
        """Hand the outcome to the caller."""
        if not ok and self.error is None:  # cancelled before run() started: nothing was done
            self.error = KeyboardInterrupt("cancelled before it started")
        try:
            self._done(self.result, self.error)
        finally:
            if self.on_finished is not None:
                self.on_finished()

    def progress_callback(self) -> Callable[[str, int, int], None]:
        """A core ``Progress`` that moves QGIS's task bar."""

        def progress(stage: str, done: int, total: int) -> None:
            if total:
                self.setProgress(100.0 * done / total)

        return progress
