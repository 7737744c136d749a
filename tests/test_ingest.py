"""Studio side: ingest verifies what arrived against the manifest before the studio's step runs."""

from __future__ import annotations

import argparse
import json
import shutil

from projects import USER, geoscan_profile, tutorial_project

from vendor_publish import ingest
from vendor_publish.digests import DigestCache
from vendor_publish.generic import collect_paths
from vendor_publish.manifest import manifest_destination
from vendor_publish.planner import PlanContext, build_plan
from vendor_publish.submission import compute_digests
from vendor_publish.manifest import build_manifest, write_manifest

UPLOAD = f"FROM_VENDORS/{USER}"


def arrived_job(tmp_path):
    """A job as the studio's hook sees it after all files landed on its volume."""
    p = tutorial_project(tmp_path / "vendor")
    ctx = PlanContext(profile=geoscan_profile(), user=USER, upload_root=UPLOAD, project_root=str(p["work"]),
                      task="DATASET_001_1203", job_code="DATASET_001_1203_output")
    plan = build_plan(collect_paths(str(p["project"]), dependencies=[str(p["asset"])], outputs=[str(p["output"])]), ctx)
    digests = compute_digests(plan, DigestCache(tmp_path / "c.sqlite3"))
    share_root = tmp_path / "studio" / "proj002"
    for entry in plan.entries:
        for f in entry.files():
            target = share_root / f.destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f.source, target)
    mdest = manifest_destination(plan)
    sha = write_manifest(build_manifest(plan, digests), share_root / mdest)
    job = {
        "id": "a" * 24, "code": plan.job_code, "user_hr": USER, "source_hr": f"user:{USER}",
        "metadata": {"vendor_publish": {"publish_id": plan.publish_id, "manifest": mdest, "manifest_sha256": sha}},
        "tasks": {"0": {"source": {"path_abs": "/x"}, "destination": {"path_abs": str(share_root / mdest)}}},
    }
    hook_input = tmp_path / "job.json"
    hook_input.write_text(json.dumps(job))
    return hook_input, share_root, p


def args(path, **kw):
    return argparse.Namespace(input=str(path), run=None, entry_point=None, share_root=None, timeout=60, **kw)


def test_verified_job_runs_studio_step(tmp_path, capsys):
    hook_input, share_root, _ = arrived_job(tmp_path)
    seen = tmp_path / "seen.json"
    step = tmp_path / "step.py"
    step.write_text(f"import json,sys,shutil\nshutil.copy(sys.argv[1], {str(seen)!r})\n")
    assert ingest.run(argparse.Namespace(input=str(hook_input), run=f"python3 {step}", entry_point=None,
                                         share_root=None, timeout=60)) == 0
    data = json.loads(seen.read_text())
    roles = sorted(f["role"] for f in data["files"])
    assert roles == ["dependency", "output", "project"]
    assert data["user"] == USER and data["project"].endswith(".analyze")
    assert "3 files verified" in capsys.readouterr().out


def test_corrupt_or_missing_file_stops_the_step(tmp_path, capsys):
    hook_input, share_root, _ = arrived_job(tmp_path)
    out = share_root / UPLOAD / "output" / "proj002_DATASET_001_1203_exported.dat"
    data = bytearray(out.read_bytes())
    data[0] ^= 0xFF
    out.write_bytes(bytes(data))
    (share_root / UPLOAD / "cleaned_set.dat").unlink()
    marker = tmp_path / "ran"
    code = ingest.run(argparse.Namespace(input=str(hook_input), run=f"touch {marker}", entry_point=None,
                                         share_root=None, timeout=60))
    err = capsys.readouterr().err
    assert code == ingest.EXIT_BAD_FILES and not marker.exists()
    assert "corrupt (digest differs)" in err and "exported.dat" in err
    assert "missing: FROM_VENDORS/jennifer@gda.com/cleaned_set.dat" in err


def test_tampered_manifest_is_refused(tmp_path):
    hook_input, share_root, _ = arrived_job(tmp_path)
    job = json.loads(hook_input.read_text())
    mpath = share_root / job["metadata"]["vendor_publish"]["manifest"]
    mpath.write_text(mpath.read_text().replace('"comment": ""', '"comment": "x"'))
    assert ingest.run(args(hook_input)) == ingest.EXIT_BAD_MANIFEST


def test_foreign_jobs_are_ignored_with_a_note(tmp_path, capsys):
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"id": "b" * 24, "code": "manual_upload", "metadata": {}, "tasks": {}}))
    assert ingest.run(args(path)) == 0
    assert "not made by vendor-publish; ignored" in capsys.readouterr().out
