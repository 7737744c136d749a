"""Vendoring the core and its dependencies into a host's own Python (``_vendor/`` of a QGIS
plugin or an older Blender's add-on), shared by the host installers.

Dependencies come from ``find_links`` (an offline wheelhouse, no index); from this
interpreter's installed packages when it is the same Python version and platform as the host's
(offline; pydantic_core is the only compiled one); else pip downloads wheels for the host's
Python version and platform.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE_SRC = ROOT / "plugin" / "vendor_publish"
CORE_REQUIREMENTS = ("httpx", "pydantic", "platformdirs")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "_vendor")
#: pip platform tags for QGIS's Python, by this machine's platform.
PLATFORM_TAGS = {
    "linux-x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "linux-aarch64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "win-amd64": ("win_amd64",),
    "macosx-x86_64": ("macosx_10_13_x86_64",),
    "macosx-arm64": ("macosx_11_0_arm64",),
}


def _platform_key() -> str:
    return sysconfig.get_platform().replace(".", "_").split("-", 1)[0] + "-" + sysconfig.get_platform().rsplit("-", 1)[-1]


def _requirement_names(dist: metadata.Distribution) -> list[str]:
    try:
        from packaging.requirements import Requirement
    except ImportError:
        Requirement = None  # noqa: N806
    names = []
    for spec in dist.requires or []:
        if Requirement is not None:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            names.append(req.name)
        elif "extra ==" not in spec:
            names.append(re.split(r"[\s;<>=!~\[(]", spec, 1)[0])
    return names


def copy_installed(target: Path, requirements: tuple[str, ...] = CORE_REQUIREMENTS) -> list[str]:
    """Copy the installed distributions (and what they need) from this interpreter into ``target``."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(requirements)
    while todo:
        name = todo.pop()
        canon = re.sub(r"[-_.]+", "-", name).lower()
        if canon in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is not installed in {sys.executable}; use --from-index or --find-links.") from None
        seen[canon] = dist
        todo.extend(_requirement_names(dist))
    for dist in seen.values():
        base = Path(dist.locate_file(""))
        for rel in dist.files or []:
            parts = Path(rel).parts
            if not parts or parts[0] == ".." or "__pycache__" in parts or rel.suffix == ".pyc":
                continue  # scripts outside site-packages, caches
            src = base / rel
            if src.is_file():
                dest = target / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
    return sorted(f"{d.metadata['Name']}=={d.version}" for d in seen.values())


def pip_install(target: Path, python_version: str, *, find_links: Path | None) -> None:
    """Wheels for QGIS's Python version and this platform, unpacked into ``target`` by pip."""
    tags = PLATFORM_TAGS.get(_platform_key())
    if tags is None:
        raise SystemExit(f"No wheel platform known for {sysconfig.get_platform()}; use --find-links.")
    index = ["--no-index", "--find-links", str(find_links)] if find_links else []
    platform_args = [arg for tag in tags for arg in ("--platform", tag)]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), "--only-binary=:all:",
                    "--python-version", python_version, "--implementation", "cp", *platform_args, *index,
                    *CORE_REQUIREMENTS], check=True)


def vendor(dest: Path, python_version: str, *, find_links: Path | None = None, from_index: bool = False) -> str:
    """Fill ``dest`` (the plugin's ``_vendor``) with the core and its dependencies; says how."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copytree(CORE_SRC, dest / "vendor_publish", ignore=IGNORE)
    here = "%d.%d" % sys.version_info[:2]
    if find_links is not None or from_index or here != python_version:
        pip_install(dest, python_version, find_links=find_links)
        return f"wheels for Python {python_version} from {find_links or 'the package index'}"
    copied = copy_installed(dest)
    return f"copied from {sys.executable}: {', '.join(copied)}"
