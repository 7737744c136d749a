"""Where the accsyn workspace, user, API key and server come from, and which one wins.

The official accsyn client reads ``ACCSYN_WORKSPACE`` (then ``ACCSYN_DOMAIN``,
``ACCSYN_ORG``), ``ACCSYN_API_USER``, ``ACCSYN_API_KEY`` and a KEY=VALUE file named by
``ACCSYN_CREDENTIALS_PATH`` whose values override the environment. We follow the same order
(explicit argument > credentials file > environment) so a vendor's existing setup behaves the
same, but we never read a stray ``./.env`` from the working directory, and every value keeps a
note of where it came from (``config show`` prints it).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from .errors import ConfigError

WORKSPACE_VARS = ("ACCSYN_WORKSPACE", "ACCSYN_DOMAIN", "ACCSYN_ORG")
USER_VAR = "ACCSYN_API_USER"
KEY_VAR = "ACCSYN_API_KEY"
CREDENTIALS_PATH_VAR = "ACCSYN_CREDENTIALS_PATH"
SERVER_VAR = "VENDOR_PUBLISH_SERVER"

HOSTED_DOMAIN = "accsyn.com"
HOSTED_PORT = 443

ARGUMENT = "argument"
NOT_SET = "not set"


@dataclass(frozen=True)
class CredentialsFile:
    """The KEY=VALUE pairs of a credentials file, with the path they were read from."""

    path: str
    values: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class Credentials:
    """Resolved settings; ``sources`` says where each came from (never the key itself)."""

    workspace: str | None
    user: str | None
    api_key: str | None = field(repr=False)
    server: str | None
    sources: Mapping[str, str]
    credentials_path: str | None = None

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return (
            f"Credentials(workspace={self.workspace!r}, user={self.user!r}, api_key=<{key}>, "
            f"server={self.server!r}, sources={dict(self.sources)!r})"
        )

    __str__ = __repr__

    def missing(self) -> list[str]:
        """Names of the required settings that are not set."""
        wanted = {"workspace": self.workspace, "user": self.user, "api_key": self.api_key}
        return [name for name, value in wanted.items() if not value]

    def require(self) -> Credentials:
        """Return self, or raise ConfigError naming each missing setting and how to set it."""
        missing = self.missing()
        if not missing:
            return self
        how = {
            "workspace": f"{WORKSPACE_VARS[0]} (the studio's accsyn workspace code, e.g. geoscan)",
            "user": f"{USER_VAR} (your accsyn e-mail)",
            "api_key": f"{KEY_VAR} (create one at https://accsyn.io/developer)",
        }
        where = f" or in {self.credentials_path}" if self.credentials_path else ""
        raise ConfigError(
            "accsyn settings missing: " + ", ".join(missing) + ".",
            hint="Set " + "; ".join(how[m] for m in missing)
            + f" in the environment{where}, or in a KEY=VALUE file named by {CREDENTIALS_PATH_VAR}.",
        )

    def describe(self) -> dict[str, dict[str, str | None]]:
        """Each setting with its source, the key shown only as set/unset (for ``config show``)."""
        return {
            "workspace": {"value": self.workspace, "source": self.sources.get("workspace", NOT_SET)},
            "user": {"value": self.user, "source": self.sources.get("user", NOT_SET)},
            "api_key": {
                "value": "<set>" if self.api_key else None,
                "source": self.sources.get("api_key", NOT_SET),
            },
            "server": {"value": self.server, "source": self.sources.get("server", NOT_SET)},
        }


def parse_credentials_text(text: str) -> dict[str, str]:
    """Parse KEY=VALUE lines (``#`` comments, optional ``export``, optional quotes)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key:
            values[key] = value
    return values


def read_credentials_file(path: str | os.PathLike[str]) -> CredentialsFile:
    """Read a credentials file, or raise ConfigError naming it."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"The accsyn credentials file {p} does not exist.",
            hint=f"Create it (KEY=VALUE lines) or fix {CREDENTIALS_PATH_VAR}.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Cannot read the accsyn credentials file {p}: {exc.__class__.__name__}.",
            hint="Check the file's permissions and that it is UTF-8 text.",
        ) from None
    return CredentialsFile(path=str(p), values=parse_credentials_text(text))


def _pick(
    explicit: str | None,
    names: tuple[str, ...],
    env: Mapping[str, str],
    file: CredentialsFile | None,
) -> tuple[str | None, str]:
    if explicit:
        return explicit, ARGUMENT
    if file is not None:
        for name in names:
            if file.values.get(name):
                return file.values[name], f"file {file.path} ({name})"
    for name in names:
        if env.get(name):
            return env[name], f"environment ({name})"
    return None, NOT_SET


def resolve_credentials(
    *,
    workspace: str | None = None,
    user: str | None = None,
    api_key: str | None = None,
    server: str | None = None,
    env: Mapping[str, str] | None = None,
    file: CredentialsFile | None = None,
) -> Credentials:
    """Pure: combine explicit arguments, a credentials file and an environment mapping.

    Precedence per value: argument, then file, then environment (as the official client:
    its credentials file overrides the environment). Missing values stay ``None``.
    """
    env = env if env is not None else {}
    ws, ws_src = _pick(workspace, WORKSPACE_VARS, env, file)
    us, us_src = _pick(user, (USER_VAR,), env, file)
    key, key_src = _pick(api_key, (KEY_VAR,), env, file)
    srv, srv_src = _pick(server, (SERVER_VAR,), env, file)
    if srv is None:
        srv_src = "default (hosted accsyn)"
    return Credentials(
        workspace=ws.strip() if ws else None,
        user=us.strip() if us else None,
        api_key=key.strip() if key else None,
        server=srv.strip() if srv else None,
        sources={"workspace": ws_src, "user": us_src, "api_key": key_src, "server": srv_src},
        credentials_path=file.path if file else None,
    )


def load_credentials(
    *,
    workspace: str | None = None,
    user: str | None = None,
    api_key: str | None = None,
    server: str | None = None,
    credentials_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """Read the credentials file (argument or ``ACCSYN_CREDENTIALS_PATH``) and resolve."""
    env = os.environ if env is None else env
    path = credentials_path or env.get(CREDENTIALS_PATH_VAR) or None
    file = read_credentials_file(path) if path else None
    return resolve_credentials(
        workspace=workspace, user=user, api_key=api_key, server=server, env=env, file=file
    )


@dataclass(frozen=True)
class ServerAddress:
    """Where the accsyn REST API lives: scheme, host and port."""

    scheme: str
    host: str
    port: int

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` with IPv6 hosts bracketed."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def display(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """True for 127.0.0.0/8, ::1 and localhost."""
        return is_loopback_host(self.host)


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost`` (nothing is resolved)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_server(server: str, *, setting: str = SERVER_VAR) -> ServerAddress:
    """Parse ``https://host[:port]``, ``http://<loopback>:port`` or ``host[:port]`` (HTTPS).

    Plain HTTP is refused unless the host is loopback: the API key travels in every request.
    """
    text = server.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(
            f"The accsyn server {server!r} (from {setting}) is not a valid address ({exc}).",
            hint="Use https://host[:port], or http://127.0.0.1:PORT for a local sandbox.",
        ) from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    path = parts.path.rstrip("/")
    if path in ("/api/v3",):
        path = ""
    if scheme not in ("http", "https") or not host or path or parts.query or parts.fragment:
        raise ConfigError(
            f"The accsyn server {server!r} (from {setting}) is not a valid address.",
            hint="Use https://host[:port], or http://127.0.0.1:PORT for a local sandbox.",
        )
    if parts.username or parts.password:
        raise ConfigError(
            f"The accsyn server address (from {setting}) must not carry a user name or password.",
            hint="Put the user in ACCSYN_API_USER and the key in ACCSYN_API_KEY.",
        )
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"The accsyn server {server!r} (from {setting}) uses plain http:// to {host}, which would "
            "send your API key unencrypted.",
            hint="Use https://, or http:// only for a local sandbox on 127.0.0.1/localhost.",
        )
    default_port = 443 if scheme == "https" else 80
    return ServerAddress(scheme=scheme, host=host, port=port or default_port)


def hosted_server(workspace: str) -> ServerAddress:
    """The hosted service's address for a workspace: ``https://<workspace>.accsyn.com:443``."""
    return ServerAddress(scheme="https", host=f"{workspace.lower()}.{HOSTED_DOMAIN}", port=HOSTED_PORT)
