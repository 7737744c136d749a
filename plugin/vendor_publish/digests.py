"""File digests for the manifest: SHA-256 in parallel, with a cache so unchanged files are read once.

SHA-256 because the studio verifies with Python's standard library (``hashlib``) or
``sha256sum``; on CPUs with SHA extensions OpenSSL's SHA-256 also outruns BLAKE2.
"""

from __future__ import annotations

import hashlib
import operator
import os
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby, repeat
from typing import NamedTuple

from vendor_publish.sqlite_cache import SqliteCache, retry

ALGORITHM = "sha256"
CHUNK = 1 << 20
#: Per-thread read buffer: big enough that most files are one read, small enough to stay in cache.
SMALL_READ = 1 << 18
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
#: Paths per SELECT ... IN (...): under SQLite's oldest limit of 999 parameters per statement.
LOOKUP_BATCH = 900
#: Files of one folder from which the folder also gets a row of its own (a frame sequence).
FOLDER_ROW_MIN = 64
_HEX_WIDTH = hashlib.new(ALGORITHM).digest_size * 2
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


class DigestCache(SqliteCache):
    """A digest cache keyed on (path, size, mtime, inode), shared safely between processes.

    SQLite in WAL mode with a generous busy timeout: two publishes at once (a batch beside the
    menu) read and write it without "database is locked".
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, (
            "CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, "
            "inode INTEGER, algorithm TEXT, digest TEXT)",
            # One row per big folder (a frame sequence): the digests of all its files, valid while
            # the signature of their (path, size, mtime, inode) keys is unchanged.
            "CREATE TABLE IF NOT EXISTS folder_digests (folder TEXT, algorithm TEXT, signature TEXT, "
            "digests TEXT, PRIMARY KEY (folder, algorithm))",
        ))

    def lookup(self, keys: Sequence[FileKey]) -> dict[str, str]:
        """Digests known for these exact file versions, by path."""
        return self._lookup(keys)[0]

    def _lookup(self, keys: Sequence[FileKey]) -> tuple[dict[str, str], bool]:
        """(digests by path, whether some big folder had no up-to-date row of its own)."""
        db = self._connect()
        found: dict[str, str] = {}
        rest: list[FileKey] = []
        stale = False
        for folder, group in _big_folders(keys, rest):
            row = retry(lambda: db.execute(
                "SELECT signature, digests FROM folder_digests WHERE folder=? AND algorithm=?", (folder, ALGORITHM)
            ).fetchone())
            chunks = split_digests(row[1], len(group)) if row is not None and row[0] == _signature(group) else None
            if chunks is not None:
                found.update(zip(map(_PATH, group), chunks))
            else:
                rest.extend(group)
                stale = True
        keys = rest

        def take(rows: list[tuple], wanted: dict[str, FileKey]) -> None:
            for path, size, mtime_ns, inode, digest in rows:
                k = wanted.get(path)
                if k is not None and k[1:] == (size, mtime_ns, inode):
                    found[path] = digest

        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[start : start + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            rows = retry(
                lambda: db.execute(
                    f"SELECT path, size, mtime_ns, inode, digest FROM digests WHERE algorithm=? AND path IN ({marks})",
                    [ALGORITHM, *(k.path for k in batch)],
                ).fetchall()
            )
            take(rows, {k.path: k for k in batch})
        return found, stale

    def folder_digests(self, folder: str, signature: str, count: int) -> list[str] | None:
        """The digests of a folder's ``count`` files from its own row, if its signature is ``signature``."""
        db = self._connect()
        row = retry(lambda: db.execute(
            "SELECT signature, digests FROM folder_digests WHERE folder=? AND algorithm=?", (folder, ALGORITHM)
        ).fetchone())
        return split_digests(row[1], count) if row is not None and row[0] == signature else None

    def store(self, items: Iterable[tuple[FileKey, str]]) -> None:
        """Remember digests (one transaction, retried if another process holds the lock)."""
        rows = [(k.path, k.size, k.mtime_ns, k.inode, ALGORITHM, d) for k, d in items]
        self.write("INSERT OR REPLACE INTO digests VALUES (?,?,?,?,?,?)", rows)

    def remember_folders(self, keys: Sequence[FileKey], digests: dict[str, str]) -> None:
        """Keep one row per big folder whose files all have digests (unchanged rows are left alone)."""
        rows = []
        db = self._connect()
        for folder, group in _big_folders(keys, []):
            if not all(k.path in digests for k in group):
                continue
            signature = _signature(group)
            old = retry(lambda: db.execute(
                "SELECT signature FROM folder_digests WHERE folder=? AND algorithm=?", (folder, ALGORITHM)
            ).fetchone())
            if old is None or old[0] != signature:
                rows.append((folder, ALGORITHM, signature, "\n".join(digests[k.path] for k in group)))
        self.write("INSERT OR REPLACE INTO folder_digests VALUES (?,?,?,?)", rows)


def _big_folders(keys: Sequence[FileKey], small: list[FileKey]) -> list[tuple[str, list[FileKey]]]:
    """(folder, keys) for folders holding at least FOLDER_ROW_MIN of the keys; the others go to ``small``."""
    paths = list(map(_PATH, keys))
    ends = map(max, map(str.rfind, paths, repeat("/")), map(str.rfind, paths, repeat("\\")))
    folders = map(operator.getitem, paths, map(slice, repeat(None), map((1).__add__, ends)))
    grouped: dict[str, list[FileKey]] = {}
    for folder, run in groupby(zip(folders, keys), key=_FIRST):  # plan order keeps a folder's files together
        grouped.setdefault(folder, []).extend(map(_SECOND, run))
    big = []
    for folder, group in grouped.items():
        if folder and len(group) >= FOLDER_ROW_MIN:
            big.append((folder, group))
        else:
            small.extend(group)
    return big


def _signature(group: Sequence[FileKey]) -> str:
    """SHA-256 of a folder's (path, size, mtime, inode) keys in order: any change gives another."""
    paths, sizes, mtimes, inodes = zip(*group)
    return folder_signature("\0".join(paths), sizes, mtimes, inodes)


def folder_signature(joined_paths: str, sizes: Sequence[int], mtimes: Sequence[int], inodes: Sequence[int]) -> str:
    """``_signature`` from columns: the paths already joined by NUL, then sizes, mtimes, inodes."""
    h = hashlib.sha256(joined_paths.encode("utf-8", "surrogateescape"))
    for column in (sizes, mtimes, inodes):
        try:  # fixed-width binary numbers, made in C
            h.update(array("q", column).tobytes() if column is not inodes else array("Q", column).tobytes())
        except (OverflowError, TypeError):
            h.update(repr(tuple(column)).encode())
    return h.hexdigest()


def split_digests(text: str, count: int) -> list[str] | None:
    """A folder row's hex digests, one per file; None when the row does not hold ``count`` of them.

    Rows are written one digest per line (one C-level split to read); rows of earlier versions
    hold them concatenated, and are still read.
    """
    width = _HEX_WIDTH
    if count and len(text) == (width + 1) * count - 1:
        digests = text.split("\n")
        return digests if len(digests) == count else None
    if len(text) != width * count:
        return None
    return list(map(text.__getitem__, map(slice, range(0, len(text), width), range(width, len(text) + width, width))))


_PATH = operator.itemgetter(0)
_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)


def digest_files(
    keys: Sequence[FileKey],
    *,
    cache: DigestCache | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, str]:
    """Digest every file (cache first, the rest read in parallel); returns path -> hex digest."""
    known, stale = cache._lookup(keys) if cache is not None else ({}, False)
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
    if cache is not None and (stale or computed):
        cache.remember_folders(keys, known)
    return known
