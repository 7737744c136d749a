"""(4) Start-up cost inside a host: the module Blender loads at start-up, vs `python -c pass`.

The Blender add-on's start-up module is ``vendor_publish_blender`` (its ``__init__``; Blender
imports it and calls ``register()``). It must not import httpx, pydantic or the core: those load
when the artist clicks. Measured three ways, each in fresh interpreters:
- wall time of ``python -c "import vendor_publish_blender"`` minus ``python -c pass`` (best of N);
- the cumulative ``-X importtime`` of the add-on's own modules;
- inside a real Blender (the ``bpy`` module, when installed): the time ``import`` + ``register()``
  take, and which modules they loaded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON_DIR = ROOT / "host_adapters" / "blender"
ADDON = "vendor_publish_blender"
FORBIDDEN = ("httpx", "pydantic", "vendor_publish")
TARGET_MS = 15.0

_IN_BLENDER = r"""
import json, sys, time
import bpy
before = set(sys.modules)
t = time.perf_counter()
import {addon} as addon
addon.register()
took = time.perf_counter() - t
loaded = sorted(set(sys.modules) - before)
addon.unregister()
print("RESULT " + json.dumps({{"ms": took * 1000, "loaded": loaded}}))
"""


def run(repeat: int) -> list:
    """Rows for the start-up measurements (or one row saying the add-on is absent)."""
    from common import Row

    if not (ADDON_DIR / ADDON / "__init__.py").is_file():
        return [Row("startup", "Blender add-on start-up module", float("nan"), None, "ms", f"<= {TARGET_MS:g} ms",
                    False, f"{ADDON_DIR / ADDON} is absent: nothing to measure")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ADDON_DIR), os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONSTARTUP", None)
    bare_cmd = [sys.executable, "-c", "pass"]
    addon_cmd = [sys.executable, "-c", f"import {ADDON}"]
    _wall(bare_cmd, env), _wall(addon_cmd, env)
    bare = min(_wall(bare_cmd, env) for _ in range(repeat * 5))
    added = min(_wall(addon_cmd, env) for _ in range(repeat * 5))
    own_us, leaked = _importtime(env)
    rows = [
        Row("startup", f"import {ADDON} (wall)", added * 1000, bare * 1000, "ms", f"<= +{TARGET_MS:g} ms",
            added - bare <= TARGET_MS / 1000, f"added {(added - bare) * 1000:.1f} ms over `python -c pass`"),
        Row("startup", "-X importtime, add-on modules", own_us / 1000, None, "ms", f"<= {TARGET_MS:g} ms",
            own_us / 1000 <= TARGET_MS and not leaked,
            "core/httpx/pydantic imported: " + (", ".join(leaked) if leaked else "none")),
    ]
    rows.append(_in_blender(env, repeat))
    return rows


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def _importtime(env: dict[str, str]) -> tuple[int, list[str]]:
    """Cumulative microseconds of the add-on's top-level import, and forbidden modules it loaded."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {ADDON}"], env=env, check=True,
                         capture_output=True, text=True).stderr
    own = 0
    leaked = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if not m:
            continue
        name = m.group(4)
        if name == ADDON:
            own = int(m.group(2))
        if name.split(".")[0] in FORBIDDEN:
            leaked.append(name)
    return own, leaked


def _in_blender(env: dict[str, str], repeat: int):
    from common import Row

    probe = subprocess.run([sys.executable, "-c", "import importlib.util as u; print(bool(u.find_spec('bpy')))"],
                           capture_output=True, text=True, env=env)
    if probe.stdout.strip() != "True":
        return Row("startup", "import + register() in Blender", float("nan"), None, "ms", f"<= {TARGET_MS:g} ms",
                   True, "skipped: no bpy module in this Python")
    code = _IN_BLENDER.format(addon=ADDON)
    runs = []
    for _ in range(repeat):  # one import per process: best of a few fresh Blenders
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if done.returncode != 0 or line is None:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return Row("startup", "import + register() in Blender", float("nan"), None, "ms",
                       f"<= {TARGET_MS:g} ms", False, f"failed: {tail[0][:120]}")
        runs.append(json.loads(line[len("RESULT "):]))
    result = min(runs, key=lambda r: r["ms"])
    leaked = [m for m in result["loaded"] if m.split(".")[0] in FORBIDDEN]
    return Row("startup", "import + register() in Blender", result["ms"], None, "ms", f"<= {TARGET_MS:g} ms",
               result["ms"] <= TARGET_MS and not leaked,
               f"bpy wheel, best of {repeat}; loaded {len(result['loaded'])} modules; core/httpx/pydantic: "
               + (", ".join(leaked) if leaked else "none"))
