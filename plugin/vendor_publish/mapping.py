"""Where a vendor's local file lands on the studio share.

Rules, first match wins:

(a) a file already inside the local copy of the upload root (``<share_local_root>/<upload_root>``)
    maps to itself;
(b) a file under the project root keeps its layout below the upload root; when that layout
    already starts with the upload root's own folders (the project root *is* the share's local
    copy, as in accsyn's tutorial, but ``share_local_root`` was not given) those folders are not
    repeated, so (a) and (b) agree;
(c) anything else goes to ``<upload_root>/<externals_dir>/<origin>``, where the origin keeps the
    drive letter, ``UNC/<server>/<share>`` or the POSIX folders so two externals stay apart.

Every destination is validated with ``share_relative`` and checked with ``is_under_root``; a
path that cannot be mapped safely raises ``UnsafePathError``, never lands elsewhere.
"""

from __future__ import annotations

import os

import unicodedata
from dataclasses import dataclass
from pathlib import PurePath, PureWindowsPath
from typing import Iterable

from .errors import UnsafePathError
from .models import MappingKind
from .paths import (
    PathLike,
    is_under_root,
    is_within,
    key_parts,
    parse_local,
    relative_parts,
    share_relative,
    split_name,
    unicode_key,
)

DEFAULT_EXTERNALS_DIR = "_external"
DEFAULT_UPLOAD_ROOT_TEMPLATE = "FROM_VENDORS/{user}"


@dataclass(frozen=True)
class Mapped:
    """A local path's place on the share."""

    destination: str  # share-relative, '/'-separated, always at or below the upload root
    kind: MappingKind
    relative: str  # destination below the upload root ('' for the upload root itself)


def upload_root_for(template: str, user: str) -> str:
    """Render the upload root (e.g. ``FROM_VENDORS/{user}``) for a user, validated as a share path.

    The user's e-mail is kept exactly (``+`` and case included): accsyn compares ACL paths
    case-insensitively, so the account's own spelling is always accepted and is the one the
    studio will recognise. Backslashes in the template (as in accsyn's tutorial) count as '/'.
    """
    if not user or "/" in user or "\\" in user:
        raise UnsafePathError(
            f"The user name {user!r} cannot be part of the upload folder.",
            hint="Use the e-mail address of your accsyn account.",
        )
    rendered = template.replace("\\", "/").strip("/").replace("{user}", user)
    return share_relative(rendered)


def _fold(segments: Iterable[str]) -> list[str]:
    return [unicodedata.normalize("NFC", s).lower() for s in segments]


def _origin_parts(p: PurePath) -> list[str]:
    if isinstance(p, PureWindowsPath):
        drive = p.drive
        if drive.startswith("\\\\"):
            server, share = drive[2:].split("\\", 1)
            head = ["UNC", server, share]
        else:
            head = [drive[0].upper()]
        return head + list(p.parts[1:])
    return list(p.parts[1:])


class Mapper:
    """Maps local files, folders and sequence patterns onto the share for one publish."""

    def __init__(
        self,
        project_root: PathLike,
        upload_root: str,
        share_local_root: PathLike | None = None,
        externals_dir: str = DEFAULT_EXTERNALS_DIR,
    ) -> None:
        self.project_root = parse_local(project_root)
        if not self.project_root.is_absolute():
            raise UnsafePathError(
                f"The project folder {str(project_root)!r} is not an absolute path.",
                hint="Save the project, or give the project folder's full path.",
            )
        self.upload_root = share_relative(upload_root.replace("\\", "/").strip("/"))
        self._upload_segments = self.upload_root.split("/")
        share_relative(externals_dir)
        if "/" in externals_dir:
            raise UnsafePathError(f"The externals folder name {externals_dir!r} must be one plain name.")
        self.externals_dir = externals_dir
        self.share_local_root: PurePath | None = None
        self.upload_local_root: PurePath | None = None
        if share_local_root is not None and str(share_local_root) != "":
            self.share_local_root = parse_local(share_local_root)
            if not self.share_local_root.is_absolute():
                raise UnsafePathError(
                    f"The share's local folder {str(share_local_root)!r} is not an absolute path.",
                    hint="Check the ACCSYN_<VOLUME>_PATH setting: it must be a full path.",
                )
            self.upload_local_root = self.share_local_root.joinpath(*self._upload_segments)
            self._upload_keys = key_parts(self.upload_local_root)
        self._project_keys = key_parts(self.project_root)
        # Files of one folder share its mapping: a host's thousand textures in tex/ cost one
        # full mapping of tex/ and a cheap check of each name (see map()).
        self._folders: dict[str, Mapped] = {}
        self._native = isinstance(self.project_root, type(PurePath()))

    @staticmethod
    def _inside(p: PurePath, keys: list[str], root: PurePath, root_keys: list[str]) -> bool:
        # Same answer as paths.is_within, with the root's keys computed once per publish.
        return type(p) is type(root) and len(keys) >= len(root_keys) and keys[: len(root_keys)] == root_keys

    def _finish(self, segments: Iterable[str], kind: MappingKind, source: str) -> Mapped:
        segments = list(segments)
        try:
            destination = share_relative(self.upload_root, *segments)
        except UnsafePathError as exc:
            raise UnsafePathError(
                f"The file {source!r} cannot be placed on the share safely: {exc}",
                hint="Rename the file or folder so its name has no backslashes, control characters "
                "or names made only of dots.",
            ) from exc
        if not is_under_root(destination, self.upload_root):  # defence in depth; should not happen
            raise UnsafePathError(f"The file {source!r} would land outside {self.upload_root!r}.")
        return Mapped(destination, kind, "/".join(segments))

    def local(self, path: PathLike) -> PurePath:
        """The normalised absolute local path (relative paths count from the project folder)."""
        return parse_local(path, base=self.project_root)

    def map(self, path: PathLike, *, is_dir: bool = False) -> Mapped:
        """Map one local file (or folder, with ``is_dir``) onto the share."""
        if not is_dir and isinstance(path, str):
            fast = self.plain_file(path)
            if fast is not None:
                return fast
        return self._map(path, is_dir=is_dir)

    def plain_file(self, path: str) -> Mapped | None:
        """The folder's mapping plus the file name, for a plain name in a normalised absolute path; else None."""
        if not self._native:
            return None
        cut = path.rfind(os.sep)
        if cut <= 0:
            return None
        folder, name = path[:cut], path[cut + 1:]
        mapped = self._folders.get(folder)  # a remembered folder was checked normalised and absolute
        if mapped is None:
            if not (os.path.isabs(folder) and os.path.normpath(folder) == folder):
                return None
            mapped = self._folder_mapping(folder)
            if mapped is None:
                return None  # let the full mapping of the file say what is wrong
        if not simple_name(name):
            return None
        relative = f"{mapped.relative}/{name}" if mapped.relative else name
        return Mapped(f"{mapped.destination}/{name}", mapped.kind, relative)

    def _folder_mapping(self, folder: str) -> Mapped | None:
        """A folder's mapping (None when unsafe), remembered; below the upload root, its parent's plus its name.

        Inside the upload folder no rule boundary lies below a folder, so a child with a plain
        name maps by appending it: 500 layer folders cost one full mapping, not 500.
        """
        mapped = self._folders.get(folder)
        if mapped is not None:
            return mapped
        parent, name = os.path.split(folder)
        if name and parent != folder and simple_name(name):
            above = self._folder_mapping(parent)
            if above is not None and above.kind is MappingKind.UPLOAD_ROOT:
                mapped = Mapped(f"{above.destination}/{name}", above.kind,
                                f"{above.relative}/{name}" if above.relative else name)
        if mapped is None:
            try:
                mapped = self._map(folder, is_dir=True)
            except UnsafePathError:
                return None
        self._folders[folder] = mapped
        return mapped

    def _map(self, path: PathLike, *, is_dir: bool = False) -> Mapped:
        source = str(path)
        p = self.local(path)
        keys = key_parts(p)
        if self.upload_local_root is not None and self._inside(p, keys, self.upload_local_root, self._upload_keys):
            rel = p.parts[len(self._upload_keys):]
            kind = MappingKind.UPLOAD_ROOT
        elif self._inside(p, keys, self.project_root, self._project_keys):
            rel = p.parts[len(self._project_keys):]
            kind = MappingKind.PROJECT
            n = len(self._upload_segments)
            if len(rel) >= n and _fold(rel[:n]) == _fold(self._upload_segments):
                rel, kind = rel[n:], MappingKind.UPLOAD_ROOT
        else:
            rel = (self.externals_dir, *_origin_parts(p))
            kind = MappingKind.EXTERNAL
        if not rel and not is_dir:
            raise UnsafePathError(
                f"The file {source!r} is the upload folder itself, not a file inside it.",
                hint="Check the project folder and the share's local folder settings.",
            )
        return self._finish(rel, kind, source)

    def map_pattern(self, pattern: str) -> Mapped:
        """Map a sequence pattern or file path: its folder maps like a folder, its name is kept."""
        directory, name = split_name(pattern)
        if not name:
            raise UnsafePathError(f"The pattern {pattern!r} has no file name.")
        folder = self.map(directory or ".", is_dir=True)
        segments = (folder.relative.split("/") if folder.relative else []) + [name]
        return self._finish(segments, folder.kind, pattern)

    def share_path(self, path: PathLike) -> str | None:
        """The share-relative path of a local file inside the share's local copy, else None."""
        if self.share_local_root is None:
            return None
        p = self.local(path)
        if not is_within(p, self.share_local_root):
            return None
        rel = relative_parts(p, self.share_local_root)
        return share_relative(*rel) if rel else None


def simple_name(name: str) -> bool:
    """A name share_relative accepts as is (no check needed): printable ASCII, no separator, drive or dots only."""
    return (
        name.isascii()
        and name.isprintable()
        and "\\" not in name
        and "/" not in name
        and ":" not in name
        and name.strip(". ") != ""
    )


def map_path(
    path: PathLike,
    *,
    project_root: PathLike,
    upload_root: str,
    share_local_root: PathLike | None = None,
    externals_dir: str = DEFAULT_EXTERNALS_DIR,
    is_dir: bool = False,
) -> Mapped:
    """Map one local path onto the share (see the module rules); prefer ``Mapper`` for many."""
    return Mapper(project_root, upload_root, share_local_root, externals_dir).map(path, is_dir=is_dir)


def _source_key(source: str) -> str:
    # The same Windows file spelled with another case is one source, not a collision.
    try:
        p = parse_local(source)
    except UnsafePathError:
        return source
    if isinstance(p, PureWindowsPath):
        return str(p).lower()
    return str(p)


def find_collisions(destinations: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Destinations that distinct sources would share once case and Unicode form are ignored.

    Takes (source, destination) pairs; returns (first destination seen, sorted sources) for each
    group with more than one distinct source, ordered by destination.
    """
    groups: dict[str, tuple[str, dict[str, str]]] = {}
    for source, destination in destinations:
        key = unicode_key(destination)
        first, sources = groups.setdefault(key, (destination, {}))
        sources.setdefault(_source_key(source), source)
    result = [(first, sorted(sources.values())) for first, sources in groups.values() if len(sources) > 1]
    return sorted(result)


