"""The extension: manifest valid for Blender's own validator, installs into the user repository,
enables through the extension system, and uninstalls cleanly. Offline (add-on without wheels)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType


from blender_support import ROOT, bpy_env, needs_bpy, run_bpy

pytestmark = needs_bpy


def _installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_blender", ROOT / "install" / "blender.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blender_ext() -> Path:
    """Blender's own extension command-line tool, shipped inside the bpy module."""
    spec = importlib.util.find_spec("bpy")
    base = Path(spec.origin).parent
    found = sorted(base.rglob("bl_pkg/cli/blender_ext.py"))
    assert found, "bpy ships bl_pkg/cli/blender_ext.py"
    return found[0]


def test_build_validates_with_blender_and_zips(tmp_path: Path) -> None:
    inst = _installer()
    built = inst.build(tmp_path / "out", platforms=["linux-x64", "windows-x64"], wheels=False)
    manifest = tomllib.loads((built / "blender_manifest.toml").read_text())
    assert manifest["id"] == "vendor_publish_blender" and manifest["blender_version_min"] == "4.2.0"
    assert manifest["platforms"] == ["linux-x64", "windows-x64"] and "wheels" not in manifest
    assert not list(built.rglob("__pycache__"))
    proc = subprocess.run([sys.executable, str(_blender_ext()), "validate", str(built)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle = inst.bundle(built, tmp_path / "vendor_publish_blender.zip")
    names = zipfile.ZipFile(bundle).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names and "collection.py" in names


def test_manifest_wheel_list_is_rewritten(tmp_path: Path) -> None:
    inst = _installer()
    built = inst.build(tmp_path, wheels=False)
    inst._write_manifest(built, ["a-1-py3-none-any.whl", "b-2-cp311-cp311-win_amd64.whl"], ["windows-x64"])
    manifest = tomllib.loads((built / "blender_manifest.toml").read_text())
    assert manifest["wheels"] == ["./wheels/a-1-py3-none-any.whl", "./wheels/b-2-cp311-cp311-win_amd64.whl"]
    committed = tomllib.loads((inst.PACKAGE_DIR / "blender_manifest.toml").read_text())
    requirement_names = {"httpx", "pydantic", "pydantic_core", "platformdirs", "vendor_publish"}
    assert requirement_names <= {w.split("/")[-1].split("-")[0] for w in committed["wheels"]}


def test_install_enable_and_uninstall_in_a_private_user_folder(tmp_path: Path) -> None:
    env = bpy_env({"BLENDER_USER_RESOURCES": str(tmp_path / "user")})
    code = f"""
        import importlib.util, sys
        from pathlib import Path
        spec = importlib.util.spec_from_file_location("inst", {str(ROOT / "install" / "blender.py")!r})
        inst = importlib.util.module_from_spec(spec); spec.loader.exec_module(inst)
        if sys.argv[1] == "install":  # bpy 4.5: install() picks the extension
            print("TARGET=" + str(inst.install(out=Path({str(tmp_path / "out2")!r}), wheels=False)))
        else:
            print("REMOVED=" + str(inst.uninstall()))
    """
    proc = run_bpy(code, "install", env=env, timeout=120)
    target = Path(next(x for x in proc.stdout.splitlines() if x.startswith("TARGET="))[7:])
    assert target == tmp_path / "user" / "extensions" / "user_default" / "vendor_publish_blender"
    assert (target / "blender_manifest.toml").is_file()
    check = """
        import json, bpy
        bpy.ops.wm.read_userpref()  # the bpy module starts from factory settings; Blender reads these at start-up
        print("STATE=" + json.dumps({
            "enabled": [a.module for a in bpy.context.preferences.addons if "vendor_publish" in a.module],
            "operator": hasattr(bpy.types, "WM_OT_vendor_publish"),
            "menu": [f.__name__ for f in bpy.types.TOPBAR_MT_file._dyn_ui_initialize()],
        }))
    """
    state = json.loads(next(x for x in run_bpy(check, env=env).stdout.splitlines() if x.startswith("STATE="))[6:])
    assert state["enabled"] == ["bl_ext.user_default.vendor_publish_blender"]
    assert state["operator"] and "_menu_draw" in state["menu"]

    proc = run_bpy(code, "uninstall", env=env, timeout=120)
    assert "REMOVED=True" in proc.stdout
    assert not target.exists()
    state = json.loads(next(x for x in run_bpy(check, env=env).stdout.splitlines() if x.startswith("STATE="))[6:])
    assert state == {"enabled": [], "operator": False, "menu": [m for m in state["menu"] if m != "_menu_draw"]}
