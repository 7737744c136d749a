"""`workspace/file` (ls, exists, getsize, mkdir, delete, rename, move) and the publish pre-process."""

from __future__ import annotations

import datetime as _dt
import re
import shutil
from pathlib import Path
from typing import Any

from vendor_publish.sandbox.core import Core
from vendor_publish.sandbox.errors import ApiError, bad_request, forbidden, not_found
from vendor_publish.sandbox.jobs import Resolver, Side
from vendor_publish.sandbox.paths import acl_allows, acl_leads_to, clean_rel, join_rel

READ_OPS = ("ls", "exists", "getsize")
WRITE_OPS = ("mkdir", "delete", "rename", "move")


def file_op(core: Core, caller: dict, method: str, data: Any) -> Any:
    """Dispatch one `workspace/file` event; a list of paths answers one entry per path."""
    if not isinstance(data, dict):
        raise bad_request("workspace/file needs a JSON object with 'op' and 'path'.")
    op = str(data.get("op") or "").lower()
    expected = "GET" if op in READ_OPS else {"mkdir": "POST", "delete": "POST"}.get(op, "PUT")
    if op not in READ_OPS + WRITE_OPS:
        raise bad_request(f"Unknown file operation '{op}'; known: {', '.join(READ_OPS + WRITE_OPS)}.")
    if method != expected:
        raise bad_request(f"File operation '{op}' is sent with {expected}, not {method}.")
    path = data.get("path")
    if isinstance(path, list):
        return [{"path": p, "result": _one(core, caller, op, p, data)} for p in path]
    return _one(core, caller, op, path, data)


def _locate(core: Core, caller: dict, path: Any, need: str) -> tuple[Side, Path, bool]:
    """The side, the folder on disk, and whether listing must be filtered to ACL paths."""
    if isinstance(path, dict):
        path = path.get("path")
    if not isinstance(path, str) or not path.strip():
        raise bad_request("A file operation needs a 'path' like 'share=<code>/<path>'.")
    res = Resolver(core, caller, {})
    side = res.side(path)
    if side.party != "workspace":
        raise bad_request(f"File operations work on workspace storage; '{path}' names a user's machine.")
    vol_rel = core.share_volume_rel(side.share, side.rel) if side.kind == "share" else side.rel
    disk = core.volume_dir(side.volume).joinpath(*[p for p in vol_rel.split("/") if p])
    filtered = False
    if not core.elevated(caller):
        if side.kind == "volume":
            raise forbidden(f"User '{caller['code']}' may not access volume paths ('{path}').")
        acls = core.acls_of(caller["id"])
        if not acl_allows(acls, side.share["id"], side.rel, need):
            if need == "read" and acl_leads_to(acls, side.share["id"], side.rel):
                filtered = True
            else:
                shown = join_rel(side.share["code"], side.rel)
                raise forbidden(f"User '{caller['code']}' has no {need} access to '{shown}'.")
    return side, disk, filtered


def _one(core: Core, caller: dict, op: str, path: Any, data: dict) -> Any:
    need = "read" if op in READ_OPS else "write"
    side, disk, filtered = _locate(core, caller, path, need)
    if op == "exists":
        return disk.exists()
    if op == "getsize":
        if not disk.exists():
            raise not_found(f"'{path}' does not exist.")
        return _size(disk)
    if op == "ls":
        if not disk.is_dir():
            raise not_found(f"'{path}' is not an existing directory.")
        keep = None
        if filtered:
            acls = core.acls_of(caller["id"])
            sid = side.share["id"]
            keep = lambda rel: acl_allows(acls, sid, rel, "read") or acl_leads_to(acls, sid, rel)  # noqa: E731
        return _ls(disk, side.rel, data, keep, depth=1)
    if op == "mkdir":
        if disk.exists():
            raise bad_request(f"'{path}' already exists.")
        if not disk.parent.is_dir():
            raise bad_request(f"The parent directory of '{path}' does not exist.")
        disk.mkdir()
        return True
    if op == "delete":
        if not disk.exists():
            raise not_found(f"'{path}' does not exist.")
        if disk.is_dir():
            if any(disk.iterdir()) and not data.get("force"):
                raise bad_request(f"Cannot delete non-empty directory '{path}'!")
            shutil.rmtree(disk)
        else:
            disk.unlink()
        return True
    target = data.get("path_to")
    _, dest, _ = _locate(core, caller, target, "write")
    if not disk.exists():
        raise not_found(f"'{path}' does not exist.")
    if op == "rename" and dest.parent != disk.parent:
        raise bad_request(f"Rename keeps '{path}' in its folder; use move for '{target}'.")
    if not dest.parent.is_dir():
        raise bad_request(f"The destination folder of '{target}' does not exist.")
    shutil.move(str(disk), str(dest))
    return True


def _size(p: Path) -> int:
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def _match(name: str, expr: str) -> bool:
    m = re.match(r"^re\('(.*)'(?:\s*,\s*'([A-Za-z]*)')?\)$", expr)
    if m:
        flags = re.IGNORECASE if "i" in (m.group(2) or "").lower() else 0
        return re.search(m.group(1), name, flags) is not None
    n, e = name.lower(), expr.lower()
    if "*" not in e:
        return n == e
    return re.match("^" + ".*".join(re.escape(p) for p in e.split("*")) + "$", n) is not None


def _filters(data: dict, name: str) -> bool:
    include = data.get("include")
    exclude = data.get("exclude")
    inc = [include] if isinstance(include, str) else (include or [])
    exc = [exclude] if isinstance(exclude, str) else (exclude or [])
    if inc:
        return any(_match(name, e) for e in inc)
    return not any(_match(name, e) for e in exc)


def _ls(folder: Path, rel: str, data: dict, keep, depth: int) -> list[dict]:
    out = []
    maxdepth = data.get("maxdepth")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if entry.name.startswith(".") and entry.name.endswith(".sandbox-part"):
            continue
        entry_rel = clean_rel(f"{rel}/{entry.name}")
        if keep is not None and not keep(entry_rel):
            continue
        is_dir = entry.is_dir()
        if data.get("files_only") and is_dir and not data.get("recursive"):
            continue
        if data.get("directories_only") and not is_dir:
            continue
        stat = entry.stat()
        item: dict[str, Any] = {
            "type": 0 if is_dir else 1,
            "filename": entry.name,
            "size": (_size(entry) if data.get("getsize") else -1) if is_dir else stat.st_size,
            "modified": _dt.datetime.fromtimestamp(stat.st_mtime, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        }
        if is_dir and data.get("recursive") and (not maxdepth or depth < int(maxdepth)):
            item["files"] = _ls(entry, entry_rel, data, keep, depth + 1)
        if not is_dir and not _filters(data, entry.name):
            continue
        out.append(item)
    return out


# --- publish -------------------------------------------------------------------------------------

NO_PUBLISH = ("Workspace '{ws}' has no Publish workflow (no pre-publish-server hook is configured); "
              "upload to a share folder you have write access to instead.")


def _entry_defaults(entry: dict) -> dict:
    out = dict(entry)
    for key, value in (("can_publish", False), ("rejected", False), ("warning", None), ("can_upload", False),
                       ("path", None), ("info", None), ("ident", entry.get("filename"))):
        out.setdefault(key, value)
    return out


def preprocess(core: Core, caller: dict, event: dict, data: Any, client_ip: str) -> dict:
    """`workspace/publish/preprocess`: run the pre-publish-server hook, or say publish is not set up."""
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise bad_request("Publish pre-process needs {'files': [...], 'size': N}.")
    files = data["files"]
    ws = core.workspace_code()
    if core.hooks.command("pre-publish-server") is None:
        message = NO_PUBLISH.format(ws=ws)
        return {"files": [_entry_defaults(dict(f, warning=message)) for f in files], "guidelines": message,
                "comment": False, "time_report": False, "statuses": [], "publish": False}
    client = core.app_client(caller["id"])
    hook_input = {"hook": "pre-publish-server", "hostname": event.get("hostname"), "ip": client_ip,
                  "client": client["id"] if client else None, "user": caller["id"], "user_hr": caller["code"],
                  "metadata": {}, "files": files, "size": data.get("size")}
    result = core.hooks.run("pre-publish-server", hook_input, want_output=True)
    if result is None or not result.ok or not isinstance(result.output, dict):
        why = result.error if result is not None else "not configured"
        raise ApiError(500, f"The pre-publish-server hook of workspace '{ws}' failed: {why}.")
    out = dict(result.output)
    out_files = [_entry_defaults(f) for f in out.get("files") or [] if isinstance(f, dict)]
    for f in out_files:
        if f.get("id") and f.get("path") and (f.get("can_publish") or f.get("can_upload")):
            core.publish_grants[str(f["id"])] = {"user": caller["id"], "path": str(f["path"])}
    out["files"] = out_files
    for key, value in (("guidelines", ""), ("comment", False), ("time_report", False), ("statuses", [])):
        out.setdefault(key, value)
    out["publish"] = True
    return out
