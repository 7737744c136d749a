"""accsyn's Publish workflow: the studio's pre-publish hook judges the entries and dictates where
they go; its verdicts are findings, its destinations are used, its publish hook gets the files."""

from __future__ import annotations

import json
import sys

import pytest
from projects import tutorial_project, use_environment, vendor_environment, write

from vendor_publish.cli import EXIT_BLOCKED, EXIT_OK, main

PRE_PUBLISH = r'''
import json, sys
data = json.load(open(sys.argv[1]))
out = {"guidelines": "Outputs go to INGEST for review.", "comment": True,
       "statuses": [{"name": "pending review", "default": True}, {"name": "final"}], "files": []}
for f in data["files"]:
    name = f["filename"]
    entry = {"id": f["id"], "filename": name}
    if name.startswith("reject"):
        entry.update(can_publish=False, rejected=True, warning="rejected files are not wanted")
    elif name.endswith("_exported.dat"):
        entry.update(can_publish=True, path="volume=production/proj002/INGEST/" + name)
    else:
        entry.update(can_publish=True, path="volume=production/proj002/INGEST/other/" + name)
    out["files"].append(entry)
json.dump(out, open(sys.argv[2], "w"))
'''

PUBLISH = r'''
import json, sys
data = json.load(open(sys.argv[1]))
for f in data["files"]:
    print("INGESTED", f.get("filename"), f.get("path"), data.get("comment"), f.get("status") or data.get("status"))
'''


@pytest.fixture
def studio_with_publish(tmp_path, sandbox, sandbox_api_key, monkeypatch):
    pre = write(tmp_path / "hooks" / "pre_publish.py", PRE_PUBLISH)
    pub = write(tmp_path / "hooks" / "publish.py", PUBLISH)
    sandbox.set_hook("pre-publish-server", f"{sys.executable} {pre} ${{PATH_JSON_INPUT}} ${{PATH_JSON_OUTPUT}}")
    sandbox.set_hook("publish-server", f"{sys.executable} {pub} ${{PATH_JSON_INPUT}}")
    sandbox.set_hook("job-post-done-server", f"{sys.executable} -m vendor_publish ingest ${{PATH_JSON_INPUT}}")
    env, production = vendor_environment(tmp_path, sandbox, sandbox_api_key)
    use_environment(monkeypatch, env)
    return tutorial_project(production)


def publish(p, *extra):
    return ["publish", str(p["project"]), "--dep", str(p["asset"]), "--output", str(p["output"]),
            "--task", "WF", "--yes", "--json", *extra]


def test_destinations_dictated_by_the_studio_are_used(studio_with_publish, sandbox, capsys):
    p = studio_with_publish
    code = main(publish(p, "--comment", "cleaned and exported", "--wait", "--timeout", "60"))
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    plan = json.loads(out)["results"][0]["plan"]
    assert plan["publish_workflow"]["status"] == "pending review"
    assert any(f["code"] == "studio-guidelines" for f in plan["findings"])
    sandbox.wait_idle(timeout=30)
    ingest = sandbox.volume_path("production") / "proj002" / "INGEST"
    assert (ingest / "proj002_DATASET_001_1203_exported.dat").read_bytes() == p["output"].read_bytes()
    assert (ingest / "other" / "cleaned_set.dat").is_file()
    assert list((ingest / "other").glob("*.manifest.json")) or list((ingest / "other").glob("*.json"))
    log = sandbox.hook_log_path.read_text()
    assert "INGESTED proj002_DATASET_001_1203_exported.dat" in log and "cleaned and exported" in log
    assert "job WF_output: 3 files verified" in log  # ingest found every file where the studio sent it


def test_studio_verdicts_block_before_anything_is_sent(studio_with_publish, sandbox, capsys):
    p = studio_with_publish
    bad = write(p["work"] / "reject_me.dat", "x")
    code = main(publish(p, "--dep", str(bad)))  # and no comment
    out, err = capsys.readouterr()
    assert code == EXIT_BLOCKED
    found = {f["code"]: f for f in json.loads(out)["results"][0]["plan"]["findings"]}
    assert "rejected files are not wanted" in found["studio-rejected"]["message"]
    assert "comment" in found["comment-required"]["message"]


def test_a_file_placed_by_the_studio_takes_its_companions_along(studio_with_publish, sandbox):
    from vendor_publish import workflow
    from vendor_publish.generic import collect_paths
    from vendor_publish.models import CollectedItem, Role
    from vendor_publish.settings import resolve_settings

    p = studio_with_publish
    gis = p["work"] / "gis"
    for ext in ("shp", "shx", "dbf"):
        write(gis / f"roads.{ext}", f"{ext} bytes")
    base = collect_paths(str(p["project"]), dependencies=[str(p["asset"])], outputs=[str(p["output"])])
    roads = CollectedItem(path=str(gis / "roads.shp"), role=Role.DEPENDENCY, origin="layer 'roads'",
                          companions=["roads.shx", "roads.dbf"])
    settings = resolve_settings()
    plan = workflow.make_plan(settings, base.model_copy(update={"items": [*base.items, roads]}), task="WF",
                              comment="with a shapefile")
    client = workflow.make_client(settings)
    try:
        plan = workflow.check_online(plan, settings, client)
        assert not plan.blocked, plan.findings
        (entry,) = [e for e in plan.entries if e.source.endswith("roads.shp")]
        assert plan.publish_workflow.paths[entry.id].endswith("INGEST/other/roads.shp")
        workflow.publish_plan(plan, client)
    finally:
        client.close()
    sandbox.wait_idle(timeout=60)
    other = sandbox.volume_path("production") / "proj002" / "INGEST" / "other"
    for ext in ("shp", "shx", "dbf"):  # beside the file the studio placed, not inside a folder named after it
        assert (other / f"roads.{ext}").read_text() == f"{ext} bytes"
    assert "job WF_output: 6 files verified" in sandbox.hook_log_path.read_text()
