"""Transfer jobs and tasks: parse the job JSON forms, resolve endpoints, enforce ACLs, edit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from vendor_publish.sandbox.core import ID_RE, Core
from vendor_publish.sandbox.entities import FINISHED, public, visibility
from vendor_publish.sandbox.errors import bad_request, forbidden, not_found
from vendor_publish.sandbox.paths import (
    acl_allows,
    basename,
    clean_rel,
    has_trailing_sep,
    is_local_absolute,
    parse_sequence,
    parse_share_path,
    split_endpoint,
)
from vendor_publish.sandbox.store import new_id, new_task_id, now

JOB_WRITABLE_STATUS = ("waiting", "paused", "aborted", "done")
TASK_WRITABLE_STATUS = ("queued", "onhold", "excluded", "failed", "done")


@dataclass
class Side:
    """One resolved end of a task."""

    party: str  # "workspace" | "user"
    user: dict | None = None
    kind: str = ""  # "share" | "volume" | "local" | "user_rel"
    share: dict | None = None
    volume: dict | None = None
    rel: str = ""  # share-relative (share), volume-relative (volume) or user-relative (user_rel)
    local: str = ""  # local path as written (kind "local")
    into: bool = False
    raw: str = ""

    @property
    def party_key(self) -> str:
        return "workspace" if self.party == "workspace" else f"user:{self.user['id']}"


def normalise_tasks(data: dict) -> list[dict]:
    """The job JSON forms (single source/destination, tasks list, tasks dict) as a list with uris."""
    tasks = data.get("tasks")
    if tasks is None:
        if "source" not in data:
            raise bad_request("A job needs 'source' (and 'destination') or 'tasks'.")
        single = {k: data[k] for k in ("source", "destination", "dest", "id") if k in data}
        return [dict(single, uri="0")]
    if isinstance(tasks, dict) and ("source" in tasks or "destination" in tasks):
        tasks = [tasks]
    if isinstance(tasks, dict):
        out = []
        for uri, t in tasks.items():
            t = {"source": t} if isinstance(t, str) else dict(t)
            t.setdefault("uri", str(uri))
            out.append(t)
    elif isinstance(tasks, list):
        out = [dict({"source": t} if isinstance(t, str) else t, uri=str(i)) for i, t in enumerate(tasks)]
    else:
        raise bad_request("'tasks' must be a list or a dict keyed by task uri.")
    if not out:
        raise bad_request("A job needs at least one task.")
    for t in out:
        if not isinstance(t, dict) or not t.get("source"):
            raise bad_request(f"Task '{t.get('uri')}' has no 'source'.")
    return out


class Resolver:
    """Resolves endpoints for one caller."""

    def __init__(self, core: Core, caller: dict, publish_files: dict[str, dict]) -> None:
        self.core = core
        self.caller = caller
        self.publish_files = publish_files
        self.ws_code = core.workspace_code()

    def party(self, party: str | None, path: str, raw: str) -> tuple[str, dict | None]:
        if party is None:
            if is_local_absolute(path) and not self._under_volume(path):
                return "user", self.caller
            return "workspace", None
        low = party.lower()
        if low == self.ws_code.lower():
            return "workspace", None
        if "@" in low:
            user = self.core.user_by_code(low)
            if user is None:
                raise not_found(f"Unknown user '{party}' in endpoint '{raw}': no such user in workspace "
                                f"'{self.ws_code}'.")
            return "user", user
        if low.startswith("client="):
            client = self.core.store.get("client", low.split("=", 1)[1])
            if client is None:
                raise not_found(f"Unknown client '{party}' in endpoint '{raw}'.")
            return "user", self.core.store.get("user", client["user"])
        if low.startswith("site="):
            raise bad_request(f"Endpoint '{raw}': sites are not part of the sandbox workspace '{self.ws_code}'.")
        raise not_found(f"Unknown party '{party}' in endpoint '{raw}': it is not the workspace '{self.ws_code}', "
                        f"a user e-mail, site= or client=.")

    def _under_volume(self, path: str) -> dict | None:
        p = path.replace("\\", "/")
        for vol in self.core.store.all("share", lambda s: s["type"] == "volume"):
            base = str(self.core.volume_dir(vol)).replace("\\", "/").rstrip("/")
            if p == base or p.startswith(base + "/"):
                return vol
        return None

    def side(self, text: str) -> Side:
        ep = split_endpoint(text)
        party, user = self.party(ep.party, ep.path, text)
        path = ep.path.strip()
        into = has_trailing_sep(path)
        if party == "user":
            sp = parse_share_path(path)
            if sp is not None:
                share = self._share(sp.keyword, sp.code, text)
                rel = self.core.share_volume_rel(share, sp.rel)
                return Side("user", user, "user_rel", rel=rel, into=into or sp.into, raw=text)
            if is_local_absolute(path):
                if user["id"] != self.caller["id"]:
                    raise forbidden(f"Only {user['code']} may name local paths on their own machine "
                                    f"('{text}'); send to a relative path instead.")
                return Side("user", user, "local", local=path, into=into, raw=text)
            return Side("user", user, "user_rel", rel=clean_rel(path, what="destination"), into=into, raw=text)
        sp = parse_share_path(path)
        if sp is not None:
            if sp.keyword == "volume":
                vol = self._share("volume", sp.code, text)
                return Side("workspace", kind="volume", volume=vol, rel=sp.rel, into=into or sp.into, raw=text)
            share = self._share(sp.keyword, sp.code, text)
            if share["type"] == "volume":
                return Side("workspace", kind="volume", volume=share, rel=sp.rel, into=into or sp.into, raw=text)
            return Side("workspace", kind="share", share=share, volume=self.core.volume_of(share), rel=sp.rel,
                        into=into or sp.into, raw=text)
        if is_local_absolute(path):
            vol = self._under_volume(path)
            if vol is None:
                raise bad_request(f"Endpoint '{text}' is not on any volume of workspace '{self.ws_code}'.")
            base = str(self.core.volume_dir(vol)).replace("\\", "/").rstrip("/")
            rel = clean_rel(path.replace("\\", "/")[len(base):])
            return Side("workspace", kind="volume", volume=vol, rel=rel, into=into, raw=text)
        if path.startswith("~"):
            raise bad_request(f"Endpoint '{text}': home shares (~) are not set up in the sandbox.")
        vol = self.core.default_volume()
        if vol is None:
            raise bad_request(f"Endpoint '{text}': workspace '{self.ws_code}' has no default volume.")
        return Side("workspace", kind="volume", volume=vol, rel=clean_rel(path), into=into, raw=text)

    def _share(self, keyword: str, code: str, raw: str) -> dict:
        share = self.core.share_by_ref(code, keyword)
        if share is None:
            raise not_found(f"Unknown {keyword} '{code}' in endpoint '{raw}'.")
        return share

    def check_access(self, side: Side, need: str) -> None:
        """Standard users reach the workspace only through share ACLs (read to send, write to receive)."""
        if side.party != "workspace" or self.core.elevated(self.caller):
            return
        what = "destination" if need == "write" else "source"
        if side.kind == "volume":
            raise forbidden(f"User '{self.caller['code']}' may not use volume paths ({what} '{side.raw}'); "
                            f"use share=<code>/<path> with an ACL.")
        if not acl_allows(self.core.acls_of(self.caller["id"]), side.share["id"], side.rel, need):
            shown = f"{side.share['code']}/{side.rel}" if side.rel else side.share["code"]
            raise forbidden(f"User '{self.caller['code']}' has no {need} access to '{shown}' ({what} "
                            f"'{side.raw}'); ask the studio for an ACL granting {need} there.")


def _side_record(core: Core, side: Side) -> dict:
    out: dict[str, Any] = {"party": side.party, "into": side.into, "raw": side.raw}
    if side.user is not None:
        out["user"] = side.user["id"]
        client = core.app_client(side.user["id"])
        if client:
            out["client"] = client["id"]
    if side.kind == "local":
        out.update(kind="local", path=side.local, path_abs=side.local)
    elif side.kind == "user_rel":
        out.update(kind="user_rel", path=side.rel, path_abs=str(core.local_root(side.user) / side.rel))
    else:
        vol_rel = core.share_volume_rel(side.share, side.rel) if side.kind == "share" else side.rel
        out.update(kind=side.kind, path=side.rel, vol_rel=vol_rel, v=side.volume["id"],
                   path_abs=str(core.volume_dir(side.volume) / vol_rel) if vol_rel else
                   str(core.volume_dir(side.volume)))
        if side.kind == "share":
            out["s"] = side.share["id"]
    if parse_sequence(out["path"]):
        out["sequence"] = True
    return out


def _party_fields(core: Core, key: str) -> tuple[str, str]:
    if key == "workspace":
        ws = core.workspace()
        return f"workspace:{ws['id']}", f"workspace:{ws['code']}"
    user = core.store.get("user", key.split(":", 1)[1])
    return f"user:{user['id']}", f"user:{user['code']}"


def _publish_files(data: dict) -> dict[str, dict]:
    files: dict[str, dict] = {}
    for hook in data.get("hooks") or []:
        if isinstance(hook, dict) and str(hook.get("when", "")).lower().endswith("publish-server"):
            for f in (hook.get("data") or {}).get("files") or []:
                if isinstance(f, dict) and f.get("id"):
                    files[str(f["id"])] = f
    return files


def resolve_tasks(core: Core, caller: dict, raw_tasks: list[dict], job_data: dict) -> list[tuple[dict, Side, Side]]:
    """Resolve and authorise every task; raises ApiError naming the first problem."""
    publish_files = _publish_files(job_data)
    res = Resolver(core, caller, publish_files)
    out = []
    for t in raw_tasks:
        src = res.side(str(t["source"]))
        dest_text = t.get("destination", t.get("dest"))
        granted = core.publish_grants.get(str(t.get("id"))) if t.get("id") else None
        if not dest_text and t.get("id") and str(t["id"]) in publish_files:
            if granted is None or granted["user"] != caller["id"]:
                raise forbidden(f"Task '{t['uri']}': publish entry '{t['id']}' was not approved by the "
                                f"workspace's pre-publish step for user '{caller['code']}'.")
            dest_text = granted["path"]
        if not dest_text:
            raise bad_request(f"Task '{t['uri']}' ({t['source']}) has no 'destination'; the sandbox does not "
                              f"mirror paths without one.")
        dest = res.side(str(dest_text))
        if src.party == "user" and dest.party == "user":
            raise bad_request(f"Task '{t['uri']}': user-to-user transfers are not supported; one end must be "
                              f"the workspace '{res.ws_code}'.")
        res.check_access(src, "read")
        if granted is None:
            res.check_access(dest, "write")
        if src.party == "workspace" and dest.party == "workspace" and not core.elevated(caller):
            raise forbidden(f"User '{caller['code']}' may not copy between workspace paths.")
        out.append((t, src, dest))
    parties = {(s.party_key, d.party_key) for _, s, d in out}
    if len(parties) > 1:
        raise bad_request("All tasks of a job must share one source party and one destination party; "
                          "submit one job per pair.")
    return out


def create_job(core: Core, caller: dict, data: Any) -> list[dict]:
    """`transfer/create` (and `job/create`)."""
    if not isinstance(data, dict) or not data:
        raise bad_request("Creating a transfer needs a JSON object.")
    raw_tasks = normalise_tasks(data)
    resolved = resolve_tasks(core, caller, raw_tasks, data)
    resolved = _dedupe(resolved, data.get("allow_duplicates"))
    first_src = resolved[0][1]
    code = str(data.get("code") or data.get("name") or basename(first_src.local or first_src.rel) or "transfer")
    if data.get("allow_duplicates") is False:
        live = core.store.all("job", lambda j: j["user"] == caller["id"] and j["code"].lower() == code.lower()
                              and j["status"] not in FINISHED and not j.get("_archived"))
        if live:
            raise bad_request(f"A job named '{code}' by {caller['code']} is still {live[0]['status']} "
                              f"(id {live[0]['id']}); not creating a duplicate (allow_duplicates is false).")
    src_key, dest_key = resolved[0][1].party_key, resolved[0][2].party_key
    source, source_hr = _party_fields(core, src_key)
    destination, destination_hr = _party_fields(core, dest_key)
    status = "paused" if str(data.get("status", "")).lower() == "paused" else "init"
    t = now()
    job_id = new_id()
    remote = [k.split(":", 1)[1] for k in (src_key, dest_key) if k != "workspace"]
    job = {
        "id": job_id, "code": code, "name": str(data.get("name") or code), "status": status, "progress": 0,
        "size": -1, "speed": 0.0, "etr": "", "user": caller["id"], "user_hr": caller["code"],
        "source": source, "source_hr": source_hr, "destination": destination, "destination_hr": destination_hr,
        "created": t, "modified": t, "finished": None, "metadata": data.get("metadata") or {},
        "settings": data.get("settings") or {}, "hooks": data.get("hooks") or [], "queue": data.get("queue"),
        "type": 1, "type_hr": "transfer", "reason": None,
        "_source_user": src_key.split(":", 1)[1] if src_key != "workspace" else None,
        "_destination_user": dest_key.split(":", 1)[1] if dest_key != "workspace" else None,
        "_remote_user": remote[0] if remote else None,
    }
    used: set[str] = set()  # several tasks of one entry may carry its id (a file and its companions)
    tasks = [_task_record(core, job, raw, src, dest, raw.get("uri", str(i)), used)
             for i, (raw, src, dest) in enumerate(resolved)]
    with core.store.lock:
        for task in tasks:
            core.store.put("task", task, persist=False)
        core.store.put("job", job)
    core.wake.set()
    return [public(job)]


def _dedupe(resolved: list, allow: Any) -> list:
    seen: dict[tuple[str, str], str] = {}
    out = []
    for raw, src, dest in resolved:
        key = (src.raw.lower(), dest.raw.lower())
        if key in seen:
            if allow is False:
                raise bad_request(f"Tasks '{seen[key]}' and '{raw['uri']}' have the same source and destination "
                                  f"('{src.raw}' -> '{dest.raw}') and allow_duplicates is false.")
            continue
        seen[key] = raw["uri"]
        out.append((raw, src, dest))
    return out


def _task_record(core: Core, job: dict, raw: dict, src: Side, dest: Side, uri: str, used: set[str]) -> dict:
    tid = str(raw.get("id") or "")
    try:
        tid = str(uuid.UUID(tid)) if tid else ""
    except ValueError:
        tid = ""
    if not tid or tid in used or core.store.get("task", tid) is not None:
        tid = new_task_id()  # task ids are unique; the one asked for is kept by the first task only
    used.add(tid)
    return {
        "id": tid, "uri": str(uri), "job": job["id"], "job_hr": f"{job['code']}({job['id']})",
        "status": "onhold" if str(raw.get("status", "")).lower() == "onhold" else "queued",
        "size": -1, "progress": 0, "priority": int(raw.get("priority") or 500),
        "source": _side_record(core, src), "destination": _side_record(core, dest),
        "metadata": raw.get("metadata") or {}, "settings": raw.get("settings") or {},
        "created": now(), "finished": None, "reason": None,
    }


def add_tasks(core: Core, caller: dict, job_id: str | None, data: Any) -> list[dict]:
    """`task/create` with the job id: add tasks, retrying existing ones with the same ends."""
    job = _visible_job(core, caller, job_id)
    if job["user"] != caller["id"] and not core.elevated(caller):
        raise forbidden(f"User '{caller['code']}' may not add tasks to job '{job['code']}'.")
    payload = data if isinstance(data, dict) else {"tasks": data}
    raw_tasks = normalise_tasks(payload)
    resolved = resolve_tasks(core, caller, raw_tasks, payload)
    existing = core.store.all("task", lambda t: t["job"] == job["id"])
    by_ends = {(t["source"]["raw"].lower(), t["destination"]["raw"].lower()): t for t in existing}
    next_uri = max([int(t["uri"]) for t in existing if str(t["uri"]).isdigit()] + [-1]) + 1
    out = []
    used: set[str] = set()
    for raw, src, dest in resolved:
        if src.party_key != _key(job, "source") or dest.party_key != _key(job, "destination"):
            raise bad_request(f"Task '{src.raw}' -> '{dest.raw}' does not match the parties of job '{job['code']}'.")
        dup = by_ends.get((src.raw.lower(), dest.raw.lower()))
        if dup is not None and not payload.get("replace_duplicates"):
            if payload.get("allow_duplicates") is False:
                raise bad_request(f"Job '{job['code']}' already has a task '{src.raw}' -> '{dest.raw}'.")
            out.append(core.store.update("task", dup["id"], {"status": "queued", "reason": None}, persist=False))
            continue
        task = _task_record(core, job, raw, src, dest, dup["uri"] if dup else str(next_uri), used)
        if dup is None:
            next_uri += 1
        else:
            core.store.delete("task", dup["id"])
        out.append(core.store.put("task", task, persist=False))
    # New work revives a finished or failed job; a paused one stays paused.
    status = "paused" if job["status"] == "paused" else "init"
    core.store.update("job", job["id"], {"status": status, "finished": None, "modified": now()})
    core.wake.set()
    return [public(t) for t in out]


def _key(job: dict, side: str) -> str:
    uid = job.get(f"_{side}_user")
    return f"user:{uid}" if uid else "workspace"


def _visible_job(core: Core, caller: dict, job_id: str | None) -> dict:
    if not job_id or not ID_RE.match(job_id):
        raise bad_request(f"A transfer job id (24 hex characters) is needed, got '{job_id}'.")
    job = core.store.get("job", job_id)
    if job is None or not visibility(core, caller, "transfer")(job):
        raise not_found(f"No transfer job with id '{job_id}'.")
    return job


def edit_job(core: Core, caller: dict, job_id: str | None, data: Any) -> list[dict]:
    """`transfer/edit`: status (waiting, paused, aborted, done), name, metadata, priority."""
    job = _visible_job(core, caller, job_id)
    if job["user"] != caller["id"] and not core.elevated(caller):
        raise forbidden(f"User '{caller['code']}' may not edit job '{job['code']}'.")
    if not isinstance(data, dict) or not data:
        raise bad_request(f"Editing job '{job['code']}' needs a JSON object of changes.")
    allowed = ("status", "name", "code", "metadata", "priority", "settings")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise bad_request(f"Cannot edit {', '.join(unknown)} on a transfer; editable: {', '.join(allowed)}.")
    changes = {k: v for k, v in data.items() if k != "status"}
    status = data.get("status")
    with core.store.lock:
        if status is not None:
            status = str(status).lower()
            if status not in JOB_WRITABLE_STATUS:
                raise bad_request(f"Job status '{status}' cannot be set; writable: {', '.join(JOB_WRITABLE_STATUS)}.")
            changes["status"] = status
            if status in FINISHED:
                changes["finished"] = now()
            elif status == "waiting":
                changes.update(finished=None, reason=None)
                for task in core.store.all("task", lambda t: t["job"] == job["id"] and t["status"] == "failed"):
                    core.store.update("task", task["id"], {"status": "queued", "reason": None}, persist=False)
        changes["modified"] = now()
        updated = core.store.update("job", job["id"], changes)
    core.wake.set()
    return [public(updated)]


def edit_tasks(core: Core, caller: dict, job_id: str | None, data: Any) -> list[dict]:
    """`task/edit` (update_many): a list of {id, status|priority|metadata}."""
    job = _visible_job(core, caller, job_id)
    if job["user"] != caller["id"] and not core.elevated(caller):
        raise forbidden(f"User '{caller['code']}' may not edit tasks of job '{job['code']}'.")
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if not isinstance(item, dict) or not item.get("id"):
            raise bad_request("Each task change needs the task 'id'.")
        task = core.store.get("task", str(item["id"]))
        if task is None or task["job"] != job["id"]:
            raise not_found(f"No task '{item['id']}' in job '{job['code']}'.")
        changes = {k: v for k, v in item.items() if k in ("status", "priority", "metadata")}
        if set(item) - {"id", "status", "priority", "metadata"}:
            raise bad_request("Only status, priority and metadata of a task can be edited.")
        if "status" in changes and changes["status"] not in TASK_WRITABLE_STATUS:
            raise bad_request(f"Task status '{changes['status']}' cannot be set; writable: "
                              f"{', '.join(TASK_WRITABLE_STATUS)}.")
        out.append(public(core.store.update("task", task["id"], changes)))
    core.wake.set()
    return out


def delete_job(core: Core, caller: dict, job_id: str | None) -> bool:
    """`transfer/delete`: abort if live and archive (then only `archived=True` finds it)."""
    job = _visible_job(core, caller, job_id)
    if job["user"] != caller["id"] and not core.elevated(caller):
        raise forbidden(f"User '{caller['code']}' may not delete job '{job['code']}'.")
    changes: dict[str, Any] = {"_archived": True, "modified": now()}
    if job["status"] not in FINISHED:
        changes.update(status="aborted", finished=now())
    core.store.update("job", job["id"], changes)
    core.wake.set()
    return True


def seq_frames(path: str) -> list[tuple[int, str]]:
    """(frame, path) for each frame of a sequence path; [] when it is not one."""
    seq = parse_sequence(path)
    if seq is None:
        return []
    return [(f, seq.path(f)) for f in range(seq.first, seq.last + 1)]

