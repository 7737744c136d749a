"""What the artist reads, in the CLI's words (``vendor-publish publish`` prints the same lines)."""

from __future__ import annotations

import os
from typing import Any

from vendor_publish.errors import SubmissionUncertain, VendorPublishError
from vendor_publish.models import JobStatus
from vendor_publish.report import format_snapshot, human_size

KEPT = "  The publish is kept in your outbox; send it with: vendor-publish outbox retry"
KEPT_UNCERTAIN = ("  The publish is kept in your outbox; 'vendor-publish outbox retry' checks whether accsyn got it "
                  "before sending anything again.")


def error_lines(exc: BaseException, project: str = "", *, kept_in_outbox: bool = False) -> list[str]:
    """An error as the CLI prints it: ``<project>: error: <message>`` then ``what to do``."""
    prefix = f"{os.path.basename(project)}: " if project else ""
    lines = [f"{prefix}error: {exc}"]
    hint = getattr(exc, "hint", None)
    if hint:
        lines.append(f"  what to do: {hint}")
    if isinstance(exc, SubmissionUncertain):
        lines.append(KEPT_UNCERTAIN)
    elif kept_in_outbox:
        lines.append(KEPT)
    if not isinstance(exc, VendorPublishError):
        # Not one of ours: a bug or an environment problem; the type helps whoever reads the report.
        lines[0] = f"{prefix}error: {type(exc).__name__}: {exc}"
    return lines


def cancelled_lines(stage: str) -> list[str]:
    """What a cancel at ``stage`` means for the studio."""
    if stage in ("collecting", "planning", "ready"):
        return ["Not published.", "Nothing was sent."]
    return ["Not published: cancelled while reading files.", "Nothing was sent."]


def result_lines(result: Any, snap: Any = None) -> list[str]:
    """The job line, then where it stands (``[done] 100.0% ...``) or how to follow it."""
    again = " (already submitted earlier; not sent again)" if result.reused_existing else ""
    lines = [f"Job {result.job_code} created: id {result.job_id}, {result.files} files, "
             f"{human_size(result.bytes)}{again}."]
    if snap is None:
        lines.append(f"Follow it with: vendor-publish status {result.job_id} --wait")
        return lines
    lines.append(format_snapshot(snap))
    if snap.status not in (JobStatus.DONE.value, JobStatus.FAILED.value, JobStatus.ABORTED.value):
        lines.append(f"Stopped waiting; the job goes on. Follow it with: vendor-publish status {result.job_id} --wait")
    return lines


def progress_text(stage: str, done: int, total: int) -> str:
    """``reading 45% of 1.2 GB`` while hashing, ``creating the job`` when submitting."""
    if stage == "digest" and total:
        return f"reading {100 * done / total:.0f}% of {human_size(total)}"
    if stage == "submit":
        return "creating the job at accsyn"
    if stage == "transfer":
        return f"transfer {done / 10:.1f}%"
    return stage
