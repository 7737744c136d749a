"""The local outbox: a publish is written here before submission and removed only once accsyn
has confirmed its job, so a crash or a lost network at any step leaves it resumable.

One JSON file per publish, replaced atomically; a lock file per publish so two processes (a
batch beside the menu) never submit the same one at once. No database, so nothing is ever
"locked" for longer than one submission.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vendor_publish.errors import VendorPublishError
from vendor_publish.models import Plan

STALE_LOCK_SECONDS = 6 * 3600


class OutboxBusy(VendorPublishError):
    """Another process is submitting this publish right now."""


@dataclass(frozen=True)
class OutboxEntry:
    """A publish waiting for accsyn to confirm its job."""

    publish_id: str
    plan: Plan
    created: str
    updated: str
    attempts: int
    reason: str

    @property
    def label(self) -> str:
        """What the user recognises: job code and project file."""
        return f"{self.plan.job_code} ({self.plan.project_file})"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class Outbox:
    """Pending publishes in a folder (``<data dir>/outbox``)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _file(self, publish_id: str) -> Path:
        if not publish_id or any(c in publish_id for c in "/\\.") :
            raise VendorPublishError(f"Not a publish id: {publish_id!r}")
        return self.folder / f"{publish_id}.json"

    def put(self, plan: Plan, reason: str = "waiting to be submitted") -> OutboxEntry:
        """Record a publish before anything is sent (keeps the attempt count of an earlier record)."""
        previous = self.get(plan.publish_id)
        entry = OutboxEntry(
            publish_id=plan.publish_id,
            plan=plan,
            created=previous.created if previous else _now(),
            updated=_now(),
            attempts=previous.attempts if previous else 0,
            reason=reason,
        )
        self._write(entry)
        return entry

    def mark(self, publish_id: str, reason: str, *, attempted: bool = True) -> None:
        """Note why a publish is still pending."""
        entry = self.get(publish_id)
        if entry is None:
            return
        self._write(
            OutboxEntry(
                publish_id=entry.publish_id,
                plan=entry.plan,
                created=entry.created,
                updated=_now(),
                attempts=entry.attempts + (1 if attempted else 0),
                reason=reason,
            )
        )

    def remove(self, publish_id: str) -> None:
        """Forget a publish (its job is confirmed, or the user dropped it)."""
        try:
            self._file(publish_id).unlink()
        except FileNotFoundError:
            pass

    def get(self, publish_id: str) -> OutboxEntry | None:
        """One pending publish, or None."""
        return self._read(self._file(publish_id))

    def entries(self) -> list[OutboxEntry]:
        """Every pending publish, oldest first; unreadable files are skipped, never deleted."""
        if not self.folder.is_dir():
            return []
        found = [e for p in self.folder.glob("*.json") if (e := self._read(p)) is not None]
        return sorted(found, key=lambda e: e.created)

    @contextmanager
    def claim(self, publish_id: str) -> Iterator[None]:
        """Hold the publish's lock while submitting it; OutboxBusy if another process holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = self.folder / f"{publish_id}.lock"
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                break
            except FileExistsError:
                if not self._stale(lock):
                    raise OutboxBusy(
                        f"Publish {publish_id} is being submitted by another process.",
                        hint="Wait for it to finish, then look at 'vendor-publish outbox'.",
                    ) from None
                lock.unlink(missing_ok=True)
        else:  # pragma: no cover - two stale-lock races in a row
            raise OutboxBusy(f"Publish {publish_id} is locked.")
        try:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            yield
        finally:
            lock.unlink(missing_ok=True)

    @staticmethod
    def _stale(lock: Path) -> bool:
        """A lock left by a process that died (or a very old one) may be taken over."""
        try:
            pid = int(lock.read_text() or "0")
            age = time.time() - lock.stat().st_mtime
        except (OSError, ValueError):
            return True
        if age > STALE_LOCK_SECONDS:
            return True
        if pid <= 0:
            return age > 5  # being written right now, or garbage
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except (PermissionError, OSError):
            return False
        return False

    def _write(self, entry: OutboxEntry) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {
            "publish_id": entry.publish_id,
            "created": entry.created,
            "updated": entry.updated,
            "attempts": entry.attempts,
            "reason": entry.reason,
            "plan": entry.plan.model_dump(mode="json"),
        }
        target = self._file(entry.publish_id)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, target)

    @staticmethod
    def _read(path: Path) -> OutboxEntry | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return OutboxEntry(
                publish_id=data["publish_id"],
                plan=Plan.model_validate(data["plan"]),
                created=data["created"],
                updated=data["updated"],
                attempts=int(data["attempts"]),
                reason=data["reason"],
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
