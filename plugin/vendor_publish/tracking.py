"""Follow a job until it is done, failed or aborted, telling the user what it waits for."""

from __future__ import annotations

import time
from collections.abc import Callable

from vendor_publish.errors import ServiceError
from vendor_publish.models import JobStatus, TrackingSnapshot

OFFLINE_MESSAGE = (
    "Waiting for your accsyn desktop app: it is not running on this machine. "
    "Start the accsyn app (or daemon) and the upload begins; nothing needs to be published again."
)


def snapshot(client, job_id: str, *, user_id: str | None = None) -> TrackingSnapshot:
    """One look at the job, its tasks and (while it waits) the vendor's desktop app."""
    job = client.job(job_id)
    if job is None:
        raise ServiceError(f"No job {job_id} is visible to you in this workspace.",
                           hint="Check the job id (vendor-publish prints it when it submits).")
    tasks = client.job_tasks(job_id)
    status = str(job.status)
    statuses = [str(t.status) for t in tasks]
    online = None
    message = _message_for(status, job)
    if status in (JobStatus.INIT.value, JobStatus.WAITING.value) and user_id:
        online = client.client_online(user_id)
        if not online:
            message = OFFLINE_MESSAGE
    return TrackingSnapshot(
        job_id=job_id,
        status=status,
        progress=_number(getattr(job, "progress", 0), float) or 0.0,
        size=_number(getattr(job, "size", None), int),
        speed=_number(getattr(job, "speed", None), float),
        etr=_number(getattr(job, "etr", None), int),
        tasks_total=len(tasks),
        tasks_done=statuses.count("done"),
        tasks_failed=statuses.count("failed"),
        client_online=online,
        message=message,
    )


def _number(value, kind):
    """The service sends numbers, '' or nothing; the snapshot wants a number or None."""
    try:
        return kind(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _message_for(status: str, job) -> str:
    if status == JobStatus.DONE.value:
        return "All files arrived at the studio."
    if status == JobStatus.FAILED.value:
        reason = getattr(job, "message", None) or getattr(job, "status_message", None) or ""
        return f"The transfer failed{': ' + str(reason) if reason else ''}. accsyn may retry on its own."
    if status == JobStatus.ABORTED.value:
        return "The transfer was aborted at the studio or in the accsyn app."
    if status == JobStatus.PAUSED.value:
        return "The transfer is paused; resume it in the accsyn app."
    if status == JobStatus.RUNNING.value:
        return "Uploading."
    return "Queued."


def follow(
    client,
    job_id: str,
    *,
    user_id: str | None = None,
    interval: float = 1.0,
    timeout: float | None = None,
    on_update: Callable[[TrackingSnapshot], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    stop_on_failed: bool = True,
) -> TrackingSnapshot:
    """Poll until the job is done/aborted (or failed, by default), the timeout passes or the user cancels."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        snap = snapshot(client, job_id, user_id=user_id)
        if on_update is not None:
            on_update(snap)
        finished = snap.status in (JobStatus.DONE.value, JobStatus.ABORTED.value)
        if finished or (stop_on_failed and snap.status == JobStatus.FAILED.value):
            return snap
        if cancelled is not None and cancelled():
            return snap
        if deadline is not None and time.monotonic() >= deadline:
            return snap
        time.sleep(interval)
