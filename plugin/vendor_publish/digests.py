"""File digests for the manifest: SHA-256 in parallel, with a cache so unchanged files are read once.

SHA-256 because the studio verifies with Python's standard library (``hashlib``) or
``sha256sum``; on CPUs with SHA extensions OpenSSL's SHA-256 also outruns BLAKE2.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

ALGORITHM = "sha256"
CHUNK = 1 << 20
#: Per-thread read buffer: big enough that most files are one read, small enough to stay in cache.
SMALL_READ = 1 << 18
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
#: Paths per SELECT ... IN (...): under SQLite's oldest limit of 999 parameters per statement.
LOOKUP_BATCH = 900
_readv = getattr(os, "readv", None)  # POSIX: read into our buffer with no file object at all


class FileKey(NamedTuple):
    """What identifies one version of a file without reading it (a tuple: 200,000 are made per plan)."""

    path: str
    size: int
    mtime_ns: int
    inode: int


def file_digest(path: str, buffer: bytearray | None = None) -> str:
    """SHA-256 of one file, hex; ``buffer`` (reused between calls by one thread) saves an allocation."""
    buf = buffer if buffer is not None else bytearray(SMALL_READ)
    view = memoryview(buf)
    h = hashlib.sha256()
    # A raw descriptor and readinto a reused buffer: for a 1 kB file the system calls are the cost,
    # not Python objects or a fresh megabyte per file.
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if _readv is not None:
            while n := _readv(fd, (buf,)):
                h.update(view[:n])
        else:
            with open(fd, "rb", buffering=0, closefd=False) as fh:
                while n := fh.readinto(buf):
                    h.update(view[:n])
    finally:
        os.close(fd)
    return h.hexdigest()


class DigestCache:
    """A digest cache keyed on (path, size, mtime, inode), shared safely between processes.

    SQLite in WAL mode with a generous busy timeout: two publishes at once (a batch beside the
    menu) read and write it without "database is locked".
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, "
                "inode INTEGER, algorithm TEXT, digest TEXT)"
            )

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def lookup(self, keys: Sequence[FileKey]) -> dict[str, str]:
        """Digests known for these exact file versions, by path."""
        db = self._connect()
        found: dict[str, str] = {}

        def take(rows: list[tuple], wanted: dict[str, FileKey]) -> None:
            for path, size, mtime_ns, inode, digest in rows:
                k = wanted.get(path)
                if k is not None and k[1:] == (size, mtime_ns, inode):
                    found[path] = digest

        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[start : start + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            rows = _retry(
                lambda: db.execute(
                    f"SELECT path, size, mtime_ns, inode, digest FROM digests WHERE algorithm=? AND path IN ({marks})",
                    [ALGORITHM, *(k.path for k in batch)],
                ).fetchall()
            )
            take(rows, {k.path: k for k in batch})
        return found

    def store(self, items: Iterable[tuple[FileKey, str]]) -> None:
        """Remember digests (one transaction, retried if another process holds the lock)."""
        rows = [(k.path, k.size, k.mtime_ns, k.inode, ALGORITHM, d) for k, d in items]
        if not rows:
            return
        db = self._connect()

        def write() -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO digests VALUES (?,?,?,?,?,?)", rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        _retry(write)

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _retry(fn: Callable, attempts: int = 20):
    for attempt in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def digest_files(
    keys: Sequence[FileKey],
    *,
    cache: DigestCache | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, str]:
    """Digest every file (cache first, the rest read in parallel); returns path -> hex digest."""
    known = cache.lookup(keys) if cache is not None else {}
    todo = [k for k in keys if k.path not in known]
    workers = max(1, workers or os.cpu_count() or 1)
    done_bytes = 0
    total_bytes = sum(k.size for k in todo)
    lock = threading.Lock()
    computed: list[tuple[FileKey, str]] = []

    def run(chunk: Sequence[FileKey]) -> list[tuple[FileKey, str]]:
        nonlocal done_bytes
        out = []
        buffer = bytearray(SMALL_READ)
        for k in chunk:
            if cancelled is not None and cancelled():
                break
            out.append((k, file_digest(k.path, buffer)))
            if progress is not None:
                with lock:
                    done_bytes += k.size
                    progress(done_bytes, total_bytes)
        return out

    # Interleaved chunks balance big and small files between threads without a task per file.
    chunks = [todo[i::workers] for i in range(workers)] if todo else []
    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vp-digest") as pool:
            for part in pool.map(run, chunks):
                computed.extend(part)
    elif chunks:
        computed.extend(run(chunks[0]))
    if cache is not None:
        cache.store(computed)
    known.update((k.path, d) for k, d in computed)
    return known
