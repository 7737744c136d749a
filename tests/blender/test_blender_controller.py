"""The Blender dialog's state machine without Blender: real core, real sandbox, real threads.

The collection is the generic host's (a project file, a dependency, an output, plus an optional
extra), fed to the controller in steps the way ``collection.collect_steps`` feeds it in Blender.
"""

from __future__ import annotations

import socket
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from projects import USER, tutorial_project, write

from vendor_publish.accsyn_client import AccsynClient
from vendor_publish.generic import collect_paths
from vendor_publish.models import CollectedItem, Collection, Role
from vendor_publish_blender.controller import PublishController, Stage
from vendor_publish_blender.view import build_view

TASK = "DATASET_001_1203"


@pytest.fixture
def vendor(tmp_path: Path, sandbox: Any, sandbox_api_key: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    production = tmp_path / "Production"
    monkeypatch.setenv("VENDOR_PUBLISH_HOME", str(tmp_path / "vp-home"))
    monkeypatch.setenv("ACCSYN_API_USER", USER)
    monkeypatch.setenv("ACCSYN_API_KEY", sandbox_api_key)
    monkeypatch.setenv("ACCSYN_PRODUCTION_PATH", str(production))
    monkeypatch.setenv("VENDOR_PUBLISH_STUDIO", str(sandbox.studio_profile_path))
    monkeypatch.setenv("VENDOR_PUBLISH_SERVER", sandbox.url)
    for name in ("ACCSYN_WORKSPACE", "ACCSYN_DOMAIN", "ACCSYN_ORG", "ACCSYN_CREDENTIALS_PATH"):
        monkeypatch.delenv(name, raising=False)
    project = tutorial_project(production)
    project["notes"] = write(project["work"] / "notes" / "readme.txt", "optional notes\n")
    return project


def _collection(p: dict[str, Path]) -> Collection:
    base = collect_paths(str(p["project"]), dependencies=[str(p["asset"])], outputs=[str(p["output"])])
    extra = CollectedItem(path=str(p["notes"]), role=Role.DEPENDENCY, origin="test notes", optional=True)
    return base.model_copy(update={"items": [*base.items, extra]})


def _steps(collection: Collection) -> Generator[None, None, dict[str, Any]]:
    for _ in collection.items:
        yield  # one "data-block" per step, as in Blender
    return collection.model_dump(mode="json")


def _ready(p: dict[str, Path], **kwargs: Any) -> PublishController:
    ctl = PublishController(task=TASK, follow_interval=0.2, **kwargs)
    ctl.begin(_steps(_collection(p)), str(p["project"]))
    steps = 0
    while not ctl.collect_step(budget=0.0):  # the smallest step: one item per timer tick
        steps += 1
    assert steps >= 2
    assert ctl.wait(lambda: ctl.stage is not Stage.PLANNING and not ctl.access_pending, timeout=30)
    return ctl


def test_plan_untick_publish_and_follow(vendor: dict[str, Path], sandbox: Any) -> None:
    ctl = _ready(vendor)
    assert ctl.stage is Stage.READY, ctl.outcome
    view = build_view(ctl.plan)
    titles = [g.title for g in view.groups]
    assert titles == ["Project file", "Dependencies", "Outputs"]
    deps = view.groups[1].rows
    assert deps[0].optional and deps[0].what == os_rel("notes/readme.txt")  # optional first, relative
    assert all(r.destination.startswith(f"FROM_VENDORS/{USER}/") for g in view.groups for r in g.rows)
    assert view.verdict.startswith("Ready to publish") and view.disabled_reason is None
    before = ctl.plan.totals.files

    ctl.set_included({deps[0].entry_id: False})
    assert ctl.plan.totals.files == before - 1 and not ctl.plan.blocked
    ctl.set_included({e.id: False for e in ctl.plan.entries if not e.optional})  # required ones stay in
    assert ctl.plan.totals.files == before - 1

    assert ctl.publish("delivered from the dialog")
    assert ctl.status_text().startswith("Publish: ")
    assert ctl.wait(lambda: ctl.stage.final, timeout=60)
    assert ctl.stage is Stage.DONE, ctl.outcome
    assert ctl.outcome.lines[0].startswith(f"Job {TASK}_output created: id ") and ", 3 files, " in ctl.outcome.lines[0]
    assert ctl.outcome.lines[1].startswith("[done] 100.0%") and ctl.outcome.exit_code == 0
    sandbox.wait_idle(timeout=30)
    landed = sandbox.volume_path("production") / "proj002" / "FROM_VENDORS" / USER
    assert (landed / "cleaned_set.dat").read_bytes() == vendor["asset"].read_bytes()
    assert not (landed / "notes").exists()


def os_rel(path: str) -> str:
    return str(Path(path))


def test_blocked_plan_cannot_be_published_and_says_why(vendor: dict[str, Path], sandbox: Any,
                                                       sandbox_api_key: str) -> None:
    vendor["output"].unlink()  # the studio requires one output
    ctl = _ready(vendor)
    assert ctl.stage is Stage.READY and ctl.plan.blocked
    view = build_view(ctl.plan)
    assert view.disabled_reason.startswith("Publish is disabled. Blocked: ")
    assert any(f.blocking and f.lines[0].startswith("ERROR: ") for f in view.findings)
    assert any(line.strip().startswith("what to do: ") for f in view.findings for line in f.lines)
    assert ctl.publish() is False and ctl.stage is Stage.READY
    ctl.close()
    assert ctl.stage is Stage.CANCELLED and ctl.outcome.lines == ("Not published.", "Nothing was sent.")
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code(f"{TASK}_output") == []


def test_cancel_while_reading_sends_nothing(vendor: dict[str, Path], sandbox: Any, sandbox_api_key: str) -> None:
    write(vendor["asset"], b"\0" * (64 << 20))  # long enough to still be reading when the artist cancels
    ctl = _ready(vendor)
    assert ctl.publish()
    ctl.cancel()
    assert ctl.wait(lambda: ctl.stage.final, timeout=60)
    assert ctl.stage is Stage.CANCELLED, ctl.outcome
    assert ctl.outcome.lines[-1] == "Nothing was sent."
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code(f"{TASK}_output") == []
    from vendor_publish.workflow import default_outbox

    assert default_outbox().entries() == []  # cancelled while reading: not queued either


def test_errors_read_like_the_cli(vendor: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from vendor_publish.cli import main

    monkeypatch.setenv("ACCSYN_API_KEY", "sbx-wrong-key-0000000000000000")
    ctl = _ready(vendor)
    # The plan is shown; the refused login is said in the dialog, and Publish stays disabled.
    assert ctl.stage is Stage.READY and ctl.access_error is not None
    lines, blocking = ctl.access_lines()
    view = build_view(ctl.plan, notes=lines, blocked_by=lines[0])
    assert blocking and view.blocked and view.disabled_reason.startswith("Publish is disabled. ")
    assert ctl.publish() is False
    ctl.close()
    assert ctl.stage is Stage.FAILED and ctl.outcome.lines[0] == lines[0]
    code = main(["publish", str(vendor["project"]), "--dep", str(vendor["asset"]), "--output", str(vendor["output"]),
                 "--task", TASK, "--yes"])
    err = capsys.readouterr().err
    cli = [line for line in err.splitlines() if ": error: " in line or line.startswith("  what to do: ")]
    ours = list(ctl.outcome.lines)
    assert ours[0].split(": error: ", 1)[1] == cli[0].split(": error: ", 1)[1]
    assert ours[0].startswith(vendor["project"].name + ": error: ")
    assert ours[1:2] == cli[1:2] and ctl.outcome.exit_code == code
    assert "sbx-wrong-key" not in "\n".join(ours)


def test_unreachable_service_keeps_the_publish_in_the_outbox(vendor: dict[str, Path],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("VENDOR_PUBLISH_SERVER", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("VENDOR_PUBLISH_RETRY_SECONDS", "0")
    ctl = _ready(vendor)
    assert ctl.stage is Stage.READY and ctl.online_note and "could not be reached" in ctl.online_note
    assert "outbox" in " ".join(build_view(ctl.plan, notes=(ctl.online_note, "outbox")).notes)
    assert ctl.publish()
    assert ctl.wait(lambda: ctl.stage.final, timeout=60)
    assert ctl.stage is Stage.FAILED
    assert any("kept in your outbox" in line for line in ctl.outcome.lines), ctl.outcome
    from vendor_publish.workflow import default_outbox

    assert [e.publish_id for e in default_outbox().entries()] == [ctl.plan.publish_id]


def _slow_online(monkeypatch: pytest.MonkeyPatch, release: Any, block: bool = False) -> None:
    """Hold the online check until ``release`` is set; then answer as accsyn would (or with a refusal)."""
    from vendor_publish import workflow
    from vendor_publish.models import Finding, Severity
    from vendor_publish.validation import validate

    real = workflow.check_online

    def held(plan, settings, client, **kwargs):
        assert release.wait(30)
        plan = real(plan, settings, client, **kwargs)
        if not block:
            return plan
        refused = Finding(code="no-write-access", severity=Severity.ERROR, message="You may not write to X on share Y.",
                          fix="Ask the studio to grant write access.")
        return validate(plan.model_copy(update={"findings": [*plan.findings, refused]}), settings.profile, rules=())

    monkeypatch.setattr(workflow, "check_online", held)


def test_plan_shows_before_the_online_check_and_publish_waits_for_it(vendor: dict[str, Path], sandbox: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()
    _slow_online(monkeypatch, release)
    ctl = PublishController(task=TASK, follow_interval=0.2)
    ctl.begin(_steps(_collection(vendor)), str(vendor["project"]))
    while not ctl.collect_step():
        pass
    assert ctl.wait(lambda: ctl.stage is Stage.READY, timeout=30)
    assert ctl.access_pending and "Checking your access" in ctl.access_lines()[0][0]
    assert ctl.status_text() == "Publish: checking your access at accsyn"
    notes = [e.id for e in ctl.plan.entries if e.optional]
    ctl.set_included({notes[0]: False})  # ticked while the check runs: kept when its answer arrives
    assert ctl.publish("sent before the check was back")
    assert ctl.stage is Stage.PUBLISHING
    ctl.poll()
    assert ctl.stage is Stage.PUBLISHING and ctl.result is None  # waiting: nothing started
    release.set()
    assert ctl.wait(lambda: ctl.stage.final, timeout=60)
    assert ctl.stage is Stage.DONE, ctl.outcome
    assert ", 3 files, " in ctl.outcome.lines[0] and not ctl.access_pending
    assert ctl.plan.comment == "sent before the check was back"


def test_publish_pressed_early_sends_nothing_when_the_check_refuses(vendor: dict[str, Path], sandbox: Any,
                                                                     sandbox_api_key: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()
    _slow_online(monkeypatch, release, block=True)
    ctl = PublishController(task=TASK, follow_interval=0.2)
    ctl.begin(_steps(_collection(vendor)), str(vendor["project"]))
    while not ctl.collect_step():
        pass
    assert ctl.wait(lambda: ctl.stage is Stage.READY, timeout=30) and not ctl.plan.blocked
    assert ctl.publish()
    release.set()
    assert ctl.wait(lambda: ctl.stage.final, timeout=60)
    assert ctl.stage is Stage.FAILED
    assert "Not published: You may not write to X" in ctl.outcome.lines[0]
    assert ctl.outcome.lines[1] == "  what to do: Ask the studio to grant write access."
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code(f"{TASK}_output") == []
