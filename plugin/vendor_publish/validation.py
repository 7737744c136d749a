"""Checks run on a plan before anything slow or remote happens, as small ordered rules.

Each rule takes the plan and the studio profile and returns findings; `validate` runs them in
order, applies the studio's severity overrides, folds repeats of one cause into one finding,
and fills the totals.
"""

from __future__ import annotations

import fnmatch
import operator
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import islice

from vendor_publish import mapping, paths
from vendor_publish.models import EntryKind, Finding, MappingKind, Plan, PlanTotals, Role, Severity
from vendor_publish.paths import unicode_key
from vendor_publish.studio import StudioProfile
from vendor_publish.verdicts import Verdicts, run_remembered

Rule = Callable[[Plan, StudioProfile], Iterable[Finding]]
EXAMPLES = 3


def check_empty_files(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Empty outputs are almost always a failed export; empty inputs are merely suspicious."""
    for entry in _included(plan):
        if 0 not in entry.sizes:  # one C-level scan instead of a PlanFile per file
            continue
        for f in entry.files():
            if f.size == 0:
                output = entry.role is Role.OUTPUT
                yield Finding(
                    code="empty-output" if output else "empty-file",
                    severity=Severity.ERROR if output else Severity.WARNING,
                    message=f"{'Output' if output else 'File'} is empty (0 bytes): {f.source}",
                    path=f.source,
                    origin=entry.origin,
                    fix="Export it again; an empty file usually means the export failed."
                    if output
                    else "Check that this is really the file the project should use.",
                )


def check_naming(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Every file of a role with naming rules must match one of the studio's patterns."""
    for role_name, patterns in profile.naming.items():
        role = Role(role_name)
        # One compiled alternation of the lower-cased patterns: same answer as fnmatchcase on each.
        matches = _matcher([p.lower() for p in patterns])
        all_match = _all_matcher([p.lower() for p in patterns], matches)
        for entry in _included(plan):
            if entry.role is not role:
                continue
            # The checked name is the destination's last segment, which is the member name's.
            if entry.members:
                names = entry.members
                if "/" in "".join(names):
                    names = [n.rsplit("/", 1)[-1] for n in names]
            else:
                names = [entry.destination.rsplit("/", 1)[-1]] if entry.sizes else []
            if all_match(names):
                continue
            for f in entry.files():
                name = f.destination.rsplit("/", 1)[-1]
                if not matches(name.lower()):
                    yield Finding(
                        code="naming-rule",
                        severity=Severity.ERROR,
                        message=f"{role.value.capitalize()} {name!r} does not follow the studio's naming "
                        f"({' or '.join(patterns)}).",
                        path=f.source,
                        origin=entry.origin,
                        fix=f"Rename the {role.value} to match {' or '.join(patterns)}.",
                    )


def _matcher(patterns: list[str]) -> Callable[[str], object]:
    """One compiled alternation of fnmatch patterns: the same answer as fnmatchcase on each."""
    if not patterns:
        return lambda name: None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)).match


def _all_matcher(patterns: list[str], matches: Callable[[str], object]) -> Callable[[list[str]], bool]:
    """``all(matches(n.lower()) for n in names)`` in one regex pass over the names joined by newlines.

    Each name is matched inside a lookahead (which never backtracks once it succeeded), then
    consumed with a backreference: as fast as one scan, never exponential. The patterns'
    translations must not match a newline for this to be exact, so patterns with a character
    class ('[...]', which would) or a newline, and names holding a newline, go name by name.
    """
    inner = []
    for p in patterns:
        translated = fnmatch.translate(p)
        if "[" in p or "\n" in p or not translated.startswith("(?s:") or not translated.endswith(")\\Z"):
            inner = []
            break
        inner.append(translated[4:-3])  # without DOTALL, so '.' stops at a newline
    if not inner:
        return lambda names: all(map(matches, map(str.lower, names)))
    alternation = "|".join(f"(?:{i})" for i in inner)
    lines = re.compile(f"(?:(?=(?P<vp_line>(?:{alternation})\n))(?P=vp_line))*").fullmatch

    def all_match(names: list[str]) -> bool:
        joined = "\n".join(names)
        if not names or joined.count("\n") != len(names) - 1:
            return all(map(matches, map(str.lower, names)))
        return lines(joined.lower() + "\n") is not None

    return all_match


def check_required(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """The studio may require at least N files of a role (e.g. one output)."""
    if not profile.required:
        return
    counts = _files_by_role(plan.entries)
    for role_name, minimum in profile.required.items():
        if counts[role_name] < minimum:
            yield Finding(
                code="required-role",
                severity=Severity.ERROR,
                message=f"The studio expects at least {minimum} {role_name} file(s); this publish has "
                f"{counts[role_name]}.",
                fix=f"Add the {role_name} files to the publish (on the command line: --{'output' if role_name == 'output' else 'dep'} PATH).",
            )


def check_collisions(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Two sources may never land on one destination, case and Unicode form included."""
    for destination, sources in mapping.find_collisions(_colliding_pairs(plan)):
        yield Finding(
            code="destination-collision",
            severity=Severity.ERROR,
            message=f"{len(sources)} files would land on {destination}: {', '.join(sources[:EXAMPLES])}"
            + (" ..." if len(sources) > EXAMPLES else ""),
            path=destination,
            fix="Rename one of them; the studio's file system may not tell upper and lower case apart.",
        )


def _colliding_pairs(plan: Plan) -> list[tuple[str, str]]:
    """(source, destination) of every file whose destination key is shared, in plan order.

    Keys are built per folder and per member name (``unicode_key`` splits on '/': no character
    decomposes or case-folds to '/'), and plain ASCII names skip normalisation, so 200,000
    files cost one dict insert each; sources are only spelled out for the few shared keys.
    """
    entries = [e for e in plan.entries if e.included]
    if _keys_unique(entries):
        return []
    first: dict[str, tuple[int, int]] = {}
    shared: set[str] = set()
    for ei, mi, key in _destination_keys(entries):
        if first.setdefault(key, (ei, mi)) != (ei, mi):
            shared.add(key)
    if not shared:
        return []
    pairs = []
    for ei, mi, key in _destination_keys(entries):
        if key in shared:
            f = entries[ei].file(max(mi, 0))
            pairs.append((f.source, f.destination))
    return pairs


def _keys_unique(entries: list) -> bool:
    """True when no two files share a destination key; cheap, with sets of names per folder key."""
    folders: dict[str, set[str]] = {}
    dir_keys: dict[str, str] = {}  # unicode_key of each destination folder, made once (500 layers share one)
    # A folder's lower-cased names known to be distinct (strictly increasing), whose set is only
    # built if another entry lands in the same folder: a frame sequence alone in its folder (the
    # common case) costs one sortedness scan instead of 2,000 set inserts.
    pending: dict[str, list[str]] = {}

    def names_in(folder: str) -> set[str]:
        names = folders.get(folder)
        if names is None:
            names = folders[folder] = set(pending.pop(folder, ()))
        return names

    def add(full_key: str) -> bool:
        folder, _, name = full_key.rpartition("/")
        names = names_in(folder)
        if name in names:
            return False
        names.add(name)
        return True

    for entry in entries:
        if not entry.members:
            if entry.sizes and not add(unicode_key(entry.destination)):
                return False
            continue
        folder = entry.destination_dir
        dkey = dir_keys.get(folder) if folder else ""
        if dkey is None:
            dkey = dir_keys[folder] = unicode_key(folder)
        members = entry.members
        joined = "/".join(members)
        if joined.isascii() and joined.count("/") == len(members) - 1:  # ASCII names without '/'
            lowered = joined.lower().split("/")
            if dkey not in folders and dkey not in pending and all(map(operator.lt, lowered, islice(lowered, 1, None))):
                pending[dkey] = lowered
                continue
            names = names_in(dkey)
            before = len(names)
            names.update(lowered)
            if len(names) - before != len(members):
                return False
            continue
        head = dkey + "/" if dkey else ""
        for name in members:
            if not add(head + unicode_key(name)):
                return False
    return True


def _destination_keys(entries: list) -> Iterable[tuple[int, int, str]]:
    """(entry index, member index or -1, unicode_key of the destination) for every file."""
    for ei, entry in enumerate(entries):
        if not entry.members:
            if entry.sizes:
                yield ei, -1, unicode_key(entry.destination)
            continue
        head = unicode_key(entry.destination_dir) + "/" if entry.destination_dir else ""
        for mi, name in enumerate(entry.members):
            yield ei, mi, head + (name.lower() if name.isascii() else unicode_key(name))


def check_portability(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Names the studio's file systems cannot hold (reserved names, trailing dots, long paths)."""
    entries = list(_included(plan))
    clean = _plain_by_folder(entries)
    for entry in entries:
        if id(entry) in clean or _all_portable(entry):
            continue
        for f in entry.files():
            for issue in paths.portability_issues(f.destination):
                yield Finding(
                    code="unportable-name",
                    severity=Severity.WARNING,
                    message=f"{issue}: {f.destination}",
                    path=f.source,
                    origin=entry.origin,
                    fix="Rename the file so it works on Windows and Linux alike.",
                )


def _plain_by_folder(entries: list) -> set[int]:
    """id() of entries whose every file passes ``_all_portable``'s cheap test, judged a folder at a time.

    ``plain_name`` of the folder and of the names of every file in it joined by '/' says what
    ``plain_name`` of each full destination would (the test is per segment), in two scans instead
    of two per entry (a layer's file and its sidecars, 500 of them in one folder); a folder that
    fails leaves its entries to the per-entry check.
    """
    names_in: dict[str, list[str]] = {}
    entries_in: dict[str, list] = {}
    for entry in entries:
        if entry.members:
            folder = entry.destination_dir or ""
            names = names_in.get(folder)
            if names is None:
                names = names_in[folder] = []
                entries_in[folder] = []
            names.extend(entry.members)
        elif entry.sizes:
            folder, _, name = entry.destination.rpartition("/")
            names = names_in.get(folder)
            if names is None:
                names = names_in[folder] = []
                entries_in[folder] = []
            names.append(name)
        else:
            continue
        entries_in[folder].append(entry)
    clean: set[int] = set()
    for folder, names in names_in.items():
        cut = len(folder) + 1 if folder else 0
        if (
            cut + max(map(len, names)) <= paths.WINDOWS_MAX_PATH
            and (not folder or paths.plain_name(folder))
            and paths.plain_name("/".join(names))
        ):
            clean.update(map(id, entries_in[folder]))
    return clean


def _all_portable(entry) -> bool:
    """True when no destination of the entry has a portability issue (checked per folder and name)."""
    if not entry.members:
        dest = entry.destination
        if len(dest) <= paths.WINDOWS_MAX_PATH and paths.plain_name(dest):
            return True  # the cheap scan settles most single files without the full check
        return not entry.sizes or not paths.portability_issues(dest)
    folder = entry.destination_dir or ""
    if folder and not (len(folder) <= paths.WINDOWS_MAX_PATH and paths.plain_name(folder)):
        if paths.portability_issues(folder):  # the cheap scan settles most folders without it
            return False
    room = paths.WINDOWS_MAX_PATH - (len(folder) + 1 if folder else 0)
    # Joined by '/', the names are judged in one scan: each name's segments stay segments.
    return max(map(len, entry.members)) <= room and paths.plain_name("/".join(entry.members))


def check_externals(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Files from outside the project travel, but the studio should know they were outside."""
    for entry in _included(plan):
        if entry.mapping is MappingKind.EXTERNAL and entry.count:
            yield Finding(
                code="external-file",
                severity=Severity.WARNING,
                message=f"Outside the project folder, published under {profile.externals_dir}/: {entry.source}",
                path=entry.source,
                origin=entry.origin,
                fix="Move it into the project folder so the studio finds it where the project expects it.",
            )


RULES: tuple[Rule, ...] = (
    check_empty_files,
    check_naming,
    check_required,
    check_collisions,
    check_portability,
    check_externals,
)


#: Rules whose findings about an entry depend on nothing but its names, role and destination
#: (and the profile): their clean verdicts on big entries may be remembered (``verdicts``).
NAME_RULES = frozenset({check_naming, check_portability})


def validate(
    plan: Plan, profile: StudioProfile, rules: Iterable[Rule] = RULES, *, verdicts: Verdicts | None = None
) -> Plan:
    """Run every rule, apply the studio's severities, fold repeats and compute totals.

    With ``verdicts``, name rules skip big entries they found clean before with the same names.
    """
    found = list(plan.findings)
    for rule in rules:
        if verdicts is not None and rule in NAME_RULES:
            found.extend(run_remembered(rule, plan, profile, verdicts))
        else:
            found.extend(rule(plan, profile))
    findings = sorted(dict.fromkeys(apply_severities(found, profile)), key=lambda f: -_RANK[f.severity])
    return plan.model_copy(update={"findings": findings, "totals": totals(plan.entries, findings)})


RULE_CODES = frozenset(
    {"empty-output", "empty-file", "naming-rule", "required-role", "destination-collision", "unportable-name",
     "external-file"}
)


def belongs_to(finding: Finding, entry) -> bool:
    """Whether a finding is about this entry's files (its path, or a path inside its folder)."""
    path = finding.path
    if not path:
        return False
    if path == entry.source:
        return True
    if entry.kind is EntryKind.FILE:  # a file and its companions: theirs, and a missing one of the same stem
        if not entry.members:
            return False
        folder, name = os.path.split(path)
        stem = os.path.basename(entry.source).rsplit(".", 1)[0]
        return path in entry.sources() or (folder == entry.source_dir and name.startswith(stem + "."))
    base = (entry.source_dir or "").rstrip("/\\")
    return bool(base) and (path == base or path.startswith(base + os.sep))


def set_included(plan: Plan, profile: StudioProfile, included: Mapping[str, bool]) -> Plan:
    """Tick or untick optional entries (by id) and check the plan again.

    Findings about a left-out entry are set aside (and come back if it is ticked again); the
    studio's rules run afresh on what is left, so totals and blocking follow the choice.
    """
    entries = []
    for entry in plan.entries:
        want = included.get(entry.id, entry.included) if entry.optional else True
        entries.append(entry if want == entry.included else entry.model_copy(update={"included": want}))
    excluded = [e for e in entries if not e.included]
    kept: list[Finding] = []
    aside: list[Finding] = []
    for f in [*plan.findings, *plan.set_aside]:
        if f.code in RULE_CODES:
            continue
        (aside if any(belongs_to(f, e) for e in excluded) else kept).append(f)
    fresh = plan.model_copy(update={"entries": entries, "findings": kept, "set_aside": aside})
    return validate(fresh, profile)


def apply_severities(findings: Iterable[Finding], profile: StudioProfile) -> list[Finding]:
    """Let the studio decide what blocks, what warns and what is ignored."""
    result = []
    for f in findings:
        severity = profile.severity_for(f.code, f.severity)
        if severity is None:
            continue
        result.append(f if severity is f.severity else f.model_copy(update={"severity": severity}))
    return result


def summarise(findings: Iterable[Finding], limit: int = 10) -> list[Finding]:
    """For display: past `limit` findings of one code, fold the rest into one line per cause."""
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_code[f.code].append(f)
    result: list[Finding] = []
    for code, group in by_code.items():
        result.extend(group[:limit])
        rest = group[limit:]
        if rest:
            worst = max(rest, key=lambda f: _RANK[f.severity])
            result.append(
                Finding(
                    code=code,
                    severity=worst.severity,
                    message=f"... and {len(rest)} more like this ({code}); --json lists every one.",
                    fix=worst.fix,
                )
            )
    return result


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


def totals(entries, findings: Iterable[Finding]) -> PlanTotals:
    """Counts and bytes per role, and findings per severity."""
    included = [e for e in entries if e.included]
    files = sum(len(e.sizes) for e in included)
    size = sum(sum(e.sizes) for e in included)
    severities = Counter(f.severity.value for f in findings)
    return PlanTotals(files=files, bytes=size, by_role=dict(_files_by_role(included)), findings=dict(severities))


def _files_by_role(entries) -> Counter[str]:
    """Included files per role value ('project', 'dependency', 'output')."""
    counts: Counter[Role] = Counter()
    for e in entries:
        if e.included:
            counts[e.role] += len(e.sizes)
    # Counted by member and named once per role: an enum's .value costs a descriptor call per file.
    return Counter({role.value: n for role, n in counts.items()})


def _included(plan: Plan):
    return (e for e in plan.entries if e.included)
