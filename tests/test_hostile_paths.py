"""A catalogue of hostile and awkward input: each case maps correctly or is refused clearly,
and no case produces a destination outside the upload root."""

from __future__ import annotations

import os
import unicodedata

import pytest
from projects import USER, geoscan_profile, tutorial_project, write

from vendor_publish import mapping, paths
from vendor_publish.errors import UnsafePathError
from vendor_publish.generic import collect_paths
from vendor_publish.models import CollectedItem, Collection, MappingKind, Role
from vendor_publish.planner import PlanContext, build_plan

UP = f"FROM_VENDORS/{USER}"
WIN_ROOT = "E:\\WORK\\GEOSCAN\\Production\\proj002"
WIN_PROJECT = WIN_ROOT + "\\FROM_VENDORS\\jennifer@gda.com"


def win_map(path, **kw):
    return mapping.map_path(path, project_root=WIN_PROJECT, upload_root=UP, share_local_root=WIN_ROOT, **kw)


def posix_map(path, **kw):
    return mapping.map_path(path, project_root="/work/proj", upload_root=UP, share_local_root=None, **kw)


MAPPED = [
    # (case id, mapper, local path, expected destination, expected kind)
    ("spaces", win_map, WIN_PROJECT + "\\my renders\\final shot.exr", f"{UP}/my renders/final shot.exr", MappingKind.UPLOAD_ROOT),
    ("unicode", posix_map, "/work/proj/tex/café_ø.png", f"{UP}/tex/café_ø.png", MappingKind.PROJECT),
    ("drive-letter-other-drive", win_map, "D:\\library\\wood.png", f"{UP}/_external/D/library/wood.png", MappingKind.EXTERNAL),
    ("drive-letter-lowercase", win_map, "e:\\work\\geoscan\\production\\proj002\\FROM_VENDORS\\jennifer@gda.com\\a.dat", f"{UP}/a.dat", MappingKind.UPLOAD_ROOT),
    ("upload-folder-other-case", win_map, WIN_ROOT + "\\from_vendors\\JENNIFER@GDA.COM\\out\\a.dat", f"{UP}/out/a.dat", MappingKind.UPLOAD_ROOT),
    ("unc", win_map, "\\\\srv\\lib\\a.png", f"{UP}/_external/UNC/srv/lib/a.png", MappingKind.EXTERNAL),
    ("long-path-prefix", win_map, "\\\\?\\" + WIN_PROJECT + "\\a.dat", f"{UP}/a.dat", MappingKind.UPLOAD_ROOT),
    ("long-path-unc-prefix", win_map, "\\\\?\\UNC\\srv\\lib\\a.png", f"{UP}/_external/UNC/srv/lib/a.png", MappingKind.EXTERNAL),
    ("forward-slash-windows", win_map, WIN_PROJECT.replace("\\", "/") + "/sub/a.dat", f"{UP}/sub/a.dat", MappingKind.UPLOAD_ROOT),
    ("mixed-separators", win_map, WIN_PROJECT + "/sub\\deeper/a.dat", f"{UP}/sub/deeper/a.dat", MappingKind.UPLOAD_ROOT),
    ("dotdot-inside", win_map, WIN_PROJECT + "\\sub\\..\\a.dat", f"{UP}/a.dat", MappingKind.UPLOAD_ROOT),
    ("dotdot-out-of-project", posix_map, "/work/proj/../other/a.png", f"{UP}/_external/work/other/a.png", MappingKind.EXTERNAL),
    ("prefix-not-parent-windows", win_map, WIN_PROJECT + "2\\a.dat", None, MappingKind.EXTERNAL),
    ("prefix-not-parent-posix", posix_map, "/work/proj2/a.dat", f"{UP}/_external/work/proj2/a.dat", MappingKind.EXTERNAL),
    ("dot-segments", posix_map, "/work/proj/./tex/./a.png", f"{UP}/tex/a.png", MappingKind.PROJECT),
    ("relative-to-project", posix_map, "tex/a.png", f"{UP}/tex/a.png", MappingKind.PROJECT),
    ("posix-absolute-elsewhere", posix_map, "/mnt/lib/a.png", f"{UP}/_external/mnt/lib/a.png", MappingKind.EXTERNAL),
    ("reserved-name-still-maps", win_map, WIN_PROJECT + "\\CON", f"{UP}/CON", MappingKind.UPLOAD_ROOT),
]


@pytest.mark.parametrize("case, mapper, local, expected, kind", MAPPED, ids=[m[0] for m in MAPPED])
def test_catalogue_maps(case, mapper, local, expected, kind):
    m = mapper(local)
    assert paths.is_under_root(m.destination, UP)
    assert paths.share_relative(m.destination) == m.destination
    if expected is not None:
        assert m.destination == expected
    assert m.kind is kind


REFUSED = [
    ("dotdot-above-drive-root", win_map, "C:\\..\\..\\Windows\\a.dll"),
    ("dotdot-above-posix-root", posix_map, "/../../etc/passwd"),
    ("drive-relative", win_map, "C:relative.png"),
    ("nul-character", posix_map, "/work/proj/a\x00b.png"),
    ("control-character", posix_map, "/work/proj/line\nbreak.png"),
    ("backslash-in-posix-name", posix_map, "/work/proj/a\\b.png"),
    ("incomplete-unc", win_map, "\\\\server"),
]


@pytest.mark.parametrize("case, mapper, local", REFUSED, ids=[r[0] for r in REFUSED])
def test_catalogue_refuses_clearly(case, mapper, local):
    with pytest.raises(UnsafePathError) as err:
        mapper(local)
    assert str(err.value)  # a message, naming what is wrong


@pytest.mark.parametrize("user, root", [
    ("Jane+Vendor@GDA.com", "FROM_VENDORS/Jane+Vendor@GDA.com"),
    ("jennifer@gda.com", "FROM_VENDORS/jennifer@gda.com"),
])
def test_email_with_plus_and_uppercase_keeps_its_spelling(user, root):
    assert mapping.upload_root_for("FROM_VENDORS/{user}", user) == root


@pytest.mark.parametrize("user", ["../../etc", "a/b@x.com", "a\\b@x.com"])
def test_user_cannot_steer_the_upload_root(user):
    with pytest.raises(UnsafePathError):
        mapping.upload_root_for("FROM_VENDORS/{user}", user)


@pytest.mark.parametrize("name, words", [
    ("CON", "reserves"), ("aux.txt", "reserves"), ("trailing.", "dot"), ("trailing ", "space"),
    ("a" * 300, "long"), ("what?.png", "does not allow"),
])
def test_unportable_names_are_named(name, words):
    issues = paths.portability_issues(f"{UP}/{name}")
    assert issues and any(words in i.lower() for i in issues), issues


def test_path_over_260_characters_is_warned():
    deep = "/".join(["folder_" + "x" * 20] * 12)
    assert any("260" in i for i in paths.portability_issues(f"{UP}/{deep}/file.exr"))


def test_nfc_and_nfd_and_case_only_collide():
    nfc = unicodedata.normalize("NFC", "café.png")
    nfd = unicodedata.normalize("NFD", "café.png")
    collisions = mapping.find_collisions([("/a/" + nfc, f"{UP}/{nfc}"), ("/b/" + nfd, f"{UP}/{nfd}"),
                                          ("/c/X.png", f"{UP}/X.png"), ("/d/x.png", f"{UP}/x.png")])
    assert len(collisions) == 2


# --- on real files, through the planner -------------------------------------------------------


@pytest.fixture
def proj(tmp_path):
    return tutorial_project(tmp_path / "production")


def plan_with(tmp_path, proj, items):
    ctx = PlanContext(profile=geoscan_profile(), user=USER, upload_root=UP, project_root=str(proj["work"]),
                      share_local_root=str(tmp_path / "production" / "proj002"), task="T", job_code="T_output")
    coll = Collection(host="test", project_file=str(proj["project"]),
                      items=[CollectedItem(path=str(proj["output"]), role=Role.OUTPUT), *items])
    plan = build_plan(coll, ctx)
    for e in plan.entries:
        for f in e.files():
            assert paths.is_under_root(f.destination, UP), f.destination
    return plan


def dep(path, **kw):
    return CollectedItem(path=str(path), role=Role.DEPENDENCY, **kw)


def codes(plan):
    return {f.code for f in plan.findings}


def test_symlink_inside_project_to_inside(tmp_path, proj):
    os.symlink(proj["asset"], proj["work"] / "link.dat")
    plan = plan_with(tmp_path, proj, [dep(proj["work"] / "link.dat")])
    assert not plan.blocked and any(e.destination == f"{UP}/link.dat" for e in plan.entries)


def test_symlink_inside_project_to_outside(tmp_path, proj):
    outside = write(tmp_path / "elsewhere" / "big.dat", "outside")
    os.symlink(outside, proj["work"] / "linked_out.dat")
    plan = plan_with(tmp_path, proj, [dep(proj["work"] / "linked_out.dat")])
    (e,) = [e for e in plan.entries if e.source.endswith("linked_out.dat")]
    assert e.destination == f"{UP}/linked_out.dat" and e.size == len("outside")


def test_dangling_symlink_is_missing(tmp_path, proj):
    os.symlink(tmp_path / "nowhere.dat", proj["work"] / "dangling.dat")
    assert "missing-file" in codes(plan_with(tmp_path, proj, [dep(proj["work"] / "dangling.dat")]))


def test_symlink_loop_is_a_finding_not_a_crash(tmp_path, proj):
    a, b = proj["work"] / "loop_a", proj["work"] / "loop_b"
    os.symlink(b, a)
    os.symlink(a, b)
    plan = plan_with(tmp_path, proj, [dep(a)])
    assert plan.blocked and codes(plan) & {"unreadable-file", "missing-file"}


def test_folder_with_symlinked_folder_loop_terminates(tmp_path, proj):
    folder = proj["work"] / "cache"
    write(folder / "a.bin")
    os.symlink(folder, folder / "again")
    plan = plan_with(tmp_path, proj, [dep(folder, is_dir=True)])
    assert "symlinked-folder" in codes(plan)
    (e,) = [e for e in plan.entries if e.source == str(folder)]
    assert e.members == ["a.bin"]


def test_directory_where_file_expected(tmp_path, proj):
    (proj["work"] / "scene.abc").mkdir()
    assert "folder-not-file" in codes(plan_with(tmp_path, proj, [dep(proj["work"] / "scene.abc")]))


def test_empty_dependency_warns(tmp_path, proj):
    empty = write(proj["work"] / "empty.dat", b"")
    plan = plan_with(tmp_path, proj, [dep(empty)])
    assert "empty-file" in codes(plan) and not plan.blocked


def test_missing_project_file(tmp_path, proj):
    proj["project"].unlink()
    assert "missing-file" in codes(plan_with(tmp_path, proj, []))


def test_sequence_with_gaps(tmp_path, proj):
    for f in (1, 2, 4):
        write(proj["work"] / "seq" / f"s.{f:04d}.exr")
    plan = plan_with(tmp_path, proj, [dep(proj["work"] / "seq" / "s.####.exr", frames=(1, 4))])
    assert plan.blocked and any("3" in f.message for f in plan.findings if f.path and "s.####" in f.path)


def test_zero_frame_range(tmp_path, proj):
    write(proj["work"] / "seq" / "s.0001.exr")
    plan = plan_with(tmp_path, proj, [dep(proj["work"] / "seq" / "s.####.exr", frames=(10, 1))])
    assert plan.blocked and "ends before it starts" in " ".join(f.message for f in plan.findings)


def test_huge_padding(tmp_path, proj):
    plan = plan_with(tmp_path, proj, [dep(proj["work"] / "seq" / "s.%099d.exr")])
    assert plan.blocked and any("99-digit" in f.message for f in plan.findings)


def test_absurd_frame_range(tmp_path, proj):
    plan = plan_with(tmp_path, proj, [dep(proj["work"] / "seq" / "s.####.exr", frames=(0, 100_000_000))])
    assert plan.blocked


def test_two_frame_tokens(tmp_path, proj):
    plan = plan_with(tmp_path, proj, [dep(proj["work"] / "seq" / "s.####.%04d.exr")])
    assert "unsafe-path" in codes(plan) and plan.blocked


def test_real_file_with_hash_in_its_name_is_a_file(tmp_path, proj):
    odd = write(proj["work"] / "notes#1.txt", "n")
    plan = plan_with(tmp_path, proj, [dep(odd)])
    assert not plan.blocked and any(e.destination == f"{UP}/notes#1.txt" for e in plan.entries)


def test_glob_matching_nothing(tmp_path, proj):
    coll = collect_paths(str(proj["project"]), dependencies=[str(proj["work"] / "*.nothing")])
    assert any(f.code == "glob-no-match" for f in coll.findings)


def test_case_only_collision_on_disk(tmp_path, proj):
    a = write(tmp_path / "ext" / "Wood.png", "a")
    b = write(tmp_path / "ext" / "wood.png", "b")
    if os.path.samefile(a, b):
        pytest.skip("case-insensitive file system")
    assert "destination-collision" in codes(plan_with(tmp_path, proj, [dep(a), dep(b)]))


def test_unicode_and_spaces_on_disk(tmp_path, proj):
    f = write(proj["work"] / "Präsentation Ørsted" / "naïve file.dat", "u")
    plan = plan_with(tmp_path, proj, [dep(f)])
    assert not plan.blocked
    assert any(e.destination == f"{UP}/Präsentation Ørsted/naïve file.dat" for e in plan.entries)


def test_control_character_in_name_on_disk(tmp_path, proj):
    f = write(proj["work"] / "bad\nname.dat", "x")
    plan = plan_with(tmp_path, proj, [dep(f)])
    assert "unsafe-path" in codes(plan) and plan.blocked
