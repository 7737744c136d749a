"""accsyn's Publish workflow: when the studio's workspace runs a ``pre-publish-server`` hook,
its verdict on each entry is shown as findings and the destinations it dictates are used.

Each plan entry is one publish entry (id = the entry's id; a folder or a sequence is a folder
item listing its files), plus one for the manifest. Without the workflow the service says so
and nothing changes: the plan keeps the share mapping and the ACL check.
"""

from __future__ import annotations

import uuid
from typing import Any

from vendor_publish.errors import ServiceError
from vendor_publish.models import EntryKind, Finding, Plan, PlanEntry, PublishWorkflow, Severity

MANIFEST_NAMESPACE = uuid.UUID("0c7d2f8e-8d0e-4d6f-9a57-2b8f1e0b9c31")


def manifest_entry_id(plan: Plan) -> str:
    """The publish entry id of the plan's manifest (stable for a publish)."""
    return str(uuid.uuid5(MANIFEST_NAMESPACE, plan.publish_id))


def request_items(plan: Plan) -> list[dict[str, Any]]:
    """The ``files`` of a pre-process request: what the studio's hook gets to judge."""
    items = []
    for entry in plan.entries:
        if not entry.included or not entry.count:
            continue
        name = (entry.destination_dir if entry.kind is not EntryKind.FILE else entry.destination) or ""
        item: dict[str, Any] = {
            "id": entry.id,
            "filename": name.rsplit("/", 1)[-1] if entry.kind is not EntryKind.SEQUENCE
            else entry.destination.rsplit("/", 1)[-1],
            "size": entry.size,
            "is_dir": entry.kind is not EntryKind.FILE,
        }
        if entry.kind is not EntryKind.FILE:
            item["files"] = [
                {"filename": f.destination.rsplit("/", 1)[-1], "size": f.size, "is_dir": False} for f in entry.files()
            ]
        items.append(item)
    items.append({"id": manifest_entry_id(plan), "filename": f"{plan.job_code}.manifest.json", "size": 0,
                  "is_dir": False})
    return items


def apply_answer(plan: Plan, answer: Any) -> tuple[Plan, list[Finding]]:
    """Turn the hook's verdicts into findings and the destinations it dictates into the plan."""
    by_id = {str(f.id): f for f in answer.files if f.id}
    entries = {e.id: e for e in plan.entries}
    findings: list[Finding] = []
    paths: dict[str, str] = {}
    for entry_id, verdict in by_id.items():
        entry = entries.get(entry_id)
        label = entry.source if entry else "the manifest"
        finding = _verdict_finding(verdict, label, entry)
        if finding is not None:
            findings.append(finding)
        if verdict.path and (verdict.can_publish or verdict.can_upload):
            paths[entry_id] = str(verdict.path)
    guidelines = _text(answer.guidelines)
    if guidelines:
        findings.append(Finding(code="studio-guidelines", severity=Severity.INFO, message=f"The studio says: {guidelines}"))
    if answer.comment and not plan.comment.strip():
        findings.append(Finding(code="comment-required", severity=Severity.ERROR,
                                message="The studio asks for a comment with every publish.",
                                fix="Add --comment \"what you did\" (or fill in the comment field)."))
    statuses = [s.get("name") or s.get("code") or str(s) if isinstance(s, dict) else str(s) for s in answer.statuses or []]
    default = next((s.get("name") or s.get("code") for s in answer.statuses or [] if isinstance(s, dict) and s.get("default")), None)
    manifest_id = manifest_entry_id(plan)
    workflow = PublishWorkflow(
        paths={k: v for k, v in paths.items() if k != manifest_id},
        manifest_path=paths.get(manifest_id),
        guidelines=guidelines,
        statuses=[s for s in statuses if s],
        status=default,
        files=[f.model_dump(exclude_none=True) for f in answer.files],
    )
    return plan.model_copy(update={"publish_workflow": workflow}), findings


def _verdict_finding(verdict, label: str, entry: PlanEntry | None) -> Finding | None:
    words = _text(verdict.warning) or _text(verdict.info) or _text(verdict.rejected)
    origin = entry.origin if entry else None
    if verdict.rejected:
        return Finding(code="studio-rejected", severity=Severity.ERROR, origin=origin, path=label,
                       message=f"The studio's publish check rejected {label}" + (f": {words}" if words else "."),
                       fix="Fix what the studio asks for, then publish again.")
    if not verdict.can_publish and verdict.can_upload:
        return Finding(code="studio-warning", severity=Severity.WARNING, origin=origin, path=label,
                       message=f"The studio's publish check did not approve {label}; it may still be uploaded"
                       + (f": {words}" if words else "."),
                       fix="The studio will look at it by hand; fix it if you can.")
    if not verdict.can_publish:
        return Finding(code="studio-rejected", severity=Severity.ERROR, origin=origin, path=label,
                       message=f"The studio's publish check did not accept {label}" + (f": {words}" if words else "."),
                       fix="Fix what the studio asks for, then publish again.")
    if words:
        return Finding(code="studio-note", severity=Severity.INFO, origin=origin, path=label,
                       message=f"The studio's publish check on {label}: {words}")
    return None


def _text(value: Any) -> str:
    if value in (None, False, True):
        return ""
    return str(value).strip()


def check(plan: Plan, client) -> tuple[Plan, list[Finding]] | None:
    """Ask the studio's pre-publish hook about the plan; None when the workspace has no Publish workflow."""
    try:
        answer = client.publish_preprocess(request_items(plan))
    except ServiceError as exc:
        if "publish" in str(exc).lower() and ("enabled" in str(exc).lower() or "not" in str(exc).lower()):
            return None
        raise
    if (answer.model_extra or {}).get("publish") is False:
        return None
    return apply_answer(plan, answer)
