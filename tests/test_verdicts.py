"""Remembered clean verdicts: a re-plan skips name rules only where nothing they read changed."""

from __future__ import annotations

from projects import USER, geoscan_profile, write

from vendor_publish import validation, verdicts
from vendor_publish.generic import collect_paths
from vendor_publish.listing_cache import ListingCache
from vendor_publish.planner import PlanContext, build_plan


def _project(tmp_path, frames=80):
    work = tmp_path / "production" / "proj002" / "FROM_VENDORS" / USER
    project = write(work / "proj002_DATASET_001_1203.blend", b"blend")
    for f in range(1, frames + 1):
        write(work / "out" / f"part{f:03d}_exported.dat", b"x" * f)
    return work, project


def _plan(tmp_path, work, project, cache, **profile):
    context = PlanContext(
        profile=geoscan_profile(**profile), user=USER, upload_root=f"FROM_VENDORS/{USER}",
        project_root=str(work), share_local_root=str(tmp_path / "production" / "proj002"), listings=cache,
    )
    return build_plan(collect_paths(str(project), outputs=[str(work / "out") + "/"]), context)


def _naming(plan):
    return [f for f in plan.findings if f.code == "naming-rule"]


def _stored(cache) -> int:
    return cache._connect().execute("SELECT count(*) FROM clean_verdicts").fetchone()[0]


def test_clean_big_entry_is_remembered_and_a_new_bad_name_is_still_found(tmp_path):
    work, project = _project(tmp_path)
    cache = ListingCache(tmp_path / "cache.sqlite3")
    assert _naming(_plan(tmp_path, work, project, cache)) == []
    assert _stored(cache) == 2  # naming and portability, for the one big folder entry
    assert _naming(_plan(tmp_path, work, project, cache)) == []
    write(work / "out" / "notes.txt", "late addition")
    (finding,) = _naming(_plan(tmp_path, work, project, cache))
    assert "notes.txt" in finding.message and finding.blocking


def test_changed_profile_judges_again(tmp_path):
    work, project = _project(tmp_path)
    cache = ListingCache(tmp_path / "cache.sqlite3")
    assert _naming(_plan(tmp_path, work, project, cache)) == []
    stricter = _naming(_plan(tmp_path, work, project, cache, naming={"output": ["shot_*.dat"]}))
    assert len(stricter) == 80


def test_findings_are_never_remembered(tmp_path):
    work, project = _project(tmp_path)
    write(work / "out" / "CON.dat", "reserved on Windows")
    cache = ListingCache(tmp_path / "cache.sqlite3")
    for _ in range(2):
        plan = _plan(tmp_path, work, project, cache)
        assert any(f.code == "unportable-name" and "CON" in f.message for f in plan.findings)
        assert any(f.code == "naming-rule" and "CON.dat" in f.message for f in plan.findings)
    assert _stored(cache) == 0


class _Memory:
    def __init__(self):
        self.keys: set[str] = set()

    def clean_keys(self, keys):
        return self.keys & set(keys)

    def remember_clean(self, keys):
        self.keys.update(keys)


def test_run_remembered_gives_the_rule_s_own_findings_and_skips_only_known_clean_entries(tmp_path):
    work, project = _project(tmp_path, frames=70)
    write(work / "few" / "a_exported.dat")
    write(work / "few" / "b.dat")
    context = PlanContext(profile=geoscan_profile(), user=USER, upload_root=f"FROM_VENDORS/{USER}",
                          project_root=str(work), share_local_root=str(tmp_path / "production" / "proj002"))
    plan = build_plan(collect_paths(str(project), outputs=[str(work / "out") + "/", str(work / "few") + "/"]),
                      context)
    seen: list[int] = []

    def counting(p, profile):
        seen.append(sum(e.count for e in p.entries if e.included))
        return validation.check_naming(p, profile)

    memory = _Memory()
    direct = list(validation.check_naming(plan, context.profile))
    first = verdicts.run_remembered(counting, plan, context.profile, memory)
    assert first == direct and [f.path.endswith("b.dat") for f in first] == [True]
    assert len(memory.keys) == 1 and 70 in seen
    seen.clear()
    assert verdicts.run_remembered(counting, plan, context.profile, memory) == direct
    assert 70 not in seen  # the big clean folder was not judged again; the small one was
