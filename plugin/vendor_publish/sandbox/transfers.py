"""The transfer worker: the sandbox plays the users' desktop apps and the studio's server.

One background thread takes jobs in creation order. A job whose remote user's client is
offline waits (`waiting`); otherwise it runs task by task (init -> waiting -> running -> done),
copying bytes in chunks, optionally throttled, and reporting progress through the store.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from vendor_publish.sandbox.core import Core
from vendor_publish.sandbox.hook_input import job_hook_input, publish_hook_input
from vendor_publish.sandbox.jobs import seq_frames
from vendor_publish.sandbox.paths import basename, local_fs_path, parse_sequence
from vendor_publish.sandbox.store import now

log = logging.getLogger("vendor_publish.sandbox")

CHUNK = 1 << 20
LIVE = ("init", "waiting", "running")


class TaskFailed(Exception):
    """A task could not be executed; the message is the readable reason."""


class _Interrupted(Exception):
    """The job was paused or aborted while a task was copying."""


class TransferWorker:
    """Executes jobs in a background thread."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False

    def start(self) -> None:
        """Start the thread (after resetting jobs a previous run left mid-flight)."""
        self._recover()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sandbox-transfers", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread; an interrupted job resumes on the next start."""
        self._stop.set()
        self.core.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _recover(self) -> None:
        store = self.core.store
        with store.lock:
            for job in store.all("job", lambda j: j["status"] == "running"):
                store.update("job", job["id"], {"status": "waiting", "speed": 0.0}, persist=False)
            for task in store.all("task", lambda t: t["status"] == "executing"):
                store.update("task", task["id"], {"status": "queued"}, persist=False)
            store.save()

    # --- scheduling ----------------------------------------------------------------------------

    def _can_run(self, job: dict) -> bool:
        remote = job.get("_remote_user")
        return remote is None or self.core.client_online(remote)

    def pending(self) -> list[dict]:
        """Jobs the worker can still make progress on."""
        return self.core.store.all(
            "job",
            lambda j: not j.get("_archived") and (j["status"] in ("init", "running") or (
                j["status"] == "waiting" and self._can_run(j))),
        )

    def idle(self) -> bool:
        """True when nothing runnable is queued and no job or hook is executing."""
        return not self._busy and not self.pending() and self.core.hooks.running == 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.core.wake.wait(0.1)
            self.core.wake.clear()
            try:
                self._busy = True
                self._tick()
            except Exception:  # the worker must survive one bad job
                log.exception("transfer worker error")
            finally:
                self._busy = False

    def _tick(self) -> None:
        store = self.core.store
        for job in store.all("job", lambda j: j["status"] in LIVE and not j.get("_archived")):
            if self._stop.is_set():
                return
            job = store.get("job", job["id"])
            if job is None or job["status"] not in LIVE:
                continue
            if job["status"] == "init":
                size = sum(self._source_size(t) for t in self._tasks(job["id"]))
                job = store.update("job", job["id"], {"size": size, "status": "waiting", "modified": now()})
            if not self._can_run(job):
                continue
            self._run_job(job)

    def _tasks(self, job_id: str) -> list[dict]:
        tasks = self.core.store.all("task", lambda t: t["job"] == job_id)
        return sorted(tasks, key=lambda t: (-int(t.get("priority") or 500),
                                            int(t["uri"]) if str(t["uri"]).isdigit() else 0))

    # --- execution -----------------------------------------------------------------------------

    def _run_job(self, job: dict) -> None:
        store = self.core.store
        store.update("job", job["id"], {"status": "running", "modified": now()})
        tasks = self._tasks(job["id"])
        total = max(sum(self._source_size(t) for t in tasks), 0)
        done_bytes = sum(max(t.get("size", 0), 0) for t in tasks if t["status"] == "done")
        started = time.monotonic()
        state = {"done": done_bytes, "moved": 0}
        failures: list[str] = []
        last_save = time.monotonic()
        for task in tasks:
            if task["status"] != "queued":
                continue
            store.update("task", task["id"], {"status": "executing"}, persist=False)

            def progress(n: int, job_id: str = job["id"]) -> None:
                state["done"] += n
                state["moved"] += n
                elapsed = max(time.monotonic() - started, 1e-6)
                pct = int(100 * state["done"] / total) if total else 0
                store.update("job", job_id, {"progress": min(pct, 99), "speed": round(state["moved"] / elapsed / 1e6, 3)},
                             persist=False)
                current = store.get("job", job_id)
                if self._stop.is_set() or current is None or current["status"] not in ("running",):
                    raise _Interrupted()

            try:
                size, src_final, dest_final = self._execute(task, progress)
            except _Interrupted:
                store.update("task", task["id"], {"status": "queued"})
                current = store.get("job", job["id"])
                if current is not None and current["status"] == "running":
                    store.update("job", job["id"], {"status": "waiting", "speed": 0.0})
                return
            except TaskFailed as exc:
                reason = str(exc)
                failures.append(f"task {task['uri']}: {reason}")
                store.update("task", task["id"], {"status": "failed", "reason": reason, "finished": now()},
                             persist=False)
                log.warning("job %s task %s failed: %s", job["code"], task["uri"], reason)
                continue
            src = dict(task["source"], path_abs_final=src_final)
            dest = dict(task["destination"], path_abs_final=dest_final)
            store.update("task", task["id"], {"status": "done", "size": size, "progress": 100, "finished": now(),
                                              "source": src, "destination": dest}, persist=False)
            if time.monotonic() - last_save > 1.0:  # many small tasks must not rewrite the state each time
                store.save()
                last_save = time.monotonic()
        tasks = self._tasks(job["id"])
        if failures or any(t["status"] == "failed" for t in tasks):
            reason = "; ".join(failures) or "one or more tasks failed"
            job = store.update("job", job["id"], {"status": "failed", "reason": reason, "speed": 0.0,
                                                  "modified": now()})
            self.core.hooks.run("post-failed-server", job_hook_input(self.core, job, tasks, "post-failed-server"))
            return
        size = sum(max(t.get("size", 0), 0) for t in tasks if t["status"] == "done")
        job = store.update("job", job["id"], {"status": "done", "progress": 100, "size": size, "speed": 0.0,
                                              "finished": now(), "modified": now(), "reason": None})
        log.info("job %s (%s) done, %d bytes", job["code"], job["id"], size)
        self.core.hooks.run("post-done-server", job_hook_input(self.core, job, tasks, "post-done-server"))
        publish = publish_hook_input(self.core, job, tasks)
        if publish is not None:
            self.core.hooks.run("publish-server", publish)

    def fs_path(self, side: dict, path: str | None = None) -> Path:
        """Where an end of a task lives on this machine."""
        p = side["path"] if path is None else path
        if side["kind"] == "local":
            user = self.core.store.get("user", side["user"])
            return local_fs_path(p, self.core.local_root(user))
        if side["kind"] == "user_rel":
            user = self.core.store.get("user", side["user"])
            return self.core.local_root(user).joinpath(*[s for s in p.replace("\\", "/").split("/") if s])
        vol = self.core.store.get("share", side["v"])
        if path is None:
            rel = side["vol_rel"]
        elif side.get("s"):
            rel = self.core.share_volume_rel(self.core.store.get("share", side["s"]), path)
        else:
            rel = path
        return self.core.volume_dir(vol).joinpath(*[s for s in rel.split("/") if s])

    def _source_files(self, task: dict) -> list[tuple[Path, str]]:
        """(file on disk, path relative to the destination) for everything the task sends."""
        src = task["source"]
        frames = seq_frames(src["path"])
        if frames:
            return [(self.fs_path(src, p), basename(p)) for _, p in frames]
        root = self.fs_path(src)
        if root.is_dir():
            return [(f, f.relative_to(root.parent).as_posix()) for f in sorted(root.rglob("*")) if f.is_file()] or \
                [(root, root.name)]
        return [(root, root.name)]

    def _source_size(self, task: dict) -> int:
        try:
            return sum(p.stat().st_size for p, _ in self._source_files(task) if p.is_file())
        except OSError:
            return 0

    def _execute(self, task: dict, progress) -> tuple[int, str, str]:
        src, dest = task["source"], task["destination"]
        frames = seq_frames(src["path"])
        src_root = self.fs_path(src) if not frames else None
        if frames:
            missing = [p for p, _ in self._source_files(task) if not p.is_file()]
            if missing:
                raise TaskFailed(f"source sequence '{src['raw']}' is missing {len(missing)} frame(s), first "
                                 f"{missing[0]}")
        elif not src_root.exists():
            raise TaskFailed(f"source '{src['raw']}' does not exist ({src_root})")
        dest_path = self.fs_path(dest)
        dest_seq = parse_sequence(dest["path"])
        total = 0
        pairs: list[tuple[Path, Path]] = []
        if frames:
            for frame, p in frames:
                target = self.fs_path(dest, dest_seq.path(frame)) if dest_seq else dest_path / basename(p)
                pairs.append((self.fs_path(src, p), target))
        elif src_root.is_dir():
            base = dest_path / src_root.name if dest["into"] else dest_path
            files = [f for f in sorted(src_root.rglob("*")) if f.is_file()]
            base.mkdir(parents=True, exist_ok=True)
            for d in sorted(x for x in src_root.rglob("*") if x.is_dir()):
                (base / d.relative_to(src_root)).mkdir(parents=True, exist_ok=True)
            pairs = [(f, base / f.relative_to(src_root)) for f in files]
            dest_path = base
        else:
            target = dest_path / src_root.name if (dest["into"] or dest_path.is_dir()) else dest_path
            pairs = [(src_root, target)]
            dest_path = target
        for s, d in pairs:
            total += self._copy(s, d, progress)
        return total, str(src_root if src_root is not None else self.fs_path(src, src["path"])), str(dest_path)

    def _copy(self, src: Path, dest: Path, progress) -> int:
        rate = self.core.config.transfer_rate
        chunk = CHUNK if not rate else max(1024, min(CHUNK, int(rate / 10)))
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.sandbox-part")
            copied = 0
            t0 = time.monotonic()
            with open(src, "rb") as fin, open(tmp, "wb") as fout:
                while True:
                    block = fin.read(chunk)
                    if not block:
                        break
                    fout.write(block)
                    copied += len(block)
                    if rate:
                        ahead = copied / rate - (time.monotonic() - t0)
                        if ahead > 0:
                            time.sleep(ahead)
                    progress(len(block))
            os.replace(tmp, dest)
            shutil.copystat(src, dest)
            return copied
        except _Interrupted:
            tmp.unlink(missing_ok=True)
            raise
        except OSError as exc:
            raise TaskFailed(f"could not copy {src} to {dest}: {exc.strerror or exc}") from exc
