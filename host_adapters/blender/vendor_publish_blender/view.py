"""The plan as the dialog shows it: plain rows and lines, built from ``report``'s words (no bpy)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from vendor_publish import paths
from vendor_publish.models import Plan, PlanEntry, Role
from vendor_publish.report import ROLE_TITLES, entry_label, finding_lines, format_plan, human_size
from vendor_publish.validation import summarise

#: Rows shown per role; a scene with 1,000 images gets a count line for the rest (the CLI lists all).
ROWS_PER_ROLE = 12


@dataclass(frozen=True)
class Row:
    """One plan entry: what (relative to the project root when inside it), where it goes, how big."""

    entry_id: str
    what: str
    destination: str
    size: str
    optional: bool
    included: bool


@dataclass(frozen=True)
class Group:
    """The entries of one role; ``more`` counts rows not shown."""

    title: str
    rows: tuple[Row, ...]
    more: int = 0
    more_size: str = ""


@dataclass(frozen=True)
class Finding:
    """A finding's lines (``ERROR: ...``, ``from: ...``, ``what to do: ...``) and whether it blocks."""

    lines: tuple[str, ...]
    blocking: bool
    severity: str


@dataclass(frozen=True)
class PlanView:
    """Everything the dialog draws."""

    heading: tuple[str, ...]
    groups: tuple[Group, ...]
    findings: tuple[Finding, ...]
    totals: str
    verdict: str
    blocked: bool
    notes: tuple[str, ...] = ()

    @property
    def disabled_reason(self) -> str | None:
        """Why Publish is disabled, or None."""
        return f"Publish is disabled. {self.verdict}" if self.blocked else None


def _what(entry: PlanEntry, root: str) -> str:
    source = entry.source
    if paths.is_within(source, root) and os.path.normcase(source) != os.path.normcase(root):
        source = os.path.relpath(source, root)
    return entry_label(entry, source)


def _row(entry: PlanEntry, root: str) -> Row:
    return Row(entry.id, _what(entry, root), entry.destination, human_size(entry.size), entry.optional,
               entry.included)


def build_view(plan: Plan, *, notes: tuple[str, ...] = (), blocked_by: str | None = None,
               rows_per_role: int = ROWS_PER_ROLE) -> PlanView:
    """The dialog's content for ``plan``; the heading and totals are ``report.format_plan``'s lines.

    ``blocked_by``: a reason outside the plan that keeps Publish disabled (the online check failed).
    """
    text = format_plan(plan).splitlines()
    groups = []
    for role in Role:
        entries = [e for e in plan.entries if e.role is role]
        if not entries:
            continue
        # Optional entries first: those are the ones the artist may untick.
        shown = sorted(entries, key=lambda e: not e.optional)[:rows_per_role]
        shown_ids = {e.id for e in shown}
        rest = [e for e in entries if e.id not in shown_ids]
        groups.append(Group(ROLE_TITLES[role], tuple(_row(e, plan.project_root) for e in shown), len(rest),
                            human_size(sum(e.size for e in rest)) if rest else ""))
    findings = tuple(Finding(tuple(finding_lines(f)), f.blocking, f.severity.value)
                     for f in summarise(plan.findings))
    verdict = text[-1] if blocked_by is None or plan.blocked else blocked_by
    return PlanView(tuple(text[:3]), tuple(groups), findings, text[-2], verdict, plan.blocked or blocked_by is not None,
                    notes)
