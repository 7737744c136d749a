"""Typed views of what the accsyn API returns.

Every model keeps fields it does not know (``extra="allow"``): the service adds attributes
over time and the studio's hooks may read them, so dropping them would lose data. Statuses
stay plain strings for the same reason; the known values are listed as constants.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

JOB_STATUSES = ("init", "waiting", "running", "paused", "failed", "aborted", "done")
JOB_FINISHED_STATUSES = frozenset({"aborted", "done"})
TASK_STATUSES = ("pending", "queued", "booting", "executing", "failed", "onhold", "excluded", "done")
CLIENT_TYPE_APP = 0
CLIENT_ONLINE_STATUSES = frozenset({"online"})

_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%y-%m-%dT%H:%M:%S")


def parse_accsyn_date(value: Any) -> datetime | None:
    """Parse accsyn's zone-less UTC ``YYYY-MM-DDTHH:MM:SS[.mmm]``; unknown shapes give None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        # A date the service formats differently must not make a whole answer unreadable.
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class AccsynEntity(BaseModel):
    """Any accsyn entity: an ``id`` plus whatever the service sent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str | None = None

    @field_validator("created", "modified", "finished", mode="before", check_fields=False)
    @classmethod
    def _dates(cls, value: Any) -> datetime | None:
        return parse_accsyn_date(value)

    def raw(self) -> dict[str, Any]:
        """All fields, known and unknown, as plain JSON-able values."""
        return self.model_dump(mode="json")


class User(AccsynEntity):
    """A workspace user (``code`` is the e-mail)."""

    code: str | None = None
    name: str | None = None
    role: str | None = Field(default=None, description="admin, employee, standard (client), support")
    status: str | None = None
    created: datetime | None = None


class Share(AccsynEntity):
    """A volume, folder (share), home or collection."""

    code: str | None = None
    name: str | None = None
    path: str | None = None
    type: Any = None
    parent: str | None = None
    parent_hr: str | None = None
    status: str | None = None
    created: datetime | None = None


class Acl(AccsynEntity):
    """Access for ``entity`` (``user:<id>``) on ``target`` (``share:<id>``) below ``path``."""

    entity: str | None = None
    entity_hr: str | None = None
    target: str | None = None
    target_hr: str | None = None
    path: str | None = None
    read: bool | None = None
    write: bool | None = None
    created: datetime | None = None


class Job(AccsynEntity):
    """A transfer job."""

    code: str | None = None
    name: str | None = None
    status: str | None = None
    progress: float | None = None
    size: int | None = None
    speed: float | None = None
    etr: Any = None
    user: str | None = None
    user_hr: str | None = None
    source: str | None = None
    source_hr: str | None = None
    destination: str | None = None
    destination_hr: str | None = None
    created: datetime | None = None
    modified: datetime | None = None
    finished: datetime | None = None
    metadata: Any = None

    def metadata_dict(self) -> dict[str, Any]:
        """The job's metadata as a dict (the service may hand it back as a JSON string)."""
        meta = self.metadata
        if isinstance(meta, str):
            try:
                meta = json.loads(meta)
            except ValueError:
                return {}
        return meta if isinstance(meta, dict) else {}

    def metadata_value(self, key: str) -> Any:
        """A metadata value by dotted key (``vendor_publish.publish_id``), or None."""
        node: Any = self.metadata_dict()
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    @property
    def is_finished(self) -> bool:
        """True once the job is done or aborted (it then leaves the default find)."""
        return (self.status or "").lower() in JOB_FINISHED_STATUSES


class Task(AccsynEntity):
    """One file (or folder) of a job; ``source``/``destination`` are dicts or strings."""

    uri: str | None = None
    job: str | None = None
    status: str | None = None
    size: int | None = None
    priority: int | None = None
    source: Any = None
    destination: Any = None
    metadata: Any = None
    created: datetime | None = None
    finished: datetime | None = None


class Client(AccsynEntity):
    """A desktop app (type 0), server or daemon registered with the workspace."""

    code: str | None = None
    user: str | None = None
    user_hr: str | None = None
    type: int | None = None
    status: str | None = None

    @property
    def online(self) -> bool:
        """True when the service reports the client online."""
        return (self.status or "").lower() in CLIENT_ONLINE_STATUSES


class LoginInfo(BaseModel):
    """The login answer: the user's role and id, and the session id (kept out of reprs)."""

    model_config = ConfigDict(extra="allow")

    role: str
    id: str
    session_id: str = Field(repr=False)


class FileEntry(BaseModel):
    """One entry of a listing; ``type`` 0 is a directory, 1 a file; ``files`` when recursive."""

    model_config = ConfigDict(extra="allow")

    filename: str
    type: int | None = None
    size: int | None = None
    modified: datetime | None = None
    files: list[FileEntry] | None = None

    @field_validator("modified", mode="before")
    @classmethod
    def _modified(cls, value: Any) -> datetime | None:
        return parse_accsyn_date(value)

    @property
    def is_dir(self) -> bool:
        """True for a directory (``type`` 0, or an entry with children)."""
        return self.type == 0 or (self.type is None and self.files is not None)

    def walk(self, prefix: str = "") -> list[tuple[str, FileEntry]]:
        """This entry and its descendants as (relative path, entry) pairs."""
        here = f"{prefix}{self.filename}"
        out: list[tuple[str, FileEntry]] = [(here, self)]
        for child in self.files or []:
            out.extend(child.walk(here + "/"))
        return out


class PublishFileResult(BaseModel):
    """The service's verdict on one entry of a publish pre-process."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    filename: str | None = None
    size: int | None = None
    is_dir: bool | None = None
    can_publish: bool | None = None
    can_upload: bool | None = None
    rejected: Any = None
    warning: Any = None
    path: str | None = None
    info: Any = None
    ident: Any = None
    files: list[PublishFileResult] | None = None


class PublishPreprocessResult(BaseModel):
    """The answer of ``workspace/publish/preprocess``: per-file verdicts plus the rules."""

    model_config = ConfigDict(extra="allow")

    files: list[PublishFileResult] = Field(default_factory=list)
    guidelines: Any = None
    comment: Any = None
    time_report: Any = None
    statuses: list[Any] | None = None


MODEL_BY_ENTITYTYPE: dict[str, type[AccsynEntity]] = {
    "user": User,
    "volume": Share,
    "folder": Share,
    "share": Share,
    "home": Share,
    "collection": Share,
    "acl": Acl,
    "transfer": Job,
    "job": Job,
    "task": Task,
    "client": Client,
}


def model_for(entitytype: str) -> type[AccsynEntity]:
    """The model class for an entity type (unknown types get the generic entity)."""
    return MODEL_BY_ENTITYTYPE.get(entitytype.lower().strip(), AccsynEntity)
