"""Gather what a loaded QGIS project uses as a raw collection, in two steps.

``read_project`` asks QGIS (main thread only: layers, their decoded sources, symbols, layouts);
``resolve`` looks at the files behind the answers (sidecars, style files, a GeoPackage's log, a
VRT's sources) on any thread, so the plugin does it in its planning task, off QGIS's main thread.
The result is a JSON-ready dict shaped like ``vendor_publish.models.Collection`` (see ``refs``).
One layer or layout that cannot be read becomes a finding and the scan goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from qgis.core import Qgis, QgsLayerTreeGroup, QgsProject

from . import images, sources
from .refs import finding, item, layer_origin
from .sidecars import SidecarFinder

HOST = "qgis"
#: ``os.path.normcase`` lowers names here (Windows); on POSIX it leaves them as they are.
CASE_BLIND = os.path.normcase("A") != "A"
T = TypeVar("T")


def _unreadable(what: str, exc: BaseException) -> dict[str, Any]:
    return finding(
        "unreadable-reference", "warning",
        f"Could not read what {what} uses ({type(exc).__name__}: {exc}); its files are not in this publish.",
        origin=what,
        fix=f"Check {what} in QGIS, fix or remove it, save, and publish again.")


def _attempt(call: Callable[..., T], *args: Any) -> T | Exception:
    """``call(*args)``, or the exception it raised (reported with its layer, in the layer's turn)."""
    try:
        return call(*args)
    except Exception as exc:
        return exc


def ordered_layers(project: QgsProject) -> list[Any]:
    """The project's layers in layer-tree order, then any not in the tree (stable output)."""
    layers = project.mapLayers()
    order = [lid for lid in project.layerTreeRoot().findLayerIds() if lid in layers]
    seen = set(order)
    order.extend(sorted(lid for lid in layers if lid not in seen))
    return [layers[lid] for lid in order]


def embedded_projects(project: QgsProject, layers: list[Any] | None = None,
                      sources_of: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """(source project path, what is embedded) for embedded layers and groups.

    ``sources_of``: ``project.layerIsEmbedded`` of each of ``layers``, when the caller has it.
    """
    layers = ordered_layers(project) if layers is None else layers
    if sources_of is None:
        sources_of = [project.layerIsEmbedded(layer.id()) for layer in layers]
    for layer, source in zip(layers, sources_of):
        if source:
            yield source, f"layer {layer.name()!r}"

    def walk(group: QgsLayerTreeGroup) -> Iterator[tuple[str, str]]:
        # findGroups: only the groups cross into Python, not every layer node of the tree
        for child in group.findGroups():
            source = child.customProperty("embedded_project")
            if child.customProperty("embedded") and source:
                yield project.readPath(source), f"group {child.name()!r}"
            else:
                yield from walk(child)

    yield from walk(project.layerTreeRoot())


class LayerFacts(NamedTuple):
    """What QGIS says about one layer (main thread); its files are looked at later, on any thread."""

    label: str
    source: sources.LayerSource | Exception  # or what reading it raised (a finding in its turn)
    path: str | None  # the local file it reads; None: remote, in memory, unreadable
    not_a_file: list[tuple[str, dict[str, Any]]]  # the findings about a source with no file
    images: list[tuple[str, dict[str, Any]]] | Exception  # its symbols' image refs, or what raised


class ProjectFacts(NamedTuple):
    """Everything the collection needs from QGIS, asked on the main thread (``read_project``)."""

    project_file: str
    before: list[tuple[str, dict[str, Any]]]  # embedded projects
    layers: list[LayerFacts]
    after: list[tuple[str, dict[str, Any]]]  # print layouts' images, a .qgs's auxiliary storage


def read_project(project: QgsProject) -> ProjectFacts:
    """Ask QGIS about the loaded project (main thread only); ``resolve`` then looks at the files."""
    layers = ordered_layers(project)
    sources_of = [project.layerIsEmbedded(layer.id()) for layer in layers]  # asked once, used twice
    before = [("item", item(os.path.abspath(source), f"{what} embedded from another project", "embedded project"))
              for source, what in embedded_projects(project, layers, sources_of)]
    resolver = project.pathResolver()
    visitor = images.ImageVisitor()
    facts = _layers_facts(layers, sources_of, resolver, visitor)
    after: list[tuple[str, dict[str, Any]]] = []
    for layout in project.layoutManager().printLayouts():
        label = f"print layout {layout.name()!r}"
        try:
            found = [*images.layout_picture_paths(layout), *images.visited_paths(layout, visitor)]
            after.extend(images.image_refs(found, label, resolver))
        except Exception as exc:
            after.append(("finding", _unreadable(label, exc)))
    project_file = project.fileName()
    if project_file.lower().endswith(".qgs"):
        # a .qgz holds its auxiliary storage inside; a .qgs keeps it beside, as <name>.qgd
        aux = os.path.splitext(project_file)[0] + ".qgd"
        if os.path.isfile(aux):
            after.append(("item", item(aux, "auxiliary storage (labels moved by hand, ...)", "auxiliary storage")))
    return ProjectFacts(os.path.abspath(project_file), before, facts, after)


def _layers_facts(layers: list[Any], sources_of: list[str], resolver: Any,
                  visitor: images.ImageVisitor) -> list[LayerFacts]:
    # QGIS first for every layer (provider registry, then style visitor): each part runs faster
    # back to back than interleaved layer by layer (CPU caches)
    read = sources.read_layers(layers)
    labels = [sources.layer_origin_of(layer, embedded or None) if isinstance(one, Exception)
              else layer_origin(one.name, one.provider, embedded and os.path.basename(embedded))
              for layer, embedded, one in zip(layers, sources_of, read)]
    facts = []
    for layer, label, one in zip(layers, labels, read):
        if isinstance(one, Exception):
            facts.append(LayerFacts(label, one, None, [], []))
            continue
        path = _attempt(sources.local_file, one.parts)
        if path is None:
            not_a_file = _attempt(lambda: list(sources.not_a_file(one, label)))
        else:
            not_a_file = path if isinstance(path, Exception) else []
        if isinstance(not_a_file, Exception):  # reported as the layer's finding, in its turn
            facts.append(LayerFacts(label, not_a_file, None, [], []))
            continue
        found = _attempt(images.visited_paths, layer, visitor)
        refs = found if isinstance(found, Exception) else _attempt(lambda: list(images.image_refs(found, label,
                                                                                                  resolver)))
        facts.append(LayerFacts(label, one, path, not_a_file, refs))
    return facts


def resolve(facts: ProjectFacts, files: SidecarFinder | None = None) -> dict[str, Any]:
    """The collection as a JSON-ready dict: the files behind ``facts`` looked at (any thread: no
    QGIS project or layer is touched); duplicates are reported once."""
    return _merged(facts.project_file, _refs(facts, files or SidecarFinder()))


def collect_raw(project: QgsProject, files: SidecarFinder | None = None) -> dict[str, Any]:
    """The loaded project's collection as a JSON-ready dict (``read_project`` then ``resolve``)."""
    return resolve(read_project(project), files)


def _refs(facts: ProjectFacts, files: SidecarFinder) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("item", dict)`` / ``("finding", dict)`` pairs in project order, one layer at a time."""
    yield from facts.before
    refs: list[tuple[str, dict[str, Any]]] = []
    for layer in facts.layers:
        try:
            if isinstance(layer.source, Exception):
                raise layer.source
            if layer.path is None:
                refs.extend(layer.not_a_file)
            else:  # what it adds before an exception stays
                sources.file_refs(layer.source, layer.path, files, layer.label, refs)
            if isinstance(layer.images, Exception):
                raise layer.images
            refs.extend(layer.images)
        except Exception as exc:  # one odd layer must not end the scan
            refs.append(("finding", _unreadable(layer.label, exc)))
        yield from refs
        refs.clear()
    yield from facts.after


def _merged(project_file: str, refs: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, value in refs:
        if kind == "item":
            key = (value["role"], os.path.normcase(value["path"]))
            first = seen.get(key)
            if first is None:
                seen[key] = value
                items.append(value)
            else:
                if value["origin"] not in first["origin"].split("; "):
                    # one GeoPackage behind three layers: one item that names every layer
                    first["origin"] = f"{first['origin']}; {value['origin']}"
                    first["optional"] = first["optional"] and value["optional"]
                if value["companions"] != first["companions"]:  # a VRT source's has no style files
                    first["companions"] = list(dict.fromkeys([*first["companions"], *value["companions"]]))
        else:
            findings.append(value)
    _claim_once(items, set(seen))
    return {
        "host": HOST,
        "host_version": Qgis.QGIS_VERSION,
        "project_file": project_file,
        "items": items,
        "findings": findings,
    }


def _claim_once(items: list[dict[str, Any]], claimed: set[tuple[str, str]]) -> None:
    """Plan each file once: a companion that is an item itself, or an earlier item's companion, is dropped.

    ``roads.dbf`` read by a layer of its own stays that layer's item; ``dem.qml`` beside both
    ``dem.tif`` and ``dem.vrt`` goes with the first of them. ``claimed``: the items' keys.
    """
    taken: dict[str, set[str]] = {}  # the claimed paths (os.path.normcase'd) by role
    for role, path in claimed:
        taken.setdefault(role, set()).add(path)
    for value in items:
        names = value["companions"]
        if not names:
            continue
        mine = taken.setdefault(value["role"], set())
        # normcase(head + name) is normcase(head) + normcase(name), and a name has no "/" for
        # Windows's normcase to turn: lowering it is all that is left (none on POSIX)
        head = os.path.normcase(os.path.join(os.path.dirname(value["path"]), ""))
        kept = []
        for name in names:
            key = head + (name.lower() if CASE_BLIND else name)
            if key not in mine:
                mine.add(key)
                kept.append(name)
        if len(kept) != len(names):
            value["companions"] = kept
