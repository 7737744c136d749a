"""The tutorial's world ("geoscan"): workspace, users, volume, share, ACLs, clients, sample data.

Seeding is idempotent: what exists is kept (only the users' API key digest is refreshed, so
every seeded user logs in with the key the sandbox was started with).
"""

from __future__ import annotations

import socket
from pathlib import Path

from vendor_publish.sandbox.core import Core, key_digest
from vendor_publish.sandbox.entities import new_user
from vendor_publish.sandbox.store import new_id, now

SEEDS = ("geoscan",)

GEOSCAN_USERS = (("andrea@geoscan.org", "admin"), ("workflow@geoscan.org", "employee"),
                 ("jennifer@gda.com", "standard"))
# The upload ACL first: it is the one a vendor's tools look for.
GEOSCAN_ACLS = (("FROM_VENDORS/jennifer@gda.com", True, True), ("DATASET_001_1203", True, False),
                ("TO_VENDORS", True, False))
SAMPLE_FILES = {
    "DATASET_001_1203/source/scan_0001.dat": b"GEOSCAN-DAT 1\n" + bytes(range(256)) * 8,
    "DATASET_001_1203/source/scan_0002.dat": b"GEOSCAN-DAT 2\n" + bytes(range(255, -1, -1)) * 8,
    "DATASET_001_1203/source/scan_0003.dat": b"GEOSCAN-DAT 3\n" + b"\x00\x01" * 1024,
    "TO_VENDORS/analysis_task_description.txt": (
        b"Task DATASET_001_1203: clean the scan points in source/, run the analysis and export\n"
        b"the result as proj002_DATASET_001_1203_exported.dat. Upload your project file, the\n"
        b"cleaned set and the export to FROM_VENDORS/<your e-mail>/.\n"),
}


def _ensure(core: Core, coll: str, match: dict, record: dict) -> dict:
    for rec in core.store.all(coll):
        if all(str(rec.get(k, "")).lower() == str(v).lower() for k, v in match.items()):
            return rec
    return core.store.put(coll, record, persist=False)


def seed(core: Core, name: str) -> None:
    """Create the named world if it is not there yet."""
    if name != "geoscan":
        raise ValueError(f"Unknown seed {name!r}; available: {', '.join(SEEDS)}")
    store = core.store
    root = core.config.root
    t = now()
    with store.lock:
        ws = core.workspace()
        if ws is not None and ws["code"] != "geoscan":
            raise ValueError(f"The sandbox at {root} already holds workspace {ws['code']!r}, not 'geoscan'.")
        _ensure(core, "workspace", {"code": "geoscan"},
                {"id": new_id(), "code": "geoscan", "name": "GeoScan", "created": t})
        users = {}
        for email, role in GEOSCAN_USERS:
            user = _ensure(core, "user", {"code": email}, new_user(email, role, core.config.api_key))
            users[email] = store.update("user", user["id"], {"_key_sha256": key_digest(core.config.api_key)},
                                        persist=False)
        vol_dir = root / "volumes" / "production"
        vol = _ensure(core, "share", {"code": "production"}, {
            "id": new_id(), "code": "production", "name": "Production", "type": "volume", "parent": None,
            "path": str(vol_dir), "default": True, "status": "enabled", "created": t, "modified": t,
            "creator": "andrea@geoscan.org", "metadata": {}, "description": "GeoScan production disk"})
        share = _ensure(core, "share", {"code": "proj002-outsourcing"}, {
            "id": new_id(), "code": "proj002-outsourcing", "name": "proj002-outsourcing", "type": "folder",
            "parent": vol["id"], "parent_hr": f"share:production[volume]({vol['id']})", "path": "proj002",
            "status": "enabled", "created": t, "modified": t, "creator": "workflow@geoscan.org", "metadata": {},
            "description": ""})
        jennifer = users["jennifer@gda.com"]
        for path, read, write in GEOSCAN_ACLS:
            ent = f"user:{jennifer['id']}"
            _ensure(core, "acl", {"entity": ent, "target": f"share:{share['id']}", "path": path}, {
                "id": new_id(), "entity": ent, "ident": ent, "entity_hr": "user:jennifer@gda.com",
                "target": f"share:{share['id']}", "target_hr": "share:proj002-outsourcing", "path": path,
                "read": read, "write": write, "acknowledged": True, "created": t, "modified": t,
                "creator": "workflow@geoscan.org"})
        host = socket.gethostname()
        for email, user in users.items():
            _ensure(core, "client", {"user": user["id"], "type": 0}, {
                "id": new_id(), "code": host, "user": user["id"], "user_hr": email, "type": 0, "type_hr": "app",
                "status": "online", "os": "linux", "created": t, "last_checkin": t, "username": email.split("@")[0],
                "version": "sandbox", "metadata": {}})
        store.save()
    for rel, content in SAMPLE_FILES.items():
        target = vol_dir / "proj002" / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    (vol_dir / "proj002" / "FROM_VENDORS" / "jennifer@gda.com").mkdir(parents=True, exist_ok=True)


def write_studio_profile(root: Path, url: str) -> Path:
    """Write the vendor-side profile for GeoScan (server rewritten on every start)."""
    path = root / "studio-geoscan.toml"
    text = (
        'display_name = "GeoScan"\n'
        'workspace = "geoscan"\n'
        'share = "proj002-outsourcing"\n'
        'volume = "production"\n'
        'share_path = "proj002"\n'
        'upload_root = "FROM_VENDORS/{user}"\n'
        'job_code = "{task}_output"\n'
        f'server = "{url}"\n'
        "\n[naming]\n"
        'output = ["*_exported.dat"]\n'
        "\n[required]\n"
        "output = 1\n"
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
