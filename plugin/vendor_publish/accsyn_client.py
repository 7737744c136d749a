"""A typed client for the accsyn REST API (v3), on httpx.

It speaks the protocol of the official ``accsyn-python-api`` (see design notes section 3) and
differs where that client is unsafe: TLS is verified, plain HTTP is refused except to
loopback, both the HTTP status and the body decide success, transient failures are retried
within a bounded time, and a job-creating request that may have reached the service is never
resent (:class:`SubmissionUncertain`; look the job up with :meth:`AccsynClient.find_jobs_by_code`).

Server: ``server=`` / ``VENDOR_PUBLISH_SERVER`` when given; otherwise, as the official client,
the workspace's host is asked of accsyn's master (``https://master.accsyn.com``), which knows
where each workspace is served; ``discovery="hosted"`` skips that round trip and uses
``https://<workspace>.accsyn.com:443``.

Errors (all :class:`AccsynError`): unreachable host, refused, reset, timeout or a TLS failure
-> :class:`ConnectionFailed`; 401 or a refused login -> :class:`AuthenticationFailed`; 403 (or
an error message about access) -> :class:`PermissionDenied` with ``path``; 429 past the retry
budget -> :class:`RateLimited`; other error answers -> :class:`ServiceError` with
``status_code``; a body that is not accsyn JSON -> :class:`MalformedResponse`. 5xx, 429 and
connection failures are retried with jittered exponential backoff within ``RetryPolicy.budget``
seconds; TLS failures are not. The API key is only ever put in the ``Authorization`` header:
never in a log record, repr or message (service messages are scrubbed of it too).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import random
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from urllib.parse import quote

try:  # Some host applications ship a Python without ssl; httpx cannot even import then.
    import ssl
except ImportError:  # pragma: no cover - depends on the interpreter
    ssl = None  # type: ignore[assignment]
try:
    import httpx
except ImportError as _exc:  # pragma: no cover - depends on the interpreter
    httpx = None  # type: ignore[assignment]
    _HTTPX_IMPORT_ERROR: ImportError | None = _exc
else:
    _HTTPX_IMPORT_ERROR = None

from pydantic import ValidationError

from . import __version__
from .accsyn_models import (
    CLIENT_TYPE_APP,
    AccsynEntity,
    Acl,
    Client,
    FileEntry,
    Job,
    LoginInfo,
    PublishPreprocessResult,
    Share,
    Task,
    User,
    model_for,
)
from .credentials import (
    Credentials,
    ServerAddress,
    hosted_server,
    is_loopback_host,
    load_credentials,
    parse_server,
)
from .errors import (
    AccsynError,
    AuthenticationFailed,
    ConfigError,
    ConnectionFailed,
    MalformedResponse,
    PermissionDenied,
    RateLimited,
    ServiceError,
    SslUnavailable,
    SubmissionUncertain,
)

__all__ = [
    "AccsynClient",
    "RetryPolicy",
    "build_event",
    "split_query",
    "Acl",
    "Client",
    "FileEntry",
    "Job",
    "LoginInfo",
    "PublishPreprocessResult",
    "Share",
    "Task",
    "User",
]

log = logging.getLogger("vendor_publish.accsyn")

from .accsyn_wire import (  # noqa: E402  (re-exported: the protocol helpers are part of this API)
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    E,
    EVENT_PATH,
    LOGIN_PATH,
    MASTER_LOOKUP_PATH,
    MASTER_URL,
    RetryPolicy,
    _ENTITY_ID,
    _PERMISSION_WORDS,
    _Secret,
    _b64,
    authorization_header,
    build_event,
    device_description,
    dumps,
    parse_retry_after,
    path_in_message,
    quote_value,
    split_query,
)

def _tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if ssl is not None and isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _definitely_not_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))



def _ssl_context(verify: Any, env: Mapping[str, str]) -> Any:
    """An SSL context that verifies: certifi, ``SSL_CERT_FILE``/``SSL_CERT_DIR``, or a CA path."""
    if verify is False:
        raise ConfigError(
            "TLS certificate verification cannot be turned off: the API key travels in every request.",
            hint="Give verify= (or SSL_CERT_FILE) the path of your company's CA bundle instead.",
        )
    if ssl is not None and isinstance(verify, ssl.SSLContext):
        return verify
    cafile: str | None = None
    capath: str | None = None
    setting = "verify="
    if verify is None or verify is True:
        cafile = env.get("SSL_CERT_FILE") or None
        capath = None if cafile else (env.get("SSL_CERT_DIR") or None)
        setting = "SSL_CERT_FILE" if cafile else "SSL_CERT_DIR"
    else:
        target = os.fspath(verify)
        if os.path.isdir(target):
            capath = target
        else:
            cafile = target
    chosen = cafile or capath
    if chosen is not None:
        if not os.path.exists(chosen):
            raise ConfigError(
                f"The CA bundle {chosen} (from {setting}) does not exist.",
                hint="Point it at a PEM file or certificate directory, or unset it to use the default.",
            )
        try:
            return _verifying_context(cafile, capath)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"The CA bundle {chosen} (from {setting}) cannot be loaded: {exc.__class__.__name__}.",
                hint="It must hold PEM certificates.",
            ) from None
    import certifi

    return _verifying_context(certifi.where(), None)


@functools.lru_cache(maxsize=8)
def _verifying_context(cafile: str | None, capath: str | None) -> Any:
    """A verifying SSL context, built once per process and CA bundle: reading the bundle costs
    ~30 ms, which every click in a host would otherwise pay again (contexts are safe to share)."""
    return ssl.create_default_context(cafile=cafile, capath=capath)


class AccsynClient:
    """A logged-in conversation with one accsyn workspace; use as a context manager.

    Credentials come from the arguments, else the credentials file (``credentials_path`` or
    ``ACCSYN_CREDENTIALS_PATH``), else the environment (``env``, default ``os.environ``).
    Login happens on the first call (or :meth:`login`).
    """

    def __init__(
        self,
        workspace: str | None = None,
        user: str | None = None,
        api_key: str | None = None,
        *,
        server: str | None = None,
        credentials_path: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retry: RetryPolicy | None = None,
        verify: Any = None,
        discovery: str = "master",
        master: str = MASTER_URL,
        hostname: str | None = None,
    ) -> None:
        if ssl is None or httpx is None:
            raise SslUnavailable(
                f"This Python ({sys.executable}) has no working 'ssl' module"
                + ("" if ssl is None else f" or cannot import httpx ({_HTTPX_IMPORT_ERROR})")
                + ", so vendor-publish cannot talk to accsyn.",
                hint="Install the plugin into a Python built with OpenSSL (the installer's bundled "
                "wheels), or ask your host application's vendor for an ssl-enabled build.",
            )
        env = os.environ if env is None else env
        creds = credentials or load_credentials(
            workspace=workspace,
            user=user,
            api_key=api_key,
            server=server,
            credentials_path=credentials_path,
            env=env,
        )
        creds.require()
        self.workspace: str = creds.workspace  # type: ignore[assignment]
        self.user: str = creds.user  # type: ignore[assignment]
        self._key = _Secret(creds.api_key or "")
        self._key_source = creds.sources.get("api_key", "?")
        self.retry = retry or RetryPolicy()
        self._rng = random.Random()
        self._hostname = hostname or socket.gethostname()
        self._lock = threading.RLock()
        self._login_info: LoginInfo | None = None
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        if discovery not in ("master", "hosted"):
            raise ConfigError(f"discovery={discovery!r} must be 'master' or 'hosted'.")
        self._server: ServerAddress | None = None
        if creds.server:
            self._server = parse_server(creds.server, setting=creds.sources.get("server", "server="))
        elif discovery == "hosted":
            self._server = hosted_server(self.workspace)
        self._master = parse_server(master, setting="master=")
        remote = not (self._server is not None and self._server.is_loopback)
        proxy = (env.get("HTTPS_PROXY") or env.get("https_proxy") or None) if remote else None
        self._client_kwargs: dict[str, Any] = {
            "timeout": self._timeout,
            "verify": _ssl_context(verify, env),
            "trust_env": False,
            "follow_redirects": False,
            "proxy": proxy,
        }
        self._http = httpx.Client(**self._client_kwargs)

    # ---- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> AccsynClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __repr__(self) -> str:
        server = self._server.base_url if self._server else "(master lookup)"
        return (
            f"AccsynClient(workspace={self.workspace!r}, user={self.user!r}, server={server!r}, "
            f"logged_in={self._login_info is not None})"
        )

    __str__ = __repr__

    @property
    def server(self) -> ServerAddress:
        """The workspace's API server (looked up from accsyn's master on first use)."""
        with self._lock:
            if self._server is None:
                self._server = self._lookup_server()
            return self._server

    @property
    def login_info(self) -> LoginInfo:
        """Role, user id and session of this login (logs in if needed)."""
        return self._ensure_login()

    # ---- secrets and messages --------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """Remove the API key (plain or base64'd) from text that came from elsewhere."""
        key = self._key.get()
        if not key:
            return text
        for secret in (authorization_header(self.user, key), _b64(key), key):
            text = text.replace(secret, "***")
        return text

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": authorization_header(self.user, self._key.get()),
            "X-Accsyn-Workspace": self.workspace,
            "X-Accsyn-Device": device_description(self._hostname),
            "User-Agent": f"vendor-publish/{__version__}",
        }

    def _auth_failed(self, detail: str) -> AuthenticationFailed:
        return AuthenticationFailed(
            f"accsyn refused the login of {self.user} to workspace '{self.workspace}': {detail}",
            hint=f"Check ACCSYN_API_KEY / your config file (the key in use came from {self._key_source}), "
            "ACCSYN_API_USER and ACCSYN_WORKSPACE.",
        )

    def _connection_failed(self, server: ServerAddress, exc: BaseException) -> ConnectionFailed:
        if _tls_failure(exc):
            return ConnectionFailed(
                f"The TLS certificate of {server.display} could not be verified.",
                hint="If your network inspects HTTPS, point SSL_CERT_FILE (or verify=) at your "
                "company's CA bundle; otherwise check the server address.",
            )
        if isinstance(exc, httpx.TimeoutException):
            what = "did not answer in time" if not isinstance(exc, httpx.ConnectTimeout) else "timed out connecting"
        elif isinstance(exc, httpx.ConnectError):
            what = "could not be reached (refused, unknown host or no route)"
        else:
            what = "dropped the connection"
        return ConnectionFailed(
            f"accsyn at {server.display} {what} ({exc.__class__.__name__}).",
            hint=f"Check your internet connection, that a firewall or proxy allows outgoing TCP port "
            f"{server.port}, and the server setting (VENDOR_PUBLISH_SERVER) / workspace name.",
        )

    # ---- transport -------------------------------------------------------------------

    def _send_once(
        self, method: str, server: ServerAddress, path: str, *, query: str | None, body: str | None,
        headers: dict[str, str], fresh_connection: bool,
    ) -> httpx.Response:
        url = server.base_url + path + (f"?{quote(query)}" if query is not None else "")
        content = body.encode("ascii") if body is not None else None
        if fresh_connection:
            # A pooled keep-alive connection the server already closed would fail after
            # "sending" and make a job submission look uncertain: use a new one.
            with httpx.Client(**self._client_kwargs) as one_off:
                return one_off.request(method, url, content=content, headers=headers)
        return self._http.request(method, url, content=content, headers=headers)

    def _request(
        self,
        method: str,
        path: str,
        *,
        server: ServerAddress,
        what: str,
        query: str | None = None,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        creates: str | None = None,
        event_id: str | None = None,
        login: bool = False,
    ) -> Any:
        """Send with retries; return the decoded ``result`` body or raise a mapped error.

        ``creates`` names the entity type of a non-idempotent create: it is resent only when
        the request provably never left this machine (or the service answered 429).
        """
        headers = headers if headers is not None else self._headers()
        deadline = time.monotonic() + self.retry.budget
        attempt = 0
        size = len(body or "") + len(query or "")
        while True:
            started = time.monotonic()
            try:
                response = self._send_once(
                    method, server, path, query=query, body=body, headers=headers,
                    fresh_connection=creates is not None,
                )
            except httpx.TransportError as exc:
                if _tls_failure(exc):
                    raise self._connection_failed(server, exc) from None
                if creates and not _definitely_not_sent(exc):
                    raise self._uncertain(creates, event_id, f"the connection failed ({exc.__class__.__name__})")
                error: AccsynError = self._connection_failed(server, exc)
                delay = self.retry.backoff(attempt, self._rng)
            else:
                status = response.status_code
                log.debug(
                    "%s %s (%d bytes) -> HTTP %d in %.0f ms",
                    method, what, size, status, (time.monotonic() - started) * 1000,
                )
                if status == 429:
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    error = RateLimited(
                        f"accsyn at {server.display} is rate-limiting requests ({what}).",
                        retry_after=wait,
                        hint="Too many requests from this address; wait a minute and try again.",
                    )
                    delay = wait if wait is not None else self.retry.backoff(attempt, self._rng)
                elif status >= 500:
                    if creates:
                        raise self._uncertain(creates, event_id, f"the service answered HTTP {status}")
                    error = self._interpret_error(response, what, login=login)
                    delay = self.retry.backoff(attempt, self._rng)
                else:
                    return self._interpret(response, what, login=login, creates=creates, event_id=event_id)
            remaining = deadline - time.monotonic()
            if delay > remaining:
                raise error
            log.info("accsyn %s %s failed (%s); retrying in %.1f s", method, what, error, delay)
            time.sleep(delay)
            attempt += 1

    def _uncertain(self, entitytype: str, event_id: str | None, why: str) -> SubmissionUncertain:
        log.warning("accsyn create %s: %s after sending; not resent (eid %s)", entitytype, why, event_id)
        return SubmissionUncertain(
            f"The request to create a {entitytype} may or may not have reached accsyn: {why}.",
            entitytype=entitytype,
            event_id=event_id,
            hint="It was not sent again, to avoid a duplicate job. Look the job up by its code "
            "(find_jobs_by_code) before submitting again.",
        )

    def _body(self, response: httpx.Response, what: str) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise MalformedResponse(
                f"accsyn answered {response.request.url.path} ({what}) with HTTP "
                f"{response.status_code} and a body that is not JSON "
                f"({len(response.content)} bytes).",
                hint="The server may not be an accsyn server, or a proxy is answering; check the "
                "server address (VENDOR_PUBLISH_SERVER).",
            ) from None

    def _interpret(
        self, response: httpx.Response, what: str, *, login: bool, creates: str | None, event_id: str | None
    ) -> Any:
        try:
            body = self._body(response, what)
        except MalformedResponse as exc:
            if creates and response.is_success:
                raise self._uncertain(creates, event_id, "the answer was not readable") from exc
            raise
        failed = not isinstance(body, dict) or "message" in body or "exception" in body
        if not response.is_success or failed:
            raise self._interpret_error(response, what, login=login, body=body)
        if "result" not in body:
            raise MalformedResponse(
                f"accsyn answered {response.request.url.path} ({what}) with HTTP "
                f"{response.status_code} but without a result.",
                hint="This server may speak an accsyn version this plugin does not know.",
            )
        return body["result"]

    def _interpret_error(
        self, response: httpx.Response, what: str, *, login: bool, body: Any = None
    ) -> AccsynError:
        status = response.status_code
        if body is None:
            try:
                body = self._body(response, what)
            except MalformedResponse as exc:
                if status >= 500 or status in (401, 403):
                    body = {}
                else:
                    return exc
        body = body if isinstance(body, dict) else {}
        if "exception" in body and "message" not in body:
            log.debug("accsyn %s raised: %s", what, self._scrub(str(body["exception"]))[:2000])
            detail = f"the service hit an internal error while handling {what}"
        else:
            detail = self._scrub(str(body.get("message_hr") or body.get("message") or f"HTTP {status}"))
        if login or status == 401:
            if status >= 500:
                return ServiceError(f"accsyn could not log in {self.user}: {detail}", status_code=status)
            return self._auth_failed(detail)
        if status == 403 or (status < 400 and _PERMISSION_WORDS.search(detail)):
            path = body.get("path") if isinstance(body.get("path"), str) else path_in_message(detail)
            return PermissionDenied(
                f"accsyn refused {what}: {detail}",
                path=path,
                hint="Your accsyn user lacks access there; ask the studio to grant it, or publish "
                "into your own FROM_VENDORS folder.",
            )
        return ServiceError(
            f"accsyn could not do {what}: {detail}",
            status_code=status,
            hint=None if status < 500 else "The service had a problem; try again in a while.",
        )

    # ---- login and events ------------------------------------------------------------

    def _lookup_server(self) -> ServerAddress:
        try:
            answer = self._request(
                "GET",
                MASTER_LOOKUP_PATH,
                server=self._master,
                what=f"the lookup of workspace '{self.workspace}'",
                query=dumps({"ident": self.workspace}),
                headers={"X-Accsyn-Device": device_description(self._hostname)},
            )
        except ServiceError as exc:
            if exc.status_code is not None and exc.status_code >= 500:
                raise
            raise AuthenticationFailed(
                f"accsyn does not know the workspace '{self.workspace}' ({exc}).",
                hint="Check ACCSYN_WORKSPACE (the studio's workspace code) / your config file.",
            ) from None
        if not isinstance(answer, dict) or not answer.get("hostname"):
            raise AuthenticationFailed(
                f"accsyn does not know the workspace '{self.workspace}'.",
                hint="Check ACCSYN_WORKSPACE (the studio's workspace code) / your config file.",
            )
        host = str(answer["hostname"])
        port = int(answer.get("port") or 443)
        # Plain HTTP only for a loopback master handing out a loopback host (local tests).
        scheme = "http" if self._master.scheme == "http" and is_loopback_host(host) else "https"
        return ServerAddress(scheme=scheme, host=host, port=port)

    def login(self) -> LoginInfo:
        """Log in (again) and return role, user id and session."""
        with self._lock:
            server = self.server
            result = self._request(
                "PUT", LOGIN_PATH, server=server, what="login", body="{}", login=True
            )
            try:
                info = LoginInfo.model_validate(result)
            except ValidationError:
                raise MalformedResponse(
                    f"accsyn answered {LOGIN_PATH} without role, id and session_id.",
                    hint="The server may not be an accsyn server; check VENDOR_PUBLISH_SERVER.",
                ) from None
            self._login_info = info
            log.debug("logged in to %s at %s as %s (%s)", self.workspace, server.display, self.user, info.role)
            return info

    def _ensure_login(self) -> LoginInfo:
        with self._lock:
            return self._login_info or self.login()

    def _event(
        self,
        method: str,
        uri: str,
        data: Any = None,
        *,
        query: str | None = None,
        entity_id: str | None = None,
        creates: str | None = None,
    ) -> Any:
        """Send one event and return its ``result``; re-login once if the session was refused."""
        for attempt in range(2):
            info = self._ensure_login()
            event = build_event(
                workspace=self.workspace,
                session=info.session_id,
                uri=uri,
                ident=self.user,
                hostname=self._hostname,
                data=data,
                query=query,
                entity_id=entity_id,
            )
            encoded = dumps(event)
            bodyless = method in ("GET", "DELETE")
            log.debug(
                "event %s %s: %d bytes%s", method, uri, len(encoded),
                ", data gzip'd" if "gz_data" in event else "",
            )
            try:
                return self._request(
                    method,
                    EVENT_PATH,
                    server=self.server,
                    what=uri,
                    query=encoded if bodyless else None,
                    body=None if bodyless else encoded,
                    creates=creates,
                    event_id=event["eid"],
                )
            except AuthenticationFailed:
                # A 401 means the service did not act: safe to log in again and resend once.
                if attempt:
                    raise
                with self._lock:
                    if self._login_info is info:
                        self._login_info = None
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- typed calls -----------------------------------------------------------------

    @staticmethod
    def _entities(result: Any, model: type[E], what: str) -> list[E]:
        if result is None:
            return []
        if isinstance(result, dict):
            result = [result]
        if not isinstance(result, list):
            raise MalformedResponse(f"accsyn answered {what} with a {type(result).__name__}, not a list.")
        try:
            return [model.model_validate(item) for item in result]
        except ValidationError as exc:
            raise MalformedResponse(
                f"accsyn answered {what} with entities this plugin cannot read "
                f"({exc.error_count()} problem(s), first at {exc.errors()[0]['loc']})."
            ) from None

    def whoami(self) -> User:
        """The logged-in user."""
        info = self._ensure_login()
        user = self.get("user", info.id)
        if user is None:
            return User(id=info.id, code=self.user, role=info.role)
        return user  # type: ignore[return-value]

    def find(
        self,
        entitytype: str,
        expression: str | None = None,
        *,
        finished: bool = False,
        inactive: bool = False,
        limit: int | None = None,
        skip: int | None = None,
        attributes: list[str] | None = None,
        parent: str | None = None,
    ) -> list[AccsynEntity]:
        """Entities of a type matching an accsyn expression (lower-cased, as the official client)."""
        entitytype = entitytype.lower().strip()
        data: dict[str, Any] = {}
        if parent:
            data["parent"] = parent
        if finished:
            data["finished"] = True
        if inactive:
            data["inactive"] = True
        if limit:
            data["limit"] = int(limit)
        if skip:
            data["skip"] = int(skip)
        if attributes:
            data["attributes"] = [a.strip() for a in attributes]
        query = expression.strip().lower() if expression and expression.strip() else None
        result = self._event("GET", f"{entitytype}/find", data, query=query)
        return self._entities(result, model_for(entitytype), f"{entitytype}/find")

    def find_one(self, query: str, *, finished: bool = False) -> AccsynEntity | None:
        """The first entity matching ``"<type> WHERE <expr>"``, or None."""
        entitytype, expression = split_query(query)
        data: dict[str, Any] = {"single_entity_query": True}
        if finished:
            data["finished"] = True
        result = self._event("GET", f"{entitytype}/find", data, query=expression)
        found = self._entities(result, model_for(entitytype), f"{entitytype}/find")
        if len(found) > 1:
            log.debug("find_one(%r) matched %d entities; using the first", query, len(found))
        return found[0] if found else None

    def get(self, entitytype: str, entity_id: str) -> AccsynEntity | None:
        """One entity by id, finished jobs and inactive entities included; None if absent."""
        entitytype = entitytype.lower().strip()
        if not _ENTITY_ID.match(entity_id or ""):
            raise ValueError(f"{entity_id!r} is not an accsyn entity id (24 lower-case hex characters).")
        data = {"single_entity_query": True}
        result = self._event("GET", f"{entitytype}/find", data, entity_id=entity_id)
        found = self._entities(result, model_for(entitytype), f"{entitytype}/find")
        return found[0] if found else None

    def create(self, entitytype: str, data: Mapping[str, Any] | list[Any], *, parent: str | None = None) -> list[AccsynEntity]:
        """Create entities; returns every entity the service reports created.

        Jobs (and tasks) are never resent once the request may have arrived: see
        :class:`SubmissionUncertain`.
        """
        entitytype = entitytype.lower().strip()
        payload: Any = copy.deepcopy(dict(data) if isinstance(data, Mapping) else {"tasks": list(data)})
        if not payload:
            raise ValueError(f"Nothing to create: the {entitytype} data is empty.")
        if entitytype == "task" and "tasks" not in payload:
            payload = {"tasks": payload}
        result = self._event("POST", f"{entitytype}/create", payload, entity_id=parent, creates=entitytype)
        return self._entities(result, model_for(entitytype), f"{entitytype}/create")

    def create_job(self, payload: Mapping[str, Any]) -> Job:
        """Create one transfer job (``name``/``code``, ``tasks`` or ``source``+``destination``...)."""
        created = self.create("transfer", payload)
        if not created:
            raise MalformedResponse("accsyn answered transfer/create without the created job.")
        return Job.model_validate(created[0].model_dump())

    def edit(self, entitytype: str, entity_id: str, data: Mapping[str, Any]) -> AccsynEntity | None:
        """Change attributes of an entity; returns it as the service reports it."""
        entitytype = entitytype.lower().strip()
        if not data:
            raise ValueError("Nothing to edit: data is empty.")
        result = self._event("PUT", f"{entitytype}/edit", dict(data), entity_id=entity_id)
        found = self._entities(result, model_for(entitytype), f"{entitytype}/edit")
        return found[0] if found else None

    def job(self, job_id: str) -> Job | None:
        """A job by id, finished or not."""
        return self.get("transfer", job_id)  # type: ignore[return-value]

    def job_tasks(self, job_id: str) -> list[Task]:
        """All tasks of a job, finished ones included."""
        result = self._event("GET", "task/find", {"parent": job_id, "finished": True})
        return self._entities(result, Task, "task/find")

    def find_jobs_by_code(
        self, code: str, *, metadata: Mapping[str, Any] | None = None
    ) -> list[Job]:
        """Jobs coded ``code`` (active and finished), oldest first, optionally filtered on metadata.

        ``metadata`` keys may be dotted to reach nested values (``{"vendor_publish.publish_id": x}``).

        This is how a caller resolves :class:`SubmissionUncertain`: look for the job by the code
        and publish id it sent before submitting again.
        """
        expression = f"code={quote_value(code)}"
        seen: dict[str, Job] = {}
        for finished in (False, True):
            for job in self.find("transfer", expression, finished=finished):
                key = job.id or str(id(job))
                seen.setdefault(key, job)  # type: ignore[arg-type]
        wanted = metadata or {}
        matches = [
            job
            for job in seen.values()
            if (job.code or "").casefold() == code.casefold()
            and all(job.metadata_value(k) == v for k, v in wanted.items())
        ]
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(matches, key=lambda j: j.created or oldest)

    def file_exists(self, path: str) -> bool:
        """Whether a file or folder exists (``share=<code>/dir/file``)."""
        result = self._event("GET", "workspace/file", {"op": "exists", "path": path})
        if not isinstance(result, bool):
            raise MalformedResponse(f"accsyn answered workspace/file exists for {path} without true/false.")
        return result

    def ls(self, path: str, recursive: bool = False) -> list[FileEntry]:
        """The entries of a folder with sizes; ``recursive`` nests children in ``files``."""
        data = {"op": "ls", "path": path, "download": True, "recursive": recursive, "getsize": True}
        result = self._event("GET", "workspace/file", data)
        if result is None:
            return []
        if not isinstance(result, list):
            raise MalformedResponse(f"accsyn answered workspace/file ls for {path} with no list.")
        try:
            return [FileEntry.model_validate(item) for item in result]
        except ValidationError:
            raise MalformedResponse(f"accsyn answered workspace/file ls for {path} with unreadable entries.") from None

    def publish_preprocess(self, files: Iterable[Mapping[str, Any]]) -> PublishPreprocessResult:
        """Ask the studio's publish workflow what it makes of these files (``id``, ``filename``, ...)."""
        entries = [copy.deepcopy(dict(f)) for f in files]

        def total(items: list[dict[str, Any]]) -> int:
            size = 0
            for item in items:
                if "size" not in item:
                    children = item.get("files")
                    item["size"] = total(children) if item.get("is_dir") and children else 0
                size += int(item["size"] or 0)
            return size

        payload = {"files": entries, "size": total(entries)}
        result = self._event("PUT", "workspace/publish/preprocess", payload)
        if isinstance(result, list):
            result = {"files": result}
        try:
            return PublishPreprocessResult.model_validate(result)
        except ValidationError:
            raise MalformedResponse("accsyn answered workspace/publish/preprocess with an unreadable result.") from None

    def client_online(self, user_id: str, hostname: str | None = None) -> bool:
        """Whether the user's desktop app (on ``hostname``, or any) is online."""
        expression = f"user={user_id} AND type={CLIENT_TYPE_APP}"
        if hostname:
            expression = f"user={user_id} AND code={quote_value(hostname)} AND type={CLIENT_TYPE_APP}"
        clients = self.find("client", expression)
        return any(isinstance(c, Client) and c.online for c in clients)
