"""(3) Job submission into the sandbox over loopback: our payload vs the official client's one task per file.

Both clients talk to the same sandbox through a small counting TCP relay on 127.0.0.1, so the
bytes figure is what each put on the wire for the create request (headers and body, gzip
included when the client compresses), and the time is the create call's round trip. The
vendor's desktop app is switched off in the sandbox so the created jobs wait instead of
transferring 200,000 files.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

from common import Row, plan_project
from dataset import USER, Dataset

API_KEY = "sbx-FAKE-KEY-bench-0123456789abcdef"
SPEED_TARGET = 10.0
BYTES_TARGET = 20.0
#: The official client's 200,000-task create takes minutes against the sandbox: once is enough.
OFFICIAL_RUNS = 1


class CountingRelay:
    """Forward 127.0.0.1:<port> to the sandbox, counting the bytes clients send."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.sent = 0
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True, name="bench-relay").start()

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.sent = 0

    def close(self) -> None:
        """Stop accepting connections."""
        self._stop = True
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(1 << 16):
                if count:
                    with self._lock:
                        self.sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def run(data: Dataset, repeat: int) -> list[Row]:
    """Create the project's job both ways against one sandbox; compare bytes and round-trip time."""
    from vendor_publish.accsyn_client import AccsynClient
    from vendor_publish.job_payload import build_job_payload
    from vendor_publish.sandbox import Sandbox

    plan = plan_project(data)
    files = [(f.source, f.destination) for e in plan.entries if e.included for f in e.files()]
    with tempfile.TemporaryDirectory(prefix="vp-bench-sandbox-") as tmp:
        box = Sandbox(Path(tmp) / "sandbox", seed="geoscan", api_key=API_KEY, port=0)
        box.start()
        relay = CountingRelay(box.port)
        try:
            box.set_client_online(USER, False)  # jobs wait; nothing is transferred
            manifest = Path(tmp) / "manifest.json"
            manifest.write_text("{}")
            ours_s, ours_b, tasks = [], [], 0
            with AccsynClient("geoscan", USER, API_KEY, server=f"http://127.0.0.1:{relay.port}") as client:
                client.login()
                for i in range(repeat):
                    payload = build_job_payload(
                        plan, job_code=f"bench_ours_{i}", manifest_source=str(manifest),
                        manifest_destination=f"{plan.upload_root}/_vendor_publish/bench_{i}.json",
                        manifest_sha256="0" * 64)
                    tasks = len(payload["tasks"])
                    relay.reset()
                    t = time.perf_counter()
                    client.create_job(payload)
                    ours_s.append(time.perf_counter() - t)
                    ours_b.append(relay.sent)
            official_s, official_b = _official(relay, files, plan.share, Path(tmp), OFFICIAL_RUNS)
        finally:
            relay.close()
            box.stop()
    ours_t, base_t = min(ours_s), min(official_s)
    ours_bytes, base_bytes = min(ours_b), min(official_b)
    return [
        Row("submit", f"create job: {tasks} tasks vs {len(files):,}", ours_t, base_t, "s",
            f">= {SPEED_TARGET:g}x faster", base_t >= SPEED_TARGET * ours_t,
            f"best of {repeat} (baseline: {OFFICIAL_RUNS} run of official accsyn_api, one task per file)"),
        Row("submit", "create job: bytes on the wire", ours_bytes / 1e3, base_bytes / 1e3, "kB",
            f">= {BYTES_TARGET:g}x fewer", base_bytes >= BYTES_TARGET * ours_bytes,
            "request headers + body as sent (both gzip their data above ~100 kB)"),
    ]


def _official(relay: CountingRelay, files: list[tuple[str, str]], share: str, tmp: Path, repeat: int):
    """The baseline: accsyn_api.Session.create('job', ...) with one task per file, via ACCSYN_PROXY."""
    import accsyn_api

    relay_env = {"ACCSYN_PROXY": f"127.0.0.1:{relay.port}"}
    cleared = ("ACCSYN_CREDENTIALS_PATH", "ACCSYN_WORKSPACE", "ACCSYN_DOMAIN", "ACCSYN_ORG",
               "ACCSYN_API_USER", "ACCSYN_API_KEY", "AS_DEV")
    saved = {k: os.environ.get(k) for k in (*cleared, *relay_env)}
    cwd = os.getcwd()
    empty = tmp / "official-cwd"  # the official client loads ./.env: run it from an empty folder
    empty.mkdir()
    times, sizes = [], []
    try:
        for k in cleared:
            os.environ.pop(k, None)
        os.environ.update(relay_env)
        os.chdir(empty)
        session = accsyn_api.Session(workspace="geoscan", username=USER, api_key=API_KEY, hostname="127.0.0.1",
                                     timeout=600, connect_timeout=10)
        tasks = [{"source": f"{USER}:{src}", "destination": f"share={share}/{dst}"} for src, dst in files]
        for i in range(repeat):
            relay.reset()
            t = time.perf_counter()
            session.create("job", {"code": f"bench_official_{i}", "tasks": tasks})
            times.append(time.perf_counter() - t)
            sizes.append(relay.sent)
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return times, sizes


