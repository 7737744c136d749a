"""Checks run on a plan before anything slow or remote happens, as small ordered rules.

Each rule takes the plan and the studio profile and returns findings; `validate` runs them in
order, applies the studio's severity overrides, folds repeats of one cause into one finding,
and fills the totals.
"""

from __future__ import annotations

import fnmatch
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from vendor_publish import mapping, paths
from vendor_publish.models import Finding, MappingKind, Plan, PlanTotals, Role, Severity
from vendor_publish.studio import StudioProfile

Rule = Callable[[Plan, StudioProfile], Iterable[Finding]]
EXAMPLES = 3


def check_empty_files(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Empty outputs are almost always a failed export; empty inputs are merely suspicious."""
    for entry in _included(plan):
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
        lowered = [p.lower() for p in patterns]
        for entry in _included(plan):
            if entry.role is not role:
                continue
            for f in entry.files():
                name = f.destination.rsplit("/", 1)[-1]
                if not any(fnmatch.fnmatchcase(name.lower(), p) for p in lowered):
                    yield Finding(
                        code="naming-rule",
                        severity=Severity.ERROR,
                        message=f"{role.value.capitalize()} {name!r} does not follow the studio's naming "
                        f"({' or '.join(patterns)}).",
                        path=f.source,
                        origin=entry.origin,
                        fix=f"Rename the {role.value} to match {' or '.join(patterns)}.",
                    )


def check_required(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """The studio may require at least N files of a role (e.g. one output)."""
    counts = Counter()
    for entry in _included(plan):
        counts[entry.role.value] += entry.count
    for role_name, minimum in profile.required.items():
        if counts[role_name] < minimum:
            yield Finding(
                code="required-role",
                severity=Severity.ERROR,
                message=f"The studio expects at least {minimum} {role_name} file(s); this publish has "
                f"{counts[role_name]}.",
                fix=f"Add the {role_name} files (e.g. --output PATH) before publishing.",
            )


def check_collisions(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Two sources may never land on one destination, case and Unicode form included."""
    pairs = ((f.source, f.destination) for e in _included(plan) for f in e.files())
    for destination, sources in mapping.find_collisions(pairs):
        yield Finding(
            code="destination-collision",
            severity=Severity.ERROR,
            message=f"{len(sources)} files would land on {destination}: {', '.join(sources[:EXAMPLES])}"
            + (" ..." if len(sources) > EXAMPLES else ""),
            path=destination,
            fix="Rename one of them; the studio's file system may not tell upper and lower case apart.",
        )


def check_portability(plan: Plan, profile: StudioProfile) -> Iterable[Finding]:
    """Names the studio's file systems cannot hold (reserved names, trailing dots, long paths)."""
    for entry in _included(plan):
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


def validate(plan: Plan, profile: StudioProfile, rules: Iterable[Rule] = RULES) -> Plan:
    """Run every rule, apply the studio's severities, fold repeats and compute totals."""
    found = list(plan.findings)
    for rule in rules:
        found.extend(rule(plan, profile))
    findings = sorted(dict.fromkeys(apply_severities(found, profile)), key=lambda f: -_RANK[f.severity])
    return plan.model_copy(update={"findings": findings, "totals": totals(plan.entries, findings)})


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
    by_role: Counter[str] = Counter()
    files = size = 0
    for e in entries:
        if not e.included:
            continue
        files += e.count
        size += e.size
        by_role[e.role.value] += e.count
    severities = Counter(f.severity.value for f in findings)
    return PlanTotals(files=files, bytes=size, by_role=dict(by_role), findings=dict(severities))


def _included(plan: Plan):
    return (e for e in plan.entries if e.included)
