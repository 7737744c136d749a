"""Import the core in the background once the host has settled, so the first click is as quick as the next.

The host plug-ins load nothing heavy at start-up; their first click used to import pydantic,
httpx and the core on the host's main thread (~0.4-0.7 s of a frozen window). A few seconds
after start-up one daemon thread imports them instead. A click never imports beside it: it
waits for the thread first (two threads importing one package can see it half initialised). Any
failure is left for the click to meet and explain in its own words. Only the standard library
is imported here, so a host may import this module early.

QGIS uses it. Blender's add-on does not: Blender calls into Python from operators without
always holding the GIL, and a thread importing the core while an operator ran crashed Blender
3.4 (segmentation fault in the import machinery; seen in the GUI test under Xvfb).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence


class Warmup:
    """One background import of ``modules``, after ``prepare`` (e.g. putting the core on sys.path)."""

    def __init__(self, prepare: Callable[[], None], modules: Sequence[str]) -> None:
        self._prepare = prepare
        self._modules = tuple(modules)
        self._thread: threading.Thread | None = None
        self.imported: list[str] = []
        self.failed: BaseException | None = None

    def start(self) -> Warmup:
        """Begin the imports on a daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="vendor-publish warm-up", daemon=True)
            self._thread.start()
        return self

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
