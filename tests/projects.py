"""Builders for vendor projects on disk, shared by the core's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vendor_publish.studio import StudioProfile

USER = "jennifer@gda.com"


def geoscan_profile(**overrides) -> StudioProfile:
    """The tutorial's studio profile."""
    data = dict(
        display_name="GeoScan",
        workspace="geoscan",
        share="proj002-outsourcing",
        volume="production",
        share_path="proj002",
        naming={"output": ["*_exported.dat"]},
        required={"output": 1},
    )
    data.update(overrides)
    return StudioProfile(**data)


def write(path: Path, data: bytes | str = b"x") -> Path:
    """Create a file (and its folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def tutorial_project(production: Path) -> dict[str, Path]:
    """The tutorial's vendor project under a local production root (ACCSYN_PRODUCTION_PATH)."""
    work = production / "proj002" / "FROM_VENDORS" / USER
    return {
        "production": production,
        "work": work,
        "project": write(work / "proj002_DATASET_001_1203.analyze", "analysis project v1\n"),
        "asset": write(work / "cleaned_set.dat", "cleaned data\n" * 100),
        "output": write(work / "output" / "proj002_DATASET_001_1203_exported.dat", "exported result\n" * 50),
    }


OTHER_ACCSYN_VARS = ("ACCSYN_WORKSPACE", "ACCSYN_DOMAIN", "ACCSYN_ORG", "ACCSYN_CREDENTIALS_PATH")


def vendor_environment(
    tmp_path: Path, sandbox, api_key: str, *, production: Path | None = None,
    edit_profile: Callable[[str], str] | None = None,
) -> tuple[dict[str, str], Path]:
    """The vendor's settings as the tutorial sets them, against a sandbox; and her local production root.

    ``edit_profile`` changes the sandbox's studio profile text (a naming rule, an output folder)
    for this test; the edited copy is written into ``tmp_path``.
    """
    production = production or tmp_path / "jennifer" / "Production"
    studio = sandbox.studio_profile_path
    if edit_profile is not None:
        studio = tmp_path / "studio.toml"
        studio.write_text(edit_profile(sandbox.studio_profile_path.read_text()))
    env = {
        "VENDOR_PUBLISH_HOME": str(tmp_path / "vp-home"),
        "ACCSYN_API_USER": USER,
        "ACCSYN_API_KEY": api_key,
        "ACCSYN_PRODUCTION_PATH": str(production),
        "VENDOR_PUBLISH_STUDIO": str(studio),
        "VENDOR_PUBLISH_SERVER": sandbox.url,
    }
    return env, production


def use_environment(monkeypatch, env: dict[str, str]) -> None:
    """Apply a vendor environment for one test, with no stray accsyn settings from the caller's shell."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for name in OTHER_ACCSYN_VARS:
        monkeypatch.delenv(name, raising=False)
