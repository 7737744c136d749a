"""Frame lists and runs: '1-10,12,14-20' read and written, and contiguous runs of frames."""

from __future__ import annotations

import re
from typing import Iterable

from .errors import UnsafePathError

#: Largest frame range accepted (about 4.6 days at 25 fps).
MAX_FRAMES = 10_000_000


class PatternError(UnsafePathError, ValueError):
    """A pattern, frame list or frame range that cannot be used as given.

    An ``UnsafePathError`` because such a pattern cannot be mapped safely: callers that turn
    unsafe paths into findings cover it without a second ``except``.
    """


def contiguous_runs(frames: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted unique frames as inclusive (first, last) runs."""
    ordered = sorted(set(frames))
    if ordered and ordered[-1] - ordered[0] + 1 == len(ordered):  # one unbroken run: no loop
        return [(ordered[0], ordered[-1])]
    runs: list[tuple[int, int]] = []
    for f in ordered:
        if runs and f == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], f)
        else:
            runs.append((f, f))
    return runs


def compact_runs(runs: Iterable[tuple[int, int]]) -> str:
    """Runs written as '1-10,12,14-20'."""
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def compact(frames: Iterable[int]) -> str:
    """Frames written as '1-10,12,14-20' (sorted, duplicates dropped)."""
    return compact_runs(contiguous_runs(frames))


_ITEM_RE = re.compile(r"^(-?\d+)(?:-(-?\d+)(?:[x:](\d+))?)?$")


def parse_frames(text: str) -> list[int]:
    """Read '1-10,12,14-20' (also steps '1-10x2' or '1-10:2', negatives '-5--1') into sorted frames."""
    frames: set[int] = set()
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        m = _ITEM_RE.match(item)
        if m is None:
            raise PatternError(f"{item!r} in the frame list {text!r} is not a frame or a range.",
                               hint="Write frames like 1-10,12,14-20.")
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) is not None else first
        step = int(m.group(3)) if m.group(3) is not None else 1
        if last < first or step < 1:
            raise PatternError(f"The range {item!r} in {text!r} ends before it starts or has a zero step.",
                               hint="Write ranges first-last, e.g. 1001-1100.")
        if (last - first) // step + 1 + len(frames) > MAX_FRAMES:
            raise PatternError(f"The frame list {text!r} has more than {MAX_FRAMES:,} frames.",
                               hint="Check the frame list for a typo.")
        frames.update(range(first, last + 1, step))
    return sorted(frames)
