"""Blender's frame-number rules and the menu label, as pure functions (no bpy needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vendor_publish_blender.blender_paths import (
    collapse_numbered,
    ensure_image_extension,
    output_pattern,
    pattern_from_frame_paths,
    split_sequence_number,
)
from vendor_publish_blender.profile_label import menu_label, studio_name


@pytest.mark.parametrize(("path", "expected"), [
    ("/p/seq/frame.0001.png", ("/p/seq/frame.", "0001", ".png")),
    ("/p/seq/frame_v2.png", ("/p/seq/frame_v", "2", ".png")),  # Blender takes the last digit run
    ("/p/shot10/plate.1001.exr", ("/p/shot10/plate.", "1001", ".exr")),  # never a folder's digits
    ("/p/a1b22", ("/p/a1b", "22", "")),
    ("/p/12.tar", ("/p/", "12", ".tar")),
])
def test_split_sequence_number(path: str, expected: tuple[str, str, str]) -> None:
    parts = split_sequence_number(path)
    assert parts is not None and tuple(parts) == expected
    assert parts.pattern() == expected[0] + "#" * len(expected[1]) + expected[2]


def test_split_sequence_number_without_digits() -> None:
    assert split_sequence_number("/p/10/plate.png") is None
    assert split_sequence_number("/p/plate") is None


def test_pattern_from_frame_paths() -> None:
    assert pattern_from_frame_paths("/r/b.0001.png", 1, "/r/b.1000000.png", 1_000_000) == "/r/b.####.png"
    # A digit right after the frame field must not be swallowed.
    assert pattern_from_frame_paths("/r/shot10_00010.png", 1, "/r/shot10_10000000.png", 1_000_000) \
        == "/r/shot10_####0.png"
    assert pattern_from_frame_paths("/r/x1.png", 1, "/r/x1000000.png", 1_000_000) == "/r/x#.png"
    assert pattern_from_frame_paths("/r/a.png", 1, "/r/b.png", 1_000_000) is None


@pytest.mark.parametrize(("path", "fmt", "expected"), [
    ("/x/a", "PNG", "/x/a####.png"),
    ("/x/a.####.png", "PNG", "/x/a.####.png"),
    ("/x/a.png", "PNG", "/x/a.png####.png"),
    ("/x/a.####.PNG", "PNG", "/x/a.####.PNG"),
    ("/x/a.####.tif", "PNG", "/x/a.####.png"),
    ("/x/a.####.jpeg", "JPEG", "/x/a.####.jpeg"),
    ("/x/a.####.txt", "OPEN_EXR", "/x/a.####.txt.exr"),
    ("/x/be##auty/x##", "TIFF", "/x/be##auty/x##.tif"),
])
def test_output_pattern(path: str, fmt: str, expected: str) -> None:
    assert output_pattern(path, fmt) == expected


def test_output_pattern_without_extension_and_j2k() -> None:
    assert output_pattern("/x/a_", "PNG", use_extension=False) == "/x/a_####"
    assert ensure_image_extension("/x/a.0001", "JPEG2000", "J2K") == "/x/a.0001.j2c"


def test_collapse_numbered() -> None:
    assert collapse_numbered(["p_001.png", "p_002.png", "p_003.png"]) == ("p_###.png", 1, 3)
    assert collapse_numbered(["p_001.png", "p_003.png"]) is None  # a gap: keep every name
    assert collapse_numbered(["p_001.png", "q_002.png"]) is None
    assert collapse_numbered(["p_9.png", "p_10.png"]) is None  # widths differ
    assert collapse_numbered(["only.png"]) is None


def test_menu_label_from_profile(tmp_path: Path) -> None:
    profile = tmp_path / "studio.toml"
    profile.write_text('display_name = "GeoScan"\n[other]\nx = 1\n')
    assert menu_label({"VENDOR_PUBLISH_STUDIO": str(profile)}) == "Publish to GeoScan\u2026"
    before = profile.stat().st_mtime_ns
    profile.write_text('display_name = "GeoScan HQ"\n')
    os.utime(profile, ns=(before + 10**9, before + 10**9))  # an edit is seen on the next draw
    assert studio_name({"VENDOR_PUBLISH_STUDIO": str(profile)}) == "GeoScan HQ"
    assert studio_name({}) == "Studio"
    assert studio_name({"VENDOR_PUBLISH_STUDIO": str(tmp_path / "missing.toml")}) == "Studio"
    broken = tmp_path / "broken.toml"
    broken.write_text("display_name = \n")
    assert studio_name({"VENDOR_PUBLISH_STUDIO": str(broken)}) == "Studio"
