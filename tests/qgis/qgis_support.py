"""QGIS test fixtures: projects built by QGIS's own Python in a subprocess, collected in another.

The test process (the project's venv) cannot import ``qgis``: every QGIS step runs in the
Python that comes with QGIS (Debian: ``/usr/bin/python3``, or ``$VENDOR_PUBLISH_QGIS_PYTHON``),
bounded by a timeout. Without QGIS these tests skip and say how to install it.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_DIR = ROOT / "host_adapters" / "qgis"
HERE = Path(__file__).resolve().parent

if str(ADAPTER_DIR) not in sys.path:
    sys.path.insert(0, str(ADAPTER_DIR))

INSTALL_HINT = "apt-get install -y --no-install-recommends python3-qgis qgis-providers"


@functools.lru_cache(maxsize=1)
def qgis_python() -> str | None:
    """The Python that can import qgis here, or None."""
    candidate = os.environ.get("VENDOR_PUBLISH_QGIS_PYTHON") or "/usr/bin/python3"
    if not os.path.isfile(candidate):
        return None
    try:
        proc = subprocess.run([candidate, "-c", "import qgis.core"], capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL, env=qgis_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    return candidate if proc.returncode == 0 else None


def qgis_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a QGIS Python subprocess: the adapter importable, no display."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ADAPTER_DIR)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("PYTHONHOME", None)
    env.update(extra or {})
    return env


needs_qgis = pytest.mark.skipif(
    qgis_python() is None, reason=f"QGIS's Python bindings are not installed here ({INSTALL_HINT})")


def build_project(work: Path, outside: Path, *flags: str) -> dict[str, Any]:
    """Run the builder in QGIS's Python; returns its facts."""
    python = qgis_python()
    if python is None:
        pytest.skip(f"QGIS is not installed ({INSTALL_HINT})")
    proc = subprocess.run([python, str(HERE / "build_projects.py"), str(work), str(outside), *flags],
                          capture_output=True, text=True, timeout=180, env=qgis_env({"XDG_RUNTIME_DIR": str(outside)}),
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise AssertionError(f"building the QGIS test project failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def survey(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The survey project with every layer kind, a missing layer and loopback remote layers."""
    root = tmp_path_factory.mktemp("qgis_survey")
    return build_project(root / "work", root / "outside")


@pytest.fixture
def qgis_py(monkeypatch: pytest.MonkeyPatch) -> str:
    """QGIS's Python, also set as ``VENDOR_PUBLISH_QGIS_PYTHON`` for the adapter."""
    python = qgis_python()
    if python is None:
        pytest.skip(f"QGIS is not installed ({INSTALL_HINT})")
    monkeypatch.setenv("VENDOR_PUBLISH_QGIS_PYTHON", python)
    return python
