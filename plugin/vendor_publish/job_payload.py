"""Plan -> accsyn job payload: as few tasks as the plan allows, each file still accounted for.

Task rules (the manifest keeps per-file tracking whatever the task shape):
- a plain file is one task;
- a frame or tile sequence whose files are named exactly as its pattern says is one task per
  contiguous run of frames, in accsyn's notation ``dir/img.%04d.exr[1001-1100]``; a run of
  one frame, or a sequence with irregular names (padding overflow), falls back to file tasks;
- a folder published whole is one folder task, copied into its destination's parent folder;
  a folder whose name changes on the way falls back to file tasks.
"""

from __future__ import annotations

import os
from typing import Any

from vendor_publish import sequences
from vendor_publish.companions import companion_destinations
from vendor_publish.frame_ranges import contiguous_runs
from vendor_publish.manifest import METADATA_KEY
from vendor_publish.models import EntryKind, Plan, PlanEntry
from vendor_publish.publish_workflow import manifest_entry_id


def source_endpoint(user: str, local_path: str) -> str:
    """A local path on the vendor's machine, in accsyn's party:path notation."""
    return f"{user}:{local_path}"


def share_endpoint(share: str, share_path: str) -> str:
    """A path on the studio share; no party means the workspace."""
    return f"share={share}/{share_path}"


def entry_tasks(entry: PlanEntry, user: str, share: str) -> list[dict[str, str]]:
    """The accsyn tasks that transfer one plan entry."""
    if not entry.included or not entry.count:
        return []
    if entry.kind is EntryKind.FOLDER:
        return _folder_tasks(entry, user, share)
    if entry.kind is EntryKind.SEQUENCE:
        return _sequence_tasks(entry, user, share)
    if entry.members:  # a file and its companions (sidecars): a task each
        return [_file_task(f.source, f.destination, user, share) for f in entry.files()]
    return [_file_task(entry.source, entry.destination, user, share)]


def _sequence_tasks(entry: PlanEntry, user: str, share: str) -> list[dict[str, str]]:
    pattern = sequences.parse_pattern(entry.source)
    # accsyn's '[first-last]' has no room for a minus sign: negative frames go as files.
    regular = pattern is not None and pattern.printf() is not None and bool(entry.frames) and min(entry.frames) >= 0 \
        and all(name == pattern.format(frame) for name, frame in zip(entry.members, entry.frames))
    if not regular:
        return [_file_task(f.source, f.destination, user, share) for f in entry.files()]
    tasks = []
    by_frame = dict(zip(entry.frames, entry.members))
    printf = pattern.printf()
    for first, last in contiguous_runs(entry.frames):
        if first == last:
            name = by_frame[first]
            tasks.append(
                _file_task(os.path.join(entry.source_dir, name), f"{entry.destination_dir}/{name}", user, share)
            )
            continue
        tasks.append(
            {
                "source": source_endpoint(user, f"{os.path.join(entry.source_dir, printf)}[{first}-{last}]"),
                "destination": share_endpoint(share, entry.destination_dir + "/"),
            }
        )
    return tasks


def _folder_tasks(entry: PlanEntry, user: str, share: str) -> list[dict[str, str]]:
    # accsyn copies a source folder *into* a destination ending in '/', so the task names the
    # parent: 'user:/p/exports' -> 'share=s/up/survey/' lands as up/survey/exports/.
    source_dir = entry.source_dir.rstrip("/\\")
    name = source_dir.replace("\\", "/").rsplit("/", 1)[-1]
    parent, _, dest_name = entry.destination_dir.rpartition("/")
    if dest_name != name or not parent:
        return [_file_task(f.source, f.destination, user, share) for f in entry.files()]
    return [{"source": source_endpoint(user, source_dir), "destination": share_endpoint(share, parent + "/")}]


def _file_task(source: str, destination: str, user: str, share: str) -> dict[str, str]:
    return {"source": source_endpoint(user, source), "destination": share_endpoint(share, destination)}


def build_job_payload(
    plan: Plan,
    *,
    job_code: str,
    manifest_source: str,
    manifest_destination: str,
    manifest_sha256: str,
) -> dict[str, Any]:
    """The body of ``transfer/create`` for a plan, its manifest task last."""
    workflow = plan.publish_workflow
    tasks: list[dict[str, str]] = []
    for entry in plan.entries:
        entry_task_list = entry_tasks(entry, plan.user, plan.share)
        if workflow and entry.id in workflow.paths:
            entry_task_list = _dictated(entry, entry_task_list, workflow.paths[entry.id])
        tasks.extend(entry_task_list)
    manifest_task = _file_task(manifest_source, manifest_destination, plan.user, plan.share)
    manifest_task["id"] = manifest_entry_id(plan)  # lets the studio's ingest find it among the tasks
    if workflow and workflow.manifest_path:
        manifest_task["destination"] = workflow.manifest_path
    tasks.append(manifest_task)
    payload = {
        "code": job_code,
        "name": f"{plan.task} from {plan.user}",
        "tasks": tasks,
        "metadata": {
            METADATA_KEY: {
                "publish_id": plan.publish_id,
                "manifest": workflow.manifest_path if workflow and workflow.manifest_path else manifest_destination,
                "manifest_task_id": manifest_entry_id(plan),
                "manifest_sha256": manifest_sha256,
                "task": plan.task,
                "host": plan.host,
                "files": plan.totals.files,
                "bytes": plan.totals.bytes,
                "comment": plan.comment,
            }
        },
    }
    if workflow:
        # The studio's publish-server hook gets its own verdicts back, with the comment and status.
        data = {"files": workflow.files, "comment": plan.comment}
        if workflow.status:
            data["status"] = workflow.status
        payload["hooks"] = [{"when": "hook-job-publish-server", "data": data}]
    return payload


def _dictated(entry: PlanEntry, tasks: list[dict[str, str]], path: str) -> list[dict[str, str]]:
    """Send an entry where the studio's pre-publish hook said; every task carries the entry's id,
    which is what the studio approved (accsyn grants the path per entry, not per task)."""
    if entry.kind is EntryKind.FILE and entry.members:
        return [{"source": t["source"], "destination": p, "id": entry.id}
                for t, p in zip(tasks, companion_destinations(entry, path))]
    if entry.kind is EntryKind.FILE:
        return [{"source": tasks[0]["source"], "destination": path, "id": entry.id}]
    if entry.kind is EntryKind.FOLDER:
        return [{"source": source_endpoint(entry_user(tasks), entry.source_dir.rstrip("/\\")), "destination": path,
                 "id": entry.id}]
    into = path.rstrip("/\\") + "/"
    return [{"source": t["source"], "destination": into, "id": entry.id} for t in tasks]


def entry_user(tasks: list[dict[str, str]]) -> str:
    """The party of the tasks' sources (the vendor)."""
    return tasks[0]["source"].split(":", 1)[0]
