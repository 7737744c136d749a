"""Shared pytest fixtures. Each block is self-contained; add yours in its own section."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

# --- sandbox (local accsyn-compatible server) ----------------------------------------------------

#: Recognisable and fake, so a leak is easy to grep for in logs and output.
SANDBOX_API_KEY = "sbx-FAKE-KEY-do-not-use-0123456789abcdef"


@pytest.fixture
def sandbox_api_key() -> str:
    """The API key every seeded sandbox user logs in with."""
    return SANDBOX_API_KEY


@pytest.fixture
def sandbox(tmp_path_factory: pytest.TempPathFactory, sandbox_api_key: str) -> Iterator["Sandbox"]:
    """A started sandbox seeded with the tutorial's 'geoscan' world, on a free loopback port."""
    from vendor_publish.sandbox import Sandbox

    root: Path = tmp_path_factory.mktemp("sandbox-root")
    box = Sandbox(root, seed="geoscan", api_key=sandbox_api_key, port=0, hook_timeout=30.0)
    box.start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
def sandbox_call(sandbox: "Sandbox", sandbox_api_key: str):
    """Send one raw accsyn event to the sandbox: call(method, uri, data, ...) -> (HTTP status, body)."""
    import base64
    import gzip
    import http.client
    import json
    import urllib.parse
    import uuid

    def call(method: str, uri: str, data: object = None, *, user: str = "andrea@geoscan.org",
             key: str | None = None, workspace: str = "geoscan", query: str | None = None,
             entity_id: str | None = None, gz: bool = False, path: str = "/api/v3/event",
             timeout: float = 10.0) -> tuple[int, object]:
        key = sandbox_api_key if key is None else key
        auth = "basic {}:{}".format(base64.b64encode(user.encode()).decode(), base64.b64encode(key.encode()).decode())
        headers = {"Authorization": auth, "X-Accsyn-Workspace": workspace, "X-Accsyn-Device": "pytest"}
        event: dict = {"audience": "api", "workspace": workspace, "eid": str(uuid.uuid4()), "uri": uri,
                       "ident": user, "hostname": "pytest"}
        if gz:
            event["gz_data"] = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
        else:
            event["data"] = data
        if query is not None:
            event["query"] = query
        if entity_id is not None:
            event["id"] = entity_id
        body = None
        target = path
        if path != "/api/v3/event":
            body = b"{}" if method in ("PUT", "POST") else None
        elif method in ("GET", "DELETE"):
            target = path + "?" + urllib.parse.quote(json.dumps(event))
        else:
            body = json.dumps(event).encode()
        conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(raw)
        except ValueError:
            return resp.status, raw

    return call
