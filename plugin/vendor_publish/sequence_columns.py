"""A sequence's members as columns (names, frames, sizes, mtimes, inodes), the planner's fast path.

``sequences.expand`` gives one ``Member`` per file from ``os.scandir`` entries; for a
200,000-frame project the per-file Python work around the ``stat`` calls costs as much as the
calls themselves. Here, where the platform allows it (POSIX, case-sensitive matching, not
<UVTILE>), the folder is opened once, listed by name (``os.listdir`` on the descriptor: no
DirEntry objects), matched with one multi-line regex over the joined listing, sorted without a
key, and every member is statted by name relative to the descriptor. Anything unusual (a name
with a newline, a negative or non-ASCII number, a member that is not a regular file or cannot
be statted, an unreadable folder) hands the pattern to ``sequences.expand``, which says
precisely what is wrong; both give the same members and findings.

With a ``ListingCache`` the matched names of a folder are remembered against the folder's
(device, inode, mtime): creating, removing or renaming a file changes the folder's mtime, so
an unchanged mtime proves the names are the same and the listing and matching are skipped.
The files themselves are statted every time.
"""

from __future__ import annotations

import operator
import os
import re
import stat as stat_mod
import sys
import time
from array import array
from dataclasses import dataclass, field
from itertools import compress
from typing import Iterable, Protocol

from .models import Finding
from .sequences import MAX_FRAMES, MAX_PADDING, SequenceMatch, SequencePattern, TokenKind, expand, judge

#: A folder changed this recently (ns) is not remembered: a file created within the file
#: system's timestamp granularity of our listing would leave its mtime unchanged.
RACY_NS = 2_000_000_000

_FAST = (
    os.name == "posix"
    and sys.platform != "darwin"  # case-insensitive by default: expand matches accordingly
    and os.listdir in os.supports_fd
    and os.stat in os.supports_dir_fd
    and hasattr(os, "O_DIRECTORY")
)


class Listings(Protocol):
    """Remembered matched names per (folder, pattern), valid while the folder is unchanged."""

    def get(self, folder: str, pattern: str, st: os.stat_result) -> tuple[list[str], list[int]] | None: ...

    def put(self, folder: str, pattern: str, st: os.stat_result, names: list[str], frames: list[int]) -> None: ...

    def flush(self) -> None: ...


@dataclass
class Columns:
    """A pattern's members in frame order, column by column, and what the match found wrong."""

    names: list[str] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    mtimes_ns: list[int] = field(default_factory=list)
    inodes: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def expand_columns(
    pattern: SequencePattern,
    frames: tuple[int, int] | None = None,
    *,
    expected: Iterable[int] | None = None,
    listings: Listings | None = None,
) -> Columns:
    """The members of ``pattern`` as columns (``sequences.expand`` semantics, statted)."""
    if _FAST and pattern.kind is not TokenKind.UVTILE and pattern.padding <= MAX_PADDING and _range_ok(frames):
        fast = _fast(pattern, frames, expected, listings)
        if fast is not None:
            return fast
    match = expand(pattern, frames, expected=expected, entry_paths=False)
    out = Columns(findings=match.findings)
    if match.members:  # one C-level transpose instead of five passes over the members
        f, n, s, m, i, _ = zip(*match.members)
        out.names, out.frames, out.sizes, out.mtimes_ns, out.inodes = list(n), list(f), list(s), list(m), list(i)
    return out


def _range_ok(frames: tuple[int, int] | None) -> bool:
    # Bad ranges get their findings from expand.
    return frames is None or frames[0] <= frames[1] and frames[1] - frames[0] < MAX_FRAMES


def _fast(
    pattern: SequencePattern,
    frames: tuple[int, int] | None,
    expected: Iterable[int] | None,
    listings: Listings | None,
) -> Columns | None:
    try:
        fd = os.open(pattern.directory or ".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        key = _pattern_key(pattern)
        folder_st = os.fstat(fd) if listings is not None else None
        cached = listings.get(pattern.directory, key, folder_st) if listings is not None else None
        if cached is not None:
            names, numbers = cached
        else:
            started = time.time_ns()
            matched = _matched(pattern, os.listdir(fd))
            if matched is None:
                return None
            names, numbers = matched
            if listings is not None and folder_st.st_mtime_ns < started - RACY_NS:
                listings.put(pattern.directory, key, folder_st, names, numbers)
        if frames is not None and numbers and (numbers[0] < frames[0] or numbers[-1] > frames[1]):
            lo, hi = frames
            keep = [lo <= n <= hi for n in numbers]
            names, numbers = list(compress(names, keep)), list(compress(numbers, keep))
        try:
            stat = os.stat  # a comprehension: functools.partial would copy its keywords per call
            stats = [stat(name, dir_fd=fd) for name in names]
        except OSError:  # vanished, dangling link, no permission: expand names the files
            return None
        if not all(map(stat_mod.S_ISREG, map(_MODE, stats))):  # a folder named like a frame
            return None
    finally:
        os.close(fd)
    result = SequenceMatch(pattern)
    judge(result, frames, expected, numbers, count=len(names))
    return Columns(names, numbers, list(map(_SIZE, stats)), list(map(_MTIME, stats)), list(map(_INODE, stats)),
                   result.findings)


def _pattern_key(pattern: SequencePattern) -> str:
    return f"{pattern.kind.value}|{pattern.padding}|{pattern.prefix}|{pattern.suffix}"


def _matched(pattern: SequencePattern, listing: list[str]) -> tuple[list[str], list[int]] | None:
    """(member names in frame order, their frames) from a folder listing; None: let expand decide.

    Case-sensitive canonical names (``sequences._match_members``'s rule) share the literal prefix
    and suffix, so ordering by (length, name) is ordering by frame, and frames are distinct.
    """
    joined = "\n".join(listing)
    if joined.count("\n") != max(len(listing) - 1, 0):  # a name with a newline
        return None
    prefix, suffix, pad = re.escape(pattern.prefix), re.escape(pattern.suffix), pattern.padding
    canonical = f"{prefix}(?:[0-9]{{{pad}}}|[1-9][0-9]{{{pad},}}){suffix}"
    first, end = len(pattern.prefix), -len(pattern.suffix) or None
    # A folder holding nothing but the sequence, every number ``padding`` digits wide (the usual
    # case), is checked in one pass: names of one width sort by frame as plain strings, and a
    # gapless run needs only its first and last number read. Each line has one parse, so a
    # failure backtracks linearly.
    if listing and re.fullmatch(f"(?:{prefix}[0-9]{{{pad}}}{suffix}\n)*", joined + "\n"):
        names = sorted(listing)
        lo, hi = int(names[0][first:end]), int(names[-1][first:end])
        if hi - lo + 1 == len(names):
            numbers = list(range(lo, hi + 1))
        else:
            numbers = list(map(int, map(operator.itemgetter(slice(first, end)), names)))
    else:
        names = re.findall(f"(?m)^{canonical}$", joined)
        if len(names) != len(listing):
            # A name the canonical form refuses but the general one takes (negative, other digits).
            for number in re.findall(f"(?m)^{prefix}(-?\\d+){suffix}$", joined):
                if number[0] == "-" or not number.isascii():
                    return None
        # Same prefix and suffix, canonical numbers: (length, name) order is frame order.
        names.sort()
        names.sort(key=len)
        numbers = list(map(int, map(operator.itemgetter(slice(first, end)), names)))
    if pattern.kind is TokenKind.UDIM and numbers and numbers[0] < 1001:
        keep = [n >= 1001 for n in numbers]
        names, numbers = list(compress(names, keep)), list(compress(numbers, keep))
    return names, numbers


_MODE = operator.attrgetter("st_mode")
_SIZE = operator.attrgetter("st_size")
_MTIME = operator.attrgetter("st_mtime_ns")
_INODE = operator.attrgetter("st_ino")


def pack_frames(frames: list[int]) -> bytes:
    """Frames as fixed-width binary (for a cache row)."""
    return array("q", frames).tobytes()


def unpack_frames(blob: bytes) -> list[int]:
    """The inverse of ``pack_frames``."""
    a = array("q")
    a.frombytes(blob)
    return a.tolist()
