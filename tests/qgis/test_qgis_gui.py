"""The plugin in the real QGIS GUI under Xvfb: loads, has its menu entry, opens the dialog on the
loaded project, and publishes into the sandbox from it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from qgis_support import HERE, ROOT, build_project, needs_qgis, qgis_python

pytestmark = [needs_qgis, pytest.mark.skipif(
    not (shutil.which("qgis") and shutil.which("xvfb-run")),
    reason="the QGIS GUI test needs qgis and xvfb-run (apt-get install -y --no-install-recommends qgis xvfb xauth)")]

USER = "jennifer@gda.com"
UPLOAD = f"FROM_VENDORS/{USER}"
TIMEOUT = 150


def _installer():
    import importlib.util

    spec = importlib.util.spec_from_file_location("install_qgis", ROOT / "install" / "qgis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_qgis_gui(tmp: Path, project: str, env: dict[str, str], *, publish: bool, open_in_driver: bool = False) -> dict:
    """Start QGIS with the plugin installed in a private profile and the driver script; its JSON result.

    ``open_in_driver``: the driver opens the project itself with a bad-layer handler, for projects
    with missing layers (QGIS's GUI would otherwise stop on its modal "unavailable layers" dialog).
    """
    config = tmp / "qgis-config"
    _installer().install("default", profiles_root=config / "profiles", qgis_python=qgis_python())
    shots = tmp / "shots"
    shots.mkdir()
    out = tmp / "gui-result.json"
    runtime = tmp / "runtime"
    runtime.mkdir(mode=0o700)
    full_env = {**os.environ, **env, "HOME": str(tmp / "home"), "XDG_RUNTIME_DIR": str(runtime),
                "VP_GUI_OUT": str(out), "VP_GUI_SHOTS": str(shots), "VP_GUI_PUBLISH": "1" if publish else "0"}
    for name in ("QT_QPA_PLATFORM", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        full_env.pop(name, None)
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--profiles-path", str(config),
               "--nologo", "--noversioncheck", "--code", str(HERE / "gui_driver.py")]
    if open_in_driver:
        full_env["VP_GUI_PROJECT"] = project
    else:
        command.append(project)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # xvfb-run, Xvfb and QGIS: the group this test started
        log, _ = proc.communicate()
        pytest.fail(f"QGIS did not finish within {TIMEOUT} s; last output:\n{log[-3000:]}")
    if not out.exists():
        pytest.fail(f"QGIS ended (exit {proc.returncode}) without a result; output:\n{log[-3000:]}")
    result = json.loads(out.read_text())
    assert "error" not in result, result["error"]
    return result


@pytest.fixture
def vendor(tmp_path, sandbox, sandbox_api_key):
    production = tmp_path / "jennifer" / "Production"
    profile = sandbox.studio_profile_path.read_text().replace(
        'display_name = "GeoScan"\n', 'display_name = "GeoScan"\noutput_folders = ["exports"]\n')
    studio = tmp_path / "studio-geoscan.toml"
    studio.write_text(profile)
    env = {"VENDOR_PUBLISH_HOME": str(tmp_path / "vp-home"), "ACCSYN_API_USER": USER,
           "ACCSYN_API_KEY": sandbox_api_key, "ACCSYN_PRODUCTION_PATH": str(production),
           "VENDOR_PUBLISH_STUDIO": str(studio), "VENDOR_PUBLISH_SERVER": sandbox.url}
    work = production / "proj002" / "FROM_VENDORS" / USER / "survey"
    facts = build_project(work, tmp_path / "outside", "--no-missing", "--no-database")
    return {"env": env, "facts": facts, "tmp": tmp_path}


def test_plugin_menu_dialog_and_publish_in_the_qgis_gui(vendor, sandbox):
    facts = vendor["facts"]
    result = run_qgis_gui(vendor["tmp"], facts["project"], {**vendor["env"], "VP_GUI_WARM": "1"}, publish=True)
    assert "vendor_publish_qgis" in result["active_plugins"]
    # the core was imported in the background a few seconds after start-up, before the click
    from vendor_publish_qgis.warmup import MODULES

    assert result["warmup"] == {"imported": list(MODULES), "failed": None}
    assert result["action_text"] == "Publish to GeoScan\u2026" and result["on_toolbar"]
    assert result["project"] == facts["project"]
    # the dialog shows the core's plan for the loaded project, grouped by role
    groups = {row["text"][0].split(" (")[0]: row for row in result["files"]}
    assert set(groups) == {"Project file", "Dependencies", "Outputs"}
    assert groups["Project file"]["children"][0][:2] == ["survey/survey.qgz", "survey/survey.qgz"]
    dependencies = {child[1] for child in groups["Dependencies"]["children"]}
    assert {"survey/data/roads.shp", "survey/data/parcels.zip", "survey/base.qgz", "survey/symbols/marker.svg",
            "survey/images/logo.png"} <= dependencies
    # a shapefile with its sidecars is one row that counts them; the tooltip names them
    (roads,) = [child for child in groups["Dependencies"]["children"] if child[1] == "survey/data/roads.shp"]
    assert roads[0] == "survey/data/roads.shp (5 files)"
    assert "with: roads.cpg, roads.dbf, roads.prj, roads.shx" in roads[3]
    assert not any("roads.cpg" in child[1] for child in groups["Dependencies"]["children"])
    findings = [row["text"][0] for row in result["findings"]]
    assert any(f.startswith("warning: Layer 'tiles' reads from 127.0.0.1:9 through wms") for f in findings)
    assert result["publish_enabled"] and "Ready to publish, with" in result["totals"]
    assert result["export_layouts_visible"]
    for shot in result["screenshots"]:
        assert Path(shot).stat().st_size > 10_000
    print(f"\nmenu click to dialog: {result['click_to_dialog_s']} s; screenshots: {result['screenshots']}",
          file=sys.stderr)
    # Publish from the dialog: the upload ran in a QgsTask and the message bar says what the CLI says
    assert result["outcome"].startswith("Job DATASET_001_1203_output created: id ") or \
        result["outcome"].startswith("Job survey_output created: id "), result["outcome"]
    sandbox.wait_idle(timeout=30)
    landed = sandbox.volume_path("production") / "proj002" / UPLOAD
    assert (landed / "survey" / "survey.qgz").read_bytes() == Path(facts["project"]).read_bytes()
    assert (landed / "survey" / "data" / "roads.cpg").is_file()
    # the style file unticked in the dialog stayed home
    assert result["unticked"]["row"].endswith("roads.qml") and not (landed / "survey" / "data" / "roads.qml").exists()
    manifest = json.loads(next((landed / "_vendor_publish").glob("*.json")).read_text())
    assert manifest["comment"] == "Survey delivered from the QGIS GUI test" and manifest["host"] == "qgis"


def test_cancel_in_the_task_manager_sends_nothing(vendor, sandbox, sandbox_api_key):
    from vendor_publish.accsyn_client import AccsynClient

    env = {**vendor["env"], "VP_GUI_CANCEL": "1"}
    result = run_qgis_gui(vendor["tmp"], vendor["facts"]["project"], env, publish=True)
    assert result["steps"][-1] == "cancelled"
    assert result["outcome"] == "Publish cancelled; nothing was sent.", result["outcome"]
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code("survey_output") == []


def test_a_slow_plan_gets_its_dialog_before_it_is_made_which_may_be_closed_then(vendor):
    env = {**vendor["env"], "VP_GUI_HOLD_PLAN": "1"}
    result = run_qgis_gui(vendor["tmp"], vendor["facts"]["project"], env, publish=False)
    pending = result["pending"]
    assert pending["header"].startswith("Planning the publish of survey.qgz:\n")
    assert pending["totals"] == "Planning..." and not pending["publish_enabled"] and pending["rows"] == 0
    # closed before the plan came: the plan is dropped, nothing reopens, nothing is reported as an error
    assert result["after_close"] == {"dialogs_visible": 0, "message_boxes": [], "plan_shown": False}
    # the next click shows its plan as usual (a quick plan's dialog is made once the plan is
    # there; whether this one was quick enough depends on the machine's load)
    assert result["publish_enabled"] and "Ready to publish, with" in result["totals"]
    assert any(row["text"][0].startswith("Dependencies") for row in result["files"])


def test_layouts_exported_from_the_dialog_come_back_in_the_plan(vendor, sandbox, sandbox_api_key):
    from vendor_publish.accsyn_client import AccsynClient

    env = {**vendor["env"], "VP_GUI_EXPORT": "1"}
    result = run_qgis_gui(vendor["tmp"], vendor["facts"]["project"], env, publish=False)
    assert "Print layouts are exported to PDF" in result["totals_with_export"]
    replan = result["replan"]
    assert replan["note"].startswith("Print layouts exported to ") and "press Publish" in replan["note"]
    outputs = {child[1] for row in replan["files"] if row["text"][0].startswith("Outputs")
               for child in row["children"]}
    assert "survey/exports/survey_Overview.pdf" in outputs
    # the PDF lies in the declared outputs folder too: it is planned once, as the layout's
    assert sum("survey_Overview.pdf" in f for f in replan["findings"]) == 1, replan["findings"]
    assert (Path(vendor["facts"]["work"]) / "exports" / "survey_Overview.pdf").read_bytes()[:5] == b"%PDF-"
    # what the analyst chose before pressing Publish is kept: the left-out style file, the comment
    assert [Path(p).name for p in replan["left_out"]] == ["roads.qml"] and result["unticked"]["row"].endswith(
        "roads.qml")
    assert replan["comment"] == "With the overview map" and replan["export_ticked"] is False
    # nothing was sent: the analyst checks the new plan and presses Publish again
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code("survey_output") == []


REFUSE_CSV = r'''
import json, sys
data = json.load(open(sys.argv[1]))
out = {"files": []}
for f in data["files"]:
    entry = {"id": f["id"], "filename": f["filename"], "can_publish": True}
    if f["filename"].endswith(".csv"):
        entry.update(can_publish=False, rejected=True, warning="CSV tables go through the database team")
    out["files"].append(entry)
json.dump(out, open(sys.argv[2], "w"))
'''


def test_studio_checks_refusing_at_publish_send_the_dialog_back(vendor, sandbox, sandbox_api_key):
    from vendor_publish.accsyn_client import AccsynClient

    hook = vendor["tmp"] / "refuse_csv.py"
    hook.write_text(REFUSE_CSV)
    sandbox.set_hook("pre-publish-server", f"{sys.executable} {hook} ${{PATH_JSON_INPUT}} ${{PATH_JSON_OUTPUT}}")
    env = {**vendor["env"], "VP_GUI_EXPECT_BLOCK": "1"}
    result = run_qgis_gui(vendor["tmp"], vendor["facts"]["project"], env, publish=True)
    blocked = result["blocked"]
    assert blocked["note"] == "Nothing was sent: the studio's checks found problems."
    assert any("samples.csv" in f and f.startswith("ERROR") for f in blocked["findings"]), blocked["findings"]
    assert not blocked["publish_enabled"] and "Blocked:" in blocked["totals"]
    assert not any("created: id" in text for text in blocked["bar"])
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code("survey_output") == []


def test_unsaved_project_is_saved_first_and_blocking_findings_disable_publish(tmp_path, sandbox):
    studio = tmp_path / "studio.toml"
    studio.write_text(sandbox.studio_profile_path.read_text())
    env = {"VENDOR_PUBLISH_HOME": str(tmp_path / "vp-home"), "ACCSYN_API_USER": USER,
           "VENDOR_PUBLISH_STUDIO": str(studio), "VP_GUI_DIRTY": "1"}
    facts = build_project(tmp_path / "work", tmp_path / "outside", "--no-database")  # with the missing layer
    result = run_qgis_gui(tmp_path, facts["project"], env, publish=False, open_in_driver=True)
    assert result["bad_layers_on_open"] == 1
    assert "has unsaved changes" in result["save_question"] and "survey.qgz" in result["save_question"]
    assert result["mtime_after"] > result["mtime_before"] and result["dirty_after"] is False
    findings = [row["text"][0] for row in result["findings"]]
    assert any(f.startswith("ERROR: Layer 'lost' cannot be loaded: its file is missing:") for f in findings)
    assert not result["publish_enabled"] and "Blocked:" in result["totals"]
    unticked = result["unticked"]
    assert unticked["row"].endswith("roads.qml") and unticked["included"] == [False]
    assert unticked["before"] != unticked["after"]
    assert unticked["box_after"] == 0  # Qt.Unchecked: the table shows the tick the plan now has
