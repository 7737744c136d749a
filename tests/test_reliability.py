"""Exactly-once publishes under faults, the outbox, and concurrent publishes sharing local state."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from projects import tutorial_project, use_environment, vendor_environment

from vendor_publish.accsyn_client import AccsynClient, RetryPolicy
from vendor_publish.cli import EXIT_OK, main
from vendor_publish.errors import VendorPublishError
from vendor_publish.generic import collect_paths
from vendor_publish.outbox import Outbox
from vendor_publish.settings import resolve_settings
from vendor_publish import workflow

PUBLISHES = int(os.environ.get("VP_FAULT_PUBLISHES", "200"))


@pytest.fixture
def vendor_env(tmp_path, sandbox, sandbox_api_key, monkeypatch):
    env, production = vendor_environment(tmp_path, sandbox, sandbox_api_key)
    use_environment(monkeypatch, env)
    return env, tutorial_project(production)


def make_plan(project, task):
    settings = resolve_settings()
    coll = collect_paths(str(project["project"]), dependencies=[str(project["asset"])], outputs=[str(project["output"])])
    return settings, workflow.make_plan(settings, coll, task=task)


def jobs_of(client, plan):
    return [j for j in client.find_jobs_by_code(plan.job_code)
            if (j.metadata or {}).get("vendor_publish", {}).get("publish_id") == plan.publish_id]


def test_seeded_faults_never_duplicate_or_lose_a_publish(vendor_env, sandbox, sandbox_api_key):
    _, project = vendor_env
    outbox = workflow.default_outbox()
    plans = []
    settings = None
    for i in range(PUBLISHES):
        settings, plan = make_plan(project, f"T{i:03d}")
        plans.append(plan)
    sandbox.fault_mode(seed=20261202, rate=0.2)
    flaky = AccsynClient(credentials=settings.credentials, read_timeout=0.15, connect_timeout=1.0,
                         retry=RetryPolicy(budget=2.0, base_delay=0.01, max_delay=0.05))
    failures = 0
    with flaky:
        for plan in plans:
            try:
                workflow.publish_plan(plan, flaky, outbox=outbox)
            except VendorPublishError:
                failures += 1
    sandbox.clear_faults()
    assert sandbox.faults_injected, "the fault mode injected nothing"
    sandbox.wait_idle(timeout=120)

    pending = {e.publish_id: e for e in outbox.entries()}
    with AccsynClient(credentials=settings.credentials) as client:
        for plan in plans:
            jobs = jobs_of(client, plan)
            assert len(jobs) <= 1, f"{plan.job_code}: {len(jobs)} jobs"
            if jobs:
                assert len(client.job_tasks(jobs[0].id)) == 4, f"{plan.job_code}: tasks missing"
            else:
                assert plan.publish_id in pending, f"{plan.job_code}: neither a job nor an outbox entry"
                assert pending[plan.publish_id].reason.strip()
        assert failures == len(pending)

        # Resuming the outbox with the network healthy settles every publish as exactly one job.
        for entry, outcome in workflow.retry_pending(client, outbox=outbox):
            assert not isinstance(outcome, Exception), outcome
        assert outbox.entries() == []
        for plan in plans:
            assert len(jobs_of(client, plan)) == 1, plan.job_code


def test_uncertain_create_is_resolved_without_a_second_job(vendor_env, sandbox):
    _, project = vendor_env
    settings, plan = make_plan(project, "UNCERTAIN")
    sandbox.queue_fault("reset_after", uri="transfer/create")  # accsyn acts, the answer is lost
    with AccsynClient(credentials=settings.credentials) as client:
        result = workflow.publish_plan(plan, client)
        assert result.reused_existing  # found by its publish id, not created again
        assert len(jobs_of(client, plan)) == 1
    assert workflow.default_outbox().entries() == []


def test_crash_after_create_is_resumed_from_the_outbox(vendor_env, sandbox, capsys):
    # The process died after accsyn created the job but before the outbox entry was removed.
    _, project = vendor_env
    settings, plan = make_plan(project, "CRASH")
    outbox = workflow.default_outbox()
    outbox.put(plan)
    with AccsynClient(credentials=settings.credentials) as client:
        from vendor_publish.settings import data_dir
        from vendor_publish.submission import submit

        submit(plan, client, staging_dir=data_dir())
    assert main(["outbox"]) == EXIT_OK
    assert plan.publish_id in capsys.readouterr().out
    assert main(["outbox", "retry"]) == EXIT_OK
    assert "already existed" in capsys.readouterr().err
    with AccsynClient(credentials=settings.credentials) as client:
        assert len(jobs_of(client, plan)) == 1
    assert outbox.entries() == []


def test_unreachable_service_keeps_the_publish_with_a_reason(vendor_env, sandbox, capsys, monkeypatch):
    _, project = vendor_env
    settings, plan = make_plan(project, "OFFLINE")
    sandbox.stop()
    client = AccsynClient(credentials=settings.credentials, connect_timeout=0.5,
                          retry=RetryPolicy(budget=0.5, base_delay=0.01, max_delay=0.02))
    with client, pytest.raises(VendorPublishError):
        workflow.publish_plan(plan, client)
    (entry,) = workflow.default_outbox().entries()
    assert entry.publish_id == plan.publish_id and "127.0.0.1" in entry.reason


def _publish_in_process(args):
    env, task, project_paths = args
    os.environ.update(env)
    settings = resolve_settings()
    coll = collect_paths(project_paths["project"], dependencies=[project_paths["asset"]], outputs=[project_paths["output"]])
    plan = workflow.make_plan(settings, coll, task=task)
    with AccsynClient(credentials=settings.credentials) as client:
        return workflow.publish_plan(plan, client).job_code


def test_concurrent_publishes_share_outbox_and_digest_cache(vendor_env, sandbox):
    env, project = vendor_env
    paths = {k: str(v) for k, v in project.items()}
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        codes = pool.map(_publish_in_process, [(env, f"C{i}", paths) for i in range(8)], chunksize=1)
    assert sorted(codes) == sorted(f"C{i}_output" for i in range(8))
    assert Outbox(os.path.join(env["VENDOR_PUBLISH_HOME"], "data", "outbox")).entries() == []
