"""File-backed entity store: an in-memory cache written through to SQLite (WAL) under the root.

Everything the sandbox knows (users, shares, ACLs, clients, jobs, tasks, hook settings) is
held in memory behind one re-entrant lock for fast queries, and each change is written as one
row, so a restart (or a crash of the process) loses nothing that was answered as done.
Progress updates may be marked `persist=False`; they are written with the next `save()`.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import secrets
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any, Callable

COLLECTIONS = ("workspace", "user", "share", "acl", "client", "job", "task", "queue", "site")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (coll TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
                                    PRIMARY KEY (coll, id));
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


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
    """Thread-safe in-memory collections persisted row by row to one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._colls: dict[str, dict[str, dict]] = {c: {} for c in COLLECTIONS}
        self._settings: dict[str, Any] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._seq = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn: sqlite3.Connection | None = None
        for coll, _id, seq, body in self._db.execute("SELECT coll, id, seq, body FROM records ORDER BY seq"):
            self._colls.setdefault(coll, {})[_id] = json.loads(body)
            self._seq = max(self._seq, seq)
        for key, body in self._db.execute("SELECT key, body FROM settings"):
            self._settings[key] = json.loads(body)

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened on first use (and again after close())."""
        if self._conn is None:
            conn = sqlite3.connect(str(self.path), timeout=10.0, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        """Write what is pending and close the database (a later write opens it again)."""
        with self.lock:
            self.save()
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _write(self, keys: list[tuple[str, str]]) -> None:
        rows, gone = [], []
        for coll, _id in keys:
            rec = self._colls.get(coll, {}).get(_id)
            if rec is None:
                gone.append((coll, _id))
            else:
                self._seq += 1
                rows.append((coll, _id, self._seq, json.dumps(rec)))
        self._db.execute("BEGIN")
        try:
            if rows:
                # keep the original insertion order: seq only moves for new rows
                self._db.executemany(
                    "INSERT INTO records (coll, id, seq, body) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(coll, id) DO UPDATE SET body = excluded.body", rows)
            if gone:
                self._db.executemany("DELETE FROM records WHERE coll = ? AND id = ?", gone)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _touch(self, coll: str, entity_id: str, persist: bool) -> None:
        self._dirty.add((coll, entity_id))
        if persist:
            self.save()

    def save(self) -> None:
        """Write every pending change."""
        with self.lock:
            if self._dirty:
                keys = sorted(self._dirty)
                self._dirty.clear()
                self._write(keys)

    def _coll(self, name: str) -> dict[str, dict]:
        return self._colls.setdefault(name, {})

    def get(self, name: str, entity_id: str) -> dict | None:
        """A copy of one record, or None."""
        with self.lock:
            rec = self._coll(name).get(entity_id)
            return copy.deepcopy(rec) if rec is not None else None

    def all(self, name: str, where: Callable[[dict], bool] | None = None) -> list[dict]:
        """Copies of the records of a collection (optionally filtered), in insertion order."""
        with self.lock:
            return [copy.deepcopy(r) for r in self._coll(name).values() if where is None or where(r)]

    def put(self, name: str, record: dict, *, persist: bool = True) -> dict:
        """Insert or replace a record by its `id`."""
        with self.lock:
            self._coll(name)[record["id"]] = copy.deepcopy(record)
            self._touch(name, record["id"], persist)
            return copy.deepcopy(record)

    def update(self, name: str, entity_id: str, changes: dict, *, persist: bool = True) -> dict | None:
        """Merge changes into one record; None when it does not exist."""
        with self.lock:
            rec = self._coll(name).get(entity_id)
            if rec is None:
                return None
            rec.update(copy.deepcopy(changes))
            self._touch(name, entity_id, persist)
            return copy.deepcopy(rec)

    def delete(self, name: str, entity_id: str) -> bool:
        """Remove a record; False when it was not there."""
        with self.lock:
            gone = self._coll(name).pop(entity_id, None) is not None
            if gone:
                self._touch(name, entity_id, True)
            return gone

    def setting(self, key: str, default: Any = None) -> Any:
        """A copy of a persisted setting."""
        with self.lock:
            return copy.deepcopy(self._settings.get(key, default))

    def set_setting(self, key: str, value: Any) -> None:
        """Persist a setting."""
        with self.lock:
            self._settings[key] = copy.deepcopy(value)
            self._db.execute("INSERT INTO settings (key, body) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET body = excluded.body", (key, json.dumps(value)))
