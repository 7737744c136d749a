"""The sandbox driven by the UNCHANGED official `accsyn_api.Session` (accsyn-python-api 3.4.0).

If the official client can log in, find, create, grant and follow jobs against the sandbox,
the sandbox speaks the real protocol. Plain HTTP through `ACCSYN_PROXY=127.0.0.1:<port>`
(with `hostname=` so no master lookup is needed), from an empty working directory because
the client loads `./.env`.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest

_root_logger = logging.getLogger()
_handlers_before, _level_before = list(_root_logger.handlers), _root_logger.level
accsyn_api = pytest.importorskip("accsyn_api")
# accsyn_api calls logging.basicConfig() on import; keep the test session's logging as it was.
for _handler in [h for h in _root_logger.handlers if h not in _handlers_before]:
    _root_logger.removeHandler(_handler)
_root_logger.setLevel(_level_before)
from accsyn_api.session import AccsynException  # noqa: E402

STUDIO = "workflow@geoscan.org"
ADMIN = "andrea@geoscan.org"
VENDOR = "jennifer@gda.com"
SHARE = "proj002-outsourcing"
FINAL = ("done", "failed", "aborted")


@pytest.fixture
def official(sandbox, sandbox_api_key, monkeypatch, tmp_path) -> Callable[..., "accsyn_api.Session"]:
    """Open official-client sessions on the sandbox, as a given user."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for var in ("ACCSYN_CREDENTIALS_PATH", "ACCSYN_WORKSPACE", "ACCSYN_DOMAIN", "ACCSYN_ORG", "ACCSYN_API_USER",
                "ACCSYN_API_KEY", "AS_DEV"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ACCSYN_PROXY", f"127.0.0.1:{sandbox.port}")

    def open_session(user: str, key: str | None = None) -> accsyn_api.Session:
        return accsyn_api.Session(workspace="geoscan", username=user, api_key=key or sandbox_api_key,
                                  hostname="127.0.0.1", timeout=20, connect_timeout=5)

    return open_session


def follow(session: "accsyn_api.Session", job_id: str, timeout: float = 20.0) -> dict:
    """Poll the job the way pollers do (find_one by id) until it is finished."""
    deadline = time.monotonic() + timeout
    while True:
        job = session.find_one(f"transfer WHERE id={job_id}")
        assert job is not None, f"job {job_id} vanished"
        if job["status"] in FINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_login_roles_and_wrong_key(official, sandbox_api_key) -> None:
    for user, role in ((ADMIN, "admin"), (STUDIO, "employee"), (VENDOR, "standard")):
        s = official(user)
        assert s._role == role
        assert re.match(r"^[a-f0-9]{24}$", s._uid)
    with pytest.raises(AccsynException) as exc:
        official(VENDOR, key="wrong-" + sandbox_api_key)
    assert VENDOR in str(exc.value) and sandbox_api_key not in str(exc.value)
    with pytest.raises(AccsynException) as exc:
        official("nobody@nowhere.com")
    assert "nobody@nowhere.com" in str(exc.value)


def test_studio_script_share_acls_grant_and_vendor_upload(official, sandbox, tmp_path) -> None:
    s = official(STUDIO)
    # --- the tutorial's studio-side script, v3 spelling, for a new vendor and share
    u = s.find_one("user WHERE code=bob@vendor.com")
    assert u is None
    u = s.create("user", {"code": "bob@vendor.com", "clearance": "user"})
    assert u["code"] == "bob@vendor.com" and u["role"] == "standard" and re.match(r"^[a-f0-9]{24}$", u["id"])
    assert s.find_one("user WHERE code=bob@vendor.com")["id"] == u["id"]

    share = s.find_one("share WHERE code=proj003-outsourcing")
    assert share is None
    share = s.create("share", {"code": "proj003-outsourcing", "parent": "production", "path": "proj003"})
    assert share["path"] == "proj003" and (sandbox.volume_path() / "proj003").is_dir()

    acls = {}
    for p, read, write in (("DATASET_001_1203", True, False), ("TO_VENDORS", True, False),
                           ("FROM_VENDORS\\bob@vendor.com", True, True)):
        for _attempt in range(2):  # second round: the tutorial's find_one must find what it created
            q = "acl WHERE (ident=user:{0} AND target=share:{1} AND path={2})".format(u["id"], share["id"], p)
            acl = s.find_one(q)
            if acl is None:
                acl = s.create("acl", {"ident": f"user:{u['id']}", "target": f"share:{share['id']}", "path": p,
                                       "read": read, "write": write})
            acls.setdefault(p, acl["id"])
            assert acl["id"] == acls[p]
            assert acl["read"] is read and acl["write"] is write
    v3 = s.find(f"acl WHERE entity=user:{u['id']} AND target=share:{share['id']}")
    assert {a["path"] for a in v3} == {"DATASET_001_1203", "TO_VENDORS", "FROM_VENDORS/bob@vendor.com"}

    # grant() by codes, then again: an upsert of the same ACL
    g1 = s.grant("user", "bob@vendor.com", "folder", "proj003-outsourcing", {"path": "REF", "read": True})
    g2 = s.grant("user", "bob@vendor.com", "folder", "proj003-outsourcing",
                 {"path": "REF", "read": True, "write": True})
    assert g1["id"] == g2["id"] and g2["write"] is True and g1["path"] == "REF"
    listed = s.access("folder", share["id"])
    assert {a["path"] for a in listed} >= {"REF", "TO_VENDORS"}
    assert all(a["user"] == u["id"] for a in listed)

    # --- a delivery to jennifer (the tutorial's studio script, "dest" spelling, tasks dict)
    job = s.create("job", {
        "code": "proj002_DATASET_001_1203_outsource_jennifer@gda.com",
        "tasks": {
            "0": {"source": "share=proj002-outsourcing/DATASET_001_1203", "dest": "jennifer@gda.com:proj002\\DATASET_001_1203"},
            "1": {"source": "share=proj002-outsourcing/TO_VENDORS", "dest": "jennifer@gda.com:TO_VENDORS"},
        },
    })
    assert re.match(r"^[a-f0-9]{24}$", job["id"]) and job["destination_hr"] == f"user:{VENDOR}"
    assert follow(s, job["id"])["status"] == "done"
    local = sandbox.local_root(VENDOR)
    assert (local / "proj002/DATASET_001_1203/source/scan_0001.dat").is_file()

    # --- jennifer's send-back script (tutorial, "geoscan" instead of the "acmefilme" typo)
    v = official(VENDOR)
    assert v.app_is_running() is True
    project_dir = str(local / "proj002")
    share_name = "proj002-outsourcing"
    task_name = "DATASET_001_1203"
    files = [
        "FROM_VENDORS\\jennifer@gda.com\\cleaned_set.dat",
        "FROM_VENDORS\\jennifer@gda.com\\proj002_DATASET_001_1203.analyze",
        "FROM_VENDORS\\jennifer@gda.com\\output\\proj002_DATASET_001_1203_exported.dat",
    ]
    for i, p in enumerate(files):
        f = Path(project_dir, *p.split("\\"))
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(f"vendor file {i}\n".encode() * (100 + i))
    tasks = {}
    n = 0
    for p in files:
        tasks[str(n)] = {"source": "%s\\%s" % (project_dir, p), "destination": "geoscan:share=%s:%s" % (share_name, p)}
        n += 1
    back = v.create("job", {"code": "%s_output" % (task_name), "tasks": tasks})
    assert back["user_hr"] == VENDOR and back["source_hr"] == f"user:{VENDOR}"
    done = follow(v, back["id"])
    assert done["status"] == "done" and done["progress"] == 100 and done["size"] > 0
    assert isinstance(done["finished"], __import__("datetime").datetime)

    # finished: gone from a plain find, reachable by id / finished=True
    assert back["id"] not in {j["id"] for j in v.find("transfer")}
    assert back["id"] in {j["id"] for j in v.find("transfer", finished=True)}
    tasks_back = v.find("task", entityid=back["id"])
    assert sorted(t["uri"] for t in tasks_back) == ["0", "1", "2"]
    assert all(t["status"] == "done" for t in tasks_back)
    assert all(uuid.UUID(t["id"]).version == 4 for t in tasks_back)
    dest_dir = sandbox.volume_path() / "proj002/FROM_VENDORS/jennifer@gda.com"
    assert (dest_dir / "output/proj002_DATASET_001_1203_exported.dat").read_bytes() == b"vendor file 2\n" * 102
    assert (dest_dir / "cleaned_set.dat").is_file()

    # the vendor sees herself only, and her files through her ACL
    assert [x["code"] for x in v.find("user")] == [VENDOR]
    listing = v.ls("share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com", recursive=True)
    assert {e["filename"] for e in listing} >= {"cleaned_set.dat", "output"}
    assert v.exists("share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com/cleaned_set.dat") is True
    assert v.getsize("share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com/cleaned_set.dat") == 14 * 100

    # an upload outside her write ACL is refused, naming the path
    with pytest.raises(AccsynException) as exc:
        v.create("job", {"code": "sneaky", "tasks": {"0": {
            "source": "%s\\%s" % (project_dir, files[0]),
            "destination": "geoscan:share=proj002-outsourcing:DATASET_001_1203\\cleaned_set.dat"}}})
    assert "proj002-outsourcing/DATASET_001_1203/cleaned_set.dat" in str(exc.value)
    with pytest.raises(AccsynException):
        v.create("share", {"code": "mine", "parent": "production", "path": "mine"})


def test_client_switch_and_job_edit(official, sandbox, tmp_path) -> None:
    admin = official(ADMIN)
    v = official(VENDOR)
    client = admin.find_one(f"client WHERE user={v._uid} AND type=0")
    assert client["status"] == "online" and client["user_hr"] == VENDOR
    assert admin.update("client", client["id"], {"status": "offline"})["status"] == "offline"
    assert v.app_is_running() is False
    src = tmp_path / "late.dat"
    src.write_bytes(b"x" * 1000)
    job = v.create("transfer", {"source": str(src),
                                "destination": "share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com/"})
    time.sleep(0.3)
    assert v.find_one(f"transfer WHERE id={job['id']}")["status"] == "waiting"
    paused = v.update("transfer", job["id"], {"status": "paused"})
    assert paused["status"] == "paused"
    admin.update("client", client["id"], {"status": "online"})
    time.sleep(0.3)
    assert v.find_one(f"transfer WHERE id={job['id']}")["status"] == "paused"
    v.update("transfer", job["id"], {"status": "waiting"})
    assert follow(v, job["id"])["status"] == "done"
    assert (sandbox.volume_path() / "proj002/FROM_VENDORS/jennifer@gda.com/late.dat").stat().st_size == 1000
    assert v.get_entity("transfer", job["id"])["status"] == "done"


HOOK_SCRIPT = '''#!/usr/local/bin/python3
# The tutorial's accsyn_job_done.py (Python 3 only).

import json,sys,os

import accsyn_api

def generic_print(s):
    print(s)


def publish(user=None, comment=None, filename=None):
    \'\'\' Do something with data uploaded by user. \'\'\'
    generic_print("User {0} published '{1}' ,comment: {2}".format(user, filename, comment))

if __name__ == '__main__':

    p_input = sys.argv[1]
    data = json.load(open(p_input, "r"))
    generic_print("Publish hook incoming data from user %s: %s"%(data['user_hr'], json.dumps(data, indent=3)))

    # Find the output amongst files
    for p in [d["source"]["path_abs"] for d in data["tasks"].values()]:
        if p.lower().endswith("_exported.dat"):
            publish(user=data["source_hr"].split(":")[1], comment="Subcontractor publish", filename=p)
'''


def test_tutorial_end_to_end_with_post_done_hook(official, sandbox, tmp_path) -> None:
    script = tmp_path / "accsyn_job_done.py"
    script.write_text(HOOK_SCRIPT)
    sandbox.set_hook("job-post-done-server", f"{sys.executable} {script} ${{PATH_JSON_INPUT}}")

    studio = official(STUDIO)
    delivery = studio.create("job", {
        "code": "proj002_DATASET_001_1203_outsource_jennifer@gda.com",
        "tasks": {
            "0": {"source": "share=proj002-outsourcing/DATASET_001_1203", "dest": "jennifer@gda.com:proj002\\DATASET_001_1203"},
            "1": {"source": "share=proj002-outsourcing/TO_VENDORS", "dest": "jennifer@gda.com:TO_VENDORS"},
        },
    })
    sandbox.wait_idle(20)
    assert studio.find_one(f"transfer WHERE id={delivery['id']}")["status"] == "done"
    local = sandbox.local_root(VENDOR)
    vol = sandbox.volume_path() / "proj002"
    for rel in ("DATASET_001_1203/source/scan_0002.dat",):
        assert (local / "proj002" / rel).read_bytes() == (vol / rel).read_bytes()
    assert (local / "TO_VENDORS/analysis_task_description.txt").read_bytes() == \
        (vol / "TO_VENDORS/analysis_task_description.txt").read_bytes()

    # jennifer works on the delivered data, then runs her send-back script
    project_dir = str(local / "proj002")
    work = Path(project_dir, "FROM_VENDORS", VENDOR)
    (work / "output").mkdir(parents=True)
    cleaned = b"".join((local / "proj002/DATASET_001_1203/source" / n).read_bytes() for n in ("scan_0001.dat",))
    (work / "cleaned_set.dat").write_bytes(cleaned)
    (work / "proj002_DATASET_001_1203.analyze").write_text("analysis project\n")
    (work / "output/proj002_DATASET_001_1203_exported.dat").write_bytes(b"result\n" * 50)
    files = [
        "FROM_VENDORS\\jennifer@gda.com\\cleaned_set.dat",
        "FROM_VENDORS\\jennifer@gda.com\\proj002_DATASET_001_1203.analyze",
        "FROM_VENDORS\\jennifer@gda.com\\output\\proj002_DATASET_001_1203_exported.dat",
    ]
    session = official(VENDOR)
    tasks = {}
    for n, p in enumerate(files):
        tasks[str(n)] = {"source": "%s\\%s" % (project_dir, p),
                         "destination": "geoscan:share=%s:%s" % ("proj002-outsourcing", p)}
    job = session.create("job", {"code": "%s_output" % ("DATASET_001_1203"), "tasks": tasks})
    sandbox.wait_idle(20)
    assert session.find_one(f"transfer WHERE id={job['id']}")["status"] == "done"
    landed = vol / "FROM_VENDORS" / VENDOR
    assert (landed / "cleaned_set.dat").read_bytes() == cleaned
    assert (landed / "output/proj002_DATASET_001_1203_exported.dat").read_bytes() == b"result\n" * 50

    log = sandbox.hook_log_path.read_text()
    expected = (f"User jennifer@gda.com published '{project_dir}\\FROM_VENDORS\\jennifer@gda.com\\output\\"
                f"proj002_DATASET_001_1203_exported.dat' ,comment: Subcontractor publish")
    assert expected in log
    assert "Publish hook incoming data from user jennifer@gda.com" in log
    assert log.count("hook post-done-server ok") == 2  # the delivery and the send-back
    assert str(landed / "output" / "proj002_DATASET_001_1203_exported.dat") in log  # destination path_abs
