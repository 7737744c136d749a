"""Collection -> plan: expand patterns and folders into real files, stat them, map destinations."""

from __future__ import annotations

import hashlib
import os
import stat as stat_mod
import uuid
from collections.abc import Iterator, Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from vendor_publish import file_findings, mapping, paths, sequence_columns, sequences
from vendor_publish.errors import UnsafePathError
from vendor_publish.gc_pause import paused_gc
from vendor_publish.models import (
    CollectedItem,
    Collection,
    EntryKind,
    Finding,
    Plan,
    PlanEntry,
    Role,
    Severity,
)
from vendor_publish.studio import StudioProfile
from vendor_publish.validation import validate



@dataclass(frozen=True)
class PlanContext:
    """Everything besides the collection that decides a plan."""

    profile: StudioProfile
    user: str
    upload_root: str
    project_root: str
    share_local_root: str | None = None
    task: str = ""
    job_code: str = ""
    comment: str = ""
    #: Remembered sequence listings (``listing_cache.ListingCache``); None lists every folder.
    listings: sequence_columns.Listings | None = None


@dataclass
class _Resolved:
    entries: list[PlanEntry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Who reads the files: (effective uid, its groups), asked once per plan; None reads everything.
    reader: tuple[int, frozenset[int]] | None = field(default_factory=lambda: _reader())


def build_plan(collection: Collection, context: PlanContext, *, publish_id: str | None = None) -> Plan:
    """Turn what the host reported into a full plan with findings; reads the file system, sends nothing."""
    # A 200,000-file plan allocates about a million small objects, none of them in a cycle; the
    # cyclic collector would spend a fifth of the plan rescanning them, so it waits until the end.
    with paused_gc():
        return _build_plan(collection, context, publish_id=publish_id)


def _build_plan(collection: Collection, context: PlanContext, *, publish_id: str | None) -> Plan:
    resolved = _Resolved(findings=list(collection.findings))
    publish_id = publish_id or str(uuid.uuid4())
    mapper = mapping.Mapper(
        context.project_root,
        context.upload_root,
        context.share_local_root,
        context.profile.externals_dir,
    )
    project_item = CollectedItem(path=collection.project_file, role=Role.PROJECT, origin="project file")
    seen: set[str] = set()
    project_dir = os.path.dirname(collection.project_file)
    folders: list[tuple[CollectedItem, str]] = []
    for item in [project_item, *collection.items]:
        if not os.path.isabs(item.path):  # hosts report relative paths against the project file
            item = item.model_copy(update={"path": os.path.normpath(os.path.join(project_dir, item.path))})
        key = _item_key(item)
        if key in seen:  # the same reference reported twice: publish it once
            continue
        seen.add(key)
        # Unique per publish and UUID-shaped: accsyn keeps task ids, and tasks carry them.
        entry_id = _stable_id(f"{publish_id}|{key}")
        if item.is_dir:  # planned last, without the files planned on their own (see _fill_folder)
            folders.append((item, entry_id))
            continue
        mapped = _plain_file_mapping(item, mapper)
        if mapped is None:
            _resolve_item(item, mapper, resolved, context.listings, entry_id=entry_id)
        else:  # the usual reference (a texture, a layer's file): no pattern, a folder already mapped
            resolved.entries.append(_file_entry(item, mapped, resolved, entry_id))
    if folders:
        roots = [os.path.normcase(os.path.join(item.path, "")) for item, _ in folders]
        taken = _planned_paths(resolved.entries, roots)
        for item, entry_id in folders:
            count = len(resolved.entries)
            _resolve_item(item, mapper, resolved, context.listings, entry_id=entry_id, taken=taken)
            # a folder inside another is not sent twice
            taken |= _planned_paths(resolved.entries[count:], roots)
    if context.listings is not None:
        context.listings.flush()
    plan = Plan(
        publish_id=publish_id,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        host=collection.host,
        host_version=collection.host_version,
        project_file=collection.project_file,
        project_root=context.project_root,
        user=context.user,
        workspace=context.profile.workspace,
        share=context.profile.share,
        upload_root=context.upload_root,
        job_code=context.job_code,
        task=context.task,
        comment=context.comment,
        entries=resolved.entries,
        findings=resolved.findings,
    )
    # The listing cache also remembers name rules' clean verdicts (a plain Listings may not).
    verdicts = context.listings if hasattr(context.listings, "clean_keys") else None
    return validate(plan, context.profile, verdicts=verdicts)


def _item_key(item: CollectedItem) -> str:
    return f"{item.role.value}|{os.path.normcase(item.path)}|{item.frames}"


def _stable_id(text: str) -> str:
    """A UUID-shaped id derived from text (accsyn task ids are UUID strings); cheaper than uuid5."""
    h = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _plain_file_mapping(item: CollectedItem, mapper: mapping.Mapper) -> mapping.Mapped | None:
    """The mapping of a plain file reference by its folder's, or None when ``_resolve_item`` must judge it."""
    if item.is_dir or item.frames is not None:
        return None
    try:
        if sequences.parse_pattern(item.path) is not None:
            return None
    except UnsafePathError:  # two tokens: _resolve_item words the finding
        return None
    return mapper.plain_file(item.path)


def _file_entry(item: CollectedItem, mapped: mapping.Mapped, out: _Resolved, entry_id: str) -> PlanEntry:
    if item.companions:
        return _file_group_entry(item, mapped, out, entry_id)
    # A single file is statted first, so its entry is made once, complete (a scene has thousands).
    return _entry(item, mapped, entry_id, *_stat_file(item, out))


def _file_group_entry(item: CollectedItem, mapped: mapping.Mapped, out: _Resolved, entry_id: str) -> PlanEntry:
    """A file and the files beside it that belong with it (a shapefile's sidecars): one entry, a member each."""
    folder, own_name = os.path.split(item.path)
    destination_dir = mapped.destination.rpartition("/")[0]
    members: list[str] = []
    sizes: list[int] = []
    mtimes: list[int] = []
    inodes: list[int] = []
    head = os.path.join(folder, "")
    for name in dict.fromkeys([own_name, *item.companions]):
        path = head + name
        # The folder and the file's own name are mapped already; a companion is one more name in it.
        problem = None if name == own_name or mapping.simple_name(name) else _name_problem(name, folder)
        if problem:
            out.findings.append(Finding(code="unsafe-path", severity=Severity.ERROR, message=problem, path=path,
                                        origin=item.origin, fix="Report this to the host adapter's maintainers."))
            continue
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is None or stat_mod.S_ISDIR(st.st_mode) or not _readable(st, out.reader):
            _stat_file(item, out, path)  # says what is wrong with it (missing, a folder, unreadable)
            if st is None or stat_mod.S_ISDIR(st.st_mode):
                continue
        members.append(name)
        sizes.append(st.st_size)
        mtimes.append(st.st_mtime_ns)
        inodes.append(st.st_ino)
    return _entry(item, mapped, entry_id, sizes, mtimes, inodes,
                  source_dir=folder, destination_dir=destination_dir, members=members)


def _name_problem(name: str, folder: str) -> str | None:
    """Why ``name`` cannot be a file name in ``folder`` on the share, or None."""
    if "/" in name or "\\" in name:
        return f"{name!r} is not a file name in {folder}."
    try:
        paths.share_relative(name)
    except UnsafePathError as exc:
        return str(exc)
    return None


def _entry(
    item: CollectedItem,
    mapped: mapping.Mapped,
    entry_id: str,
    sizes: list[int] | None = None,
    mtimes: list[int] | None = None,
    inodes: list[int] | None = None,
    **members: Any,
) -> PlanEntry:
    """The entry of one collected item (a sequence or folder gets its kind and members after)."""
    return PlanEntry(
        **members,
        id=entry_id,
        kind=EntryKind.FILE,
        role=item.role,
        origin=item.origin,
        source=item.path,
        destination=mapped.destination,
        mapping=mapped.kind,
        optional=item.optional,
        sizes=sizes or [],
        mtimes_ns=mtimes or [],
        inodes=inodes or [],
    )


def _resolve_item(
    item: CollectedItem,
    mapper: mapping.Mapper,
    out: _Resolved,
    listings: sequence_columns.Listings | None = None,
    *,
    entry_id: str,
    taken: AbstractSet[str] = frozenset(),
) -> None:
    path = item.path
    try:
        pattern = None if item.is_dir else sequences.parse_pattern(path)
        if pattern is not None and item.frames is None and os.path.isfile(path):
            pattern = None  # a real file whose name merely contains '#' or '%d'
        if pattern is not None:
            mapped = mapper.map_pattern(path)
        else:
            mapped = mapper.map(path, is_dir=item.is_dir)
    except UnsafePathError as exc:  # PatternError is one too
        out.findings.append(
            Finding(
                code="unsafe-path",
                severity=Severity.ERROR,
                message=str(exc),
                path=path,
                origin=item.origin,
                fix=exc.hint or "Move the file under the project folder, or rename it.",
            )
        )
        return
    if pattern is None and not item.is_dir:
        out.entries.append(_file_entry(item, mapped, out, entry_id))
        return
    entry = _entry(item, mapped, entry_id)
    if pattern is not None:
        _fill_sequence(entry, item, pattern, out, listings)
    elif not _fill_folder(entry, item, out, taken):
        return  # every file in it is planned on its own
    out.entries.append(entry)


def _planned_paths(entries: list[PlanEntry], roots: list[str]) -> set[str]:
    """``os.path.normcase`` of the files the entries publish under one of ``roots`` (the folder
    items' paths, normcased, ending in a separator): what those folders must not repeat. Each
    source folder is judged once; entries elsewhere cost a dictionary look-up."""
    paths: set[str] = set()
    # source folder -> (its normcased head, under a root, a root under it)
    judged: dict[str, tuple[str, bool, bool]] = {}
    for entry in entries:
        if entry.members:
            folder = entry.source_dir or ""
        elif entry.sizes:
            folder = os.path.dirname(entry.source)
        else:
            continue
        verdict = judged.get(folder)
        if verdict is None:
            head = os.path.normcase(os.path.join(folder, ""))
            verdict = judged[folder] = (head, any(head.startswith(root) for root in roots),
                                        any(root.startswith(head) for root in roots))
        head, under, around = verdict
        if entry.members:
            # members may sit in sub-folders: a root inside the entry's folder counts too
            if under or around:
                paths.update(head + os.path.normcase(name.replace("/", os.sep)) for name in entry.members)
        elif under:
            paths.add(os.path.normcase(entry.source))
    return paths


def _stat_file(
    item: CollectedItem, out: _Resolved, path: str | None = None
) -> tuple[list[int], list[int], list[int]]:
    """(sizes, mtimes, inodes) of one file (``item.path`` or one of its companions); empty, with a finding, when none."""
    path = path or item.path
    try:
        st = os.stat(path)
    except FileNotFoundError:
        out.findings.append(_missing(item, path))
        return [], [], []
    except OSError as exc:
        out.findings.append(_unreadable(item, path, exc.strerror or str(exc)))
        return [], [], []
    if stat_mod.S_ISDIR(st.st_mode):
        out.findings.append(
            Finding(
                code="folder-not-file",
                severity=Severity.ERROR,
                message=f"Expected a file but found a folder: {path}",
                path=path,
                origin=item.origin,
                fix="Point the reference at a file, or publish the folder whole (a trailing '/').",
            )
        )
        return [], [], []
    if not _readable(st, out.reader):
        out.findings.append(_unreadable(item, path, "permission denied"))
    return [st.st_size], [st.st_mtime_ns], [st.st_ino]


def _fill_sequence(
    entry: PlanEntry,
    item: CollectedItem,
    pattern: sequences.SequencePattern,
    out: _Resolved,
    listings: sequence_columns.Listings | None,
) -> None:
    entry.kind = EntryKind.SEQUENCE
    entry.source_dir = pattern.directory
    entry.destination_dir = entry.destination.rsplit("/", 1)[0]
    entry.padding = pattern.padding
    match = sequence_columns.expand_columns(pattern, item.frames, expected=item.expected, listings=listings)
    entry.members, entry.frames, entry.sizes = match.names, match.frames, match.sizes
    entry.mtimes_ns, entry.inodes = match.mtimes_ns, match.inodes
    for finding in match.findings:
        out.findings.append(
            finding.model_copy(update={"path": finding.path or item.path, "origin": finding.origin or item.origin})
        )


def _fill_folder(entry: PlanEntry, item: CollectedItem, out: _Resolved, taken: AbstractSet[str] = frozenset()) -> bool:
    """Fill a folder entry with the files under it, but for those in ``taken`` (planned by an item of
    their own: a layout's PDF in the declared outputs folder keeps its own origin and is sent once).
    False when every file in the folder is in ``taken``: the entry has nothing left to send."""
    entry.kind = EntryKind.FOLDER
    entry.source_dir = item.path
    entry.destination_dir = entry.destination
    if not os.path.isdir(item.path):
        out.findings.append(_missing(item))
        return True
    names: list[str] = []
    sizes: list[int] = []
    mtimes: list[int] = []
    inodes: list[int] = []
    head = os.path.join(item.path, "")
    elsewhere = 0
    for rel, st in _walk(item.path, item, out):
        if taken and os.path.normcase(head + rel.replace("/", os.sep)) in taken:
            elsewhere += 1
            continue
        names.append(rel)
        sizes.append(st.st_size)
        mtimes.append(st.st_mtime_ns)
        inodes.append(st.st_ino)
        if not _readable(st, out.reader):
            out.findings.append(_unreadable(item, os.path.join(item.path, rel), "permission denied"))
    order = sorted(range(len(names)), key=names.__getitem__)
    entry.members = [names[i] for i in order]
    entry.sizes = [sizes[i] for i in order]
    entry.mtimes_ns = [mtimes[i] for i in order]
    entry.inodes = [inodes[i] for i in order]
    if not names and elsewhere:
        return False
    if not names:
        out.findings.append(
            Finding(
                code="empty-folder",
                severity=Severity.WARNING,
                message=f"The folder {item.path} holds no files.",
                path=item.path,
                origin=item.origin,
                fix="Check that the outputs were written, or drop the folder from the publish.",
            )
        )
    return True


def _walk(root: str, item: CollectedItem, out: _Resolved) -> Iterator[tuple[str, os.stat_result]]:
    """Yield (relative '/'-path, stat) of every file under root; symlinked folders are not followed."""
    stack = [("", root)]
    while stack:
        rel_dir, abs_dir = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except OSError as exc:
            out.findings.append(_unreadable(item, abs_dir, exc.strerror or str(exc)))
            continue
        for de in entries:
            rel = f"{rel_dir}/{de.name}" if rel_dir else de.name
            try:
                if de.is_dir(follow_symlinks=False):
                    stack.append((rel, de.path))
                    continue
                if de.is_symlink() and os.path.isdir(de.path):
                    out.findings.append(
                        Finding(
                            code="symlinked-folder",
                            severity=Severity.WARNING,
                            message=f"Linked folder not followed: {de.path}",
                            path=de.path,
                            origin=item.origin,
                            fix="Publish the linked folder's own path if its files belong to this publish.",
                        )
                    )
                    continue
                yield rel, de.stat()
            except FileNotFoundError:  # a dangling link or a file removed while we looked
                out.findings.append(_missing(item, de.path))
            except OSError as exc:
                out.findings.append(_unreadable(item, de.path, exc.strerror or str(exc)))


def _reader() -> tuple[int, frozenset[int]] | None:
    """(effective uid, groups) of this process; None where mode bits do not decide (Windows, root)."""
    if os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() == 0:
        return None
    return os.geteuid(), frozenset({os.getegid(), *os.getgroups()})


def _readable(st: os.stat_result, reader: tuple[int, frozenset[int]] | None) -> bool:
    """Judge readability from the mode bits we already have, without another system call."""
    if reader is None:
        return True
    mode = st.st_mode
    if st.st_uid == reader[0]:
        return bool(mode & stat_mod.S_IRUSR)
    if st.st_gid in reader[1]:
        return bool(mode & stat_mod.S_IRGRP)
    return bool(mode & stat_mod.S_IROTH)


def _missing(item: CollectedItem, path: str | None = None) -> Finding:
    return file_findings.missing(path or item.path, item.origin, item.role)


def _unreadable(item: CollectedItem, path: str, reason: str) -> Finding:
    return file_findings.unreadable(path, item.origin, reason)

