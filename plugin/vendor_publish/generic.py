"""The generic host: a collection from explicit paths, folders and globs (no host application)."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

from vendor_publish.models import CollectedItem, Collection, Finding, Role, Severity

GLOB_CHARS = ("*", "?")


def collect_paths(
    project_file: str,
    *,
    dependencies: Iterable[str] = (),
    outputs: Iterable[str] = (),
    base_dir: str | None = None,
) -> Collection:
    """Describe a project from the paths the user named: files, folders, globs or sequence patterns."""
    base = base_dir or os.getcwd()
    project = _absolute(project_file, base)
    items: list[CollectedItem] = []
    findings: list[Finding] = []
    for role, given in ((Role.DEPENDENCY, dependencies), (Role.OUTPUT, outputs)):
        for spec in given:
            _collect_spec(spec, role, base, items, findings)
    return Collection(host="generic", project_file=project, items=items, findings=findings)


def _collect_spec(spec: str, role: Role, base: str, items: list[CollectedItem], findings: list[Finding]) -> None:
    origin = f"--{'dep' if role is Role.DEPENDENCY else 'output'} {spec}"
    path = _absolute(spec, base)
    if any(ch in os.path.basename(path) or ch in os.path.dirname(path) for ch in GLOB_CHARS):
        matches = sorted(glob.glob(path, recursive=True))
        if not matches:
            findings.append(
                Finding(
                    code="glob-no-match",
                    severity=Severity.ERROR,
                    message=f"Nothing matches {spec!r}.",
                    path=path,
                    origin=origin,
                    fix="Check the pattern, or drop it if the files are not part of this publish.",
                )
            )
        for match in matches:
            items.append(CollectedItem(path=match, role=role, origin=origin, is_dir=os.path.isdir(match)))
        return
    # A trailing separator or an existing folder means "this folder, whole".
    is_dir = spec.endswith(("/", os.sep)) or os.path.isdir(path)
    items.append(CollectedItem(path=path, role=role, origin=origin, is_dir=is_dir))


def _absolute(path: str, base: str) -> str:
    expanded = os.path.expanduser(path)
    return os.path.normpath(expanded if os.path.isabs(expanded) else os.path.join(base, expanded))
