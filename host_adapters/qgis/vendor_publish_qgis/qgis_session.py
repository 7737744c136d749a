"""A headless QGIS in this process, and reading a project file without ever blocking on a dialog."""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.lru_cache(maxsize=1)  # one QgsApplication per process: a second one crashes Qt
def headless_app() -> Any:
    """The running ``QgsApplication``, or a new one without GUI (``QT_QPA_PLATFORM=offscreen``)."""
    from qgis.core import QgsApplication

    running = QgsApplication.instance()
    if running is not None:
        return running
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QgsApplication([], False)
    app.initQgis()
    return app


def _recording_handler(sink: list[Any]) -> Any:
    from qgis.core import QgsProjectBadLayerHandler

    class RecordingBadLayerHandler(QgsProjectBadLayerHandler):
        """Keeps the unavailable layers (as QGIS does) instead of asking the user about them."""

        def handleBadLayers(self, layers: Any) -> None:  # noqa: N802 (QGIS's name)
            sink.extend(layers)

    return RecordingBadLayerHandler()


def read_project(path: str) -> tuple[Any, int]:
    """Read ``path`` into a fresh ``QgsProject``; returns it and the number of unavailable layers."""
    from qgis.core import QgsProject

    headless_app()
    project = QgsProject()
    bad: list[Any] = []
    handler = _recording_handler(bad)
    project.setBadLayerHandler(handler)  # before read(): the GUI's handler opens a modal dialog
    # Trusting the saved extents and keys skips slow queries to databases that may be down.
    flags = QgsProject.ReadFlags(QgsProject.FlagTrustLayerMetadata)
    if not project.read(path, flags):
        raise RuntimeError(f"QGIS could not read the project {path}: {project.error() or 'unknown error'}")
    project._vendor_publish_handler = handler  # keep the Python object alive as long as the project
    return project, len(bad)
