"""Collection -> plan on real files: expansion, mapping, findings, totals."""

from __future__ import annotations

import os

import pytest
from projects import USER, geoscan_profile, tutorial_project, write

from vendor_publish.generic import collect_paths
from vendor_publish.models import CollectedItem, Collection, EntryKind, MappingKind, Role, Severity
from vendor_publish.planner import PlanContext, build_plan

UPLOAD = f"FROM_VENDORS/{USER}"


def context(tmp_path, **kw):
    base = dict(
        profile=geoscan_profile(),
        user=USER,
        upload_root=UPLOAD,
        project_root=str(tmp_path / "production" / "proj002" / "FROM_VENDORS" / USER),
        share_local_root=str(tmp_path / "production" / "proj002"),
        task="DATASET_001_1203",
        job_code="DATASET_001_1203_output",
    )
    base.update(kw)
    return PlanContext(**base)


def codes(plan):
    return {f.code for f in plan.findings}


def test_tutorial_project_maps_to_itself(tmp_path):
    p = tutorial_project(tmp_path / "production")
    coll = collect_paths(str(p["project"]), dependencies=[str(p["asset"])], outputs=[str(p["output"])])
    plan = build_plan(coll, context(tmp_path))
    dests = sorted(f.destination for e in plan.entries for f in e.files())
    assert dests == [
        f"{UPLOAD}/cleaned_set.dat",
        f"{UPLOAD}/output/proj002_DATASET_001_1203_exported.dat",
        f"{UPLOAD}/proj002_DATASET_001_1203.analyze",
    ]
    assert {e.mapping for e in plan.entries} == {MappingKind.UPLOAD_ROOT}
    assert not plan.blocked, plan.findings
    assert plan.totals.files == 3
    assert plan.totals.by_role == {"project": 1, "dependency": 1, "output": 1}
    assert plan.totals.bytes == sum(os.path.getsize(p[k]) for k in ("project", "asset", "output"))


def test_missing_dependency_is_a_blocking_finding_naming_file_and_origin(tmp_path):
    p = tutorial_project(tmp_path / "production")
    missing = p["work"] / "textures" / "gone.png"
    coll = Collection(
        host="test",
        project_file=str(p["project"]),
        items=[
            CollectedItem(path=str(missing), role=Role.DEPENDENCY, origin='node "Tex"'),
            CollectedItem(path=str(p["output"]), role=Role.OUTPUT),
        ],
    )
    plan = build_plan(coll, context(tmp_path))
    assert plan.blocked
    (f,) = [f for f in plan.findings if f.code == "missing-file"]
    assert f.path == str(missing) and f.origin == 'node "Tex"' and f.fix
    assert str(missing) in f.message


def test_missing_project_file_blocks(tmp_path):
    coll = Collection(host="test", project_file=str(tmp_path / "nope.analyze"))
    plan = build_plan(coll, context(tmp_path, project_root=str(tmp_path)))
    assert "missing-file" in codes(plan) and plan.blocked


def test_sequence_with_range_reports_missing_frames_and_stays_one_entry(tmp_path):
    p = tutorial_project(tmp_path / "production")
    for frame in (1, 2, 3, 5):
        write(p["work"] / "renders" / f"shot.{frame:04d}.exr", f"frame {frame}")
    coll = Collection(
        host="test",
        project_file=str(p["project"]),
        items=[
            CollectedItem(path=str(p["work"] / "renders" / "shot.####.exr"), role=Role.DEPENDENCY, frames=(1, 5)),
            CollectedItem(path=str(p["output"]), role=Role.OUTPUT),
        ],
    )
    plan = build_plan(coll, context(tmp_path))
    (seq,) = [e for e in plan.entries if e.kind is EntryKind.SEQUENCE]
    assert seq.frames == [1, 2, 3, 5] and seq.count == 4
    assert seq.destination == f"{UPLOAD}/renders/shot.####.exr"
    assert [f.destination for f in seq.files()][0] == f"{UPLOAD}/renders/shot.0001.exr"
    incomplete = [f for f in plan.findings if "4" in f.message and f.severity is Severity.ERROR]
    assert incomplete, plan.findings


def test_folder_output_lists_every_file(tmp_path):
    p = tutorial_project(tmp_path / "production")
    write(p["work"] / "output" / "sub" / "b_exported.dat", "b")
    coll = collect_paths(str(p["project"]), outputs=[str(p["work"] / "output") + "/"])
    plan = build_plan(coll, context(tmp_path))
    (folder,) = [e for e in plan.entries if e.kind is EntryKind.FOLDER]
    assert folder.members == ["proj002_DATASET_001_1203_exported.dat", "sub/b_exported.dat"]
    assert folder.destination == f"{UPLOAD}/output"
    assert not plan.blocked, plan.findings


def test_external_file_goes_to_externals_with_a_warning(tmp_path):
    p = tutorial_project(tmp_path / "production")
    ext = write(tmp_path / "library" / "wood.png", "png")
    coll = collect_paths(str(p["project"]), dependencies=[str(ext)], outputs=[str(p["output"])])
    plan = build_plan(coll, context(tmp_path))
    (e,) = [e for e in plan.entries if e.mapping is MappingKind.EXTERNAL]
    assert e.destination.startswith(f"{UPLOAD}/_external/") and e.destination.endswith("/library/wood.png")
    assert "external-file" in codes(plan) and not plan.blocked


def test_naming_rule_and_required_output(tmp_path):
    p = tutorial_project(tmp_path / "production")
    bad = write(p["work"] / "output" / "result.dat", "r")
    coll = collect_paths(str(p["project"]), outputs=[str(bad)])
    plan = build_plan(coll, context(tmp_path))
    (f,) = [f for f in plan.findings if f.code == "naming-rule"]
    assert "result.dat" in f.message and "*_exported.dat" in f.message and f.blocking
    coll = collect_paths(str(p["project"]))
    plan = build_plan(coll, context(tmp_path))
    (f,) = [f for f in plan.findings if f.code == "required-role"]
    assert "at least 1 output" in f.message


def test_empty_output_blocks_and_studio_can_downgrade_it(tmp_path):
    p = tutorial_project(tmp_path / "production")
    p["output"].write_bytes(b"")
    coll = collect_paths(str(p["project"]), outputs=[str(p["output"])])
    plan = build_plan(coll, context(tmp_path))
    assert "empty-output" in codes(plan) and plan.blocked
    lenient = context(tmp_path, profile=geoscan_profile(severity={"empty-output": "warning"}))
    plan = build_plan(coll, lenient)
    assert "empty-output" in codes(plan) and not plan.blocked
    silent = context(tmp_path, profile=geoscan_profile(severity={"empty-output": "ignore"}))
    assert "empty-output" not in codes(build_plan(coll, silent))


def test_case_only_collision_is_an_error(tmp_path):
    p = tutorial_project(tmp_path / "production")
    a = write(tmp_path / "x" / "Tex.png", "a")
    b = write(tmp_path / "x" / "tex.png", "b")
    if os.path.samefile(a, b):
        pytest.skip("case-insensitive file system")
    proj_root = str(tmp_path)
    coll = collect_paths(str(p["project"]), dependencies=[str(a), str(b)], outputs=[str(p["output"])])
    plan = build_plan(coll, context(tmp_path, project_root=proj_root, share_local_root=None))
    assert "destination-collision" in codes(plan) and plan.blocked


def test_same_reference_twice_is_published_once(tmp_path):
    p = tutorial_project(tmp_path / "production")
    coll = collect_paths(str(p["project"]), dependencies=[str(p["asset"]), str(p["asset"])], outputs=[str(p["output"])])
    plan = build_plan(coll, context(tmp_path))
    assert plan.totals.files == 3


def test_directory_where_a_file_is_expected(tmp_path):
    p = tutorial_project(tmp_path / "production")
    d = p["work"] / "cache.abc"
    d.mkdir()
    coll = Collection(host="test", project_file=str(p["project"]),
                      items=[CollectedItem(path=str(d), role=Role.DEPENDENCY), CollectedItem(path=str(p["output"]), role=Role.OUTPUT)])
    plan = build_plan(coll, context(tmp_path))
    assert "folder-not-file" in codes(plan)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    p = tutorial_project(tmp_path / "production")
    p["asset"].chmod(0)
    coll = collect_paths(str(p["project"]), dependencies=[str(p["asset"])], outputs=[str(p["output"])])
    assert "unreadable-file" in codes(build_plan(coll, context(tmp_path)))


def test_adapter_findings_are_kept(tmp_path):
    p = tutorial_project(tmp_path / "production")
    from vendor_publish.models import Finding

    odd = Finding(code="unreadable-reference", severity=Severity.WARNING, message="driver on X", origin="X")
    coll = Collection(host="test", project_file=str(p["project"]), findings=[odd],
                      items=[CollectedItem(path=str(p["output"]), role=Role.OUTPUT)])
    assert odd in build_plan(coll, context(tmp_path)).findings


def test_plan_round_trips_through_json(tmp_path):
    p = tutorial_project(tmp_path / "production")
    coll = collect_paths(str(p["project"]), dependencies=[str(p["asset"])], outputs=[str(p["output"])])
    plan = build_plan(coll, context(tmp_path))
    from vendor_publish.models import Plan

    again = Plan.model_validate_json(plan.model_dump_json())
    assert again == plan


def test_declared_udim_tiles_missing_on_disk_are_reported(tmp_path):
    p = tutorial_project(tmp_path / "production")
    for tile in (1001, 1003):
        write(p["work"] / "tex" / f"wood.{tile}.png", "t")
    coll = Collection(host="test", project_file=str(p["project"]), items=[
        CollectedItem(path=str(p["work"] / "tex" / "wood.<UDIM>.png"), role=Role.DEPENDENCY, expected=[1001, 1002, 1003]),
        CollectedItem(path=str(p["output"]), role=Role.OUTPUT),
    ])
    plan = build_plan(coll, context(tmp_path))
    (seq,) = [e for e in plan.entries if e.kind is EntryKind.SEQUENCE]
    assert seq.frames == [1001, 1003]
    assert any("1002" in f.message and f.blocking for f in plan.findings)


def test_profile_output_folders_are_published_by_the_core(tmp_path, monkeypatch):
    from vendor_publish import workflow
    from vendor_publish.settings import resolve_settings

    p = tutorial_project(tmp_path / "production")
    write(p["work"] / "exports" / "a_exported.dat", "a")
    profile = tmp_path / "studio.json"
    import json

    profile.write_text(json.dumps({"display_name": "G", "workspace": "geoscan", "share": "proj002-outsourcing",
                                   "output_folders": ["exports", "output/*.dat", "missing_dir"]}))
    env = {"VENDOR_PUBLISH_HOME": str(tmp_path / "home"), "VENDOR_PUBLISH_STUDIO": str(profile),
           "ACCSYN_API_USER": USER}
    settings = resolve_settings(env=env)
    plan = workflow.make_plan(settings, Collection(host="test", project_file=str(p["project"])))
    outputs = sorted(e.source for e in plan.entries if e.role is Role.OUTPUT)
    assert outputs == [str(p["work"] / "exports"), str(p["output"])]
    (missing,) = [f for f in plan.findings if f.code == "no-outputs"]
    assert "missing_dir" in missing.message


def test_unticking_an_optional_entry_sets_its_findings_aside_and_reticking_brings_them_back(tmp_path):
    from vendor_publish.validation import set_included

    p = tutorial_project(tmp_path / "production")
    cache = p["work"] / "cache"  # an optional bake that was never written
    coll = Collection(host="test", project_file=str(p["project"]), items=[
        CollectedItem(path=str(cache), role=Role.DEPENDENCY, is_dir=True, optional=True),
        CollectedItem(path=str(p["asset"]), role=Role.DEPENDENCY, optional=True),
        CollectedItem(path=str(p["output"]), role=Role.OUTPUT),
    ])
    ctx = context(tmp_path)
    plan = build_plan(coll, ctx)
    assert plan.blocked and "missing-file" in codes(plan)
    by_source = {e.source: e for e in plan.entries}
    left_out = set_included(plan, ctx.profile, {by_source[str(cache)].id: False, by_source[str(p["asset"])].id: False})
    assert not left_out.blocked and "missing-file" not in codes(left_out)
    assert left_out.totals.files == 2 and left_out.totals.by_role == {"project": 1, "output": 1}
    back = set_included(left_out, ctx.profile, {by_source[str(cache)].id: True})
    assert back.blocked and "missing-file" in codes(back)
    required_out = set_included(plan, ctx.profile, {e.id: False for e in plan.entries})
    assert required_out.totals.by_role.get("output") == 1  # not optional: stays in


def test_a_file_and_its_companions_are_one_entry(tmp_path):
    from vendor_publish.companions import companion_destinations
    from vendor_publish.job_payload import entry_tasks
    from vendor_publish.report import entry_label
    from vendor_publish.validation import set_included

    p = tutorial_project(tmp_path / "production")
    gis = p["work"] / "gis"
    for ext in ("shp", "shx", "dbf", "prj"):
        write(gis / f"roads.{ext}", ext * 10)
    write(gis / "rivers.shp", "r")
    items = [
        CollectedItem(path=str(gis / "roads.shp"), role=Role.DEPENDENCY, origin="layer 'roads'", optional=True,
                      companions=["roads.shx", "roads.dbf", "roads.prj", "roads.cpg", "roads.shx", "../x.dbf"]),
        CollectedItem(path=str(gis / "rivers.shp"), role=Role.DEPENDENCY, origin="layer 'rivers'",
                      companions=["rivers.dbf"]),
    ]
    coll = collect_paths(str(p["project"]), outputs=[str(p["output"])])
    plan = build_plan(coll.model_copy(update={"items": [*coll.items, *items]}), context(tmp_path))
    roads, rivers = [e for e in plan.entries if e.source.endswith(("roads.shp", "rivers.shp"))]
    assert roads.kind is EntryKind.FILE and roads.members == ["roads.shp", "roads.shx", "roads.dbf", "roads.prj"]
    assert [f.destination for f in roads.files()] == [f"{UPLOAD}/gis/roads.{e}" for e in ("shp", "shx", "dbf", "prj")]
    assert roads.sizes == [30, 30, 30, 30] and entry_label(roads).endswith("roads.shp (4 files)")
    missing = {f.path: f for f in plan.findings if f.code == "missing-file"}
    assert set(missing) == {str(gis / "roads.cpg"), str(gis / "rivers.dbf")}
    assert missing[str(gis / "roads.cpg")].origin == "layer 'roads'"
    assert any(f.code == "unsafe-path" and "../x.dbf" in f.message for f in plan.findings)
    tasks = entry_tasks(roads, USER, "s")
    assert [t["destination"] for t in tasks] == [f"share=s/{UPLOAD}/gis/roads.{e}" for e in ("shp", "shx", "dbf", "prj")]
    # Unticking the group sets aside its own findings only (rivers' sits in the same folder).
    left = set_included(plan, geoscan_profile(), {roads.id: False})
    assert {f.path for f in left.set_aside} == {str(gis / "roads.cpg")}
    assert str(gis / "rivers.dbf") in {f.path for f in left.findings}
    assert left.totals.files == plan.totals.files - 4
    # The studio renames the data file: the companions follow, renamed alike.
    assert companion_destinations(roads, "DELIVERED/survey_v2.shp") == [
        "DELIVERED/survey_v2.shp", "DELIVERED/survey_v2.shx", "DELIVERED/survey_v2.dbf", "DELIVERED/survey_v2.prj"]


def test_totals_count_each_role_in_words(tmp_path):
    from vendor_publish.report import plural, summary_lines

    p = tutorial_project(tmp_path / "production")
    second = p["asset"].with_name("second_set.dat")
    second.write_text("more\n")
    coll = collect_paths(str(p["project"]), dependencies=[str(p["asset"]), str(second)], outputs=[str(p["output"])])
    plan = build_plan(coll, context(tmp_path))
    assert summary_lines(plan)[0].endswith("(1 project, 2 dependencies, 1 output).")
    assert [plural(n, w) for n, w in ((1, "file"), (2, "file"), (3, "dependency"), (2, "day"))] == \
        ["1 file", "2 files", "3 dependencies", "2 days"]


def test_a_file_planned_on_its_own_is_not_sent_again_with_its_folder(tmp_path):
    # a layout's PDF exported into the declared outputs folder, a folder inside another folder
    p = tutorial_project(tmp_path / "production")
    out_dir = p["output"].parent
    pdf = write(out_dir / "overview.pdf", "%PDF-")
    nested = write(out_dir / "maps" / "north.tif", "tif")
    only_pdf = write(p["project"].parent / "pdfs" / "alone.pdf", "%PDF-")
    coll = collect_paths(str(p["project"]), outputs=[str(out_dir), str(pdf), str(out_dir / "maps"),
                                                     str(only_pdf), str(only_pdf.parent)])
    plan = build_plan(coll, context(tmp_path))
    sources = sorted(f.source for e in plan.entries for f in e.files())
    assert sources == sorted(map(str, [p["project"], p["output"], pdf, nested, only_pdf]))  # each file once
    (pdf_entry,) = [e for e in plan.entries if e.source == str(pdf)]
    assert pdf_entry.origin == f"--output {pdf}" and pdf_entry.kind is EntryKind.FILE
    (folder,) = [e for e in plan.entries if e.source == str(out_dir)]
    assert folder.members == ["maps/north.tif", p["output"].name] and folder.kind is EntryKind.FOLDER
    # a folder whose every file is planned elsewhere (by a file item, or by a folder around it) has
    # nothing left to send: no entry, no warning
    assert not [e for e in plan.entries if e.source in (str(only_pdf.parent), str(out_dir / "maps"))]
    assert not [f for f in plan.findings if f.code in ("empty-folder", "destination-collision")], plan.findings
    assert plan.totals.files == 5
