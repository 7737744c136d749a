"""The accsyn client's transport: credentials, connection, bounded retries, login, events.

Plain HTTP is refused except to loopback; 5xx, 429 and connection failures are retried with
jittered exponential backoff within ``RetryPolicy.budget`` seconds (TLS failures are not); a
job-creating request that may have reached the service is never resent.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import sys
import threading
import time
from typing import Any, Mapping
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
from .accsyn_answers import AnswerReading
from .accsyn_models import LoginInfo
from .accsyn_tls import ssl_context, tls_failure
from .accsyn_wire import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    EVENT_PATH,
    LOGIN_PATH,
    MASTER_LOOKUP_PATH,
    MASTER_URL,
    RetryPolicy,
    _Secret,
    authorization_header,
    build_event,
    device_description,
    dumps,
    parse_retry_after,
)
from .credentials import Credentials, ServerAddress, hosted_server, is_loopback_host, load_credentials, parse_server
from .errors import (
    AccsynError,
    AuthenticationFailed,
    ConfigError,
    MalformedResponse,
    RateLimited,
    ServiceError,
    SslUnavailable,
)

log = logging.getLogger("vendor_publish.accsyn")


def _definitely_not_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class AccsynTransport(AnswerReading):
    """Credentials, the connection pool, bounded retries, login and the event envelope.

    ``AccsynClient`` adds the typed calls; this part knows requests, not entities.
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
            "verify": ssl_context(verify, env),
            "trust_env": False,
            "follow_redirects": False,
            "proxy": proxy,
        }
        self._http = httpx.Client(**self._client_kwargs)

    # ---- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> AccsynTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __repr__(self) -> str:
        server = self._server.base_url if self._server else "(master lookup)"
        return (
            f"{type(self).__name__}(workspace={self.workspace!r}, user={self.user!r}, server={server!r}, "
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

    # ---- transport -------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": authorization_header(self.user, self._key.get()),
            "X-Accsyn-Workspace": self.workspace,
            "X-Accsyn-Device": device_description(self._hostname),
            "User-Agent": f"vendor-publish/{__version__}",
        }

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
                if tls_failure(exc):
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
