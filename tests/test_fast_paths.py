"""The plan's fast paths agree with the exact per-file checks they stand in for."""

from __future__ import annotations

import fnmatch
import os

from hypothesis import given, settings
from hypothesis import strategies as st
from projects import USER, geoscan_profile, write

from vendor_publish import sequence_columns, sequences, validation
from vendor_publish.listing_cache import ListingCache
from vendor_publish.models import CollectedItem, Collection, EntryKind, MappingKind, Plan, PlanEntry, Role
from vendor_publish.paths import plain_name, portability_issues
from vendor_publish.planner import PlanContext, build_plan

NAME_CHARS = st.sampled_from(list("aCcOoNnUuXxLlPpTt1259 ./<:é|?*_-") + ["COM", "lpt", "nul"])


@given(st.lists(NAME_CHARS, min_size=1, max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
def test_plain_name_only_when_no_segment_issue(name: str) -> None:
    if plain_name(name):
        issues = [i for i in portability_issues(name) if "characters long" not in i]
        assert issues == [], (name, issues)


def test_plain_name_long_segment_and_reserved() -> None:
    assert plain_name("e" * 255) and not plain_name("e" * 256) and not plain_name("a/" + "e" * 256)
    assert not plain_name("x/CON .txt") and not plain_name("aux") and plain_name("CONSOLE.txt")
    assert not plain_name("a./b") and not plain_name("a/b ") and plain_name("a//b")


FRAME_TEXT = st.one_of(
    st.integers(min_value=0, max_value=3000).map(lambda f: f"{f:04d}"),
    st.integers(min_value=998, max_value=1012).map(lambda f: f"{f:04d}"),  # gapless runs, UDIM's edge
    st.integers(min_value=0, max_value=3000).map(str),
    st.integers(min_value=-20, max_value=-1).map(lambda f: f"{f:04d}"),
    st.sampled_from(["", "x", "0", "00001", "١٠٠١", "10a"]),
)


@given(texts=st.lists(FRAME_TEXT, max_size=25, unique=True), folders=st.integers(0, 3),
       token=st.sampled_from(["####", "%04d", "<UDIM>", "#", "$F2"]), upper=st.booleans(),
       case_sensitive=st.booleans(), frames=st.sampled_from([None, (1000, 1050), (-5, 5)]))
@settings(max_examples=120, deadline=None)
def test_listing_matched_in_passes_equals_one_by_one(tmp_path_factory, texts, folders, token, upper,
                                                     case_sensitive, frames) -> None:
    root = tmp_path_factory.mktemp("seq")
    pattern = sequences.parse_pattern(str(root / f"img.{token}.exr"))
    for i, text in enumerate(texts):
        name = f"{'IMG' if upper and i % 2 else 'img'}.{text}.exr"
        (root / name).mkdir() if i < folders else (root / name).write_bytes(b"x" * i)
    entries = list(os.scandir(root))
    for with_stat in (True, False):
        fast = sequences._match_members(pattern, entries, frames, case_sensitive, with_stat)
        slow = sequences._match_members_one_by_one(pattern, entries, frames, case_sensitive, with_stat)
        assert (sorted(m[:5] for m in fast[0]), fast[1], fast[2]) == (
            sorted(m[:5] for m in slow[0]), slow[1], slow[2])


def test_collision_found_among_many_files_names_both_sources(tmp_path) -> None:
    work = tmp_path / "proj002" / "FROM_VENDORS" / USER
    project = write(work / "p.analyze", "v1")
    for frame in range(1, 301):
        write(work / "seq" / f"shot.{frame:04d}.exr", f"{frame}")
    other = write(work / "seq" / "SHOT.0007.exr", "clash")
    coll = Collection(host="test", project_file=str(project), items=[
        CollectedItem(path=str(work / "seq" / "shot.####.exr"), role=Role.OUTPUT, frames=(1, 300)),
        CollectedItem(path=str(other), role=Role.OUTPUT),
    ])
    context = PlanContext(profile=geoscan_profile(naming={}), user=USER, upload_root=f"FROM_VENDORS/{USER}",
                          project_root=str(work), share_local_root=str(tmp_path / "proj002"))
    plan = build_plan(coll, context)
    (found,) = [f for f in plan.findings if f.code == "destination-collision"]
    assert found.path == f"FROM_VENDORS/{USER}/seq/shot.0007.exr"
    assert str(other) in found.message and str(work / "seq" / "shot.0007.exr") in found.message


def test_expand_through_a_folder_descriptor_finds_the_same_files(tmp_path) -> None:
    for frame in (1, 2, 3, 7):
        write(tmp_path / f"img.{frame:04d}.exr", "x" * frame)
    (tmp_path / "img.0005.exr").mkdir()
    pattern = sequences.parse_pattern(str(tmp_path / "img.####.exr"))
    by_path, by_fd = sequences.expand(pattern, (1, 8)), sequences.expand(pattern, (1, 8), entry_paths=False)
    assert [m[:5] for m in by_fd.members] == [m[:5] for m in by_path.members]
    assert by_fd.missing_runs == by_path.missing_runs == [(4, 6), (8, 8)]
    missing = sequences.expand(sequences.parse_pattern(str(tmp_path / "nope" / "a.####.exr")), entry_paths=False)
    assert [f.code for f in missing.findings] == ["sequence-folder-missing"]
    not_dir = sequences.expand(sequences.parse_pattern(str(tmp_path / "img.0001.exr" / "a.#.exr")), entry_paths=False)
    assert [f.code for f in not_dir.findings] == ["sequence-folder-missing"]


@given(texts=st.lists(FRAME_TEXT, max_size=25, unique=True), folders=st.integers(0, 3),
       token=st.sampled_from(["####", "%04d", "<UDIM>", "#", "$F2", "<UVTILE>"]), upper=st.booleans(),
       frames=st.sampled_from([None, (1000, 1050), (-5, 5), (3, 1)]),
       expected=st.sampled_from([None, [1001, 1002, 1005]]), odd=st.sampled_from(["", "img.00\n12.exr", "link"]))
@settings(max_examples=150, deadline=None)
def test_columns_equal_expand(tmp_path_factory, texts, folders, token, upper, frames, expected, odd) -> None:
    root = tmp_path_factory.mktemp("seq")
    pattern = sequences.parse_pattern(str(root / f"img.{token}.exr"))
    for i, text in enumerate(texts):
        name = f"{'IMG' if upper and i % 2 else 'img'}.{text}.exr"
        (root / name).mkdir() if i < folders else (root / name).write_bytes(b"x" * i)
    if odd == "link":
        os.symlink(root / "nowhere", root / "img.3001.exr")
    elif odd:
        (root / odd).write_bytes(b"n")
    slow = sequences.expand(pattern, frames, expected=expected, entry_paths=False)
    cache = ListingCache(root.parent / f"{root.name}.sqlite3")
    for listings in (None, cache, cache):  # listed, listed and remembered, then served from the cache
        fast = sequence_columns.expand_columns(pattern, frames, expected=expected, listings=listings)
        assert [(m.frame, m.name, m.size, m.mtime_ns, m.inode) for m in slow.members] == list(
            zip(fast.frames, fast.names, fast.sizes, fast.mtimes_ns, fast.inodes))
        assert fast.findings == slow.findings
        os.utime(root, ns=(1, 1))  # an old folder: remembered from now on
        cache.flush()
    cache.close()


def test_remembered_listing_is_used_only_while_the_folder_is_unchanged(tmp_path) -> None:
    for frame in (1, 2, 3):
        write(tmp_path / "seq" / f"img.{frame:04d}.exr", "x" * frame)
    folder = tmp_path / "seq"
    os.utime(folder, ns=(10**18, 10**18))
    pattern = sequences.parse_pattern(str(folder / "img.####.exr"))
    cache = ListingCache(tmp_path / "listings.sqlite3")
    first = sequence_columns.expand_columns(pattern, listings=cache)
    cache.flush()
    assert first.frames == [1, 2, 3] and cache.get(str(folder), sequence_columns._pattern_key(pattern),
                                                   os.stat(folder)) == (first.names, [1, 2, 3])
    (folder / "img.0002.exr").write_text("longer now")  # a changed file: statted every time
    os.utime(folder, ns=(10**18, 10**18))
    again = sequence_columns.expand_columns(pattern, listings=cache)
    assert again.sizes == [1, 10, 3]
    (folder / "img.0004.exr").write_text("new")  # a new file changes the folder's mtime
    assert sequence_columns.expand_columns(pattern, listings=cache).frames == [1, 2, 3, 4]
    (folder / "img.0004.exr").unlink()
    os.utime(folder, ns=(10**18, 10**18))  # same mtime as the remembered row, but a file is gone
    (folder / "img.0003.exr").unlink()
    os.utime(folder, ns=(10**18, 10**18))
    # The remembered names still list frame 3 (mtime forged back): its stat fails, so the
    # folder is listed again and the missing frame is reported, never a stale file.
    gone = sequence_columns.expand_columns(pattern, listings=cache)
    assert gone.frames == [1, 2] and gone.findings == []
    recent = tmp_path / "recent"
    write(recent / "img.0001.exr", "x")
    sequence_columns.expand_columns(sequences.parse_pattern(str(recent / "img.####.exr")), listings=cache)
    cache.flush()  # a folder changed within the racy window is not remembered
    assert cache.get(str(recent), sequence_columns._pattern_key(pattern), os.stat(recent)) is None
    cache.close()


PATTERN_CHARS = st.sampled_from(list("ab*?.x_1") + ["[!a]", "\n", "A"])


@given(patterns=st.lists(st.lists(PATTERN_CHARS, min_size=1, max_size=6).map("".join), min_size=1, max_size=3),
       names=st.lists(st.lists(st.sampled_from(list("abAB.x_1\n")), max_size=6).map("".join), max_size=8))
@settings(max_examples=400, deadline=None)
def test_naming_in_one_pass_equals_name_by_name(patterns, names) -> None:
    lowered = [p.lower() for p in patterns]
    all_match = validation._all_matcher(lowered, validation._matcher(lowered))
    assert all_match(names) == all(any(fnmatch.fnmatchcase(n.lower(), p) for p in lowered) for n in names)


@given(names=st.lists(st.lists(NAME_CHARS, min_size=1, max_size=8).map("".join), min_size=1, max_size=12),
       folder=st.sampled_from(["tex", "tex ", "a" * 250, "CON", "", "sub/déjà"]))
@settings(max_examples=200, deadline=None)
def test_single_files_judged_per_folder_equal_the_full_check(names, folder) -> None:
    # check_portability judges single files a folder at a time; each must get exactly the
    # findings portability_issues gives its own destination.
    upload = f"FROM_VENDORS/{USER}"
    entries = []
    for i, name in enumerate(dict.fromkeys(names)):
        dest = "/".join(p for p in (upload, folder, name) if p)
        entries.append(PlanEntry(id=f"e{i}", kind=EntryKind.FILE, role=Role.DEPENDENCY, source=f"/src/{i}",
                                 destination=dest, mapping=MappingKind.UPLOAD_ROOT, sizes=[1], mtimes_ns=[1],
                                 inodes=[i]))
    plan = Plan(publish_id="p", created="2026-12-02T00:00:00", host="test", project_file="/src/p", project_root="/src",
                user=USER, workspace="w", share="s", upload_root=upload, job_code="j", task="t", entries=entries)
    got = sorted(f.message for f in validation.check_portability(plan, geoscan_profile()))
    want = sorted(f"{issue}: {e.destination}" for e in entries for issue in portability_issues(e.destination))
    assert got == want


@given(names=st.lists(st.lists(NAME_CHARS, min_size=1, max_size=8).map("".join), min_size=1, max_size=12),
       folder=st.sampled_from(["tex", "tex ", "a" * 250, "CON", "", "sub/déjà"]),
       sizes=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=12))
@settings(max_examples=200, deadline=None)
def test_file_groups_and_single_files_judged_per_folder_equal_the_full_check(names, folder, sizes) -> None:
    # a layer's file with its sidecars (one entry, members) beside single files in the same
    # folder: judged together, each file must get exactly its own destination's findings
    upload = f"FROM_VENDORS/{USER}"
    head = "/".join(p for p in (upload, folder) if p)
    unique = list(dict.fromkeys(names))
    entries, files = [], []
    for i, size in enumerate(sizes):
        group, unique = unique[:size], unique[size:]
        if not group:
            break
        common = dict(id=f"e{i}", kind=EntryKind.FILE, role=Role.DEPENDENCY, source=f"/src/{i}/{group[0]}",
                      mapping=MappingKind.UPLOAD_ROOT, sizes=[1] * len(group), mtimes_ns=[1] * len(group),
                      inodes=list(range(len(group))))
        if len(group) == 1 and i % 2:
            entries.append(PlanEntry(**common, destination=f"{head}/{group[0]}"))
        else:
            entries.append(PlanEntry(**common, destination=f"{head}/{group[0]}", source_dir=f"/src/{i}",
                                     destination_dir=head, members=group))
        files += [f"{head}/{name}" for name in group]
    plan = Plan(publish_id="p", created="2026-12-02T00:00:00", host="test", project_file="/src/p", project_root="/src",
                user=USER, workspace="w", share="s", upload_root=upload, job_code="j", task="t", entries=entries)
    got = sorted(f.message for f in validation.check_portability(plan, geoscan_profile()))
    want = sorted(f"{issue}: {dest}" for dest in files for issue in portability_issues(dest))
    assert got == want
