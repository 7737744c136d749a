"""`Sandbox`: a local accsyn-compatible server, started in-process (tests) or from the CLI."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

from vendor_publish.sandbox.core import Config, Core
from vendor_publish.sandbox.entities import public
from vendor_publish.sandbox.faults import FaultInjector
from vendor_publish.sandbox.hooks import HookRunner
from vendor_publish.sandbox.seed import seed as run_seed
from vendor_publish.sandbox.seed import write_studio_profile
from vendor_publish.sandbox.server import SandboxHTTPServer
from vendor_publish.sandbox.store import Store, new_id, now
from vendor_publish.sandbox.transfers import TransferWorker

log = logging.getLogger("vendor_publish.sandbox")


class Sandbox:
    """An accsyn workspace on 127.0.0.1 whose storage, users, jobs and hooks live under `root`."""

    def __init__(
        self,
        root: Path | str,
        *,
        seed: str | None = "geoscan",
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        local_roots: dict[str, Path] | None = None,
        hooks: dict[str, str] | None = None,
        transfer_rate: float | None = None,
        hook_timeout: float = 60.0,
    ) -> None:
        if not api_key:
            raise ValueError("The sandbox needs an API key for its users (api_key=...).")
        if transfer_rate is not None and transfer_rate <= 0:
            raise ValueError("transfer_rate must be a positive number of bytes per second.")
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.host = host
        self._requested_port = port
        self._store = Store(self.root / "state.sqlite3")
        self._hooks = HookRunner(self._store, self.root / "logs" / "hooks.log", hook_timeout)
        config = Config(self.root, api_key, {k: Path(v) for k, v in (local_roots or {}).items()}, transfer_rate,
                        hook_timeout)
        self._core = Core(config, self._store, self._hooks)
        self._faults = FaultInjector()
        self._worker = TransferWorker(self._core)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if seed:
            run_seed(self._core, seed)
        for name, command in (hooks or {}).items():
            self._hooks.set(name, command)

    def __repr__(self) -> str:
        state = self.url if self._server else "stopped"
        return f"Sandbox(root={str(self.root)!r}, {state})"

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> "Sandbox":
        """Bind the port, start serving and the transfer worker; returns self."""
        if self._server is not None:
            return self
        self._server = SandboxHTTPServer((self.host, self._requested_port), self._core, self._faults)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox-http", daemon=True)
        self._thread.start()
        self._worker.start()
        if self._core.workspace_code() == "geoscan":
            write_studio_profile(self.root, self.url)
        log.info("accsyn sandbox for workspace %r serving %s (root %s)", self._core.workspace_code(), self.url,
                 self.root)
        return self

    def stop(self) -> None:
        """Stop serving and the worker; everything is already on disk."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._worker.stop()
        self._store.close()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- where things are --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (only while started)."""
        if self._server is None:
            raise RuntimeError("The sandbox is not started; call start() first.")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """`http://<host>:<port>`."""
        return f"http://{self.host}:{self.port}"

    @property
    def workspace(self) -> str:
        """The workspace code."""
        return self._core.workspace_code()

    @property
    def studio_profile_path(self) -> Path:
        """The vendor-side studio profile the geoscan seed writes."""
        return self.root / "studio-geoscan.toml"

    @property
    def hook_log_path(self) -> Path:
        """Where hook output is logged."""
        return self._hooks.log_path

    def local_root(self, email: str) -> Path:
        """The folder that plays this user's machine (deliveries to them land here)."""
        user = self._core.user_by_code(email)
        if user is None:
            raise KeyError(f"No user {email!r} in the sandbox")
        return self._core.local_root(user)

    def volume_path(self, code: str = "production") -> Path:
        """The folder holding a volume."""
        vol = self._core.share_by_ref(code, "volume")
        if vol is None:
            raise KeyError(f"No volume {code!r} in the sandbox")
        return self._core.volume_dir(vol)

    # --- control -----------------------------------------------------------------------------------

    def set_client_online(self, email: str, online: bool = True) -> None:
        """Switch a user's desktop app on or off (registering one if the user has none)."""
        user = self._core.user_by_code(email)
        if user is None:
            raise KeyError(f"No user {email!r} in the sandbox")
        client = self._core.app_client(user["id"])
        status = "online" if online else "offline"
        if client is None:
            self._store.put("client", {"id": new_id(), "code": socket.gethostname(), "user": user["id"],
                                       "user_hr": user["code"], "type": 0, "type_hr": "app", "status": status,
                                       "os": "linux", "created": now(), "last_checkin": now(), "version": "sandbox",
                                       "metadata": {}})
        else:
            self._store.update("client", client["id"], {"status": status, "last_checkin": now()})
        self._core.wake.set()

    def set_hook(self, name: str, command: str | None) -> None:
        """Configure a studio-side hook (`post-done-server`, `job-post-done-server`, ...); None removes it."""
        self._hooks.set(name, command)

    def hooks(self) -> dict[str, str]:
        """The configured hooks."""
        return self._hooks.commands()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until every runnable job (and hook) is processed; TimeoutError names what is left."""
        deadline = time.monotonic() + timeout
        self._core.wake.set()
        while time.monotonic() < deadline:
            if self._worker.idle():
                time.sleep(0.02)  # confirm: a job may be between two states
                if self._worker.idle():
                    return
            time.sleep(0.02)
        left = ", ".join(f"{j['code']} ({j['status']})" for j in self._worker.pending())
        raise TimeoutError(f"Sandbox still busy after {timeout:g}s: {left or 'a job or hook is executing'}")

    def queue_fault(self, kind: str, *, uri: str | None = None, status: int = 500, retry_after: float | None = None,
                    delay: float = 0.0, count: int = 1) -> None:
        """Make the next `count` requests matching `uri` ("transfer/create", "login", "*") fail as `kind`."""
        self._faults.queue(kind, uri=uri, status=status, retry_after=retry_after, delay=delay, count=count)

    def fault_mode(self, seed: int, rate: float, kinds: tuple[str, ...] | None = None) -> None:
        """Inject random faults into a `rate` fraction of requests, reproducibly from `seed`."""
        self._faults.random_mode(seed, rate, kinds)

    def clear_faults(self) -> None:
        """Remove queued faults and stop random mode."""
        self._faults.clear()

    @property
    def faults_injected(self) -> list[tuple[str, str]]:
        """(uri, kind) of every fault injected so far."""
        return list(self._faults.injected)

    def job(self, job_id: str) -> dict | None:
        """A job record as the API shows it (test convenience)."""
        rec = self._store.get("job", job_id)
        return public(rec) if rec else None
