"""Reading accsyn's answers: the ``result`` of a success, or the one error that says what went wrong.

Both the HTTP status and the body decide (accsyn reports some failures with HTTP 200 and a
``message``); every text that came from the service is scrubbed of the API key before it is put
in an error.
"""

from __future__ import annotations

import json
import logging
from typing import Any

try:
    import httpx
except ImportError:  # pragma: no cover - the transport refuses to start without it
    httpx = None  # type: ignore[assignment]

from .accsyn_tls import tls_failure
from .accsyn_wire import _PERMISSION_WORDS, _b64, _Secret, authorization_header, path_in_message
from .credentials import ServerAddress
from .errors import (
    AccsynError,
    AuthenticationFailed,
    ConnectionFailed,
    MalformedResponse,
    PermissionDenied,
    ServiceError,
    SubmissionUncertain,
)

log = logging.getLogger("vendor_publish.accsyn")


class AnswerReading:
    """Turning responses and transport failures into results and errors (part of ``AccsynTransport``)."""

    user: str
    workspace: str
    _key: _Secret
    _key_source: str

    def _scrub(self, text: str) -> str:
        """Remove the API key (plain or base64'd) from text that came from elsewhere."""
        key = self._key.get()
        if not key:
            return text
        for secret in (authorization_header(self.user, key), _b64(key), key):
            text = text.replace(secret, "***")
        return text

    def _auth_failed(self, detail: str) -> AuthenticationFailed:
        return AuthenticationFailed(
            f"accsyn refused the login of {self.user} to workspace '{self.workspace}': {detail}",
            hint=f"Check ACCSYN_API_KEY / your config file (the key in use came from {self._key_source}), "
            "ACCSYN_API_USER and ACCSYN_WORKSPACE.",
        )

    def _connection_failed(self, server: ServerAddress, exc: BaseException) -> ConnectionFailed:
        if tls_failure(exc):
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
