"""Pure parts of the accsyn client: credentials, server addresses, envelope, query split."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timezone

import pytest

from vendor_publish.accsyn_client import (
    AccsynClient,
    authorization_header,
    build_event,
    parse_retry_after,
    path_in_message,
    split_query,
)
from vendor_publish.accsyn_models import FileEntry, Job, parse_accsyn_date
from vendor_publish.credentials import (
    CredentialsFile,
    load_credentials,
    parse_credentials_text,
    parse_server,
    resolve_credentials,
)
from vendor_publish.errors import ConfigError

KEY = "k3y-Sup3r-S3cret-0123456789"


def test_resolution_precedence_and_sources() -> None:
    env = {"ACCSYN_DOMAIN": "envws", "ACCSYN_API_USER": "env@x.com", "ACCSYN_API_KEY": "envkey"}
    file = CredentialsFile(path="/etc/acc.env", values={"ACCSYN_API_KEY": KEY, "ACCSYN_ORG": "filews"})
    creds = resolve_credentials(user="arg@x.com", env=env, file=file)
    assert (creds.workspace, creds.user, creds.api_key) == ("filews", "arg@x.com", KEY)
    assert creds.sources == {
        "workspace": "file /etc/acc.env (ACCSYN_ORG)",
        "user": "argument",
        "api_key": "file /etc/acc.env (ACCSYN_API_KEY)",
        "server": "default (hosted accsyn)",
    }
    assert KEY not in repr(creds) and KEY not in str(creds) and KEY not in json.dumps(creds.describe())


def test_workspace_variable_order() -> None:
    env = {"ACCSYN_ORG": "org", "ACCSYN_DOMAIN": "dom", "ACCSYN_WORKSPACE": "ws"}
    assert resolve_credentials(env=env).workspace == "ws"
    del env["ACCSYN_WORKSPACE"]
    assert resolve_credentials(env=env).workspace == "dom"
    assert resolve_credentials(env={"ACCSYN_ORG": "org"}).sources["workspace"] == "environment (ACCSYN_ORG)"


def test_missing_values_are_reported_by_name() -> None:
    creds = resolve_credentials(env={"ACCSYN_WORKSPACE": "geoscan"})
    assert creds.missing() == ["user", "api_key"]
    with pytest.raises(ConfigError) as info:
        creds.require()
    assert "user" in str(info.value) and "ACCSYN_API_KEY" in (info.value.hint or "")


def test_credentials_file_parsing(tmp_path) -> None:
    text = "# comment\nexport ACCSYN_WORKSPACE=geoscan\nACCSYN_API_USER = 'jennifer@gda.com'\n" \
        f'ACCSYN_API_KEY="{KEY}"\nnot a pair\n'
    assert parse_credentials_text(text) == {
        "ACCSYN_WORKSPACE": "geoscan", "ACCSYN_API_USER": "jennifer@gda.com", "ACCSYN_API_KEY": KEY,
    }
    path = tmp_path / "creds.env"
    path.write_text(text, encoding="utf-8")
    creds = load_credentials(env={"ACCSYN_CREDENTIALS_PATH": str(path), "ACCSYN_API_KEY": "other"})
    assert creds.api_key == KEY and creds.credentials_path == str(path)
    with pytest.raises(ConfigError) as info:
        load_credentials(env={"ACCSYN_CREDENTIALS_PATH": str(tmp_path / "missing.env")})
    assert "missing.env" in str(info.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("http://127.0.0.1:8181", ("http", "127.0.0.1", 8181)),
        ("http://127.3.4.5:9/", ("http", "127.3.4.5", 9)),
        ("http://localhost:1234/api/v3", ("http", "localhost", 1234)),
        ("http://[::1]:5000", ("http", "::1", 5000)),
        ("https://geoscan.accsyn.com", ("https", "geoscan.accsyn.com", 443)),
        ("studio.example.org:8443", ("https", "studio.example.org", 8443)),
    ],
)
def test_server_addresses(text: str, expected: tuple[str, str, int]) -> None:
    address = parse_server(text)
    assert (address.scheme, address.host, address.port) == expected


@pytest.mark.parametrize(
    "text", ["http://10.0.0.5:8181", "http://geoscan.accsyn.com", "http://128.0.0.1:1", "ftp://x", "https://h/x"]
)
def test_plain_http_off_loopback_and_junk_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_server(text)


def test_client_refuses_plain_http_to_a_remote_host_before_any_request() -> None:
    with pytest.raises(ConfigError) as info:
        AccsynClient("geoscan", "jennifer@gda.com", KEY, server="http://192.0.2.10:8080", env={})
    assert "http://" in str(info.value) and KEY not in str(info.value)


def test_client_refuses_to_turn_tls_verification_off() -> None:
    with pytest.raises(ConfigError):
        AccsynClient("geoscan", "u@x.com", KEY, server="https://geoscan.accsyn.com", env={}, verify=False)
    with pytest.raises(ConfigError) as info:
        AccsynClient("geoscan", "u@x.com", KEY, env={"SSL_CERT_FILE": "/nonexistent/ca.pem"})
    assert "/nonexistent/ca.pem" in str(info.value)


def test_client_repr_hides_key() -> None:
    with AccsynClient("geoscan", "u@x.com", KEY, server="https://geoscan.accsyn.com", env={}) as client:
        assert KEY not in repr(client) and KEY not in str(client)
        assert all(KEY not in repr(v) for v in vars(client).values())


def test_authorization_header_is_accsyn_style() -> None:
    header = authorization_header("jennifer@gda.com", KEY)
    scheme, rest = header.split(" ")
    user, key = rest.split(":")
    assert scheme == "basic"
    assert base64.b64decode(user).decode() == "jennifer@gda.com"
    assert base64.b64decode(key).decode() == KEY


def test_event_envelope_small_and_gzipped() -> None:
    now = datetime(2026, 3, 1, 12, 30, 5, 999, tzinfo=timezone.utc)
    small = build_event(
        workspace="geoscan", session="s", uri="transfer/find", ident="u@x", hostname="h",
        data={"finished": True}, query="code=x", entity_id="a" * 24, now=now,
    )
    assert small["audience"] == "api" and small["created"] == "2026-03-01T12:30:05"
    assert small["data"] == {"finished": True} and "gz_data" not in small
    assert small["query"] == "code=x" and small["id"] == "a" * 24 and len(small["eid"]) == 36
    tasks = [{"source": f"/l/f{i:05d}.exr", "destination": f"share=p/F/f{i:05d}.exr"} for i in range(5000)]
    big = build_event(workspace="geoscan", session="s", uri="transfer/create", ident="u", hostname="h",
                      data={"tasks": tasks})
    assert "data" not in big
    assert json.loads(gzip.decompress(base64.b64decode(big["gz_data"]))) == {"tasks": tasks}


def test_split_query_like_the_official_client() -> None:
    assert split_query("Transfer") == ("transfer", None)
    assert split_query("ACL  WHERE entity=user:ABC AND target=share:Def") == (
        "acl", "entity=user:abc and target=share:def")
    assert split_query('Job where code="My File.png" AND (a=1 OR b=2)') == (
        "job", 'code="my file.png" and (a=1 or b=2)')
    with pytest.raises(ValueError):
        split_query("transfer code=x")


def test_helpers() -> None:
    assert parse_retry_after("3") == 3.0 and parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert path_in_message("No write access to share=proj002-outsourcing/TO_VENDORS/a.exr!") == \
        "share=proj002-outsourcing/TO_VENDORS/a.exr"
    assert path_in_message("You may not write 'FROM_VENDORS/bob@x.com/a b.txt'.") == "FROM_VENDORS/bob@x.com/a b.txt"
    assert path_in_message("Permission denied") is None
    assert parse_accsyn_date("2026-01-22T08:35:59.123").microsecond == 123000
    assert parse_accsyn_date("yesterday") is None


def test_models_keep_unknown_fields() -> None:
    job = Job.model_validate({"id": "a" * 24, "status": "done", "created": "2026-01-22T08:35:59", "novel": 1})
    assert job.is_finished and job.created and job.created.tzinfo is timezone.utc
    assert job.model_dump()["novel"] == 1
    nested = Job(metadata='{"vendor_publish": {"publish_id": "P1"}}')
    assert nested.metadata_value("vendor_publish.publish_id") == "P1"
    assert nested.metadata_value("vendor_publish.other") is None and Job().metadata_value("a") is None
    tree = FileEntry.model_validate({"filename": "d", "type": 0, "files": [{"filename": "a", "type": 1, "size": 2}]})
    assert [p for p, _ in tree.walk()] == ["d", "d/a"] and tree.is_dir
