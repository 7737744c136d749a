"""``plan``, ``publish`` and ``status``: per project, the same stages the host dialogs run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vendor_publish import hosts, report, tracking, workflow
from vendor_publish.cli import (
    EXIT_BLOCKED,
    EXIT_JOB_FAILED,
    EXIT_OK,
    EXIT_SERVICE,
    EXIT_UNCERTAIN,
    EXIT_USAGE,
)
from vendor_publish.errors import AccsynError, ConfigError, ConnectionFailed, PlanChangedError, SubmissionUncertain, VendorPublishError
from vendor_publish.models import JobStatus, Plan
from vendor_publish.settings import Settings, resolve_settings

JSON_SCHEMA_VERSION = 1


def _settings(args: argparse.Namespace) -> Settings:
    settings = resolve_settings(studio=args.studio, workspace=args.workspace, user=args.user, server=args.server)
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return settings


def _client(settings: Settings):
    return workflow.make_client(settings)


def _plans(args: argparse.Namespace, settings: Settings) -> list[tuple[str, Plan | None, VendorPublishError | None]]:
    if getattr(args, "plan_file", None):
        if args.paths:
            raise ConfigError("Give either project paths or --plan FILE, not both.")
        return [(args.plan_file, _load_plan(Path(args.plan_file)), None)]
    if not args.paths:
        raise ConfigError("No project given.", hint="Name the project file(s), e.g. vendor-publish plan scene.blend")
    if len(args.paths) > 1 and getattr(args, "save", None):
        raise ConfigError("--save takes one project at a time.")
    results = []
    for path in args.paths:
        try:
            collection = hosts.collect(args.host, path, dependencies=args.dep, outputs=args.output)
            plan = workflow.make_plan(
                settings, collection, task=args.task, comment=args.comment, project_root=args.project_root
            )
            results.append((path, plan, None))
        except VendorPublishError as exc:
            if len(args.paths) == 1:
                raise
            results.append((path, None, exc))
    return results


def _load_plan(path: Path) -> Plan:
    try:
        return Plan.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"Saved plan not found: {path}") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not a plan saved by 'vendor-publish plan --save' ({exc.__class__.__name__}).") from None


def run(args: argparse.Namespace) -> int:
    """Run ``plan`` or ``publish`` for every project given; the worst exit code wins."""
    settings = _settings(args)
    outcomes: list[dict[str, Any]] = []
    client = None
    try:
        for path, plan, error in _plans(args, settings):
            if error is not None:
                outcomes.append(_outcome(path, None, error=error, code=EXIT_USAGE))
                print(f"{path}: error: {error}", file=sys.stderr)
                continue
            needs_service = args.command == "publish" or getattr(args, "check_access", False)
            if needs_service and client is None:
                client = _client(settings)
            outcomes.append(_one(args, settings, client, path, plan))
    finally:
        if client is not None:
            client.close()
    if args.json:
        print(json.dumps({"schema_version": JSON_SCHEMA_VERSION, "command": args.command, "results": outcomes}, indent=1))
    return max((o["exit_code"] for o in outcomes), default=EXIT_OK)


def _one(args: argparse.Namespace, settings: Settings, client, path: str, plan: Plan) -> dict[str, Any]:
    try:
        if client is not None:
            try:
                plan = workflow.check_online(plan, settings, client)
            except ConnectionFailed as exc:
                if args.command != "publish" or plan.blocked:
                    raise
                # Offline at 2 a.m.: keep the publish; 'outbox retry' checks access and submits it.
                workflow.default_outbox().put(plan, reason=f"not sent yet: {exc}")
                raise
        if not args.json:
            print(report.format_plan(plan, verbose=args.verbose), file=sys.stderr if args.command == "publish" else sys.stdout)
        if args.command == "plan":
            if args.save:
                Path(args.save).write_text(plan.model_dump_json(indent=1), encoding="utf-8")
                print(f"Plan saved to {args.save}; publish it with: vendor-publish publish --plan {args.save}", file=sys.stderr)
            return _outcome(path, plan, code=EXIT_BLOCKED if plan.blocked else EXIT_OK)
        if plan.blocked:
            print("Nothing was sent.", file=sys.stderr)
            return _outcome(path, plan, code=EXIT_BLOCKED)
        if not args.yes and not _confirm(plan):
            print("Not published.", file=sys.stderr)
            return _outcome(path, plan, code=EXIT_USAGE)
        return _submit_and_follow(args, client, path, plan)
    except SubmissionUncertain as exc:
        _say_error(path, exc)
        print("  The publish is kept in your outbox; 'vendor-publish outbox retry' checks whether accsyn got it "
              "before sending anything again.", file=sys.stderr)
        return _outcome(path, plan, error=exc, code=EXIT_UNCERTAIN)
    except PlanChangedError as exc:
        _say_error(path, exc)
        return _outcome(path, plan, error=exc, code=EXIT_BLOCKED)
    except AccsynError as exc:
        _say_error(path, exc)
        if args.command == "publish" and workflow.default_outbox().get(plan.publish_id) is not None:
            print("  The publish is kept in your outbox; send it with: vendor-publish outbox retry", file=sys.stderr)
        return _outcome(path, plan, error=exc, code=EXIT_SERVICE)


def _submit_and_follow(args: argparse.Namespace, client, path: str, plan: Plan) -> dict[str, Any]:
    bar = report.ProgressLine()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "digest" and total:
            bar.show("reading", done / total, report.human_size(total))

    result = workflow.publish_plan(plan, client, progress=progress)
    bar.done()
    again = " (already submitted earlier; not sent again)" if result.reused_existing else ""
    print(f"Job {result.job_code} created: id {result.job_id}, {result.files} files, "
          f"{report.human_size(result.bytes)}{again}.", file=sys.stderr)
    snap = None
    code = EXIT_OK
    if args.wait:
        snap = _follow(client, result.job_id, args.timeout)
        if snap.status in (JobStatus.FAILED.value, JobStatus.ABORTED.value):
            code = EXIT_JOB_FAILED
    else:
        print(f"Follow it with: vendor-publish status {result.job_id} --wait", file=sys.stderr)
    return _outcome(path, plan, submission=result.model_dump(), tracking=snap.model_dump() if snap else None, code=code)


def _follow(client, job_id: str, timeout: float | None):
    bar = report.ProgressLine()
    said: set[str] = set()

    def update(snap) -> None:
        if snap.message not in said and snap.status not in ("running",):
            bar.done()
            print(report.format_snapshot(snap), file=sys.stderr)
            said.add(snap.message)
        else:
            bar.show(snap.status, snap.progress / 100, f"{snap.tasks_done}/{snap.tasks_total} tasks")

    user_id = client.login_info.id
    snap = tracking.follow(client, job_id, user_id=user_id, timeout=timeout, on_update=update)
    bar.done()
    if snap.message not in said:
        print(report.format_snapshot(snap), file=sys.stderr)
    if snap.status not in (JobStatus.DONE.value, JobStatus.FAILED.value, JobStatus.ABORTED.value):
        print(f"Stopped waiting; the job goes on. Follow it with: vendor-publish status {job_id} --wait",
              file=sys.stderr)
    return snap


def _confirm(plan: Plan) -> bool:
    if not sys.stdin.isatty():
        raise ConfigError("Publishing needs confirmation.", hint="Add --yes when running without a terminal.")
    t = plan.totals
    answer = input(f"Publish {t.files} files ({report.human_size(t.bytes)}) to {plan.share}/{plan.upload_root}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _say_error(path: str, exc: VendorPublishError) -> None:
    print(f"{path}: error: {exc}", file=sys.stderr)
    if exc.hint:
        print(f"  what to do: {exc.hint}", file=sys.stderr)


def _outcome(path: str, plan: Plan | None, *, code: int, error: VendorPublishError | None = None,
             submission: dict | None = None, tracking: dict | None = None) -> dict[str, Any]:
    return {
        "project": path,
        "exit_code": code,
        "plan": plan.model_dump(mode="json") if plan is not None else None,
        "submission": submission,
        "tracking": tracking,
        "error": None if error is None else {"type": type(error).__name__, "message": str(error), "hint": error.hint},
    }


def run_status(args: argparse.Namespace) -> int:
    """Show (or follow) one job."""
    settings = _settings(args)
    with _client(settings) as client:
        if args.wait:
            snap = tracking.follow(client, args.job, user_id=client.login_info.id, timeout=args.timeout)
        else:
            snap = tracking.snapshot(client, args.job, user_id=client.login_info.id)
    if args.json:
        print(json.dumps({"schema_version": JSON_SCHEMA_VERSION, "tracking": snap.model_dump()}, indent=1))
    else:
        print(report.format_snapshot(snap))
    return EXIT_JOB_FAILED if snap.status in (JobStatus.FAILED.value, JobStatus.ABORTED.value) else EXIT_OK


def run_outbox(args: argparse.Namespace) -> int:
    """List, retry or drop publishes that accsyn has not confirmed yet."""
    outbox = workflow.default_outbox()
    if args.action == "list":
        entries = outbox.entries()
        if args.json:
            print(json.dumps({"schema_version": JSON_SCHEMA_VERSION, "pending": [
                {"publish_id": e.publish_id, "job_code": e.plan.job_code, "project": e.plan.project_file,
                 "user": e.plan.user, "created": e.created, "updated": e.updated, "attempts": e.attempts,
                 "reason": e.reason} for e in entries]}, indent=1))
        elif not entries:
            print("The outbox is empty: every publish was confirmed by accsyn.")
        for e in entries if not args.json else ():
            print(f"{e.publish_id}  {e.label}\n    since {e.created} UTC, {e.attempts} attempt(s): {e.reason}")
        return EXIT_OK
    if args.action == "drop":
        if not args.ids:
            raise ConfigError("Name the publish id(s) to drop; 'vendor-publish outbox' lists them.")
        for publish_id in args.ids:
            outbox.remove(publish_id)
            print(f"Dropped {publish_id} from the outbox (nothing was deleted at the studio).")
        return EXIT_OK
    settings = _settings(args)
    worst = EXIT_OK
    results = []
    with _client(settings) as client:
        for entry, outcome in workflow.retry_pending(client, settings, outbox=outbox, only=args.ids):
            if isinstance(outcome, VendorPublishError):
                _say_error(entry.label, outcome)
                code = EXIT_UNCERTAIN if isinstance(outcome, SubmissionUncertain) else EXIT_SERVICE
                results.append(_outcome(entry.plan.project_file, entry.plan, error=outcome, code=code))
            else:
                again = " (it already existed; nothing sent twice)" if outcome.reused_existing else ""
                print(f"{entry.label}: job {outcome.job_code} id {outcome.job_id}{again}.", file=sys.stderr)
                snap = _follow(client, outcome.job_id, args.timeout) if args.wait else None
                code = EXIT_JOB_FAILED if snap and snap.status in ("failed", "aborted") else EXIT_OK
                results.append(_outcome(entry.plan.project_file, entry.plan, submission=outcome.model_dump(),
                                        tracking=snap.model_dump() if snap else None, code=code))
            worst = max(worst, results[-1]["exit_code"])
    if args.json:
        print(json.dumps({"schema_version": JSON_SCHEMA_VERSION, "command": "outbox retry", "results": results}, indent=1))
    elif not results:
        print("Nothing to retry: the outbox is empty.", file=sys.stderr)
    return worst
