"""The accsyn client against the local sandbox over real loopback HTTP (nothing mocked)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest

from vendor_publish.accsyn_client import AccsynClient, RetryPolicy
from vendor_publish.accsyn_models import Acl, Job, Share, User
from vendor_publish.errors import (
    AccsynError,
    AuthenticationFailed,
    ConfigError,
    ConnectionFailed,
    MalformedResponse,
    PermissionDenied,
    RateLimited,
    ServiceError,
    SubmissionUncertain,
    VendorPublishError,
)

WORKSPACE = "geoscan"
ADMIN = "andrea@geoscan.org"
VENDOR = "jennifer@gda.com"
SHARE = "proj002-outsourcing"
UPLOAD = f"share={SHARE}/FROM_VENDORS/{VENDOR}"
FAST = RetryPolicy(budget=4.0, base_delay=0.05, max_delay=0.4)

X = TypeVar("X", bound=BaseException)


class Witness:
    """Collects every error text and log line a test produced, to prove the key never shows."""

    def __init__(self, lines: list[str]) -> None:
        self.texts: list[str] = []
        self.log = lines

    def raises(self, kind: type[X], call: Callable[[], object]) -> X:
        with pytest.raises(kind) as info:
            call()
        err = info.value
        self.texts += [str(err), repr(err), str(getattr(err, "hint", "") or ""), str(err.args)]
        return err


class _Capture(logging.Handler):
    """Keeps every formatted log message."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def witness(sandbox_api_key: str) -> Iterator[Witness]:
    """Every test's logs (all loggers, DEBUG) and recorded errors are scanned for the key."""
    root = logging.getLogger()
    handler = _Capture()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    w = Witness(handler.lines)
    try:
        yield w
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    for text in w.texts + handler.lines:
        assert sandbox_api_key not in text, f"API key leaked into: {text[:200]}"


@pytest.fixture
def connect(sandbox, sandbox_api_key: str) -> Iterator[Callable[..., AccsynClient]]:
    """Open clients on the sandbox (closed afterwards); short retry budget and timeouts."""
    opened: list[AccsynClient] = []

    def open_client(user: str = VENDOR, **kwargs: object) -> AccsynClient:
        options: dict[str, object] = dict(
            server=sandbox.url, env={}, retry=FAST, connect_timeout=2.0, read_timeout=10.0
        )
        options.update(kwargs)
        workspace = options.pop("workspace", WORKSPACE)
        key = options.pop("api_key", sandbox_api_key)
        client = AccsynClient(workspace, user, key, **options)  # type: ignore[arg-type]
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


def _local_files(root: Path, count: int, size: int = 64) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        path = root / f"shot010_comp_v001.{1001 + i}.exr"
        path.write_bytes(bytes([i % 251]) * size)
        files.append(path)
    return files


def _job_payload(code: str, files: list[Path], dest: str = UPLOAD, **extra: object) -> dict:
    tasks = [{"source": f"{VENDOR}:{p}", "destination": f"{dest}/{p.name}"} for p in files]
    return {"name": code, "code": code, "tasks": tasks, **extra}


def _wait_for(job_id: str, client: AccsynClient, status: str, timeout: float = 30.0) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = client.job(job_id)
        assert job is not None
        if job.status == status or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


# ---- login ---------------------------------------------------------------------------------


def test_login_and_whoami(connect, witness) -> None:
    with connect(ADMIN) as admin:
        info = admin.login()
        assert info.role == "admin" and len(info.id) == 24
        assert "session_id" not in repr(info)
        me = admin.whoami()
        assert isinstance(me, User) and me.code == ADMIN and me.id == info.id
    vendor = connect(VENDOR)
    assert vendor.login().role in ("standard", "client")


def test_wrong_key_is_refused_without_echoing_any_key(connect, witness, sandbox_api_key) -> None:
    wrong = "not-" + sandbox_api_key[::-1]
    client = connect(VENDOR, api_key=wrong)
    err = witness.raises(AuthenticationFailed, client.login)
    assert VENDOR in str(err) and WORKSPACE in str(err)
    assert "ACCSYN_API_KEY" in (err.hint or "")
    assert wrong not in str(err) + repr(err) + (err.hint or "")
    # Calls log in lazily and fail the same way.
    witness.raises(AuthenticationFailed, lambda: client.find("user"))


def test_unknown_workspace(connect, witness) -> None:
    client = connect(VENDOR, workspace="nosuchstudio")
    err = witness.raises(AuthenticationFailed, client.login)
    assert "nosuchstudio" in str(err)


# ---- queries -------------------------------------------------------------------------------


def test_find_find_one_get(connect, witness) -> None:
    admin = connect(ADMIN)
    users = admin.find("user")
    assert {VENDOR, ADMIN, "workflow@geoscan.org"} <= {u.code for u in users}
    assert all(isinstance(u, User) for u in users)
    share = admin.find_one(f"Share WHERE code={SHARE}")
    assert isinstance(share, Share) and share.code == SHARE
    jennifer = admin.find_one(f"user WHERE code={VENDOR}")
    assert jennifer is not None and jennifer.id
    acl = admin.find_one(f"acl WHERE entity=user:{jennifer.id} AND target=share:{share.id} AND write=true")
    assert isinstance(acl, Acl) and acl.write is True
    assert acl.path is not None and "FROM_VENDORS" in acl.path
    assert admin.get("share", share.id).code == SHARE  # type: ignore[union-attr]
    assert admin.find_one("user WHERE code=nobody@nowhere.com") is None
    assert len(admin.find("user", limit=1)) == 1


def test_job_created_by_vendor_runs_to_done_and_stays_reachable(connect, witness, sandbox, tmp_path) -> None:
    sandbox.set_client_online(VENDOR, True)
    vendor = connect(VENDOR)
    me = vendor.login()
    assert vendor.client_online(me.id) is True
    files = _local_files(tmp_path / "work", 3)
    job = vendor.create_job(_job_payload("pub-done-1", files, metadata={"publish_id": "P-done-1"}))
    assert isinstance(job, Job) and job.id and job.code == "pub-done-1"
    done = _wait_for(job.id, vendor, "done")
    assert done.status == "done" and done.is_finished
    tasks = vendor.job_tasks(job.id)
    assert len(tasks) == 3 and {t.status for t in tasks} == {"done"}
    # Finished jobs leave the default find but stay reachable by id, by code and with finished.
    assert job.id not in {j.id for j in vendor.find("transfer")}
    assert job.id in {j.id for j in vendor.find("transfer", finished=True)}
    assert vendor.get("transfer", job.id).status == "done"  # type: ignore[union-attr]
    found = vendor.find_jobs_by_code("pub-done-1", metadata={"publish_id": "P-done-1"})
    assert [j.id for j in found] == [job.id]
    assert vendor.find_jobs_by_code("pub-done-1", metadata={"publish_id": "other"}) == []
    # The files arrived with their sizes.
    listing = {e.filename: e for e in vendor.ls(UPLOAD)}
    assert {f.name for f in files} <= set(listing)
    assert all(listing[f.name].size == 64 and not listing[f.name].is_dir for f in files)
    assert vendor.file_exists(f"{UPLOAD}/{files[0].name}") is True
    assert vendor.file_exists(f"{UPLOAD}/missing.exr") is False


def test_client_online_follows_the_desktop_app(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR)
    me = vendor.login()
    sandbox.set_client_online(VENDOR, False)
    assert vendor.client_online(me.id) is False
    sandbox.set_client_online(VENDOR, True)
    assert vendor.client_online(me.id) is True


def test_no_write_access_names_the_path(connect, witness, tmp_path) -> None:
    vendor = connect(VENDOR)
    files = _local_files(tmp_path / "work", 1)
    dest = f"share={SHARE}/TO_VENDORS"
    err = witness.raises(PermissionDenied, lambda: vendor.create_job(_job_payload("pub-denied", files, dest)))
    assert err.path is not None and "TO_VENDORS" in err.path
    assert vendor.find_jobs_by_code("pub-denied") == []


# ---- faults --------------------------------------------------------------------------------


def test_429_is_retried_after_retry_after(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR)
    vendor.login()
    sandbox.queue_fault("status", uri="transfer/find", status=429, retry_after=1)
    started = time.monotonic()
    assert isinstance(vendor.find("transfer"), list)
    assert time.monotonic() - started >= 0.9


def test_429_past_the_budget_is_rate_limited(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR, retry=RetryPolicy(budget=1.0, base_delay=0.05))
    vendor.login()
    sandbox.queue_fault("status", uri="transfer/find", status=429, retry_after=5)
    err = witness.raises(RateLimited, lambda: vendor.find("transfer"))
    assert err.retry_after == 5


def test_500_then_success_on_find(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR)
    vendor.login()
    sandbox.queue_fault("status", uri="user/find", status=500, count=2)
    assert [u.code for u in vendor.find("user", f"code={VENDOR}")] == [VENDOR]


def test_persistent_500_gives_service_error(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR, retry=RetryPolicy(budget=0.5, base_delay=0.05, max_delay=0.1))
    vendor.login()
    sandbox.queue_fault("status", uri="user/find", status=503, count=100)
    err = witness.raises(ServiceError, lambda: vendor.find("user"))
    assert err.status_code == 503


def test_reset_before_answer_on_find_is_retried(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR)
    vendor.login()
    sandbox.queue_fault("reset_before", uri="user/find")
    assert vendor.find("user", f"code={VENDOR}")


def test_reset_after_create_is_uncertain_and_never_duplicated(connect, witness, sandbox, tmp_path) -> None:
    vendor = connect(VENDOR)
    vendor.login()
    files = _local_files(tmp_path / "work", 2)
    sandbox.queue_fault("reset_after", uri="transfer/create")
    payload = _job_payload("pub-reset-1", files, metadata={"publish_id": "P-reset-1"}, status="paused")
    err = witness.raises(SubmissionUncertain, lambda: vendor.create_job(payload))
    assert err.entitytype == "transfer" and err.event_id
    sandbox.wait_idle(10)
    found = vendor.find_jobs_by_code("pub-reset-1", metadata={"publish_id": "P-reset-1"})
    assert len(found) == 1


def test_error_before_acting_on_create_is_uncertain_and_nothing_exists(connect, witness, sandbox, tmp_path) -> None:
    vendor = connect(VENDOR)
    vendor.login()
    files = _local_files(tmp_path / "work", 1)
    sandbox.queue_fault("status", uri="transfer/create", status=502)
    payload = _job_payload("pub-502", files, status="paused")
    witness.raises(SubmissionUncertain, lambda: vendor.create_job(payload))
    assert vendor.find_jobs_by_code("pub-502") == []
    # The caller checked: nothing arrived, so submitting again is safe and creates one job.
    vendor.create_job(payload)
    assert len(vendor.find_jobs_by_code("pub-502")) == 1


def test_read_timeout_on_create_is_uncertain(connect, witness, sandbox, tmp_path) -> None:
    vendor = connect(VENDOR, read_timeout=0.5)
    vendor.login()
    files = _local_files(tmp_path / "work", 1)
    sandbox.queue_fault("delay", uri="transfer/create", delay=2.0)
    witness.raises(SubmissionUncertain, lambda: vendor.create_job(_job_payload("pub-slow", files, status="paused")))
    deadline = time.monotonic() + 10
    while not vendor.find_jobs_by_code("pub-slow") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(vendor.find_jobs_by_code("pub-slow")) == 1


def test_read_timeout_on_find_is_retried(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR, read_timeout=0.5)
    vendor.login()
    sandbox.queue_fault("delay", uri="user/find", delay=1.5)
    assert vendor.find("user", f"code={VENDOR}")


def test_garbage_body_is_malformed(connect, witness, sandbox) -> None:
    vendor = connect(VENDOR)
    vendor.login()
    sandbox.queue_fault("garbage", uri="transfer/find")
    err = witness.raises(MalformedResponse, lambda: vendor.find("transfer"))
    assert "/api/v3/event" in str(err) and "200" in str(err)


def test_large_create_is_gzipped_and_accepted(connect, witness, tmp_path) -> None:
    """5,000 tasks exceed the ~100 kB threshold: the data travels as gz_data and is accepted."""
    vendor = connect(VENDOR, read_timeout=60.0)
    vendor.login()
    src = tmp_path / "big"
    tasks = [
        {"source": f"{VENDOR}:{src / f'plate.{i:05d}.exr'}", "destination": f"{UPLOAD}/big/plate.{i:05d}.exr"}
        for i in range(5000)
    ]
    job = vendor.create_job({"code": "pub-big", "tasks": tasks, "status": "paused"})
    assert job.id
    assert any("transfer/create" in line and "gzip'd" in line for line in witness.log)
    assert len(vendor.job_tasks(job.id)) == 5000


def test_edit_pauses_a_job(connect, witness, tmp_path) -> None:
    vendor = connect(VENDOR)
    files = _local_files(tmp_path / "work", 1)
    job = vendor.create_job(_job_payload("pub-edit", files, status="paused"))
    edited = vendor.edit("transfer", job.id, {"status": "aborted"})  # type: ignore[arg-type]
    assert edited is not None and edited.status == "aborted"  # type: ignore[union-attr]


def test_status_after_on_edit_is_retried(connect, witness, sandbox, tmp_path) -> None:
    """An edit that acted but answered 500 is sent again: the same data twice is harmless."""
    vendor = connect(VENDOR)
    files = _local_files(tmp_path / "work", 1)
    job = vendor.create_job(_job_payload("pub-edit-retry", files, status="paused"))
    sandbox.queue_fault("status_after", uri="transfer/edit", status=500)
    edited = vendor.edit("transfer", job.id, {"status": "aborted"})  # type: ignore[arg-type]
    assert edited is not None and edited.status == "aborted"  # type: ignore[union-attr]


def test_publish_preprocess_without_a_studio_hook(connect, witness) -> None:
    vendor = connect(VENDOR)
    files = [{"id": "6f1c1d2e-0000-4000-8000-000000000001", "filename": "shot010.blend", "is_dir": False}]
    result = vendor.publish_preprocess(files)
    assert [f.filename for f in result.files] == ["shot010.blend"]
    assert result.files[0].warning and not result.files[0].can_publish
    assert "size" not in files[0]  # sizes are filled in on a copy, not in the caller's list


def test_server_found_through_the_master_lookup(sandbox, sandbox_api_key, witness) -> None:
    with AccsynClient(WORKSPACE, VENDOR, sandbox_api_key, master=sandbox.url, env={}, retry=FAST) as client:
        assert client.login().role in ("standard", "client")
        assert client.server.port == sandbox.port
    with AccsynClient("nosuchstudio", VENDOR, sandbox_api_key, master=sandbox.url, env={}, retry=FAST) as client:
        err = witness.raises(AuthenticationFailed, client.login)
    assert "nosuchstudio" in str(err)


# ---- connection and configuration ------------------------------------------------------------


def test_refused_connection_names_host_and_port(witness, sandbox_api_key) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = AccsynClient(
        WORKSPACE, VENDOR, sandbox_api_key, server=f"http://127.0.0.1:{port}", env={},
        retry=RetryPolicy(budget=0.3, base_delay=0.05), connect_timeout=1.0,
    )
    with client:
        err = witness.raises(ConnectionFailed, client.login)
    assert f"127.0.0.1:{port}" in str(err) and "firewall" in (err.hint or "")


def test_plain_http_to_a_remote_host_is_refused(witness, sandbox_api_key) -> None:
    err = witness.raises(
        ConfigError,
        lambda: AccsynClient(WORKSPACE, VENDOR, sandbox_api_key, server="http://203.0.113.7:8181", env={}),
    )
    assert "http://" in str(err)


def test_settings_from_environment_and_file(sandbox, sandbox_api_key, tmp_path, witness) -> None:
    creds = tmp_path / "accsyn.env"
    creds.write_text(f"ACCSYN_API_KEY={sandbox_api_key}\nACCSYN_API_USER={VENDOR}\n", encoding="utf-8")
    env = {"ACCSYN_DOMAIN": WORKSPACE, "ACCSYN_CREDENTIALS_PATH": str(creds), "VENDOR_PUBLISH_SERVER": sandbox.url,
           "ACCSYN_API_KEY": "stale-key-from-env"}
    with AccsynClient(env=env, retry=FAST) as client:
        assert client.login().role in ("standard", "client")


def test_every_error_is_a_vendor_publish_error() -> None:
    for kind in (AuthenticationFailed, ConnectionFailed, MalformedResponse, PermissionDenied, RateLimited,
                 ServiceError, SubmissionUncertain):
        assert issubclass(kind, AccsynError) and issubclass(kind, VendorPublishError)
