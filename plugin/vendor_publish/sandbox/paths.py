"""Pure helpers for accsyn endpoints (`party:path`), share-relative paths, ACL tests and sequences."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from vendor_publish.sandbox.errors import ApiError

SHARE_KEYWORDS = ("share", "folder", "home", "collection", "volume", "workarea")
_KEYWORD_RE = re.compile(r"^(share|folder|home|collection|volume|workarea)=", re.IGNORECASE)
_DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")
_SEQ_RE = re.compile(r"^(?P<head>.*?)%(?P<pad>0?\d*)d(?P<tail>[^\[]*)\[(?P<a>-?\d+)-(?P<b>-?\d+)\]$")


@dataclass(frozen=True)
class Endpoint:
    """An endpoint split into its party (None when omitted) and its path text."""

    party: str | None
    path: str


def is_local_absolute(path: str) -> bool:
    """True for a POSIX absolute path, a Windows drive, rooted (`\\x`) or UNC path."""
    return path.startswith(("/", "\\")) or bool(_DRIVE_RE.match(path))


def split_endpoint(text: str) -> Endpoint:
    """Split `party:path`, keeping Windows drive letters and `share=code:path` intact."""
    s = (text or "").strip()
    if not s or is_local_absolute(s) or s.startswith("~") or _KEYWORD_RE.match(s):
        return Endpoint(None, s)
    if ":" not in s:
        return Endpoint(None, s)
    party, rest = s.split(":", 1)
    party = party.strip()
    low = party.lower()
    if low.startswith(("site=", "client=")):
        return Endpoint(party, rest)
    if "@" in party:
        # `user@mail.com@Hostname` names one of the user's clients; the sandbox has one per user.
        bits = party.split("@")
        party = "@".join(bits[:2])
    return Endpoint(party, rest)


def clean_rel(path: str, *, what: str = "path") -> str:
    """Normalise a share/volume-relative path to `a/b/c`; refuse `..` (it would escape the share)."""
    parts = [p for p in (path or "").replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ApiError(403, f"The {what} '{path}' contains '..', which would leave the share; refused.")
    return "/".join(parts)


def has_trailing_sep(path: str) -> bool:
    """True when the path ends with / or \\ (meaning: into this folder)."""
    return path.endswith("/") or path.endswith("\\")


@dataclass(frozen=True)
class SharePath:
    """`share=<code>/<rel>` (or folder=, volume=, ...) taken apart."""

    keyword: str
    code: str
    rel: str
    into: bool


def parse_share_path(path: str) -> SharePath | None:
    """Parse accsyn path notation; accepts `/`, `\\` or the older `:` after the code."""
    m = _KEYWORD_RE.match(path)
    if not m:
        return None
    keyword = m.group(1).lower()
    rest = path[m.end():]
    code_match = re.match(r"^(\([^)]*\)|[^/\\:]*)[/\\:]?", rest)
    code = code_match.group(1) if code_match else rest
    rel_text = rest[code_match.end():] if code_match else ""
    return SharePath(keyword, code.strip(), clean_rel(rel_text), has_trailing_sep(path))


def rel_within(rel: str, base: str) -> bool:
    """True when `rel` is `base` or below it, compared on segment boundaries, case-insensitively."""
    r, b = clean_rel(rel).lower(), clean_rel(base).lower()
    return b == "" or r == b or r.startswith(b + "/")


def acl_allows(acls: list[dict], share_id: str, rel: str, need: str) -> bool:
    """True when one of the ACLs on the share grants `need` ("read"/"write") at `rel`."""
    for acl in acls:
        if acl.get("target") != f"share:{share_id}" or not acl.get(need):
            continue
        if rel_within(rel, acl.get("path") or ""):
            return True
    return False


def acl_leads_to(acls: list[dict], share_id: str, rel: str) -> bool:
    """True when `rel` is an ancestor of a readable ACL path (so listing it is allowed, filtered)."""
    for acl in acls:
        if acl.get("target") == f"share:{share_id}" and acl.get("read") and rel_within(acl.get("path") or "", rel):
            return True
    return False


def local_fs_path(path: str, local_root: Path) -> Path:
    """Where a user's local path lives on this machine.

    The sandbox plays every user's desktop app on this host. A Windows drive or UNC path on a
    POSIX host is mapped below the user's local root (`E:\\WORK\\x` -> `<root>/E/WORK/x`) so
    Windows-written scripts run unchanged; backslashes are separators either way.
    """
    if os.name == "nt":
        return Path(path)
    if _DRIVE_RE.match(path):
        parts = [p for p in path[2:].replace("\\", "/").split("/") if p]
        return local_root.joinpath(path[0].upper(), *parts)
    if path.startswith("\\\\"):
        parts = [p for p in path.replace("\\", "/").split("/") if p]
        return local_root.joinpath("UNC", *parts)
    return Path("/" + "/".join(p for p in path.replace("\\", "/").split("/") if p))


@dataclass(frozen=True)
class Sequence:
    """A frame sequence `dir/img.%04d.exr[1001-1100]`: the directory-less pattern and frames."""

    head: str
    pad: str
    tail: str
    first: int
    last: int

    def path(self, frame: int) -> str:
        """The full path for one frame."""
        digits = f"{frame:{self.pad}d}" if self.pad else str(frame)
        return f"{self.head}{digits}{self.tail}"


def parse_sequence(path: str) -> Sequence | None:
    """Recognise `...%04d...[first-last]`; None for an ordinary path."""
    m = _SEQ_RE.match(path)
    if not m:
        return None
    a, b = int(m.group("a")), int(m.group("b"))
    if b < a:
        raise ApiError(400, f"Frame range [{a}-{b}] in '{path}' runs backwards.")
    return Sequence(m.group("head"), m.group("pad"), m.group("tail"), a, b)


def basename(path: str) -> str:
    """The last segment of a path written with / or \\."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    return parts[-1] if parts else ""


def join_rel(*parts: str) -> str:
    """Join relative segments with /."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))
