"""HTTP side: routes, the accsyn event envelope, authentication, answers and injected faults."""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import logging
import secrets
import socket
import struct
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vendor_publish.sandbox import entities, files, jobs
from vendor_publish.sandbox.core import Core
from vendor_publish.sandbox.errors import ApiError, bad_request, forbidden, not_found
from vendor_publish.sandbox.faults import Fault, FaultInjector

log = logging.getLogger("vendor_publish.sandbox")

API = "/api/v3"
MASTER_PATH = f"{API}/J3PKTtDvolDMBtTy6AFGA"
LOGIN_PATH = f"{API}/api/login"
EVENT_PATH = f"{API}/event"


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its sandbox core and fault injector."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], core: Core, faults: FaultInjector) -> None:
        self.core = core
        self.faults = faults
        super().__init__(address, Handler)


def decode_data(event: dict) -> Any:
    """The event's `data`, unpacking `gz_data` (base64 of gzip'd JSON) when present."""
    if event.get("gz_data"):
        try:
            raw = gzip.decompress(base64.b64decode(event["gz_data"]))
            return json.loads(raw.decode("utf-8"))
        except (binascii.Error, OSError, ValueError) as exc:
            raise bad_request(f"gz_data is not base64 of gzip'd JSON: {exc}") from exc
    return event.get("data")


def authenticate(core: Core, headers: Any) -> dict:
    """The user named by `Authorization: basic <b64 user>:<b64 key>` in `X-Accsyn-Workspace`."""
    ws_code = core.workspace_code()
    auth = headers.get("Authorization") or ""
    workspace = (headers.get("X-Accsyn-Workspace") or "").strip()
    scheme, _, cred = auth.strip().partition(" ")
    if scheme.lower() != "basic" or not cred:
        raise ApiError(401, "Missing or malformed Authorization header; expected 'basic <base64 user>:<base64 key>'.")
    try:
        if ":" in cred:
            user_b64, _, key_b64 = cred.strip().partition(":")
            username = base64.b64decode(user_b64, validate=True).decode("utf-8")
            api_key = base64.b64decode(key_b64, validate=True).decode("utf-8")
        else:  # tolerate RFC 7617 basic auth too
            username, _, api_key = base64.b64decode(cred, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(401, "The Authorization header is not valid base64.") from exc
    if not workspace:
        raise ApiError(401, "Missing X-Accsyn-Workspace header naming the workspace.")
    if workspace.lower() != ws_code.lower():
        raise ApiError(401, f"Unknown workspace '{workspace}'.", f"There is no workspace '{workspace}' here.")
    user = core.user_by_code(username)
    if user is None:
        raise ApiError(401, f"Unknown user '{username}' in workspace '{ws_code}'.")
    if not core.check_key(user, api_key):
        raise ApiError(401, f"Invalid API key for user '{username}' in workspace '{ws_code}'.")
    if user.get("status") == "disabled":
        raise ApiError(403, f"User '{username}' is deactivated in workspace '{ws_code}'.")
    return user


def dispatch(core: Core, caller: dict, method: str, event: dict, client_ip: str) -> Any:
    """Run one event and return its `result`."""
    uri = str(event.get("uri") or "").strip().strip("/").lower()
    data = decode_data(event)
    entity_id = event.get("id")
    if uri == "entitytypes":
        return sorted(set(entities.TYPE_ALIASES))
    if uri == "attributes":
        return entities.attributes(str((data or {}).get("entitytype") or ""))
    if uri == "workspace/file":
        return files.file_op(core, caller, method, data)
    if uri == "workspace/publish/preprocess":
        return files.preprocess(core, caller, event, data, client_ip)
    if "/" not in uri:
        raise not_found(f"Unknown uri '{uri}'.")
    type_name, verb = uri.split("/", 1)
    etype = entities.entity_type(type_name)
    if verb == "find":
        return entities.find(core, caller, etype, {**event, "data": data})
    if etype == "transfer":
        if verb == "create":
            return jobs.create_job(core, caller, data)
        if verb == "edit":
            return jobs.edit_job(core, caller, entity_id, data)
        if verb in ("delete", "deactivate"):
            return jobs.delete_job(core, caller, entity_id)
    elif etype == "task":
        if verb == "create":
            return jobs.add_tasks(core, caller, entity_id, data)
        if verb == "edit":
            return jobs.edit_tasks(core, caller, entity_id, data)
        if verb in ("delete", "deactivate"):
            raise bad_request("Tasks are never deleted; edit their status to 'excluded' instead.")
    else:
        if verb == "create":
            return entities.create(core, caller, etype, data)
        if verb == "edit":
            return entities.edit(core, caller, etype, entity_id, data)
        if verb in ("delete", "deactivate"):
            return entities.delete(core, caller, etype, entity_id, deactivate=verb == "deactivate")
        if verb == "api_key":
            raise forbidden("API keys cannot be read through the API.")
    raise not_found(f"The sandbox does not implement '{uri}'.")


class Handler(BaseHTTPRequestHandler):
    """One HTTP request."""

    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; without TCP_NODELAY, Nagle plus delayed ACKs stall
    # every keep-alive request by ~40 ms on loopback.
    disable_nagle_algorithm = True
    server_version = "accsyn-sandbox"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the default stderr access log (we log events ourselves, without headers)."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # --- plumbing ------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, mid-conversation."""
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True
        self.wfile = io.BytesIO()  # the handler's final flush must not touch the dead socket

    def _envelope(self, method: str, body: bytes) -> dict:
        if method in ("GET", "DELETE"):
            query = urllib.parse.urlsplit(self.path).query
            text = urllib.parse.unquote(query) if query else body.decode("utf-8", "replace")
        else:
            text = body.decode("utf-8", "replace")
        if not text.strip():
            return {}
        try:
            event = json.loads(text)
        except ValueError as exc:
            raise bad_request(f"The request is not an accsyn event (JSON): {exc}") from exc
        if not isinstance(event, dict):
            raise bad_request("The event must be a JSON object.")
        return event

    def _handle(self, method: str) -> None:
        t0 = time.monotonic()
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        body = self._read_body()
        uri = "?"
        status = 200
        try:
            if path == MASTER_PATH:
                uri = "master"
            elif path == LOGIN_PATH:
                uri = "login"
            elif path == EVENT_PATH:
                event = self._envelope(method, body)
                uri = str(event.get("uri") or "").strip().strip("/").lower()
            else:
                raise not_found(f"No such endpoint {method} {path}; the API lives at {EVENT_PATH}.")
            fault = self.server.faults.take(uri)
            if fault is not None:
                log.info("fault %s injected on %s %s", fault.kind, method, uri)
                if fault.kind == "delay":
                    time.sleep(fault.delay)
                elif fault.kind not in ("status_after", "reset_after"):
                    status = self._early_fault(fault)
                    return
            try:
                result = self._act(method, path, body)
                answer: tuple[int, Any] = (200, {"result": result})
            except ApiError as exc:
                answer = (exc.status, exc.body())
            if fault is not None and fault.kind == "reset_after":
                status = 0
                self._reset()
                return
            if fault is not None and fault.kind == "status_after":
                status = fault.status
                self._send(status, _fault_body(fault), _retry_header(fault))
                return
            status = answer[0]
            self._send(*answer)
        except ApiError as exc:
            status = exc.status
            self._send(exc.status, exc.body())
        except Exception as exc:  # a bug must still answer in accsyn's shape
            log.exception("sandbox error on %s %s", method, uri)
            status = 500
            self._send(500, {"exception": f"{type(exc).__name__}: {exc}"})
        finally:
            log.debug("%s %s -> %s (%.0f ms)", method, uri, status or "reset", 1000 * (time.monotonic() - t0))

    def _early_fault(self, fault: Fault) -> int:
        if fault.kind == "reset_before":
            self._reset()
            return 0
        if fault.kind == "garbage":
            self._send(200, b'{"result": [{"id": "5f1e')
            return 200
        self._send(fault.status, _fault_body(fault), _retry_header(fault))
        return fault.status

    def _act(self, method: str, path: str, body: bytes) -> Any:
        core = self.server.core
        if path == MASTER_PATH:
            host, port = self.server.server_address[:2]
            return {"hostname": host, "port": port}
        caller = authenticate(core, self.headers)
        if path == LOGIN_PATH:
            if method != "PUT":
                raise bad_request("Log in with PUT /api/v3/api/login.")
            return {"role": caller["role"], "id": caller["id"], "session_id": secrets.token_hex(16)}
        event = self._envelope(method, body)
        workspace = str(event.get("workspace") or core.workspace_code())
        if workspace.lower() != core.workspace_code().lower():
            raise ApiError(401, f"Unknown workspace '{workspace}' in the event.")
        return dispatch(core, caller, method, event, self.client_address[0])


def _fault_body(fault: Fault) -> dict:
    text = {429: "Too many requests, slow down and retry later.", 503: "Service temporarily unavailable."}.get(
        fault.status, "Internal error (injected by the sandbox).")
    return {"message": f"HTTP {fault.status}: {text}", "message_hr": text}


def _retry_header(fault: Fault) -> dict[str, str]:
    if fault.retry_after is None:
        return {}
    value = fault.retry_after
    return {"Retry-After": str(int(value)) if float(value).is_integer() else f"{value:g}"}
