"""The accsyn query grammar, server side: parse an expression, then test records against it.

Grammar (case-insensitive keywords)::

    expr       := and_expr ("OR" and_expr)*
    and_expr   := atom ("AND" atom)*
    atom       := "(" expr ")" | comparison
    comparison := attr OP value
    OP         := = | != | <> | < | > | <= | >= | in | not in | contains | matches

Values are bare words or quoted ('...' / "..."); `*` in an equality value is a wildcard;
`in` takes `(a, b)`, `[a, b]` or `a,b`. Attributes may be dotted (`job.id`). Comparison is
case-insensitive because the official client lower-cases the whole expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Union

_OPS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_WORD_OPS = ("not in", "in", "contains", "matches")
_ATTR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


class QueryError(ValueError):
    """The expression does not follow the grammar; the message says where."""


@dataclass(frozen=True)
class Comparison:
    """One `attr OP value` test."""

    attr: str
    op: str
    value: Any  # str, or list[str] for in / not in


@dataclass(frozen=True)
class BoolOp:
    """AND / OR over two or more sub-expressions."""

    op: str  # "and" | "or"
    items: tuple["Node", ...]


Node = Union[Comparison, BoolOp]

#: Given a record and a (lower-cased, possibly dotted) attribute, list the values to compare.
Resolver = Callable[[dict, str], list]


def strip_entity_prefix(text: str) -> str:
    """Accept a whole `<type> WHERE <expr>` or a bare quoted expression and return the expression."""
    s = (text or "").strip()
    m = re.match(r"^\s*[A-Za-z_]+\s+where\s+(.*)$", s, re.IGNORECASE | re.DOTALL)
    if m:
        s = m.group(1).strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'" and _has_operator(s[1:-1]):
        inner = s[1:-1]
        if s[0] not in inner:
            s = inner.strip()
    return s


def _has_operator(s: str) -> bool:
    return any(op in s for op in _OPS) or re.search(r"\s(in|contains|matches)\s", s, re.I) is not None


def parse(text: str) -> Node | None:
    """Parse an expression; None for an empty one (matches everything)."""
    s = strip_entity_prefix(text)
    if not s:
        return None
    p = _Parser(s)
    node = p.expr()
    p.skip_ws()
    if p.pos != len(p.s):
        raise QueryError(f"Unexpected text at position {p.pos} in query {text!r}: {p.s[p.pos:]!r}")
    return node


class _Parser:
    def __init__(self, s: str) -> None:
        self.s = s
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.s) and self.s[self.pos].isspace():
            self.pos += 1

    def peek_word(self, word: str) -> bool:
        self.skip_ws()
        end = self.pos + len(word)
        if self.s[self.pos:end].lower() != word:
            return False
        return end >= len(self.s) or self.s[end].isspace() or self.s[end] == "("

    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.peek_word("or"):
            self.pos += 2
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.atom()]
        while self.peek_word("and"):
            self.pos += 3
            items.append(self.atom())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def atom(self) -> Node:
        self.skip_ws()
        if self.pos < len(self.s) and self.s[self.pos] == "(":
            self.pos += 1
            node = self.expr()
            self.skip_ws()
            if self.pos >= len(self.s) or self.s[self.pos] != ")":
                raise QueryError(f"Missing ')' in query {self.s!r}")
            self.pos += 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        self.skip_ws()
        m = _ATTR_RE.match(self.s, self.pos)
        if not m:
            raise QueryError(f"Expected an attribute name at position {self.pos} in query {self.s!r}")
        attr = m.group(0).lower()
        self.pos = m.end()
        self.skip_ws()
        op = None
        for candidate in _WORD_OPS:
            if self.peek_word(candidate):
                op = candidate
                self.pos += len(candidate)
                break
        if op is None:
            for candidate in _OPS:
                if self.s.startswith(candidate, self.pos):
                    op = candidate
                    self.pos += len(candidate)
                    break
        if op is None:
            raise QueryError(f"Expected an operator after {attr!r} in query {self.s!r}")
        if op == "<>":
            op = "!="
        self.skip_ws()
        value: Any = self.list_value() if op in ("in", "not in") else self.value()
        return Comparison(attr, op, value)

    def value(self) -> str:
        self.skip_ws()
        if self.pos < len(self.s) and self.s[self.pos] in "\"'":
            quote = self.s[self.pos]
            end = self.s.find(quote, self.pos + 1)
            if end < 0:
                raise QueryError(f"Unterminated quote in query {self.s!r}")
            out = self.s[self.pos + 1:end]
            self.pos = end + 1
            return out
        start = self.pos
        depth = 0
        while self.pos < len(self.s):
            c = self.s[self.pos]
            if c.isspace() and depth == 0:
                break
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            self.pos += 1
        if start == self.pos:
            raise QueryError(f"Missing value at position {start} in query {self.s!r}")
        if depth:
            raise QueryError(f"Unbalanced '(' in value {self.s[start:self.pos]!r} of query {self.s!r}")
        return self.s[start:self.pos]

    def list_value(self) -> list[str]:
        self.skip_ws()
        closing = {"(": ")", "[": "]"}.get(self.s[self.pos:self.pos + 1])
        if closing is None:
            return [v.strip().strip("\"'") for v in self.value().split(",") if v.strip()]
        end = self.s.find(closing, self.pos + 1)
        if end < 0:
            raise QueryError(f"Missing {closing!r} in query {self.s!r}")
        inner = self.s[self.pos + 1:end]
        self.pos = end + 1
        return [v.strip().strip("\"'") for v in inner.split(",") if v.strip()]


def default_resolver(record: dict, attr: str) -> list:
    """Follow a dotted attribute through nested dicts; `x.id` on a string id yields the id."""
    cur: Any = record
    parts = attr.split(".")
    for i, part in enumerate(parts):
        if isinstance(cur, dict):
            found = next((v for k, v in cur.items() if k.lower() == part), _MISSING)
            if found is _MISSING:
                return []
            cur = found
        elif isinstance(cur, str) and part == "id" and i == len(parts) - 1:
            return [cur]
        else:
            return []
    return [cur]


_MISSING = object()


def matches(node: Node | None, record: dict, resolver: Resolver = default_resolver) -> bool:
    """True when the record satisfies the parsed expression."""
    if node is None:
        return True
    if isinstance(node, BoolOp):
        results = (matches(n, record, resolver) for n in node.items)
        return all(results) if node.op == "and" else any(results)
    values = resolver(record, node.attr)
    if node.op in ("!=", "not in"):
        positive = Comparison(node.attr, "=" if node.op == "!=" else "in", node.value)
        return not any(_compare(v, positive) for v in values)
    return any(_compare(v, node) for v in values)


def _norm(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).lower()


def _eq(actual: Any, wanted: str) -> bool:
    a, w = _norm(actual), wanted.lower()
    if w in ("none", "null") and actual is None:
        return True
    if "*" in w:
        pattern = "^" + ".*".join(re.escape(part) for part in w.split("*")) + "$"
        return re.match(pattern, a, re.DOTALL) is not None
    if a == w:
        return True
    num_a, num_w = _number(actual), _number(wanted)
    return num_a is not None and num_a == num_w


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _compare(actual: Any, c: Comparison) -> bool:
    if isinstance(actual, list) and c.op in ("=", "in", "contains"):
        return any(_compare(item, c) for item in actual)
    if c.op == "=":
        return _eq(actual, c.value)
    if c.op == "in":
        return any(_eq(actual, v) for v in c.value)
    if c.op == "contains":
        return c.value.lower() in _norm(actual)
    if c.op == "matches":
        try:
            return re.search(c.value, _norm(actual), re.IGNORECASE) is not None
        except re.error as exc:
            raise QueryError(f"Invalid regular expression {c.value!r}: {exc}") from exc
    a_num, w_num = _number(actual), _number(c.value)
    if a_num is not None and w_num is not None:
        a, w = a_num, w_num
    else:
        if actual is None:
            return False
        a, w = _norm(actual), c.value.lower()  # ISO dates compare correctly as text
    return {"<": a < w, ">": a > w, "<=": a <= w, ">=": a >= w}[c.op]
