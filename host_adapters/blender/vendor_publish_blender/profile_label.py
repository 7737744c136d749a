"""The menu label from the studio profile, read cheaply (no core import, cached on file mtime)."""

from __future__ import annotations

import functools
import os
import re

#: Environment variable naming the studio profile (a TOML file with ``display_name``).
PROFILE_ENV = "VENDOR_PUBLISH_STUDIO"
DEFAULT_STUDIO = "Studio"


@functools.lru_cache(maxsize=4)
def _display_name(path: str, mtime_ns: int) -> str | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read(256 * 1024)
    except OSError:
        return None
    try:
        import tomllib
    except ImportError:  # Python < 3.11 (Blender < 4.1): the one key we need, by hand
        match = re.search(rb'^\s*display_name\s*=\s*"([^"\n]*)"', data, re.M)
        return match.group(1).decode("utf-8", "replace").strip() or None if match else None
    try:
        value = tomllib.loads(data.decode("utf-8")).get("display_name")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    return value.strip() or None if isinstance(value, str) else None


def studio_name(environ: dict[str, str] | None = None) -> str:
    """The studio's display name from ``$VENDOR_PUBLISH_STUDIO``'s profile, or a neutral default."""
    path = (environ if environ is not None else os.environ).get(PROFILE_ENV, "")
    if not path:
        return DEFAULT_STUDIO
    try:
        mtime_ns = os.stat(path).st_mtime_ns
    except OSError:
        return DEFAULT_STUDIO
    return _display_name(os.path.abspath(path), mtime_ns) or DEFAULT_STUDIO


def menu_label(environ: dict[str, str] | None = None) -> str:
    """``Publish to GeoScan…``."""
    return f"Publish to {studio_name(environ)}\u2026"
