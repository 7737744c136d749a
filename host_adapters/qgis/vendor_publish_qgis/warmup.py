"""Import the core in the background once QGIS has settled, so the first click is as quick as the next.

The plugin loads nothing heavy at start-up; the first click used to import pydantic, httpx and
the core on QGIS's main thread (~0.4-0.7 s of a frozen window). A few seconds after ``initGui``
one daemon thread imports them instead. A click never imports beside it: it waits for the thread
first (two threads importing one package can see it half initialised). Any failure is left for
the click to meet and explain in its own words.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence

#: What the click path imports (the core with pydantic and httpx, the adapter's click modules).
MODULES = (
    "vendor_publish.errors",
    "vendor_publish.settings",
    "vendor_publish.models",
    "vendor_publish.workflow",
    "vendor_publish.report",
    "vendor_publish.accsyn_client",
    "vendor_publish_qgis.collection",
    "vendor_publish_qgis.plan_model",
    "vendor_publish_qgis.dialog",
    "vendor_publish_qgis.tasks",
)
#: How long after start-up to begin (QGIS is still loading projects and plugins before that).
DELAY_MS = 3000


class Warmup:
    """One background import of ``modules``, after ``prepare`` (e.g. putting the core on sys.path)."""

    def __init__(self, prepare: Callable[[], None], modules: Sequence[str] = MODULES) -> None:
        self._prepare = prepare
        self._modules = tuple(modules)
        self._thread: threading.Thread | None = None
        self.imported: list[str] = []
        self.failed: BaseException | None = None

    def start(self) -> None:
        """Begin the imports on a daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="vendor-publish warm-up", daemon=True)
            self._thread.start()

    def wait(self) -> None:
        """Return once no import is running (at once when ``start`` was not called)."""
        if self._thread is not None:
            self._thread.join()

    @property
    def done(self) -> bool:
        """True once the imports have ended, well or not."""
        return self._thread is not None and not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._prepare()
            for name in self._modules:
                importlib.import_module(name)
                self.imported.append(name)
        except BaseException as exc:  # the click imports again and says what is missing
            self.failed = exc
