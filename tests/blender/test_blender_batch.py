"""``vendor-publish publish a.blend b.blend --host blender``: one job per project, into the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from blender_support import needs_bpy
from vendor_env import build_publish_scene, clean_env, landed, vendor_env

pytestmark = needs_bpy


def _cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vendor_publish", *args], capture_output=True, text=True,
                          timeout=timeout, env=clean_env(env), stdin=subprocess.DEVNULL)


def test_batch_publishes_each_blend_as_its_own_job(sandbox: Any, sandbox_api_key: str, tmp_path: Path) -> None:
    env, work = vendor_env(sandbox, sandbox_api_key, tmp_path)
    shots = [Path(build_publish_scene(work / name, name)["blend"]) for name in ("shot010", "shot020")]
    before = [p.read_bytes() for p in shots]

    proc = _cli(env, "publish", *map(str, shots), "--host", "blender", "--yes", "--json", "--wait", "--timeout", "60")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)["results"]
    assert [r["project"] for r in results] == list(map(str, shots))
    codes = [r["submission"]["job_code"] for r in results]
    assert len(set(codes)) == 2 and all(r["tracking"]["status"] == "done" for r in results)  # one job each
    assert all(r["plan"]["host"] == "blender" for r in results)
    assert [p.read_bytes() for p in shots] == before
    sandbox.wait_idle(timeout=30)
    for shot in shots:
        rel = shot.relative_to(work)
        assert (landed(sandbox) / rel).read_bytes() == shot.read_bytes()
        assert (landed(sandbox) / rel.parent / "renders" / f"{shot.stem}_0002.png").exists()
    assert sandbox_api_key not in proc.stdout + proc.stderr


def test_batch_reports_per_project_and_keeps_the_generic_exit_codes(sandbox: Any, sandbox_api_key: str,
                                                                    tmp_path: Path) -> None:
    from vendor_publish.cli import EXIT_BLOCKED, EXIT_USAGE

    env, work = vendor_env(sandbox, sandbox_api_key, tmp_path)
    good = Path(build_publish_scene(work / "shot030", "shot030")["blend"])
    blocked = Path(build_publish_scene(work / "shot040", "shot040")["blend"])
    (blocked.parent / "tex" / "skin.1002.png").unlink()  # a declared UDIM tile is missing
    broken = work / "broken.blend"
    broken.write_bytes(b"BLENDER-v405 not a blend file")

    proc = _cli(env, "plan", str(blocked), "--host", "blender", "--json")
    assert proc.returncode == EXIT_BLOCKED
    (one,) = json.loads(proc.stdout)["results"]
    missing = [f for f in one["plan"]["findings"] if f["severity"] == "error"]
    assert any(f["code"] == "sequence-incomplete" and "1002" in f["message"] and "skin.<UDIM>.png" in f["message"]
               for f in missing), missing

    proc = _cli(env, "publish", str(good), str(blocked), str(broken), "--host", "blender", "--yes", "--json")
    assert proc.stdout.startswith("{"), (proc.stdout[:2000], proc.stderr[-3000:])
    results = {Path(r["project"]).name: r for r in json.loads(proc.stdout)["results"]}
    assert results["shot030.blend"]["exit_code"] == 0 and results["shot030.blend"]["submission"]["job_id"]
    assert results["shot040.blend"]["exit_code"] == EXIT_BLOCKED and results["shot040.blend"]["submission"] is None
    assert results["broken.blend"]["exit_code"] == EXIT_USAGE
    assert "could not collect" in results["broken.blend"]["error"]["message"]
    assert proc.returncode == max(EXIT_BLOCKED, EXIT_USAGE)  # the worst wins, as for the generic host
    assert f"{broken}: error:" in proc.stderr
