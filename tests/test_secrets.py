"""The API key never appears in anything the CLI or the sandbox writes, and the artist's project
is never modified by a publish."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from projects import USER, tutorial_project

KEY = "vpKEY-7f3a9c-RECOGNISABLE-SECRET-d41d8"


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file's bytes (digest) and mtime under a folder."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def all_bytes(*folders: Path) -> list[tuple[Path, bytes]]:
    found = []
    for folder in folders:
        for p in folder.rglob("*"):
            if p.is_file():
                found.append((p, p.read_bytes()))
    return found


def test_key_never_leaks_and_project_is_untouched(tmp_path, caplog):
    from vendor_publish.sandbox import Sandbox

    caplog.set_level(logging.DEBUG)
    production = tmp_path / "jennifer" / "Production"
    project = tutorial_project(production)
    before = snapshot(production)
    home = tmp_path / "vp-home"
    with Sandbox(tmp_path / "sandbox", seed="geoscan", api_key=KEY, hooks={
        "job-post-done-server": f"{sys.executable} -m vendor_publish ingest ${{PATH_JSON_INPUT}}"
    }) as sandbox:
        env = {**os.environ, "VENDOR_PUBLISH_RETRY_SECONDS": "1", "VENDOR_PUBLISH_HOME": str(home), "ACCSYN_API_USER": USER, "ACCSYN_API_KEY": KEY,
               "ACCSYN_PRODUCTION_PATH": str(production), "VENDOR_PUBLISH_STUDIO": str(sandbox.studio_profile_path),
               "VENDOR_PUBLISH_SERVER": sandbox.url}
        for name in ("ACCSYN_WORKSPACE", "ACCSYN_DOMAIN", "ACCSYN_ORG", "ACCSYN_CREDENTIALS_PATH"):
            env.pop(name, None)
        base = ["publish", str(project["project"]), "--dep", str(project["asset"]), "--output", str(project["output"]),
                "--task", "DATASET_001_1203", "--yes"]
        wrong_key = KEY[::-1]
        runs = [
            (base + ["--wait", "--timeout", "60", "--json"], {}),  # success
            (base + ["--json"], {"ACCSYN_API_KEY": wrong_key}),  # bad credentials
            (base + ["--json"], {"VENDOR_PUBLISH_SERVER": "http://127.0.0.1:9"}),  # unreachable: kept in the outbox
            (["outbox", "--json"], {}),
            (["config", "show", "--json"], {}),
            (["plan", str(project["project"]), "--json", "--check-access"], {}),  # blocked (no output)
            (["status", "000000000000000000000000"], {}),  # unknown job
        ]
        outputs = []
        for argv, extra in runs:
            proc = subprocess.run([sys.executable, "-m", "vendor_publish", "-v", *argv], env={**env, **extra},
                                  capture_output=True, timeout=120)
            outputs.append((argv, proc.returncode, proc.stdout + proc.stderr))
        sandbox.wait_idle(timeout=60)
        codes = [code for _, code, _ in outputs]
        assert codes[0] == 0, outputs[0][2].decode()[-2000:]
        assert codes[1] == 4 and b"jennifer@gda.com" in outputs[1][2]
        assert codes[2] in (4, 6) and b"127.0.0.1:9" in outputs[2][2]
        assert b"127.0.0.1:9" in outputs[3][2]  # the outbox remembers why
        for argv, _, data in outputs:
            assert KEY.encode() not in data, argv
            assert wrong_key.encode() not in data, argv
        for path, data in all_bytes(home, tmp_path / "sandbox"):
            assert KEY.encode() not in data, path
            assert wrong_key.encode() not in data, path
        assert KEY not in caplog.text and wrong_key not in caplog.text
        hook_log = sandbox.hook_log_path.read_text()
        assert "3 files verified" in hook_log
    assert snapshot(production) == before, "the artist's project was modified"
