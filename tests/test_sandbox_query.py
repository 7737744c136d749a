"""The sandbox's server-side query grammar (vendor_publish.sandbox.query)."""

from __future__ import annotations

import pytest

from vendor_publish.sandbox.query import BoolOp, Comparison, QueryError, matches, parse, strip_entity_prefix

JOB = {"id": "5f1e0c0ffee0c0ffee0c0ffe", "code": "DATASET_001_1203_output", "status": "running", "progress": 42,
       "size": 1000, "created": "2026-01-02T10:00:00", "user": "abc", "metadata": {"task": "T1"},
       "tags": ["a", "b"], "finished": None, "job": {"id": "777"}}


def m(expr: str, record: dict = JOB) -> bool:
    return matches(parse(expr), record)


def test_simple_equality_is_case_insensitive() -> None:
    assert m("code=dataset_001_1203_output")
    assert m("CODE=DATASET_001_1203_OUTPUT")
    assert not m("code=other")


def test_and_or_parentheses_precedence() -> None:
    assert m("status=running AND progress=42")
    assert not m("status=running AND progress=41")
    assert m("status=done OR progress=42")
    assert m("(status=done OR status=running) AND code=dataset*")
    assert not m("status=done OR status=paused AND progress=42")  # AND binds tighter
    assert m("status=running OR status=paused AND progress=0")


def test_operators() -> None:
    assert m("status!=done") and m("status<>done") and not m("status!=running")
    assert m("progress>41") and m("progress>=42") and m("progress<43") and m("progress<=42")
    assert not m("progress>42")
    assert m("size>999.5")
    assert m("created>2026-01-01T00:00:00") and not m("created<2025-12-31T00:00:00")
    assert m("status in (waiting, running)") and m("status in [running]") and m("status in waiting,running")
    assert m("status not in (done, aborted)") and not m("status not in (running)")
    assert m("code contains 001_12") and not m("code contains xyz")
    assert m("code matches '^dataset_\\d+'") and not m("code matches '^x'")


def test_quoted_values_with_spaces_and_keywords() -> None:
    rec = {"name": "x and y.png", "path": "FROM_VENDORS/a b"}
    assert m('name="x and y.png"', rec)
    assert m("name='x and y.png'", rec)
    assert m("path='from_vendors/a b'", rec)


def test_wildcards() -> None:
    assert m("code=*_output") and m("code=DATASET*") and m("code=*001*") and not m("code=*input")


def test_dotted_attributes_and_id_on_string() -> None:
    assert m("metadata.task=t1")
    assert m("job.id=777")
    assert m("user.id=abc")
    assert not m("metadata.missing=1")


def test_lists_and_null() -> None:
    assert m("tags=a") and m("tags contains b") and not m("tags=c")
    assert m("finished=null") and m("finished=None")


def test_official_client_forms() -> None:
    # What accsyn_api's _decode_query sends: the expression lower-cased, parentheses kept.
    expr = "(ident=user:abc and target=share:def and path=from_vendors\\jennifer@gda.com)"
    rec = {"ident": "user:ABC", "target": "share:def", "path": "FROM_VENDORS\\jennifer@gda.com"}
    assert m(expr, rec)
    # grant() sends a bare quoted expression; revoke() a whole "acl WHERE ...".
    assert m("code='jennifer@gda.com'", {"code": "jennifer@gda.com"})
    assert m("acl WHERE entity=user:abc AND target=share:def", {"entity": "user:abc", "target": "share:def"})
    assert strip_entity_prefix("Transfer WHERE id=1") == "id=1"
    assert strip_entity_prefix('"code=x"') == "code=x"


def test_parse_tree_shape() -> None:
    node = parse("a=1 AND (b=2 OR c in (3,4))")
    assert isinstance(node, BoolOp) and node.op == "and"
    assert node.items[0] == Comparison("a", "=", "1")
    inner = node.items[1]
    assert isinstance(inner, BoolOp) and inner.op == "or"
    assert inner.items[1] == Comparison("c", "in", ["3", "4"])


def test_empty_query_matches_everything() -> None:
    assert parse("") is None and matches(None, JOB)


@pytest.mark.parametrize("bad", ["code", "code=", "(code=1", "code=1 AND", "=1", "code ~ 1", "name='open"])
def test_syntax_errors_are_reported(bad: str) -> None:
    with pytest.raises(QueryError):
        parse(bad)


def test_invalid_regex_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        m("code matches '(['")
