"""File-backed entity store: one JSON document under the sandbox root, replaced atomically.

Everything the sandbox knows (users, shares, ACLs, clients, jobs, tasks, hook settings) lives
in memory behind one re-entrant lock and is written to `state.json` with `os.replace`, so a
crash mid-write never leaves a torn file and a restart loses nothing.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import secrets
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

COLLECTIONS = ("workspace", "user", "share", "acl", "client", "job", "task", "queue", "site")


def new_id() -> str:
    """A fresh entity id: 24 lowercase hex characters, like accsyn's."""
    return secrets.token_hex(12)


def new_task_id() -> str:
    """A fresh task id (uuid4 string)."""
    return str(uuid.uuid4())


def now() -> str:
    """The current UTC time as accsyn writes dates: YYYY-MM-DDTHH:MM:SS."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class Store:
    """Thread-safe in-memory collections persisted to one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._data: dict[str, Any] = {"collections": {c: {} for c in COLLECTIONS}, "settings": {}}
        if path.exists():
            loaded = json.loads(path.read_text(encoding="utf-8"))
            self._data["settings"] = loaded.get("settings", {})
            for name, items in loaded.get("collections", {}).items():
                self._data["collections"][name] = items

    def save(self) -> None:
        """Write the whole state atomically."""
        with self.lock:
            text = json.dumps(self._data, indent=1, sort_keys=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)

    def _coll(self, name: str) -> dict[str, dict]:
        return self._data["collections"].setdefault(name, {})

    def get(self, name: str, entity_id: str) -> dict | None:
        """A copy of one record, or None."""
        with self.lock:
            rec = self._coll(name).get(entity_id)
            return copy.deepcopy(rec) if rec is not None else None

    def all(self, name: str, where: Callable[[dict], bool] | None = None) -> list[dict]:
        """Copies of the records of a collection (optionally filtered), in insertion order."""
        with self.lock:
            return [copy.deepcopy(r) for r in self._coll(name).values() if where is None or where(r)]

    def iter_raw(self, name: str) -> Iterator[dict]:
        """The live records (caller holds the lock and must not keep them)."""
        return iter(list(self._coll(name).values()))

    def put(self, name: str, record: dict, *, persist: bool = True) -> dict:
        """Insert or replace a record by its `id`."""
        with self.lock:
            self._coll(name)[record["id"]] = copy.deepcopy(record)
            if persist:
                self.save()
            return copy.deepcopy(record)

    def update(self, name: str, entity_id: str, changes: dict, *, persist: bool = True) -> dict | None:
        """Merge changes into one record; None when it does not exist."""
        with self.lock:
            rec = self._coll(name).get(entity_id)
            if rec is None:
                return None
            rec.update(copy.deepcopy(changes))
            if persist:
                self.save()
            return copy.deepcopy(rec)

    def delete(self, name: str, entity_id: str) -> bool:
        """Remove a record; False when it was not there."""
        with self.lock:
            gone = self._coll(name).pop(entity_id, None) is not None
            if gone:
                self.save()
            return gone

    def setting(self, key: str, default: Any = None) -> Any:
        """A copy of a persisted setting."""
        with self.lock:
            return copy.deepcopy(self._data["settings"].get(key, default))

    def set_setting(self, key: str, value: Any) -> None:
        """Persist a setting."""
        with self.lock:
            self._data["settings"][key] = copy.deepcopy(value)
            self.save()
