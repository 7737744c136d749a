"""Entity types, visibility rules and find/create/edit/delete for everything but jobs and tasks."""

from __future__ import annotations

import re
from typing import Any, Callable

from vendor_publish.sandbox import query as q
from vendor_publish.sandbox.core import ID_RE, Core, key_digest, normalise_role
from vendor_publish.sandbox.errors import bad_request, forbidden, not_found
from vendor_publish.sandbox.paths import clean_rel
from vendor_publish.sandbox.store import new_id, now

TYPE_ALIASES = {
    "user": "user", "workspace": "workspace", "organization": "workspace", "domain": "workspace",
    "volume": "volume", "share": "share", "folder": "folder", "home": "home", "collection": "collection",
    "workarea": "share", "acl": "acl", "client": "client", "transfer": "transfer", "job": "transfer",
    "task": "task", "queue": "queue", "site": "site",
}
COLLECTION_OF = {"volume": "share", "share": "share", "folder": "share", "home": "share",
                 "collection": "share", "transfer": "job"}
SHARE_TYPES = {"volume": ("volume",), "folder": ("folder",), "home": ("home",), "collection": ("collection",),
               "share": ("volume", "folder", "home", "collection")}
FINISHED = ("done", "aborted")

ATTRIBUTES = {
    "user": ["id", "code", "email", "name", "role", "clearance", "status", "created", "modified"],
    "workspace": ["id", "code", "name", "created"],
    "share": ["id", "code", "name", "type", "parent", "parent_hr", "path", "status", "default", "created",
              "creator"],
    "acl": ["id", "entity", "entity_hr", "ident", "target", "target_hr", "path", "read", "write", "created"],
    "client": ["id", "code", "user", "user_hr", "type", "type_hr", "status", "os", "created", "last_checkin"],
    "transfer": ["id", "code", "name", "status", "progress", "size", "speed", "etr", "user", "user_hr", "source",
                 "source_hr", "destination", "destination_hr", "created", "modified", "finished", "metadata",
                 "settings", "hooks", "reason"],
    "task": ["id", "uri", "job", "job_hr", "status", "size", "progress", "priority", "source", "destination",
             "metadata", "created", "finished", "reason"],
}


def entity_type(name: str) -> str:
    """The canonical entity type for a name or alias; 404 for an unknown one."""
    t = TYPE_ALIASES.get((name or "").strip().lower())
    if t is None:
        raise not_found(f"Unknown entity type '{name}'; known: {', '.join(sorted(set(TYPE_ALIASES)))}.")
    return t


def public(record: dict, attributes: list[str] | None = None) -> dict:
    """The record as the API shows it: private `_` keys dropped, optionally only some attributes."""
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    if attributes:
        keep = {a.lower() for a in attributes} | {"id"}
        out = {k: v for k, v in out.items() if k.lower() in keep}
    return out


def resolver(core: Core):
    """A query resolver that also matches ids by code, `_hr` fields and paths in either slash style."""

    def resolve(record: dict, attr: str) -> list:
        if attr == "ident":
            attr = "entity"
        values = list(q.default_resolver(record, attr))
        hr = record.get(f"{attr}_hr")
        if hr is not None:
            values.append(hr)
        extra: list[Any] = []
        for v in values:
            if not isinstance(v, str):
                continue
            m = re.match(r"^([a-z]+):([a-f0-9]{24})$", v)
            if m:
                code = core.code_of(m.group(2))
                if code:
                    extra += [f"{m.group(1)}:{code}", code]
            elif ID_RE.match(v):
                code = core.code_of(v)
                if code:
                    extra.append(code)
            if attr.endswith("path") and ("\\" in v or v.startswith("/") or v.endswith("/")):
                extra.append(v.replace("\\", "/").strip("/") or "/")
        return values + extra

    return resolve


def parse_query(text: str | None) -> q.Node | None:
    """Parse an event's query; 400 naming the problem when it does not parse."""
    try:
        node = q.parse(text or "")
    except q.QueryError as exc:
        raise bad_request(str(exc)) from exc
    return _normalise_paths(node)


def _normalise_paths(node: q.Node | None) -> q.Node | None:
    if node is None:
        return None
    if isinstance(node, q.BoolOp):
        return q.BoolOp(node.op, tuple(_normalise_paths(n) for n in node.items))
    if node.attr.endswith("path") and isinstance(node.value, str):
        return q.Comparison(node.attr, node.op, node.value.replace("\\", "/").strip("/") or "/")
    return node


# --- visibility ---------------------------------------------------------------------------------


def visibility(core: Core, caller: dict, etype: str) -> Callable[[dict], bool]:
    """A predicate on raw records: may the caller see this one?"""
    kinds = SHARE_TYPES.get(etype)
    if core.elevated(caller):
        return (lambda r: r.get("type") in kinds) if kinds else (lambda r: True)
    me = caller["id"]
    if etype == "user":
        return lambda u: u["id"] == me
    if etype == "acl":
        return lambda a: a.get("entity") == f"user:{me}"
    if kinds:
        targets = {a["target"].split(":", 1)[1] for a in core.acls_of(me)}
        return lambda s: s.get("type") in kinds and s["id"] in targets
    if etype == "client":
        return lambda c: c["user"] == me
    if etype == "transfer":
        return lambda j: me in (j.get("user"), j.get("_source_user"), j.get("_destination_user"))
    if etype == "task":
        mine = visibility(core, caller, "transfer")
        jobs = {j["id"] for j in core.store.all("job", mine)}
        return lambda t: t["job"] in jobs
    if etype in ("workspace", "queue", "site"):
        return lambda r: True
    return lambda r: False


def find(core: Core, caller: dict, etype: str, event: dict) -> list[dict]:
    """`<type>/find`: visibility, status scope, query, skip/limit, attributes."""
    data = event.get("data") or {}
    node = parse_query(event.get("query"))
    entity_id = event.get("id")
    tests: list[Callable[[dict], bool]] = [visibility(core, caller, etype)]
    if etype == "task":
        parent = data.get("parent") or (None if entity_id and core.store.get("task", entity_id) else entity_id)
        if parent:
            if core.store.get("job", parent) is None:
                raise not_found(f"No transfer job with id '{parent}'.")
            tests.append(lambda t: t["job"] == parent)
            entity_id = None
        elif not entity_id:
            raise bad_request("Query tasks with their job: find('task', entityid=<job id>).")
    if entity_id:
        tests.append(lambda r: r["id"] == entity_id)
    else:
        relaxed = bool(data.get("single_entity_query"))
        if etype == "transfer":
            if not data.get("archived"):
                tests.append(lambda r: not r.get("_archived"))
            if not (data.get("finished") or relaxed or _names_id(node)):
                tests.append(lambda r: r.get("status") not in FINISHED)
        elif etype in ("user", "share", "folder", "volume", "home", "collection") and not data.get("inactive"):
            if not (relaxed or _names_id(node)):
                tests.append(lambda r: r.get("status") != "disabled")
    resolve = resolver(core)
    tests.append(lambda r: q.matches(node, r, resolve))
    try:
        records = core.store.all(COLLECTION_OF.get(etype, etype), lambda r: all(t(r) for t in tests))
    except q.QueryError as exc:
        raise bad_request(str(exc)) from exc
    if etype == "task":
        records.sort(key=lambda t: int(t["uri"]) if str(t.get("uri", "")).isdigit() else 0)
    skip = int(data.get("skip") or 0)
    limit = data.get("limit")
    records = records[skip:]
    if limit:
        records = records[: int(limit)]
    return [public(r, data.get("attributes")) for r in records]


def _names_id(node: q.Node | None) -> bool:
    """True when the query pins an id (`transfer WHERE id=...`): finished jobs are reachable by id."""
    if isinstance(node, q.Comparison):
        return node.attr == "id" and node.op == "="
    if isinstance(node, q.BoolOp) and node.op == "and":
        return any(_names_id(n) for n in node.items)
    return False


# --- create --------------------------------------------------------------------------------------


def _require_elevated(caller: dict, what: str) -> None:
    if not Core.elevated(caller):
        raise forbidden(f"User '{caller['code']}' ({caller['role']}) may not {what}; an admin or employee must.")


def create(core: Core, caller: dict, etype: str, data: Any) -> list[dict]:
    """`<type>/create` for users, shares/volumes and ACLs."""
    if not isinstance(data, dict) or not data:
        raise bad_request(f"Creating a {etype} needs a JSON object with its attributes.")
    if etype == "user":
        return [create_user(core, caller, data)]
    if etype in SHARE_TYPES:
        return [create_share(core, caller, etype, data)]
    if etype == "acl":
        return [create_acl(core, caller, data)]
    if etype == "client":
        raise bad_request("Clients cannot be created through the API; they register from the desktop app.")
    raise bad_request(f"The sandbox cannot create {etype} entities.")


def create_user(core: Core, caller: dict, data: dict) -> dict:
    """Invite a user; the sandbox gives every user the sandbox API key."""
    _require_elevated(caller, "create users")
    code = str(data.get("code") or data.get("email") or "").strip().lower()
    if not re.match(r"^[^@\s:]+@[^@\s:]+$", code):
        raise bad_request(f"A user's code must be an e-mail address, got '{code}'.")
    if core.user_by_code(code):
        raise bad_request(f"User '{code}' already exists in workspace '{core.workspace_code()}'.")
    role = normalise_role(data.get("role") or data.get("clearance"))
    if role == "admin" and caller["role"] != "admin":
        raise forbidden(f"Only an admin may create the admin user '{code}'.")
    return public(core.store.put("user", new_user(code, role, core.config.api_key, data.get("name"))))


def new_user(code: str, role: str, api_key: str, name: str | None = None) -> dict:
    """A user record (the key is kept as a digest only)."""
    t = now()
    return {"id": new_id(), "code": code, "email": code, "name": name or code.split("@")[0], "role": role,
            "clearance": role, "status": "enabled", "created": t, "modified": t, "_key_sha256": key_digest(api_key)}


def create_share(core: Core, caller: dict, etype: str, data: dict) -> dict:
    """Create a volume (admin) or a shared folder/home/collection on a volume (admin/employee)."""
    kind = "folder" if etype == "share" else etype
    _require_elevated(caller, f"create {kind}s")
    code = str(data.get("code") or data.get("name") or "").strip()
    if kind == "home" and not code and data.get("user"):
        user = core.user_by_ref(str(data["user"]))
        if user is None:
            raise not_found(f"No user '{data['user']}' to create a home for.")
        code = user["code"]
    if not code:
        raise bad_request(f"A {kind} needs a 'code'.")
    if core.share_by_ref(code):
        raise bad_request(f"A share with code '{code}' already exists.")
    t = now()
    rec = {"id": new_id(), "code": code, "name": data.get("name") or code, "type": kind, "status": "enabled",
           "created": t, "modified": t, "creator": caller["code"], "metadata": data.get("metadata") or {},
           "description": data.get("description", "")}
    if kind == "volume":
        if caller["role"] != "admin":
            raise forbidden(f"Only an admin may create volumes (user '{caller['code']}' is {caller['role']}).")
        rec.update(parent=None, path=str(core.config.root / "volumes" / code),
                   default=core.default_volume() is None)
        (core.config.root / "volumes" / code).mkdir(parents=True, exist_ok=True)
    else:
        parent_ref = str(data.get("parent") or data.get("volume") or "(default)")
        vol = core.share_by_ref(parent_ref, "volume")
        if vol is None:
            raise not_found(f"No volume '{parent_ref}' to put share '{code}' on.")
        rel = clean_rel(str(data.get("path") or (f"accsyn/{code}" if kind == "home" else code)), what="share path")
        rec.update(parent=vol["id"], parent_hr=f"share:{vol['code']}[volume]({vol['id']})", path=rel)
        (core.volume_dir(vol) / rel).mkdir(parents=True, exist_ok=True)
    return public(core.store.put("share", rec))


def create_acl(core: Core, caller: dict, data: dict) -> dict:
    """Grant a user read/write on a share path; an existing ACL for the same path is updated."""
    _require_elevated(caller, "grant access (create ACLs)")
    entity = str(data.get("entity") or data.get("ident") or "")
    target = str(data.get("target") or "")
    if ":" not in entity or ":" not in target:
        raise bad_request("An ACL needs 'entity' (or 'ident') 'user:<id>' and 'target' 'share:<id>'.")
    etype, eref = entity.split(":", 1)
    ttype, tref = target.split(":", 1)
    if etype.lower() != "user":
        raise bad_request(f"ACL entity '{entity}': only users can be granted access in the sandbox.")
    user = core.user_by_ref(eref)
    if user is None:
        if data.get("invite", True) is False or "@" not in eref:
            raise not_found(f"No user '{eref}' in workspace '{core.workspace_code()}'.")
        user = core.store.put("user", new_user(eref.lower(), "standard", core.config.api_key))
    share = core.share_by_ref(tref, "share" if ttype.lower() in ("share", "folder", "volume", "home",
                                                                  "collection") else ttype.lower())
    if share is None:
        raise not_found(f"No share '{tref}' to grant access to.")
    path = clean_rel(str(data.get("path") or ""), what="ACL path") or "/"
    read, write = bool(data.get("read", False)), bool(data.get("write", False))
    if not read and not write:
        raise bad_request(f"ACL on '{share['code']}/{path}' grants neither read nor write.")
    ent, tgt = f"user:{user['id']}", f"share:{share['id']}"
    with core.store.lock:
        for acl in core.store.all("acl"):
            if acl["entity"] == ent and acl["target"] == tgt and acl["path"].lower() == path.lower():
                return public(core.store.update("acl", acl["id"], {"read": read, "write": write,
                                                                   "modified": now()}))
        t = now()
        rec = {"id": new_id(), "entity": ent, "ident": ent, "entity_hr": f"user:{user['code']}", "target": tgt,
               "target_hr": f"share:{share['code']}", "path": path, "read": read, "write": write,
               "acknowledged": False, "created": t, "modified": t, "creator": caller["code"]}
        return public(core.store.put("acl", rec))


# --- edit / delete -------------------------------------------------------------------------------


def edit(core: Core, caller: dict, etype: str, entity_id: str | None, data: Any) -> list[dict]:
    """`<type>/edit` for users, shares, ACLs and clients."""
    if not entity_id:
        raise bad_request(f"Editing a {etype} needs its id.")
    if not isinstance(data, dict) or not data:
        raise bad_request(f"Editing {etype} '{entity_id}' needs a JSON object of changes.")
    coll = COLLECTION_OF.get(etype, etype)
    rec = core.store.get(coll, entity_id)
    if rec is None or not visibility(core, caller, etype)(rec):
        raise not_found(f"No {etype} with id '{entity_id}'.")
    allowed = {"user": ("name", "role", "clearance", "status", "metadata"),
               "client": ("status", "description", "metadata"),
               "acl": ("read", "write"),
               }.get(coll, ("name", "status", "description", "metadata", "queue"))
    if etype == "client":
        if not (core.elevated(caller) or rec["user"] == caller["id"]):
            raise forbidden(f"User '{caller['code']}' may not edit client '{rec['code']}'.")
    else:
        _require_elevated(caller, f"edit {etype}s")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise bad_request(f"Cannot edit {', '.join(unknown)} on a {etype}; editable: {', '.join(allowed)}.")
    changes = dict(data)
    if "role" in changes or "clearance" in changes:
        role = normalise_role(changes.pop("role", None) or changes.pop("clearance", None))
        changes.update(role=role, clearance=role)
    if etype == "client" and "status" in changes:
        if changes["status"] not in ("online", "offline", "disabled"):
            raise bad_request(f"Client status '{changes['status']}' is not one of online, offline, disabled.")
        changes["last_checkin"] = now()
    changes["modified"] = now()
    updated = core.store.update(coll, entity_id, changes)
    core.wake.set()
    return [public(updated)]


def delete(core: Core, caller: dict, etype: str, entity_id: str | None, *, deactivate: bool) -> bool:
    """`<type>/delete` and `<type>/deactivate`."""
    if not entity_id:
        raise bad_request(f"Deleting a {etype} needs its id.")
    coll = COLLECTION_OF.get(etype, etype)
    rec = core.store.get(coll, entity_id)
    if rec is None or not visibility(core, caller, etype)(rec):
        raise not_found(f"No {etype} with id '{entity_id}'.")
    if etype == "client" and rec["user"] == caller["id"]:
        pass
    else:
        _require_elevated(caller, f"delete {etype}s")
    if deactivate and coll in ("user", "share"):
        core.store.update(coll, entity_id, {"status": "disabled", "modified": now()})
        return True
    if coll == "user":
        for acl in core.acls_of(entity_id):
            core.store.delete("acl", acl["id"])
    if coll == "share":
        for acl in core.store.all("acl", lambda a: a["target"] == f"share:{entity_id}"):
            core.store.delete("acl", acl["id"])
    return core.store.delete(coll, entity_id)


def attributes(etype: str) -> list[str]:
    """The attribute names of a type (for `attributes WHERE entitytype=...`)."""
    t = entity_type(etype)
    return ATTRIBUTES.get(COLLECTION_OF.get(t, t) if t not in ATTRIBUTES else t, ATTRIBUTES.get("share", []))
