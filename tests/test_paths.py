from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from vendor_publish.errors import UnsafePathError
from vendor_publish.paths import (
    is_under_root,
    is_within,
    looks_windows,
    parse_local,
    portability_issues,
    relative_parts,
    share_relative,
    split_name,
    unicode_key,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (r"C:\proj\a.ma", PureWindowsPath("C:/proj/a.ma")),
        ("C:/proj/a.ma", PureWindowsPath("C:/proj/a.ma")),
        (r"c:\proj/sub\.\a.ma", PureWindowsPath("c:/proj/sub/a.ma")),
        (r"\\srv\lib\tex\a.png", PureWindowsPath(r"\\srv\lib\tex\a.png")),
        ("//srv/lib/a.png", PureWindowsPath(r"\\srv\lib\a.png")),
        (r"\\?\C:\very\long\a.png", PureWindowsPath("C:/very/long/a.png")),
        (r"\\?\UNC\srv\lib\a.png", PureWindowsPath(r"\\srv\lib\a.png")),
        (r"\\.\D:\x", PureWindowsPath("D:/x")),
        (r"C:\proj\a\..\b\.\c.ma", PureWindowsPath("C:/proj/b/c.ma")),
        ("/mnt/lib/./x/../a.png", PurePosixPath("/mnt/lib/a.png")),
        ("rel/x/../a.png", PurePosixPath("rel/a.png")),
        (r"rel\a.png", PureWindowsPath("rel/a.png")),
    ],
)
def test_parse_local(raw: str, expected: object) -> None:
    got = parse_local(raw)
    assert type(got) is type(expected)
    assert got == expected


@pytest.mark.parametrize(
    "raw",
    [
        r"C:\..",
        r"C:\proj\..\..\x",
        "/a/../../etc/passwd",
        r"\\srv\share\..\other",
        "../x",
        "C:foo",
        r"D:..\x",
        r"\\srv",
        r"\\srv\\",
        r"\\?\Volume{0123}\x",
        r"\\.\pipe\name",
        "/a/b\x00c",
    ],
)
def test_parse_local_refuses(raw: str) -> None:
    with pytest.raises(UnsafePathError) as info:
        parse_local(raw)
    assert repr(raw) in str(info.value) or raw in str(info.value) or "NUL" in str(info.value)


def test_parse_local_relative_to_base() -> None:
    assert parse_local(r"tex\a.png", base=r"E:\proj") == PureWindowsPath("E:/proj/tex/a.png")
    assert parse_local("../lib/a.png", base=r"E:\proj\scenes") == PureWindowsPath("E:/proj/lib/a.png")
    # A Windows project's relative reference opened on a POSIX machine becomes segments.
    assert parse_local(r"tex\a.png", base="/home/v/proj") == PurePosixPath("/home/v/proj/tex/a.png")
    # A rooted path without drive lands on the base's drive, as Windows would place it.
    assert parse_local(r"\lib\a.png", base=r"E:\proj") == PureWindowsPath("E:/lib/a.png")
    # An absolute path of the other flavour ignores the base.
    assert parse_local("/mnt/a.png", base=r"E:\proj") == PurePosixPath("/mnt/a.png")
    with pytest.raises(UnsafePathError):
        parse_local(r"\lib\a.png", base="/home/v/proj")
    with pytest.raises(UnsafePathError):
        parse_local(r"..\..\..\x", base=r"E:\proj")


def test_parse_local_forced_flavour() -> None:
    assert parse_local("//a/b", flavour="posix") == PurePosixPath("/a/b")
    assert isinstance(parse_local("/a/b", flavour="windows"), PureWindowsPath)


def test_looks_windows() -> None:
    assert looks_windows(r"C:\x") and looks_windows("c:/x") and looks_windows(r"\\srv\s")
    assert looks_windows("//srv/s") and looks_windows(r"a\b")
    assert not looks_windows("/mnt/x\\y") and not looks_windows("/mnt/x") and not looks_windows("a/b") and not looks_windows("///x")


def test_is_within_boundaries_and_case() -> None:
    assert not is_within("C:/proj2/a", "C:/proj")
    assert not is_within("/proj2/a", "/proj")
    assert is_within(r"c:\PROJ\a", "C:/proj")
    assert is_within(r"\\SRV\Lib\a.png", r"\\srv\lib")
    assert not is_within(r"\\srv\lib2\a.png", r"\\srv\lib")
    assert not is_within(r"\\srv2\lib\a.png", r"\\srv\lib")
    assert is_within("/a/b/c", "/a/b")
    assert not is_within("/a/B/c", "/a/b")  # POSIX is case-sensitive
    assert is_within("C:/proj", "C:/proj")
    assert not is_within("D:/proj/a", "C:/proj")
    assert is_within(r"\\?\C:\proj\a", "C:/proj")
    assert not is_within("C:/proj/../other", "C:/proj")
    # Mixed flavours are never within each other.
    assert not is_within("/C/proj/a", "C:/proj")
    assert not is_within("C:/proj/a", "/")
    # An unparseable path is not within anything.
    assert not is_within("C:/..", "C:/")


def test_relative_parts() -> None:
    assert relative_parts(r"c:\Proj\Sub\A.png", "C:/proj") == ("Sub", "A.png")
    assert relative_parts("/a/b", "/a/b") == ()
    with pytest.raises(UnsafePathError):
        relative_parts("/a/bc", "/a/b")


def test_share_relative_accepts_plain_paths() -> None:
    assert share_relative("FROM_VENDORS/jennifer@gda.com", "tex/a b.png") == "FROM_VENDORS/jennifer@gda.com/tex/a b.png"
    assert share_relative("a", "img.####.exr") == "a/img.####.exr"
    assert share_relative("a", ".hidden", "x...y") == "a/.hidden/x...y"


@pytest.mark.parametrize(
    "parts, why",
    [
        (("",), "empty"),
        (("a", ""), "empty"),
        (("a//b",), "empty"),
        (("a/",), "empty"),
        (("/a",), "absolute"),
        (("a", "/b"), "empty"),
        (("a/./b",), "dots"),
        (("a/../b",), "dots"),
        (("..",), "dots"),
        (("a", "...",), "dots"),
        (("a", ".. "), "dots"),
        (("C:/a",), "drive"),
        (("a", "c:x"), "drive"),
        ((r"a\b",), "backslash"),
        (("a", "b\x00"), "control"),
        (("a", "b\nc"), "control"),
        ((), "empty"),
    ],
)
def test_share_relative_refuses(parts: tuple[str, ...], why: str) -> None:
    with pytest.raises(UnsafePathError) as info:
        share_relative(*parts)
    assert why in str(info.value)
    assert info.value.hint


def test_is_under_root() -> None:
    root = "FROM_VENDORS/jennifer@gda.com"
    assert is_under_root("FROM_VENDORS/jennifer@gda.com/a.dat", root)
    assert is_under_root("from_vendors/Jennifer@GDA.com/a.dat", root)
    assert is_under_root(root, root)
    assert not is_under_root("FROM_VENDORS/jennifer@gda.com2/a.dat", root)
    assert not is_under_root("FROM_VENDORS/jennifer@gda.co", root)
    assert not is_under_root("FROM_VENDORS/jennifer@gda.com/../x", root)
    assert not is_under_root("/FROM_VENDORS/jennifer@gda.com/x", root)
    assert not is_under_root(r"FROM_VENDORS/jennifer@gda.com\..\x", root)
    assert not is_under_root("TO_VENDORS/a", root)
    # NFD spelling of the same root still counts.
    assert is_under_root("FROM_VENDORS/jose\u0301/a", "FROM_VENDORS/jos\u00e9")


def test_portability_issues() -> None:
    assert portability_issues("FROM_VENDORS/j@x.com/tex/wood.png") == []
    for name in ["CON", "con.txt", "Nul.tar.gz", "COM1", "lpt9.log", "aux"]:
        issues = portability_issues(name)
        assert any("reserves" in i for i in issues), name
    assert portability_issues("CONSOLE.txt") == []
    assert portability_issues("COM10") == []
    assert any("dot or a space" in i for i in portability_issues("a/name."))
    assert any("dot or a space" in i for i in portability_issues("name /b"))
    bad = portability_issues('a<b>:c"|?*.png')
    assert len(bad) == 1 and all(c in bad[0] for c in '<>:"|?*')
    assert any("bytes" in i for i in portability_issues("é" * 128))
    assert not any("bytes" in i for i in portability_issues("e" * 255))
    long_path = "/".join(["d" * 50] * 6)
    assert any("characters long" in i for i in portability_issues(long_path))
    assert portability_issues("a/b", studio_root="\\\\alpha\\production\\" + "x" * 250)


def test_unicode_key() -> None:
    assert unicode_key("Caf\u00e9/A.png") == unicode_key("cafe\u0301/a.PNG")
    assert unicode_key("a/b") != unicode_key("a/c")


def test_split_name() -> None:
    assert split_name("img.exr") == ("", "img.exr")
    assert split_name("/img.exr") == ("/", "img.exr")
    assert split_name(r"C:\img.exr") == ("C:\\", "img.exr")
    assert split_name(r"C:\r/img.exr") == ("C:\\r", "img.exr")
    assert split_name("/r/a\\b.exr") == ("/r", "a\\b.exr")  # a POSIX name holding a backslash
    assert split_name("r/a\\b.exr") == ("r/a", "b.exr")  # backslash makes it read as Windows


# --- properties ------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00/\\:"), min_size=1, max_size=8) \
    .filter(lambda s: s not in (".", ".."))
_ROOTS = st.sampled_from([r"C:\proj", r"c:\Proj\sub", r"\\srv\share\proj", "/home/v/proj", "/"])


@settings(max_examples=400, deadline=None)
@given(root=_ROOTS, names=st.lists(_NAMES, min_size=1, max_size=4), tail=_NAMES)
def test_within_is_component_wise(root: str, names: list[str], tail: str) -> None:
    sep = "/" if root.startswith("/") else "\\"
    inside = root.rstrip(sep) + sep + sep.join(names)
    assert is_within(inside, root)
    assert relative_parts(inside, root) == tuple(parse_local(inside).parts[len(parse_local(root).parts):])
    if root != "/":
        # A sibling whose name merely starts with the root's last name is outside.
        sibling = root + tail + sep + names[0]
        assert not is_within(sibling, root)


@settings(max_examples=400, deadline=None)
@given(raw=st.lists(st.sampled_from(["a", "b", "..", ".", "", "é"]), max_size=8), windows=st.booleans())
def test_parse_local_never_keeps_dotdot(raw: list[str], windows: bool) -> None:
    path = ("C:\\" if windows else "/") + ("\\" if windows else "/").join(raw)
    try:
        parsed = parse_local(path)
    except UnsafePathError:
        if path.startswith("//"):
            return  # read as a UNC path, refused when it lacks a server or share
        depth = 0
        for part in raw:
            depth += -1 if part == ".." else (1 if part not in (".", "") else 0)
            if depth < 0:
                return
        raise
    assert ".." not in parsed.parts and "." not in parsed.parts and parsed.is_absolute()
