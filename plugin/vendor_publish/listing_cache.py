"""Remembered sequence listings, so a second plan of an unchanged project skips listing and matching.

One row per (folder, pattern): the matched member names and frames, valid while the folder's
device, inode and mtime are the ones recorded (creating, removing or renaming a file in a folder
changes its mtime). The files are still statted on every plan, so a changed file is always
seen; only which names exist is taken from here. Kept next to the digest cache under
platformdirs' cache folder, in SQLite's WAL mode like ``digests.DigestCache``: two processes
planning at once read and write it safely. It also keeps the name rules' clean verdicts on
big entries (``verdicts``), the other half of what a re-plan of unchanged folders can reuse.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence

from .sqlite_cache import SqliteCache, retry
from .sequence_columns import pack_frames, unpack_frames

#: Keys per SELECT ... IN (...): under SQLite's oldest limit of 999 parameters per statement.
LOOKUP_BATCH = 900


class ListingCache(SqliteCache):
    """Matched names per (folder, pattern) keyed on the folder's (device, inode, mtime)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, (
            "CREATE TABLE IF NOT EXISTS listings (folder TEXT, pattern TEXT, dev INTEGER, inode INTEGER, "
            "mtime_ns INTEGER, names TEXT, frames BLOB, PRIMARY KEY (folder, pattern))",
            # Name rules' clean verdicts on big entries (``verdicts``): keys only, nothing to go stale.
            "CREATE TABLE IF NOT EXISTS clean_verdicts (key TEXT PRIMARY KEY)",
        ))
        self._pending: list[tuple] = []
        self._lock = threading.Lock()

    def get(self, folder: str, pattern: str, st: os.stat_result) -> tuple[list[str], list[int]] | None:
        """(names, frames) remembered for this folder as it is now, or None."""
        db = self._connect()
        row = retry(lambda: db.execute(
            "SELECT dev, inode, mtime_ns, names, frames FROM listings WHERE folder=? AND pattern=?", (folder, pattern)
        ).fetchone())
        if row is None or tuple(row[:3]) != (st.st_dev, st.st_ino, st.st_mtime_ns):
            return None
        names = row[3].split("\0") if row[3] else []
        frames = unpack_frames(row[4])
        return (names, frames) if len(names) == len(frames) else None

    def put(self, folder: str, pattern: str, st: os.stat_result, names: list[str], frames: list[int]) -> None:
        """Remember a listing; written by ``flush`` (one transaction per plan)."""
        row = (folder, pattern, st.st_dev, st.st_ino, st.st_mtime_ns, "\0".join(names), pack_frames(frames))
        with self._lock:
            self._pending.append(row)

    def flush(self) -> None:
        """Write the listings remembered since the last flush."""
        with self._lock:
            rows, self._pending = self._pending, []
        self.write("INSERT OR REPLACE INTO listings VALUES (?,?,?,?,?,?,?)", rows)

    def clean_keys(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` recorded as clean verdicts."""
        db = self._connect()
        found: set[str] = set()
        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = list(keys[start : start + LOOKUP_BATCH])
            marks = ",".join("?" * len(batch))
            rows = retry(lambda: db.execute(f"SELECT key FROM clean_verdicts WHERE key IN ({marks})", batch).fetchall())
            found.update(row[0] for row in rows)
        return found

    def remember_clean(self, keys: Iterable[str]) -> None:
        """Record clean verdicts (one transaction)."""
        self.write("INSERT OR IGNORE INTO clean_verdicts VALUES (?)", [(k,) for k in keys])

    def close(self) -> None:
        """Write what is pending and close this thread's connection."""
        self.flush()
        super().close()
