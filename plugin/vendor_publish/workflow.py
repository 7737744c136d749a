"""The publish as one sequence of stages, shared by the CLI, the batch mode and host dialogs.

settings + collection -> plan -> (online checks) -> submission -> tracking. Every function
takes and returns the typed stage values; none of them prints.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from vendor_publish import mapping, paths, publish_workflow, studio
from vendor_publish.access import AccessFacts, online_findings
from vendor_publish.declared_outputs import with_declared_outputs
from vendor_publish.digests import DigestCache
from vendor_publish.errors import AccsynError, ConfigError, PlanChangedError, SubmissionUncertain, VendorPublishError
from vendor_publish.listing_cache import ListingCache
from vendor_publish.models import Collection, Plan, SubmissionResult
from vendor_publish.outbox import Outbox, OutboxBusy
from vendor_publish.planner import PlanContext, build_plan
from vendor_publish.settings import Settings, cache_dir, data_dir
from vendor_publish.submission import Progress, submit
from vendor_publish.usd_layers import with_usd_dependencies
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


RETRY_VAR = "VENDOR_PUBLISH_RETRY_SECONDS"


def make_client(settings: Settings):
    """An accsyn client for these settings (retry budget from ``VENDOR_PUBLISH_RETRY_SECONDS``)."""
    from vendor_publish.accsyn_client import AccsynClient, RetryPolicy

    budget = os.environ.get(RETRY_VAR)
    try:
        retry = RetryPolicy(budget=float(budget)) if budget else None
    except ValueError:
        raise ConfigError(f"{RETRY_VAR}={budget!r} is not a number of seconds.") from None
    return AccsynClient(credentials=settings.credentials.require(), retry=retry)


def make_plan(settings: Settings, collection: Collection, **context_args) -> Plan:
    """Plan a publish from a collection (plus the outputs the studio profile declares); sends nothing."""
    collection = with_declared_outputs(collection, settings.profile.output_folders)
    collection = with_usd_dependencies(collection)
    context = plan_context(settings, collection, **context_args)
    try:
        listings = ListingCache(cache_dir() / "listings.sqlite3")
    except (OSError, sqlite3.Error):  # no usable cache folder: every folder is listed, as without one
        return build_plan(collection, context)
    try:
        return build_plan(collection, dataclasses.replace(context, listings=listings))
    finally:
        listings.close()


def check_online(plan: Plan, settings: Settings, client, *, access: AccessFacts | None = None) -> Plan:
    """Add what only the service can tell (write access, the studio's pre-publish feedback).

    ``access``: the user's rights fetched earlier (``access.fetch_access``, e.g. while the host
    was still collecting), so only the plan-dependent question is asked now.
    """
    extra: list = []
    verdict = publish_workflow.check(plan, client)
    if verdict is not None:
        plan, extra = verdict
    extra += online_findings(plan, client, access)
    if not extra:
        return plan
    return validate(plan.model_copy(update={"findings": [*plan.findings, *extra]}), settings.profile, rules=())


def default_outbox() -> Outbox:
    """The user's outbox of publishes not yet confirmed by accsyn."""
    return Outbox(data_dir() / "outbox")


def publish_plan(plan: Plan, client, *, progress: Progress | None = None, cancelled=None,
                 outbox: Outbox | None = None) -> SubmissionResult:
    """Submit a checked plan through the outbox: recorded first, removed once accsyn confirms the job."""
    outbox = outbox or default_outbox()
    outbox.put(plan)
    cache = DigestCache(cache_dir() / "digests.sqlite3")
    try:
        with outbox.claim(plan.publish_id):
            try:
                result = submit(plan, client, staging_dir=data_dir(), cache=cache, progress=progress,
                                cancelled=cancelled)
            except KeyboardInterrupt:
                outbox.remove(plan.publish_id)  # cancelled while reading files: nothing was sent
                raise
            except SubmissionUncertain as exc:
                outbox.mark(plan.publish_id, f"accsyn may or may not have received the job ({exc}); "
                            "a retry checks before it creates anything")
                raise
            except (AccsynError, PlanChangedError) as exc:
                outbox.mark(plan.publish_id, str(exc))
                raise
            outbox.remove(plan.publish_id)
            return result
    finally:
        cache.close()


def retry_pending(client, settings: Settings | None = None, *, outbox: Outbox | None = None,
                  only: Iterable[str] = (), progress=None):
    """Submit pending publishes again; yields (entry, result or error) for each."""
    outbox = outbox or default_outbox()
    wanted = set(only)
    for entry in outbox.entries():
        if wanted and entry.publish_id not in wanted and not any(entry.publish_id.startswith(w) for w in wanted):
            continue
        if entry.plan.user.lower() != str(client.user).lower():
            yield entry, ConfigError(
                f"Publish {entry.label} belongs to {entry.plan.user}, not {client.user}.",
                hint="Retry it with that user's credentials.",
            )
            continue
        try:
            plan = entry.plan
            if settings is not None:  # it may have been queued before access could be checked
                plan = check_online(plan, settings, client)
                if plan.blocked:
                    first = next(f for f in plan.findings if f.blocking)
                    outbox.mark(plan.publish_id, first.message)
                    yield entry, PlanChangedError(first.message, hint=first.fix)
                    continue
            yield entry, publish_plan(plan, client, progress=progress, outbox=outbox)
        except (VendorPublishError, OutboxBusy) as exc:
            yield entry, exc
