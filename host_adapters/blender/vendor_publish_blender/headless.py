"""Collect a .blend without a UI: in this interpreter when it has ``bpy``, else in a ``blender -b``
subprocess. Also the entry point that runs inside that Blender and writes the JSON.

Inside Blender: ``blender -b --factory-startup --disable-autoexec scene.blend --python-expr
"import sys; sys.path.insert(0, ADAPTER_DIR); from vendor_publish_blender.headless import main;
main(['--output', OUT])"``; with the module: ``python -m vendor_publish_blender.headless
scene.blend --output OUT``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .adapter_errors import adapter_error

if TYPE_CHECKING:
    from vendor_publish.models import Collection

#: Folder holding this package, put on a subprocess Blender's ``sys.path``.
ADAPTER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Environment variable naming the Blender executable to run when ``bpy`` is not importable.
BLENDER_ENV = "VENDOR_PUBLISH_BLENDER"
DEFAULT_TIMEOUT = 600.0


def collect_open_file_raw(path: str) -> dict[str, Any]:
    """Open ``path`` in this interpreter's Blender (``bpy``) and collect it as a JSON-ready dict."""
    import bpy

    from .collection import collect_raw

    target = os.path.abspath(path)
    current = bpy.data.filepath
    if not current or os.path.normcase(os.path.abspath(current)) != os.path.normcase(target):
        if not bpy.app.background:
            raise adapter_error(f"Refusing to open {target} over the artist's open file in interactive Blender.",
                         "Publish the open file from the File menu, or run the batch publish outside Blender.")
        # Scripts embedded in the .blend stay off: collection must not run the file's code.
        try:
            bpy.ops.wm.open_mainfile(filepath=target, load_ui=False, use_scripts=False)
        except RuntimeError as exc:  # Blender's report ("Missing DNA block", a newer file, ...)
            saved_by = blend_file_version(target)
            hint = f"Blender said: {str(exc).strip()}"
            if saved_by:
                hint = (f"The file was saved by Blender {saved_by}; an older Blender cannot read it. Open it in "
                        f"Blender {saved_by} or newer to check it loads. " + hint)
            raise adapter_error(f"Blender could not collect {target} (it cannot open the file).", hint) from None
    return collect_raw()


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Blender's C code prints ("Read blend: ...") on file descriptor 1; keep the caller's stdout clean
    (``vendor-publish ... --json`` writes its JSON there)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (embedded): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        try:
            sys.stdout.flush()
        except ValueError:
            pass
        os.dup2(saved, 1)
        os.close(saved)


def _validate(raw: dict[str, Any]) -> Collection:
    from vendor_publish.models import Collection

    return Collection.model_validate(raw)


def find_blender(blender: str | None = None) -> str:
    """The Blender executable to run: the one given, ``$VENDOR_PUBLISH_BLENDER``, or ``blender`` on PATH."""
    candidate = blender or os.environ.get(BLENDER_ENV) or shutil.which("blender")
    if candidate and (os.path.isfile(candidate) or shutil.which(candidate)):
        return shutil.which(candidate) or candidate
    raise adapter_error(
        "No Blender found to read the .blend file"
        + (f" (looked for {candidate!r})." if candidate else " (bpy is not importable and 'blender' is not on PATH)."),
        f"Install Blender and put it on PATH, set {BLENDER_ENV} to its executable, or pip install \"bpy==4.5.*\".")


def blend_file_version(path: str) -> str | None:
    """The Blender version that saved ``path`` ("4.5"), read from its header; None if unknown/compressed."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(17)
    except OSError:
        return None
    if head.startswith(b"BLENDER") and len(head) >= 12:
        # Old header "BLENDER-v405", new one "BLENDER17-01v0405".
        digits = head[9:12] if head[7:8] in b"-_" else head[13:17].lstrip(b"0")
        if digits.isdigit() and len(digits) >= 3:
            return f"{int(digits[:-2])}.{int(digits[-2:])}"
    return None


def _run(command: list[str], out: str, path: str, timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise adapter_error(f"Blender took more than {timeout:.0f} s to read {path}.",
                     "Open the file in Blender to check it loads, or raise the timeout.") from None
    if proc.returncode != 0 or not os.path.exists(out) or os.path.getsize(out) == 0:
        detail = "\n".join((proc.stderr or proc.stdout or "").strip().splitlines()[-8:])
        saved_by = blend_file_version(path)
        hint = f"Blender said:\n{detail}" if detail else "Open the file in Blender to see why."
        if saved_by:
            hint = (f"The file was saved by Blender {saved_by}; an older Blender cannot read it. Run the same "
                    f"or a newer Blender (set {BLENDER_ENV}). " + hint)
        raise adapter_error(f"Blender could not collect {path} (exit code {proc.returncode}).", hint)
    with open(out, encoding="utf-8") as fh:
        return json.load(fh)


def collect_blend_file(path: str, *, blender: str | None = None, isolate: bool = False,
                       timeout: float = DEFAULT_TIMEOUT) -> Collection:
    """What the .blend at ``path`` uses and produces, as a ``Collection``.

    With ``bpy`` importable (and no ``blender`` given) the file is opened in this process, or in
    a fresh interpreter when ``isolate`` is true; otherwise a Blender executable runs it in
    background mode.
    """
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise adapter_error(f"No .blend file at {path}.", "Check the path passed to the publish.")
    has_bpy = importlib.util.find_spec("bpy") is not None
    if blender is None and has_bpy and not isolate:
        with _stdout_to_stderr():
            raw = collect_open_file_raw(path)
        return _validate(raw)
    with tempfile.TemporaryDirectory(prefix="vendor-publish-blend-") as tmp:
        out = os.path.join(tmp, "collection.json")
        if blender is None and has_bpy:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (ADAPTER_DIR, env.get("PYTHONPATH")) if p)
            command = [sys.executable, "-m", "vendor_publish_blender.headless", path, "--output", out]
            return _validate(_run(command, out, path, timeout, env))
        expr = ("import sys; sys.path.insert(0, %r); from vendor_publish_blender.headless import main; "
                "sys.exit(main(['--output', %r]))" % (ADAPTER_DIR, out))
        command = [find_blender(blender), "-b", "--factory-startup", "--disable-autoexec", path,
                   "--python-exit-code", "3", "--python-expr", expr]
        return _validate(_run(command, out, path, timeout))


def main(argv: list[str] | None = None) -> int:
    """Write the open (or given) .blend's collection as JSON; run inside Blender or with ``bpy``."""
    parser = argparse.ArgumentParser(prog="vendor_publish_blender.headless", description=main.__doc__)
    parser.add_argument("blend", nargs="?", help="The .blend to open (default: the one Blender has open).")
    parser.add_argument("--output", required=True, help="Where to write the collection JSON.")
    args = parser.parse_args(argv)
    if args.blend:
        raw = collect_open_file_raw(args.blend)
    else:
        from .collection import collect_raw

        raw = collect_raw()
    tmp = f"{args.output}.part"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(raw, fh, indent=1)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
