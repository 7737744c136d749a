"""A full publish through the CLI into the sandbox over loopback HTTP, as a vendor runs it."""

from __future__ import annotations

import json

import pytest
from projects import USER, tutorial_project, use_environment, vendor_environment, write

from vendor_publish.accsyn_client import AccsynClient
from vendor_publish.cli import EXIT_BLOCKED, EXIT_OK, main

UPLOAD = f"FROM_VENDORS/{USER}"


@pytest.fixture
def vendor(tmp_path, sandbox, sandbox_api_key, monkeypatch):
    """The vendor's machine: env as the tutorial sets it, and her project in the share's local mirror."""
    env, production = vendor_environment(tmp_path, sandbox, sandbox_api_key)
    use_environment(monkeypatch, env)
    return tutorial_project(production)


def publish_args(p, *extra):
    return ["publish", str(p["project"]), "--dep", str(p["asset"]), "--output", str(p["output"]),
            "--task", "DATASET_001_1203", "--yes", "--json", *extra]


def run_json(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_publish_lands_files_and_manifest_on_the_studio_volume(vendor, sandbox, sandbox_api_key, capsys):
    code, result, err = run_json(capsys, publish_args(vendor, "--wait", "--timeout", "60"))
    assert code == EXIT_OK, err
    (one,) = result["results"]
    assert one["tracking"]["status"] == "done"
    sub = one["submission"]
    assert sub["job_code"] == "DATASET_001_1203_output" and sub["files"] == 3
    sandbox.wait_idle(timeout=30)
    landed = sandbox.volume_path("production") / "proj002" / UPLOAD
    for rel in ("proj002_DATASET_001_1203.analyze", "cleaned_set.dat", "output/proj002_DATASET_001_1203_exported.dat"):
        assert (landed / rel).read_bytes() == (vendor["work"] / rel).read_bytes()
    manifests = list((landed / "_vendor_publish").glob("*.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["publish_id"] == sub["publish_id"] and len(manifest["files"]) == 3
    assert all(len(f["digest"]) == 64 for f in manifest["files"])
    assert sandbox_api_key not in err and sandbox_api_key not in json.dumps(result)
    assert sandbox_api_key not in manifests[0].read_text()


def test_republish_makes_a_new_job_never_a_merge(vendor, sandbox, capsys):
    assert main(publish_args(vendor, "--wait", "--timeout", "60")) == EXIT_OK
    capsys.readouterr()
    code, result, _ = run_json(capsys, publish_args(vendor, "--wait", "--timeout", "60"))
    assert code == EXIT_OK
    assert result["results"][0]["submission"]["job_code"] == "DATASET_001_1203_output_2"


def test_blocking_findings_send_nothing(vendor, sandbox, sandbox_api_key, capsys):
    vendor["output"].unlink()
    code, result, err = run_json(capsys, publish_args(vendor))
    assert code == EXIT_BLOCKED
    plan = result["results"][0]["plan"]
    assert {"missing-file", "required-role"} <= {f["code"] for f in plan["findings"]}
    with AccsynClient("geoscan", USER, sandbox_api_key, server=sandbox.url) as client:
        assert client.find_jobs_by_code("DATASET_001_1203_output") == []


def test_no_write_access_is_found_before_sending(vendor, sandbox, tmp_path, capsys, monkeypatch):
    profile = sandbox.studio_profile_path.read_text().replace('upload_root = "FROM_VENDORS/{user}"', 'upload_root = "TO_VENDORS"')
    custom = tmp_path / "studio.toml"
    custom.write_text(profile)
    monkeypatch.setenv("VENDOR_PUBLISH_STUDIO", str(custom))
    code, result, err = run_json(capsys, publish_args(vendor, "--project-root", str(vendor["work"])))
    assert code == EXIT_BLOCKED
    (f, *_) = [f for f in result["results"][0]["plan"]["findings"] if f["code"] == "no-write-access"]
    assert "TO_VENDORS" in f["message"] and "FROM_VENDORS/jennifer@gda.com" in f["message"]


def test_offline_desktop_app_is_explained(vendor, sandbox, capsys):
    sandbox.set_client_online(USER, False)
    code = main([a for a in publish_args(vendor, "--wait", "--timeout", "2") if a != "--json"])
    _, err = capsys.readouterr()
    assert code == EXIT_OK
    assert "accsyn desktop app" in err and "not running" in err
    assert "vendor-publish status" in err


def test_saved_plan_is_rechecked_before_publishing(vendor, sandbox, tmp_path, capsys):
    saved = tmp_path / "plan.json"
    assert main(["plan", str(vendor["project"]), "--dep", str(vendor["asset"]), "--output", str(vendor["output"]),
                 "--save", str(saved)]) == EXIT_OK
    write(vendor["asset"], "edited after planning\n")
    code = main(["publish", "--plan", str(saved), "--yes"])
    _, err = capsys.readouterr()
    assert code == EXIT_BLOCKED and "changed since the plan was made" in err and "cleaned_set.dat" in err


def test_config_show_masks_the_key(vendor, sandbox_api_key, capsys):
    assert main(["config", "show"]) == EXIT_OK
    out, err = capsys.readouterr()
    assert sandbox_api_key not in out + err
    assert "api_key" in out and "<set>" in out and "ACCSYN_API_KEY" in out


def test_folder_output_lands_where_the_manifest_says(vendor, sandbox, capsys):
    write(vendor["work"] / "output" / "extra" / "more_exported.dat", "more")
    argv = ["publish", str(vendor["project"]), "--output", str(vendor["work"] / "output") + "/",
            "--task", "FOLDER", "--yes", "--json", "--wait", "--timeout", "60"]
    code, result, err = run_json(capsys, argv)
    assert code == EXIT_OK, err
    assert result["results"][0]["submission"]["tasks"] == 3  # project, the folder, the manifest
    sandbox.wait_idle(timeout=30)
    landed = sandbox.volume_path("production") / "proj002" / UPLOAD
    assert (landed / "output" / "proj002_DATASET_001_1203_exported.dat").is_file()
    assert (landed / "output" / "extra" / "more_exported.dat").read_text() == "more"
    assert not (landed / "output" / "output").exists()
