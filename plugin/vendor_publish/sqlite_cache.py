"""The local caches' storage: one SQLite file shared safely by every process of the user.

WAL mode and a generous busy timeout, one connection per thread, writes in one transaction
retried while another process holds the lock: two publishes at once (a batch beside the
menu) never see "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def retry(fn: Callable[[], T], attempts: int = 20) -> T:
    """Run a statement, retrying while SQLite reports the database locked or busy."""
    for attempt in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class SqliteCache:
    """A cache file with its tables; subclasses add the queries."""

    def __init__(self, path: str | os.PathLike[str], tables: Sequence[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._connect()
        for table in tables:
            retry(lambda table=table: db.execute(table))

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def write(self, statement: str, rows: Iterable[tuple]) -> None:
        """Run ``statement`` for every row in one transaction (retried while another process writes)."""
        rows = list(rows)
        if not rows:
            return
        db = self._connect()

        def transaction() -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(statement, rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        retry(transaction)

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
