"""Sidecars found from folder listings say exactly what QGIS says; a GeoPackage's WAL and a VRT's
sources travel with them. Runs ``sidecar_cases.py`` in QGIS's own Python."""

from __future__ import annotations

import json
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
    kinds = dict(map(tuple, wal["items"]))
    assert wal["gpkg"] in kinds
    assert kinds[wal["wal"]].startswith("write-ahead log")
    assert not any(path.endswith("-shm") for path in kinds)  # per-machine index: SQLite rebuilds it
    assert wal["quiet_log_was_empty"]  # beside its database while the project was collected
    assert wal["quiet"] in kinds and wal["quiet"] + "-wal" not in kinds  # an empty log holds no edits


def test_vrt_sources_nested_vrts_and_their_sidecars_are_collected(cases):
    vrt = cases["vrt"]
    kinds = dict(map(tuple, vrt["items"]))
    assert kinds[vrt["mosaic"]] == "VRT source"  # read by outer.vrt
    assert kinds[vrt["near"]] == "VRT source" and kinds[vrt["far"]] == "VRT source"  # relative and absolute
    assert kinds[vrt["near_aux"]] == "sidecar"
    findings = {f["path"]: f for f in vrt["findings"] if f["code"] == "vrt-source"}
    assert set(findings) == {vrt["broken"], vrt["stray"]}
    assert "relative to the folder GDAL happens to run in" in findings[vrt["stray"]]["message"]
    assert "could not be read" in findings[vrt["broken"]]["message"]
    assert all(f["severity"] == "warning" for f in findings.values())
