"""The publish as a state machine the Blender UI drives; no bpy here, so it is tested without Blender.

Main thread (the UI's timer): ``collect_step`` pulls the host's collection a few milliseconds
at a time, ``poll`` takes what the workers finished, ``set_included``/``publish``/``cancel``
answer the artist. Worker threads: planning (stat, sequence expansion), the online check,
hashing, the job creation and following the job. Workers never touch host objects; they only
put messages on a queue and progress numbers behind a lock.

The plan is shown as soon as the files are checked; the online check (login, write access, the
studio's pre-publish verdict: several round trips to a remote service) finishes while the artist
reads it (``access_pending``). A Publish pressed before it is back waits for it, and sends
nothing if the answer blocks.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from vendor_publish import tracking, workflow
from vendor_publish.access import AccessFacts, fetch_access
from vendor_publish.errors import (
    AccsynError,
    ConnectionFailed,
    PlanChangedError,
    SubmissionUncertain,
    VendorPublishError,
)
from vendor_publish.models import Collection, JobStatus, Plan, SubmissionResult, TrackingSnapshot
from vendor_publish.settings import Settings, resolve_settings
from vendor_publish.validation import set_included as recheck_included

from .messages import cancelled_lines, error_lines, progress_text, result_lines


class Stage(str, Enum):
    """Where the publish is."""

    COLLECTING = "collecting"
    PLANNING = "planning"
    READY = "ready"  # the plan is shown; waiting for the artist
    PUBLISHING = "publishing"
    FOLLOWING = "following"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """True once nothing more will happen."""
        return self in (Stage.DONE, Stage.FAILED, Stage.CANCELLED)

    @property
    def busy(self) -> bool:
        """True while a worker runs (the artist can cancel)."""
        return self in (Stage.COLLECTING, Stage.PLANNING, Stage.PUBLISHING, Stage.FOLLOWING)


@dataclass(frozen=True)
class Outcome:
    """What the artist is told at the end: severity ('INFO', 'WARNING', 'ERROR') and lines."""

    level: str
    lines: tuple[str, ...]
    exit_code: int = 0


def _default_client(settings: Settings) -> Any:
    # The same client the CLI uses (and its retry budget variable).
    from vendor_publish.workflow import make_client

    return make_client(settings)


class PublishController:
    """One publish of one project, from collection to the followed job."""

    def __init__(self, *, settings: Settings | None = None, task: str | None = None,
                 client_factory: Callable[[Settings], Any] = _default_client, outbox: Any = None,
                 follow: bool = True, follow_timeout: float | None = 3600.0, follow_interval: float = 1.0) -> None:
        self._settings = settings
        self._task = task
        self._client_factory = client_factory
        self._outbox = outbox
        self._follow = follow
        self._follow_timeout = follow_timeout
        self._follow_interval = follow_interval
        self.stage = Stage.COLLECTING
        self.project = ""
        self.collection: Collection | None = None
        self.plan: Plan | None = None
        self.online_note: str | None = None  # the service was unreachable while planning
        self.access_pending = False  # the plan is shown; the online check is still running
        self.access_error: BaseException | None = None  # the online check failed (e.g. a wrong key)
        self._publish_waiting = False  # Publish was pressed while the online check ran
        self._client_future: Future[Any] | None = None
        self._settings_future: Future[Settings] | None = None
        self.result: SubmissionResult | None = None
        self.snapshot: TrackingSnapshot | None = None
        self.outcome: Outcome | None = None
        self._steps: Generator[None, None, dict[str, Any]] | None = None
        self._client: Any = None
        self._messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._progress: tuple[str, int, int] = ("collecting", 0, 0)
        self._threads: list[threading.Thread] = []
        self.timings: dict[str, float] = {"start": time.perf_counter()}

    # -- collection (main thread) ---------------------------------------------------------------

    def begin(self, steps: Generator[None, None, dict[str, Any]], project: str) -> None:
        """Start from the host's stepwise collector (e.g. ``collection.collect_steps()``)."""
        self._steps = steps
        self.project = project
        # Login and the user's rights need no plan: ask while the host is still being read, so
        # only the plan's own question (the studio's pre-publish check) is left for later.
        # The settings are read once, first, by the same worker: planning and connecting share them.
        pool = ThreadPoolExecutor(1, thread_name_prefix="vendor-publish-connect")
        self._settings_future = pool.submit(lambda: self._settings or resolve_settings())
        self._client_future = pool.submit(self._connect)
        pool.shutdown(wait=False)

    def _resolved_settings(self) -> Settings:
        if self._settings_future is None:  # begin() was not called
            self._settings_future = Future()
            self._settings_future.set_result(self._settings or resolve_settings())
        return self._settings_future.result()

    def _connect(self) -> tuple[Any, AccessFacts | ConnectionFailed]:
        settings = self._resolved_settings()
        client = self._client_factory(settings)
        try:
            return client, fetch_access(client, settings.profile.share)
        except ConnectionFailed as exc:  # said in the dialog; the publish can still go to the outbox
            return client, exc

    def collect_step(self, budget: float = 0.02) -> bool:
        """Advance the collection for about ``budget`` seconds; True once it is finished (or failed)."""
        if self.stage is not Stage.COLLECTING or self._steps is None:
            return True
        deadline = time.perf_counter() + budget
        try:
            while True:  # at least one step per call, however small the budget
                if self._cancel.is_set():
                    self._finish(Stage.CANCELLED, Outcome("INFO", tuple(cancelled_lines(Stage.COLLECTING.value))))
                    return True
                next(self._steps)
                with self._lock:
                    self._progress = ("collecting", self._progress[1] + 1, 0)
                if time.perf_counter() >= deadline:
                    return False
        except StopIteration as done:
            self.timings["collected"] = time.perf_counter()
            self._start_planning(done.value)
            return True
        except Exception as exc:  # the collector's own errors say what to do (never saved, ...)
            self._fail(exc)
            return True

    # -- planning (worker) ------------------------------------------------------------------------

    def _start_planning(self, raw: dict[str, Any]) -> None:
        try:
            self.collection = Collection.model_validate(raw)
        except Exception as exc:
            self._fail(exc)
            return
        self.stage = Stage.PLANNING
        self._spawn("plan", self._plan_worker, self.collection)

    def _plan_worker(self, collection: Collection) -> Plan:
        settings = self._settings = self._resolved_settings()
        return workflow.make_plan(settings, collection, task=self._task)

    def _online_worker(self, plan: Plan) -> tuple[Plan, str | None]:
        if self._client_future is None:  # begin() was not called: connect now
            self._client_future = Future()
            self._client_future.set_result(self._connect())
        self._client, facts = self._client_future.result()
        try:
            if isinstance(facts, ConnectionFailed):
                raise facts
            return workflow.check_online(plan, self._settings, self._client, access=facts), None
        except ConnectionFailed as exc:
            # As the CLI does offline: keep the plan; publishing queues it in the outbox.
            return plan, f"accsyn could not be reached to check your access ({exc})."

    def _checked(self, plan: Plan, note: str | None) -> None:
        """Take the online check's answer, keeping what the artist ticked meanwhile."""
        shown = {e.id: e.included for e in self.plan.entries if e.optional} if self.plan else {}
        if any(e.optional and shown.get(e.id, e.included) != e.included for e in plan.entries):
            plan = recheck_included(plan, self._settings.profile, shown)
        comment = self.plan.comment if self.plan else plan.comment
        self.plan = plan if plan.comment == comment else plan.model_copy(update={"comment": comment})
        self.online_note = note
        self.access_pending = False
        self.timings["checked"] = time.perf_counter()
        if self._publish_waiting:
            self._publish_waiting = False
            self._start_publish()

    # -- the artist's answers (main thread) ------------------------------------------------------

    def set_included(self, included: dict[str, bool]) -> None:
        """Tick/untick optional entries by id; findings and totals are worked out again."""
        if self.plan is None or self.stage is not Stage.READY or self._settings is None:
            return
        self.plan = recheck_included(self.plan, self._settings.profile, included)

    def publish(self, comment: str | None = None) -> bool:
        """Start the submission in a worker; False (and nothing sent) when the plan is blocked.

        Pressed before the online check is back, the publish waits for it (and stops there,
        sending nothing, if its answer blocks).
        """
        if (self.stage is not Stage.READY or self.plan is None or self.plan.blocked
                or self.access_error is not None):
            return False
        if comment is not None and comment != self.plan.comment:
            self.plan = self.plan.model_copy(update={"comment": comment})
        self.stage = Stage.PUBLISHING
        if self.access_pending:
            self._publish_waiting = True
        else:
            self._start_publish()
        return True

    def _start_publish(self) -> None:
        if self._cancel.is_set():
            self._finish(Stage.CANCELLED, Outcome("INFO", tuple(cancelled_lines(Stage.READY.value))))
        elif self.plan.blocked:
            first = next(f for f in self.plan.findings if f.blocking)
            self._fail(PlanChangedError(f"Not published: {first.message}", hint=first.fix))
        else:
            self._spawn("publish", self._publish_worker, self.plan)

    def close(self) -> None:
        """The artist closed the dialog without publishing."""
        if self.stage is Stage.READY and self.access_error is not None:
            self._fail(self.access_error)  # the reason nothing could be sent, in the CLI's words
        elif self.stage is Stage.READY:
            self._finish(Stage.CANCELLED, Outcome("INFO", tuple(cancelled_lines(Stage.READY.value))))

    def cancel(self) -> None:
        """Stop at the next file (reading), or stop watching the job (it goes on at accsyn)."""
        self._cancel.set()
        if self.stage is Stage.READY:
            self.close()
        elif self._publish_waiting:  # nothing was started yet: no need to wait for the online check
            self._publish_waiting = False
            self._finish(Stage.CANCELLED, Outcome("INFO", tuple(cancelled_lines(Stage.READY.value))))

    # -- submission and tracking (worker) -------------------------------------------------------

    def _publish_worker(self, plan: Plan) -> tuple[SubmissionResult, TrackingSnapshot | None]:
        if self._client is None:
            self._client = self._client_factory(self._settings)
        result = workflow.publish_plan(plan, self._client, progress=self._on_progress,
                                       cancelled=self._cancel.is_set, outbox=self._outbox)
        self._messages.put(("submitted", result))
        if not self._follow:
            return result, None
        snap = tracking.follow(self._client, result.job_id, user_id=self._client.login_info.id,
                               interval=self._follow_interval, timeout=self._follow_timeout,
                               on_update=self._on_snapshot, cancelled=self._cancel.is_set)
        return result, snap

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._progress = (stage, done, total)

    def _on_snapshot(self, snap: TrackingSnapshot) -> None:
        with self._lock:
            self._progress = ("transfer", int(snap.progress * 10), 1000)
        self._messages.put(("snapshot", snap))

    # -- plumbing -------------------------------------------------------------------------------

    def _spawn(self, name: str, work: Callable[..., Any], *args: Any) -> None:
        def run() -> None:
            try:
                self._messages.put((name, work(*args)))
            except BaseException as exc:  # KeyboardInterrupt is how the core says "cancelled"
                self._messages.put((f"{name}-error", exc))

        thread = threading.Thread(target=run, name=f"vendor-publish-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def poll(self) -> list[str]:
        """Take what the workers finished (main thread); returns the names of what happened."""
        happened = []
        while True:
            try:
                kind, value = self._messages.get_nowait()
            except queue.Empty:
                return happened
            happened.append(kind)
            self._apply(kind, value)

    def _apply(self, kind: str, value: Any) -> None:
        if self.stage.final:
            self._finish(self.stage, self.outcome)  # a late worker's answer: release the client now
            return
        if kind == "plan":
            self.plan = value
            self.timings["planned"] = time.perf_counter()
            if self._cancel.is_set():
                self._finish(Stage.CANCELLED, Outcome("INFO", tuple(cancelled_lines(Stage.PLANNING.value))))
            else:
                self.stage = Stage.READY
                self.access_pending = True
                self._spawn("online", self._online_worker, value)
        elif kind == "online":
            self._checked(*value)
        elif kind == "online-error":
            self.access_pending = False
            if self._publish_waiting or isinstance(value, KeyboardInterrupt):
                self._publish_waiting = False
                self._fail(value)
            else:
                self.access_error = value  # shown in the dialog; closing it ends the publish with it
        elif kind == "submitted":
            self.result = value
            self.stage = Stage.FOLLOWING
        elif kind == "snapshot":
            self.snapshot = value
        elif kind == "publish":
            self.result, self.snapshot = value
            level, code = _tracking_level(self.snapshot)
            self._finish(Stage.DONE, Outcome(level, tuple(result_lines(self.result, self.snapshot)), code))
        elif kind.endswith("-error"):
            if isinstance(value, KeyboardInterrupt):
                self._finish(Stage.CANCELLED, Outcome("INFO", tuple(cancelled_lines(self.stage.value))))
            else:
                self._fail(value)

    def access_lines(self) -> tuple[tuple[str, ...], bool]:
        """What the dialog says about the online check, and whether it keeps Publish disabled."""
        if self.access_pending:
            return ("Checking your access at accsyn\u2026 (Publish waits for the answer.)",), False
        if self.access_error is not None:
            return tuple(error_lines(self.access_error, self.project)), True
        if self.online_note:
            return (self.online_note, "Publish keeps it in your outbox; 'vendor-publish outbox retry' sends it "
                                      "later."), False
        return (), False

    def _fail(self, exc: BaseException) -> None:
        kept = False
        if isinstance(exc, AccsynError) and self.plan is not None and self.stage is Stage.PUBLISHING:
            outbox = self._outbox or workflow.default_outbox()
            kept = outbox.get(self.plan.publish_id) is not None
        self._finish(Stage.FAILED, Outcome("ERROR", tuple(error_lines(exc, self.project, kept_in_outbox=kept)),
                                           _exit_code(exc)))

    def _finish(self, stage: Stage, outcome: Outcome) -> None:
        self.stage = stage
        self.outcome = outcome
        self.timings["finished"] = time.perf_counter()
        early = self._client_future
        if self._client is None and early is not None:  # connected early, never used: close it when ready
            self._client_future = None
            early.add_done_callback(lambda f: f.exception() is None and f.result()[0].close())
        if self._client is not None and not any(t.is_alive() and t is not threading.current_thread()
                                                for t in self._threads):
            self._client.close()
            self._client = None

    def status_text(self) -> str:
        """One line for the status bar."""
        with self._lock:
            stage, done, total = self._progress
        if self.stage is Stage.COLLECTING:
            return f"Publish: reading the scene ({done} references)"
        if self.stage is Stage.PLANNING:
            return "Publish: checking files and access"
        if self.access_pending:
            return "Publish: checking your access at accsyn"
        if self.stage is Stage.READY:
            return "Publish: waiting for you in the dialog"
        if self.stage is Stage.FOLLOWING and self.snapshot is not None:
            from vendor_publish.report import format_snapshot

            return "Publish: " + format_snapshot(self.snapshot)
        if self.stage.busy:
            return "Publish: " + progress_text(stage, done, total)
        return self.outcome.lines[0] if self.outcome else ""

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the workers (tests and shutdown)."""
        for thread in self._threads:
            thread.join(timeout)

    def wait(self, predicate: Callable[[], bool], timeout: float, tick: Callable[[], Any] | None = None) -> bool:
        """Poll (and ``tick``) until ``predicate()`` or the timeout: for headless drivers and tests."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if tick is not None:
                tick()
            else:
                self.poll()
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()


def _tracking_level(snap: TrackingSnapshot | None) -> tuple[str, int]:
    from vendor_publish.cli import EXIT_JOB_FAILED, EXIT_OK

    if snap is not None and snap.status in (JobStatus.FAILED.value, JobStatus.ABORTED.value):
        return "ERROR", EXIT_JOB_FAILED
    return "INFO", EXIT_OK


def _exit_code(exc: BaseException) -> int:
    from vendor_publish.cli import EXIT_BLOCKED, EXIT_SERVICE, EXIT_UNCERTAIN, EXIT_USAGE
    if isinstance(exc, SubmissionUncertain):
        return EXIT_UNCERTAIN
    if isinstance(exc, PlanChangedError):
        return EXIT_BLOCKED
    if isinstance(exc, AccsynError):
        return EXIT_SERVICE
    return EXIT_USAGE if isinstance(exc, VendorPublishError) else 1

