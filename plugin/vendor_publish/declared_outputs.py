"""Outputs the studio profile declares (``output_folders``), for hosts whose projects record no
export paths (QGIS, an analysis app): folders or globs relative to the project file's folder.

Applied by the core to every host's collection, so the rule is decided once: a folder is
published whole, a glob by its matches, and a declared place with nothing in it is a warning.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence

from vendor_publish.models import CollectedItem, Collection, Finding, Role, Severity

GLOB_CHARS = ("*", "?", "[")


def declared_outputs(project_file: str, folders: Sequence[str]) -> tuple[list[CollectedItem], list[Finding]]:
    """Items for the declared output folders and globs that exist; a warning for each that does not."""
    home = os.path.dirname(os.path.abspath(project_file))
    items: list[CollectedItem] = []
    findings: list[Finding] = []
    for spec in folders:
        origin = f"studio profile output_folders: {spec!r}"
        full = os.path.normpath(os.path.join(home, os.path.expanduser(spec)))
        if any(ch in spec for ch in GLOB_CHARS):
            matches = sorted(glob.glob(full, recursive=True))
        else:
            matches = [full] if os.path.exists(full) else []
        for match in matches:
            is_dir = os.path.isdir(match)
            items.append(CollectedItem(path=match, role=Role.OUTPUT, origin=origin,
                                       kind="output folder" if is_dir else "output", is_dir=is_dir))
        if not matches:
            findings.append(Finding(
                code="no-outputs", severity=Severity.WARNING,
                message=f"No outputs found at {full} (the studio profile says outputs live in {spec!r}).",
                path=full, origin=origin,
                fix="Export your results there before publishing, or check the project is in the right folder."))
    return items, findings


def with_declared_outputs(collection: Collection, folders: Sequence[str]) -> Collection:
    """The collection plus the profile's declared outputs (the planner drops repeats)."""
    if not folders:
        return collection
    items, findings = declared_outputs(collection.project_file, folders)
    return collection.model_copy(update={"items": [*collection.items, *items],
                                         "findings": [*collection.findings, *findings]})
