"""The typed values that flow host adapter -> collection -> plan -> submission -> tracking.

Every stage is a pydantic model that prints as JSON, so a dry run, a headless batch and a
host's dialog all show the same thing, and a saved plan can be submitted later.
"""

from __future__ import annotations

import os
import re
from enum import Enum
from typing import Iterator, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Role(str, Enum):
    """What a file is to the publish."""

    PROJECT = "project"
    DEPENDENCY = "dependency"
    OUTPUT = "output"


class Severity(str, Enum):
    """How much a finding matters; ``error`` blocks the publish."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Finding(BaseModel):
    """One problem (or remark) about the publish, in plain words, with what to do."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable identifier, e.g. 'missing-file'.")
    severity: Severity
    message: str
    path: str | None = None
    origin: str | None = Field(default=None, description="Node/attribute the path came from.")
    fix: str | None = Field(default=None, description="What the user can do about it.")

    @property
    def blocking(self) -> bool:
        """True when this finding stops the publish."""
        return self.severity is Severity.ERROR


class CollectedItem(BaseModel):
    """A path the open project uses or produced, exactly as the host reported it.

    ``path`` may be a pattern (``img.####.exr``, ``tex.<UDIM>.png``, ``%04d``...) or a folder
    (``is_dir``); expansion into real files happens in the plan, never in the adapter.
    """

    path: str
    role: Role
    origin: str | None = None
    kind: str | None = Field(default=None, description="Host's word for it: image, library, cache...")
    frames: tuple[int, int] | None = Field(default=None, description="Inclusive frame range for a pattern.")
    is_dir: bool = False
    optional: bool = False
    expected: list[int] | None = Field(
        default=None,
        description="Frame or tile numbers the host says exist (e.g. Blender's declared UDIM tiles); "
        "any of them missing on disk is a finding.",
    )
    companions: list[str] = Field(
        default_factory=list,
        description="Names of files in the same folder as ``path`` that belong with it (a shapefile's "
        ".shx/.dbf/.prj, a raster's .aux.xml): planned, shown and ticked as one entry with it.",
    )


class Collection(BaseModel):
    """What a host adapter says about the open project."""

    schema_version: int = SCHEMA_VERSION
    host: str
    host_version: str | None = None
    project_file: str
    items: list[CollectedItem] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)


class EntryKind(str, Enum):
    """How a plan entry groups files."""

    FILE = "file"
    SEQUENCE = "sequence"
    FOLDER = "folder"


class MappingKind(str, Enum):
    """Why a file lands where it lands."""

    UPLOAD_ROOT = "upload_root"  # already inside FROM_VENDORS/<user>/ locally: maps to itself
    PROJECT = "project"  # under the local project root: keeps its relative layout
    EXTERNAL = "external"  # outside the project: goes to the externals folder


class PlanFile(NamedTuple):
    """One real file of an entry (a frame, a tile, a file of a folder); built on demand."""

    source: str
    destination: str
    size: int
    mtime_ns: int
    frame: int | None
    digest: str | None


class PlanEntry(BaseModel):
    """A collected item resolved to real files, sizes and destinations.

    Files are kept columnar (names, sizes, mtimes) rather than one object per frame, so a
    project with 200,000 frames stays small; ``files()`` yields them one at a time. A sequence
    or folder stays one entry and the job payload may send it as one accsyn task.
    """

    id: str
    kind: EntryKind
    role: Role
    origin: str | None = None
    source: str = Field(description="Local path, pattern or folder as collected (absolute, normalised).")
    destination: str = Field(description="Share-relative destination (pattern or folder for groups).")
    mapping: MappingKind
    source_dir: str | None = Field(default=None, description="Local folder the members live in.")
    destination_dir: str | None = Field(default=None, description="Share-relative folder they land in.")
    members: list[str] = Field(default_factory=list, description="Member names, '/'-separated, relative to the folders.")
    frames: list[int] | None = Field(default=None, description="Frame or tile number of each member.")
    padding: int | None = None
    sizes: list[int] = Field(default_factory=list)
    mtimes_ns: list[int] = Field(default_factory=list)
    inodes: list[int] = Field(default_factory=list)
    digests: list[str] | None = None
    included: bool = True
    optional: bool = False

    @property
    def size(self) -> int:
        """Bytes in this entry's files."""
        return sum(self.sizes)

    @property
    def count(self) -> int:
        """Number of real files in this entry."""
        return len(self.sizes)

    def files(self) -> Iterator[PlanFile]:
        """Yield the entry's real files, one at a time."""
        if not self.members:
            if self.sizes:
                yield self.file(0)
            return
        head, dst_head = self._heads()
        frames, digests, sizes, mtimes = self.frames, self.digests, self.sizes, self.mtimes_ns
        for i, name in enumerate(self.members):
            yield PlanFile(
                head + name if _PLAIN_MEMBER(name) else os.path.join(self.source_dir or "", *name.split("/")),
                dst_head + name,
                sizes[i],
                mtimes[i],
                frames[i] if frames else None,
                digests[i] if digests else None,
            )

    def file(self, i: int) -> PlanFile:
        """The entry's ``i``-th real file (as ``files()`` would yield it)."""
        digests = self.digests
        if not self.members:
            return PlanFile(self.source, self.destination, self.sizes[i], self.mtimes_ns[i], None,
                            digests[i] if digests else None)
        head, dst_head = self._heads()
        name = self.members[i]
        return PlanFile(
            head + name if _PLAIN_MEMBER(name) else os.path.join(self.source_dir or "", *name.split("/")),
            dst_head + name,
            self.sizes[i],
            self.mtimes_ns[i],
            self.frames[i] if self.frames else None,
            digests[i] if digests else None,
        )

    def sources(self) -> list[str]:
        """Local paths of the entry's real files, as ``files()`` spells them (without the rest)."""
        if not self.members:
            return [self.source] if self.sizes else []
        head, _ = self._heads()
        src_dir = self.source_dir or ""
        return [head + n if _PLAIN_MEMBER(n) else os.path.join(src_dir, *n.split("/")) for n in self.members]

    def _heads(self) -> tuple[str, str]:
        # os.path.join(src_dir, name) is src_dir + separator + name for a plain name: join once.
        dst_dir = self.destination_dir or ""
        return os.path.join(self.source_dir or "", ""), f"{dst_dir}/" if dst_dir else ""


# A member name os.path.join would append as is (no separator, drive or root of its own).
_PLAIN_MEMBER = re.compile(r"[^/\\:]*\Z" if os.name == "nt" else r"[^/]*\Z").match


class PlanTotals(BaseModel):
    """Sums shown to the user before publishing."""

    files: int = 0
    bytes: int = 0
    by_role: dict[str, int] = Field(default_factory=dict)
    findings: dict[str, int] = Field(default_factory=dict)


class Plan(BaseModel):
    """Everything that would be published, and every finding, before anything is sent."""

    schema_version: int = SCHEMA_VERSION
    publish_id: str
    created: str
    host: str
    host_version: str | None = None
    project_file: str
    project_root: str
    user: str
    workspace: str
    share: str
    upload_root: str
    job_code: str
    task: str
    comment: str = ""
    entries: list[PlanEntry] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    totals: PlanTotals = Field(default_factory=PlanTotals)

    set_aside: list[Finding] = Field(
        default_factory=list, description="Findings of entries the user left out; they return if ticked again."
    )
    publish_workflow: PublishWorkflow | None = Field(
        default=None, description="The studio's pre-publish verdict, when its workspace runs accsyn Publish."
    )

    @property
    def blocked(self) -> bool:
        """True when any finding blocks the publish."""
        return any(f.blocking for f in self.findings)


class PublishWorkflow(BaseModel):
    """What the studio's ``pre-publish-server`` hook answered (``workspace/publish/preprocess``)."""

    paths: dict[str, str] = Field(default_factory=dict, description="Entry id -> destination the studio dictates.")
    manifest_path: str | None = None
    guidelines: str = ""
    statuses: list[str] = Field(default_factory=list)
    status: str | None = Field(default=None, description="The status proposed by the studio (its default).")
    files: list[dict] = Field(default_factory=list, description="The hook's per-entry answer, passed back with the job.")


class ManifestFile(BaseModel):
    """One file as the studio's ingest step will verify it."""

    role: Role
    source: str
    destination: str
    size: int
    digest: str | None = None
    origin: str | None = None
    mapping: MappingKind
    frame: int | None = None
    entry: str | None = Field(default=None, description="Plan entry id (the accsyn task id under Publish).")
    within: str | None = Field(default=None, description="Path inside the entry's folder, for folders and sequences.")
    dictated: str | None = Field(default=None, description="Where the studio's pre-publish hook sent the entry.")


class Manifest(BaseModel):
    """What travels with the job so the studio can verify what arrived."""

    kind: Literal["vendor-publish-manifest"] = "vendor-publish-manifest"
    schema_version: int = SCHEMA_VERSION
    publish_id: str
    created: str
    tool_version: str
    user: str
    host: str
    host_version: str | None = None
    workspace: str
    share: str
    task: str
    job_code: str
    project_file: str
    project_destination: str | None = None
    upload_root: str
    comment: str = ""
    digest_algorithm: str = "sha256"
    files: list[ManifestFile] = Field(default_factory=list)
    totals: PlanTotals = Field(default_factory=PlanTotals)


class JobStatus(str, Enum):
    """accsyn's transfer status values."""

    INIT = "init"
    WAITING = "waiting"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    ABORTED = "aborted"
    DONE = "done"

    @property
    def final(self) -> bool:
        """True when the job will not change on its own any more."""
        return self in (JobStatus.DONE, JobStatus.ABORTED)


class SubmissionResult(BaseModel):
    """What submitting a plan produced."""

    publish_id: str
    job_id: str
    job_code: str
    tasks: int
    files: int
    bytes: int
    payload_bytes: int = Field(description="Size of the create request body as sent.")
    reused_existing: bool = Field(default=False, description="The job already existed (safe retry).")


class TrackingSnapshot(BaseModel):
    """One look at a job while following it."""

    job_id: str
    status: str
    progress: float = 0.0
    size: int | None = None
    speed: float | None = None
    etr: int | None = None
    tasks_total: int = 0
    tasks_done: int = 0
    tasks_failed: int = 0
    client_online: bool | None = None
    message: str = ""
