"""Blender before 4.2 (Debian's 3.4): install/blender.py installs a legacy add-on with the core and its
dependencies vendored, enabled in a private user folder; uninstall removes every trace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blender_support import ROOT

BLENDER = shutil.which("blender")
pytestmark = pytest.mark.skipif(not BLENDER, reason="no 'blender' executable: apt-get install -y blender")

CHECK = """
import json, sys, bpy
state = {"enabled": [a.module for a in bpy.context.preferences.addons if "vendor_publish" in a.module],
         "operator": hasattr(bpy.types, "WM_OT_vendor_publish")}
if state["operator"]:
    import vendor_publish, pydantic, httpx
    state["core"] = vendor_publish.__file__
    state["pydantic"] = pydantic.__file__
print("STATE=" + json.dumps(state))
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def _state(env: dict[str, str]) -> dict:
    out = _run([BLENDER, "-b", "--python-exit-code", "3", "--python-expr", CHECK], env)
    return json.loads(next(x for x in out.splitlines() if x.startswith("STATE="))[6:])


def test_legacy_install_enable_and_uninstall(tmp_path: Path) -> None:
    version = subprocess.run([BLENDER, "--version"], capture_output=True, text=True, timeout=60).stdout.split()[1]
    if tuple(int(x) for x in version.split(".")[:2]) >= (4, 2):
        pytest.skip(f"Blender {version} gets the extension (tested through bpy)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(BLENDER_USER_CONFIG=str(tmp_path / "config"), BLENDER_USER_SCRIPTS=str(tmp_path / "scripts"))
    installer = [sys.executable, str(ROOT / "install" / "blender.py")]

    target = Path(_run([*installer, "install", "--blender", BLENDER, "--out", str(tmp_path / "build")],
                       env).strip().splitlines()[-1])
    assert target == tmp_path / "scripts" / "addons" / "vendor_publish_blender"
    assert (target / "__init__.py").read_text().count("bl_info") >= 1
    assert not (target / "blender_manifest.toml").exists()
    state = _state(env)
    assert state["enabled"] == ["vendor_publish_blender"] and state["operator"]
    vendored = target / "_vendor"
    assert Path(state["core"]).is_relative_to(vendored) and Path(state["pydantic"]).is_relative_to(vendored)

    assert _run([*installer, "uninstall", "--blender", BLENDER], env).strip() == "removed"
    assert not target.exists()
    assert _state(env) == {"enabled": [], "operator": False}
    assert _run([*installer, "uninstall", "--blender", BLENDER], env).strip() == "was not installed"


def test_legacy_zip_is_an_add_on_folder(tmp_path: Path) -> None:
    import zipfile

    out = subprocess.run([sys.executable, str(ROOT / "install" / "blender.py"), "legacy", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    names = zipfile.ZipFile(tmp_path / "vendor_publish_blender-legacy.zip").namelist()
    assert "vendor_publish_blender/__init__.py" in names
    assert any(n.startswith("vendor_publish_blender/_vendor/pydantic/") for n in names)
    assert any(n.startswith("vendor_publish_blender/_vendor/vendor_publish/") for n in names)
    assert not any("__pycache__" in n for n in names)
