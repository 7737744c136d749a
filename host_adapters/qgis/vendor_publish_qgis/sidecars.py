"""The files that travel with a data file, as QGIS decides, found with one listing per folder.

``QgsFileUtils.sidecarFilesForPath`` asks every file-based provider for its candidates
(``QgsProviderMetadata.sidecarFilesForUri``: about 20 names for a shapefile) and stats each
one: 500 layers cost 10,000 stats and 4,000 provider calls. QGIS stays the authority on what a
sidecar is, but the candidates only depend on the file's suffix, so we ask the providers once
per suffix (a "template": the tails QGIS appends to the name's stem) and test the candidates
against a listing of the folder, made once per collection. Anything the template cannot
express, a folder that cannot be listed, and the first data files of a folder (see
``LIST_AFTER``) go to ``sidecarFilesForPath`` itself.

A listed folder's case-folded names are also kept sorted: when every tail starts with a dot,
a data file's candidates are among the few names that start with ``<stem>.``, found by bisection,
so a click scans a shapefile's 5 neighbours instead of building and looking up ~20 candidates.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable
from typing import Optional

from qgis.core import QgsFileUtils, QgsProviderMetadata, QgsProviderRegistry

#: (sidecar names, the paths QGIS's own call gave instead or None, style file names): ``names_around``
Around = tuple[list[str], Optional[list[str]], list[str]]  # a runtime alias: "| None" needs Python 3.10
#: Probe names: QGIS's candidates for both must be "stem + the same tails", or we do not trust
#: the template (e.g. a provider that cut the name at its first dot instead of its last).
PROBE_STEMS = ("vpprobe", "vp.probe")
#: A folder is listed when this many of its data files have been asked about; the ones before
#: go to QGIS's own call. One layer's file in a folder of 50,000 tiles costs ~20 stats, not a
#: listing of 50,000 names; a folder holding many layers' data is listed once.
LIST_AFTER = 3


def _providers() -> list[QgsProviderMetadata]:
    """The providers ``sidecarFilesForPath`` consults: the file-based ones."""
    registry = QgsProviderRegistry.instance()
    found = []
    for key in registry.providerList():
        metadata = registry.providerMetadata(key)
        if metadata is not None and metadata.providerCapabilities() & QgsProviderMetadata.FileBasedUris:
            found.append(metadata)
    return found


class SidecarFinder:
    """Sidecars, style files and existence of data files for one collection (main thread)."""

    def __init__(self, list_after: int = LIST_AFTER) -> None:
        self.list_after = list_after
        self._asked: dict[str, int] = {}  # data files asked about per folder not listed yet
        self._providers: list[QgsProviderMetadata] | None = None
        self._tails: dict[str, tuple[str, ...] | None] = {}
        self._by_fold: dict[str, dict[str, list[str]] | None] = {}  # a suffix's tails by case-folded text
        self._folders: dict[str, dict[str, os.DirEntry] | None] = {}
        self._folded: dict[str, set[str]] = {}  # case-folded names per listed folder
        self._sorted: dict[str, list[str]] = {}  # the same, sorted (for prefix searches)
        self._ends: dict[tuple[str, ...], tuple[str, ...] | None] = {}  # style suffixes, case-folded
        self.listed = 0  # folders listed, for the benchmark's note
        self.fallbacks = 0  # paths whose sidecars came from sidecarFilesForPath

    # -- the folder listings ------------------------------------------------------------------

    def _listing(self, folder: str, *, asking: bool = False) -> dict[str, os.DirEntry] | None:
        """The folder's entries by name; None while it is not (or cannot be) listed: stat instead."""
        if folder not in self._folders:
            if not asking:
                return None
            self._asked[folder] = self._asked.get(folder, 0) + 1
            if self._asked[folder] < self.list_after:
                return None
            try:
                with os.scandir(folder or ".") as it:
                    listing = {entry.name: entry for entry in it}
                self._folders[folder] = listing
                folded = self._folded[folder] = {name.casefold() for name in listing}
                self._sorted[folder] = sorted(folded)
                self.listed += 1
            except OSError:  # e.g. a folder we may read files in but not list: stat instead
                self._folders[folder] = None
        return self._folders[folder]

    def _exists_in(self, folder: str, name: str) -> bool:
        """``QFile::exists`` for ``folder/name``, answered by the folder's listing."""
        listing = self._listing(folder)
        if listing is None:
            return os.path.exists(os.path.join(folder, name))
        entry = listing.get(name)
        if entry is not None and not entry.is_symlink():
            return True
        if entry is None and name.casefold() not in self._folded[folder]:
            return False
        # a symlink (is its target there?), or another case on a case-insensitive file system
        return os.path.exists(os.path.join(folder, name))

    def exists(self, path: str) -> bool:
        """``QFile::exists``: the path is there (a file or a folder, symlinks followed)."""
        return self._exists_in(*os.path.split(path))

    def is_file(self, path: str) -> bool:
        """``os.path.isfile`` from the listing (no stat unless the entry is a symlink)."""
        return self._is_file_in(*os.path.split(path))

    def _is_file_in(self, folder: str, name: str) -> bool:
        listing = self._listing(folder)
        if listing is None:
            return os.path.isfile(os.path.join(folder, name))
        entry = listing.get(name)
        if entry is None:
            return name.casefold() in self._folded[folder] and os.path.isfile(os.path.join(folder, name))
        try:
            return entry.is_file()
        except OSError:
            return False

    def _dotted(self, folder: str, stem_cf: str, most: int) -> list[str] | None:
        """The listed names (case-folded) starting with ``stem_cf + "."``; None if over ``most``."""
        names = self._sorted[folder]
        # they sort between "<stem>." and "<stem>/" ("/" follows "." in every code table)
        first = bisect_left(names, stem_cf + ".")
        end = bisect_left(names, stem_cf + "/", first)
        if end - first > most:  # "DEM.1.tif", "DEM.2.tif"...: looking candidates up is cheaper
            return None
        return names[first:end]

    # -- QGIS's sidecar rules -----------------------------------------------------------------

    def _candidates_from_qgis(self, path: str) -> set[str]:
        if self._providers is None:
            self._providers = _providers()
        found: set[str] = set()
        for metadata in self._providers:
            found.update(metadata.sidecarFilesForUri(path))
        return found

    def _learn(self, folder: str, suffix: str) -> tuple[str, ...] | None:
        """The tails QGIS appends to a ``<stem>.<suffix>`` file's stem, or None if not that simple."""
        if not hasattr(QgsProviderMetadata, "sidecarFilesForUri"):  # QGIS < 3.22
            return None
        learned: set[tuple[str, ...]] = set()
        probe_folder = folder.replace("\\", "/")
        for stem in PROBE_STEMS:
            tails = []
            for candidate in self._candidates_from_qgis(f"{probe_folder}/{stem}.{suffix}"):
                cand_folder, _, cand_name = candidate.replace("\\", "/").rpartition("/")
                if cand_folder != probe_folder or not cand_name.startswith(stem):
                    return None
                tails.append(cand_name[len(stem):])
            learned.add(tuple(sorted(tails)))
        return learned.pop() if len(learned) == 1 else None

    def sidecars(self, path: str) -> list[str]:
        """What ``sorted(QgsFileUtils.sidecarFilesForPath(path))`` returns, found with the listing."""
        return self.around(path)[0]

    def around(self, path: str, style_suffixes: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
        """``(sidecars(path), beside(path, style_suffixes))``, from one look at the file's neighbours."""
        names, given, styles = self.names_around(path, style_suffixes)
        head = os.path.join(os.path.dirname(path), "")  # + name: os.path.join for a plain name, without its cost
        return (given if given is not None else [head + one for one in names]), [head + one for one in styles]

    def names_around(self, path: str, style_suffixes: tuple[str, ...] = ()) -> Around:
        """``around`` as names in the file's folder: (sidecar names, sorted; or [] and the paths
        ``sidecarFilesForPath`` gave when QGIS's own call answered; style file names, sorted)."""
        folder, name = os.path.split(path)
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem or not suffix:  # no suffix, ".name", "name.": QGIS's own call decides
            return [], self._fallback(path), self._beside_names(folder, name, style_suffixes)
        listing = self._listing(folder, asking=True)
        if listing is None:
            return [], self._fallback(path), self._beside_names(folder, name, style_suffixes)
        if suffix not in self._tails:
            self._tails[suffix] = self._learn(folder, suffix)
            self._by_fold[suffix] = _by_fold(self._tails[suffix])
        tails, by_fold = self._tails[suffix], self._by_fold[suffix]
        if tails is None:
            return [], self._fallback(path), self._beside_names(folder, name, style_suffixes)
        stem_cf = stem.casefold()
        dotted = self._dotted(folder, stem_cf, len(tails)) if by_fold is not None else None
        if dotted is None:  # a tail without a leading dot, or a crowded stem: one lookup per candidate
            folded = self._folded[folder]
            present = [stem + tail for tail in tails if (stem + tail).casefold() in folded]
            return self._there(folder, present), None, self._beside_names(folder, name, style_suffixes)
        cut = len(stem_cf)
        present = [stem + tail for one in dotted for tail in by_fold.get(one[cut:], ())]  # type: ignore[union-attr]
        styles = self._beside_names(folder, name, style_suffixes) if self._styled(dotted, style_suffixes) else []
        return self._there(folder, present), None, styles

    def _styled(self, dotted: list[str], suffixes: tuple[str, ...]) -> bool:
        """False when no ``beside`` file can exist: none of the dotted names ends with a suffix."""
        if not suffixes:
            return False
        if suffixes not in self._ends:
            dotted_only = all(suffix.startswith(".") for suffix in suffixes)
            self._ends[suffixes] = tuple(suffix.casefold() for suffix in suffixes) if dotted_only else None
        ends = self._ends[suffixes]
        if ends is None:
            return True
        # "<stem>.qml" and "<name>.qml" both start with "<stem>." (also where splitext keeps a
        # name of leading dots whole: "..shp")
        for one in dotted:
            if one.endswith(ends):
                return True
        return False

    def _there(self, folder: str, names: list[str]) -> list[str]:
        """The names that exist in the folder, sorted (the few listed names get the exact test)."""
        if not names:
            return names
        listing = self._folders[folder]
        found = []
        for name in names:
            entry = listing.get(name)  # type: ignore[union-attr]
            if (entry is not None and not entry.is_symlink()) or self._exists_in(folder, name):
                found.append(name)
        found.sort()
        return found

    def _fallback(self, path: str) -> list[str]:
        self.fallbacks += 1
        return sorted(QgsFileUtils.sidecarFilesForPath(path))

    def beside(self, path: str, suffixes: Iterable[str]) -> list[str]:
        """Files named ``<path><suffix>`` or ``<path without extension><suffix>`` that exist."""
        folder, name = os.path.split(path)
        return [os.path.join(folder, one) for one in self._beside_names(folder, name, suffixes)]

    def _beside_names(self, folder: str, name: str, suffixes: Iterable[str]) -> list[str]:
        names = {base + suffix for base in (os.path.splitext(name)[0], name) for suffix in suffixes}
        if not names:
            return []
        if self._listing(folder) is not None:
            names = {one for one in names if one.casefold() in self._folded[folder]}
        return sorted(one for one in names if self._is_file_in(folder, one))


def _by_fold(tails: tuple[str, ...] | None) -> dict[str, list[str]] | None:
    """Tails by their case-folded text; None unless all start with a dot (so all are ``<stem>.``...)."""
    if tails is None or not all(tail.startswith(".") for tail in tails):
        return None
    by_fold: dict[str, list[str]] = {}
    for tail in tails:
        by_fold.setdefault(tail.casefold(), []).append(tail)
    return by_fold
