"""Frame and tile patterns (``####``, ``%04d``, ``$F4``, ``<UDIM>``...) and their expansion.

Expansion lists a folder once with ``os.scandir`` and matches names with one compiled regex,
so a 200,000-frame sequence costs one directory read, never a glob or ``exists`` per frame.
A member is accepted only when its number is written exactly as the pattern would write it
(``####`` and 7 is ``0007``; 12345 is ``12345``, padding being a minimum), so a pattern never
picks up a neighbour's files. Problems come back as ``Finding`` values, not exceptions.
"""

from __future__ import annotations

import operator
import os
import re
import sys
from itertools import compress, repeat
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, NamedTuple, Sequence

from .frame_ranges import MAX_FRAMES, PatternError, compact_runs, contiguous_runs
from .models import Finding, Severity
from .paths import split_name

#: Beyond this many digits a frame number is a typo, not a sequence.
MAX_PADDING = 16
#: How many missing frames a finding spells out before summarising.
_SHOWN_MISSING = 12


class TokenKind(str, Enum):
    """The notation that marks the frame or tile number in a file name."""

    HASH = "hash"  # '####' (Blender, Nuke, Deadline); run length is the padding
    AT = "at"  # '@@@@' (Katana, RV); only when asked for, '@' is common in names
    PRINTF = "printf"  # '%04d', '%d'
    HOUDINI = "houdini"  # '$F', '$F4', '${F4}'
    BRACE = "brace"  # '{frame}', '{frame:04d}'
    UDIM = "udim"  # '<UDIM>' (Mari, Blender, Maya), '%(UDIM)d' (Houdini): 1001, 1002...
    UVTILE = "uvtile"  # '<UVTILE>' (Blender, Maya): u1_v1, u2_v1...

    @property
    def is_tile(self) -> bool:
        """True for texture tiles, whose gaps are normal."""
        return self in (TokenKind.UDIM, TokenKind.UVTILE)


DEFAULT_KINDS = frozenset(TokenKind) - {TokenKind.AT}

_TOKEN_RE = re.compile(
    r"(?P<escape>%%)"
    r"|(?P<udim>(?i:<UDIM>)|%\(UDIM\)d)"
    r"|(?P<uvtile>(?i:<UVTILE>))"
    r"|\{frame(?::(?:0(?P<bpad>\d+))?d)?\}"
    r"|%(?:0(?P<ppad>\d+))?d"
    r"|\$\{F(?P<hpad1>\d*)\}|\$F(?P<hpad2>\d*)(?![A-Za-z0-9_])"
    r"|(?P<hash>#+)"
    r"|(?P<at>@+)"
)
#: A character every token of DEFAULT_KINDS starts with ('@' is not one of them).
_TOKEN_START_RE = re.compile(r"[%<{$#]")
_UVTILE_RE = r"u(\d+)_v(\d+)"
_NUMBER_RE = r"(-?\d+)"


def _kind_of(m: re.Match[str]) -> tuple[TokenKind, int] | None:
    text = m.group(0)
    if m.group("escape"):
        return None
    if m.group("udim"):
        return TokenKind.UDIM, 4
    if m.group("uvtile"):
        return TokenKind.UVTILE, 1
    if text.startswith("{frame"):
        return TokenKind.BRACE, int(m.group("bpad") or 1)
    if text.startswith("%"):
        return TokenKind.PRINTF, int(m.group("ppad") or 1)
    if text.startswith("$"):
        return TokenKind.HOUDINI, int(m.group("hpad1") or m.group("hpad2") or 1)
    if m.group("hash"):
        return TokenKind.HASH, len(text)
    return TokenKind.AT, len(text)


@dataclass(frozen=True)
class SequencePattern:
    """A file name with one frame or tile token, split around it."""

    directory: str  # local folder as given ('' for none)
    prefix: str  # literal text before the token, as it appears in member names
    suffix: str
    kind: TokenKind
    padding: int  # minimum digits; 4 for UDIM, 1 for unpadded tokens
    token: str  # the token as written, e.g. '$F4'

    @property
    def name(self) -> str:
        """The file-name pattern as written."""
        if self.kind is TokenKind.PRINTF:
            return f"{self.prefix.replace('%', '%%')}{self.token}{self.suffix.replace('%', '%%')}"
        return f"{self.prefix}{self.token}{self.suffix}"

    @property
    def path(self) -> str:
        """The whole pattern as written."""
        return _join(self.directory, self.name)

    @property
    def is_tile(self) -> bool:
        """True for UDIM/UVTILE patterns."""
        return self.kind.is_tile

    def regex(self, case_sensitive: bool = True) -> re.Pattern[str]:
        """A compiled regex for candidate member names; group 1 (and 2 for UVTILE) hold the number."""
        number = _UVTILE_RE if self.kind is TokenKind.UVTILE else _NUMBER_RE
        flags = 0 if case_sensitive else re.IGNORECASE
        return re.compile(f"{re.escape(self.prefix)}{number}{re.escape(self.suffix)}", flags)

    def number_text(self, frame: int) -> str:
        """How the token writes ``frame``."""
        if self.kind is TokenKind.UVTILE:
            if frame < 1001:
                raise PatternError(f"Tile {frame} is not a UDIM tile number (1001 or more).")
            u, v = (frame - 1001) % 10 + 1, (frame - 1001) // 10 + 1
            return f"u{u}_v{v}"
        if self.kind is TokenKind.UDIM and frame < 1001:
            raise PatternError(f"Tile {frame} is not a UDIM tile number (1001 or more).")
        return f"{frame:0{self.padding}d}"

    def format(self, frame: int) -> str:
        """The member file name for ``frame`` (or tile number)."""
        return f"{self.prefix}{self.number_text(frame)}{self.suffix}"

    def frame_of(self, m: re.Match[str]) -> int | None:
        """The frame a regex match stands for, or None when its number is not written canonically."""
        if self.kind is TokenKind.UVTILE:
            u, v = int(m.group(1)), int(m.group(2))
            if not 1 <= u <= 10 or v < 1:
                return None
            frame = 1001 + (u - 1) + 10 * (v - 1)
            text = m.group(0)[len(self.prefix): len(m.group(0)) - len(self.suffix)]
        else:
            text = m.group(1)
            frame = int(text)
            if self.kind is TokenKind.UDIM and frame < 1001:
                return None
        return frame if self.number_text(frame) == text else None

    def match(self, name: str, case_sensitive: bool = True) -> int | None:
        """The frame of a member file name, or None when the name is not a member."""
        m = self.regex(case_sensitive).fullmatch(name)
        return self.frame_of(m) if m else None

    def printf(self) -> str | None:
        """The name in printf notation (``img.%04d.exr``, literal '%' doubled); None for UVTILE."""
        if self.kind is TokenKind.UVTILE:
            return None
        spec = f"%0{self.padding}d" if self.padding > 1 else "%d"
        return f"{self.prefix.replace('%', '%%')}{spec}{self.suffix.replace('%', '%%')}"


def _join(directory: str, name: str) -> str:
    if not directory:
        return name
    sep = "\\" if "\\" in directory and "/" not in directory else "/"
    return directory + name if directory.endswith(("/", "\\")) else f"{directory}{sep}{name}"


def parse_pattern(path: str, kinds: Iterable[TokenKind] | None = None) -> SequencePattern | None:
    """Split a path around the one frame/tile token in its file name; None when there is none.

    ``kinds`` limits the notations recognised (by default all but '@', which is common in
    ordinary names). Two tokens in one name raise ``PatternError``.
    """
    # Most names hold no token at all: one C-level scan of the name (the folders may hold
    # anything, like the '@' of every FROM_VENDORS/<e-mail>/ path).
    if kinds is None and not _TOKEN_START_RE.search(path, max(path.rfind("/"), path.rfind("\\")) + 1):
        return None
    allowed = DEFAULT_KINDS if kinds is None else frozenset(kinds)
    directory, name = split_name(path)
    found = []
    for m in _TOKEN_RE.finditer(name):
        kind = _kind_of(m)
        if kind is not None and kind[0] in allowed:
            found.append((m, kind))
    if not found:
        return None
    if len(found) > 1:
        tokens = ", ".join(repr(m.group(0)) for m, _ in found)
        raise PatternError(
            f"The file name {name!r} has more than one frame or tile token ({tokens}).",
            hint="Use a single token for the frame or tile number.",
        )
    m, (kind, padding) = found[0]
    prefix, suffix = name[: m.start()], name[m.end():]
    if kind is TokenKind.PRINTF:  # printf names write a literal '%' as '%%'
        prefix, suffix = prefix.replace("%%", "%"), suffix.replace("%%", "%")
    return SequencePattern(directory, prefix, suffix, kind, max(1, padding), m.group(0))


class Member(NamedTuple):
    """One real file of a sequence."""

    frame: int
    name: str
    size: int  # -1 when not statted
    mtime_ns: int
    inode: int
    entry: Any  # the os.DirEntry it came from, for the caller's own stat


@dataclass
class SequenceMatch:
    """The real files of a pattern and what is missing."""

    pattern: SequencePattern
    members: list[Member] = field(default_factory=list)
    missing_runs: list[tuple[int, int]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    reason: str | None = None  # why nothing could be matched at all (no folder, bad range...)
    outside_range: int = 0  # members on disk left out because they lie outside the range

    @property
    def frames(self) -> list[int]:
        """Frame (tile) number of each member, in order."""
        return [m.frame for m in self.members]

    @property
    def missing(self) -> list[int]:
        """Every missing frame; prefer ``missing_runs`` or ``missing_count`` for huge ranges."""
        return [f for a, b in self.missing_runs for f in range(a, b + 1)]

    @property
    def missing_count(self) -> int:
        """How many frames are missing."""
        return sum(b - a + 1 for a, b in self.missing_runs)

    @property
    def size(self) -> int:
        """Bytes in the matched files (statted members only)."""
        return sum(m.size for m in self.members if m.size > 0)


def _finding(code: str, severity: Severity, message: str, pattern: SequencePattern, fix: str) -> Finding:
    return Finding(code=code, severity=severity, message=message, path=pattern.path, fix=fix)


def _failed(pattern: SequencePattern, code: str, message: str, fix: str) -> SequenceMatch:
    return SequenceMatch(pattern, reason=message, findings=[_finding(code, Severity.ERROR, message, pattern, fix)])


def _gaps(found: Sequence[int], first: int, last: int) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    cursor = first
    inside = found if not found or (found[0] >= first and found[-1] <= last) else [
        f for f in found if first <= f <= last]
    for a, b in contiguous_runs(inside):
        if a > cursor:
            runs.append((cursor, a - 1))
        cursor = b + 1
    if cursor <= last:
        runs.append((cursor, last))
    return runs


def _list_dir(directory: str, *, by_descriptor: bool = False) -> tuple[list[os.DirEntry[str]], int | None]:
    """The folder's entries, and the open descriptor they stat through (None: they use paths)."""
    if not by_descriptor or os.scandir not in os.supports_fd:
        with os.scandir(directory or ".") as it:
            return list(it), None
    fd = os.open(directory or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with os.scandir(fd) as it:
            return list(it), fd
    except BaseException:
        os.close(fd)
        raise


def expand(
    pattern: SequencePattern,
    frames: tuple[int, int] | None = None,
    scandir_entries: Iterable[os.DirEntry[str]] | None = None,
    *,
    expected: Iterable[int] | None = None,
    case_sensitive: bool | None = None,
    with_stat: bool = True,
    entry_paths: bool = True,
) -> SequenceMatch:
    """Find a pattern's real files with one directory listing (or the given ``scandir_entries``).

    ``frames`` is an inclusive range: members outside it are left out, frames inside it with no
    file are missing. Without a range, gaps between the first and last frame are missing (not
    for tiles). ``expected`` (tiles or frames), when given, alone decides what is missing.
    Matching is case-insensitive on Windows and macOS unless ``case_sensitive`` says otherwise.
    ``with_stat`` fills size/mtime/inode from
    ``DirEntry.stat()``; otherwise they are -1 and ``entry`` is there for the caller to stat.
    ``entry_paths=False`` (where supported) lists the folder through an open descriptor so each
    stat resolves one name instead of the whole path (about a fifth cheaper); ``entry.path`` is
    then only the name, and the entries must not be statted after ``expand`` returns.
    """
    if pattern.padding > MAX_PADDING:
        return _failed(pattern, "sequence-padding-too-large",
                       f"The pattern {pattern.name!r} asks for {pattern.padding}-digit frame numbers.",
                       "Check the output path: the frame token is probably mistyped.")
    if frames is not None:
        first, last = frames
        if last < first:
            return _failed(pattern, "frame-range-invalid",
                           f"The frame range {first}-{last} of {pattern.name!r} ends before it starts.",
                           "Set the last frame to be at least the first frame.")
        if last - first + 1 > MAX_FRAMES:
            return _failed(pattern, "frame-range-too-large",
                           f"The frame range {first}-{last} of {pattern.name!r} has {last - first + 1:,} frames.",
                           f"Check the frame range; at most {MAX_FRAMES:,} frames are accepted.")
    if case_sensitive is None:
        case_sensitive = not (os.name == "nt" or sys.platform == "darwin")
    folder_fd = None
    if scandir_entries is None:
        try:
            scandir_entries, folder_fd = _list_dir(pattern.directory, by_descriptor=not entry_paths)
        except FileNotFoundError:
            return _failed(pattern, "sequence-folder-missing",
                           f"The folder {pattern.directory!r} of {pattern.name!r} does not exist.",
                           "Render or copy the files there, or fix the path in the project.")
        except NotADirectoryError:
            return _failed(pattern, "sequence-folder-missing",
                           f"{pattern.directory!r}, the folder of {pattern.name!r}, is a file.",
                           "Fix the path in the project.")
        except OSError as exc:
            return _failed(pattern, "sequence-folder-unreadable",
                           f"The folder {pattern.directory!r} cannot be read: {exc.strerror or exc}.",
                           "Check that you may read it and that the drive is connected.")
    try:
        members, outside, unreadable = _match_members(pattern, scandir_entries, frames, case_sensitive, with_stat)
    finally:
        if folder_fd is not None:
            os.close(folder_fd)
    found = sorted({mb.frame for mb in members})
    # By frame alone (stable, C-level key) unless two names share a frame; then by name too.
    members.sort(key=_FRAME if len(found) == len(members) else _FRAME_NAME)
    result = SequenceMatch(pattern, members, outside_range=outside)
    judge(result, frames, expected, found, unreadable)
    return result


def judge(
    result: SequenceMatch,
    frames: tuple[int, int] | None,
    expected: Iterable[int] | None,
    found: Sequence[int],
    unreadable: Sequence[str] = (),
    count: int | None = None,
) -> None:
    """Fill ``result``'s missing runs, findings and reason from its sorted unique ``found`` frames.

    ``count`` is the number of members when ``result.members`` is not filled (columnar callers).
    """
    pattern = result.pattern
    count = len(result.members) if count is None else count
    if expected is not None:
        wanted = set(expected)
        result.missing_runs = contiguous_runs(wanted.difference(found))
        explicit = True
    elif frames is not None and not pattern.is_tile:
        result.missing_runs = _gaps(found, frames[0], frames[1])
        explicit = True
    elif found and not pattern.is_tile:
        result.missing_runs = _gaps(found, found[0], found[-1])
        explicit = False
    else:
        explicit = False
    if unreadable:
        result.findings.append(_finding(
            "sequence-member-unreadable", Severity.ERROR,
            f"{len(unreadable)} file(s) of {pattern.name!r} cannot be read, e.g. {unreadable[0]!r}.",
            pattern, "Check the files' permissions and that the drive is connected."))
    if not count:
        result.reason = f"No file in {pattern.directory or '.'!r} matches {pattern.name!r}."
        where = f" in frames {frames[0]}-{frames[1]}" if frames is not None else ""
        result.findings.append(_finding(
            "sequence-empty", Severity.ERROR, f"No file matches {pattern.name!r}{where}.", pattern,
            "Render or copy the files, or fix the path or frame range in the project."))
    elif result.missing_runs:
        noun = "tiles" if pattern.is_tile else "frames"
        result.findings.append(_finding(
            "sequence-incomplete" if explicit else "sequence-gaps",
            Severity.ERROR if explicit else Severity.WARNING,
            f"{result.missing_count} {noun if result.missing_count != 1 else noun[:-1]} of {pattern.name!r} "
            f"{'are' if result.missing_count != 1 else 'is'} missing: {_short(result.missing_runs)}.",
            pattern, f"Render or copy the missing {noun}, or narrow the range in the project."))


_FRAME = operator.itemgetter(0)
_FRAME_NAME = operator.itemgetter(0, 1)


def _match_members(
    pattern: SequencePattern,
    scandir_entries: Iterable[os.DirEntry[str]],
    frames: tuple[int, int] | None,
    case_sensitive: bool,
    with_stat: bool,
) -> tuple[list[Member], int, list[str]]:
    """(members in listing order, how many lay outside ``frames``, names that could not be read).

    This runs once per file of a 200,000-frame project, so it works in whole-listing passes
    (``map`` over C functions) rather than a Python loop per file. A second regex accepts only
    canonically written non-negative ASCII numbers (exactly ``padding`` digits, or more with no
    leading zero: what comparing with ``number_text`` says); the literal prefix and suffix fix
    where the number is, so it agrees with ``regex`` + ``frame_of`` on every such name. Any name
    it refuses that the general regex accepts (a negative frame, another script's digits), a
    <UVTILE> pattern, or an entry that cannot be checked sends the listing one entry at a time.
    """
    if pattern.kind is TokenKind.UVTILE:
        return _match_members_one_by_one(pattern, scandir_entries, frames, case_sensitive, with_stat)
    entries = scandir_entries if isinstance(scandir_entries, list) else list(scandir_entries)
    names = [e.name for e in entries]
    pad = pattern.padding
    flags = 0 if case_sensitive else re.IGNORECASE
    canonical = re.compile(
        f"{re.escape(pattern.prefix)}([0-9]{{{pad}}}|[1-9][0-9]{{{pad},}}){re.escape(pattern.suffix)}", flags
    ).fullmatch
    found = list(map(canonical, names))
    if found.count(None):
        general = pattern.regex(case_sensitive).fullmatch
        for name, m in zip(names, found):
            g = general(name) if m is None else None
            if g is not None and (g.group(1)[0] == "-" or not g.group(1).isascii()):
                return _match_members_one_by_one(pattern, entries, frames, case_sensitive, with_stat)
    picked = list(compress(entries, found))
    numbers = list(map(int, map(_GROUP1, filter(None, found))))
    if pattern.kind is TokenKind.UDIM and numbers and min(numbers) < 1001:
        keep = [n >= 1001 for n in numbers]
        picked, numbers = list(compress(picked, keep)), list(compress(numbers, keep))
    outside = 0
    if frames is not None and numbers:
        lo, hi = frames
        if min(numbers) < lo or max(numbers) > hi:
            keep = [lo <= n <= hi for n in numbers]
            outside = keep.count(False)
            picked, numbers = list(compress(picked, keep)), list(compress(numbers, keep))
    try:
        is_file = list(map(_IS_FILE, picked))
        if not all(is_file):
            picked, numbers = list(compress(picked, is_file)), list(compress(numbers, is_file))
        stats = list(map(_STAT, picked)) if with_stat else None
    except OSError:  # say which files, in listing order, as the one-by-one loop does
        return _match_members_one_by_one(pattern, entries, frames, case_sensitive, with_stat)
    count = len(picked)
    if stats is not None:
        columns = (map(_SIZE, stats), map(_MTIME, stats), map(_INODE, stats))
    else:
        columns = (repeat(-1, count), repeat(-1, count), repeat(-1, count))
    rows = zip(numbers, map(_NAME, picked), *columns, picked)
    return list(map(tuple.__new__, repeat(Member, count), rows)), outside, []


_GROUP1 = operator.methodcaller("group", 1)
_IS_FILE = os.DirEntry.is_file
_STAT = os.DirEntry.stat
_NAME = operator.attrgetter("name")
_SIZE = operator.attrgetter("st_size")
_MTIME = operator.attrgetter("st_mtime_ns")
_INODE = operator.attrgetter("st_ino")


def _match_members_one_by_one(
    pattern: SequencePattern,
    scandir_entries: Iterable[os.DirEntry[str]],
    frames: tuple[int, int] | None,
    case_sensitive: bool,
    with_stat: bool,
) -> tuple[list[Member], int, list[str]]:
    """``_match_members`` one entry at a time: for <UVTILE> and for listings with odd entries.

    The common case (a non-negative ASCII number) is judged inline: it is written canonically
    when it has exactly ``padding`` digits, or more digits and no leading zero, which is what
    comparing with ``number_text`` would say. Anything else goes through ``frame_of``.
    """
    fullmatch = pattern.regex(case_sensitive).fullmatch
    slow = pattern.frame_of
    inline = pattern.kind is not TokenKind.UVTILE
    pad, udim = pattern.padding, pattern.kind is TokenKind.UDIM
    lo, hi = frames if frames is not None else (None, None)
    new = tuple.__new__
    members: list[Member] = []
    append = members.append
    outside = 0
    unreadable: list[str] = []
    for entry in scandir_entries:
        name = entry.name
        m = fullmatch(name)
        if m is None:
            continue
        if inline:
            text = m.group(1)
            if text[0] == "-" or not text.isascii():  # \d also matches other scripts' digits
                frame = slow(m)
                if frame is None:
                    continue
            else:
                n = len(text)
                if n < pad or (n > pad and text[0] == "0"):
                    continue
                frame = int(text)
                if udim and frame < 1001:
                    continue
        else:
            frame = slow(m)
            if frame is None:
                continue
        if lo is not None and not lo <= frame <= hi:
            outside += 1
            continue
        try:
            if not entry.is_file():
                continue
            if with_stat:
                st = entry.stat()
                append(new(Member, (frame, name, st.st_size, st.st_mtime_ns, st.st_ino, entry)))
            else:
                append(new(Member, (frame, name, -1, -1, -1, entry)))
        except OSError:
            unreadable.append(name)
    return members, outside, unreadable


def _short(runs: list[tuple[int, int]]) -> str:
    text = compact_runs(runs[:_SHOWN_MISSING])
    return text + (", ..." if len(runs) > _SHOWN_MISSING else "")
