"""Build the QGIS test projects headless; run by QGIS's Python (``/usr/bin/python3``).

``python3 build_projects.py WORK_DIR OUTSIDE_DIR [--no-missing] [--no-database]`` writes data of every file-backed kind the
adapter handles under WORK_DIR, a base project whose layer is embedded, the main project
``survey.qgz`` (relative paths, QGIS's default), then removes one layer's file so it is
missing. Prints facts (paths the collection must report) as JSON on stdout's last line.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from osgeo import gdal, ogr, osr  # noqa: E402
from qgis.PyQt.QtGui import QImage  # noqa: E402
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsLayoutItemPicture,
    QgsMarkerSymbol,
    QgsMeshLayer,
    QgsPrintLayout,
    QgsProject,
    QgsRasterLayer,
    QgsSingleSymbolRenderer,
    QgsSvgMarkerSymbolLayer,
    QgsVectorLayer,
)

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       '<circle cx="5" cy="5" r="4" fill="red"/></svg>')


def srs() -> osr.SpatialReference:
    ref = osr.SpatialReference()
    ref.ImportFromEPSG(4326)
    ref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return ref


def shapefile(path: str) -> list[str]:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(path)
    layer = ds.CreateLayer(os.path.splitext(os.path.basename(path))[0], srs(), ogr.wkbLineString,
                           options=["ENCODING=UTF-8"])
    feat = ogr.Feature(layer.GetLayerDefn())
    feat.SetGeometry(ogr.CreateGeometryFromWkt("LINESTRING (0 0,1 1)"))
    layer.CreateFeature(feat)
    ds = None
    stem = os.path.splitext(path)[0]
    return sorted(stem + ext for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg") if os.path.exists(stem + ext))


def geopackage(path: str, *names: str) -> None:
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    for name in names:
        layer = ds.CreateLayer(name, srs(), ogr.wkbPoint)
        feat = ogr.Feature(layer.GetLayerDefn())
        feat.SetGeometry(ogr.CreateGeometryFromWkt("POINT (0.5 0.5)"))
        layer.CreateFeature(feat)
    ds = None


def geotiff(path: str) -> None:
    ds = gdal.GetDriverByName("GTiff").Create(path, 8, 8, 1, gdal.GDT_Byte)
    ds.SetGeoTransform([0, 0.125, 0, 1, 0, -0.125])
    ds.SetProjection(srs().ExportToWkt())
    ds.GetRasterBand(1).Fill(7)
    ds = None
    with open(path + ".aux.xml", "w", encoding="utf-8") as fh:  # PAM statistics beside the raster
        fh.write('<PAMDataset><PAMRasterBand band="1"><Metadata><MDI key="STATISTICS_MEAN">7</MDI>'
                 "</Metadata></PAMRasterBand></PAMDataset>\n")


def write(path: str, data: bytes | str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    return path


def add(project: QgsProject, layer, expect_valid: bool = True):
    if expect_valid and not layer.isValid():
        raise SystemExit(f"test layer {layer.name()} did not load: {layer.source()}")
    project.addMapLayer(layer)
    return layer


def build(work: str, outside: str, *, missing: bool = True, database: bool = True) -> dict:
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    os.makedirs(outside, exist_ok=True)
    facts: dict = {"work": work, "project": os.path.join(work, "survey.qgz")}

    # the base project whose layer the survey embeds
    geopackage(os.path.join(data, "base.gpkg"), "boundary")
    base = QgsProject()
    boundary = QgsVectorLayer(os.path.join(data, "base.gpkg") + "|layername=boundary", "boundary", "ogr")
    base.addMapLayer(boundary, False)
    base.layerTreeRoot().addGroup("Base").addLayer(boundary)
    base_path = os.path.join(work, "base.qgz")
    assert base.write(base_path), base.error()
    facts["base_project"] = base_path
    facts["base_gpkg"] = os.path.join(data, "base.gpkg")

    project = QgsProject()
    assert project.write(facts["project"])  # give the project its file first: paths are stored relative
    geopackage(os.path.join(data, "sites.gpkg"), "sites", "zones")
    sites = add(project, QgsVectorLayer(os.path.join(data, "sites.gpkg") + "|layername=sites", "sites", "ogr"))
    add(project, QgsVectorLayer(os.path.join(data, "sites.gpkg") + "|layername=zones", "zones", "ogr"))
    facts["gpkg"] = os.path.join(data, "sites.gpkg")

    facts["shapefile"] = shapefile(os.path.join(data, "roads.shp"))  # every part, sorted
    facts["shp"] = os.path.join(data, "roads.shp")
    facts["style"] = write(os.path.join(data, "roads.qml"), "<!DOCTYPE qgis><qgis/>\n")
    add(project, QgsVectorLayer(os.path.join(data, "roads.shp"), "roads", "ogr"))

    geotiff(os.path.join(data, "dem.tif"))
    facts["geotiff"] = [os.path.join(data, "dem.tif"), os.path.join(data, "dem.tif.aux.xml")]
    add(project, QgsRasterLayer(os.path.join(data, "dem.tif"), "dem", "gdal"))

    csv = write(os.path.join(data, "samples.csv"), "id,x,y\n1,0.2,0.3\n2,0.4,0.6\n")
    facts["csv"] = csv
    add(project, QgsVectorLayer(f"file://{csv}?delimiter=,&xField=x&yField=y&crs=EPSG:4326", "samples",
                                "delimitedtext"))

    zipped = shapefile(os.path.join(outside, "tmp_zip", "parcels.shp"))
    archive = os.path.join(data, "parcels.zip")
    with zipfile.ZipFile(archive, "w") as zf:
        for member in zipped:
            zf.write(member, os.path.basename(member))
    facts["zip"] = archive
    add(project, QgsVectorLayer(f"/vsizip/{archive}/parcels.shp", "parcels", "ogr"))

    spatialite = os.path.join(data, "pois.sqlite")
    ds = ogr.GetDriverByName("SQLite").CreateDataSource(spatialite, options=["SPATIALITE=YES"])
    ds.CreateLayer("pois", srs(), ogr.wkbPoint)
    ds = None
    facts["spatialite"] = spatialite
    add(project, QgsVectorLayer(f"dbname='{spatialite}' table=\"pois\" (GEOMETRY)", "pois", "spatialite"))

    mesh = write(os.path.join(data, "terrain.2dm"), "MESH2D\nND 1 0 0 0\nND 2 1 0 0\nND 3 0 1 0\nE3T 1 1 2 3 1\n")
    facts["mesh"] = mesh
    add(project, QgsMeshLayer(mesh, "terrain", "mdal"))

    external = os.path.join(outside, "reference.tif")
    geotiff(external)
    facts["external"] = [external, external + ".aux.xml"]
    add(project, QgsRasterLayer(external, "reference", "gdal"))

    facts["lost"] = shapefile(os.path.join(data, "lost.shp")) if missing else []
    if missing:
        add(project, QgsVectorLayer(os.path.join(data, "lost.shp"), "lost", "ogr"))

    # remote sources on loopback only, on a port nothing listens on
    add(project, QgsRasterLayer("type=xyz&url=http://127.0.0.1:9/tiles/{z}/{x}/{y}.png&zmax=19&zmin=0",
                                "tiles", "wms"), expect_valid=False)
    if database:
        # Left out of GUI tests: unreachable, QGIS's GUI asks for PostGIS credentials and lists the
        # WFS layer in its modal "unavailable layers" dialog while opening the project.
        add(project, QgsVectorLayer("url='http://127.0.0.1:9/wfs' typename='survey:roads' version='auto' "
                                    "user='u' password='sekrit-pw'", "wfs_roads", "WFS"), expect_valid=False)
        add(project, QgsVectorLayer("dbname='gis' host=127.0.0.1 port=9 user='u' password='sekrit-pw' "
                                    "table=\"public\".\"roads\" (geom)", "pg_roads", "postgres"), expect_valid=False)

    # an SVG marker from the vendor's own folder
    svg = write(os.path.join(work, "symbols", "marker.svg"), SVG)
    facts["svg"] = svg
    marker = QgsSvgMarkerSymbolLayer(svg)
    symbol = QgsMarkerSymbol()
    symbol.changeSymbolLayer(0, marker)
    sites.setRenderer(QgsSingleSymbolRenderer(symbol))

    # a group (and its layer) embedded from the base project
    group = project.createEmbeddedGroup("Base", base_path, [])
    assert group is not None, "embedding the base project's group failed"
    project.layerTreeRoot().addChildNode(group)

    # a print layout with a picture
    logo = os.path.join(work, "images", "logo.png")
    os.makedirs(os.path.dirname(logo), exist_ok=True)
    image = QImage(4, 4, QImage.Format_ARGB32)
    image.fill(0xFF3366CC)
    assert image.save(logo, "PNG")
    facts["logo"] = logo
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName("Overview")
    picture = QgsLayoutItemPicture(layout)
    picture.setPicturePath(logo)
    layout.addLayoutItem(picture)
    project.layoutManager().addLayout(layout)

    # outputs where the studio profile says they live
    facts["output"] = write(os.path.join(work, "exports", "survey_DATASET_001_1203_exported.dat"), "result\n" * 20)

    assert project.write(facts["project"]), project.error()
    for path in facts["lost"]:
        os.remove(path)
    return facts


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    result = build(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), missing="--no-missing" not in sys.argv,
                   database="--no-database" not in sys.argv)
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # skip QGIS's teardown, which can crash after the work is done
