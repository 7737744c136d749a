"""Studio side: ``vendor-publish ingest ${PATH_JSON_INPUT}``, the successor of the tutorial's
``accsyn_job_done.py``.

Configured as the ``job-post-done-server`` (or ``publish-server``) hook, it recognises jobs this
plugin made, finds the manifest that arrived with them, checks the manifest against the digest
in the job's metadata, verifies every file's size and SHA-256 on the studio's volume, and only
then runs the studio's own publish step with the verified file list. Jobs made otherwise are
ignored with a one-line note.

Exit codes: 0 verified and published (or not ours: ignored); 3 files missing or corrupt;
4 the manifest is missing or does not match the job; 5 the studio's publish step failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from vendor_publish import digests
from vendor_publish.manifest import job_metadata_block, read_manifest
from vendor_publish.report import plural

EXIT_OK, EXIT_BAD_FILES, EXIT_BAD_MANIFEST, EXIT_STEP_FAILED = 0, 3, 4, 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vendor-publish ingest``."""
    parser.add_argument("input", help="The hook's ${PATH_JSON_INPUT} file.")
    parser.add_argument("--run", metavar="COMMAND",
                        help="Studio publish step: a command line; the verified file list's JSON path is "
                        "appended (or replaces ${PATH_JSON} when present).")
    parser.add_argument("--entry-point", metavar="MODULE:FUNCTION",
                        help="Studio publish step: a Python function called with the verified file list (a dict).")
    parser.add_argument("--share-root", metavar="DIR",
                        help="The share's folder on this server (default: derived from the job's own paths).")
    parser.add_argument("--timeout", type=float, default=3600, help="Seconds the publish step may run.")


def read_job(path: Path) -> dict[str, Any]:
    """The hook input as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))


def our_metadata(job: dict[str, Any]) -> dict[str, Any] | None:
    """This plugin's block of the job metadata, or None for a job made otherwise."""
    block = job_metadata_block(job)
    return block if block and block.get("manifest") else None


def find_share_root(job: dict[str, Any], manifest_share_path: str) -> Path | None:
    """The share's folder on this server, from the task that delivered the manifest."""
    want = [p.lower() for p in manifest_share_path.split("/") if p]
    for task in (job.get("tasks") or {}).values():
        dest = (task.get("destination") or {}).get("path_abs")
        if not dest:
            continue
        parts = Path(dest).parts
        if len(parts) > len(want) and [p.lower() for p in parts[-len(want):]] == want:
            return Path(*parts[: -len(want)])
    return None


def tasks_by_id(job: dict[str, Any]) -> dict[str, Path]:
    """Where each task with an id landed on this server (its destination's ``path_abs``)."""
    found = {}
    for task in (job.get("tasks") or {}).values():
        dest = (task.get("destination") or {}).get("path_abs")
        if task.get("id") and dest:
            found.setdefault(str(task["id"]), Path(dest))
    return found


def locate(f, share_root: Path | None, landed: dict[str, Path]) -> Path | None:
    """A manifest file's place on this server: where the studio's publish hook sent its entry,
    else its share-relative destination."""
    if f.dictated and f.entry in landed:
        base = landed[f.entry]  # where the entry's first task landed
        if f.within:  # a folder's or a sequence's file
            return base.joinpath(*f.within.split("/"))
        # A file, or a companion placed beside it (its own name in its own dictated place).
        return base.with_name(f.dictated.rstrip("/").rsplit("/", 1)[-1])
    if share_root is None:
        return None
    return share_root.joinpath(*f.destination.split("/"))


def verify(manifest, share_root: Path | None, landed: dict[str, Path] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Check every manifest file on disk; returns (verified files, problems in plain words)."""
    problems: list[str] = []
    present: list[tuple[dict[str, Any], digests.FileKey]] = []
    for f in manifest.files:
        target = locate(f, share_root, landed or {})
        if target is None:
            problems.append(f"cannot tell where {f.destination} landed (no task for its entry)")
            continue
        try:
            st = target.stat()
        except FileNotFoundError:
            problems.append(f"missing: {f.destination}")
            continue
        if st.st_size != f.size:
            problems.append(f"wrong size: {f.destination} has {st.st_size} bytes, the vendor sent {f.size}")
            continue
        record = {
            "role": f.role.value,
            "destination": f.destination,
            "path_abs": str(target),
            "size": f.size,
            "digest": f.digest,
            "frame": f.frame,
            "origin": f.origin,
            "source": f.source,
        }
        present.append((record, digests.FileKey(str(target), st.st_size, st.st_mtime_ns, st.st_ino)))
    actual = digests.digest_files([k for _, k in present])
    verified = []
    for record, key in present:
        if record["digest"] and actual.get(key.path) != record["digest"]:
            problems.append(f"corrupt (digest differs): {record['destination']}")
        else:
            verified.append(record)
    return verified, problems


def run_step(args: argparse.Namespace, payload: dict[str, Any]) -> int:
    """Run the studio's publish step with the verified file list."""
    if args.entry_point:
        module_name, _, func_name = args.entry_point.partition(":")
        func = getattr(importlib.import_module(module_name), func_name)
        result = func(payload)
        return 0 if result in (None, True, 0) else 1
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(payload, fh, indent=1)
        list_path = fh.name
    try:
        argv = shlex.split(args.run, posix=os.name != "nt")
        if any("${PATH_JSON}" in a for a in argv):
            argv = [a.replace("${PATH_JSON}", list_path) for a in argv]
        else:
            argv.append(list_path)
        return subprocess.run(argv, timeout=args.timeout, check=False).returncode
    finally:
        os.unlink(list_path)


def run(args: argparse.Namespace) -> int:
    """Verify a job that arrived and hand it to the studio's publish step."""
    job = read_job(Path(args.input))
    ours = our_metadata(job)
    label = f"job {job.get('code') or job.get('id')}"
    if ours is None:
        print(f"vendor-publish ingest: {label} was not made by vendor-publish; ignored.")
        return EXIT_OK
    landed = tasks_by_id(job)
    share_root = Path(args.share_root) if args.share_root else find_share_root(job, ours["manifest"])
    if ours.get("manifest_task_id") in landed:
        manifest_path = landed[ours["manifest_task_id"]]
    elif share_root is not None:
        manifest_path = share_root.joinpath(*ours["manifest"].split("/"))
    else:
        print(f"vendor-publish ingest: {label}: cannot tell where the share is on this server "
              f"(no task delivered {ours['manifest']}); pass --share-root.", file=sys.stderr)
        return EXIT_BAD_MANIFEST
    try:
        manifest, sha = read_manifest(manifest_path)
    except FileNotFoundError:
        print(f"vendor-publish ingest: {label}: the manifest {manifest_path} did not arrive.", file=sys.stderr)
        return EXIT_BAD_MANIFEST
    except ValueError as exc:
        print(f"vendor-publish ingest: {label}: the manifest {manifest_path} is unreadable ({exc.__class__.__name__}).",
              file=sys.stderr)
        return EXIT_BAD_MANIFEST
    if sha != ours.get("manifest_sha256") or manifest.publish_id != ours["publish_id"]:
        print(f"vendor-publish ingest: {label}: the manifest {manifest_path} does not match the job "
              "(digest or publish id differ); it may have been replaced.", file=sys.stderr)
        return EXIT_BAD_MANIFEST
    verified, problems = verify(manifest, share_root, landed)
    if problems:
        print(f"vendor-publish ingest: {label}: {len(problems)} of {plural(len(manifest.files), 'file')} failed "
              "verification; the studio publish step was NOT run:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return EXIT_BAD_FILES
    print(f"vendor-publish ingest: {label}: {plural(len(verified), 'file')} verified "
          f"({sum(f['size'] for f in verified)} bytes) from {manifest.user}.")
    if not (args.run or args.entry_point):
        return EXIT_OK
    payload = {
        "kind": "vendor-publish-ingest",
        "job": {"id": job.get("id"), "code": job.get("code"), "user": job.get("user_hr")},
        "publish_id": manifest.publish_id,
        "user": manifest.user,
        "task": manifest.task,
        "comment": manifest.comment,
        "host": manifest.host,
        "share_root": str(share_root) if share_root else None,
        "project": next((f["path_abs"] for f in verified if f["role"] == "project"), None),
        "files": verified,
    }
    try:
        code = run_step(args, payload)
    except Exception as exc:  # the studio's own code: report it, never lose the verification
        print(f"vendor-publish ingest: {label}: the studio publish step raised {exc.__class__.__name__}: {exc}",
              file=sys.stderr)
        return EXIT_STEP_FAILED
    if code != 0:
        print(f"vendor-publish ingest: {label}: the studio publish step failed (exit {code}).", file=sys.stderr)
        return EXIT_STEP_FAILED
    return EXIT_OK
