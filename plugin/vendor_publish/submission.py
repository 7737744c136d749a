"""Plan -> accsyn job: re-check files, digest them, write the manifest, create exactly one job.

Re-publish rule: the job code comes from the studio's template (``{task}_output``). If a job
with that code already exists (in any state), this publish becomes ``<code>_2``, ``_3``...:
a re-publish never merges into an earlier job and never creates a look-alike duplicate. A
retry of the *same* publish (same publish id, e.g. after a timeout) finds the job it already
created, by the publish id in the job's metadata, and does not create another.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vendor_publish import digests as digest_mod
from vendor_publish import file_findings
from vendor_publish.errors import PlanChangedError, SubmissionUncertain
from vendor_publish.job_payload import build_job_payload
from vendor_publish.manifest import build_manifest, job_metadata_block, manifest_destination, write_manifest
from vendor_publish.models import Finding, Plan, SubmissionResult
from vendor_publish.plan_digests import Progress, compute_digests


def recheck(plan: Plan) -> list[Finding]:
    """Files that changed or vanished since the plan was made (size or mtime)."""
    changed: list[Finding] = []
    for entry in plan.entries:
        if not entry.included:
            continue
        for f in entry.files():
            try:
                st = os.stat(f.source)
            except FileNotFoundError:
                changed.append(file_findings.vanished(f.source, entry.origin))
                continue
            except OSError as exc:
                changed.append(file_findings.unreadable(f.source, entry.origin, exc.strerror or str(exc)))
                continue
            if st.st_size != f.size or st.st_mtime_ns != f.mtime_ns:
                changed.append(file_findings.changed(f.source, entry.origin))
    return changed


def choose_job_code(base: str, existing: list[dict[str, Any]]) -> str:
    """The first free code among base, base_2, base_3... given the jobs that already exist."""
    pattern = re.compile(rf"^{re.escape(base.lower())}(?:_(\d+))?$")
    taken = set()
    for job in existing:
        m = pattern.match(str(job.get("code", "")).lower())
        if m:
            taken.add(int(m.group(1) or 1))
    n = 1
    while n in taken:
        n += 1
    return base if n == 1 else f"{base}_{n}"


def publish_id_of(job: dict[str, Any]) -> str | None:
    """The publish id a job was made for, if this plugin made it."""
    block = job_metadata_block(job)
    return block["publish_id"] if block else None


def existing_jobs(client, base_code: str) -> list[dict[str, Any]]:
    """Jobs (finished included) coded base_code, base_code_2, ... up to the first free code."""
    found: list[dict[str, Any]] = []
    n = 1
    while True:
        code = base_code if n == 1 else f"{base_code}_{n}"
        jobs = client.find_jobs_by_code(code)
        if not jobs:
            return found
        found.extend(j.model_dump() if hasattr(j, "model_dump") else dict(j) for j in jobs)
        n += 1


def submit(
    plan: Plan,
    client,
    *,
    staging_dir: Path,
    cache: digest_mod.DigestCache | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SubmissionResult:
    """Create the accsyn job for a plan; safe to call again for the same plan after a failure."""
    if plan.blocked:
        raise PlanChangedError("The plan has blocking findings; fix them and plan again.")
    changed = recheck(plan)
    if changed:
        first = changed[0]
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise PlanChangedError(f"{first.message}{more}", hint=first.fix)

    jobs = existing_jobs(client, plan.job_code)
    for job in jobs:
        if publish_id_of(job) == plan.publish_id:
            return _result(plan, job, payload_bytes=0, reused=True)

    digests = compute_digests(plan, cache, progress=progress, cancelled=cancelled)
    if cancelled is not None and cancelled():
        raise KeyboardInterrupt("publish cancelled while reading files")
    manifest = build_manifest(plan, digests)
    manifest_source = staging_dir / "manifests" / f"{plan.publish_id}.json"
    manifest_sha = write_manifest(manifest, manifest_source)
    code = choose_job_code(plan.job_code, jobs)
    payload = build_job_payload(
        plan,
        job_code=code,
        manifest_source=str(manifest_source),
        manifest_destination=manifest_destination(plan),
        manifest_sha256=manifest_sha,
    )
    payload_bytes = len(json.dumps(payload, separators=(",", ":")).encode())
    if progress:
        progress("submit", 0, len(payload["tasks"]))
    try:
        job = client.create_job(payload)
    except SubmissionUncertain:
        # The request may have reached the service: look before anyone tries again.
        for candidate in existing_jobs(client, plan.job_code):
            if publish_id_of(candidate) == plan.publish_id:
                return _result(plan, candidate, payload_bytes=payload_bytes, reused=True)
        raise
    job_dict = job.model_dump() if hasattr(job, "model_dump") else dict(job)
    job_dict.setdefault("code", code)
    return _result(plan, job_dict, payload_bytes=payload_bytes, reused=False, tasks=len(payload["tasks"]))


def _result(plan: Plan, job: dict[str, Any], *, payload_bytes: int, reused: bool, tasks: int = 0) -> SubmissionResult:
    return SubmissionResult(
        publish_id=plan.publish_id,
        job_id=str(job["id"]),
        job_code=str(job.get("code") or plan.job_code),
        tasks=tasks,
        files=plan.totals.files,
        bytes=plan.totals.bytes,
        payload_bytes=payload_bytes,
        reused_existing=reused,
    )
