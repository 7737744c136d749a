"""Plain-text renderings of the stage values, the same words in the CLI and in host dialogs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from vendor_publish.models import EntryKind, Finding, Plan, Role, Severity, TrackingSnapshot
from vendor_publish.frame_ranges import compact
from vendor_publish.validation import summarise

ROLE_TITLES = {Role.PROJECT: "Project file", Role.DEPENDENCY: "Dependencies", Role.OUTPUT: "Outputs"}
MARKS = {Severity.ERROR: "ERROR", Severity.WARNING: "warning", Severity.INFO: "note"}


def plural(n: int, word: str) -> str:
    """'1 file', '2 files', '2 dependencies'."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else f"{n} {word}s"


def human_size(n: float) -> str:
    """1536 -> '1.5 KB' (decimal units, as file browsers show them)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def finding_lines(finding: Finding) -> list[str]:
    """A finding as the user reads it: severity, message, origin, what to do."""
    lines = [f"{MARKS[finding.severity]}: {finding.message}"]
    if finding.origin:
        lines.append(f"    from: {finding.origin}")
    if finding.fix:
        lines.append(f"    what to do: {finding.fix}")
    return lines


def entry_label(entry, source: str | None = None) -> str:
    """What an entry is, as every view names it: the path (or ``source`` as shown), its frames, its count."""
    source = entry.source if source is None else source
    if entry.kind is EntryKind.SEQUENCE:
        return f"{source} [{compact(entry.frames or [])}] ({plural(entry.count, 'file')})"
    if entry.kind is EntryKind.FOLDER:
        return f"{source}/ ({plural(entry.count, 'file')})"
    if entry.members:  # a file and its companions
        return f"{source} ({plural(entry.count, 'file')})"
    return source


def entry_line(entry) -> str:
    """One plan entry: what, how many, how big, where it goes."""
    mark = "  " if entry.included else "- "
    return f"{mark}{entry_label(entry)}  ->  {entry.destination}  ({human_size(entry.size)})"


def header_lines(plan: Plan) -> list[str]:
    """What is published, as whom, and where to (the first lines of every plan view)."""
    return [
        f"Publish {plan.job_code!r} for task {plan.task!r} as {plan.user}",
        f"  to share {plan.share} in workspace {plan.workspace}, under {plan.upload_root}/",
        f"  project root: {plan.project_root}",
    ]


def summary_lines(plan: Plan) -> list[str]:
    """Totals and the verdict (the last lines of every plan view)."""
    t = plan.totals
    roles = ", ".join(plural(n, r) for r, n in t.by_role.items())
    lines = [f"Total: {plural(t.files, 'file')}, {human_size(t.bytes)} ({roles})."]
    errors = t.findings.get("error", 0)
    warnings = t.findings.get("warning", 0)
    if errors:
        lines.append(f"Blocked: {plural(errors, 'problem')} must be fixed before publishing.")
    elif warnings:
        lines.append(f"Ready to publish, with {plural(warnings, 'warning')}.")
    else:
        lines.append("Ready to publish.")
    return lines


def format_plan(plan: Plan, *, verbose: bool = False) -> str:
    """The whole plan as text: entries by role with destinations, findings, totals (verbose: every file and finding)."""
    out = header_lines(plan)
    for role in Role:
        entries = [e for e in plan.entries if e.role is role]
        if not entries:
            continue
        out.append("")
        out.append(f"{ROLE_TITLES[role]}:")
        for e in entries:
            out.append("  " + entry_line(e))
            if verbose and e.members:  # every file of a sequence or folder, on request
                out.extend(f"      {f.source}  ->  {f.destination}  ({human_size(f.size)})" for f in e.files())
    findings = plan.findings if verbose else summarise(plan.findings)
    if findings:
        out.append("")
        out.append("Findings:")
        for f in findings:
            out.extend("  " + line for line in finding_lines(f))
    out.append("")
    out.extend(summary_lines(plan))
    return "\n".join(out)


def format_snapshot(snap: TrackingSnapshot) -> str:
    """One line of job progress."""
    tasks = f"{snap.tasks_done}/{snap.tasks_total} tasks" if snap.tasks_total else ""
    return f"[{snap.status}] {snap.progress:5.1f}% {tasks}  {snap.message}".rstrip()


class ProgressLine:
    """A single self-rewriting progress line on a terminal; plain lines when not a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last_text = ""
        self._last_time = 0.0

    def show(self, label: str, fraction: float, detail: str = "") -> None:
        """Draw the bar (throttled; always on a change of label)."""
        now = time.monotonic()
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(self.width * fraction)
        text = f"{label:<9} [{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:5.1f}% {detail}"
        if self.tty:
            if now - self._last_time < 0.1 and fraction < 1.0:
                return
            self.stream.write("\r" + text.ljust(len(self._last_text)))
        elif text.split("]")[0] != self._last_text.split("]")[0] or fraction >= 1.0:
            if now - self._last_time < 2.0 and fraction < 1.0 and label == self._last_text[:9].strip():
                return
            self.stream.write(text + "\n")
        self.stream.flush()
        self._last_text = text
        self._last_time = now

    def done(self) -> None:
        """End the line."""
        if self.tty and self._last_text:
            self.stream.write("\n")
            self.stream.flush()
        self._last_text = ""
