"""The studio profile: what a studio hands its vendors (a small TOML or JSON file)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vendor_publish.errors import ConfigError
from vendor_publish.models import Severity

SEVERITY_CHOICES = ("error", "warning", "info", "ignore")


class StudioProfile(BaseModel):
    """A studio's publish rules; unknown keys are refused so a typo cannot pass silently."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(description="Studio name shown in the menu: 'Publish to <display_name>'.")
    workspace: str = Field(description="accsyn workspace code, e.g. 'geoscan'.")
    share: str = Field(description="Share code the vendor uploads into, e.g. 'proj002-outsourcing'.")
    volume: str | None = Field(default=None, description="Volume the share lives on, e.g. 'production'.")
    share_path: str | None = Field(default=None, description="The share's folder on its volume, e.g. 'proj002'.")
    upload_root: str = Field(default="FROM_VENDORS/{user}", description="Share-relative upload folder template.")
    job_code: str = Field(default="{task}_output", description="Job code template.")
    task_from: str | None = Field(
        default=None, description="Regex with a named group 'task' applied to the project file name."
    )
    externals_dir: str = "_external"
    naming: dict[str, list[str]] = Field(
        default_factory=dict, description="Role -> file-name patterns every file of that role must match."
    )
    required: dict[str, int] = Field(default_factory=dict, description="Role -> minimum number of files.")
    severity: dict[str, str] = Field(
        default_factory=dict, description="Finding code -> error|warning|info|ignore (overrides the default)."
    )
    output_folders: list[str] = Field(
        default_factory=list, description="Folders or globs (relative to the project file's folder) holding outputs."
    )
    server: str | None = Field(default=None, description="Server URL; only for a sandbox or an on-prem test.")

    @field_validator("upload_root", "job_code")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        allowed = {"user", "task", "workspace", "share", "project"}
        for _, field, _, _ in string.Formatter().parse(value):
            if field is not None and field not in allowed:
                raise ValueError(f"unknown placeholder {{{field}}}; use one of {sorted(allowed)}")
        return value

    @field_validator("naming", "required")
    @classmethod
    def _known_roles(cls, value: dict[str, Any]) -> dict[str, Any]:
        roles = {"project", "dependency", "output"}
        for key in value:
            if key not in roles:
                raise ValueError(f"unknown role {key!r}; use one of {sorted(roles)}")
        return value

    @field_validator("severity")
    @classmethod
    def _known_severities(cls, value: dict[str, str]) -> dict[str, str]:
        for code, level in value.items():
            if level not in SEVERITY_CHOICES:
                raise ValueError(f"severity of {code!r} is {level!r}; use one of {list(SEVERITY_CHOICES)}")
        return value

    @field_validator("task_from")
    @classmethod
    def _task_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                compiled = re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
            if "task" not in compiled.groupindex:
                raise ValueError("the regular expression needs a named group (?P<task>...)")
        return value

    @property
    def menu_label(self) -> str:
        """The label of the host menu entry."""
        return f"Publish to {self.display_name}"

    def severity_for(self, code: str, default: Severity) -> Severity | None:
        """The severity the studio wants for a finding code; None means drop it."""
        level = self.severity.get(code)
        if level is None:
            return default
        if level == "ignore":
            return None
        return Severity(level)


def load_profile(path: str | Path) -> StudioProfile:
    """Read a studio profile from a .toml or .json file, with errors that name the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"Studio profile not found: {path}",
            hint="Check --studio or VENDOR_PUBLISH_STUDIO; the studio sends you this file.",
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot read studio profile {path}: {exc.strerror}") from None
    data = _parse_profile_bytes(path, raw)
    try:
        return StudioProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"Studio profile {path} is not valid: {problems}",
            hint="Fix the file or ask the studio for a corrected profile.",
        ) from None


def _parse_profile_bytes(path: Path, raw: bytes) -> dict[str, Any]:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"Studio profile {path} is not valid JSON: {exc}") from None
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10 hosts (e.g. Maya 2024)
            raise ConfigError(
                f"Studio profile {path} is TOML, which needs Python 3.11+ here.",
                hint="Ask the studio for the same profile as .json.",
            ) from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"Studio profile {path} is not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Studio profile {path} must hold a table of settings.")
    return data


def render_template(template: str, **values: str) -> str:
    """Fill a profile template such as 'FROM_VENDORS/{user}'."""
    return template.format(**values)


def task_name(profile: StudioProfile, project_file: str, explicit: str | None = None) -> str:
    """The task a publish belongs to: explicit, else from the profile's regex, else the file stem."""
    if explicit:
        return explicit
    name = re.split(r"[\\/]", project_file)[-1]
    if profile.task_from:
        match = re.search(profile.task_from, name)
        if match and match.group("task"):
            return match.group("task")
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return stem or name
