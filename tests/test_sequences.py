from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from vendor_publish.errors import UnsafePathError
from vendor_publish.models import Severity
from vendor_publish.frame_ranges import (
    MAX_FRAMES,
    PatternError,
    compact,
    contiguous_runs,
    parse_frames,
)
from vendor_publish.sequences import SequencePattern, TokenKind, expand, parse_pattern


def _touch(folder: Path, *names: str, size: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x" * size)


@pytest.mark.parametrize(
    "path, kind, padding, prefix, suffix, printf",
    [
        ("/r/img.####.exr", TokenKind.HASH, 4, "img.", ".exr", "img.%04d.exr"),
        ("/r/img_#.png", TokenKind.HASH, 1, "img_", ".png", "img_%d.png"),
        (r"C:\r\img.%04d.exr", TokenKind.PRINTF, 4, "img.", ".exr", "img.%04d.exr"),
        ("/r/img.%d.exr", TokenKind.PRINTF, 1, "img.", ".exr", "img.%d.exr"),
        ("/c/sim.$F4.bgeo.sc", TokenKind.HOUDINI, 4, "sim.", ".bgeo.sc", "sim.%04d.bgeo.sc"),
        ("/c/sim.$F.bgeo", TokenKind.HOUDINI, 1, "sim.", ".bgeo", "sim.%d.bgeo"),
        ("/c/sim.${F3}.vdb", TokenKind.HOUDINI, 3, "sim.", ".vdb", "sim.%03d.vdb"),
        ("/t/wood.<UDIM>.png", TokenKind.UDIM, 4, "wood.", ".png", "wood.%04d.png"),
        ("/t/wood.<udim>.png", TokenKind.UDIM, 4, "wood.", ".png", "wood.%04d.png"),
        ("/t/wood.%(UDIM)d.tif", TokenKind.UDIM, 4, "wood.", ".tif", "wood.%04d.tif"),
        ("/t/wood.<UVTILE>.png", TokenKind.UVTILE, 1, "wood.", ".png", None),
        ("/r/x.{frame}.exr", TokenKind.BRACE, 1, "x.", ".exr", "x.%d.exr"),
        ("/r/x.{frame:04d}.exr", TokenKind.BRACE, 4, "x.", ".exr", "x.%04d.exr"),
        ("/r/100%%_%03d.exr", TokenKind.PRINTF, 3, "100%_", ".exr", "100%%_%03d.exr"),
        ("/r/100%_####.exr", TokenKind.HASH, 4, "100%_", ".exr", "100%%_%04d.exr"),
    ],
)
def test_parse_pattern(path: str, kind: TokenKind, padding: int, prefix: str, suffix: str,
                       printf: str | None) -> None:
    p = parse_pattern(path)
    assert p is not None
    assert (p.kind, p.padding, p.prefix, p.suffix, p.printf()) == (kind, padding, prefix, suffix, printf)
    assert p.path == path


@pytest.mark.parametrize("path", ["/r/plain.exr", "/c/sim.$FPS.txt", "/c/sim.$F4x.bgeo", "/c/$f4.x",
                                  "/r/icon@2x.png", "/r/img.%4d.exr", "/r/{FRAME}.exr", "/####/plain.exr"])
def test_not_a_pattern(path: str) -> None:
    assert parse_pattern(path) is None


def test_at_runs_only_when_asked() -> None:
    assert parse_pattern("/r/img.@@@@.exr") is None
    p = parse_pattern("/r/img.@@@@.exr", kinds=[TokenKind.AT])
    assert p is not None and p.kind is TokenKind.AT and p.printf() == "img.%04d.exr"
    assert parse_pattern("/r/take#1.wav", kinds=[TokenKind.HOUDINI]) is None


def test_two_tokens_are_refused() -> None:
    # Callers catching UnsafePathError (the planner) turn it into a finding.
    with pytest.raises(UnsafePathError) as info:
        parse_pattern("/t/wood.<UDIM>.####.exr")
    assert "<UDIM>" in str(info.value) and "####" in str(info.value)


def test_format_and_match() -> None:
    p = parse_pattern("img.####.exr")
    assert p is not None
    assert p.format(7) == "img.0007.exr" and p.format(12345) == "img.12345.exr" and p.format(-3) == "img.-003.exr"
    assert p.match("img.0007.exr") == 7
    assert p.match("img.12345.exr") == 12345  # padding is a minimum
    assert p.match("img.007.exr") is None  # not how '####' writes 7
    assert p.match("img.00007.exr") is None
    assert p.match("img.-003.exr") == -3
    assert p.match("img.0007.exr.bak") is None
    assert p.match("IMG.0007.exr") is None and p.match("IMG.0007.exr", case_sensitive=False) == 7
    u = parse_pattern("t.<UVTILE>.png")
    assert u is not None
    assert u.format(1001) == "t.u1_v1.png" and u.format(1012) == "t.u2_v2.png"
    assert u.match("t.u10_v1.png") == 1010 and u.match("t.u1_v3.png") == 1021
    assert u.match("t.u11_v1.png") is None and u.match("t.u01_v1.png") is None and u.match("t.u1_v0.png") is None
    with pytest.raises(PatternError):
        u.format(1000)
    d = parse_pattern("t.<UDIM>.png")
    assert d is not None and d.match("t.1001.png") == 1001 and d.match("t.0999.png") is None


def test_expand_hash_sequence_with_gaps(tmp_path: Path) -> None:
    _touch(tmp_path, *(f"img.{f:04d}.exr" for f in [1, 2, 3, 5, 8, 9, 10]), "img.0004.exr.tmp", "other.0006.exr",
           "img.004.exr")
    (tmp_path / "img.0006.exr").mkdir()  # a folder is never a member
    p = parse_pattern(str(tmp_path / "img.####.exr"))
    assert p is not None
    m = expand(p)
    assert m.frames == [1, 2, 3, 5, 8, 9, 10]
    assert m.missing == [4, 6, 7] and m.missing_runs == [(4, 4), (6, 7)] and m.missing_count == 3
    assert [f.code for f in m.findings] == ["sequence-gaps"]
    assert m.findings[0].severity is Severity.WARNING and "4,6-7" in m.findings[0].message
    first = m.members[0]
    st = os.stat(tmp_path / "img.0001.exr")
    assert (first.name, first.size, first.mtime_ns, first.inode) == ("img.0001.exr", 3, st.st_mtime_ns, st.st_ino)
    assert first.entry.path == str(tmp_path / "img.0001.exr")
    assert m.size == 21


def test_expand_with_range(tmp_path: Path) -> None:
    _touch(tmp_path, *(f"img.{f:04d}.exr" for f in range(1, 21) if f != 12))
    p = parse_pattern(str(tmp_path / "img.%04d.exr"))
    assert p is not None
    m = expand(p, (5, 25))
    assert m.frames == [f for f in range(5, 21) if f != 12]
    assert m.missing == [12, 21, 22, 23, 24, 25]
    assert m.outside_range == 4
    assert m.findings[0].code == "sequence-incomplete" and m.findings[0].severity is Severity.ERROR
    complete = expand(p, (13, 20))
    assert complete.missing == [] and complete.findings == [] and len(complete.members) == 8


def test_padding_overflow_and_negative_frames(tmp_path: Path) -> None:
    _touch(tmp_path, "c.-001.bgeo", "c.0000.bgeo", "c.9999.bgeo", "c.10000.bgeo", "c.12345.bgeo", "c.010000.bgeo")
    p = parse_pattern(str(tmp_path / "c.$F4.bgeo"))
    assert p is not None
    m = expand(p, (9999, 12345))
    assert m.frames == [9999, 10000, 12345]
    assert m.missing_count == 12345 - 9999 + 1 - 3
    all_frames = expand(p)
    assert all_frames.frames[:2] == [-1, 0]


def test_expand_unpadded_houdini_and_brace(tmp_path: Path) -> None:
    _touch(tmp_path, "s.1.vdb", "s.2.vdb", "s.10.vdb", "s.03.vdb", "x.0001.exr", "x.0002.exr")
    houdini = parse_pattern(str(tmp_path / "s.$F.vdb"))
    assert houdini is not None
    m = expand(houdini, (1, 3))
    assert m.frames == [1, 2] and m.missing == [3]  # 's.03.vdb' is not how $F writes 3
    brace = parse_pattern(str(tmp_path / "x.{frame:04d}.exr"))
    assert brace is not None and expand(brace, (1, 2)).frames == [1, 2]


def test_expand_udim_missing_tile(tmp_path: Path) -> None:
    _touch(tmp_path, "wood.1001.png", "wood.1002.png", "wood.1011.png", "wood.1000.png")
    p = parse_pattern(str(tmp_path / "wood.<UDIM>.png"))
    assert p is not None
    m = expand(p)
    assert m.frames == [1001, 1002, 1011]
    assert m.missing == [] and m.findings == []  # gaps between tiles are normal
    m = expand(p, expected=[1001, 1002, 1003, 1011])
    assert m.missing == [1003]
    assert m.findings[0].code == "sequence-incomplete" and "1 tile of" in m.findings[0].message


def test_expand_uvtile(tmp_path: Path) -> None:
    _touch(tmp_path, "t.u1_v1.png", "t.u2_v1.png", "t.u1_v2.png", "t.u01_v1.png")
    p = parse_pattern(str(tmp_path / "t.<UVTILE>.png"))
    assert p is not None
    m = expand(p)
    assert [(mb.frame, mb.name) for mb in m.members] == [(1001, "t.u1_v1.png"), (1002, "t.u2_v1.png"),
                                                          (1011, "t.u1_v2.png")]


def test_missing_folder_is_a_finding(tmp_path: Path) -> None:
    p = parse_pattern(str(tmp_path / "nope" / "img.####.exr"))
    assert p is not None
    m = expand(p, (1, 10))
    assert m.members == [] and m.reason and "does not exist" in m.reason
    assert m.findings[0].code == "sequence-folder-missing" and m.findings[0].path == p.path
    _touch(tmp_path, "afile")
    m = expand(parse_pattern(str(tmp_path / "afile" / "img.####.exr")))  # type: ignore[arg-type]
    assert m.findings[0].code == "sequence-folder-missing" and "is a file" in m.findings[0].message


def test_empty_match_is_a_finding(tmp_path: Path) -> None:
    _touch(tmp_path, "other.0001.exr")
    p = parse_pattern(str(tmp_path / "img.####.exr"))
    assert p is not None
    m = expand(p)
    assert m.members == [] and m.reason and m.findings[0].code == "sequence-empty"


@pytest.mark.parametrize(
    "name, frames, code",
    [
        ("img.%099d.exr", None, "sequence-padding-too-large"),
        ("img.{frame:040d}.exr", (1, 2), "sequence-padding-too-large"),
        ("img.####.exr", (10, 1), "frame-range-invalid"),
        ("img.####.exr", (0, MAX_FRAMES), "frame-range-too-large"),
        ("img.####.exr", (-10**15, 10**15), "frame-range-too-large"),
    ],
)
def test_guard_rails(tmp_path: Path, name: str, frames: tuple[int, int] | None, code: str) -> None:
    _touch(tmp_path, "img.0001.exr")
    p = parse_pattern(str(tmp_path / name))
    assert p is not None
    started = time.monotonic()
    m = expand(p, frames)
    assert time.monotonic() - started < 1.0
    assert m.members == [] and m.reason and [f.code for f in m.findings] == [code]
    assert m.findings[0].blocking and m.findings[0].fix


def test_large_range_stays_cheap(tmp_path: Path) -> None:
    _touch(tmp_path, "img.0001.exr", "img.5000000.exr")
    p = parse_pattern(str(tmp_path / "img.####.exr"))
    assert p is not None
    m = expand(p, (1, MAX_FRAMES - 1))
    assert m.frames == [1, 5000000]
    assert m.missing_runs == [(2, 4999999), (5000001, MAX_FRAMES - 1)]
    assert m.missing_count == MAX_FRAMES - 3
    assert ", ..." not in m.findings[0].message and "2-4999999" in m.findings[0].message


def test_given_entries_and_no_stat(tmp_path: Path) -> None:
    _touch(tmp_path, "a.0001.exr", "a.0002.exr", "b.0001.exr")
    with os.scandir(tmp_path) as it:
        entries = list(it)
    a = parse_pattern(str(tmp_path / "a.####.exr"))
    b = parse_pattern(str(tmp_path / "b.####.exr"))
    assert a is not None and b is not None
    # One listing serves several patterns of the same folder.
    m = expand(a, scandir_entries=entries, with_stat=False)
    assert m.frames == [1, 2] and {mb.size for mb in m.members} == {-1}
    assert expand(b, scandir_entries=entries).frames == [1]


def test_expand_many_files_with_one_listing(tmp_path: Path) -> None:
    names = [f"img.{f:05d}.exr" for f in range(1, 5001)]
    _touch(tmp_path, *names, size=0)
    p = parse_pattern(str(tmp_path / "img.#####.exr"))
    assert p is not None
    m = expand(p, (1, 5000), with_stat=False)
    assert len(m.members) == 5000 and m.missing == [] and m.frames == list(range(1, 5001))


def test_frame_lists() -> None:
    assert compact([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 17, 18, 19, 20]) == "1-10,12,14-20"
    assert compact([5, 3, 3, 4, -2, -1]) == "-2--1,3-5"
    assert compact([]) == ""
    assert parse_frames("1-10,12,14-20") == list(range(1, 11)) + [12] + list(range(14, 21))
    assert parse_frames(" 1-10x3, 2 ") == [1, 2, 4, 7, 10]
    assert parse_frames("1-5:2") == [1, 3, 5]
    assert parse_frames("-5--3,-1") == [-5, -4, -3, -1]
    assert parse_frames("") == []
    for bad in ["10-1", "a", "1-", "1-5x0", "1..5", f"0-{MAX_FRAMES}"]:
        with pytest.raises(PatternError):
            parse_frames(bad)
    assert contiguous_runs([3, 1, 2, 7, 9, 8, 20]) == [(1, 3), (7, 9), (20, 20)]
    assert contiguous_runs([]) == []
    frames = [1, 2, 3, 7, 8, 100]
    assert parse_frames(compact(frames)) == frames


def test_pattern_is_a_plain_value() -> None:
    p = SequencePattern("/r", "img.", ".exr", TokenKind.HASH, 4, "####")
    assert p == parse_pattern("/r/img.####.exr")
    assert p.name == "img.####.exr" and not p.is_tile


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(token=st.sampled_from(["#", "##", "####", "%d", "%03d", "%06d", "$F", "$F4", "{frame}", "{frame:05d}"]),
       frame=st.integers(-10**6, 10**7), other=st.integers(-10**6, 10**7))
def test_format_match_round_trip(token: str, frame: int, other: int) -> None:
    p = parse_pattern(f"/r/shot_v2.{token}.exr")
    assert p is not None
    assert p.match(p.format(frame)) == frame
    # Every frame has exactly one name: another frame never matches this frame's name.
    if other != frame:
        assert p.match(p.format(other)) != frame
