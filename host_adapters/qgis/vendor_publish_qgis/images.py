"""SVG markers and images that symbology and print layouts read from files (QGIS main thread).

Symbols are reached through QGIS's style visitor (``accept``), which walks every renderer,
rule, label and diagram, so nested symbols are not missed. Embedded (``base64:``) and remote
images travel inside the project or are fetched again; files from QGIS's own SVG library exist
at the studio too and are left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from qgis.core import (
    QgsApplication,
    QgsLayoutItemPicture,
    QgsRasterFillSymbolLayer,
    QgsRasterMarkerSymbolLayer,
    QgsStyle,
    QgsStyleEntityVisitorInterface,
    QgsSVGFillSymbolLayer,
    QgsSvgMarkerSymbolLayer,
    QgsSymbol,
    QgsSymbolLayerUtils,
    QgsTextBackgroundSettings,
)

from .refs import finding, item


def _symbol_paths(symbol: QgsSymbol | None, depth: int = 0) -> list[tuple[str, str]]:
    """(path, kind) of every image a symbol draws, sub-symbols included."""
    found: list[tuple[str, str]] = []
    _add_symbol_paths(symbol, found, depth)
    return found


def _add_symbol_paths(symbol: QgsSymbol | None, found: list[tuple[str, str]], depth: int = 0) -> None:
    # appends, no generators: the visitor runs this for every symbol of every layer on each click
    if symbol is None or depth > 8:
        return
    for layer in symbol.symbolLayers():
        if isinstance(layer, QgsSvgMarkerSymbolLayer):
            found.append((layer.path(), "svg"))
        elif isinstance(layer, QgsSVGFillSymbolLayer):
            found.append((layer.svgFilePath(), "svg"))
        elif isinstance(layer, QgsRasterMarkerSymbolLayer):
            found.append((layer.path(), "image"))
        elif isinstance(layer, QgsRasterFillSymbolLayer):
            found.append((layer.imageFilePath(), "image"))
        sub = layer.subSymbol()
        if sub is not None:
            _add_symbol_paths(sub, found, depth + 1)


class ImageVisitor(QgsStyleEntityVisitorInterface):
    """Gathers image paths from every symbol and text format the visited object holds.

    One serves a whole collection (``visited_paths`` empties it first): a new Python subclass
    of a C++ visitor per layer costs more than most layers' visit.
    """

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def visit(self, entity: Any) -> bool:  # noqa: D401 (QGIS's override)
        """Record the images of one style entity; always continue."""
        style_entity = entity.entity
        kind = style_entity.type()
        if kind == QgsStyle.SymbolEntity:
            _add_symbol_paths(style_entity.symbol(), self.found)
        elif kind == QgsStyle.TextFormatEntity:
            self.found.extend(_text_format_paths(style_entity.format()))
        elif kind == QgsStyle.LabelSettingsEntity:
            self.found.extend(_text_format_paths(style_entity.settings().format()))
        return True


def _text_format_paths(fmt: Any) -> Iterator[tuple[str, str]]:
    background = fmt.background()
    if background.enabled():
        if background.type() == QgsTextBackgroundSettings.ShapeSVG:
            yield background.svgFile(), "svg"
        elif background.type() == QgsTextBackgroundSettings.ShapeMarkerSymbol:
            yield from _symbol_paths(background.markerSymbol())


def visited_paths(obj: Any, visitor: ImageVisitor | None = None) -> list[tuple[str, str]]:
    """(path, kind) of the images in whatever ``obj.accept(visitor)`` walks (a layer, a layout)."""
    visitor = visitor or ImageVisitor()
    visitor.found = []
    obj.accept(visitor)
    return visitor.found


def layout_picture_paths(layout: Any) -> Iterator[tuple[str, str]]:
    """(path, kind) of the pictures placed in a print layout."""
    for layout_item in layout.items():
        if isinstance(layout_item, QgsLayoutItemPicture):
            path = layout_item.picturePath()
            kind = "svg" if path.lower().endswith(".svg") else "image"
            yield path, kind


def is_library_or_inline(path: str) -> bool:
    """True for paths that are not the vendor's own files (QGIS's SVG library, base64, URLs)."""
    if not path or path.startswith(("base64:", "data:")) or "://" in path:
        return True
    system = os.path.normcase(os.path.abspath(QgsApplication.pkgDataPath()))
    here = os.path.normcase(os.path.abspath(path))
    return here == system or here.startswith(system.rstrip(os.sep) + os.sep)


def image_refs(paths: list[tuple[str, str]], origin: str, resolver: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("item", dict)`` for the file images among ``paths``; a name QGIS cannot place is a finding."""
    for path, kind in paths:
        if is_library_or_inline(path):
            continue
        full = path
        if not os.path.isabs(path):
            # QGIS looks a bare SVG name up in its SVG search paths, then against the project
            full = QgsSymbolLayerUtils.svgSymbolNameToPath(path, resolver) or path
            if not os.path.isabs(full) or is_library_or_inline(full):
                if not os.path.isabs(full):
                    yield "finding", finding(
                        "unresolved-image", "warning",
                        f"The {kind} {path!r} used by {origin} is not found in the project folder or "
                        "QGIS's SVG paths; it is not in this publish.",
                        path=path, origin=origin,
                        fix="Pick the image again in the symbol settings (or embed it), save, publish again.")
                continue
        yield "item", item(os.path.normpath(full), origin, kind)
