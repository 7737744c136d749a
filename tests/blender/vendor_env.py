"""The vendor's machine for Blender publishes into the sandbox: env, work folder, studio profile."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from blender_support import HERE, bpy_env
from projects import OTHER_ACCSYN_VARS, vendor_environment

USER = "jennifer@gda.com"
UPLOAD = f"FROM_VENDORS/{USER}"
TASK = "SHOT010_LIGHT"


def vendor_env(sandbox: Any, api_key: str, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Environment a vendor sets (as in the tutorial) and her work folder inside the share's local copy.

    The studio profile is the sandbox's with a naming rule for Blender's PNG renders.
    """
    env, production = vendor_environment(tmp_path, sandbox, api_key, production=tmp_path / "Production",
                                         edit_profile=lambda text: text.replace('"*_exported.dat"', '"*.png"'))
    work = production / "proj002" / UPLOAD
    work.mkdir(parents=True)
    return env, work


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """``bpy_env`` without the developer's own accsyn settings, plus ``extra``."""
    env = bpy_env(extra)
    for name in OTHER_ACCSYN_VARS:
        env.pop(name, None)
    return env


def build_publish_scene(folder: Path, name: str, images: int = 0, python: str = sys.executable) -> dict[str, Any]:
    """Run ``publish_scene.py`` in a fresh bpy interpreter; returns its facts."""
    proc = subprocess.run([python, str(HERE / "publish_scene.py"), str(folder), name, str(images)],
                          capture_output=True, text=True, timeout=300, env=bpy_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("FACTS="))[6:])


def landed(sandbox: Any) -> Path:
    """Where the vendor's upload folder is on the studio's volume."""
    return sandbox.volume_path("production") / "proj002" / UPLOAD

