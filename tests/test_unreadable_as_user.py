"""An unreadable file is a finding, not a crash: checked as an ordinary user, because root reads
everything (CI runs as root, so the test drops to 'nobody' with setpriv)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOBODY = 65534


def _system_python() -> str | None:
    # The project's interpreter may live under /root (not reachable by other users); Debian's
    # python3 of the same version can import the venv's packages.
    candidate = shutil.which("python3", path="/usr/bin")
    if candidate is None:
        return None
    version = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
    return candidate if version == "%d.%d" % sys.version_info[:2] else None


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to run the CLI as an ordinary user")
def test_unreadable_file_is_reported_for_an_ordinary_user():
    python = _system_python()
    if python is None:
        pytest.skip("no /usr/bin/python3 of this Python version to run as another user")
    site = [p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix)]
    work = Path(tempfile.mkdtemp(prefix="vp-nobody-"))
    try:
        work.chmod(0o777)
        project = work / "scene.analyze"
        project.write_text("p")
        secret = work / "secret.dat"
        secret.write_text("cannot read me")
        secret.chmod(0o000)
        output = work / "out_exported.dat"
        output.write_text("o")
        for p in (project, output):
            p.chmod(0o644)
        profile = work / "studio.json"
        profile.write_text(json.dumps({"display_name": "G", "workspace": "geoscan", "share": "s"}))
        profile.chmod(0o644)
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join([str(ROOT / "plugin"), *site]),
               "VENDOR_PUBLISH_HOME": str(work / "home"), "ACCSYN_API_USER": "jennifer@gda.com",
               "HOME": str(work)}
        proc = subprocess.run(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", python, "-m", "vendor_publish",
             "plan", str(project), "--dep", str(secret), "--output", str(output), "--studio", str(profile), "--json"],
            capture_output=True, text=True, timeout=120, env=env, cwd=str(work),
        )
        if "No module named" in proc.stderr:
            pytest.skip(f"the venv's packages do not import in {python}: {proc.stderr.strip()[-200:]}")
        assert proc.returncode == 3, proc.stderr
        plan = json.loads(proc.stdout)["results"][0]["plan"]
        (finding,) = [f for f in plan["findings"] if f["code"] == "unreadable-file"]
        assert finding["path"] == str(secret) and "permission" in finding["message"].lower()
        assert "permissions" in finding["fix"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
