"""What the QGIS adapter collects from a real project, read by QGIS's own Python."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from qgis_support import build_project, needs_qgis

from vendor_publish.errors import VendorPublishError
from vendor_publish.models import Collection, Role, Severity
from vendor_publish_qgis.headless import collect_qgis_project

pytestmark = needs_qgis

PROFILE = """\
display_name = "GeoScan"
workspace = "geoscan"
share = "proj002-outsourcing"
volume = "production"
share_path = "proj002"
output_folders = ["exports"]

[naming]
output = ["*_exported.dat", "*.pdf"]
"""


@pytest.fixture
def studio(tmp_path, monkeypatch, qgis_py) -> Path:
    """A studio profile declaring ``exports/`` as the output folder, in the environment."""
    path = tmp_path / "studio.toml"
    path.write_text(PROFILE)
    monkeypatch.setenv("VENDOR_PUBLISH_STUDIO", str(path))
    monkeypatch.setenv("VENDOR_PUBLISH_HOME", str(tmp_path / "vp-home"))
    return path


def by_path(collection: Collection) -> dict[str, object]:
    return {item.path: item for item in collection.items}


def beside(item) -> list[str]:
    """Full paths of an item's companions (they live in its folder)."""
    folder = os.path.dirname(item.path)
    return [os.path.join(folder, name) for name in item.companions]


def test_every_file_backed_source_and_its_sidecars_is_collected(survey, studio):
    collection = collect_qgis_project(survey["project"])
    assert collection.host == "qgis" and collection.host_version.startswith("3.")
    assert collection.project_file == survey["project"]
    items = by_path(collection)
    deps = {p for p, i in items.items() if i.role is Role.DEPENDENCY}
    expected = {survey["gpkg"], survey["base_gpkg"], survey["csv"], survey["zip"], survey["spatialite"],
                survey["mesh"], survey["base_project"], survey["svg"], survey["logo"],
                survey["shp"], survey["geotiff"][0], survey["external"][0]}
    assert expected <= deps, sorted(expected - deps)
    # exactly what the project uses: nothing of the missing layer, nothing twice, no folders
    assert not any("lost" in p for p in items)
    assert len(collection.items) == len(items)
    assert not any(i.is_dir for i in collection.items if i.role is Role.DEPENDENCY)
    # sidecars travel as the data file's companions, not as items: a .cpg too (GDAL's own list
    # misses it); the style file QGIS loads by default is an optional item the analyst may untick
    roads = items[survey["shp"]]
    assert sorted(beside(roads)) == sorted(p for p in survey["shapefile"] if p != survey["shp"])
    assert items[survey["style"]].optional and items[survey["style"]].kind == "style"
    assert items[survey["geotiff"][0]].companions == ["dem.tif.aux.xml"]
    assert items[survey["external"][0]].companions == ["reference.tif.aux.xml"]
    companions = {p for i in collection.items for p in beside(i)}
    assert not companions & set(items), "a file is both an item and a companion"
    assert not [i for i in collection.items if i.kind == "sidecar"]
    # the zipped shapefile is its archive, not a /vsizip/ path; its parts are inside it
    assert not any(p.startswith("/vsi") for p in items) and items[survey["zip"]].companions == []
    # one GeoPackage behind two layers: one item naming both
    assert "'sites'" in items[survey["gpkg"]].origin and "'zones'" in items[survey["gpkg"]].origin
    assert "embedded from base.qgz" in items[survey["base_gpkg"]].origin
    assert items[survey["logo"]].origin == "print layout 'Overview'"


def test_missing_and_remote_layers_are_findings_not_items(survey, studio):
    collection = collect_qgis_project(survey["project"])
    invalid = [f for f in collection.findings if f.code == "invalid-layer"]
    assert len(invalid) == 1 and invalid[0].severity is Severity.ERROR
    lost = [p for p in survey["lost"] if p.endswith(".shp")][0]
    assert invalid[0].path == lost and "'lost'" in invalid[0].message and lost in invalid[0].message
    remote = {f.origin: f for f in collection.findings if f.code == "remote-source"}
    assert set(remote) == {"layer 'tiles' (wms)", "layer 'pg_roads' (postgres)", "layer 'wfs_roads' (WFS)"}
    assert all("127.0.0.1:9" in f.message and f.severity is Severity.WARNING for f in remote.values())
    # database passwords in layer sources never reach the collection
    assert "sekrit-pw" not in collection.model_dump_json()


def with_profile_outputs(collection):
    """What the core's planner does with every host's collection (workflow.make_plan)."""
    from vendor_publish.declared_outputs import with_declared_outputs
    from vendor_publish.settings import resolve_settings

    return with_declared_outputs(collection, resolve_settings().profile.output_folders)


def test_profile_output_folders_become_output_items(survey, studio):
    collection = with_profile_outputs(collect_qgis_project(survey["project"]))
    outputs = [i for i in collection.items if i.role is Role.OUTPUT]
    assert [(Path(i.path), i.is_dir) for i in outputs] == [(Path(survey["work"]) / "exports", True)]
    assert "output_folders" in outputs[0].origin


def test_declared_output_folder_that_does_not_exist_is_a_warning(survey, studio, tmp_path):
    studio.write_text(PROFILE.replace('["exports"]', '["deliverables", "renders/*.tif"]'))
    collection = with_profile_outputs(collect_qgis_project(survey["project"]))
    assert not [i for i in collection.items if i.role is Role.OUTPUT]
    missing = [f for f in collection.findings if f.code == "no-outputs"]
    assert len(missing) == 2 and all(f.severity is Severity.WARNING for f in missing)
    assert any("deliverables" in f.message for f in missing)


def test_moved_project_resolves_relative_paths_at_its_new_place(survey, studio, tmp_path):
    moved = tmp_path / "elsewhere" / "survey_copy"
    shutil.copytree(survey["work"], moved)
    collection = collect_qgis_project(str(moved / "survey.qgz"))
    paths = [i.path for i in collection.items]
    old = survey["work"] + "/"
    assert not [p for p in paths if p.startswith(old)], "paths still point at the old folder"
    assert str(moved / "data" / "sites.gpkg") in paths and str(moved / "data" / "parcels.zip") in paths
    assert str(moved / "base.qgz") in paths and str(moved / "images" / "logo.png") in paths
    # QGIS stored the file outside the project folder relative too (../outside/reference.tif):
    # left behind by the move, it is a finding that names the layer and where QGIS looked
    errors = {f.origin: f for f in collection.findings if f.severity is Severity.ERROR}
    assert set(errors) == {"layer 'lost' (ogr)", "layer 'reference' (gdal)"}
    assert errors["layer 'reference' (gdal)"].path == str(moved.parent / "outside" / "reference.tif")
    assert all(f.code == "invalid-layer" for f in errors.values())


def test_layouts_export_to_pdf_outputs_when_asked(tmp_path, studio):
    facts = build_project(tmp_path / "work", tmp_path / "outside", "--no-missing")
    collection = collect_qgis_project(facts["project"], export_layouts=True)
    pdfs = [i for i in collection.items if i.kind == "layout pdf"]
    assert len(pdfs) == 1 and pdfs[0].role is Role.OUTPUT
    pdf = Path(pdfs[0].path)
    assert pdf == Path(facts["work"]) / "exports" / "survey_Overview.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdfs[0].origin == "print layout 'Overview'"


def test_in_process_json_matches_subprocess(survey, studio, qgis_py, tmp_path):
    """The entry point QGIS's Python runs writes plain JSON the core validates unchanged."""
    import subprocess

    from qgis_support import qgis_env

    out = tmp_path / "c.json"
    proc = subprocess.run([qgis_py, "-m", "vendor_publish_qgis.headless", survey["project"], "--output", str(out)],
                          capture_output=True, text=True, timeout=120, env=qgis_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    raw = json.loads(out.read_text())
    assert Collection.model_validate(raw).project_file == survey["project"]


def test_no_qgis_python_is_explained(survey, studio, tmp_path, monkeypatch):
    monkeypatch.setenv("VENDOR_PUBLISH_QGIS_PYTHON", str(tmp_path / "no-such-python"))
    with pytest.raises(VendorPublishError) as err:
        collect_qgis_project(survey["project"])
    assert "VENDOR_PUBLISH_QGIS_PYTHON" in str(err.value) + (err.value.hint or "")
    import sys

    with pytest.raises(VendorPublishError) as err:
        collect_qgis_project(survey["project"], python=sys.executable)  # the venv: no qgis here
    assert "cannot import qgis" in str(err.value)


def test_not_a_project_is_refused(tmp_path, studio):
    other = tmp_path / "notes.txt"
    other.write_text("x")
    with pytest.raises(VendorPublishError, match="not a QGIS project"):
        collect_qgis_project(str(other))
