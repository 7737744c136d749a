"""The vendor's effective settings, where each value came from, and the vendor config file.

Precedence, first wins (``config show`` prints the winner and its source):

1. command-line arguments (``--user``, ``--server``, ``--studio``...);
2. the KEY=VALUE file named by ``ACCSYN_CREDENTIALS_PATH`` (as the official client);
3. the environment (``ACCSYN_WORKSPACE``/``ACCSYN_DOMAIN``/``ACCSYN_ORG``, ``ACCSYN_API_USER``,
   ``ACCSYN_API_KEY``, ``VENDOR_PUBLISH_SERVER``, ``VENDOR_PUBLISH_STUDIO``,
   ``ACCSYN_<SHARE>_PATH`` / ``ACCSYN_<VOLUME>_PATH``);
4. the vendor config file (``config.json`` in the user config dir, owner-only);
5. the studio profile (workspace, server).
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vendor_publish.credentials import NOT_SET, Credentials, load_credentials
from vendor_publish.errors import ConfigError
from vendor_publish.studio import StudioProfile, load_profile

APP = "vendor-publish"
HOME_VAR = "VENDOR_PUBLISH_HOME"
STUDIO_VAR = "VENDOR_PUBLISH_STUDIO"
CONFIG_KEYS = ("workspace", "user", "api_key", "server", "studio", "local_roots")


def _platform_dir(kind: str, env: Mapping[str, str]) -> Path:
    """One folder per kind; ``VENDOR_PUBLISH_HOME`` moves them all (tests, portable installs)."""
    home = env.get(HOME_VAR)
    if home:
        return Path(home) / kind
    import platformdirs

    getter = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind]
    return Path(getter(APP, appauthor=False))


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the vendor config file lives."""
    return _platform_dir("config", os.environ if env is None else env) / "config.json"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where manifests and the outbox live."""
    return _platform_dir("data", os.environ if env is None else env)


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the digest cache lives."""
    return _platform_dir("cache", os.environ if env is None else env)


def read_vendor_config(path: Path) -> tuple[dict[str, Any], list[str]]:
    """Read the vendor config file; returns its values and warnings (e.g. readable by others)."""
    warnings: list[str] = []
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, warnings
    except OSError as exc:
        raise ConfigError(f"Cannot read the vendor config file {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"The vendor config file {path} is not valid JSON ({exc.msg}, line {exc.lineno}).",
            hint="Fix it by hand, or delete it and set values again with 'vendor-publish config set'.",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"The vendor config file {path} must hold a JSON object.")
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(
            f"The vendor config file {path} has unknown keys: {', '.join(unknown)}.",
            hint=f"Known keys: {', '.join(CONFIG_KEYS)}.",
        )
    if data.get("api_key") and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.append(
                f"{path} holds your API key and other users can read it; run: chmod 600 '{path}'"
            )
    return data, warnings


def write_vendor_config(path: Path, values: Mapping[str, Any]) -> None:
    """Write the vendor config file atomically, readable by its owner only."""
    unknown = sorted(set(values) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"Unknown config keys: {', '.join(unknown)}.", hint=f"Use one of {', '.join(CONFIG_KEYS)}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(dict(values), fh, indent=2, sort_keys=True)
        fh.write("\n")
    if os.name == "posix":
        os.chmod(tmp, 0o600)  # O_CREAT's mode is filtered by umask; an old tmp kept its mode
    os.replace(tmp, path)


def share_env_names(share: str, volume: str | None) -> list[str]:
    """The ``ACCSYN_<CODE>_PATH`` variables that can say where the share lives locally."""
    names = [f"ACCSYN_{_env_code(share)}_PATH"]
    if volume:
        names.append(f"ACCSYN_{_env_code(volume)}_PATH")
    return names


def _env_code(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", code).upper()


@dataclass(frozen=True)
class Settings:
    """Everything a publish needs besides the project, with the source of each value."""

    credentials: Credentials
    profile: StudioProfile
    profile_path: str
    share_local_root: str | None
    config_file: str
    sources: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def describe(self) -> dict[str, dict[str, Any]]:
        """Effective values and their sources, with the key masked (for ``config show``)."""
        shown = self.credentials.describe()
        shown["studio"] = {"value": self.profile_path, "source": self.sources.get("studio", NOT_SET)}
        shown["share"] = {"value": self.profile.share, "source": "studio profile"}
        shown["share_local_root"] = {
            "value": self.share_local_root,
            "source": self.sources.get("share_local_root", NOT_SET),
        }
        shown["config_file"] = {"value": self.config_file, "source": "platform default" if not os.environ.get(HOME_VAR) else HOME_VAR}
        return shown


def resolve_settings(
    *,
    studio: str | None = None,
    workspace: str | None = None,
    user: str | None = None,
    api_key: str | None = None,
    server: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Combine arguments, environment, the vendor config file and the studio profile."""
    env = os.environ if env is None else env
    cfg_path = config_path(env)
    config, warnings = read_vendor_config(cfg_path)
    creds = load_credentials(workspace=workspace, user=user, api_key=api_key, server=server, env=env)

    studio_path, studio_src = _first(
        (studio, "argument --studio"),
        (env.get(STUDIO_VAR), f"environment ({STUDIO_VAR})"),
        (config.get("studio"), f"file {cfg_path}"),
    )
    if not studio_path:
        raise ConfigError(
            "No studio profile given.",
            hint=f"Pass --studio FILE or set {STUDIO_VAR}; the studio sends you this file "
            "(try 'vendor-publish sandbox --seed geoscan' for a local one).",
        )
    profile = load_profile(studio_path)

    sources = dict(creds.sources)
    values = {"workspace": creds.workspace, "user": creds.user, "api_key": creds.api_key, "server": creds.server}
    for key in values:
        if values[key] is None and config.get(key):
            values[key], sources[key] = config[key], f"file {cfg_path}"
    for key in ("workspace", "server"):
        if values[key] is None and getattr(profile, key):
            values[key], sources[key] = getattr(profile, key), f"studio profile {studio_path}"
    if values["workspace"] and values["workspace"].lower() != profile.workspace.lower():
        warnings.append(
            f"Workspace {values['workspace']!r} ({sources['workspace']}) differs from the studio profile's "
            f"{profile.workspace!r}; the publish goes to {values['workspace']!r}."
        )
    creds = replace(creds, sources=sources, **values)

    local_root, local_src = _share_local_root(profile, env, config, cfg_path)
    all_sources = {**sources, "studio": studio_src, "share_local_root": local_src}
    return Settings(
        credentials=creds,
        profile=profile,
        profile_path=str(studio_path),
        share_local_root=local_root,
        config_file=str(cfg_path),
        sources=all_sources,
        warnings=tuple(warnings),
    )


def _share_local_root(
    profile: StudioProfile, env: Mapping[str, str], config: Mapping[str, Any], cfg_path: Path
) -> tuple[str | None, str]:
    share_var, *volume_var = share_env_names(profile.share, profile.volume)
    if env.get(share_var):
        return env[share_var], f"environment ({share_var})"
    local_roots = config.get("local_roots") or {}
    if profile.share in local_roots:
        return local_roots[profile.share], f"file {cfg_path} (local_roots.{profile.share})"
    volume_root, src = None, NOT_SET
    if volume_var and env.get(volume_var[0]):
        volume_root, src = env[volume_var[0]], f"environment ({volume_var[0]})"
    elif profile.volume and profile.volume in local_roots:
        volume_root, src = local_roots[profile.volume], f"file {cfg_path} (local_roots.{profile.volume})"
    if volume_root is None:
        return None, NOT_SET
    if not profile.share_path:
        return None, f"{src}, but the studio profile has no share_path to find the share on the volume"
    sep = "\\" if "\\" in volume_root and "/" not in volume_root else "/"
    if sys.platform == "win32":
        sep = "\\"
    return volume_root.rstrip("/\\") + sep + profile.share_path.strip("/\\"), src + f" + share_path {profile.share_path}"


def _first(*candidates: tuple[str | None, str]) -> tuple[str | None, str]:
    for value, source in candidates:
        if value:
            return value, source
    return None, NOT_SET
