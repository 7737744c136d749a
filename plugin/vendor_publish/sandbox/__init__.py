"""A local accsyn-compatible sandbox server: the project's embedded default for demos and tests.

Standard library HTTP (ThreadingHTTPServer) speaking accsyn's REST protocol as the official
Python client does, with file-backed state, a transfer worker playing the users' desktop
apps, studio-side hooks and fault injection. Start it with `Sandbox(...)` or
`vendor-publish sandbox`.
"""

from __future__ import annotations

from vendor_publish.sandbox.app import Sandbox
from vendor_publish.sandbox.faults import KINDS as FAULT_KINDS

__all__ = ["Sandbox", "FAULT_KINDS"]
