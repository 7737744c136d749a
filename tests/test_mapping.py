from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vendor_publish.errors import UnsafePathError
from vendor_publish.mapping import Mapped, Mapper, find_collisions, map_path, upload_root_for
from vendor_publish.models import MappingKind
from vendor_publish.paths import is_under_root, share_relative

TUTORIAL_PROJECT = r"E:\WORK\GEOSCAN\Production\proj002"
UPLOAD = "FROM_VENDORS/jennifer@gda.com"
TUTORIAL_FILES = [
    (r"FROM_VENDORS\jennifer@gda.com\cleaned_set.dat", "cleaned_set.dat"),
    (r"FROM_VENDORS\jennifer@gda.com\proj002_DATASET_001_1203.analyze", "proj002_DATASET_001_1203.analyze"),
    (r"FROM_VENDORS\jennifer@gda.com\output\proj002_DATASET_001_1203_exported.dat",
     "output/proj002_DATASET_001_1203_exported.dat"),
]


@pytest.mark.parametrize("share_local_root", [TUTORIAL_PROJECT, None])
@pytest.mark.parametrize("relative, below", TUTORIAL_FILES)
def test_tutorial_layout(share_local_root: str | None, relative: str, below: str) -> None:
    mapper = Mapper(TUTORIAL_PROJECT, UPLOAD, share_local_root=share_local_root)
    expected = Mapped(f"{UPLOAD}/{below}", MappingKind.UPLOAD_ROOT, below)
    # As the tutorial lists them (relative to the project folder) and as full paths.
    assert mapper.map(relative) == expected
    assert mapper.map(TUTORIAL_PROJECT + "\\" + relative) == expected
    # Windows compares case-insensitively; the destination keeps the canonical upload root.
    assert mapper.map(TUTORIAL_PROJECT.lower() + "\\from_vendors\\JENNIFER@GDA.COM\\" + below) == expected


def test_share_local_root_from_volume_path() -> None:
    # ACCSYN_PRODUCTION_PATH=E:\WORK\GEOSCAN\Production and the share's path proj002.
    mapper = Mapper(r"D:\jobs\geoscan\analysis", UPLOAD, share_local_root=r"E:\WORK\GEOSCAN\Production\proj002")
    assert mapper.map(r"E:\WORK\GEOSCAN\Production\proj002\FROM_VENDORS\jennifer@gda.com\out\a.dat") == Mapped(
        f"{UPLOAD}/out/a.dat", MappingKind.UPLOAD_ROOT, "out/a.dat")
    assert mapper.map(r"D:\jobs\geoscan\analysis\cache\b.dat") == Mapped(
        f"{UPLOAD}/cache/b.dat", MappingKind.PROJECT, "cache/b.dat")
    # Read-only source material elsewhere on the share goes to the externals folder ...
    ext = mapper.map(r"E:\WORK\GEOSCAN\Production\proj002\DATASET_001_1203\set.dat")
    assert ext.kind is MappingKind.EXTERNAL
    assert ext.destination == f"{UPLOAD}/_external/E/WORK/GEOSCAN/Production/proj002/DATASET_001_1203/set.dat"
    # ... and the planner can tell it is already at the studio.
    assert mapper.share_path(r"E:\WORK\GEOSCAN\Production\proj002\DATASET_001_1203\set.dat") == \
        "DATASET_001_1203/set.dat"
    assert mapper.share_path(r"D:\jobs\x.dat") is None
    assert Mapper("/p", UPLOAD).share_path("/p/x") is None


def test_project_root_inside_upload_root_agrees_with_rule_a() -> None:
    share = r"E:\WORK\GEOSCAN\Production\proj002"
    inside = share + r"\FROM_VENDORS\jennifer@gda.com\analysis"
    with_share = Mapper(inside, UPLOAD, share_local_root=share)
    got = with_share.map(inside + r"\scene.analyze")
    assert got == Mapped(f"{UPLOAD}/analysis/scene.analyze", MappingKind.UPLOAD_ROOT, "analysis/scene.analyze")
    # A project folder that is exactly the local upload folder gives the same answer either way.
    exact = share + r"\FROM_VENDORS\jennifer@gda.com"
    a = Mapper(exact, UPLOAD, share_local_root=share).map(exact + r"\out\x.dat")
    b = Mapper(exact, UPLOAD).map(exact + r"\out\x.dat")
    assert a.destination == b.destination == f"{UPLOAD}/out/x.dat"


def test_project_layout_and_boundaries() -> None:
    mapper = Mapper("C:/proj", UPLOAD)
    assert mapper.map(r"C:\proj\tex\wood.png") == Mapped(f"{UPLOAD}/tex/wood.png", MappingKind.PROJECT, "tex/wood.png")
    assert mapper.map(r"c:\PROJ\Tex\Wood.png").destination == f"{UPLOAD}/Tex/Wood.png"
    # C:/proj2 is not inside C:/proj.
    assert mapper.map(r"C:\proj2\a.png") == Mapped(
        f"{UPLOAD}/_external/C/proj2/a.png", MappingKind.EXTERNAL, "_external/C/proj2/a.png")
    # A folder merely named like the upload root's first part is still project layout.
    assert mapper.map(r"C:\proj\FROM_VENDORS\other@x.com\a.png").kind is MappingKind.PROJECT


@pytest.mark.parametrize(
    "local, below",
    [
        (r"C:\tex\wood.png", "_external/C/tex/wood.png"),
        (r"c:\tex\wood.png", "_external/C/tex/wood.png"),
        (r"\\srv\lib\a.png", "_external/UNC/srv/lib/a.png"),
        ("//srv/lib/a.png", "_external/UNC/srv/lib/a.png"),
        (r"\\?\UNC\srv\lib\a.png", "_external/UNC/srv/lib/a.png"),
        (r"\\?\D:\very\long\a.png", "_external/D/very/long/a.png"),
        ("/mnt/lib/a.png", "_external/mnt/lib/a.png"),
        ("/mnt/lib/../lib2/a b.png", "_external/mnt/lib2/a b.png"),
    ],
)
def test_externals(local: str, below: str) -> None:
    got = map_path(local, project_root=r"E:\proj", upload_root=UPLOAD)
    assert got == Mapped(f"{UPLOAD}/{below}", MappingKind.EXTERNAL, below)


def test_externals_dir_name_and_posix_project() -> None:
    mapper = Mapper("/home/v/proj", UPLOAD, externals_dir="deps")
    assert mapper.map("/home/v/proj/a/b.usd").destination == f"{UPLOAD}/a/b.usd"
    assert mapper.map("/home/v/project/b.usd").destination == f"{UPLOAD}/deps/home/v/project/b.usd"
    assert mapper.map(r"sub\b.usd").destination == f"{UPLOAD}/sub/b.usd"
    with pytest.raises(UnsafePathError):
        Mapper("/p", UPLOAD, externals_dir="a/b")
    with pytest.raises(UnsafePathError):
        Mapper("/p", UPLOAD, externals_dir="..")


@pytest.mark.parametrize(
    "local",
    [
        r"a/..\..\..\b",
        r"..\..\..\..\..\x",
        "C:foo",
        r"\\?\Volume{d2f1}\x.png",
        r"\\.\pipe\x",
        r"\\srv",
        r"E:\proj\..\..\..\x",
        "/a/../../x",
    ],
)
def test_unsafe_inputs_are_refused(local: str) -> None:
    with pytest.raises(UnsafePathError):
        Mapper(r"E:\proj", UPLOAD).map(local)


def test_separator_tricks_stay_inside() -> None:
    mapper = Mapper(r"E:\proj", UPLOAD)
    got = mapper.map(r"a/..\b/./c\..\d.png")
    assert got.destination == f"{UPLOAD}/b/d.png"
    # A Windows-style relative reference becomes segments under a POSIX project ...
    posix = Mapper("/proj", UPLOAD)
    assert posix.map("sub\\a.png").destination == f"{UPLOAD}/sub/a.png"
    # ... but a POSIX file whose name holds a backslash is refused, never uploaded as 'a\b'.
    for name in ["/proj/a\\b.png", PurePosixPath("/proj/a\\b.png")]:
        with pytest.raises(UnsafePathError) as info:
            posix.map(name)
        assert "backslash" in str(info.value)


def test_file_cannot_be_the_upload_root_itself_but_folder_can() -> None:
    mapper = Mapper(r"E:\proj", UPLOAD)
    with pytest.raises(UnsafePathError):
        mapper.map(r"E:\proj")
    assert mapper.map(r"E:\proj", is_dir=True) == Mapped(UPLOAD, MappingKind.PROJECT, "")
    assert mapper.map(r"E:\proj\renders", is_dir=True).destination == f"{UPLOAD}/renders"


def test_map_pattern() -> None:
    mapper = Mapper(r"E:\proj", UPLOAD)
    assert mapper.map_pattern(r"E:\proj\renders\img.####.exr") == Mapped(
        f"{UPLOAD}/renders/img.####.exr", MappingKind.PROJECT, "renders/img.####.exr")
    assert mapper.map_pattern(r"C:\tex\wood.<UDIM>.png").destination == f"{UPLOAD}/_external/C/tex/wood.<UDIM>.png"
    assert mapper.map_pattern(r"C:\wood.$F4.bgeo").destination == f"{UPLOAD}/_external/C/wood.$F4.bgeo"
    assert mapper.map_pattern("img.%04d.exr").destination == f"{UPLOAD}/img.%04d.exr"
    with pytest.raises(UnsafePathError):
        mapper.map_pattern(r"E:\proj\renders" + "\\")


def test_roots_must_be_absolute_and_valid() -> None:
    with pytest.raises(UnsafePathError):
        Mapper("relative/proj", UPLOAD)
    with pytest.raises(UnsafePathError):
        Mapper("/proj", "../x")
    with pytest.raises(UnsafePathError):
        Mapper("/proj", UPLOAD, share_local_root="share")
    assert Mapper("/proj", "\\FROM_VENDORS\\x@y.com\\").upload_root == "FROM_VENDORS/x@y.com"


def test_upload_root_for() -> None:
    assert upload_root_for("FROM_VENDORS/{user}", "Jennifer+Work@GDA.com") == "FROM_VENDORS/Jennifer+Work@GDA.com"
    assert upload_root_for("FROM_VENDORS\\{user}", "jennifer@gda.com") == "FROM_VENDORS/jennifer@gda.com"
    assert upload_root_for("/incoming/{user}/", "a@b.c") == "incoming/a@b.c"
    assert upload_root_for("FROM_VENDORS/shared", "a@b.c") == "FROM_VENDORS/shared"
    for user in ["", "a/b@c", "..\\x", ".."]:
        with pytest.raises(UnsafePathError):
            upload_root_for("FROM_VENDORS/{user}", user)
    with pytest.raises(UnsafePathError):
        upload_root_for("FROM_VENDORS/../{user}", "a@b.c")


def test_find_collisions() -> None:
    pairs = [
        ("/p/Tex/a.png", f"{UPLOAD}/Tex/a.png"),
        ("/p/tex/a.png", f"{UPLOAD}/tex/a.png"),
        ("/p/caf\u00e9.png", f"{UPLOAD}/caf\u00e9.png"),
        ("/p/cafe\u0301.png", f"{UPLOAD}/cafe\u0301.png"),
        ("/p/unique.png", f"{UPLOAD}/unique.png"),
        ("/p/same.png", f"{UPLOAD}/same.png"),
        ("/p/same.png", f"{UPLOAD}/same.png"),
        # One Windows file spelled in two cases is one source, not a collision.
        (r"C:\tex\x.png", f"{UPLOAD}/_external/C/tex/x.png"),
        (r"c:\TEX\x.png", f"{UPLOAD}/_external/C/TEX/x.png"),
    ]
    got = find_collisions(pairs)
    assert got == [
        (f"{UPLOAD}/Tex/a.png", ["/p/Tex/a.png", "/p/tex/a.png"]),
        (f"{UPLOAD}/caf\u00e9.png", ["/p/cafe\u0301.png", "/p/caf\u00e9.png"]),
    ]
    assert find_collisions([]) == []


def test_external_and_project_paths_can_collide_and_are_reported() -> None:
    mapper = Mapper("/proj", UPLOAD)
    a = mapper.map("/proj/_external/mnt/a.png")
    b = mapper.map("/mnt/a.png")
    assert a.destination == b.destination
    assert find_collisions([("/proj/_external/mnt/a.png", a.destination), ("/mnt/a.png", b.destination)])


# --- property: nothing ever escapes the upload root -------------------------------------------

_ANCHORS = [
    "", "C:\\", "c:/", "Z:\\", "\\\\srv\\share\\", "//srv/share/", "\\\\?\\C:\\", "\\\\?\\UNC\\srv\\sh\\",
    "\\\\.\\D:\\", "/", "C:", "\\", "\\\\?\\Volume{1}\\", "\\\\srv\\", "//", "E:\\WORK\\GEOSCAN\\Production\\proj002\\",
    "/home/v/proj/", "E:\\proj\\", "\\\\?\\",
]
_SEGMENTS = st.one_of(
    st.sampled_from([
        "..", ".", "...", ".. ", "a", "FROM_VENDORS", "jennifer@gda.com", "Jennifer@GDA.com", "_external",
        "name.", "name ", " ", "CON", "a b", "x:y", "C:", "c:x", "é", "e\u0301", "日本", "tex", "UNC", "?",
        "proj", "proj2", "a\x00b", "\t", "~", "%04d", "####", "<UDIM>",
    ]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8),
)
_SEPARATORS = st.sampled_from(["/", "\\", "//", "\\\\", "/./", "\\..\\"])


@st.composite
def local_paths(draw: st.DrawFn) -> str:
    anchor = draw(st.sampled_from(_ANCHORS))
    segments = draw(st.lists(_SEGMENTS, min_size=0, max_size=7))
    out = anchor
    for i, seg in enumerate(segments):
        out += seg if i == 0 else draw(_SEPARATORS) + seg
    return out


_PROJECTS = [r"E:\proj", r"E:\WORK\GEOSCAN\Production\proj002", "/home/v/proj", r"\\srv\share\proj",
             r"E:\WORK\GEOSCAN\Production\proj002\FROM_VENDORS\jennifer@gda.com"]
_SHARES = [None, r"E:\WORK\GEOSCAN\Production\proj002", "/mnt/studio/proj002", r"\\srv\share"]
_UPLOADS = [UPLOAD, "FROM_VENDORS/Jennifer+x@GDA.com", "in", "a/b/c"]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=local_paths(),
    project=st.sampled_from(_PROJECTS),
    share=st.sampled_from(_SHARES),
    upload=st.sampled_from(_UPLOADS),
    is_dir=st.booleans(),
    as_pattern=st.booleans(),
)
def test_no_destination_escapes_the_upload_root(
    path: str, project: str, share: str | None, upload: str, is_dir: bool, as_pattern: bool
) -> None:
    mapper = Mapper(project, upload, share_local_root=share)
    try:
        got = mapper.map_pattern(path) if as_pattern else mapper.map(path, is_dir=is_dir)
    except UnsafePathError:
        return
    dest = got.destination
    assert share_relative(dest) == dest
    assert is_under_root(dest, upload)
    assert dest == upload or dest.startswith(upload + "/")
    assert dest == (f"{upload}/{got.relative}" if got.relative else upload)
    segments = dest.split("/")
    assert ".." not in segments and "." not in segments and "" not in segments
    assert not any("\\" in s or "\x00" in s for s in segments)
    if not (is_dir or as_pattern):
        assert got.relative != ""


@settings(max_examples=500, deadline=None)
@given(segments=st.lists(st.text(alphabet="abcXYZ é._-", min_size=1, max_size=6)
                         .filter(lambda s: s.strip(" .") != "" and s[-1] not in " ."), min_size=1, max_size=5))
def test_project_files_keep_their_layout(segments: list[str]) -> None:
    got = Mapper(r"E:\proj", UPLOAD).map("E:\\proj\\" + "\\".join(segments))
    assert got.kind is MappingKind.PROJECT
    assert got.relative == "/".join(segments)



@given(
    folder=st.sampled_from(["/work/share/proj002/FROM_VENDORS/jennifer@gda.com/tex", "/work/proj", "/work/proj/a b",
                            "/work/share/proj002/FROM_VENDORS/jennifer@gda.com", "/elsewhere/lib", "/",
                            "/work/proj/FROM_VENDORS/jennifer@gda.com/x"]),
    name=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=12),
)
@settings(max_examples=400, deadline=None)
def test_folder_cache_gives_the_full_mapping_answer(folder, name):
    # Mapper.map takes a per-folder shortcut for plain names; it must agree with the full mapping.
    mapper = Mapper("/work/proj", "FROM_VENDORS/jennifer@gda.com", "/work/share/proj002")
    path = folder.rstrip("/") + "/" + name
    try:
        slow = mapper._map(path)
    except UnsafePathError:
        slow = None
    try:
        fast = mapper.map(path)
    except UnsafePathError:
        fast = None
    assert fast == slow


SEGMENT = st.sampled_from(["proj002", "FROM_VENDORS", "from_vendors", "j@x.com", "J@X.com", "tex", "a b", "x",
                           "layer1", "é", "..", ".", "c:"])


@given(files=st.lists(st.lists(SEGMENT, min_size=1, max_size=6), min_size=1, max_size=12),
       project=st.sampled_from(["/s", "/s/proj002", "/s/proj002/FROM_VENDORS", "/s/proj002/FROM_VENDORS/j@x.com",
                                "/s/proj002/FROM_VENDORS/j@x.com/tex", "/elsewhere"]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_folders_mapped_from_their_parent_agree_with_the_full_rule(files: list[list[str]], project: str) -> None:
    # map() remembers folders and maps a plain-named child of a folder inside the upload root
    # by appending its name; the full rule on each path alone must give the same answer.
    fast = Mapper(project, "FROM_VENDORS/j@x.com", "/s/proj002")
    for segments in files:
        path = "/".join(["/s/proj002", *segments, "f.exr"])
        try:
            expected = Mapper(project, "FROM_VENDORS/j@x.com", "/s/proj002")._map(path)
        except UnsafePathError:
            with pytest.raises(UnsafePathError):
                fast.map(path)
            continue
        assert fast.map(path) == expected, path
