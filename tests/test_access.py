"""Write access judged from facts fetched before the plan existed (as a host fetches them early)."""

from __future__ import annotations

from projects import USER, geoscan_profile, tutorial_project

from vendor_publish.access import AccessFacts, access_findings, fetch_access
from vendor_publish.accsyn_client import AccsynClient
from vendor_publish.generic import collect_paths
from vendor_publish.planner import PlanContext, build_plan


def _plan(tmp_path, upload_root=f"FROM_VENDORS/{USER}"):
    p = tutorial_project(tmp_path / "production")
    context = PlanContext(profile=geoscan_profile(), user=USER, upload_root=upload_root, project_root=str(p["work"]),
                          share_local_root=str(tmp_path / "production" / "proj002"))
    return build_plan(collect_paths(str(p["project"]), outputs=[str(p["output"])]), context)


def test_facts_from_the_sandbox_allow_the_vendor_folder_only(tmp_path, sandbox, sandbox_api_key):
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        facts = fetch_access(client, "proj002-outsourcing")
    assert not facts.full_access and facts.share_found
    assert f"FROM_VENDORS/{USER}" in facts.writable
    assert access_findings(_plan(tmp_path), facts) == []
    denied = access_findings(_plan(tmp_path, upload_root="TO_VENDORS"), facts)
    assert denied and all(f.code == "no-write-access" and f.blocking for f in denied)
    assert "TO_VENDORS" in denied[0].message and f"FROM_VENDORS/{USER}" in denied[0].message


def test_unknown_share_and_full_access(tmp_path):
    plan = _plan(tmp_path)
    (missing,) = access_findings(plan, AccessFacts(plan.share, full_access=False, share_found=False))
    assert missing.code == "no-share-access" and plan.share in missing.message
    assert access_findings(plan, AccessFacts(plan.share, full_access=True)) == []
