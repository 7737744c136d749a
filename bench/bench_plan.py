"""(1) Plan a 200,000-file project vs a bare os.scandir + os.stat pass; peak memory of the plan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from common import Row, bare_stat_pass, best_of, plan_project
from dataset import Dataset

TIME_TARGET = 1.5
MEMORY_TARGET_MB = 250.0


def run(data: Dataset, repeat: int) -> list[Row]:
    """Time the plan against the bare pass, then measure its memory in a fresh process."""
    plan = plan_project(data)  # warm: imports, regex caches, the OS's dentry cache
    blocking = [f.message for f in plan.findings if f.blocking]
    if plan.totals.files != data.files or blocking:
        raise RuntimeError(f"plan is wrong: {plan.totals.files} files of {data.files}; {blocking[:3]}")
    del plan
    bare, planned = best_of(repeat, lambda: bare_stat_pass(str(data.work)), lambda: plan_project(data))
    mem = _memory(data)
    return [
        Row("plan", f"plan {data.files:,} files", planned, bare, "s", f"<= {TIME_TARGET}x",
            planned <= TIME_TARGET * bare, f"best of {repeat}; baseline: bare scandir+stat pass"),
        Row("plan", "plan peak memory (tracemalloc)", mem["peak_mb"], None, "MB", f"< {MEMORY_TARGET_MB:g} MB",
            mem["peak_mb"] < MEMORY_TARGET_MB,
            f"Python heap allocated by the plan (fresh process); untraced, the whole process peaks at "
            f"{mem['rss_mb']:.0f} MB RSS"),
    ]


def _memory(data: Dataset) -> dict[str, float]:
    """Two fresh processes: one traced (peak_mb), one untraced (rss_mb)."""
    child = Path(__file__).with_name("plan_memory.py")
    result: dict[str, float] = {}
    for extra in ([], ["--rss"]):
        out = subprocess.run([sys.executable, str(child), str(data.root), json.dumps(_shape(data)), *extra],
                             check=True, capture_output=True, text=True)
        result.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return result


def _shape(data: Dataset) -> dict[str, int]:
    return {"sequences": len(data.sequence_patterns), "frames": data.frames[1] - data.frames[0] + 1,
            "tiles": data.udim_tiles}
