"""Fault injection: make chosen requests fail the ways real networks and servers do.

Kinds: `status` (answer an error status without acting; optional Retry-After), `status_after`
(act, then answer the error status), `reset_before` / `reset_after` (drop the connection with
a TCP reset before / after acting), `delay` (sleep, then act normally) and `garbage` (answer
200 with a truncated, non-JSON body without acting).
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass

KINDS = ("status", "status_after", "reset_before", "reset_after", "delay", "garbage")


@dataclass
class Fault:
    """One queued fault."""

    kind: str
    uri: str | None = None  # event uri ("transfer/create"), "login", a glob, "*" or None (= "*")
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    count: int = 1

    def matches(self, uri: str) -> bool:
        """True when this fault applies to a request with this uri."""
        pattern = (self.uri or "*").lower()
        if pattern == "*":
            return uri != "master"
        return fnmatch.fnmatchcase(uri.lower(), pattern)


class FaultInjector:
    """Queued faults, plus an optional seeded random mode."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self._rng: random.Random | None = None
        self._rate = 0.0
        self._kinds: tuple[str, ...] = KINDS
        self.injected: list[tuple[str, str]] = []  # (uri, kind) in order, for tests and logs

    def queue(self, kind: str, *, uri: str | None = None, status: int = 500, retry_after: float | None = None,
              delay: float = 0.0, count: int = 1) -> None:
        """Queue a fault for the next `count` matching requests."""
        if kind not in KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if kind in ("status", "status_after") and not 400 <= status <= 599:
            raise ValueError(f"status {status} is not an HTTP error status (400-599)")
        with self._lock:
            self._queue.append(Fault(kind, uri, status, retry_after, delay, count))

    def random_mode(self, seed: int, rate: float, kinds: tuple[str, ...] | None = None) -> None:
        """Fail a `rate` fraction of requests with kinds drawn reproducibly from `seed`; rate 0 turns it off."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        for k in kinds or ():
            if k not in KINDS:
                raise ValueError(f"Unknown fault kind {k!r}")
        with self._lock:
            self._rng = random.Random(seed) if rate > 0 else None
            self._rate = rate
            self._kinds = tuple(kinds or KINDS)

    def clear(self) -> None:
        """Drop queued faults and turn random mode off."""
        with self._lock:
            self._queue.clear()
            self._rng = None
            self._rate = 0.0

    def take(self, uri: str) -> Fault | None:
        """The fault to apply to this request, if any (consumes one use of it)."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(uri):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._queue.remove(fault)
                    self.injected.append((uri, fault.kind))
                    return Fault(fault.kind, fault.uri, fault.status, fault.retry_after, fault.delay, 1)
            if self._rng is not None and uri != "master" and self._rng.random() < self._rate:
                kind = self._rng.choice(self._kinds)
                status = self._rng.choice((429, 500, 502, 503)) if kind.startswith("status") else 500
                fault = Fault(kind, uri, status, 1.0 if status == 429 else None, 0.2 if kind == "delay" else 0.0)
                self.injected.append((uri, kind))
                return fault
        return None

    def pending(self) -> int:
        """How many queued fault uses remain."""
        with self._lock:
            return sum(f.count for f in self._queue)
