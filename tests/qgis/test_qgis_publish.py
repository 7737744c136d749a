"""A headless QGIS publish through the CLI (``--host qgis``) into the sandbox over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from projects import use_environment, vendor_environment
from qgis_support import ADAPTER_DIR, ROOT, build_project, needs_qgis

from vendor_publish.accsyn_client import AccsynClient
from vendor_publish.cli import EXIT_BLOCKED, EXIT_OK, main
from vendor_publish.models import Plan

pytestmark = needs_qgis

USER = "jennifer@gda.com"
UPLOAD = f"FROM_VENDORS/{USER}"


@pytest.fixture
def vendor(tmp_path, sandbox, sandbox_api_key, monkeypatch, qgis_py):
    """The vendor's machine as the tutorial sets it up, with a studio profile declaring ``exports/``."""
    env, production = vendor_environment(tmp_path, sandbox, sandbox_api_key, edit_profile=lambda text: text.replace(
        'display_name = "GeoScan"\n', 'display_name = "GeoScan"\noutput_folders = ["exports"]\n'))
    use_environment(monkeypatch, env)
    work = production / "proj002" / "FROM_VENDORS" / USER / "survey"
    return {"production": production, "work": work, "env": env, "tmp": tmp_path}


def run_json(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_headless_publish_lands_project_data_and_outputs(vendor, sandbox, sandbox_api_key, capsys):
    facts = build_project(vendor["work"], vendor["tmp"] / "outside", "--no-missing")
    code, result, err = run_json(capsys, ["publish", facts["project"], "--host", "qgis", "--task",
                                          "DATASET_001_1203", "--yes", "--json", "--wait", "--timeout", "60"])
    assert code == EXIT_OK, err
    (one,) = result["results"]
    assert one["tracking"]["status"] == "done"
    plan = one["plan"]
    assert plan["host"] == "qgis"
    assert_plans_every_file_once(Plan.model_validate(plan), facts)
    codes = {f["code"] for f in plan["findings"]}
    assert {"remote-source", "external-file"} <= codes and not any(f["severity"] == "error" for f in plan["findings"])
    sandbox.wait_idle(timeout=30)
    landed = sandbox.volume_path("production") / "proj002" / UPLOAD
    work = Path(facts["work"])
    for rel in ("survey/survey.qgz", "survey/base.qgz", "survey/data/sites.gpkg", "survey/data/roads.cpg",
                "survey/data/roads.shp", "survey/data/dem.tif.aux.xml", "survey/data/parcels.zip",
                "survey/data/samples.csv", "survey/data/pois.sqlite", "survey/data/terrain.2dm",
                "survey/symbols/marker.svg", "survey/images/logo.png"):
        assert (landed / rel).read_bytes() == (work.parent / rel).read_bytes(), rel
    # the profile's output folder travels as one folder task and lands where the manifest says
    rel = "exports/survey_DATASET_001_1203_exported.dat"
    assert (landed / "survey" / rel).read_bytes() == (work / rel).read_bytes()
    assert not (landed / "survey" / "exports" / "exports").exists()
    externals = [p for p in (landed / "_external").rglob("*") if p.is_file()]
    assert sorted(p.name for p in externals) == ["reference.tif", "reference.tif.aux.xml"]
    manifest = json.loads(next((landed / "_vendor_publish").glob("*.json")).read_text())
    assert manifest["host"] == "qgis" and manifest["host_version"].startswith("3.")
    assert "survey/exports/survey_DATASET_001_1203_exported.dat" in {
        f["destination"].split(UPLOAD + "/")[-1] for f in manifest["files"]}
    assert sandbox_api_key not in err and "sekrit-pw" not in err + json.dumps(result)


def assert_plans_every_file_once(plan: Plan, facts: dict) -> None:
    """Every file the project uses is in the plan once, at its place under the upload folder."""
    work = Path(facts["work"])
    files = [(Path(f.source), f.destination) for entry in plan.entries for f in entry.files()]
    assert len(files) == len(set(files)) == plan.totals.files
    used = [*facts["shapefile"], facts["style"], *facts["geotiff"], facts["gpkg"], facts["base_gpkg"], facts["csv"],
            facts["zip"], facts["spatialite"], facts["mesh"], facts["svg"], facts["logo"], facts["base_project"],
            facts["project"], facts["output"]]
    expected = {Path(p): f"{plan.upload_root}/{work.name}/{Path(p).relative_to(work).as_posix()}" for p in used}
    expected.update((Path(p), f"{plan.upload_root}/_external/{p.lstrip('/')}") for p in facts["external"])
    assert dict(files) == expected
    # a shapefile and its sidecars: one entry, one row in every view; its default style: one optional entry
    (roads,) = [e for e in plan.entries if e.source == facts["shp"]]
    assert roads.count == 5 and roads.members[0] == "roads.shp"
    (style,) = [e for e in plan.entries if e.source == facts["style"]]
    assert style.optional and style.count == 1


def test_missing_layer_blocks_and_sends_nothing(vendor, sandbox, sandbox_api_key, capsys):
    facts = build_project(vendor["work"], vendor["tmp"] / "outside")
    code, result, err = run_json(capsys, ["publish", facts["project"], "--host", "qgis", "--task",
                                          "DATASET_001_1203", "--yes", "--json"])
    assert code == EXIT_BLOCKED
    (finding,) = [f for f in result["results"][0]["plan"]["findings"] if f["code"] == "invalid-layer"]
    assert finding["origin"] == "layer 'lost' (ogr)" and finding["path"].endswith("data/lost.shp")
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code("DATASET_001_1203_output") == []


def test_real_cli_plans_a_qgis_project_from_the_venv(vendor, sandbox):
    """The installed ``vendor-publish`` command, run as a vendor would, reads QGIS in a subprocess."""
    facts = build_project(vendor["work"], vendor["tmp"] / "outside")
    cli = Path(sys.executable).parent / "vendor-publish"
    env = {**os.environ, **vendor["env"], "PYTHONPATH": str(ADAPTER_DIR)}
    proc = subprocess.run([str(cli), "plan", facts["project"], "--host", "qgis", "--task", "DATASET_001_1203"],
                          capture_output=True, text=True, timeout=180, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert proc.returncode == EXIT_BLOCKED, proc.stderr
    out = proc.stdout
    assert "Project file:" in out and "survey/survey.qgz" in out
    assert "survey/data/roads.shp (5 files)" in out  # with its sidecars, as one entry
    assert "Layer 'lost' cannot be loaded: its file is missing" in out
    assert "Outputs:" in out and "survey/exports/" in out
    assert "Blocked: 1 problem must be fixed before publishing." in out
