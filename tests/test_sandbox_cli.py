"""`vendor-publish sandbox` (vendor_publish.sandbox.cli) run as a real foreground process."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vendor_publish.sandbox.cli import add_arguments
from vendor_publish.sandbox.store import Store

LAUNCH = "from vendor_publish.sandbox.cli import main; raise SystemExit(main())"


def start_cli(args: list[str], env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCSYN_", "AS_DEV"))}
    env.update(env_extra or {})
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    lines: list[str] = []
    found = threading.Event()

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "Press Ctrl-C" in line:
                found.set()

    threading.Thread(target=pump, daemon=True).start()
    if not found.wait(20):
        proc.kill()
        raise AssertionError("sandbox CLI did not come up:\n" + "".join(lines))
    url = next(re.search(r"listening on (http://\S+)", ln).group(1) for ln in lines if "listening on" in ln)
    return proc, lines, url


def stop_cli(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_argparse_mounting() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--root", "/tmp/x", "--api-key", "k", "--local-root",
                              "jennifer@gda.com=/tmp/j", "--hook", "post-done-server=python3 a.py ${PATH_JSON_INPUT}",
                              "--offline", "jennifer@gda.com"])
    assert args.port == 0 and args.root == Path("/tmp/x") and args.seed == "geoscan"
    assert args.local_root == [("jennifer@gda.com", "/tmp/j")]
    assert args.hook == [("post-done-server", "python3 a.py ${PATH_JSON_INPUT}")]
    with pytest.raises(SystemExit):
        parser.parse_args(["--hook", "nonsense"])


def test_cli_runs_in_foreground_until_ctrl_c(tmp_path, sandbox_api_key) -> None:
    root, local = tmp_path / "root", tmp_path / "jen"
    proc, lines, url = start_cli(["--port", "0", "--root", str(root), "--api-key", sandbox_api_key,
                                  "--local-root", f"jennifer@gda.com={local}", "--offline", "jennifer@gda.com",
                                  "--hook", "post-done-server=true ${PATH_JSON_INPUT}"])
    try:
        out = "".join(lines)
        assert url.startswith("http://127.0.0.1:")
        assert str(root / "studio-geoscan.toml") in out and sandbox_api_key not in out
        profile = (root / "studio-geoscan.toml").read_text()
        assert f'server = "{url}"' in profile and 'upload_root = "FROM_VENDORS/{user}"' in profile
        assert "[naming]" in profile and '= ["*_exported.dat"]' in profile and "[required]\noutput = 1" in profile
    finally:
        assert stop_cli(proc) == 0
    assert "sandbox stopped" in "".join(lines)
    store = Store(root / "state.sqlite3")
    try:
        users = {u["id"]: u["code"] for u in store.all("user")}
        assert {users[c["user"]]: c["status"] for c in store.all("client")}["jennifer@gda.com"] == "offline"
        assert store.setting("hooks") == {"post-done-server": "true ${PATH_JSON_INPUT}"}
    finally:
        store.close()
    for f in root.glob("state.sqlite3*"):
        assert sandbox_api_key.encode() not in f.read_bytes()


def test_cli_needs_an_api_key(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCSYN_")}
    done = subprocess.run([sys.executable, "-c", LAUNCH, "--port", "0", "--root", str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--api-key" in done.stderr


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.skipif(not _port_free(8181), reason="port 8181 (AS_DEV) is taken on this machine")
def test_port_8181_serves_the_official_client_in_as_dev_mode(tmp_path, sandbox_api_key) -> None:
    proc, _, url = start_cli(["--port", "8181", "--root", str(tmp_path / "root"), "--api-key", sandbox_api_key])
    try:
        assert url == "http://127.0.0.1:8181"
        cwd = tmp_path / "cwd"
        cwd.mkdir()
        script = (
            "import accsyn_api; s = accsyn_api.Session(workspace='geoscan', username='andrea@geoscan.org', "
            f"api_key={sandbox_api_key!r}); print('ROLE', s._role); "
            "print('SHARE', s.find_one('share WHERE code=proj002-outsourcing')['code'])")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCSYN_")}
        env["AS_DEV"] = "1"
        done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=60)
        assert "ROLE admin" in done.stdout and "SHARE proj002-outsourcing" in done.stdout, done.stderr[-2000:]
    finally:
        assert stop_cli(proc) == 0
