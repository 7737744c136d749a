"""Install and remove the vendor-publish QGIS plugin in a QGIS user profile.

    python install/qgis.py install   [--profile default] [--profiles-root DIR] [--qgis-python PATH]
                                     [--find-links DIR] [--from-index]
    python install/qgis.py uninstall [--profile default] [--profiles-root DIR]

``install`` copies the plugin (``host_adapters/qgis/vendor_publish_qgis``) into
``<profiles root>/<profile>/python/plugins/``, vendors the core and its dependencies into the
plugin's ``_vendor/`` folder built for QGIS's Python, and enables the plugin in the profile's
``QGIS/QGIS3.ini``. Nothing is pip-installed into QGIS's Python and nothing happens at first use.

Dependencies come, in this order: from ``--find-links DIR`` (an offline wheelhouse, no index);
from this interpreter's installed packages when it is the same Python version and platform as
QGIS's (offline; pydantic_core is the only compiled one); else, with ``--from-index`` or when the
versions differ, pip downloads wheels for QGIS's Python version and platform.

The profiles root is the per-user QGIS folder (``~/.local/share/QGIS/QGIS3/profiles``,
``%APPDATA%\\QGIS\\QGIS3\\profiles``, ``~/Library/Application Support/QGIS/QGIS3/profiles``), never
what a standalone ``QgsApplication`` reports (it names a wrong folder).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _sibling(name: str):
    """Load install/<name>.py (the installers run as scripts or are loaded by file path)."""
    spec = importlib.util.spec_from_file_location(f"vendor_publish_install_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vendoring = _sibling("vendoring")
PLUGIN_SRC = ROOT / "host_adapters" / "qgis" / "vendor_publish_qgis"
PLUGIN_NAME = "vendor_publish_qgis"


def default_profiles_root() -> Path:
    """QGIS's per-user profiles folder on this platform."""
    if sys.platform == "win32":
        return Path(os.environ["APPDATA"]) / "QGIS" / "QGIS3" / "profiles"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "QGIS" / "QGIS3" / "profiles"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "QGIS" / "QGIS3" / "profiles"


def plugin_dir(profiles_root: Path, profile: str) -> Path:
    """Where the plugin lives in a profile."""
    return profiles_root / profile / "python" / "plugins" / PLUGIN_NAME


def ini_path(profiles_root: Path, profile: str) -> Path:
    """The profile's settings file, where enabled plugins are listed."""
    return profiles_root / profile / "QGIS" / "QGIS3.ini"


def qgis_python_version(python: str) -> str:
    """``3.11`` for the Python that runs QGIS."""
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True,
                         text=True, timeout=60, check=True, stdin=subprocess.DEVNULL)
    return out.stdout.strip()


# -- QGIS3.ini -----------------------------------------------------------------------------------

def set_enabled(ini: Path, enabled: bool) -> None:
    """Set (or remove) ``vendor_publish_qgis=true`` under ``[PythonPlugins]``, leaving the rest as is.

    A line-level edit rather than configparser: QGIS3.ini is QSettings' format, which configparser
    does not round-trip (escapes, case, duplicate keys).
    """
    lines = ini.read_text(encoding="utf-8").splitlines() if ini.exists() else []
    key = re.compile(rf"^\s*{PLUGIN_NAME}\s*=")
    out: list[str] = []
    section = None
    written = False
    for line in lines:
        header = re.match(r"^\s*\[(.+)\]\s*$", line)
        if header:
            if section == "PythonPlugins" and enabled and not written:
                blanks = 0
                while blanks < len(out) and not out[-1 - blanks].strip():
                    blanks += 1
                out.insert(len(out) - blanks, f"{PLUGIN_NAME}=true")  # before the blank line ending the section
                written = True
            section = header.group(1)
        elif section == "PythonPlugins" and key.match(line):
            if enabled and not written:
                out.append(f"{PLUGIN_NAME}=true")
                written = True
            continue
        out.append(line)
    if enabled and not written:
        if section == "PythonPlugins":
            out.append(f"{PLUGIN_NAME}=true")
        else:
            out += (["", "[PythonPlugins]"] if out else ["[PythonPlugins]"]) + [f"{PLUGIN_NAME}=true"]
    ini.parent.mkdir(parents=True, exist_ok=True)
    tmp = ini.with_name(ini.name + ".vendor-publish-tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    os.replace(tmp, ini)


# -- commands ------------------------------------------------------------------------------------

def install(profile: str = "default", *, profiles_root: Path | None = None, qgis_python: str | None = None,
            find_links: Path | None = None, from_index: bool = False) -> Path:
    """Copy the plugin and its vendored core into the profile and enable it; returns the plugin folder."""
    root = profiles_root or default_profiles_root()
    target = plugin_dir(root, profile)
    python = qgis_python or os.environ.get("VENDOR_PUBLISH_QGIS_PYTHON") or "/usr/bin/python3"
    version = qgis_python_version(python)
    with tempfile.TemporaryDirectory(prefix="vendor-publish-qgis-", dir=target.parent.parent
                                     if target.parent.parent.exists() else None) as tmp:
        staged = Path(tmp) / PLUGIN_NAME
        shutil.copytree(PLUGIN_SRC, staged, ignore=vendoring.IGNORE)
        how = vendoring.vendor(staged / "_vendor", version, find_links=find_links, from_index=from_index)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(staged), str(target))
    set_enabled(ini_path(root, profile), True)
    print(f"Installed the QGIS plugin into {target} (dependencies {how}); enabled in {ini_path(root, profile)}.")
    print("Restart QGIS; the command is in the Plugins menu and on the Plugins toolbar.")
    return target


def uninstall(profile: str = "default", *, profiles_root: Path | None = None) -> bool:
    """Remove the plugin folder and its entry in the profile's settings; True if anything was there."""
    root = profiles_root or default_profiles_root()
    target = plugin_dir(root, profile)
    existed = target.exists()
    shutil.rmtree(target, ignore_errors=True)
    ini = ini_path(root, profile)
    if ini.exists():
        set_enabled(ini, False)
    print(f"Removed {target}." if existed else f"Nothing installed at {target}.")
    return existed


def main(argv: list[str] | None = None) -> int:
    """Command line: install | uninstall."""
    parser = argparse.ArgumentParser(prog="install/qgis.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("install", "uninstall"))
    parser.add_argument("--profile", default="default", help="QGIS user profile (default: default).")
    parser.add_argument("--profiles-root", type=Path, help="QGIS profiles folder (default: the per-user one).")
    parser.add_argument("--qgis-python", help="The Python QGIS runs (default: $VENDOR_PUBLISH_QGIS_PYTHON "
                        "or /usr/bin/python3); its version decides which wheels are vendored.")
    parser.add_argument("--find-links", type=Path, help="Offline wheelhouse to take dependencies from.")
    parser.add_argument("--from-index", action="store_true", help="Download wheels even if this Python matches.")
    args = parser.parse_args(argv)
    if args.command == "install":
        install(args.profile, profiles_root=args.profiles_root, qgis_python=args.qgis_python,
                find_links=args.find_links, from_index=args.from_index)
    else:
        uninstall(args.profile, profiles_root=args.profiles_root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
