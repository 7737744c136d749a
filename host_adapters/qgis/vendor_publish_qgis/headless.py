"""Collect a QGIS project without a UI: in this interpreter when it can import ``qgis``, else in
QGIS's own Python as a subprocess (``QT_QPA_PLATFORM=offscreen``, ``QgsApplication([], False)``).
Also the entry point that runs inside that Python and writes the JSON:
``python3 -m vendor_publish_qgis.headless project.qgz --output OUT``.

Registered in ``vendor_publish.hosts`` as the ``qgis`` host; works from any Python that has the
core (the project's venv has no ``qgis``, Debian's ``/usr/bin/python3`` has it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vendor_publish.models import Collection

#: Folder holding this package, put on the QGIS subprocess's ``sys.path``.
ADAPTER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Environment variable naming the Python that can ``import qgis`` (QGIS's own).
QGIS_PYTHON_ENV = "VENDOR_PUBLISH_QGIS_PYTHON"
#: Set to 1 to export the project's print layouts to PDF as outputs in a headless publish.
EXPORT_LAYOUTS_ENV = "VENDOR_PUBLISH_QGIS_EXPORT_LAYOUTS"
DEFAULT_TIMEOUT = 600.0
PROJECT_SUFFIXES = (".qgz", ".qgs")


def _error(message: str, hint: str | None = None) -> Exception:
    try:
        from vendor_publish.errors import VendorPublishError
    except ImportError:  # inside a bare QGIS Python: plain text reaches the parent through stderr
        return RuntimeError(message if hint is None else f"{message} {hint}")
    return VendorPublishError(message, hint=hint)


def has_qgis() -> bool:
    """True when this interpreter can import QGIS's Python bindings.

    A folder named ``qgis`` on ``sys.path`` (a test folder, say) is a namespace package with no
    ``__init__``; the real bindings have one.
    """
    spec = importlib.util.find_spec("qgis")
    return spec is not None and spec.origin not in (None, "namespace")


def _candidates() -> Iterator[str]:
    configured = os.environ.get(QGIS_PYTHON_ENV)
    if configured:
        yield configured
        return
    if sys.platform == "win32":
        import glob

        for root in sorted(glob.glob(r"C:\Program Files\QGIS*"), reverse=True):
            yield os.path.join(root, "bin", "python-qgis.bat")
    elif sys.platform == "darwin":
        yield "/Applications/QGIS.app/Contents/MacOS/bin/python3"
        yield "/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3"
    yield "/usr/bin/python3"


def find_qgis_python() -> str:
    """The Python that runs QGIS: ``$VENDOR_PUBLISH_QGIS_PYTHON``, else where QGIS installs it."""
    looked = []
    for candidate in _candidates():
        looked.append(candidate)
        if os.path.isfile(candidate):
            return candidate
    raise _error(
        "No Python with QGIS found to read the project (looked at " + ", ".join(looked) + ").",
        f"Install QGIS (Debian/Ubuntu: apt install python3-qgis qgis-providers), or set {QGIS_PYTHON_ENV} "
        "to the Python that comes with QGIS.")


def collect_raw_from_file(path: str, *, layouts_dir: str | None = None) -> dict[str, Any]:
    """Read ``path`` in this interpreter's QGIS and collect it as a JSON-ready dict.

    With ``layouts_dir``, the project's print layouts are first exported there as PDF outputs.
    """
    from .collection import collect_raw
    from .qgis_session import read_project

    project, _bad = read_project(path)
    try:
        raw = collect_raw(project)
        if layouts_dir:
            from .layouts import export_pdfs

            outputs, findings = export_pdfs(project, layouts_dir)
            raw["items"].extend(outputs)
            raw["findings"].extend(findings)
        return raw
    finally:
        project.clear()


def _run(command: list[str], out: str, path: str, timeout: float, env: dict[str, str]) -> dict[str, Any]:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise _error(f"QGIS took more than {timeout:.0f} s to read {path}.",
                     "Open the project in QGIS to check it loads (a slow remote layer?), or raise the timeout.") from None
    except OSError as exc:
        raise _error(f"Could not start QGIS's Python {command[0]}: {exc.strerror}.",
                     f"Set {QGIS_PYTHON_ENV} to the Python that comes with QGIS.") from None
    if proc.returncode != 0 or not os.path.exists(out) or os.path.getsize(out) == 0:
        detail = "\n".join(line for line in (proc.stderr or proc.stdout or "").strip().splitlines()
                           if "XDG_RUNTIME_DIR" not in line)
        detail = "\n".join(detail.splitlines()[-8:])
        if "No module named 'qgis'" in detail:
            raise _error(f"{command[0]} cannot import qgis, so it cannot read {path}.",
                         f"Set {QGIS_PYTHON_ENV} to the Python that comes with QGIS.")
        raise _error(f"QGIS could not read {path} (exit code {proc.returncode}).",
                     f"QGIS said:\n{detail}" if detail else "Open the project in QGIS to see why.")
    with open(out, encoding="utf-8") as fh:
        return json.load(fh)


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for QGIS's Python: this adapter importable, no display needed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ADAPTER_DIR, env.get("PYTHONPATH")) if p)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("PYTHONHOME", None)  # a venv's home would send QGIS's Python to the wrong stdlib
    env.update(extra or {})
    return env


def collect_raw_isolated(path: str, *, python: str | None = None, layouts_dir: str | None = None,
                         timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Read ``path`` in a fresh QGIS Python process and return its raw collection."""
    with tempfile.TemporaryDirectory(prefix="vendor-publish-qgis-") as tmp:
        out = os.path.join(tmp, "collection.json")
        command = [python or find_qgis_python(), "-m", "vendor_publish_qgis.headless", path, "--output", out]
        if layouts_dir:
            command += ["--export-layouts", layouts_dir]
        env = subprocess_env({"XDG_RUNTIME_DIR": tmp})
        return _run(command, out, path, timeout, env)


def _check_project(path: str) -> str:
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise _error(f"No QGIS project at {path}.", "Check the path passed to the publish.")
    if not path.lower().endswith(PROJECT_SUFFIXES):
        raise _error(f"{path} is not a QGIS project (.qgz or .qgs).", "Name the project file saved by QGIS.")
    return path


def collect_qgis_project(path: str, *, python: str | None = None, isolate: bool = False,
                         export_layouts: bool | None = None, timeout: float = DEFAULT_TIMEOUT) -> Collection:
    """What the QGIS project at ``path`` uses and produces, as a ``Collection``.

    With ``qgis`` importable (and no ``python`` given, no ``isolate``) the project is read in this
    process; otherwise QGIS's Python reads it in a subprocess. Outputs declared by the studio
    profile are added by the core when it plans (``workflow.make_plan``).
    """
    from vendor_publish.models import Collection

    from .outputs import layouts_folder, profile_output_folders

    path = _check_project(path)
    if export_layouts is None:
        export_layouts = os.environ.get(EXPORT_LAYOUTS_ENV, "") not in ("", "0")
    folders, notes = profile_output_folders()
    layouts_dir = layouts_folder(path, folders) if export_layouts else None
    if python is None and not isolate and has_qgis():
        raw = collect_raw_from_file(path, layouts_dir=layouts_dir)
    else:
        raw = collect_raw_isolated(path, python=python, layouts_dir=layouts_dir, timeout=timeout)
    raw["findings"].extend(notes)  # the declared outputs themselves are added by the core's planner
    return Collection.model_validate(raw)


def main(argv: list[str] | None = None) -> int:
    """Write a project's raw collection as JSON; runs in QGIS's Python."""
    parser = argparse.ArgumentParser(prog="vendor_publish_qgis.headless", description=main.__doc__)
    parser.add_argument("project", help="The .qgz or .qgs to read.")
    parser.add_argument("--output", required=True, help="Where to write the collection JSON.")
    parser.add_argument("--export-layouts", metavar="FOLDER", help="Export print layouts to PDF there, as outputs.")
    args = parser.parse_args(argv)
    raw = collect_raw_from_file(_check_project(args.project), layouts_dir=args.export_layouts)
    tmp = f"{args.output}.part"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(raw, fh, indent=1)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
