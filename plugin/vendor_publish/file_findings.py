"""The findings about one file on disk, worded once for the planner and the pre-submit re-check."""

from __future__ import annotations

from vendor_publish.models import Finding, Role, Severity

WHAT = {Role.PROJECT: "The project file", Role.OUTPUT: "An output"}


def file_error(code: str, message: str, path: str, origin: str | None, fix: str) -> Finding:
    """A blocking finding about one file."""
    return Finding(code=code, severity=Severity.ERROR, message=message, path=path, origin=origin, fix=fix)


def missing(path: str, origin: str | None, role: Role | None = None) -> Finding:
    """The file is not there."""
    what = WHAT.get(role, "A file the project uses")
    return file_error("missing-file", f"{what} is missing: {path}", path, origin,
                      "Restore the file, fix the path in the project, or remove the reference.")


def unreadable(path: str, origin: str | None, reason: str) -> Finding:
    """The file is there but this user cannot read it."""
    return file_error("unreadable-file", f"Cannot read {path}: {reason}.", path, origin,
                      "Fix the file's permissions so your user can read it.")


def vanished(path: str, origin: str | None) -> Finding:
    """The file was planned but is gone now."""
    return file_error("vanished-file", f"File disappeared since the plan was made: {path}", path, origin,
                      "Restore it, or plan the publish again.")


def changed(path: str, origin: str | None) -> Finding:
    """The file's size or mtime differs from the plan's."""
    return file_error("changed-file", f"File changed since the plan was made: {path}", path, origin,
                      "Plan the publish again so the manifest describes the file as it is now.")
