"""Remembered clean verdicts: a re-plan skips name rules on big entries whose names are unchanged.

Some rules judge an entry by its names, role and destination alone (and the studio profile):
naming and portability. For a 2,000-frame sequence those are the bulk of validation, and on a
re-publish the names are almost always the ones judged last time. A verdict is remembered only
when the rule found nothing, keyed on a digest of everything the rule reads, so a changed name,
folder, role, profile or rule version simply misses and the rule runs again. Findings are never
cached: an entry with a problem is always judged afresh, and its message is always current.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from vendor_publish.models import Finding, Plan, PlanEntry
from vendor_publish.studio import StudioProfile

#: Entries with at least this many files are judged once and remembered; smaller ones cost less
#: to judge than to look up.
MIN_FILES = 64
#: Part of every key: bump it when a remembered rule changes what it accepts.
RULES_VERSION = "1"

Rule = Callable[[Plan, StudioProfile], Iterable[Finding]]


class Verdicts(Protocol):
    """Storage of clean verdicts (``listing_cache.ListingCache`` is one)."""

    def clean_keys(self, keys: Sequence[str]) -> set[str]: ...

    def remember_clean(self, keys: Iterable[str]) -> None: ...


def run_remembered(rule: Rule, plan: Plan, profile: StudioProfile, verdicts: Verdicts) -> list[Finding]:
    """``rule(plan, profile)``'s findings, skipping big entries it found clean before with these names."""
    entries = [e for e in plan.entries if e.included]
    big = [e for e in entries if len(e.members) >= MIN_FILES]
    if not big:
        return list(rule(plan, profile))
    fingerprint = _profile_fingerprint(profile)
    keys = {e.id: entry_key(rule, e, fingerprint) for e in big}
    known = verdicts.clean_keys(list(keys.values()))
    unjudged = [e for e in big if keys[e.id] not in known]
    small = [e for e in entries if len(e.members) < MIN_FILES]
    found = list(rule(plan.model_copy(update={"entries": small}), profile)) if small else []
    clean: list[str] = []
    for entry in unjudged:  # one at a time, so each finding is known to be this entry's
        own = list(rule(plan.model_copy(update={"entries": [entry]}), profile))
        if own:
            found.extend(own)
        else:
            clean.append(keys[entry.id])
    if clean:
        verdicts.remember_clean(clean)
    return found


def entry_key(rule: Rule, entry: PlanEntry, fingerprint: str) -> str:
    """A digest of everything a name rule reads about ``entry``: rule, role, destination, names."""
    h = hashlib.blake2b(digest_size=20)
    head = "\0".join((RULES_VERSION, rule.__module__, rule.__qualname__, fingerprint, entry.role.value,
                      entry.destination, entry.destination_dir or "", str(len(entry.members))))
    h.update(head.encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    h.update("\0".join(entry.members).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _profile_fingerprint(profile: StudioProfile) -> str:
    return hashlib.blake2b(profile.model_dump_json().encode(), digest_size=16).hexdigest()
