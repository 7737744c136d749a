"""The sandbox's shared state and look-ups: store, configuration, users, shares, ACLs, clients."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from vendor_publish.sandbox.errors import ApiError
from vendor_publish.sandbox.hooks import HookRunner
from vendor_publish.sandbox.store import Store

ELEVATED = ("admin", "employee", "support")
ROLE_ALIASES = {"user": "standard", "client": "standard", "standard": "standard", "restricted": "standard",
                "employee": "employee", "admin": "admin", "support": "support"}
ID_RE = re.compile(r"^[a-f0-9]{24}$")


def key_digest(api_key: str) -> str:
    """What the store keeps instead of an API key."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def normalise_role(role: str | None) -> str:
    """admin / employee / standard / support from any accepted spelling (client, user -> standard)."""
    r = ROLE_ALIASES.get((role or "standard").strip().lower())
    if r is None:
        raise ApiError(400, f"Unknown role/clearance '{role}'; use admin, employee, standard or support.")
    return r


@dataclass
class Config:
    """What the Sandbox was started with."""

    root: Path
    api_key: str
    local_roots: dict[str, Path] = field(default_factory=dict)
    transfer_rate: float | None = None
    hook_timeout: float = 60.0


class Core:
    """Look-ups and rules shared by the request handlers and the transfer worker."""

    def __init__(self, config: Config, store: Store, hooks: HookRunner) -> None:
        self.config = config
        self.store = store
        self.hooks = hooks
        self.wake = threading.Event()  # set whenever the worker may have something to do
        self.publish_grants: dict[str, dict] = {}

    # --- workspace ---------------------------------------------------------------------------

    def workspace(self) -> dict | None:
        """The (single) workspace, or None before seeding."""
        items = self.store.all("workspace")
        return items[0] if items else None

    def workspace_code(self) -> str:
        """The workspace code, e.g. 'geoscan'."""
        ws = self.workspace()
        return ws["code"] if ws else ""

    # --- users -------------------------------------------------------------------------------

    def user_by_code(self, code: str) -> dict | None:
        """A user by e-mail, case-insensitively."""
        c = (code or "").strip().lower()
        found = self.store.all("user", lambda r: r["code"].lower() == c)
        return found[0] if found else None

    def user_by_ref(self, ref: str) -> dict | None:
        """A user by id or e-mail."""
        if ID_RE.match(ref or ""):
            return self.store.get("user", ref)
        return self.user_by_code(ref)

    def check_key(self, user: dict, api_key: str) -> bool:
        """Constant-time comparison of a presented key with the stored digest."""
        return hmac.compare_digest(user.get("_key_sha256", ""), key_digest(api_key))

    @staticmethod
    def elevated(user: dict) -> bool:
        """Admin, employee or support."""
        return user.get("role") in ELEVATED

    def local_root(self, user: dict) -> Path:
        """Where this user's desktop app keeps files on this machine."""
        configured = {k.lower(): v for k, v in self.config.local_roots.items()}
        path = configured.get(user["code"].lower()) or self.config.root / "local" / user["code"]
        return Path(path)

    # --- shares ------------------------------------------------------------------------------

    def share_by_ref(self, ref: str, keyword: str = "share") -> dict | None:
        """A share (any type, or the keyword's type) by id or code; `(default)` is the default volume."""
        r = (ref or "").strip().lower()
        wanted = {"folder": ("folder",), "home": ("home",), "collection": ("collection",),
                  "volume": ("volume",)}.get(keyword)
        if r in ("(default)", "default", "") and keyword in ("volume", "share"):
            vols = self.store.all("share", lambda s: s["type"] == "volume" and s.get("default"))
            return vols[0] if vols else None
        for s in self.store.all("share"):
            if (s["id"] == r or s["code"].lower() == r) and (wanted is None or s["type"] in wanted):
                return s
        return None

    def default_volume(self) -> dict | None:
        """The volume marked default."""
        return self.share_by_ref("(default)", "volume")

    def volume_of(self, share: dict) -> dict:
        """The volume a share lives on (itself for a volume)."""
        if share["type"] == "volume":
            return share
        vol = self.store.get("share", share["parent"])
        if vol is None:
            raise ApiError(500, f"Share '{share['code']}' has lost its volume.")
        return vol

    def volume_dir(self, volume: dict) -> Path:
        """The folder on disk holding a volume."""
        return self.config.root / "volumes" / volume["code"]

    def share_volume_rel(self, share: dict, rel: str) -> str:
        """A share-relative path as a path relative to the share's volume."""
        base = "" if share["type"] == "volume" else share.get("path", "")
        return "/".join(p for p in (base.strip("/"), rel.strip("/")) if p)

    def acls_of(self, user_id: str) -> list[dict]:
        """The ACLs naming a user."""
        return self.store.all("acl", lambda a: a.get("entity") == f"user:{user_id}")

    # --- clients -----------------------------------------------------------------------------

    def app_client(self, user_id: str) -> dict | None:
        """The user's desktop-app client (type 0) on this machine, if any."""
        found = self.store.all("client", lambda c: c["user"] == user_id and c.get("type") == 0)
        return found[0] if found else None

    def client_online(self, user_id: str) -> bool:
        """True when the user has an online client (the sandbox plays it)."""
        return any(c["user"] == user_id and c.get("status") == "online" for c in self.store.all("client"))

    # --- misc --------------------------------------------------------------------------------

    def code_of(self, entity_id: str) -> str | None:
        """The human code of any entity id (user e-mail, share code, workspace code, client host)."""
        for coll in ("user", "share", "workspace", "client"):
            rec = self.store.get(coll, entity_id)
            if rec is not None:
                return rec.get("code")
        return None
