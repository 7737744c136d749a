"""Build, install and remove vendor-publish in Blender: an extension (4.2+) or a legacy add-on (older).

    python install/blender.py build   [--out DIR] [--platform linux-x64 ...] [--find-links DIR] [--no-wheels]
    python install/blender.py zip     [--out DIR]            # offline bundle: Blender > Install from Disk
    python install/blender.py legacy  [--out DIR] [--python 3.10] [--find-links DIR]  # add-on zip, deps vendored
    python install/blender.py install [--out DIR] [--blender PATH] [--find-links DIR]
    python install/blender.py uninstall [--blender PATH]

``build`` copies the adapter package, fetches wheels for Blender's Python (3.11) with pip
(``--find-links DIR`` + no index for an offline wheelhouse) and writes the manifest's ``wheels``
and ``platforms``. ``install`` copies the built extension into the user's ``user_default``
extensions repository and enables it through a Blender (``--blender``, ``$VENDOR_PUBLISH_BLENDER``,
``blender`` on PATH, or this interpreter's ``bpy``), which installs the wheels into Blender's own
extension site-packages: nothing is pip-installed into Blender's Python, nothing at first use.
Blender before 4.2 has no extensions: ``legacy`` (and ``install`` into such a Blender) makes a
classic add-on (``bl_info``) whose ``_vendor/`` folder holds the core and its dependencies built
for that Blender's Python version and platform; the add-on puts ``_vendor`` on ``sys.path`` when
it registers. ``install`` asks the Blender which version and Python it has and picks the form.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "host_adapters" / "blender" / "vendor_publish_blender"
EXTENSION_ID = "vendor_publish_blender"
MODULE = f"bl_ext.user_default.{EXTENSION_ID}"
BLENDER_PYTHON = "3.11"  # Blender 4.2 - 4.5
#: Blender's platform names -> pip platform tags whose wheels run there.
PLATFORM_TAGS = {
    "linux-x64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "linux-arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "windows-x64": ("win_amd64",),
    "windows-arm64": ("win_arm64",),
    "macos-x64": ("macosx_10_13_x86_64",),
    "macos-arm64": ("macosx_11_0_arm64",),
}


def host_platform() -> str:
    """This machine in Blender's platform words."""
    machine = os.uname().machine if hasattr(os, "uname") else os.environ.get("PROCESSOR_ARCHITECTURE", "")
    arch = "arm64" if machine.lower() in {"arm64", "aarch64"} else "x64"
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
    return f"{system}-{arch}"


def _requirements() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


def _pip(args: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def _write_manifest(dest: Path, wheels: Sequence[str], platforms: Sequence[str]) -> None:
    manifest = dest / "blender_manifest.toml"
    text = (PACKAGE_DIR / "blender_manifest.toml").read_text(encoding="utf-8")  # the template, every time
    wheel_block = "wheels = [\n" + "".join(f'  "./wheels/{w}",\n' for w in wheels) + "]\n" if wheels else ""
    text = re.sub(r"(?ms)^wheels = \[.*?^\]\n", wheel_block, text)
    text = re.sub(r"(?m)^platforms = \[.*\]$", "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]", text)
    manifest.write_text(text, encoding="utf-8")


def build(out: Path, *, platforms: Sequence[str] = (), wheels: bool = True, find_links: Path | None = None) -> Path:
    """Lay out the extension in ``out/vendor_publish_blender`` and return that folder."""
    platforms = list(platforms) or [host_platform()]
    unknown = [p for p in platforms if p not in PLATFORM_TAGS]
    if unknown:
        raise SystemExit(f"Unknown platform(s) {unknown}; use some of {sorted(PLATFORM_TAGS)}.")
    dest = out / EXTENSION_ID
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(PACKAGE_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    names: list[str] = []
    if wheels:
        wheel_dir = dest / "wheels"
        index = ["--no-index", "--find-links", str(find_links)] if find_links else []
        _pip(["wheel", "--no-deps", *index, "--wheel-dir", str(wheel_dir), str(ROOT)])
        for platform in platforms:
            tags = [arg for tag in PLATFORM_TAGS[platform] for arg in ("--platform", tag)]
            _pip(["download", "--only-binary=:all:", "--python-version", BLENDER_PYTHON, *tags, *index,
                  "--dest", str(wheel_dir), *_requirements()])
        names = sorted(p.name for p in wheel_dir.glob("*.whl"))
    _write_manifest(dest, names, platforms)
    return dest


def bundle(built: Path, zip_path: Path) -> Path:
    """Zip a built extension for Blender's *Install from Disk* (the offline bundle for vendors)."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(built.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(built).as_posix())
    return zip_path


def _blender_code(code: str, blender: str | None) -> str:
    """Run ``code`` in a Blender (executable if one is named or found, else this Python's bpy); its stdout."""
    exe = blender or os.environ.get("VENDOR_PUBLISH_BLENDER")
    if exe is None and importlib.util.find_spec("bpy") is None:
        exe = shutil.which("blender")
    if exe:
        command = [exe, "-b", "--python-exit-code", "3", "--python-expr", code]
    elif importlib.util.find_spec("bpy") is not None:
        command = [sys.executable, "-c", code]
    else:
        raise SystemExit("No Blender found: pass --blender PATH, set VENDOR_PUBLISH_BLENDER, or put blender on PATH.")
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"Blender failed ({proc.returncode}):\n{proc.stderr[-2000:] or proc.stdout[-2000:]}")
    return proc.stdout


def extensions_dir(blender: str | None = None) -> Path:
    """The user's ``user_default`` extensions repository of that Blender."""
    out = _blender_code("import bpy; print('DIR=' + bpy.utils.user_resource('EXTENSIONS', path='user_default'))",
                        blender)
    return Path(next(line[4:] for line in out.splitlines() if line.startswith("DIR=")))


def install_built(built: Path, *, blender: str | None = None) -> Path:
    """Copy a built extension into the user's repository and enable it (preferences saved)."""
    return _copy_and_enable(built, extensions_dir(blender) / EXTENSION_ID, (
        f"addon_utils.extensions_refresh(ensure_wheels=True, addon_modules_pending=[{MODULE!r}])\n"
        f"mod = addon_utils.enable({MODULE!r}, default_set=True, handle_error=lambda e: (_ for _ in ()).throw(e))\n"
        "assert mod is not None, 'extension did not enable'\n"), blender)


def _copy_and_enable(built: Path, target: Path, enable: str, blender: str | None) -> Path:
    """Replace ``target`` with ``built``, run ``enable`` inside that Blender and save its preferences."""
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(built, target)
    _blender_code("import bpy, addon_utils\n" + enable + "bpy.ops.wm.save_userpref()\n", blender)
    return target


def uninstall(blender: str | None = None) -> bool:
    """Remove vendor-publish from that Blender (extension or legacy add-on); True if it was there."""
    if blender_info(blender)["version"] < EXTENSIONS_SINCE:
        return _uninstall_legacy(blender)
    target = extensions_dir(blender) / EXTENSION_ID
    existed = target.exists()
    _blender_code(
        "import bpy, addon_utils\n"
        f"addon_utils.disable({MODULE!r}, default_set=True)\n"
        "bpy.ops.wm.save_userpref()\n", blender)
    shutil.rmtree(target, ignore_errors=True)
    if existed:  # drop the wheels only this extension used
        _blender_code("import bpy, addon_utils\naddon_utils.extensions_refresh(ensure_wheels=True)\n", blender)
    return existed


EXTENSIONS_SINCE = (4, 2)


def blender_info(blender: str | None = None) -> dict:
    """``{"version": (4, 5), "python": "3.11"}`` of the Blender that ``blender`` (or the default) names."""
    out = _blender_code("import bpy, sys; print('INFO=%d.%d %d.%d' % (*bpy.app.version[:2], *sys.version_info[:2]))",
                        blender)
    version, python = next(line[5:] for line in out.splitlines() if line.startswith("INFO=")).split()
    return {"version": tuple(int(x) for x in version.split(".")), "python": python}


def _vendoring() -> ModuleType:
    """The vendoring helpers shared with the QGIS installer (install/vendoring.py: copy or pip, per Python)."""
    spec = importlib.util.spec_from_file_location("vendor_publish_install_vendoring",
                                                  Path(__file__).with_name("vendoring.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_legacy(out: Path, *, python: str = BLENDER_PYTHON, find_links: Path | None = None,
                 from_index: bool = False) -> tuple[Path, str]:
    """Blender < 4.2: the add-on folder ``out/legacy/vendor_publish_blender`` with ``_vendor/`` filled.

    The core and its dependencies are copied from this interpreter when it is the same Python
    version as Blender's (offline), else unpacked from binary wheels for that version and this
    platform (``find_links``: an offline wheelhouse; otherwise the package index). Returns the
    folder and how the dependencies were obtained.
    """
    dest = out / "legacy" / EXTENSION_ID
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(PACKAGE_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "blender_manifest.toml"))
    how = _vendoring().vendor(dest / "_vendor", python, find_links=find_links, from_index=from_index)
    return dest, how


def _legacy_addons_dir(blender: str | None) -> Path:
    out = _blender_code("import bpy; print('DIR=' + bpy.utils.user_resource('SCRIPTS', path='addons'))", blender)
    return Path(next(line[4:] for line in out.splitlines() if line.startswith("DIR=")))


def _install_legacy(built: Path, blender: str | None) -> Path:
    return _copy_and_enable(built, _legacy_addons_dir(blender) / EXTENSION_ID, (
        f"mod = addon_utils.enable({EXTENSION_ID!r}, default_set=True, handle_error=lambda e: (_ for _ in ()).throw(e))\n"
        "assert mod is not None, 'add-on did not enable'\n"), blender)


def _uninstall_legacy(blender: str | None) -> bool:
    target = _legacy_addons_dir(blender) / EXTENSION_ID
    existed = target.exists()
    _blender_code("import bpy, addon_utils\n"
                  f"addon_utils.disable({EXTENSION_ID!r}, default_set=True)\n"
                  "bpy.ops.wm.save_userpref()\n", blender)
    shutil.rmtree(target, ignore_errors=True)
    return existed


def install(blender: str | None = None, *, out: Path | None = None, find_links: Path | None = None,
            wheels: bool = True) -> Path:
    """Install vendor-publish into that Blender for the current user; returns the installed folder.

    Blender 4.2+: an extension with wheels for its Python (from PyPI, or only from the wheelhouse
    ``find_links``). Older: a legacy add-on with the core and its deps vendored for its Python.
    """
    out = out or ROOT / "build" / "blender"
    info = blender_info(blender)
    if info["version"] < EXTENSIONS_SINCE:
        return _install_legacy(build_legacy(out, python=info["python"], find_links=find_links)[0], blender)
    return install_built(build(out, wheels=wheels, find_links=find_links), blender=blender)


def main(argv: list[str] | None = None) -> int:
    """Command line: build / zip / install / uninstall."""
    parser = argparse.ArgumentParser(prog="install/blender.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["build", "zip", "legacy", "install", "uninstall"])
    parser.add_argument("--python", default=BLENDER_PYTHON, help="legacy: the Python version of that Blender.")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "blender")
    parser.add_argument("--platform", action="append", default=[], choices=sorted(PLATFORM_TAGS))
    parser.add_argument("--find-links", type=Path, help="Offline wheelhouse to take the wheels from (no index).")
    parser.add_argument("--no-wheels", action="store_true", help="Package the add-on alone (development).")
    parser.add_argument("--blender", help="Blender executable to install into.")
    args = parser.parse_args(argv)
    if args.action == "uninstall":
        print("removed" if uninstall(args.blender) else "was not installed")
        return 0
    if args.action == "install":
        print(install(args.blender, out=args.out, find_links=args.find_links, wheels=not args.no_wheels))
        return 0
    if args.action == "legacy":
        built, how = build_legacy(args.out, python=args.python, find_links=args.find_links)
        print(f"{bundle(built.parent, args.out / f'{EXTENSION_ID}-legacy.zip')} (dependencies: {how})")
        return 0
    built = build(args.out, platforms=args.platform, wheels=not args.no_wheels, find_links=args.find_links)
    if args.action == "build":
        print(built)
    else:
        print(bundle(built, args.out / f"{EXTENSION_ID}.zip"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
