"""Files a data file needs that are not sidecars: a SQLite database's write-ahead log, a VRT's sources.

QGIS writes GeoPackage and SpatiaLite edits to ``<file>-wal`` first (WAL journal mode); until
SQLite checkpoints them into the database, a copy of the database alone loses them. The WAL
travels with its database as one of its item's companions (SQLite replays it when the studio
opens the copy); ``-shm`` is a per-machine index SQLite rebuilds, so it stays. A GDAL/OGR VRT is
an XML file naming the files it reads (``SourceFilename`` for rasters, ``SrcDataSource`` for
vectors), relative to the VRT when ``relativeToVRT="1"``.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

#: Suffixes (lower case) of the SQLite-based formats QGIS edits in place.
SQLITE_SUFFIXES = (".gpkg", ".sqlite", ".db", ".spatialite", ".mbtiles")
#: Suffixes (lower case) of GDAL's and OGR's virtual formats.
VRT_SUFFIXES = (".vrt", ".ovf")
#: Elements naming a VRT's inputs: rasters (incl. overviews and masks) and vector layers.
VRT_SOURCE_TAGS = ("SourceFilename", "SrcDataSource")


def wal_of(path: str) -> str:
    """The write-ahead log SQLite keeps beside a database (it may not exist)."""
    return path + "-wal"


def is_sqlite(path: str) -> bool:
    """True for a GeoPackage or SpatiaLite file (by suffix, as QGIS's providers pick them)."""
    return path.lower().endswith(SQLITE_SUFFIXES)


def is_vrt(path: str) -> bool:
    """True for a GDAL raster VRT or an OGR vector VRT."""
    return path.lower().endswith(VRT_SUFFIXES)


def vrt_sources(path: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(source paths the VRT names, problems as (what happened, what to do)).

    Sources are resolved as GDAL resolves them; one may still be a ``/vsizip/...`` path: the
    caller decides what is a local file. Unreadable XML is a problem, not an exception.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        return [], [(f"could not be read to find the files it uses ({type(exc).__name__}: {exc}); "
                     "those files are not in this publish",
                     "Open the VRT in a text editor or QGIS, repair or rebuild it (gdalbuildvrt), "
                     "save and publish again.")]
    folder = os.path.dirname(path)
    found: list[str] = []
    problems: list[tuple[str, str]] = []
    for tag in VRT_SOURCE_TAGS:
        for element in root.iter(tag):
            text = (element.text or "").strip()
            if not text:
                continue
            if element.get("relativeToVRT", "0").strip() == "1" and not text.startswith("/vsi"):
                found.append(os.path.normpath(os.path.join(folder, text)))
            elif os.path.isabs(text) or text.startswith("/vsi"):
                found.append(text)
            elif ":" in text.split(os.sep, 1)[0]:
                continue  # a connection string ("PG:...", "WMS:..."): not a file
            else:
                problems.append((f"names {text!r} relative to the folder GDAL happens to run in, not to the VRT; "
                                 "that file is not in this publish",
                                 "Rebuild the VRT from its own folder (gdalbuildvrt writes relativeToVRT=\"1\" "
                                 "paths), save and publish again."))
    return list(dict.fromkeys(found)), problems
