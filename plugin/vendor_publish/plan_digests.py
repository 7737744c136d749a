"""Digests of a plan's files: whole folders from the cache's folder rows, the rest via ``digests``.

A re-publish of an unchanged 200,000-frame project must cost little more than statting its
files. Entries served whole from a folder row keep their digests as a column in plan order, so
no path string and no dictionary slot is made per file; the manifest reads the column beside
the entry's other columns. Lookups by path still work (``PlanDigests`` is a mapping) and build
their index on first use only.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain, repeat

from vendor_publish import digests as digest_mod
from vendor_publish.models import Plan, PlanEntry

Progress = Callable[[str, int, int], None]


class PlanDigests(Mapping[str, str]):
    """Hex digests of a plan's files by local path; ``for_entry`` gives one entry's as a column."""

    def __init__(self, columns: dict[str, tuple[PlanEntry, list[str]]], by_path: dict[str, str]) -> None:
        self._columns = columns  # entry id -> (entry, digests in the entry's file order)
        self._by_path = by_path
        self._index: dict[str, str] | None = None

    def for_entry(self, entry: PlanEntry) -> list[str | None]:
        """The digests of ``entry``'s files in ``entry.files()`` order (None where unknown)."""
        served = self._columns.get(entry.id)
        if served is not None and served[0] is entry:
            return served[1]
        get = self.get if served is not None else self._by_path.get  # an equal entry of a copied plan
        return [get(path) for path in entry.sources()]

    def _served(self) -> dict[str, str]:
        if self._index is None:
            self._index = {}
            for entry, column in self._columns.values():
                self._index.update(zip(entry.sources(), column))
        return self._index

    def __getitem__(self, path: str) -> str:
        found = self._by_path.get(path)
        return found if found is not None else self._served()[path]

    def __iter__(self) -> Iterator[str]:
        return chain(self._by_path, self._served())

    def __len__(self) -> int:
        return len(self._by_path) + sum(len(column) for _, column in self._columns.values())


def compute_digests(
    plan: Plan,
    cache: digest_mod.DigestCache | None,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PlanDigests:
    """Digest every included file (the cache spares files read before)."""
    # As in build_plan: 200,000 keys and digests are acyclic; the cyclic collector would rescan
    # the whole plan over and over while they are made, so it waits until the end.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _compute_digests(plan, cache, progress=progress, cancelled=cancelled)
    finally:
        if paused:
            gc.enable()


def _compute_digests(
    plan: Plan,
    cache: digest_mod.DigestCache | None,
    *,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
) -> PlanDigests:
    entries = [e for e in plan.entries if e.included]
    columns = _from_folder_rows(entries, cache) if cache is not None else {}
    keys: list[digest_mod.FileKey] = []
    for entry in entries:
        if entry.id in columns:
            continue
        sources = entry.sources()
        inodes = entry.inodes
        if len(inodes) < len(sources):  # a plan saved without inodes: 0 never matches a cached row
            inodes = [*inodes, *[0] * (len(sources) - len(inodes))]
        # Columns zipped straight into keys: no PlanFile per file on a 200,000-file re-publish.
        rows = zip(sources, entry.sizes, entry.mtimes_ns, inodes)
        keys.extend(map(tuple.__new__, repeat(digest_mod.FileKey), rows))
    by_path: dict[str, str] = {}
    if keys:
        report = (lambda done, total: progress("digest", done, total)) if progress else None
        by_path = digest_mod.digest_files(keys, cache=cache, progress=report, cancelled=cancelled)
    return PlanDigests(columns, by_path)


def _from_folder_rows(
    entries: Sequence[PlanEntry], cache: digest_mod.DigestCache
) -> dict[str, tuple[PlanEntry, list[str]]]:
    """Entries served whole from the cache's per-folder rows, without a key per file, by entry id.

    An entry qualifies when its files are plain names directly in its source folder and no
    other entry has a file in that folder: then the folder's row covers exactly its files, in
    order, and its signature is computed from the entry's columns as ``digest_files`` would.
    """
    folders: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        if entry.members:
            joined = "\0".join(entry.members)
            if entry.source_dir and "/" not in joined and "\\" not in joined and (os.name != "nt" or ":" not in joined):
                folders.setdefault(os.path.join(entry.source_dir, ""), []).append(i)
                continue
        for path in entry.sources():
            folders.setdefault(path[: max(path.rfind("/"), path.rfind("\\")) + 1], []).append(-1)
    served: dict[str, tuple[PlanEntry, list[str]]] = {}
    for head, owners in folders.items():
        if len(owners) != 1 or owners[0] < 0 or not head.endswith(("/", "\\")):
            continue
        entry = entries[owners[0]]
        count = len(entry.members)
        if count < digest_mod.FOLDER_ROW_MIN or len(entry.sizes) != count or len(entry.inodes) != count:
            continue
        signature = digest_mod.folder_signature(head, "\0".join(entry.members), entry.sizes, entry.mtimes_ns,
                                                entry.inodes)
        column = cache.folder_digests(head, signature, count)
        if column is not None:
            served[entry.id] = (entry, column)
    return served
