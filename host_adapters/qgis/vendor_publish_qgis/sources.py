"""What one map layer reads from disk, decided by QGIS's provider registry (QGIS main thread).

A layer is file-backed when ``QgsProviderRegistry.decodeUri(provider, source)`` gives a
``path``; a source inside a GDAL ``/vsizip/`` (or ``/vsitar/``...) archive is the archive. The
files beside it that travel with it are its item's ``companions`` (one plan entry with it): QGIS's
sidecars (``QgsFileUtils.sidecarFilesForPath``'s rules, tested against one folder listing: see
``sidecars``; GDAL's own list misses ``.cpg``) and a GeoPackage's write-ahead log. The style
files QGIS loads by default beside it are optional items (the analyst may leave them out). A VRT's sources (``companions.vrt_sources``) are items of their
own, as they may live anywhere. Sources with no path are remote or in memory and become
findings; the source string itself never appears in a finding, as database URIs can carry
passwords.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from qgis.core import QgsDataSourceUri, QgsMapLayer, QgsProviderRegistry

from . import companions, decoding
from .refs import finding, item, layer_origin
from .sidecars import Around, SidecarFinder

#: How deep VRTs that read other VRTs are followed.
VRT_DEPTH = 4
#: GDAL virtual file systems that read over the network: the source is not a local file.
REMOTE_VSI = ("/vsicurl", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss", "/vsiswift", "/vsiwebhdfs",
              "/vsihdfs")
#: Providers whose layers live only in the QGIS session (their features are not in any file).
SESSION_PROVIDERS = {"memory"}
#: Providers computed from other layers of the project (those layers are collected themselves).
DERIVED_PROVIDERS = {"virtual"}
#: Style and metadata files QGIS loads by default beside a data file ("Load default style").
STYLE_SUFFIXES = (".qml", ".qmd", ".sld")

LAYER_KINDS = {
    QgsMapLayer.VectorLayer: "vector",
    QgsMapLayer.RasterLayer: "raster",
    QgsMapLayer.MeshLayer: "mesh",
    QgsMapLayer.VectorTileLayer: "vector tiles",
    QgsMapLayer.PointCloudLayer: "point cloud",
}


def decode(provider: str, source: str, registry: Any = None) -> dict[str, Any]:
    """The provider registry's parts of a layer's source (empty when it cannot tell)."""
    try:
        return dict((registry or QgsProviderRegistry.instance()).decodeUri(provider, source) or {})
    except Exception:  # a provider that cannot decode its own source: treat as having no path
        return {}


def local_file(parts: dict[str, Any]) -> str | None:
    """The local file a decoded source reads, or None (no path, or a network VSI path)."""
    path = parts.get("path")
    if not path or not isinstance(path, str):
        return None
    prefix = parts.get("vsiPrefix") or ""
    if path.startswith("/vsi"):
        if path.startswith(REMOTE_VSI) or prefix.startswith(REMOTE_VSI):
            return None
        return _archive_of(path)
    if prefix and prefix.startswith(REMOTE_VSI):
        return None
    if path.startswith("file://"):
        path = path[len("file://"):]
    return os.path.abspath(path)


def _archive_of(vsi_path: str) -> str | None:
    """The archive file of a ``/vsizip/a/b.zip/inner`` path the registry did not split."""
    rest = vsi_path.split("/", 2)[2] if vsi_path.count("/") >= 2 else ""
    candidate = "/" + rest.lstrip("/")
    while candidate not in ("", "/"):
        if os.path.isfile(candidate):
            return candidate
        candidate = os.path.dirname(candidate)
    return None


def remote_where(parts: dict[str, Any]) -> str:
    """Where a remote source lives, without credentials: host[:port] or the URL's host."""
    host = parts.get("host") or parts.get("service")
    if host:
        port = parts.get("port")
        return f"{host}:{port}" if port else str(host)
    url = parts.get("url") or parts.get("path") or ""
    if isinstance(url, str) and url:
        for prefix in REMOTE_VSI:
            if url.startswith(prefix):
                url = url.split("/", 2)[2] if url.count("/") >= 2 else url
        try:
            split = urlsplit(url)
        except ValueError:
            return "a remote server"
        if split.hostname:
            return f"{split.hostname}:{split.port}" if split.port else split.hostname
    return "a remote server"


class LayerSource(NamedTuple):
    """What QGIS says about one layer's source, asked in one go (main thread)."""

    layer: QgsMapLayer
    name: str
    provider: str
    parts: dict[str, Any]  # the provider registry's decodeUri
    valid: bool
    kind: str


def read_layers(layers: list[QgsMapLayer]) -> list[LayerSource | Exception]:
    """Ask QGIS about each layer's source (or keep the exception it raised): the provider registry's
    parts, validity, kind. The layers are asked on this (the main) thread; the sources are then
    decoded together, partly on helper threads (``decoding``)."""
    asked: list[tuple[Any, ...] | Exception] = []
    for layer in layers:
        try:
            asked.append((layer, layer.name(), layer.providerType(), layer.source(), layer.isValid(),
                          LAYER_KINDS.get(layer.type(), "layer")))
        except Exception as exc:
            asked.append(exc)
    registry = QgsProviderRegistry.instance()
    answered = [one for one in asked if not isinstance(one, Exception)]
    parts = iter(decoding.decode_all([(one[2], one[3]) for one in answered],
                                     lambda provider, source: decode(provider, source, registry)))
    return [one if isinstance(one, Exception) else LayerSource(one[0], one[1], one[2], next(parts), one[4], one[5])
            for one in asked]


def not_a_file(source: LayerSource, origin: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The findings about a layer whose source is no local file (main thread: asks the layer)."""
    return _not_a_file(source.layer, source.parts, origin)


def file_refs(source: LayerSource, path: str, files: SidecarFinder, origin: str,
              refs: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Add what a read layer uses on disk (its local file ``path``) to ``refs``; what was added
    before an exception stays. Any thread: the layer itself is not asked anything."""
    name, parts = source.name, source.parts
    kind = source.kind
    inner = parts.get("layerName")
    if isinstance(inner, str) and inner:
        kind = f"{kind} (table {inner!r})"  # a GeoPackage or SpatiaLite file holds many
    exists = files.is_file(path)
    if not source.valid:
        if not exists:
            refs.append(("finding", finding(
                "invalid-layer", "error",
                f"Layer {name!r} cannot be loaded: its file is missing: {path}",
                path=path, origin=origin,
                fix="In QGIS, fix the layer's source (Layer > Change Data Source, or the Handle Unavailable "
                    "Layers dialog), save the project and publish again; or remove the layer.")))
            return refs
        refs.append(("finding", finding(
            "invalid-layer", "warning",
            f"QGIS cannot read layer {name!r} from {path}; the file is published as it is.",
            path=path, origin=origin,
            fix="Open the layer in QGIS to see why it does not load (a damaged or unsupported file?).")))
    data = item(path, origin, kind)
    refs.append(("item", data))
    if exists:
        _travelling_with(data, origin, files, refs, around=files.names_around(path, STYLE_SUFFIXES))
    return refs


def _travelling_with(data: dict[str, Any], origin: str, files: SidecarFinder, refs: list[tuple[str, dict[str, Any]]],
                     depth: int = 0, seen: set[str] | None = None, around: Around | None = None) -> None:
    """Give an existing file's item its companions (sidecars, a database's write-ahead log), add its
    default style files as optional items and a VRT's sources (with theirs) as items of their own."""
    path = data["path"]
    names, given, styles = files.names_around(path) if around is None else around
    if given:  # QGIS's own call answered with paths
        names = _names_beside(path, given, origin, refs)
    beside = list(names)
    if styles:  # a default style is the analyst's choice to send: an optional item of its own
        folder = os.path.dirname(path)
        refs.extend(("item", item(os.path.join(folder, style), origin, "style", optional=True)) for style in styles)
    wal = companions.wal_of(path)
    # an empty log holds no edits (SQLite truncates it after a checkpoint): no "empty file" warning
    if companions.is_sqlite(path) and files.is_file(wal) and _size_or_zero(wal) > 0:
        beside = [*beside, os.path.basename(wal)]
    if beside:
        data["companions"] = beside
    if not companions.is_vrt(path) or depth >= VRT_DEPTH:
        return
    seen = seen if seen is not None else {path}
    names, problems = companions.vrt_sources(path)
    for what, fix in problems:
        refs.append(("finding", finding("vrt-source", "warning", f"The VRT {path} used by {origin} {what}.",
                                        path=path, origin=origin, fix=fix)))
    for name in names:
        source = local_file({"path": name})
        if source is None or source in seen:
            continue  # a network source, or a file already listed
        seen.add(source)
        used = item(source, f"{origin} through {os.path.basename(path)}", "VRT source")
        refs.append(("item", used))
        if files.is_file(source):  # a missing one is the planner's finding
            _travelling_with(used, origin, files, refs, depth + 1, seen)


def _names_beside(path: str, found: list[str], origin: str, refs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The names of QGIS's sidecar paths in ``path``'s folder (its companions); any elsewhere become items."""
    folder = os.path.dirname(path)
    head = os.path.join(folder, "")
    cut = len(head)
    names = []
    for one in found:
        name = one[cut:]
        if one.startswith(head) and "/" not in name and os.sep not in name:
            names.append(name)
            continue
        # QGIS may spell the folder otherwise ("/" on Windows, a doubled separator)
        other, name = os.path.split(one)
        if os.path.normcase(os.path.normpath(other)) == os.path.normcase(folder):
            names.append(name)
        else:  # no rule QGIS has today puts a sidecar in another folder; kept if one ever does
            refs.append(("item", item(one, origin, "sidecar")))
    return names


def _size_or_zero(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # gone since the listing (SQLite removes the log when the last connection closes)
        return 0


def _not_a_file(layer: QgsMapLayer, parts: dict[str, Any], origin: str) -> Iterator[tuple[str, dict[str, Any]]]:
    name = layer.name()
    provider = layer.providerType()
    if provider in DERIVED_PROVIDERS:
        return
    if provider in SESSION_PROVIDERS:
        yield "finding", finding(
            "temporary-layer", "warning",
            f"Layer {name!r} is a temporary scratch layer: its features live only in this QGIS session "
            "and are not in any file that can be published.",
            origin=origin,
            fix="Right-click the layer > Make Permanent (e.g. as a GeoPackage inside the project folder), "
                "save the project and publish again.")
        return
    where = remote_where(parts)
    if where == "a remote server":
        # providers whose decodeUri gives nothing (WFS in 3.22) still use QGIS's key='value' URIs
        uri = QgsDataSourceUri(layer.source())
        where = remote_where({"host": uri.host(), "port": uri.port(), "url": uri.param("url")})
    state = "" if layer.isValid() else " (it cannot be reached from here right now)"
    yield "finding", finding(
        "remote-source", "warning",
        f"Layer {name!r} reads from {where} through {provider}{state}; remote data is not uploaded, "
        "the studio must reach the same service.",
        origin=origin,
        fix="If the studio cannot reach that service, export the layer to a file inside the project folder "
            "(Export > Save Features As...), point the project at it and publish again.")


def layer_origin_of(layer: QgsMapLayer, embedded_from: str | None = None) -> str:
    """The origin string used for everything a layer uses."""
    return layer_origin(layer.name(), layer.providerType(), embedded_from and os.path.basename(embedded_from))
