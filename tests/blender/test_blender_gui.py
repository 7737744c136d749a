"""The real GUI: Debian's Blender under xvfb, the legacy add-on installed by install/blender.py,
the File menu, the save question, the plan dialog, a publish into the sandbox and a blocked plan.

Needs ``blender`` (3.x, Debian's) and ``xvfb-run`` on PATH:
``apt-get install -y --no-install-recommends blender xvfb xauth``. Screenshots go to pytest's
temporary folder; set ``VP_BLENDER_SCREENSHOTS=DIR`` to keep them (the README's come from here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from blender_support import HERE, ROOT
from vendor_env import landed, vendor_env

BLENDER = shutil.which("blender")
XVFB = shutil.which("xvfb-run")
pytestmark = pytest.mark.skipif(
    not (BLENDER and XVFB),
    reason="needs Blender and xvfb-run on PATH: apt-get install -y --no-install-recommends blender xvfb xauth")


def _version() -> tuple[int, int]:
    out = subprocess.run([BLENDER, "--version"], capture_output=True, text=True, timeout=60).stdout
    major, minor = out.split()[1].split(".")[:2]
    return int(major), int(minor)


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A private Blender user folder with vendor-publish installed the way a vendor installs it."""
    if _version() >= (4, 2):
        pytest.skip("this test drives the legacy add-on road; Blender 4.2+ is covered through bpy")
    root = tmp_path_factory.mktemp("blender_gui")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("ACCSYN_", "VENDOR_PUBLISH"))}
    env.update(BLENDER_USER_CONFIG=str(root / "user" / "config"), BLENDER_USER_SCRIPTS=str(root / "user" / "scripts"))
    proc = subprocess.run([sys.executable, str(ROOT / "install" / "blender.py"), "install", "--blender", BLENDER,
                           "--out", str(root / "build")], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (root / "user" / "scripts" / "addons" / "vendor_publish_blender" / "_vendor" / "pydantic").is_dir()
    return {"root": root, "env": env}


def _scene(desktop: dict[str, Any], folder: Path, name: str) -> Path:
    proc = subprocess.run([BLENDER, "-b", "--factory-startup", "--python", str(HERE / "publish_scene.py"), "--",
                           str(folder), name], capture_output=True, text=True, timeout=120, env=desktop["env"])
    assert proc.returncode == 0 and "FACTS=" in proc.stdout, proc.stderr[-2000:]
    return folder / f"{name}.blend"


def _gui(desktop: dict[str, Any], blend: Path, mode: str, out: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run([XVFB, "-a", "-s", "-screen 0 1400x900x24", BLENDER, "--enable-event-simulate", str(blend), "--python",
                           str(HERE / "gui_driver.py"), "--", str(out), mode], capture_output=True, text=True,
                          timeout=240, env={**desktop["env"], **env}, stdin=subprocess.DEVNULL)
    state_file = out / f"{mode}.json"
    assert state_file.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    state = json.loads(state_file.read_text())
    assert "error" not in state, state["error"] + proc.stdout[-2000:]
    for shot in state["shots"]:
        assert Path(shot).stat().st_size > 20_000, shot  # a real 1400x900 capture, not an empty file
    keep = os.environ.get("VP_BLENDER_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in state["shots"]:
            shutil.copy(shot, Path(keep) / Path(shot).name)
    return state


def test_menu_save_question_dialog_publish_and_blocked_plan(desktop: dict[str, Any], sandbox: Any,
                                                            sandbox_api_key: str, tmp_path: Path) -> None:
    env, work = vendor_env(sandbox, sandbox_api_key, tmp_path)
    good = _scene(desktop, work / "shot010", "shot010")
    blocked = _scene(desktop, work / "shot020", "shot020")
    (blocked.parent / "tex" / "skin.1002.png").unlink()
    out = tmp_path / "shots"

    state = _gui(desktop, good, "menu", out, env)
    assert state["blender"].startswith("3.")

    before = good.read_bytes()
    state = _gui(desktop, good, "save", out, env)
    assert state["dirty_before"] is True
    assert state["invoke"] in (["INTERFACE"], ["RUNNING_MODAL"]), state  # the question is up, nothing started
    assert state["saved"] is False and good.read_bytes() == before  # never saved without a yes

    state = _gui(desktop, good, "dialog", out, env)
    assert state["stage"] == "ready" and state["blocked"] is False, state
    assert state["verdict"].startswith("Ready to publish")
    assert state["after_return"] in ("publishing", "following", "done"), state  # Return pressed Publish
    assert state["final"] == "done", state["outcome"]
    assert state["outcome"][0].startswith("Job ") and "[done] 100.0%" in state["outcome"][1]
    sandbox.wait_idle(timeout=30)
    assert (landed(sandbox) / "shot010" / "shot010.blend").read_bytes() == before
    assert (landed(sandbox) / "shot010" / "tex" / "skin.1002.png").exists()

    state = _gui(desktop, blocked, "blocked", out, env)
    assert state["stage"] == "ready" and state["blocked"] is True
    assert state["verdict"].startswith("Publish is disabled. Blocked: ")
