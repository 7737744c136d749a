"""Plan -> accsyn tasks: file, sequence runs in accsyn notation, folder tasks, fallbacks."""

from __future__ import annotations

from projects import USER, geoscan_profile, tutorial_project, write

from vendor_publish.job_payload import build_job_payload, entry_tasks
from vendor_publish.models import CollectedItem, Collection, EntryKind, Role
from vendor_publish.planner import PlanContext, build_plan
from vendor_publish.submission import choose_job_code, publish_id_of

UPLOAD = f"FROM_VENDORS/{USER}"
SHARE = "proj002-outsourcing"


def plan_for(tmp_path, items, **kw):
    p = tutorial_project(tmp_path / "production")
    ctx = PlanContext(profile=geoscan_profile(), user=USER, upload_root=UPLOAD, project_root=str(p["work"]),
                      share_local_root=str(tmp_path / "production" / "proj002"), task="T", job_code="T_output")
    coll = Collection(host="test", project_file=str(p["project"]),
                      items=[CollectedItem(path=str(p["output"]), role=Role.OUTPUT), *items(p)])
    return p, build_plan(coll, ctx)


def test_sequence_runs_become_accsyn_sequence_tasks(tmp_path):
    def items(p):
        for f in [*range(1, 11), *range(13, 21), 30]:
            write(p["work"] / "img" / f"beauty.{f:04d}.exr", "x")
        return [CollectedItem(path=str(p["work"] / "img" / "beauty.####.exr"), role=Role.DEPENDENCY)]

    p, plan = plan_for(tmp_path, items)
    (seq,) = [e for e in plan.entries if e.kind is EntryKind.SEQUENCE]
    tasks = entry_tasks(seq, USER, SHARE)
    src_dir = p["work"] / "img"
    assert tasks == [
        {"source": f"{USER}:{src_dir}/beauty.%04d.exr[1-10]", "destination": f"share={SHARE}/{UPLOAD}/img/"},
        {"source": f"{USER}:{src_dir}/beauty.%04d.exr[13-20]", "destination": f"share={SHARE}/{UPLOAD}/img/"},
        {"source": f"{USER}:{src_dir}/beauty.0030.exr", "destination": f"share={SHARE}/{UPLOAD}/img/beauty.0030.exr"},
    ]


def test_uvtile_sequences_fall_back_to_file_tasks(tmp_path):
    # accsyn's [first-last] notation needs a printf number; u1_v1 names have none.
    def items(p):
        for name in ("tex.u1_v1.png", "tex.u2_v1.png", "tex.u1_v2.png"):
            write(p["work"] / "tex" / name)
        return [CollectedItem(path=str(p["work"] / "tex" / "tex.<UVTILE>.png"), role=Role.DEPENDENCY)]

    p, plan = plan_for(tmp_path, items)
    (seq,) = [e for e in plan.entries if e.kind is EntryKind.SEQUENCE]
    tasks = entry_tasks(seq, USER, SHARE)
    assert seq.count == 3
    assert sorted(t["destination"] for t in tasks) == [
        f"share={SHARE}/{UPLOAD}/tex/tex.{n}.png" for n in ("u1_v1", "u1_v2", "u2_v1")
    ]
    assert all("[" not in t["source"] for t in tasks)


def test_negative_frames_go_as_file_tasks(tmp_path):
    # '[first-last]' cannot hold a minus sign: a sequence starting before 0 is sent file by file.
    def items(p):
        for f in range(-2, 3):
            write(p["work"] / "sim" / f"cache.{f:04d}.bgeo", "x")
        return [CollectedItem(path=str(p["work"] / "sim" / "cache.####.bgeo"), role=Role.DEPENDENCY, frames=(-2, 2))]

    p, plan = plan_for(tmp_path, items)
    (seq,) = [e for e in plan.entries if e.kind is EntryKind.SEQUENCE]
    assert seq.frames == [-2, -1, 0, 1, 2]
    tasks = entry_tasks(seq, USER, SHARE)
    assert len(tasks) == 5 and all("[" not in t["source"] for t in tasks)
    assert tasks[0]["destination"] == f"share={SHARE}/{UPLOAD}/sim/cache.-002.bgeo"


def test_folder_is_one_task_and_payload_carries_manifest_and_metadata(tmp_path):
    def items(p):
        write(p["work"] / "cache" / "a.bin")
        write(p["work"] / "cache" / "deep" / "b.bin")
        return [CollectedItem(path=str(p["work"] / "cache"), role=Role.DEPENDENCY, is_dir=True)]

    p, plan = plan_for(tmp_path, items)
    payload = build_job_payload(plan, job_code="T_output", manifest_source="/m.json",
                                manifest_destination=f"{UPLOAD}/_vendor_publish/m.json", manifest_sha256="ab")
    folder_tasks = [t for t in payload["tasks"] if t["source"].endswith("/cache")]
    assert folder_tasks == [{"source": f"{USER}:{p['work'] / 'cache'}", "destination": f"share={SHARE}/{UPLOAD}/"}]
    from vendor_publish.publish_workflow import manifest_entry_id

    assert payload["tasks"][-1] == {"source": f"{USER}:/m.json", "destination": f"share={SHARE}/{UPLOAD}/_vendor_publish/m.json",
                                    "id": manifest_entry_id(plan)}
    assert payload["metadata"]["vendor_publish"]["manifest_task_id"] == manifest_entry_id(plan)
    assert payload["code"] == "T_output"
    assert publish_id_of(payload) == plan.publish_id
    assert payload["metadata"]["vendor_publish"]["files"] == plan.totals.files


def test_excluded_entries_send_nothing(tmp_path):
    def items(p):
        return [CollectedItem(path=str(p["asset"]), role=Role.DEPENDENCY, optional=True)]

    _, plan = plan_for(tmp_path, items)
    dep = next(e for e in plan.entries if e.role is Role.DEPENDENCY)
    dep.included = False
    assert entry_tasks(dep, USER, SHARE) == []


def test_republish_rule_picks_next_free_code():
    assert choose_job_code("T_output", []) == "T_output"
    assert choose_job_code("T_output", [{"code": "T_output"}]) == "T_output_2"
    assert choose_job_code("T_output", [{"code": "t_OUTPUT"}, {"code": "T_output_2"}]) == "T_output_3"
    assert choose_job_code("T_output", [{"code": "T_output_extra"}]) == "T_output"
