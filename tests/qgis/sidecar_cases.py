"""Sidecar, write-ahead-log and VRT cases, checked in QGIS's Python (``/usr/bin/python3``).

``python3 sidecar_cases.py DIR`` writes awkward folders under DIR and prints, as JSON on the
last line, what ``SidecarFinder`` says next to what ``QgsFileUtils.sidecarFilesForPath`` says
for every data file in them, and what the collection reports for a GeoPackage with unsaved
(WAL) edits and for VRTs. The assertions live in ``test_qgis_sidecars.py``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from osgeo import gdal, ogr, osr  # noqa: E402
from qgis.core import QgsApplication, QgsFileUtils, QgsProject, QgsRasterLayer, QgsVectorLayer  # noqa: E402

from vendor_publish_qgis.collection import collect_raw  # noqa: E402
from vendor_publish_qgis.sidecars import SidecarFinder  # noqa: E402
from vendor_publish_qgis.sources import STYLE_SUFFIXES  # noqa: E402

SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".shp.xml")


def touch(path: str, text: str = "x") -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def awkward_folder(root: str) -> list[str]:
    """Data files whose sidecars test every branch of the finder; returns the data files."""
    data = []
    plain = os.path.join(root, "plain")
    for stem in ("roads", "a.b.c", "UPPER"):  # dots inside the stem; upper-case names
        data.append(touch(os.path.join(plain, stem + ".shp")))
        for part in SHAPEFILE_PARTS:
            touch(os.path.join(plain, stem + (part.upper() if stem == "UPPER" else part)))
    data.append(touch(os.path.join(plain, "loud.SHP")))  # upper-case suffix, lower-case sidecars
    touch(os.path.join(plain, "loud.dbf"))
    touch(os.path.join(plain, "loud.SHP.aux.xml"))
    data.append(touch(os.path.join(plain, "mixed.shp")))  # case differs: not a sidecar on Linux
    touch(os.path.join(plain, "mixed.DBF"))
    data.append(touch(os.path.join(plain, "dem.tif")))
    for part in (".tif.aux.xml", ".tfw", ".ovr", ".aux.xml", ".wld"):
        touch(os.path.join(plain, "dem" + part))
    data.append(touch(os.path.join(plain, "table.csv")))
    touch(os.path.join(plain, "table.csvt"))
    data.append(touch(os.path.join(plain, "noext")))  # no suffix: QGIS's own call decides
    touch(os.path.join(plain, "noext.aux.xml"))
    data.append(touch(os.path.join(plain, ".hidden.shp")))
    touch(os.path.join(plain, ".hidden.dbf"))
    data.append(touch(os.path.join(plain, "trailing.")))
    data.append(touch(os.path.join(plain, "map.tab")))
    data.append(touch(os.path.join(plain, "crowd.tif")))  # more "crowd.*" names than tif tails
    for part in [f".{i}.tif" for i in range(12)] + [".tfw", ".tif.aux.xml"]:
        touch(os.path.join(plain, "crowd" + part))
    for style in ("roads.qml", "a.b.c.shp.sld", "UPPER.QML", "dem.tif.qmd", "crowd.qml", "loud.SHP.qml"):
        touch(os.path.join(plain, style))  # style files, found by beside() and by around()
    os.makedirs(os.path.join(plain, "map.qml"))  # a folder: not a style file
    data.append(touch(os.path.join(plain, "..shp")))  # splitext keeps the name whole, rpartition does not
    touch(os.path.join(plain, "..shp.qml"))
    touch(os.path.join(plain, "..dbf"))
    touch(os.path.join(plain, "map.dat"))
    touch(os.path.join(plain, "map.id"))
    links = os.path.join(root, "links")
    data.append(touch(os.path.join(links, "linked.shp")))
    os.symlink(touch(os.path.join(root, "elsewhere", "real.dbf")), os.path.join(links, "linked.dbf"))
    os.symlink(os.path.join(root, "nowhere.prj"), os.path.join(links, "linked.prj"))  # dangling
    os.makedirs(os.path.join(links, "linked.cpg"))  # a folder: QFile::exists says yes
    data.append(os.path.join(root, "gone", "missing.shp"))  # its folder does not exist
    return data


def styles_by_stat(path: str) -> list[str]:
    """The style files beside a data file, found the slow way: a stat per candidate name."""
    bases = (os.path.splitext(path)[0], path)
    return sorted({base + suffix for base in bases for suffix in STYLE_SUFFIXES if os.path.isfile(base + suffix)})


def wal_project(root: str) -> dict:
    """A GeoPackage layer whose edits are still in ``-wal`` (a connection holds it open)."""
    folder = os.path.join(root, "wal")
    os.makedirs(folder)
    gpkg = os.path.join(folder, "edits.gpkg")
    ref = osr.SpatialReference()
    ref.ImportFromEPSG(4326)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg)
    ds.CreateLayer("sites", ref, ogr.wkbPoint)
    ds = None
    held = sqlite3.connect(gpkg)
    held.execute("PRAGMA journal_mode=WAL")
    held.execute("CREATE TABLE notes (t TEXT)")
    held.execute("INSERT INTO notes VALUES ('not yet checkpointed')")
    held.commit()  # the row is in edits.gpkg-wal until the last connection closes
    quiet = os.path.join(folder, "quiet.gpkg")  # its log was checkpointed and truncated: 0 bytes
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(quiet)
    ds.CreateLayer("zones", ref, ogr.wkbPoint)
    ds = None
    touch(quiet + "-wal", "")
    project = QgsProject()
    for path, name in ((gpkg, "sites"), (quiet, "zones")):
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        assert layer.isValid()
        project.addMapLayer(layer)
    quiet_log = os.path.exists(quiet + "-wal") and os.path.getsize(quiet + "-wal") == 0
    raw = collect_raw(project)
    held.close()
    return {"gpkg": gpkg, "wal": gpkg + "-wal", "quiet": quiet, "quiet_log_was_empty": quiet_log,
            "items": _items(raw), "findings": raw["findings"]}


def _items(raw: dict) -> dict:
    """Each collected item's kind, companions and whether it is optional, by path."""
    return {i["path"]: {"kind": i["kind"], "companions": i.get("companions", []), "optional": i["optional"]}
            for i in raw["items"]}


def geotiff(path: str) -> str:
    ref = osr.SpatialReference()
    ref.ImportFromEPSG(4326)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds = gdal.GetDriverByName("GTiff").Create(path, 4, 4, 1, gdal.GDT_Byte)
    ds.SetGeoTransform([0, 1, 0, 4, 0, -1])
    ds.SetProjection(ref.ExportToWkt())
    ds = None
    return path


def vrt_project(root: str) -> dict:
    """A raster VRT over a relative and an absolute tile, a VRT over that VRT, and a broken one."""
    folder = os.path.join(root, "vrt")
    near = geotiff(os.path.join(folder, "tiles", "near.tif"))
    touch(near + ".aux.xml", "<PAMDataset/>")
    far = geotiff(os.path.join(root, "far", "far.tif"))
    mosaic = os.path.join(folder, "mosaic.vrt")
    gdal.BuildVRT(mosaic, [near, far])
    text = open(mosaic, encoding="utf-8").read()
    # GDAL writes a path inside the VRT's folder relative to it, one outside absolute
    assert 'relativeToVRT="1">tiles/near.tif' in text and f'relativeToVRT="0">{far}' in text, text
    outer = os.path.join(folder, "outer.vrt")  # a VRT reading the mosaic VRT, as GDAL writes one
    gdal.Translate(outer, mosaic, format="VRT")
    with open(outer, encoding="utf-8") as fh:
        text = fh.read()
    if "mosaic.vrt" not in text:  # GDAL inlined the mosaic's sources: point the outer one at it
        text = text.replace('relativeToVRT="1">tiles/near.tif', 'relativeToVRT="1">mosaic.vrt')
        text = text.replace(f'relativeToVRT="0">{far}', 'relativeToVRT="1">mosaic.vrt')
        with open(outer, "w", encoding="utf-8") as fh:
            fh.write(text)
    stray = touch(os.path.join(folder, "stray.vrt"),  # a source relative to GDAL's working folder
                  '<VRTDataset rasterXSize="4" rasterYSize="4"><VRTRasterBand dataType="Byte" band="1">'
                  '<SimpleSource><SourceFilename relativeToVRT="0">tiles/near.tif</SourceFilename>'
                  '<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>')
    broken = touch(os.path.join(folder, "broken.vrt"), "<VRTDataset><not closed")
    project = QgsProject()
    for path in (outer, broken, stray):
        project.addMapLayer(QgsRasterLayer(path, os.path.basename(path), "gdal"))
    raw = collect_raw(project)
    return {"mosaic": mosaic, "outer": outer, "near": near, "near_aux": near + ".aux.xml", "far": far,
            "broken": broken, "stray": stray, "items": _items(raw),
            "findings": raw["findings"]}


def shared_project(root: str) -> dict:
    """Files two items could claim: a style beside a VRT and its source, a shapefile's table read as a layer."""
    folder = os.path.join(root, "shared")
    dem = geotiff(os.path.join(folder, "dem.tif"))
    touch(dem + ".aux.xml", "<PAMDataset/>")
    touch(os.path.join(folder, "dem.qml"))  # QGIS's default style for dem.vrt and for dem.tif
    vrt = os.path.join(folder, "dem.vrt")
    gdal.BuildVRT(vrt, [dem])
    ref = osr.SpatialReference()
    ref.ImportFromEPSG(4326)
    shp = os.path.join(folder, "roads.shp")
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(shp)
    ds.CreateLayer("roads", ref, ogr.wkbPoint)
    ds = None
    project = QgsProject()
    # added last, listed first in the layer tree: the VRT (dem.tif is its source before it is a
    # layer's file: its item then gains a style), then the shapefile, then its table as a layer
    for layer in (QgsVectorLayer(os.path.join(folder, "roads.dbf"), "table", "ogr"),
                  QgsVectorLayer(shp, "roads", "ogr"), QgsRasterLayer(dem, "dem", "gdal"),
                  QgsRasterLayer(vrt, "demvrt", "gdal")):
        assert layer.isValid(), layer.name()
        project.addMapLayer(layer)
    raw = collect_raw(project)
    return {"folder": folder, "files": sorted(os.listdir(folder)), "items": _items(raw)}


def main() -> None:
    root = os.path.abspath(sys.argv[1])
    app = QgsApplication([], False)
    app.initQgis()
    data = awkward_folder(os.path.join(root, "awkward"))
    result = {"wal": wal_project(root), "vrt": vrt_project(root), "shared": shared_project(root)}
    # every folder listed at once (each listing branch runs), and as a collection does it
    for label, files in (("listed", SidecarFinder(list_after=1)), ("default", SidecarFinder())):
        cases = [{"path": path, "finder": files.sidecars(path), "qgis": sorted(QgsFileUtils.sidecarFilesForPath(path)),
                  "exists": files.exists(path), "real_exists": os.path.exists(path)} for path in data]
        result[label] = {"cases": cases, "fallbacks": files.fallbacks, "listed": files.listed}
    # sidecars and style files from one look (as a collection asks), next to the separate answers
    for label, files in (("listed", SidecarFinder(list_after=1)), ("default", SidecarFinder())):
        for case, path in zip(result[label]["cases"], data):
            case.update(around=files.around(path, STYLE_SUFFIXES), beside=files.beside(path, STYLE_SUFFIXES),
                        styles=styles_by_stat(path))
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
