"""File digests for the manifest: SHA-256 in parallel, with a cache so unchanged files are read once.

In parallel means worker processes for many small files (``digest_workers``: threads of one
process cannot hash those in parallel) and threads for big ones, which hashlib hashes without
the GIL.

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
from itertools import groupby, repeat
from typing import NamedTuple

from vendor_publish.digest_workers import CHUNK, Worker, WorkerLost, python_executable, read_digest
from vendor_publish.sqlite_cache import SqliteCache, retry

ALGORITHM = "sha256"
#: Paths per SELECT ... IN (...): under SQLite's oldest limit of 999 parameters per statement.
LOOKUP_BATCH = 900
#: Files of one folder from which the folder also gets a row of its own (a frame sequence).
FOLDER_ROW_MIN = 64
_HEX_WIDTH = hashlib.new(ALGORITHM).digest_size * 2
#: Files below this size are hashed in batches (by worker processes when there are many): for
#: them the cost is per file, not per byte. Bigger ones are read by threads chunk by chunk
#: (hashlib releases the GIL there), with progress and cancel between chunks.
SMALL_FILE = 1 << 16
#: Small files per work unit: a unit takes milliseconds, so progress and cancel stay prompt.
BATCH_FILES = 256
#: From this many small files on, worker processes repay their start (~20 ms each on Linux, more on
#: Windows; measured break-even on 2 busy cores: ~12,000 files of 1 kB).
PROCESS_MIN_FILES = 10_000
#: At most this many worker processes: the parent's share of each file (about 1 us, under its
#: one GIL) caps what more of them could add, and each takes some 14 MB of memory.
MAX_PROCESSES = 8

#: SHA-256 of one file, hex: ``file_digest(path, buffer=None, size=-1)`` (the workers' reader).
file_digest = read_digest


class FileKey(NamedTuple):
    """What identifies one version of a file without reading it (a tuple: 200,000 are made per plan)."""

    path: str
    size: int
    mtime_ns: int
    inode: int


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
            current = row is not None and row[0] == _signature(folder, group)
            chunks = split_digests(row[1], len(group)) if current else None
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
            signature = _signature(folder, group)
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


def _signature(folder: str, group: Sequence[FileKey]) -> str:
    """SHA-256 of a folder's (name, size, mtime, inode) keys in order: any change gives another."""
    paths, sizes, mtimes, inodes = zip(*group)
    cut = len(folder)
    return folder_signature(folder, "\0".join(p[cut:] for p in paths), sizes, mtimes, inodes)


def folder_signature(
    folder: str, joined_names: str, sizes: Sequence[int], mtimes: Sequence[int], inodes: Sequence[int]
) -> str:
    """``_signature`` from columns: the folder, its files' names joined by NUL, then sizes, mtimes, inodes.

    Names rather than full paths: a re-plan has them as the entry's column already, and hashes a
    quarter of the bytes.
    """
    h = hashlib.sha256(f"{folder}\0\0{joined_names}".encode("utf-8", "surrogateescape"))
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
_SIZE = operator.itemgetter(1)
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
    # The digests go into ``known`` as batches come back, while other batches are still being hashed.
    done = _Run(todo, max(1, workers or os.cpu_count() or 1), progress, cancelled).run(known)
    if cache is not None:
        cache.store(item for unit, digests in done for item in zip(unit, digests))
        if stale or done:
            cache.remember_folders(keys, known)
    return known


class _Run:
    """One ``digest_files`` call: units of work shared by the threads, their results, progress, the first error."""

    def __init__(self, todo: list[FileKey], workers: int, progress, cancelled) -> None:
        if not todo or max(map(_SIZE, todo)) < SMALL_FILE:  # the usual frame sequence: no sorting out
            small, big = todo, []
        else:
            small = [k for k in todo if k.size < SMALL_FILE]
            # Big files first, biggest first: the many short batches of small files even out the end.
            big = sorted((k for k in todo if k.size >= SMALL_FILE), key=_SIZE, reverse=True)
        self.units = [[k] for k in big] + [small[i : i + BATCH_FILES] for i in range(0, len(small), BATCH_FILES)]
        self.results: list[list[str] | None] = [None] * len(self.units)
        self.threads = min(workers, len(self.units))
        # Threads of one process cannot hash small files in parallel (see digest_workers): from
        # enough of them on, each thread hands its batches to a worker process of its own.
        many = self.threads > 1 and len(small) >= PROCESS_MIN_FILES
        self.executable = python_executable() if many else None
        if self.executable is not None:
            self.threads = min(self.threads, MAX_PROCESSES)
        self.progress = progress
        self.cancelled = cancelled
        self.lock = threading.Lock()
        self.small_files = threading.Lock()
        self.next = 0
        self.done_bytes = 0
        self.total_bytes = sum(map(_SIZE, todo))
        self.stop = False
        self.error: BaseException | None = None

    def run(self, found: dict[str, str]) -> list[tuple[list[FileKey], list[str]]]:
        """Digest every unit into ``found`` with ``threads`` threads (this one included); the (keys, digests) done."""
        others = [threading.Thread(target=self.work, args=(found,), name=f"vp-digest-{i}", daemon=True)
                  for i in range(1, self.threads)]
        started: list[threading.Thread] = []
        try:
            for t in others:
                t.start()
                started.append(t)
            self.work(found)
            for t in started:
                t.join()
        except BaseException:  # Ctrl-C while waiting: the other threads stop after their unit
            self.stop = True
            for t in started:
                t.join()
            raise
        if self.error is not None:
            raise self.error
        return [(unit, result) for unit, result in zip(self.units, self.results) if result is not None]

    def work(self, found: dict[str, str]) -> None:
        """One thread: take units until none is left, cancel is asked or another thread failed."""
        worker = None
        may_start = self.executable is not None
        buffer = bytearray(CHUNK)
        try:
            while not self.stop:
                with self.lock:
                    i = self.next
                    self.next += 1
                if i >= len(self.units) or (self.cancelled is not None and self.cancelled()):
                    return
                unit = self.units[i]
                if unit[0].size >= SMALL_FILE:
                    digest = self._big_file(unit[0], buffer)
                    if digest is None:  # cancelled inside the file
                        return
                    self.results[i] = [digest]
                    found[unit[0].path] = digest
                    continue
                if may_start:  # once per thread: a worker that cannot start is not tried again
                    may_start = False
                    try:
                        worker = Worker(self.executable)
                    except WorkerLost:
                        worker = None
                result = None
                if worker is not None:
                    try:
                        result = worker.digest(unit)
                    except WorkerLost:  # it crashed or was killed: this thread carries on by itself
                        worker.close()
                        worker = None
                if result is None:
                    # One thread at a time: two threads hashing small files in one process hand
                    # the GIL back and forth at every system call and finish later than one.
                    with self.small_files:
                        result = [file_digest(k.path, buffer, k.size) for k in unit]
                self.results[i] = result
                found.update(zip(map(_PATH, unit), result))
                if self.progress is not None:
                    self._advance(sum(map(_SIZE, unit)))
        except BaseException as exc:  # an unreadable file, or Ctrl-C in this thread: every thread stops
            with self.lock:
                if self.error is None:
                    self.error = exc
            self.stop = True
        finally:
            if worker is not None:
                worker.close()

    def _big_file(self, key: FileKey, buffer: bytearray) -> str | None:
        """Digest of one big file, progress per chunk; None when cancelled meanwhile."""
        left = key.size

        def step(n: int) -> bool:
            nonlocal left
            counted = min(n, left)  # a file grown since its stat does not push progress past the total
            left -= counted
            self._advance(counted)
            return self.stop or (self.cancelled is not None and self.cancelled())

        digest = file_digest(key.path, buffer, key.size, step)
        if digest is not None and left:
            self._advance(left)  # it shrank: count it as whole
        return digest

    def _advance(self, n: int) -> None:
        if self.progress is not None and n:
            with self.lock:
                self.done_bytes += n
                self.progress(self.done_bytes, self.total_bytes)
