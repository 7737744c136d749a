"""Blender test fixtures: scenes built by bpy in a subprocess, collected in another.

bpy can hold one main file per process and keeps state between files, so nothing here imports
bpy into the pytest process: every Blender step runs in a fresh ``python`` with a timeout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_DIR = ROOT / "host_adapters" / "blender"
HERE = Path(__file__).resolve().parent

if str(ADAPTER_DIR) not in sys.path:
    sys.path.insert(0, str(ADAPTER_DIR))

HAS_BPY = importlib.util.find_spec("bpy") is not None
needs_bpy = pytest.mark.skipif(
    not HAS_BPY, reason='bpy is not importable here: pip install "bpy==4.5.*" (CPython 3.11) to run the Blender tests')


def bpy_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess that imports bpy and the adapter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ADAPTER_DIR), env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


def run_bpy(code: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with bpy (``sys.argv[1:]`` = ``args``)."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=timeout, env=env or bpy_env(), stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"bpy subprocess failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="session")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the test scenes once; returns the builder's facts plus ``root``."""
    if not HAS_BPY:
        pytest.skip("bpy is not importable")
    root = tmp_path_factory.mktemp("blender_scenes")
    subprocess.run([sys.executable, str(HERE / "build_scenes.py"), str(root)], check=True, capture_output=True,
                   timeout=120, env=bpy_env(), stdin=subprocess.DEVNULL)
    facts = json.loads((root / "facts.json").read_text())
    facts["root"] = str(root)
    return facts


@pytest.fixture(scope="session")
def collected(scenes: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The raw collection JSON of the main test scene, as the headless entry writes it."""
    out = tmp_path_factory.mktemp("collected") / "collection.json"
    subprocess.run([sys.executable, "-m", "vendor_publish_blender.headless", scenes["blend"], "--output", str(out)],
                   check=True, capture_output=True, timeout=120, env=bpy_env(), stdin=subprocess.DEVNULL)
    return json.loads(out.read_text())
