"""The JSON a job hook receives, shaped like accsyn's job lifecycle hook input (see hooks.md)."""

from __future__ import annotations

from typing import Any

from vendor_publish.sandbox.core import Core


def _side(side: dict) -> dict:
    out = {k: v for k, v in side.items() if k not in ("raw", "into", "kind", "vol_rel", "sequence")}
    out.setdefault("path_abs", side.get("path"))
    return out


def job_hook_input(core: Core, job: dict, tasks: list[dict], hook: str) -> dict[str, Any]:
    """Job fields plus `tasks` keyed by uri, each source/destination with `path` and `path_abs`.

    `user_hr` is the creator's e-mail and `source_hr`/`destination_hr` read `user:<e-mail>` or
    `workspace:<code>`, so the tutorial's `data["source_hr"].split(":")[1]` yields the e-mail.
    """
    ws = core.workspace() or {}
    return {
        "version": "sandbox",
        "hook": hook,
        "id": job["id"],
        "code": job["code"],
        "name": job.get("name", job["code"]),
        "status": job["status"],
        "size": job.get("size", -1),
        "created": job.get("created"),
        "finished": job.get("finished"),
        "user": job["user"],
        "user_hr": job["user_hr"],
        "workspace": ws.get("id"),
        "workspace_hr": ws.get("code"),
        "source": job["source"],
        "source_hr": job["source_hr"],
        "destination": job["destination"],
        "destination_hr": job["destination_hr"],
        "queue": job.get("queue"),
        "queue_hr": None,
        "metadata": job.get("metadata") or {},
        "tasks": {
            str(t["uri"]): {
                "id": t["id"],
                "uri": t["uri"],
                "status": t["status"],
                "size": t.get("size", -1),
                "metadata": t.get("metadata") or {},
                "source": _side(t["source"]),
                "destination": _side(t["destination"]),
            }
            for t in tasks
        },
    }


def publish_hook_input(core: Core, job: dict, tasks: list[dict]) -> dict[str, Any] | None:
    """The `publish-server` input: the job input plus the `files` the job's publish hook carried."""
    for hook in job.get("hooks") or []:
        if isinstance(hook, dict) and str(hook.get("when", "")).lower().endswith("publish-server"):
            data = job_hook_input(core, job, tasks, "publish-server")
            hook_data = hook.get("data") or {}
            by_id = {t["id"]: t for t in tasks}
            files = []
            for f in hook_data.get("files") or []:
                entry = dict(f)
                task = by_id.get(str(f.get("id")))
                if task is not None:
                    entry.setdefault("path_abs", task["destination"].get("path_abs"))
                    entry["v"] = task["destination"].get("v")
                files.append(entry)
            data.update({k: v for k, v in hook_data.items() if k != "files"})
            data["files"] = files
            return data
    return None
