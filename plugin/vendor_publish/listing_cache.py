"""Remembered sequence listings, so a second plan of an unchanged project skips listing and matching.

One row per (folder, pattern): the matched member names and frames, valid while the folder's
device, inode and mtime are the ones recorded (creating, removing or renaming a file in a folder
changes its mtime). The files are still statted on every plan, so a changed file is always
seen; only which names exist is taken from here. Kept next to the digest cache under
platformdirs' cache folder, in SQLite's WAL mode like ``digests.DigestCache``: two processes
planning at once read and write it safely.
"""

from __future__ import annotations

import os
import threading

from .sqlite_cache import SqliteCache, retry
from .sequence_columns import pack_frames, unpack_frames


class ListingCache(SqliteCache):
    """Matched names per (folder, pattern) keyed on the folder's (device, inode, mtime)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, (
            "CREATE TABLE IF NOT EXISTS listings (folder TEXT, pattern TEXT, dev INTEGER, inode INTEGER, "
            "mtime_ns INTEGER, names TEXT, frames BLOB, PRIMARY KEY (folder, pattern))",
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

    def close(self) -> None:
        """Write what is pending and close this thread's connection."""
        self.flush()
        super().close()
