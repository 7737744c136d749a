"""The publish manifest: every file with role, size, digest, source and destination.

It travels with the job as a file of its own (so a 200,000-file publish does not bloat the
job's metadata), and the job's metadata names it and carries its digest, so the studio's
ingest step can find it, trust it and verify every file against it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from itertools import repeat
from pathlib import Path

from vendor_publish import __version__
from vendor_publish.companions import companion_destinations
from vendor_publish.models import EntryKind, Manifest, ManifestFile, Plan, Role

MANIFEST_DIR = "_vendor_publish"
METADATA_KEY = "vendor_publish"


def manifest_destination(plan: Plan) -> str:
    """Share-relative path the manifest is uploaded to, inside the upload root."""
    return f"{plan.upload_root}/{MANIFEST_DIR}/{plan.job_code}.{plan.publish_id}.json"


def build_manifest(plan: Plan, digests: Mapping[str, str] | None = None) -> Manifest:
    """Describe every included file of the plan, with digests where known (by path, or a ``PlanDigests``)."""
    digests = digests or {}
    for_entry = getattr(digests, "for_entry", None)
    files: list[ManifestFile] = []
    project_destination = None
    dictated = plan.publish_workflow.paths if plan.publish_workflow else {}
    for entry in plan.entries:
        if not entry.included:
            continue
        group = entry.kind is EntryKind.FILE and bool(entry.members)  # a file and its companions
        cut = len(entry.destination_dir) + 1 if entry.members and entry.destination_dir and not group else 0
        known = for_entry(entry) if for_entry is not None else [digests.get(p) for p in entry.sources()]
        placed = dictated.get(entry.id)
        # A file's companions go where the studio put the file, renamed alike: each its own place.
        places = companion_destinations(entry, placed) if group and placed else repeat(placed)
        for f, digest, place in zip(entry.files(), known, places):
            if entry.role is Role.PROJECT:
                project_destination = f.destination
            files.append(
                ManifestFile(
                    role=entry.role,
                    source=f.source,
                    destination=f.destination,
                    size=f.size,
                    digest=digest or f.digest,
                    origin=entry.origin,
                    mapping=entry.mapping,
                    frame=f.frame,
                    entry=entry.id,
                    within=f.destination[cut:] if cut else None,
                    dictated=place,
                )
            )
    return Manifest(
        publish_id=plan.publish_id,
        created=plan.created,
        tool_version=__version__,
        user=plan.user,
        host=plan.host,
        host_version=plan.host_version,
        workspace=plan.workspace,
        share=plan.share,
        task=plan.task,
        job_code=plan.job_code,
        project_file=plan.project_file,
        project_destination=project_destination,
        upload_root=plan.upload_root,
        comment=plan.comment,
        files=files,
        totals=plan.totals,
    )


def write_manifest(manifest: Manifest, path: str | os.PathLike[str]) -> str:
    """Write the manifest atomically; returns its SHA-256 so the job metadata can vouch for it."""
    data = manifest.model_dump_json(indent=1).encode("utf-8")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return hashlib.sha256(data).hexdigest()


def read_manifest(path: str | os.PathLike[str]) -> tuple[Manifest, str]:
    """Read a manifest and return it with the SHA-256 of its bytes."""
    data = Path(path).read_bytes()
    return Manifest.model_validate(json.loads(data)), hashlib.sha256(data).hexdigest()


def job_metadata_block(job: dict) -> dict | None:
    """This plugin's block of a job's metadata (the service may send metadata as a JSON string)."""
    meta = job.get("metadata") or {}
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            return None
    block = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    return block if isinstance(block, dict) and block.get("publish_id") else None
