"""Runs in QGIS's Python (offscreen GUI app) for ``bench_qgis.py``: builds a project with N
file-backed layers if missing, then times, interleaved, a bare ``decodeUri`` + ``stat`` pass over
its layers against the plugin's click-to-dialog path (collection, plan, dialog built and shown,
with the plan's destinations, findings and totals painted). Each click starts from nothing the
previous one learnt (a fresh ``SidecarFinder``: folder listings and QGIS's sidecar rules).

    python3 bench_qgis_inner.py DIR LAYERS REPEAT   -> JSON on the last line of stdout
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from osgeo import gdal, ogr, osr  # noqa: E402
from qgis.core import QgsApplication, QgsProject, QgsProviderRegistry, QgsRasterLayer, QgsVectorLayer  # noqa: E402
from qgis.PyQt.QtWidgets import QApplication  # noqa: E402


def build(folder: str, count: int) -> str:
    """Half shapefiles (5 files each), half GeoTIFFs with .aux.xml; one layer each."""
    project_path = os.path.join(folder, "bench.qgz")
    if os.path.exists(project_path):
        return project_path
    data = os.path.join(folder, "data")
    os.makedirs(data, exist_ok=True)
    ref = osr.SpatialReference()
    ref.ImportFromEPSG(4326)
    project = QgsProject()
    project.write(project_path)
    for i in range(count):
        if i % 2 == 0:
            path = os.path.join(data, f"vec_{i:04d}.shp")
            ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(path)
            layer = ds.CreateLayer(f"vec_{i:04d}", ref, ogr.wkbPoint, options=["ENCODING=UTF-8"])
            feat = ogr.Feature(layer.GetLayerDefn())
            feat.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({i % 90} {i % 45})"))
            layer.CreateFeature(feat)
            ds = None
            project.addMapLayer(QgsVectorLayer(path, f"vec_{i:04d}", "ogr"))
        else:
            path = os.path.join(data, f"ras_{i:04d}.tif")
            ds = gdal.GetDriverByName("GTiff").Create(path, 4, 4, 1, gdal.GDT_Byte)
            ds.SetGeoTransform([i % 90, 0.1, 0, i % 45, 0, -0.1])
            ds.SetProjection(ref.ExportToWkt())
            ds = None
            with open(path + ".aux.xml", "w", encoding="utf-8") as fh:
                fh.write("<PAMDataset/>\n")
            project.addMapLayer(QgsRasterLayer(path, f"ras_{i:04d}", "gdal"))
    os.makedirs(os.path.join(folder, "exports"), exist_ok=True)
    with open(os.path.join(folder, "exports", "bench_DATASET_001_1203_exported.dat"), "w") as fh:
        fh.write("result\n")
    assert project.write(project_path)
    return project_path


def bare_pass(project: QgsProject) -> int:
    registry = QgsProviderRegistry.instance()
    n = 0
    for layer in project.mapLayers().values():
        path = registry.decodeUri(layer.providerType(), layer.source()).get("path")
        if path:
            os.stat(path)
            n += 1
    return n


def decode_pass(project: QgsProject) -> int:
    """The layers and decodeUri alone: the part of the collection no adapter can skip."""
    registry = QgsProviderRegistry.instance()
    return sum(1 for layer in project.mapLayers().values()
               if registry.decodeUri(layer.providerType(), layer.source()).get("path"))


def full_pass(project: QgsProject) -> int:
    """The least a correct collector does: decodeUri, the sidecars QGIS knows, a stat of every file."""
    from qgis.core import QgsFileUtils

    registry = QgsProviderRegistry.instance()
    n = 0
    for layer in project.mapLayers().values():
        path = registry.decodeUri(layer.providerType(), layer.source()).get("path")
        if path:
            for one in (path, *QgsFileUtils.sidecarFilesForPath(path)):
                os.stat(one)
                n += 1
    return n


#: The stages of a click, in ``click_to_dialog``'s words.
STAGES = ("read", "plan", "worker", "dialog")


def click_to_dialog(project: QgsProject, *, one_thread: bool = False) -> dict:
    """What the plugin does on a click, as it does it; the time of each stage and the file count.

    Main thread: the settings, ``read_project`` (QGIS); then a worker (the plugin's QgsTask) looks
    at the files (``resolve``) and plans, and the dialog is made with the plan and painted (or,
    when the plan takes over ``PENDING_AFTER_MS``, opened before it and filled after).
    ``one_thread``: decodeUri on the calling thread only (what a one-core machine gets)."""
    import threading

    from vendor_publish.settings import resolve_settings
    from vendor_publish_qgis import decoding, planning
    from vendor_publish_qgis.dialog import PlanDialog
    from vendor_publish_qgis.plugin import PENDING_AFTER_MS
    from vendor_publish_qgis.sidecars import SidecarFinder

    most = decoding.MOST_THREADS
    decoding.MOST_THREADS = 1 if one_thread else most
    files = SidecarFinder()
    box: dict = {}
    t0 = time.perf_counter()
    settings = resolve_settings()
    facts = planning.read(project)
    t1 = time.perf_counter()

    def work() -> None:
        w0 = time.perf_counter()
        box["plan"] = planning.plan(settings, facts, files=files)
        box["worker_s"] = time.perf_counter() - w0

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(PENDING_AFTER_MS / 1000)
    t2 = time.perf_counter()
    if worker.is_alive():  # a long plan: the dialog opens now, saying so, and is filled after
        dialog = PlanDialog(None, title="bench", layouts=0, project_file=facts.project_file)
        dialog.show()
        QApplication.processEvents()
        worker.join()
        dialog.show_plan(box["plan"])
    else:
        dialog = PlanDialog(box["plan"], title="bench", layouts=0)
        dialog.show()
    t3 = time.perf_counter()
    plan = box["plan"]
    QApplication.processEvents()  # painted: header, file rows on screen, findings, totals
    t4 = time.perf_counter()
    decoding.MOST_THREADS = most
    dialog.close()
    dialog.deleteLater()
    QApplication.processEvents()
    return {"total": t4 - t0, "read": t1 - t0, "plan": box["worker_s"], "worker": t2 - t1, "dialog": t4 - t2, "files": plan.totals.files,
            "entries": len(plan.entries),  # a layer's file and its sidecars are one entry (companions)
            "folders_listed": files.listed, "sidecar_fallbacks": files.fallbacks}


def main() -> None:
    folder, count, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = QgsApplication([], True)
    app.initQgis()
    path = build(folder, count)
    project = QgsProject.instance()
    assert project.read(path)
    layers = len(project.mapLayers())
    from vendor_publish_qgis import decoding

    click_to_dialog(project)  # import the core and warm the file cache once, outside the timings
    base, decoded, full, clicks, serial = [], [], [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        bare_pass(project)
        base.append(time.perf_counter() - t)
        t = time.perf_counter()
        decode_pass(project)
        decoded.append(time.perf_counter() - t)
        t = time.perf_counter()
        full_pass(project)
        full.append(time.perf_counter() - t)
        clicks.append(click_to_dialog(project))
        serial.append(click_to_dialog(project, one_thread=True)["total"])
    best = min(clicks, key=lambda c: c["total"])
    print(json.dumps({"layers": layers, "files": best["files"], "entries": best["entries"], "baseline_s": min(base),
                      "full_pass_s": min(full),
                      "decode_s": min(decoded),
                      "measured_s": best["total"],
                      "one_thread_s": min(serial),
                      "threads": decoding.thread_count(layers),
                      # each stage's best, and the stages of the best click (they add up to it)
                      "stages_best_s": {k: min(c[k] for c in clicks) for k in STAGES},
                      "stages_of_best_s": {k: best[k] for k in STAGES},
                      "folders_listed": best["folders_listed"], "sidecar_fallbacks": best["sidecar_fallbacks"],
                      "project": path}))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
