"""accsyn's wire protocol, without any transport: endpoints, the event envelope, the
authorization header, query splitting as the official client does it, and reading answers'
hints (Retry-After, paths in messages). Pure functions, tested without a server."""

from __future__ import annotations

import base64
import email.utils
import gzip
import json
import random
import re
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from . import __version__
from .accsyn_models import AccsynEntity

API_PREFIX = "/api/v3"
LOGIN_PATH = f"{API_PREFIX}/api/login"
EVENT_PATH = f"{API_PREFIX}/event"
MASTER_URL = "https://master.accsyn.com:443"
MASTER_LOOKUP_PATH = f"{API_PREFIX}/J3PKTtDvolDMBtTy6AFGA"
GZIP_THRESHOLD = 100 * 1024
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 120.0
# Creating any of these may start a transfer: never resend once it may have arrived.
JOB_ENTITYTYPES = frozenset({"transfer", "job", "compute", "delivery", "request", "stream", "task"})
_ENTITY_ID = re.compile(r"^[a-z0-9]{24}$")
_PERMISSION_WORDS = re.compile(
    r"permission|not allowed|access denied|no (?:read|write)(?: access)?|forbidden|not authori[sz]ed"
    r"|lacks? (?:read|write)|insufficient",
    re.IGNORECASE,
)
_PATH_IN_MESSAGE = re.compile(
    r"""(?:(?:share|folder|volume|home|collection|workspace)=[^\s'"!,;)]+)"""
    r"""|'([^']*/[^']*)'|"([^"]*/[^"]*)"|((?:[A-Za-z]:)?[\\/]?(?:[^\s/\\'"]+[\\/])+[^\s'"!,;)]*)"""
)

E = TypeVar("E", bound=AccsynEntity)


@dataclass(frozen=True)
class RetryPolicy:
    """How long transient failures are retried: total ``budget`` seconds, exponential backoff."""

    budget: float = 30.0
    base_delay: float = 0.5
    max_delay: float = 8.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number ``attempt`` (0-based): capped exponential, full jitter half."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling * (0.5 + rng.random() / 2)


class _Secret:
    """Holds the API key so that no repr, vars() dump or traceback local shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def authorization_header(user: str, api_key: str) -> str:
    """accsyn's scheme: lower-case ``basic``, user and key base64'd separately, joined by ``:``."""
    return f"basic {_b64(user)}:{_b64(api_key)}"


def device_description(hostname: str) -> str:
    """The ``X-Accsyn-Device`` value."""
    return f"vendor-publish {__version__} @ {sys.platform} {hostname}"


def utc_timestamp(now: datetime | None = None) -> str:
    """accsyn's date format: UTC ``YYYY-MM-DDTHH:MM:SS`` without a zone."""
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return utc_timestamp(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dumps(obj: Any) -> str:
    """JSON as the service expects it (ASCII, dates as accsyn timestamps)."""
    return json.dumps(obj, default=_json_default)


def build_event(
    *,
    workspace: str,
    session: str | None,
    uri: str,
    ident: str,
    hostname: str,
    data: Any = None,
    query: str | None = None,
    entity_id: str | None = None,
    eid: str | None = None,
    now: datetime | None = None,
    gzip_threshold: int = GZIP_THRESHOLD,
) -> dict[str, Any]:
    """Pure: the event envelope; ``data`` becomes base64 gzip ``gz_data`` above the threshold."""
    event: dict[str, Any] = {
        "audience": "api",
        "workspace": workspace,
        "eid": eid or str(uuid.uuid4()),
        "session": session,
        "uri": uri,
        "ident": ident,
        "created": utc_timestamp(now),
        "hostname": hostname,
    }
    if data:
        encoded = dumps(data)
        if len(encoded) > gzip_threshold:
            event["gz_data"] = base64.b64encode(gzip.compress(encoded.encode("ascii"))).decode("ascii")
        else:
            event["data"] = data
    else:
        event["data"] = data
    if query:
        event["query"] = query
    if entity_id:
        event["id"] = entity_id
    return event


def split_query(query: str) -> tuple[str, str | None]:
    """Split ``"<type> WHERE <expr>"`` as the official client: both lower-cased, spaces squeezed.

    Whitespace inside double quotes or parentheses does not split words.
    """
    text = query.replace("\t", " ").replace("\n", "").strip()
    words: list[str] = []
    current = ""
    quoted = False
    depth = 0
    for char in text:
        if char == " " and not quoted and depth == 0:
            if current:
                words.append(current)
                current = ""
            continue
        if char == '"':
            quoted = not quoted
        elif char == "(" and not quoted:
            depth += 1
        elif char == ")" and not quoted:
            depth -= 1
        current += char
    if current:
        words.append(current)
    if len(words) == 1:
        return words[0].lower(), None
    if len(words) < 3 or words[1].lower() != "where":
        raise ValueError(f'Query {query!r} is not of the form "<entitytype> WHERE <expression>".')
    return words[0].lower(), " ".join(words[2:]).lower()


def quote_value(value: str) -> str:
    """A value for a query expression, double-quoted so spaces and symbols survive."""
    if '"' in value:
        raise ValueError(f"Query values cannot contain a double quote: {value!r}")
    return f'"{value}"'


def path_in_message(message: str) -> str | None:
    """The first thing in a service message that looks like a share path, if any."""
    match = _PATH_IN_MESSAGE.search(message)
    if not match:
        return None
    found = next((g for g in match.groups() if g), match.group(0))
    return found.strip().rstrip(".:") or None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
