"""Test-side matching of collected items against concrete paths and files on disk.

Deliberately independent of the core's expansion code: a regex per item, and a directory
listing for folders, so the cross-checks do not trust the code they check.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterable

_TOKEN = re.compile(r"#+|<UDIM>|<UVTILE>")


def item_regex(path: str) -> re.Pattern[str]:
    """Regex matching every concrete file an item pattern can name (and the pattern itself)."""
    out, pos = [], 0
    for m in _TOKEN.finditer(path):
        out.append(re.escape(path[pos:m.start()]))
        token = m.group()
        if token == "<UDIM>":
            out.append(r"(?:\d{4}|<UDIM>)")
        elif token == "<UVTILE>":
            out.append(r"(?:u\d+_v\d+|<UVTILE>)")
        else:
            out.append(r"\d{%d,}" % len(token))
        pos = m.end()
    out.append(re.escape(path[pos:]))
    return re.compile("".join(out) + r"\Z")


def covers(item: dict[str, Any], path: str) -> bool:
    """True when ``path`` (a file, or a pattern/glob BAT reports) is one the item stands for."""
    path = os.path.normpath(path)
    if item["is_dir"]:
        return path == item["path"] or path.startswith(item["path"].rstrip(os.sep) + os.sep)
    if path == item["path"]:
        return True
    m = item_regex(item["path"]).match(path)
    if not m:
        return False
    frames = item.get("frames")
    if not frames:
        return True
    number = _frame_in(item["path"], path)
    return number is None or frames[0] <= number <= frames[1]


def _frame_in(pattern: str, path: str) -> int | None:
    start = pattern.rfind("#")
    if start < 0:
        return None
    run_start = start
    while run_start > 0 and pattern[run_start - 1] == "#":
        run_start -= 1
    head, tail = pattern[:run_start], pattern[start + 1:]
    digits = path[len(head): len(path) - len(tail)]
    return int(digits) if digits.isdigit() else None


def files_on_disk(item: dict[str, Any]) -> list[str]:
    """The existing files an item stands for (folder contents, matching frames/tiles)."""
    path = item["path"]
    if item["is_dir"]:
        return sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs) if os.path.isdir(path) else []
    if not _TOKEN.search(path):
        return [path] if os.path.isfile(path) else []
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        return []
    return sorted(p for p in (os.path.join(folder, n) for n in os.listdir(folder)) if covers(item, p))


def covered_by_any(items: Iterable[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    """The items that cover ``path``."""
    return [i for i in items if covers(i, path)]
