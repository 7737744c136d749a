"""Sandbox `workspace/file` operations, the publish pre-process and the studio-side hooks."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

VENDOR = "jennifer@gda.com"
UPLOAD = "share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com"


def ok(result: tuple[int, object]) -> object:
    status, body = result
    assert status == 200, body
    return body["result"]  # type: ignore[index]


def test_ls_exists_getsize(sandbox_call) -> None:
    top = ok(sandbox_call("GET", "workspace/file", {"op": "ls", "path": "share=proj002-outsourcing"}, user=VENDOR))
    # jennifer sees only what her ACLs lead to
    assert sorted(e["filename"] for e in top) == ["DATASET_001_1203", "FROM_VENDORS", "TO_VENDORS"]
    deep = ok(sandbox_call("GET", "workspace/file", {"op": "ls", "path": "share=proj002-outsourcing/DATASET_001_1203",
                                                     "recursive": True, "getsize": True}, user=VENDOR))
    (source,) = deep
    assert source["type"] == 0 and source["size"] > 0
    assert sorted(f["filename"] for f in source["files"]) == ["scan_0001.dat", "scan_0002.dat", "scan_0003.dat"]
    filtered = ok(sandbox_call("GET", "workspace/file", {
        "op": "ls", "path": "share=proj002-outsourcing/DATASET_001_1203/source", "include": "*0002*"}, user=VENDOR))
    assert [f["filename"] for f in filtered] == ["scan_0002.dat"]
    assert ok(sandbox_call("GET", "workspace/file", {
        "op": "exists", "path": "share=proj002-outsourcing/TO_VENDORS/analysis_task_description.txt"}, user=VENDOR))
    assert not ok(sandbox_call("GET", "workspace/file", {
        "op": "exists", "path": "share=proj002-outsourcing/TO_VENDORS/nope.txt"}, user=VENDOR))
    size = ok(sandbox_call("GET", "workspace/file", {"op": "getsize", "path": "share=proj002-outsourcing/TO_VENDORS"},
                           user=VENDOR))
    assert size > 100
    many = ok(sandbox_call("GET", "workspace/file", {"op": "exists", "path": [
        "share=proj002-outsourcing/TO_VENDORS", "share=proj002-outsourcing/TO_VENDORS/x"]}, user=VENDOR))
    assert [m["result"] for m in many] == [True, False]


def test_file_access_is_checked(sandbox, sandbox_call) -> None:
    (sandbox.volume_path() / "proj002" / "SECRET").mkdir()
    status, body = sandbox_call("GET", "workspace/file", {"op": "ls", "path": "share=proj002-outsourcing/SECRET"},
                                user=VENDOR)
    assert status == 403 and "proj002-outsourcing/SECRET" in body["message"]
    status, _ = sandbox_call("GET", "workspace/file", {"op": "ls", "path": "volume=production"}, user=VENDOR)
    assert status == 403
    top = ok(sandbox_call("GET", "workspace/file", {"op": "ls", "path": "volume=production/proj002"}))
    assert "SECRET" in {e["filename"] for e in top}
    status, body = sandbox_call("POST", "workspace/file", {"op": "mkdir", "path": "share=proj002-outsourcing/TO_VENDORS/x"},
                                user=VENDOR)
    assert status == 403 and "write" in body["message"]


def test_mkdir_delete(sandbox, sandbox_call) -> None:
    base = f"{UPLOAD}/incoming"
    assert ok(sandbox_call("POST", "workspace/file", {"op": "mkdir", "path": base}, user=VENDOR)) is True
    status, body = sandbox_call("POST", "workspace/file", {"op": "mkdir", "path": base}, user=VENDOR)
    assert status == 400 and "already exists" in body["message"]
    status, _ = sandbox_call("POST", "workspace/file", {"op": "mkdir", "path": f"{UPLOAD}/a/b"}, user=VENDOR)
    assert status == 400
    on_disk = sandbox.volume_path() / "proj002/FROM_VENDORS" / VENDOR / "incoming"
    (on_disk / "f.txt").write_text("x")
    status, body = sandbox_call("POST", "workspace/file", {"op": "delete", "path": base}, user=VENDOR)
    assert status == 400 and "non-empty" in body["message"]
    assert ok(sandbox_call("POST", "workspace/file", {"op": "delete", "path": base, "force": True}, user=VENDOR))
    assert not on_disk.exists()
    status, body = sandbox_call("GET", "workspace/file", {"op": "mkdir", "path": base}, user=VENDOR)
    assert status == 400 and "POST" in body["message"]


def test_preprocess_without_hook_says_no_publish_workflow(sandbox_call) -> None:
    fid = str(uuid.uuid4())
    res = ok(sandbox_call("PUT", "workspace/publish/preprocess", {
        "files": [{"id": fid, "filename": "x_exported.dat", "size": 10, "is_dir": False}], "size": 10}, user=VENDOR))
    (entry,) = res["files"]
    assert entry["id"] == fid and entry["can_publish"] is False and entry["can_upload"] is False
    assert "no Publish workflow" in entry["warning"] and res["publish"] is False
    assert res["comment"] is False and res["time_report"] is False and res["statuses"] == []


PRE_PUBLISH = '''import json, sys
data = json.load(open(sys.argv[1]))
out = {"guidelines": "Name outputs *_exported.dat", "comment": True, "time_report": False,
       "statuses": [{"code": "pending_review", "default": True}], "files": []}
for f in data["files"]:
    entry = dict(f)
    if f["filename"].endswith("_exported.dat"):
        entry.update(can_publish=True, ident="DATASET_001_1203",
                     path="volume=production/proj002/INGEST/" + data["user_hr"] + "/" + f["filename"])
    else:
        entry.update(rejected=True, warning="not an export: " + f["filename"])
    out["files"].append(entry)
json.dump(out, open(sys.argv[2], "w"))
print("pre-publish saw", len(data["files"]), "files from", data["user_hr"])
'''

PUBLISH = '''import json, sys
data = json.load(open(sys.argv[1]))
for f in data["files"]:
    print("INGEST", f["filename"], "->", f["path_abs"], "comment:", f.get("comment"), "job:", data["code"])
'''


def test_publish_workflow_with_hooks(sandbox, sandbox_call, tmp_path) -> None:
    (tmp_path / "pre.py").write_text(PRE_PUBLISH)
    (tmp_path / "pub.py").write_text(PUBLISH)
    sandbox.set_hook("pre-publish-server", f"{sys.executable} {tmp_path / 'pre.py'} ${{PATH_JSON_INPUT}} ${{PATH_JSON_OUTPUT}}")
    sandbox.set_hook("hook-job-publish-server", f"{sys.executable} {tmp_path / 'pub.py'} ${{PATH_JSON_INPUT}}")
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    src = tmp_path / "proj002_DATASET_001_1203_exported.dat"
    src.write_bytes(b"export" * 10)
    res = ok(sandbox_call("PUT", "workspace/publish/preprocess", {"files": [
        {"id": good, "filename": src.name, "size": 60, "is_dir": False},
        {"id": bad, "filename": "notes.txt", "size": 5, "is_dir": False}], "size": 65}, user=VENDOR))
    by_id = {f["id"]: f for f in res["files"]}
    assert by_id[good]["can_publish"] is True and by_id[good]["path"].startswith("volume=production/proj002/INGEST")
    assert by_id[bad]["rejected"] is True and by_id[bad]["can_publish"] is False
    assert res["comment"] is True and res["guidelines"] and res["publish"] is True
    files = [dict(by_id[good], comment="first pass", status="pending_review")]
    job = ok(sandbox_call("POST", "transfer/create", {
        "code": "DATASET_001_1203_publish", "tasks": [{"id": good, "source": str(src)}],
        "hooks": [{"when": "hook-job-publish-server", "data": {"files": files}}]}, user=VENDOR))[0]
    sandbox.wait_idle(20)
    landed = sandbox.volume_path() / "proj002/INGEST" / VENDOR / src.name
    assert landed.read_bytes() == src.read_bytes()
    _, tasks = sandbox_call("GET", "task/find", {"parent": job["id"]}, user=VENDOR)
    assert tasks["result"][0]["id"] == good  # the publish entry id became the task id
    log = sandbox.hook_log_path.read_text()
    assert "pre-publish saw 2 files from jennifer@gda.com" in log
    assert f"INGEST {src.name} -> {landed} comment: first pass job: DATASET_001_1203_publish" in log
    # an entry the pre-publish step never approved cannot be smuggled in
    status, body = sandbox_call("POST", "transfer/create", {
        "tasks": [{"id": bad, "source": str(src)}],
        "hooks": [{"when": "hook-job-publish-server", "data": {"files": [dict(by_id[bad], path="volume=production/x")]}}]},
        user=VENDOR)
    assert status == 403 and bad in body["message"]


def test_failing_and_slow_hooks_are_logged_and_bounded(sandbox, sandbox_call, tmp_path) -> None:
    script = tmp_path / "boom.py"
    script.write_text("import sys, json\nprint('input keys', sorted(json.load(open(sys.argv[1]))))\n"
                      "sys.stderr.write('boom on purpose\\n')\nsys.exit(3)\n")
    sandbox.set_hook("post-done-server", f"{sys.executable} {script} ${{PATH_JSON_INPUT}}")
    src = tmp_path / "h.dat"
    src.write_bytes(b"h")
    job = ok(sandbox_call("POST", "transfer/create", {"source": str(src), "destination": f"{UPLOAD}/"}, user=VENDOR))[0]
    sandbox.wait_idle(20)
    log = sandbox.hook_log_path.read_text()
    assert "hook post-done-server FAILED: exited with status 3" in log and "boom on purpose" in log
    keys = json.loads(log.split("input keys ")[1].splitlines()[0].replace("'", '"'))
    assert {"id", "code", "name", "status", "hook", "size", "created", "user", "user_hr", "source", "source_hr",
            "destination", "destination_hr", "metadata", "tasks"} <= set(keys)
    _, got = sandbox_call("GET", "transfer/find", {}, query=f"id={job['id']}", user=VENDOR)
    assert got["result"][0]["status"] == "done"  # a post-done hook failure does not undo the transfer

    sandbox._hooks.timeout = 0.5
    sandbox.set_hook("post-done-server", f"{sys.executable} -c 'import time; time.sleep(30)' ${{PATH_JSON_INPUT}}")
    ok(sandbox_call("POST", "transfer/create", {"source": str(src), "destination": f"{UPLOAD}/again.dat"},
                    user=VENDOR))
    sandbox.wait_idle(10)
    assert "FAILED: timed out after 0.5s" in sandbox.hook_log_path.read_text()
    sandbox.set_hook("post-done-server", f"/nonexistent/interpreter ${{PATH_JSON_INPUT}}")
    ok(sandbox_call("POST", "transfer/create", {"source": str(src), "destination": f"{UPLOAD}/third.dat"},
                    user=VENDOR))
    sandbox.wait_idle(10)
    assert "could not start" in sandbox.hook_log_path.read_text()


def test_hook_names_are_canonical(sandbox) -> None:
    sandbox.set_hook("hook-job-post-done-server", "x")
    sandbox.set_hook("job-publish-server", "y")
    assert sandbox.hooks() == {"post-done-server": "x", "publish-server": "y"}
    sandbox.set_hook("post-done-server", None)
    assert sandbox.hooks() == {"publish-server": "y"}
    with pytest.raises(ValueError):
        sandbox.set_hook("after-lunch", "z")
    assert Path(sandbox.hook_log_path).parent.name == "logs"
