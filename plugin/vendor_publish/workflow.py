"""The publish as one sequence of stages, shared by the CLI, the batch mode and host dialogs.

settings + collection -> plan -> (online checks) -> submission -> tracking. Every function
takes and returns the typed stage values; none of them prints.
"""

from __future__ import annotations

import os
from pathlib import Path

from vendor_publish import mapping, paths, studio
from vendor_publish.access import online_findings
from vendor_publish.digests import DigestCache
from vendor_publish.errors import ConfigError
from vendor_publish.models import Collection, Plan
from vendor_publish.planner import PlanContext, build_plan
from vendor_publish.settings import Settings, cache_dir, data_dir
from vendor_publish.submission import Progress, submit
from vendor_publish.validation import validate


def plan_context(
    settings: Settings,
    collection: Collection,
    *,
    task: str | None = None,
    comment: str = "",
    project_root: str | None = None,
) -> PlanContext:
    """Decide user, upload root, project root, task and job code for a collection."""
    profile = settings.profile
    user = settings.credentials.user
    if not user:
        raise ConfigError(
            "Your accsyn user (e-mail) is not set.",
            hint="Set ACCSYN_API_USER, or run: vendor-publish config set user you@example.com",
        )
    upload_root = mapping.upload_root_for(profile.upload_root, user)
    root = project_root or default_project_root(collection.project_file, settings.share_local_root, upload_root)
    task_name = studio.task_name(profile, collection.project_file, task)
    job_code = studio.render_template(
        profile.job_code,
        task=task_name,
        user=user,
        workspace=profile.workspace,
        share=profile.share,
        project=Path(collection.project_file).stem,
    )
    return PlanContext(
        profile=profile,
        user=user,
        upload_root=upload_root,
        project_root=os.path.normpath(root),
        share_local_root=settings.share_local_root,
        task=task_name,
        job_code=job_code,
        comment=comment,
    )


def default_project_root(project_file: str, share_local_root: str | None, upload_root: str) -> str:
    """Where relative layout starts when the user did not say.

    Inside the local copy of the upload folder: that folder (files map to themselves); inside
    the local copy of the share: the share's root; anywhere else: the project file's folder.
    """
    if share_local_root:
        upload_local = os.path.join(share_local_root, *upload_root.split("/"))
        if paths.is_within(project_file, upload_local):
            return upload_local
        if paths.is_within(project_file, share_local_root):
            return share_local_root
    return os.path.dirname(os.path.abspath(project_file))


def make_plan(settings: Settings, collection: Collection, **context_args) -> Plan:
    """Plan a publish from a collection; reads the disk, sends nothing."""
    return build_plan(collection, plan_context(settings, collection, **context_args))


def check_online(plan: Plan, settings: Settings, client) -> Plan:
    """Add what only the service can tell (write access, the studio's pre-publish feedback)."""
    extra = online_findings(plan, client)
    if not extra:
        return plan
    return validate(plan.model_copy(update={"findings": [*plan.findings, *extra]}), settings.profile, rules=())


def publish_plan(plan: Plan, client, *, progress: Progress | None = None, cancelled=None):
    """Submit a checked plan: digests (cached), manifest, exactly one job."""
    cache = DigestCache(cache_dir() / "digests.sqlite3")
    try:
        return submit(plan, client, staging_dir=data_dir(), cache=cache, progress=progress, cancelled=cancelled)
    finally:
        cache.close()
