"""Sidecars found from folder listings say exactly what QGIS says; a GeoPackage's WAL and a VRT's
sources travel with them. Runs ``sidecar_cases.py`` in QGIS's own Python."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from qgis_support import HERE, needs_qgis, qgis_env, qgis_python

pytestmark = needs_qgis


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("qgis_sidecars")
    proc = subprocess.run([qgis_python(), str(HERE / "sidecar_cases.py"), str(root / "cases")],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                          env=qgis_env({"XDG_RUNTIME_DIR": str(root)}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("how", ["listed", "default"])
def test_listing_based_sidecars_equal_qgis_sidecar_files_for_path(cases, how):
    run = cases[how]
    for case in run["cases"]:
        assert case["finder"] == case["qgis"], case["path"]
        assert case["exists"] == case["real_exists"], case["path"]
    found = {Path(c["path"]).name: [Path(p).name for p in c["finder"]] for c in run["cases"]}
    assert "crowd.tfw" in found["crowd.tif"] and "crowd.1.tif" not in found["crowd.tif"]
    assert "roads.cpg" in found["roads.shp"] and "roads.shp.xml" in found["roads.shp"]
    assert "a.b.c.dbf" in found["a.b.c.shp"]  # QGIS cuts the name at its last dot
    assert found["mixed.shp"] == []  # mixed.DBF is another file on a case-sensitive file system
    assert found["linked.shp"] == ["linked.cpg", "linked.dbf"]  # a folder counts, a dangling link does not
    # sidecarFilesForPath itself answers for names without a learnable suffix ("noext",
    # "trailing.") and in a folder that cannot be listed ("gone/")
    if how == "listed":
        assert run["fallbacks"] == 3 and run["listed"] == 2
    else:  # and for a folder's first two data files: "links/" (one file) is never listed
        assert run["fallbacks"] == 3 + 2 + 1 and run["listed"] == 1


@pytest.mark.parametrize("how", ["listed", "default"])
def test_style_files_and_sidecars_from_one_look_equal_the_separate_answers(cases, how):
    for case in cases[how]["cases"]:
        sidecars, styles = case["around"]
        assert sidecars == case["qgis"], case["path"]
        assert styles == case["beside"] == case["styles"], case["path"]
    styles = {Path(c["path"]).name: [Path(p).name for p in c["styles"]] for c in cases[how]["cases"]}
    assert styles["roads.shp"] == ["roads.qml"] and styles["a.b.c.shp"] == ["a.b.c.shp.sld"]
    assert styles["crowd.tif"] == ["crowd.qml"] and styles["dem.tif"] == ["dem.tif.qmd"]
    assert styles["map.tab"] == []  # map.qml is a folder


def test_geopackage_write_ahead_log_travels_with_it(cases):
    wal = cases["wal"]
    items = wal["items"]
    # the log is a companion of its database: one plan entry, never one without the other
    assert items[wal["gpkg"]]["companions"] == [os.path.basename(wal["wal"])]
    assert not any(path.endswith(("-wal", "-shm")) for path in items)
    # -shm is a per-machine index SQLite rebuilds: it stays
    assert not any(name.endswith("-shm") for item in items.values() for name in item["companions"])
    assert wal["quiet_log_was_empty"]  # beside its database while the project was collected
    assert wal["quiet"] in items and items[wal["quiet"]]["companions"] == []  # an empty log holds no edits


def test_vrt_sources_nested_vrts_and_their_sidecars_are_collected(cases):
    vrt = cases["vrt"]
    items = vrt["items"]
    assert items[vrt["mosaic"]]["kind"] == "VRT source"  # read by outer.vrt
    # relative to the VRT, and absolute
    assert items[vrt["near"]]["kind"] == "VRT source" and items[vrt["far"]]["kind"] == "VRT source"
    # a source's sidecars are its companions; the sources themselves stay items (they may live anywhere)
    assert items[vrt["near"]]["companions"] == [os.path.basename(vrt["near_aux"])] and vrt["near_aux"] not in items
    findings = {f["path"]: f for f in vrt["findings"] if f["code"] == "vrt-source"}
    assert set(findings) == {vrt["broken"], vrt["stray"]}
    assert "relative to the folder GDAL happens to run in" in findings[vrt["stray"]]["message"]
    assert "could not be read" in findings[vrt["broken"]]["message"]
    assert all(f["severity"] == "warning" for f in findings.values())


def test_a_file_two_items_could_claim_is_planned_once(cases):
    shared = cases["shared"]
    items = shared["items"]
    names = [os.path.basename(path) for path in items]
    names += [name for item in items.values() for name in item["companions"]]
    assert sorted(names) == shared["files"]  # every file of the folder, each once
    folder = shared["folder"]
    # the table read as a layer of its own stays that layer's item, not a companion of roads.shp
    assert items[os.path.join(folder, "roads.dbf")]["kind"].startswith("vector")
    assert items[os.path.join(folder, "roads.shp")]["companions"] == ["roads.prj", "roads.shx"]
    # dem.qml is beside dem.vrt and dem.tif: QGIS's default style for both, one optional item
    assert items[os.path.join(folder, "dem.qml")]["optional"]
    assert "dem.qml" not in items[os.path.join(folder, "dem.vrt")].get("companions", [])
    assert items[os.path.join(folder, "dem.tif")]["companions"] == ["dem.tif.aux.xml"]
