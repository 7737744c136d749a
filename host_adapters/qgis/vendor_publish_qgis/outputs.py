"""Outputs of a QGIS project: what the studio profile's ``output_folders`` declare.

QGIS projects record no export paths, so the studio says where outputs live: folders or globs
relative to the project's folder (QGIS's project home). A folder is published whole (``is_dir``),
a glob by its matches. Runs in the caller's Python (it needs the core, not QGIS).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from typing import Any

from .refs import OUTPUT, finding, item

GLOB_CHARS = ("*", "?", "[")
#: Where print layouts are exported when the profile names no plain output folder.
DEFAULT_LAYOUTS_DIR = "layouts"


def profile_output_folders() -> tuple[list[str], list[dict[str, Any]]]:
    """The effective studio profile's ``output_folders``, and a note when no profile is set."""
    from vendor_publish.errors import VendorPublishError
    from vendor_publish.settings import resolve_settings

    try:
        return list(resolve_settings().profile.output_folders), []
    except VendorPublishError as exc:
        return [], [finding(
            "no-output-folders", "info",
            f"The studio profile's output folders were not read ({exc}); only the project and its data are listed.",
            fix="Set VENDOR_PUBLISH_STUDIO (or 'vendor-publish config set studio FILE') to the studio's profile.")]


def _is_glob(spec: str) -> bool:
    return any(ch in spec for ch in GLOB_CHARS)


def profile_outputs(project_file: str, folders: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Items for the declared output folders and globs that exist; a warning for each that does not."""
    home = os.path.dirname(os.path.abspath(project_file))
    items: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for spec in folders:
        origin = f"studio profile output_folders: {spec!r}"
        full = os.path.normpath(os.path.join(home, os.path.expanduser(spec)))
        if _is_glob(spec):
            matches = sorted(glob.glob(full, recursive=True))
            for match in matches:
                items.append(item(match, origin, "output", role=OUTPUT, is_dir=os.path.isdir(match)))
        elif os.path.isdir(full):
            items.append(item(full, origin, "output folder", role=OUTPUT, is_dir=True))
            matches = [full]
        elif os.path.isfile(full):
            items.append(item(full, origin, "output", role=OUTPUT))
            matches = [full]
        else:
            matches = []
        if not matches:
            findings.append(finding(
                "no-outputs", "warning",
                f"No outputs found at {full} (the studio profile says outputs live in {spec!r}).",
                path=full, origin=origin,
                fix="Export your results there before publishing, or check the project is in the right folder."))
    return items, findings


def layouts_folder(project_file: str, folders: Sequence[str]) -> str:
    """Where print layouts are exported: the profile's first plain output folder, else ``layouts/``."""
    home = os.path.dirname(os.path.abspath(project_file))
    plain = next((f for f in folders if not _is_glob(f)), DEFAULT_LAYOUTS_DIR)
    return os.path.normpath(os.path.join(home, plain))


def pdf_name(project_file: str, layout_name: str) -> str:
    """``<project>_<layout>.pdf`` with characters that are unsafe on a share replaced."""
    stem = os.path.splitext(os.path.basename(project_file))[0]
    safe = re.sub(r"[^\w.-]+", "_", layout_name, flags=re.UNICODE).strip("._") or "layout"
    return f"{stem}_{safe}.pdf"
