"""The benchmark's project on disk: ~100 EXR sequences of 2,000 frames plus UDIM tiles, small files.

Laid out as accsyn's tutorial does it: the vendor works inside the local copy of the share,
``<root>/Production/proj002/FROM_VENDORS/<user>/``, so destinations map onto themselves.
Content is a few hundred bytes per file, different in every file, so digests are real work
while generating 200,000 files stays quick.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

USER = "jennifer@gda.com"
UDIM_SETS = 10


@dataclass(frozen=True)
class Dataset:
    """Where the generated project is and what it holds."""

    root: Path  # the temp folder everything lives in
    production: Path  # ACCSYN_PRODUCTION_PATH
    work: Path  # the project folder (= local copy of the upload root)
    project_file: Path
    sequence_patterns: list[str]  # absolute 'render/sh000/sh000.####.exr'
    frames: tuple[int, int]
    udim_patterns: list[str]  # absolute 'tex/set0/set0_color.<UDIM>.png'
    udim_tiles: int
    files: int
    bytes: int


def spec(quick: bool) -> tuple[int, int, int]:
    """(sequences, frames per sequence, UDIM tiles) for a full or a quick run."""
    return (10, 200, 100) if quick else (100, 2000, 1000)


def generate(root: Path, *, sequences: int, frames: int, tiles: int) -> Dataset:
    """Write the project under ``root`` (reused if already complete) and describe it."""
    production = root / f"{sequences}x{frames}+{tiles}" / "Production"
    work = production / "proj002" / "FROM_VENDORS" / USER
    stamp = production.parent / ".complete"
    first, last = 1001, 1000 + frames
    seq_patterns = [str(work / "render" / f"sh{s:03d}" / f"sh{s:03d}_beauty.####.exr") for s in range(sequences)]
    per_set = max(1, tiles // UDIM_SETS)
    sets = (tiles + per_set - 1) // per_set
    udim_patterns = [str(work / "tex" / f"set{t}" / f"set{t}_color.<UDIM>.png") for t in range(sets)]
    project = work / "proj002_DATASET_001_1203.blend"
    total_files = total_bytes = 0
    if not stamp.exists():
        work.mkdir(parents=True, exist_ok=True)
        project.write_bytes(b"BLENDER-v400" + os.urandom(4000))
        for s in range(sequences):
            d = work / "render" / f"sh{s:03d}"
            d.mkdir(parents=True, exist_ok=True)
            for f in range(first, last + 1):
                _write(d / f"sh{s:03d}_beauty.{f:04d}.exr", s, f)
        left = tiles
        for t in range(sets):
            d = work / "tex" / f"set{t}"
            d.mkdir(parents=True, exist_ok=True)
            for i in range(min(per_set, left)):
                u, v = i % 10, i // 10
                _write(d / f"set{t}_color.{1001 + u + 10 * v}.png", 10_000 + t, i)
            left -= per_set
        stamp.write_text("ok\n")
    for dirpath, _dirs, names in os.walk(work):
        for n in names:
            total_files += 1
            total_bytes += os.path.getsize(os.path.join(dirpath, n))
    return Dataset(root, production, work, project, seq_patterns, (first, last), udim_patterns, tiles,
                   total_files, total_bytes)


def _write(path: Path, a: int, b: int) -> None:
    # 512-1535 bytes, distinct per file, cheap to make (no os.urandom per file).
    head = f"{a}:{b}:".encode()
    body = (head * (1 + (a * 7919 + b * 104729) % 1024 // len(head) + 512 // len(head)))
    with open(path, "wb", buffering=0) as fh:
        fh.write(body)
