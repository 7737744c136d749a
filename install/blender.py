"""Build, install and remove the vendor-publish Blender extension (Blender 4.2+).

    python install/blender.py build   [--out DIR] [--platform linux-x64 ...] [--find-links DIR] [--no-wheels]
    python install/blender.py zip     [--out DIR]            # offline bundle: Blender > Install from Disk
    python install/blender.py install [--out DIR] [--blender PATH]
    python install/blender.py uninstall [--blender PATH]

``build`` copies the adapter package, fetches wheels for Blender's Python (3.11) with pip
(``--find-links DIR`` + no index for an offline wheelhouse) and writes the manifest's ``wheels``
and ``platforms``. ``install`` copies the built extension into the user's ``user_default``
extensions repository and enables it through a Blender (``--blender``, ``$VENDOR_PUBLISH_BLENDER``,
``blender`` on PATH, or this interpreter's ``bpy``), which installs the wheels into Blender's own
extension site-packages: nothing is pip-installed into Blender's Python, nothing at first use.
Blender before 4.2 has no extensions; it is not supported by this installer.
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


def install(built: Path, *, blender: str | None = None) -> Path:
    """Copy the built extension into the user's repository and enable it (preferences saved)."""
    target = extensions_dir(blender) / EXTENSION_ID
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(built, target)
    _blender_code(
        "import bpy, addon_utils\n"
        f"addon_utils.extensions_refresh(ensure_wheels=True, addon_modules_pending=[{MODULE!r}])\n"
        f"mod = addon_utils.enable({MODULE!r}, default_set=True, handle_error=lambda e: (_ for _ in ()).throw(e))\n"
        "assert mod is not None, 'extension did not enable'\n"
        "bpy.ops.wm.save_userpref()\n", blender)
    return target


def uninstall(*, blender: str | None = None) -> bool:
    """Disable the extension, forget it in the preferences and delete its folder; True if it was there."""
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


def main(argv: list[str] | None = None) -> int:
    """Command line: build / zip / install / uninstall."""
    parser = argparse.ArgumentParser(prog="install/blender.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["build", "zip", "install", "uninstall"])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "blender")
    parser.add_argument("--platform", action="append", default=[], choices=sorted(PLATFORM_TAGS))
    parser.add_argument("--find-links", type=Path, help="Offline wheelhouse to take the wheels from (no index).")
    parser.add_argument("--no-wheels", action="store_true", help="Package the add-on alone (development).")
    parser.add_argument("--blender", help="Blender executable to install into.")
    args = parser.parse_args(argv)
    if args.action == "uninstall":
        print("removed" if uninstall(blender=args.blender) else "was not installed")
        return 0
    built = build(args.out, platforms=args.platform, wheels=not args.no_wheels, find_links=args.find_links)
    if args.action == "build":
        print(built)
    elif args.action == "zip":
        print(bundle(built, args.out / f"{EXTENSION_ID}.zip"))
    else:
        print(install(built, blender=args.blender))
    return 0


if __name__ == "__main__":
    sys.exit(main())
