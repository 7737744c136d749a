"""The sandbox's wire protocol over raw loopback HTTP: envelope, auth, answers, roles, faults."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import time
import urllib.parse

import pytest

from vendor_publish.sandbox.errors import ApiError
from vendor_publish.sandbox.faults import FaultInjector
from vendor_publish.sandbox.server import decode_data

VENDOR = "jennifer@gda.com"


def test_master_lookup_needs_no_auth(sandbox) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    query = urllib.parse.quote(json.dumps({"ident": "geoscan"}))
    conn.request("GET", f"/api/v3/J3PKTtDvolDMBtTy6AFGA?{query}")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 200
    assert body == {"result": {"hostname": "127.0.0.1", "port": sandbox.port}}


def test_login_answers_role_id_session(sandbox_call) -> None:
    status, body = sandbox_call("PUT", "login", path="/api/v3/api/login", user=VENDOR)
    assert status == 200
    assert set(body) == {"result"}
    assert body["result"]["role"] == "standard" and len(body["result"]["id"]) == 24
    assert body["result"]["session_id"]


@pytest.mark.parametrize("path", ["/api/v3/api/login", "/api/v3/event"])
def test_auth_failures_name_user_or_workspace_never_the_key(sandbox_call, sandbox_api_key, path) -> None:
    method = "PUT" if path.endswith("login") else "GET"
    wrong = "WRONG-" + sandbox_api_key
    status, body = sandbox_call(method, "user/find", path=path, user=VENDOR, key=wrong)
    assert status == 401 and VENDOR in body["message"] and "geoscan" in body["message"]
    assert sandbox_api_key not in json.dumps(body) and wrong not in json.dumps(body)
    assert body["message_hr"] and "result" not in body
    status, body = sandbox_call(method, "user/find", path=path, user="ghost@nowhere.com")
    assert status == 401 and "ghost@nowhere.com" in body["message"]
    status, body = sandbox_call(method, "user/find", path=path, workspace="acmefilme")
    assert status == 401 and "acmefilme" in body["message"]


def test_missing_or_malformed_authorization(sandbox) -> None:
    for headers in ({}, {"Authorization": "Bearer x", "X-Accsyn-Workspace": "geoscan"},
                    {"Authorization": "basic !!!:???", "X-Accsyn-Workspace": "geoscan"}):
        conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
        conn.request("PUT", "/api/v3/api/login", body=b"{}", headers=headers)
        resp = conn.getresponse()
        body = json.loads(resp.read())
        conn.close()
        assert resp.status == 401 and "message" in body


def test_rfc7617_basic_auth_is_tolerated(sandbox, sandbox_api_key) -> None:
    cred = base64.b64encode(f"{VENDOR}:{sandbox_api_key}".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    conn.request("PUT", "/api/v3/api/login", body=b"{}", headers={"Authorization": f"Basic {cred}",
                                                                   "X-Accsyn-Workspace": "geoscan"})
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["result"]["role"] == "standard"
    conn.close()


def test_answers_and_errors_shapes(sandbox_call) -> None:
    status, body = sandbox_call("GET", "user/find", {}, query="code=jennifer@gda.com")
    assert status == 200 and set(body) == {"result"} and body["result"][0]["code"] == VENDOR
    assert "_key_sha256" not in json.dumps(body)
    status, body = sandbox_call("GET", "nosuchtype/find", {})
    assert status == 404 and "nosuchtype" in body["message"]
    status, body = sandbox_call("GET", "user/find", {}, query="code=(")
    assert status == 400 and "message" in body and "result" not in body
    status, body = sandbox_call("GET", "entitytypes", {})
    assert status == 200 and {"transfer", "job", "share", "folder", "acl", "client", "task"} <= set(body["result"])
    status, body = sandbox_call("GET", "attributes", {"entitytype": "job"})
    assert status == 200 and "progress" in body["result"]


def test_type_aliases(sandbox_call) -> None:
    _, folders = sandbox_call("GET", "folder/find", {})
    _, shares = sandbox_call("GET", "share/find", {}, query="code=proj002-outsourcing")
    _, volumes = sandbox_call("GET", "volume/find", {})
    assert [f["code"] for f in folders["result"]] == ["proj002-outsourcing"]
    assert [s["code"] for s in shares["result"]] == ["proj002-outsourcing"]
    assert [v["code"] for v in volumes["result"]] == ["production"] and volumes["result"][0]["default"] is True
    _, jobs = sandbox_call("GET", "job/find", {})
    _, transfers = sandbox_call("GET", "transfer/find", {})
    assert jobs["result"] == transfers["result"] == []


def test_standard_user_sees_only_herself_and_her_acls(sandbox_call) -> None:
    _, users = sandbox_call("GET", "user/find", {}, user=VENDOR)
    assert [u["code"] for u in users["result"]] == [VENDOR]
    _, acls = sandbox_call("GET", "acl/find", {}, user=VENDOR)
    assert len(acls["result"]) == 3
    _, shares = sandbox_call("GET", "share/find", {}, user=VENDOR)
    assert [s["code"] for s in shares["result"]] == ["proj002-outsourcing"]
    status, body = sandbox_call("POST", "user/create", {"code": "x@y.com"}, user=VENDOR)
    assert status == 403 and VENDOR in body["message"]
    status, _ = sandbox_call("POST", "acl/create", {"entity": "user:x", "target": "share:y", "read": True},
                             user=VENDOR)
    assert status == 403
    status, body = sandbox_call("POST", "user/create", {"code": "boss@x.com", "role": "admin"},
                                user="workflow@geoscan.org")
    assert status == 403 and "admin" in body["message"]


def test_create_returns_list_edit_list_delete_true(sandbox_call) -> None:
    status, body = sandbox_call("POST", "user/create", {"code": "new@vendor.com", "clearance": "client"})
    assert status == 200 and isinstance(body["result"], list) and body["result"][0]["role"] == "standard"
    uid = body["result"][0]["id"]
    status, body = sandbox_call("PUT", "user/edit", {"name": "New Vendor"}, entity_id=uid)
    assert status == 200 and body["result"][0]["name"] == "New Vendor"
    status, body = sandbox_call("DELETE", "user/deactivate", {}, entity_id=uid)
    assert status == 200 and body["result"] is True
    _, found = sandbox_call("GET", "user/find", {}, query="code=new@vendor.com")
    assert found["result"] == []
    _, found = sandbox_call("GET", "user/find", {"inactive": True}, query="code=new@vendor.com")
    assert found["result"][0]["status"] == "disabled"
    status, body = sandbox_call("PUT", "login", path="/api/v3/api/login", user="new@vendor.com")
    assert status == 403
    status, body = sandbox_call("DELETE", "user/delete", {}, entity_id=uid)
    assert status == 200 and body["result"] is True


def test_gzip_data_on_create_and_find(sandbox_call, tmp_path, sandbox) -> None:
    src = tmp_path / "big_meta.dat"
    src.write_bytes(b"payload")
    blob = "x" * 150_000  # over the official client's 100 kB compression threshold
    status, body = sandbox_call("POST", "transfer/create", {
        "code": "gz", "source": f"{src}", "destination": "share=proj002-outsourcing/FROM_VENDORS/jennifer@gda.com/",
        "metadata": {"blob": blob}}, user=VENDOR, gz=True)
    assert status == 200, body
    job = body["result"][0]
    assert job["metadata"]["blob"] == blob
    status, body = sandbox_call("GET", "transfer/find", {"attributes": ["code"], "pad": "y" * 120_000},
                                query=f"id={job['id']}", user=VENDOR, gz=True)
    assert status == 200 and body["result"] == [{"id": job["id"], "code": "gz"}]
    status, body = sandbox_call("POST", "transfer/create", None, user=VENDOR, gz=False)
    assert status == 400
    sandbox.wait_idle(10)


def test_broken_gz_data_is_a_400(sandbox_call) -> None:
    status, body = sandbox_call("POST", "user/create", None)
    assert status == 400
    raw = base64.b64encode(b"not gzip").decode()
    with pytest.raises(ApiError) as exc:
        decode_data({"gz_data": raw})
    assert exc.value.status == 400 and "gz_data" in exc.value.message
    assert decode_data({"gz_data": base64.b64encode(gzip.compress(b'{"a": 1}')).decode()}) == {"a": 1}


# --- faults --------------------------------------------------------------------------------------


def test_fault_status_with_retry_after_counts_down(sandbox, sandbox_call) -> None:
    sandbox.queue_fault("status", uri="user/find", status=429, retry_after=2, count=2)
    for _ in range(2):
        status, body = sandbox_call("GET", "user/find", {})
        assert status == 429 and "message" in body and "result" not in body
    status, body = sandbox_call("GET", "user/find", {})
    assert status == 200
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    sandbox.queue_fault("status", uri="login", status=429, retry_after=1.5)
    conn.request("PUT", "/api/v3/api/login", body=b"{}")
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 429 and resp.getheader("Retry-After") == "1.5"


def test_fault_status_after_acts_then_fails(sandbox, sandbox_call) -> None:
    sandbox.queue_fault("status_after", uri="user/create", status=503)
    status, body = sandbox_call("POST", "user/create", {"code": "ghostly@vendor.com"})
    assert status == 503
    _, found = sandbox_call("GET", "user/find", {}, query="code=ghostly@vendor.com")
    assert len(found["result"]) == 1


def test_fault_status_does_not_act(sandbox, sandbox_call) -> None:
    sandbox.queue_fault("status", uri="user/create", status=500)
    status, _ = sandbox_call("POST", "user/create", {"code": "never@vendor.com"})
    assert status == 500
    _, found = sandbox_call("GET", "user/find", {}, query="code=never@vendor.com")
    assert found["result"] == []


def test_fault_resets(sandbox, sandbox_call) -> None:
    sandbox.queue_fault("reset_before", uri="user/create")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        sandbox_call("POST", "user/create", {"code": "rb@vendor.com"})
    _, found = sandbox_call("GET", "user/find", {}, query="code=rb@vendor.com")
    assert found["result"] == []
    sandbox.queue_fault("reset_after", uri="user/create")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        sandbox_call("POST", "user/create", {"code": "ra@vendor.com"})
    _, found = sandbox_call("GET", "user/find", {}, query="code=ra@vendor.com")
    assert len(found["result"]) == 1
    assert [k for u, k in sandbox.faults_injected if u == "user/create"] == ["reset_before", "reset_after"]


def test_fault_delay_and_garbage(sandbox, sandbox_call) -> None:
    sandbox.queue_fault("delay", uri="*", delay=0.4)
    t0 = time.monotonic()
    status, _ = sandbox_call("GET", "user/find", {})
    assert status == 200 and time.monotonic() - t0 >= 0.4
    sandbox.queue_fault("garbage", uri="user/*")
    status, body = sandbox_call("GET", "user/find", {})
    assert status == 200 and isinstance(body, bytes)
    with pytest.raises(ValueError):
        json.loads(body)


def test_fault_validation() -> None:
    inj = FaultInjector()
    with pytest.raises(ValueError):
        inj.queue("explode")
    with pytest.raises(ValueError):
        inj.queue("status", status=200)
    with pytest.raises(ValueError):
        inj.random_mode(1, 1.5)


def test_random_fault_mode_is_reproducible(sandbox, sandbox_call) -> None:
    def draw(seed: int) -> list:
        inj = FaultInjector()
        inj.random_mode(seed, 0.5)
        return [(f.kind, f.status) if f else None for f in (inj.take("transfer/find") for _ in range(40))]

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)
    assert any(draw(7)) and None in draw(7)
    sandbox.fault_mode(3, 1.0, kinds=("status",))
    assert sandbox_call("GET", "user/find", {})[0] >= 400
    sandbox.clear_faults()
    assert sandbox_call("GET", "user/find", {})[0] == 200
