"""Studio-side hooks: command lines run with ${PATH_JSON_INPUT} / ${PATH_JSON_OUTPUT} temp files.

Commands are shlex-split and run without a shell, bounded by a timeout; their stdout and
stderr go to `logs/hooks.log` under the sandbox root and to Python logging.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vendor_publish.sandbox.store import Store, now

log = logging.getLogger("vendor_publish.sandbox")

#: The hook names the sandbox knows (accsyn's, without the `hook-job-` payload prefix).
HOOK_NAMES = (
    "pre-submit-server",
    "post-submit-server",
    "post-failed-server",
    "post-done-server",
    "pre-publish-server",
    "publish-server",
)


def canonical_hook_name(name: str) -> str:
    """`hook-job-post-done-server` / `job-post-done-server` / `post-done-server` -> `post-done-server`."""
    n = (name or "").strip().lower()
    for prefix in ("hook-job-", "hook-", "job-"):
        if n.startswith(prefix):
            n = n[len(prefix):]
    if n not in HOOK_NAMES:
        raise ValueError(f"Unknown hook '{name}'; known hooks: {', '.join(HOOK_NAMES)}")
    return n


@dataclass(frozen=True)
class HookResult:
    """What one hook run did."""

    name: str
    returncode: int | None
    stdout: str
    stderr: str
    output: Any = None  # parsed ${PATH_JSON_OUTPUT}, when the hook wrote one
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the command ran and exited 0."""
        return self.error is None and self.returncode == 0


class HookRunner:
    """Holds the configured hook commands (persisted in the store) and runs them."""

    def __init__(self, store: Store, log_path: Path, timeout: float = 60.0) -> None:
        self.store = store
        self.log_path = log_path
        self.timeout = timeout
        self._log_lock = threading.Lock()
        self.running = 0
        self._count_lock = threading.Lock()

    def commands(self) -> dict[str, str]:
        """The configured hooks, by canonical name."""
        return self.store.setting("hooks", {}) or {}

    def command(self, name: str) -> str | None:
        """The command line of one hook, or None."""
        return self.commands().get(canonical_hook_name(name))

    def set(self, name: str, command: str | None) -> None:
        """Configure (or with None/empty, remove) a hook."""
        hooks = self.commands()
        key = canonical_hook_name(name)
        if command:
            hooks[key] = command
        else:
            hooks.pop(key, None)
        self.store.set_setting("hooks", hooks)

    def run(self, name: str, data: dict, *, want_output: bool = False) -> HookResult | None:
        """Run a configured hook on `data`; None when no such hook is configured."""
        key = canonical_hook_name(name)
        command = self.commands().get(key)
        if not command:
            return None
        with self._count_lock:
            self.running += 1
        try:
            return self._run(key, command, data, want_output)
        finally:
            with self._count_lock:
                self.running -= 1

    def _run(self, key: str, command: str, data: dict, want_output: bool) -> HookResult:
        with tempfile.TemporaryDirectory(prefix=f"sandbox-{key}-") as tmp:
            p_in = Path(tmp) / "input.json"
            p_out = Path(tmp) / "output.json"
            p_in.write_text(json.dumps(data, indent=2), encoding="utf-8")
            try:
                argv = [
                    a.replace("${PATH_JSON_INPUT}", str(p_in)).replace("${PATH_JSON_OUTPUT}", str(p_out))
                    for a in shlex.split(command)
                ]
            except ValueError as exc:
                return self._record(HookResult(key, None, "", "", error=f"cannot split command: {exc}"))
            if not argv:
                return self._record(HookResult(key, None, "", "", error="empty command"))
            try:
                proc = subprocess.run(
                    argv, capture_output=True, text=True, timeout=self.timeout, stdin=subprocess.DEVNULL
                )
            except subprocess.TimeoutExpired as exc:
                out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
                err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
                return self._record(HookResult(key, None, out, err, error=f"timed out after {self.timeout:g}s"))
            except OSError as exc:
                return self._record(HookResult(key, None, "", "", error=f"could not start {argv[0]!r}: {exc}"))
            output = None
            error = None
            if want_output and proc.returncode == 0:
                try:
                    output = json.loads(p_out.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    error = f"wrote no valid JSON to ${{PATH_JSON_OUTPUT}} ({exc})"
            if proc.returncode != 0:
                error = f"exited with status {proc.returncode}"
            return self._record(HookResult(key, proc.returncode, proc.stdout, proc.stderr, output, error))

    def _record(self, result: HookResult) -> HookResult:
        status = "ok" if result.ok else f"FAILED: {result.error}"
        text = f"[{now()}] hook {result.name} {status}\n"
        if result.stdout:
            text += "--- stdout ---\n" + result.stdout.rstrip("\n") + "\n"
        if result.stderr:
            text += "--- stderr ---\n" + result.stderr.rstrip("\n") + "\n"
        with self._log_lock:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(text)
        (log.info if result.ok else log.warning)("hook %s %s", result.name, status)
        for line in (result.stdout + result.stderr).splitlines():
            log.info("hook %s: %s", result.name, line)
        return result
