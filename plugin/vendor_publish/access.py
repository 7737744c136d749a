"""Checks only the service can answer: may this user write where the plan puts files?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vendor_publish import paths
from vendor_publish.manifest import manifest_destination
from vendor_publish.models import Finding, Plan, Severity

FULL_ACCESS_ROLES = {"admin", "employee", "support"}


def writable_paths(acls: Iterable) -> list[str]:
    """Share-relative folders the ACLs let the user write into ('' is the whole share)."""
    result = []
    for acl in acls:
        if _field(acl, "write"):
            result.append(str(_field(acl, "path") or "").replace("\\", "/").strip("/"))
    return result


def denied_destinations(destinations: Iterable[str], writable: list[str]) -> list[str]:
    """Destinations not under any writable folder (compared per segment, case-insensitively)."""
    denied = []
    for dest in destinations:
        if not any(root == "" or paths.is_under_root(dest, root) for root in writable):
            denied.append(dest)
    return denied


def plan_folders(plan: Plan) -> list[str]:
    """The destination folders of the plan, each once (what ACLs are checked against)."""
    folders: dict[str, None] = {}
    dictated = plan.publish_workflow.paths if plan.publish_workflow else {}
    for entry in plan.entries:
        if not entry.included or entry.id in dictated:  # the studio's publish hook chose its place
            continue
        folder = entry.destination_dir or entry.destination.rsplit("/", 1)[0]
        folders.setdefault(folder)
    if not (plan.publish_workflow and plan.publish_workflow.manifest_path):
        folders.setdefault(manifest_destination(plan).rsplit("/", 1)[0])
    return list(folders)


@dataclass(frozen=True)
class AccessFacts:
    """What the service says about the user's rights on the share (needs no plan: fetched early)."""

    share: str
    full_access: bool
    share_found: bool = True
    writable: tuple[str, ...] = ()


def fetch_access(client, share_code: str) -> AccessFacts:
    """Ask the service for the user's role and write ACLs on ``share_code`` (login, share, ACLs)."""
    me = client.login_info
    if str(me.role).lower() in FULL_ACCESS_ROLES:
        return AccessFacts(share_code, full_access=True)
    share = client.find_one(f"share WHERE code={share_code}")
    if share is None:
        return AccessFacts(share_code, full_access=False, share_found=False)
    acls = client.find("acl", f"entity=user:{me.id} AND target=share:{share.id}")
    return AccessFacts(share_code, full_access=False, writable=tuple(writable_paths(acls)))


def access_findings(plan: Plan, facts: AccessFacts) -> list[Finding]:
    """Findings for every destination folder of the plan the user may not write."""
    if facts.full_access:
        return []
    if not facts.share_found:
        return [
            Finding(
                code="no-share-access",
                severity=Severity.ERROR,
                message=f"The share {plan.share!r} does not exist in workspace {plan.workspace!r}, "
                "or you have no access to it.",
                fix="Ask the studio to check the share code in the studio profile and your access.",
            )
        ]
    writable = list(facts.writable)
    denied = denied_destinations(plan_folders(plan), writable)
    where = ", ".join(writable) if writable else "nowhere"
    return [
        Finding(
            code="no-write-access",
            severity=Severity.ERROR,
            message=f"You may not write to {folder} on share {plan.share} (you may write to: {where}).",
            path=folder,
            fix=f"Ask the studio to grant write access to {folder}, or check the studio profile's upload_root.",
        )
        for folder in denied
    ]


def online_findings(plan: Plan, client, facts: AccessFacts | None = None) -> list[Finding]:
    """Ask the service whether the user may write every destination of the plan (``facts`` if fetched already)."""
    if facts is None or facts.share != plan.share:
        facts = fetch_access(client, plan.share)
    return access_findings(plan, facts)


def _field(obj, name: str):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
