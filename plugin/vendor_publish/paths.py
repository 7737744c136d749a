"""Windows and POSIX paths handled as paths on any OS, and share-relative destinations.

A vendor on Windows publishes to a studio whose share may be served from Linux, and tests
run on Linux with Windows strings, so nothing here asks the running OS what a separator
is. Local paths are parsed into ``PureWindowsPath`` or ``PurePosixPath`` from what the
string looks like; share paths are plain '/'-joined strings, validated segment by segment.
Comparisons are made on path components, never by string prefix, so ``C:/proj2`` is not
inside ``C:/proj``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Literal, Union

from .errors import UnsafePathError

PathLike = Union[str, PurePath]
Flavour = Literal["windows", "posix"]

#: Longest classic Windows path (MAX_PATH); longer ones fail in many Windows tools.
WINDOWS_MAX_PATH = 260
#: Longest file or folder name most file systems accept, in bytes of UTF-8.
MAX_SEGMENT_BYTES = 255

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_DRIVE_SEGMENT_RE = re.compile(r"^[A-Za-z]:")
_BARE_DRIVE_RE = re.compile(r"^[A-Za-z]:$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_INVALID = '<>:"|?*'
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in "123456789¹²³"]
    + [f"LPT{i}" for i in "123456789¹²³"]
)
_SHARE_HINT = "Rename the file or folder, or change the destination, so every part is a plain name."


def looks_windows(path: str) -> bool:
    """True when the string reads as a Windows path (drive letter, UNC, ``\\\\?\\`` or backslashes)."""
    # ``//server/share`` counts as UNC: Maya and others report Windows UNC paths with
    # forward slashes, while on POSIX a leading ``//`` is almost always a joining accident.
    # A single leading '/' is POSIX even with backslashes after it: those are then characters
    # of a name, which ``share_relative`` refuses rather than upload a file named 'a\\b'.
    if path.startswith("/") and not path.startswith("//"):
        return False
    return bool(_DRIVE_RE.match(path)) or "\\" in path or (
        path.startswith("//") and len(path) > 2 and path[2] != "/"
    )


def split_name(path: str) -> tuple[str, str]:
    """Split a local path string into (folder, file name) without parsing it; the folder keeps its root."""
    seps = "/\\" if looks_windows(path) else "/"
    cut = max(path.rfind(s) for s in seps)
    if cut < 0:
        return "", path
    directory = path[:cut]
    if directory == "" or _BARE_DRIVE_RE.match(directory) or directory in ("\\\\", "//"):
        directory = path[: cut + 1]  # keep the root: '/x' -> '/', 'C:\\x' -> 'C:\\'
    return directory, path[cut + 1:]


def flavour_of(path: PurePath) -> Flavour:
    """'windows' or 'posix' for a parsed path."""
    return "windows" if isinstance(path, PureWindowsPath) else "posix"


def _strip_long_prefix(s: str, original: str) -> str:
    r"""Turn ``\\?\C:\x``, ``\\.\C:\x`` and ``\\?\UNC\srv\sh\x`` into their ordinary forms."""
    if not (s.startswith("\\\\?\\") or s.startswith("\\\\.\\")):
        return s
    rest = s[4:]
    if _DRIVE_RE.match(rest):
        return rest
    if rest[:4].upper() == "UNC\\":
        return "\\\\" + rest[4:]
    raise UnsafePathError(
        f"The path {original!r} names a Windows device or volume, not a file on a drive or share.",
        hint="Use the file's drive-letter path (C:\\...) or its network path (\\\\server\\share\\...).",
    )


def _parse_windows(s: str, original: str) -> PureWindowsPath:
    s = _strip_long_prefix(s.replace("/", "\\"), original)
    if s.startswith("\\\\"):
        bits = s[2:].split("\\")
        server = bits[0] if bits else ""
        share = bits[1] if len(bits) > 1 else ""
        if not server or not share or server in (".", "..", "?") or share in (".", ".."):
            raise UnsafePathError(
                f"The network path {original!r} is incomplete: it needs both a server and a share name.",
                hint="Give the full path, e.g. \\\\server\\share\\folder\\file.",
            )
    return PureWindowsPath(s)


def _normalise(p: PurePath, original: str) -> PurePath:
    """Resolve ``..`` lexically, refusing any that would climb above the anchor."""
    if ".." not in p.parts:
        return p  # pathlib already dropped '.' parts and doubled separators
    parts: list[str] = []
    for part in p.parts[1:] if p.anchor else p.parts:
        if part == "..":
            if not parts:
                raise UnsafePathError(
                    f"The path {original!r} uses '..' to climb above "
                    f"{'its root ' + repr(p.anchor) if p.anchor else 'its starting folder'}.",
                    hint="Give the file's full path without '..' parts.",
                )
            parts.pop()
        elif part != ".":
            parts.append(part)
    return type(p)(p.anchor, *parts) if p.anchor else type(p)(*parts)


def _is_windows_absolute(p: PureWindowsPath) -> bool:
    return bool(p.drive) and bool(p.root)


def parse_local(path: PathLike, *, base: PathLike | None = None, flavour: Flavour | None = None) -> PurePath:
    r"""Parse a local path of either flavour, strip ``\\?\``, drop ``.`` and resolve ``..`` lexically.

    A relative ``path`` is joined onto ``base`` (whose flavour then wins). ``flavour`` forces
    the reading instead of guessing from the string. Raises ``UnsafePathError`` for a ``..``
    above the root, a drive-relative ``C:foo``, an incomplete UNC path, a device path or NUL.
    """
    if isinstance(path, PurePath):
        s = str(path)
        flavour = flavour or flavour_of(path)
    else:
        s = path
    if "\x00" in s:
        raise UnsafePathError(f"The path {s!r} contains a NUL character.", hint="Rename the file.")
    base_p = parse_local(base) if base is not None and not isinstance(base, PurePath) else base
    if base_p is not None and not base_p.is_absolute():
        raise UnsafePathError(f"The folder {str(base_p)!r} is not an absolute path.",
                              hint="Give the folder's full path.")
    kind = flavour or ("windows" if looks_windows(s) else "posix")
    if kind == "windows":
        p: PurePath = _parse_windows(s, s)
        if p.drive and not p.root:
            raise UnsafePathError(
                f"The path {s!r} is relative to the current folder of drive {p.drive}, which is unknown here.",
                hint=f"Give the full path, e.g. {p.drive}\\folder\\file.",
            )
        if not _is_windows_absolute(p) and base_p is not None:
            if isinstance(base_p, PurePosixPath):
                if p.root:
                    raise UnsafePathError(
                        f"The path {s!r} has no drive letter and cannot be placed under {str(base_p)!r}.",
                        hint="Give the file's full path.",
                    )
                p = base_p.joinpath(*p.parts)
            else:
                p = base_p / p  # a rooted '\foo' lands on the base's drive, as Windows would
    else:
        if flavour == "posix" and s.startswith("//"):
            s = "/" + s.lstrip("/")
        p = PurePosixPath(s)
        if not p.is_absolute() and base_p is not None:
            p = base_p.joinpath(*p.parts)
    return _normalise(p, s)


def _as_path(path: PathLike) -> PurePath:
    return path if isinstance(path, PurePath) else parse_local(path)


def key_parts(p: PurePath) -> list[str]:
    """Components of a parsed path as compared: lower-cased for Windows, exact for POSIX."""
    # Windows compares names case-insensitively; str.lower() is close to NTFS's simple case
    # mapping (casefold would also equate 'ß' with 'ss', which NTFS does not).
    if isinstance(p, PureWindowsPath):
        return [part.lower() for part in p.parts]
    return list(p.parts)


def _starts_with(keys: list[str], root_keys: list[str]) -> bool:
    return len(keys) >= len(root_keys) and keys[: len(root_keys)] == root_keys


def is_within(path: PathLike, root: PathLike) -> bool:
    """True when ``path`` is ``root`` or below it, compared component by component.

    Windows paths compare case-insensitively (drive letters and UNC server/share too),
    POSIX paths case-sensitively; paths of different flavours are never within each other.
    """
    try:
        p, r = _as_path(path), _as_path(root)
    except UnsafePathError:
        return False
    if type(p) is not type(r):
        return False
    return _starts_with(key_parts(p), key_parts(r))


def relative_parts(path: PathLike, root: PathLike) -> tuple[str, ...]:
    """The components of ``path`` below ``root`` (empty when equal); raises if it is not inside."""
    p, r = _as_path(path), _as_path(root)
    if not is_within(p, r):
        raise UnsafePathError(f"The path {str(p)!r} is not inside {str(r)!r}.")
    return tuple(p.parts[len(r.parts):])


def _segment_problem(seg: str) -> str | None:
    if seg == "":
        return "it has an empty part (a doubled or trailing '/')"
    if "\\" in seg:
        return f"the part {seg!r} contains a backslash"
    if _CONTROL_RE.search(seg):
        return f"the part {seg!r} contains a control character"
    if seg.strip(" .") == "":
        # '.', '..', and names Windows would trim down to them ('.. ', '...').
        return f"the part {seg!r} is made only of dots or spaces"
    if _DRIVE_SEGMENT_RE.match(seg):
        return f"the part {seg!r} starts with a drive letter"
    return None


def share_relative(*parts: str) -> str:
    """Join parts into a '/'-separated share-relative path, refusing anything unsafe.

    Refused (``UnsafePathError``): an absolute start, empty, ``.``/``..`` or dots-only parts,
    drive letters, backslashes inside a part, NUL or control characters.
    """
    joined = "/".join(parts)
    if not parts or joined == "":
        raise UnsafePathError("A destination on the share is empty.", hint=_SHARE_HINT)
    if joined.startswith("/"):
        raise UnsafePathError(
            f"The destination {joined!r} is absolute; share destinations must be relative to the share.",
            hint=_SHARE_HINT,
        )
    for seg in joined.split("/"):
        problem = _segment_problem(seg)
        if problem:
            raise UnsafePathError(
                f"The destination {joined!r} is not a safe share path: {problem}.", hint=_SHARE_HINT
            )
    return joined


def _share_key(path: str) -> list[str]:
    return unicodedata.normalize("NFC", path).lower().split("/")


def is_under_root(dest: str, upload_root: str) -> bool:
    """True when share path ``dest`` is ``upload_root`` or below it (case-insensitive, on '/' boundaries).

    Either path failing ``share_relative`` validation makes the answer False.
    """
    try:
        share_relative(dest)
        share_relative(upload_root)
    except UnsafePathError:
        return False
    d, r = _share_key(dest), _share_key(upload_root)
    return len(d) >= len(r) and d[: len(r)] == r


def portability_issues(path: str, *, studio_root: str = "") -> list[str]:
    """Plain-language reasons a share path (one name or '/'-joined) may not work on every OS.

    Checks Windows reserved names, trailing dots or spaces, characters Windows refuses, names
    over 255 bytes, and a whole path (``studio_root`` + path) over 260 characters.
    """
    issues: list[str] = []
    for seg in path.split("/"):
        if not seg:
            continue
        stem = seg.split(".", 1)[0].rstrip(" ").upper()
        if stem in _RESERVED:
            issues.append(f"'{seg}' uses the name {stem}, which Windows reserves for a device.")
        if seg[-1] in " .":
            issues.append(f"'{seg}' ends with a dot or a space, which Windows drops silently.")
        bad = sorted({c for c in seg if c in _WINDOWS_INVALID})
        if bad:
            issues.append(f"'{seg}' contains {' '.join(bad)}, which Windows does not allow in names.")
        size = len(seg.encode("utf-8"))
        if size > MAX_SEGMENT_BYTES:
            issues.append(f"'{seg[:40]}...' is {size} bytes long; most file systems allow {MAX_SEGMENT_BYTES}.")
    total = len(studio_root.rstrip("/\\")) + 1 + len(path) if studio_root else len(path)
    if total > WINDOWS_MAX_PATH:
        issues.append(
            f"The full path is {total} characters long; many Windows tools fail beyond {WINDOWS_MAX_PATH}."
        )
    return issues


# What could make portability_issues() speak about a name, as three scans that each start on a
# literal or a character class (so a long string of names joined by '/' is judged quickly).
_BAD_SEGMENT_RE = re.compile(r"/(?:[^/]{256}|(?:CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9]) *(?:[./]|\Z))", re.IGNORECASE)


def plain_name(name: str) -> bool:
    """Cheap test: True only when ``portability_issues`` finds nothing in the segments of ``name``.

    Non-ASCII names answer False (let the full check decide); the length of a whole path is not
    looked at here.
    """
    # Substring tests (C-level scans) rather than regex searches for a bad character or a part
    # ending in ' ' or '.': a third of the cost on a plan's 200,000 names joined into one string.
    return (
        name.isascii()
        and not any(map(name.__contains__, _BAD_CHARS))  # no generator frame per name
        and " /" not in name
        and "./" not in name
        and not name.endswith((" ", "."))
        and _BAD_SEGMENT_RE.search("/" + name) is None
    )


_BAD_CHARS = '<>:"|?*'


def unicode_key(path: str) -> str:
    """A key equal for paths that differ only by case or Unicode normal form (NFC vs NFD)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())
