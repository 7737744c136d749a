"""Sandbox transfer jobs: JSON forms, endpoints, ACL enforcement, scoping, worker behaviour, restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vendor_publish.sandbox import Sandbox
from vendor_publish.sandbox.entities import create_acl, create_share, create_user
from vendor_publish.sandbox.jobs import create_job

VENDOR = "jennifer@gda.com"
STUDIO = "workflow@geoscan.org"
UPLOAD = "share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com"


def make_files(base: Path, names: list[str], size: int = 100) -> list[Path]:
    out = []
    for i, name in enumerate(names):
        p = base / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(bytes([65 + i % 26]) * size)
        out.append(p)
    return out


def create(call, data, user=VENDOR) -> dict:
    status, body = call("POST", "transfer/create", data, user=user)
    assert status == 200, body
    return body["result"][0]


def get_job(call, job_id, user=VENDOR) -> dict:
    status, body = call("GET", "transfer/find", {"single_entity_query": True}, query=f"id={job_id}", user=user)
    assert status == 200 and body["result"], body
    return body["result"][0]


def refused(call, data, user=VENDOR) -> tuple[int, str]:
    status, body = call("POST", "transfer/create", data, user=user)
    assert status >= 400 and "result" not in body, body
    return status, body["message"]


@pytest.fixture
def vol(sandbox) -> Path:
    return sandbox.volume_path() / "proj002"


def test_job_forms_list_dict_single_dest_and_old_share_notation(sandbox, sandbox_call, tmp_path, vol) -> None:
    a, b, c, d, e = make_files(tmp_path, ["a.dat", "b.dat", "c.dat", "d.dat", "e.dat"])
    jobs = [
        create(sandbox_call, {"code": "single", "source": str(a), "destination": f"{UPLOAD}/single/a.dat"}),
        create(sandbox_call, {"code": "list", "tasks": [
            {"source": str(b), "destination": f"{UPLOAD}/list/"},
            {"source": str(c), "dest": f"geoscan:{UPLOAD}/list/c_renamed.dat"}]}),
        create(sandbox_call, {"code": "dict", "tasks": {
            "0": {"source": str(d), "destination": "geoscan:share=proj002-outsourcing:FROM_VENDORS\\jennifer@gda.com\\dict\\d.dat"},
            "1": {"source": str(e).replace("/", "\\"),
                  "destination": "share=proj002-outsourcing\\FROM_VENDORS\\jennifer@gda.com\\dict\\"}}}),
    ]
    sandbox.wait_idle(10)
    for job in jobs:
        assert get_job(sandbox_call, job["id"])["status"] == "done"
    up = vol / "FROM_VENDORS" / VENDOR
    assert (up / "single/a.dat").read_bytes() == a.read_bytes()
    assert (up / "list/b.dat").is_file() and (up / "list/c_renamed.dat").read_bytes() == c.read_bytes()
    assert (up / "dict/d.dat").is_file() and (up / "dict/e.dat").is_file()
    status, body = sandbox_call("GET", "task/find", {"parent": jobs[2]["id"]}, user=VENDOR)
    assert [t["uri"] for t in body["result"]] == ["0", "1"]
    assert body["result"][0]["destination"]["path"] == "FROM_VENDORS/jennifer@gda.com/dict/d.dat"
    assert body["result"][0]["destination"]["path_abs"] == str(up / "dict/d.dat")


def test_folder_sources_and_sequences(sandbox, sandbox_call, tmp_path, vol) -> None:
    make_files(tmp_path / "shot", ["plate/a.exr", "plate/sub/b.exr", "notes.txt"])
    frames = make_files(tmp_path / "render", [f"img.{f:04d}.exr" for f in range(1001, 1006)] + ["img.0999.exr"])
    job1 = create(sandbox_call, {"code": "folder", "source": str(tmp_path / "shot"), "destination": f"{UPLOAD}/"})
    job2 = create(sandbox_call, {"code": "folder-renamed", "source": str(tmp_path / "shot" / "plate"),
                                 "destination": f"{UPLOAD}/plates_v2"})
    job3 = create(sandbox_call, {"code": "seq", "source": str(tmp_path / "render" / "img.%04d.exr[1001-1005]"),
                                 "destination": f"{UPLOAD}/render/"})
    sandbox.wait_idle(10)
    up = vol / "FROM_VENDORS" / VENDOR
    for job in (job1, job2, job3):
        assert get_job(sandbox_call, job["id"])["status"] == "done"
    assert (up / "shot/plate/sub/b.exr").is_file() and (up / "shot/notes.txt").is_file()
    assert (up / "plates_v2/a.exr").is_file() and (up / "plates_v2/sub/b.exr").is_file()
    assert sorted(p.name for p in (up / "render").iterdir()) == [f"img.{f:04d}.exr" for f in range(1001, 1006)]
    done = get_job(sandbox_call, job3["id"])
    assert done["size"] == 5 * 100
    _, tasks = sandbox_call("GET", "task/find", {"parent": job3["id"]}, user=VENDOR)
    assert len(tasks["result"]) == 1 and tasks["result"][0]["size"] == 500  # one task, many files
    assert frames


def test_delivery_lands_in_local_root_and_mapped_share(sandbox, sandbox_call) -> None:
    job = create(sandbox_call, {"code": "deliver", "tasks": [
        {"source": "share=proj002-outsourcing/TO_VENDORS/analysis_task_description.txt",
         "destination": f"{VENDOR}:inbox/"},
        {"source": "share=proj002-outsourcing/DATASET_001_1203", "destination": f"{VENDOR}:share=proj002-outsourcing/"}]},
        user=STUDIO)
    sandbox.wait_idle(10)
    assert get_job(sandbox_call, job["id"], user=STUDIO)["status"] == "done"
    local = sandbox.local_root(VENDOR)
    assert (local / "inbox/analysis_task_description.txt").is_file()
    assert (local / "proj002/DATASET_001_1203/source/scan_0003.dat").is_file()
    # jennifer sees the delivery to her, too
    assert get_job(sandbox_call, job["id"], user=VENDOR)["destination_hr"] == f"user:{VENDOR}"


def test_acl_refusals_name_the_path(sandbox_call, tmp_path) -> None:
    (src,) = make_files(tmp_path, ["x.dat"])
    status, msg = refused(sandbox_call, {"source": str(src),
                                         "destination": "share=proj002-outsourcing/DATASET_001_1203/x.dat"})
    assert status == 403 and "proj002-outsourcing/DATASET_001_1203/x.dat" in msg and "write" in msg
    # segment boundary: "jennifer@gda.com.evil" is not inside "jennifer@gda.com"
    status, msg = refused(sandbox_call, {"source": str(src),
                                         "destination": "share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com.evil/x.dat"})
    assert status == 403 and "jennifer@gda.com.evil" in msg
    status, msg = refused(sandbox_call, {"source": str(src), "destination": f"{UPLOAD}/../../x.dat"})
    assert status == 403 and ".." in msg
    status, msg = refused(sandbox_call, {"source": "share=proj002-outsourcing/FROM_VENDORS",
                                         "destination": str(tmp_path / "dl")})
    assert status == 403 and "read" in msg and "proj002-outsourcing/FROM_VENDORS" in msg
    status, msg = refused(sandbox_call, {"source": str(src), "destination": "volume=production/proj002/x.dat"})
    assert status == 403 and "volume" in msg
    # case-insensitive ACL path comparison
    create(sandbox_call, {"source": str(src), "destination": "share=proj002-outsourcing/from_vendors/JENNIFER@GDA.COM/x.dat"})


def test_unknown_parties_and_local_paths_of_others(sandbox_call, tmp_path) -> None:
    (src,) = make_files(tmp_path, ["x.dat"])
    status, msg = refused(sandbox_call, {"source": str(src), "destination": f"acmefilme:{UPLOAD}/x.dat"})
    assert "acmefilme" in msg
    status, msg = refused(sandbox_call, {"source": "share=nosuch/x", "destination": f"{VENDOR}:x/"}, user=STUDIO)
    assert status == 404 and "nosuch" in msg
    status, msg = refused(sandbox_call, {"source": "share=proj002-outsourcing/TO_VENDORS",
                                         "destination": "jennifer@vfxhouse.com:TO_VENDORS"}, user=STUDIO)
    assert "jennifer@vfxhouse.com" in msg
    status, msg = refused(sandbox_call, {"source": "share=proj002-outsourcing/TO_VENDORS",
                                         "destination": f"{VENDOR}:/home/jennifer/x/"}, user=STUDIO)
    assert status == 403 and VENDOR in msg
    status, msg = refused(sandbox_call, {"tasks": []})
    assert status == 400


def test_finished_jobs_hidden_but_reachable_by_id(sandbox, sandbox_call, tmp_path) -> None:
    (src,) = make_files(tmp_path, ["f.dat"])
    job = create(sandbox_call, {"code": "fin", "source": str(src), "destination": f"{UPLOAD}/"})
    sandbox.wait_idle(10)
    _, plain = sandbox_call("GET", "transfer/find", {}, user=VENDOR)
    assert job["id"] not in {j["id"] for j in plain["result"]}
    _, by_id = sandbox_call("GET", "transfer/find", {}, query=f"id={job['id']}", user=VENDOR)
    assert by_id["result"][0]["status"] == "done"
    _, fin = sandbox_call("GET", "transfer/find", {"finished": True}, query="code=fin", user=VENDOR)
    assert [j["id"] for j in fin["result"]] == [job["id"]]
    _, got = sandbox_call("GET", "transfer/find", {}, entity_id=job["id"], user=VENDOR)
    assert got["result"][0]["finished"]
    # another vendor's eyes: the studio sees it, a second standard user does not
    sandbox_call("POST", "user/create", {"code": "other@vendor.com", "clearance": "standard"})
    _, other = sandbox_call("GET", "transfer/find", {"finished": True}, user="other@vendor.com")
    assert other["result"] == []


def test_offline_client_waits_then_runs(sandbox, sandbox_call, tmp_path, vol) -> None:
    (src,) = make_files(tmp_path, ["late.dat"])
    sandbox.set_client_online(VENDOR, False)
    job = create(sandbox_call, {"code": "late", "source": str(src), "destination": f"{UPLOAD}/"})
    sandbox.wait_idle(5)  # nothing runnable: returns although the job is waiting
    assert get_job(sandbox_call, job["id"])["status"] == "waiting"
    assert not (vol / "FROM_VENDORS" / VENDOR / "late.dat").exists()
    sandbox.set_client_online(VENDOR, True)
    sandbox.wait_idle(10)
    assert get_job(sandbox_call, job["id"])["status"] == "done"
    assert (vol / "FROM_VENDORS" / VENDOR / "late.dat").is_file()


def test_missing_source_fails_with_reason_and_resume(sandbox, sandbox_call, tmp_path) -> None:
    ghost = tmp_path / "ghost.dat"
    job = create(sandbox_call, {"code": "ghost", "tasks": [{"source": str(ghost), "destination": f"{UPLOAD}/"}]})
    sandbox.wait_idle(10)
    failed = get_job(sandbox_call, job["id"])
    assert failed["status"] == "failed" and "ghost.dat" in failed["reason"] and "does not exist" in failed["reason"]
    _, tasks = sandbox_call("GET", "task/find", {"parent": job["id"]}, user=VENDOR)
    assert tasks["result"][0]["status"] == "failed"
    ghost.write_bytes(b"now here")
    status, body = sandbox_call("PUT", "transfer/edit", {"status": "waiting"}, entity_id=job["id"], user=VENDOR)
    assert status == 200 and isinstance(body["result"], list)
    sandbox.wait_idle(10)
    assert get_job(sandbox_call, job["id"])["status"] == "done"


def test_paused_on_create_holds_and_edit_rules(sandbox, sandbox_call, tmp_path) -> None:
    (src,) = make_files(tmp_path, ["p.dat"])
    job = create(sandbox_call, {"code": "held", "status": "paused", "source": str(src), "destination": f"{UPLOAD}/"})
    sandbox.wait_idle(5)
    assert get_job(sandbox_call, job["id"])["status"] == "paused"
    status, body = sandbox_call("PUT", "transfer/edit", {"status": "running"}, entity_id=job["id"], user=VENDOR)
    assert status == 400 and "running" in body["message"]
    sandbox_call("POST", "user/create", {"code": "other@vendor.com"})
    status, _ = sandbox_call("PUT", "transfer/edit", {"status": "waiting"}, entity_id=job["id"],
                             user="other@vendor.com")
    assert status == 404
    status, body = sandbox_call("DELETE", "transfer/delete", {}, entity_id=job["id"], user=VENDOR)
    assert status == 200 and body["result"] is True
    _, fin = sandbox_call("GET", "transfer/find", {"finished": True}, query="code=held", user=VENDOR)
    assert fin["result"] == []
    _, arch = sandbox_call("GET", "transfer/find", {"archived": True, "finished": True}, query="code=held",
                           user=VENDOR)
    assert arch["result"][0]["status"] == "aborted"


def test_duplicate_job_codes(sandbox, sandbox_call, tmp_path) -> None:
    (src,) = make_files(tmp_path, ["dup.dat"])
    data = {"code": "dup", "status": "paused", "source": str(src), "destination": f"{UPLOAD}/"}
    first = create(sandbox_call, data)
    second = create(sandbox_call, data)  # accsyn: job codes are not unique
    assert first["id"] != second["id"]
    status, msg = refused(sandbox_call, dict(data, allow_duplicates=False))
    assert status == 400 and "dup" in msg and first["id"] in msg
    status, msg = refused(sandbox_call, {"tasks": [{"source": str(src), "destination": f"{UPLOAD}/"}] * 2,
                                         "allow_duplicates": False})
    assert status == 400


def test_progress_is_visible_with_transfer_rate(tmp_path, sandbox_api_key) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(b"\x01" * 400_000)
    with Sandbox(tmp_path / "root", api_key=sandbox_api_key, transfer_rate=800_000) as box:
        core = box._core
        jennifer = core.user_by_code(VENDOR)
        job = create_job(core, jennifer, {"source": str(src), "destination": f"{UPLOAD}/"})[0]
        seen = set()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            rec = box.job(job["id"])
            seen.add(rec["progress"])
            if rec["status"] == "done":
                break
            time.sleep(0.02)
        box.wait_idle(5)
        assert box.job(job["id"])["status"] == "done"
        assert any(0 < p < 100 for p in seen), seen
        assert box.job(job["id"])["size"] == 400_000


def test_restart_loses_nothing(tmp_path, sandbox_api_key) -> None:
    root = tmp_path / "root"
    src = tmp_path / "r.dat"
    src.write_bytes(b"restart")
    box = Sandbox(root, api_key=sandbox_api_key).start()
    first_port = box.port
    core = box._core
    admin = core.user_by_code("andrea@geoscan.org")
    user = create_user(core, admin, {"code": "bob@vendor.com"})
    share = create_share(core, admin, "share", {"code": "p3", "parent": "production", "path": "p3"})
    create_acl(core, admin, {"entity": f"user:{user['id']}", "target": f"share:{share['id']}", "path": "IN",
                             "read": True, "write": True})
    box.set_client_online(VENDOR, False)
    jen = core.user_by_code(VENDOR)
    waiting = create_job(core, jen, {"code": "survivor", "source": str(src), "destination": f"{UPLOAD}/"})[0]
    box.set_hook("post-done-server", "true ${PATH_JSON_INPUT}")
    box.wait_idle(5)
    box.stop()

    again = Sandbox(root, api_key=sandbox_api_key)  # seeding again is idempotent
    with again:
        core2 = again._core
        assert core2.user_by_code("bob@vendor.com")["id"] == user["id"]
        assert core2.share_by_ref("p3")["id"] == share["id"]
        assert len(core2.acls_of(user["id"])) == 1 and len(core2.acls_of(jen["id"])) == 3
        assert len(core2.store.all("user")) == 4 and len(core2.store.all("client")) == 3
        assert again.hooks() == {"post-done-server": "true ${PATH_JSON_INPUT}"}
        assert again.job(waiting["id"])["status"] == "waiting"
        again.set_client_online(VENDOR, True)
        again.wait_idle(10)
        assert again.job(waiting["id"])["status"] == "done"
        assert first_port > 0
    with Sandbox(root, seed=None, api_key=sandbox_api_key) as third:
        assert third.job(waiting["id"])["status"] == "done"
        assert "server = " in third.studio_profile_path.read_text()


def test_add_and_edit_tasks_of_a_job(sandbox, sandbox_call, tmp_path) -> None:
    a, b = make_files(tmp_path, ["a.dat", "b.dat"])
    job = create(sandbox_call, {"code": "grow", "status": "paused", "source": str(a), "destination": f"{UPLOAD}/"})
    status, body = sandbox_call("POST", "task/create", {"tasks": [
        {"source": str(b), "destination": f"{UPLOAD}/"}, {"source": str(a), "destination": f"{UPLOAD}/"}]},
        entity_id=job["id"], user=VENDOR)
    assert status == 200 and [t["uri"] for t in body["result"]] == ["1", "0"]  # the duplicate is retried
    _, tasks = sandbox_call("GET", "task/find", {"parent": job["id"]}, query="status=queued", user=VENDOR)
    assert [t["uri"] for t in tasks["result"]] == ["0", "1"]
    first = tasks["result"][0]["id"]
    status, body = sandbox_call("PUT", "task/edit", [{"id": first, "status": "excluded"}], entity_id=job["id"],
                                user=VENDOR)
    assert status == 200 and body["result"][0]["status"] == "excluded"
    status, _ = sandbox_call("PUT", "task/edit", [{"id": first, "source": "x"}], entity_id=job["id"], user=VENDOR)
    assert status == 400
    _, found = sandbox_call("GET", "transfer/find", {}, query=f"user={VENDOR} AND code=grow", user="andrea@geoscan.org")
    assert [j["id"] for j in found["result"]] == [job["id"]]  # user= matches the e-mail as well as the id
