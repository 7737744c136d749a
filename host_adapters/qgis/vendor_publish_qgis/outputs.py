"""Where a QGIS project's outputs go: the studio profile's ``output_folders`` (QGIS projects
record no export paths). The core adds the declared outputs to every plan
(``vendor_publish.declared_outputs``); this module finds the folder print layouts export to.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from .refs import finding

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
