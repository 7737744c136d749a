"""The menu label from the studio profile, read cheaply at start-up (no core import).

The profile is the one the core would use: ``$VENDOR_PUBLISH_STUDIO``, else the ``studio`` key
of the vendor config file. Only ``display_name`` is read; the rest waits for the click.
"""

from __future__ import annotations

import json
import os
import re
import sys

PROFILE_ENV = "VENDOR_PUBLISH_STUDIO"
HOME_ENV = "VENDOR_PUBLISH_HOME"
DEFAULT_STUDIO = "Studio"


def _config_file(environ: dict[str, str]) -> str:
    home = environ.get(HOME_ENV)
    if home:
        return os.path.join(home, "config", "config.json")
    if sys.platform == "win32":
        return os.path.join(environ.get("LOCALAPPDATA", ""), "vendor-publish", "config.json")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Application Support/vendor-publish/config.json")
    base = environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(base, "vendor-publish", "config.json")


def profile_path(environ: dict[str, str] | None = None) -> str | None:
    """Where the studio profile is, as far as can be told without the core."""
    env = dict(os.environ if environ is None else environ)
    if env.get(PROFILE_ENV):
        return env[PROFILE_ENV]
    try:
        with open(_config_file(env), encoding="utf-8") as fh:
            studio = json.load(fh).get("studio")
    except (OSError, ValueError, AttributeError):
        return None
    return studio if isinstance(studio, str) and studio else None


def display_name(path: str | None) -> str | None:
    """``display_name`` from a TOML or JSON profile, or None."""
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(256 * 1024).decode("utf-8", "replace")
    except OSError:
        return None
    if path.lower().endswith(".json"):
        try:
            value = json.loads(data).get("display_name")
        except (ValueError, AttributeError):
            return None
    else:
        try:
            import tomllib
        except ImportError:  # Python < 3.11 (older QGIS): the one key, by hand
            match = re.search(r'^\s*display_name\s*=\s*"([^"\n]*)"', data, re.M)
            value = match.group(1) if match else None
        else:
            try:
                value = tomllib.loads(data).get("display_name")
            except tomllib.TOMLDecodeError:
                return None
    return value.strip() or None if isinstance(value, str) else None


def menu_label(environ: dict[str, str] | None = None) -> str:
    """``Publish to GeoScan…``."""
    return f"Publish to {display_name(profile_path(environ)) or DEFAULT_STUDIO}\u2026"
