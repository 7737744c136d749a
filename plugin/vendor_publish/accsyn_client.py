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
import logging
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

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
from .accsyn_transport import AccsynTransport
from .accsyn_wire import (  # re-exported: the protocol helpers are part of this API
    E,
    RetryPolicy,
    _ENTITY_ID,
    authorization_header,
    build_event,
    parse_retry_after,
    path_in_message,
    quote_value,
    split_query,
)
from .errors import MalformedResponse

__all__ = [
    "AccsynClient",
    "RetryPolicy",
    "build_event",
    "split_query",
    "authorization_header",
    "parse_retry_after",
    "path_in_message",
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


class AccsynClient(AccsynTransport):
    """A logged-in conversation with one accsyn workspace; use as a context manager.

    Credentials come from the arguments, else the credentials file (``credentials_path`` or
    ``ACCSYN_CREDENTIALS_PATH``), else the environment (``env``, default ``os.environ``).
    Login happens on the first call (or :meth:`login`).
    """

    def __enter__(self) -> AccsynClient:
        return self

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
