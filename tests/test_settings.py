"""Studio profile and vendor settings: precedence, sources, masking, owner-only config."""

from __future__ import annotations

import json
import os
import stat

import pytest

from vendor_publish.errors import ConfigError
from vendor_publish.settings import config_path, read_vendor_config, resolve_settings, write_vendor_config
from vendor_publish.studio import load_profile, task_name

KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def profile(tmp_path):
    path = tmp_path / "studio.toml"
    path.write_text(
        'display_name = "GeoScan"\nworkspace = "geoscan"\nshare = "proj002-outsourcing"\n'
        'volume = "production"\nshare_path = "proj002"\nserver = "http://127.0.0.1:9"\n'
        '[naming]\noutput = ["*_exported.dat"]\n[required]\noutput = 1\n'
    )
    return path


def test_profile_loads_and_drives_menu_label(profile):
    p = load_profile(profile)
    assert p.menu_label == "Publish to GeoScan"
    assert p.upload_root == "FROM_VENDORS/{user}" and p.job_code == "{task}_output"


@pytest.mark.parametrize(
    "text, words",
    [
        ('display_name = "G"\nworkspace = "g"\nshare = "s"\nshre_path = "x"\n', "shre_path"),
        ('display_name = "G"\nworkspace = "g"\nshare = "s"\nupload_root = "FROM/{usr}"\n', "{usr}"),
        ('display_name = "G"\nworkspace = "g"\nshare = "s"\n[naming]\noutputs = ["*"]\n', "outputs"),
        ('display_name = "G"\nworkspace = "g"\n', "share"),
        ('display_name = "G\n', "not valid TOML"),
    ],
)
def test_bad_profiles_name_file_and_problem(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    assert str(path) in str(err.value) and words in str(err.value)


def test_json_profile_and_missing_profile(tmp_path):
    path = tmp_path / "studio.json"
    path.write_text(json.dumps({"display_name": "G", "workspace": "g", "share": "s"}))
    assert load_profile(path).share == "s"
    with pytest.raises(ConfigError, match="not found"):
        load_profile(tmp_path / "none.toml")


def test_task_name_sources(profile):
    p = load_profile(profile)
    assert task_name(p, "/x/proj002_DATASET_001_1203.analyze") == "proj002_DATASET_001_1203"
    assert task_name(p, "C:\\w\\scene.v002.blend") == "scene.v002"
    assert task_name(p, "/x/a.blend", "explicit") == "explicit"
    p2 = p.model_copy(update={"task_from": r"(?P<task>DATASET_\d+_\d+)"})
    assert task_name(p2, "/x/proj002_DATASET_001_1203.analyze") == "DATASET_001_1203"


def test_precedence_and_sources(tmp_path, profile):
    env = {"VENDOR_PUBLISH_HOME": str(tmp_path / "home"), "ACCSYN_API_USER": "env@x.com", "ACCSYN_API_KEY": KEY,
           "VENDOR_PUBLISH_STUDIO": str(profile), "ACCSYN_PRODUCTION_PATH": "/mnt/prod"}
    s = resolve_settings(env=env)
    assert s.credentials.user == "env@x.com" and "ACCSYN_API_USER" in s.sources["user"]
    assert s.credentials.workspace == "geoscan" and "studio profile" in s.sources["workspace"]
    assert s.credentials.server == "http://127.0.0.1:9"
    assert s.share_local_root == "/mnt/prod/proj002" and "ACCSYN_PRODUCTION_PATH" in s.sources["share_local_root"]
    s = resolve_settings(env={**env, "ACCSYN_PROJ002_OUTSOURCING_PATH": "/srv/p2"}, user="arg@x.com")
    assert s.credentials.user == "arg@x.com" and s.sources["user"] == "argument"
    assert s.share_local_root == "/srv/p2"
    shown = json.dumps(s.describe())
    assert KEY not in shown and "<set>" in shown
    assert KEY not in repr(s) and KEY not in str(s.credentials)


def test_config_file_is_owner_only_and_fills_gaps(tmp_path, profile):
    env = {"VENDOR_PUBLISH_HOME": str(tmp_path / "home")}
    path = config_path(env)
    write_vendor_config(path, {"user": "cfg@x.com", "api_key": KEY, "studio": str(profile)})
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    s = resolve_settings(env=env)
    assert s.credentials.user == "cfg@x.com" and s.credentials.api_key == KEY
    assert str(path) in s.sources["user"] and str(path) in s.sources["studio"]
    assert not s.warnings


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_world_readable_key_file_warns(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"api_key": KEY}))
    path.chmod(0o644)
    _, warnings = read_vendor_config(path)
    assert warnings and "chmod 600" in warnings[0] and KEY not in warnings[0]


def test_no_studio_profile_says_how(tmp_path):
    with pytest.raises(ConfigError) as err:
        resolve_settings(env={"VENDOR_PUBLISH_HOME": str(tmp_path)})
    assert "VENDOR_PUBLISH_STUDIO" in err.value.hint
