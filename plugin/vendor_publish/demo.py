"""``vendor-publish demo``: the tutorial, end to end, offline, against an in-process sandbox.

The studio delivers the dataset to the vendor, the vendor works in her local mirror of the
share, publishes with the real CLI, the sandbox (playing her desktop app) uploads the files,
and the studio's ``job-post-done-server`` hook (``vendor-publish ingest``) verifies them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

VENDOR = "jennifer@gda.com"
STUDIO_API_USER = "workflow@geoscan.org"
SHARE = "proj002-outsourcing"

STUDIO_STEP = '''"""The studio's own publish step (the tutorial's publish()), given the verified files."""
import json, sys

data = json.load(open(sys.argv[1]))
for f in data["files"]:
    if f["path_abs"].lower().endswith("_exported.dat"):
        print(f"User {data['user']} published '{f['path_abs']}', comment: {data['comment']}")
'''


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _wait_done(client, job_id: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.job(job_id)
        if job is not None and job.status in ("done", "failed", "aborted"):
            return str(job.status)
        time.sleep(0.2)
    return "timeout"


def run(work: Path | None = None) -> int:
    """Run the demo in ``work`` (default: a new temporary folder, kept afterwards)."""
    from vendor_publish.accsyn_client import AccsynClient
    from vendor_publish.cli import main as cli_main
    from vendor_publish.sandbox import Sandbox

    work = (work or Path(tempfile.mkdtemp(prefix="vendor-publish-demo-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    api_key = "demo-" + secrets.token_hex(12)
    vendor_production = work / "jennifer" / "Production"
    step = _write(work / "studio" / "studio_publish.py", STUDIO_STEP)
    ingest = (f"{shlex.quote(sys.executable)} -m vendor_publish ingest ${{PATH_JSON_INPUT}} "
              f"--run {shlex.quote(shlex.quote(sys.executable) + ' ' + shlex.quote(str(step)))}")
    print(f"Demo folder: {work}")
    with Sandbox(work / "sandbox", seed="geoscan", api_key=api_key, local_roots={VENDOR: vendor_production},
                 hooks={"job-post-done-server": ingest}) as sandbox:
        print(f"Sandbox accsyn server: {sandbox.url} (workspace geoscan)")

        _say("Studio: deliver DATASET_001_1203 to the vendor (the tutorial's first script)")
        with AccsynClient("geoscan", STUDIO_API_USER, api_key, server=sandbox.url) as studio:
            job = studio.create_job({
                "code": f"proj002_DATASET_001_1203_outsource_{VENDOR}",
                "tasks": {
                    "0": {"source": f"share={SHARE}/DATASET_001_1203", "destination": f"{VENDOR}:proj002/DATASET_001_1203"},
                    "1": {"source": f"share={SHARE}/TO_VENDORS", "destination": f"{VENDOR}:proj002/TO_VENDORS"},
                },
            })
            print(f"delivery job {job.id}: {_wait_done(studio, job.id)}")
        for path in sorted((vendor_production / "proj002").rglob("*")):
            if path.is_file():
                print(f"  arrived at the vendor: {path.relative_to(work)}")

        _say("Vendor: work in the local mirror of the share")
        mine = vendor_production / "proj002" / "FROM_VENDORS" / VENDOR
        project = _write(mine / "proj002_DATASET_001_1203.analyze", "analysis of DATASET_001_1203\nsource=../../DATASET_001_1203/source\n")
        asset = _write(mine / "cleaned_set.dat", "cleaned\n" * 1000)
        output = _write(mine / "output" / "proj002_DATASET_001_1203_exported.dat", "result\n" * 500)
        for p in (project, asset, output):
            print(f"  {p.relative_to(work)}")

        _say("Vendor: vendor-publish publish ... --wait  (the button)")
        env = {
            "ACCSYN_API_USER": VENDOR,
            "ACCSYN_API_KEY": api_key,
            "ACCSYN_PRODUCTION_PATH": str(vendor_production),
            "VENDOR_PUBLISH_STUDIO": str(sandbox.studio_profile_path),
            "VENDOR_PUBLISH_SERVER": sandbox.url,
            "VENDOR_PUBLISH_HOME": str(work / "vendor-home"),
        }
        argv = ["publish", str(project), "--dep", str(asset), "--output", str(output),
                "--task", "DATASET_001_1203", "--comment", "Demo publish", "--yes", "--wait", "--timeout", "60"]
        print("$ vendor-publish " + " ".join(shlex.quote(a) for a in argv))
        with _environment(env):
            code = cli_main(argv)
        sandbox.wait_idle(timeout=60)

        _say("Studio: what arrived on the production volume")
        landed = sandbox.volume_path("production") / "proj002" / "FROM_VENDORS" / VENDOR
        for path in sorted(landed.rglob("*")):
            if path.is_file():
                print(f"  {path.relative_to(sandbox.volume_path('production'))}  ({path.stat().st_size} bytes)")

        _say("Studio: the job-post-done-server hook (vendor-publish ingest)")
        log = sandbox.hook_log_path
        print(log.read_text(encoding="utf-8").rstrip() if log.exists() else "(the hook wrote nothing)")
    print(f"\nDemo {'finished' if code == 0 else f'failed (exit {code})'}; everything is kept in {work}")
    return code
