"""``collect_blend_file``: in this interpreter with bpy, in a fresh one, and through the core's host table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from blender_support import needs_bpy, run_bpy

pytestmark = needs_bpy


def test_isolated_collection_is_typed_and_matches_the_entry_point(scenes: dict[str, Any],
                                                                  collected: dict[str, Any]) -> None:
    from vendor_publish.models import Collection, Role

    from vendor_publish_blender.headless import collect_blend_file

    result = collect_blend_file(scenes["blend"], isolate=True, timeout=120)
    assert isinstance(result, Collection)
    assert "bpy" not in sys.modules  # the pytest process never loaded Blender
    assert result == Collection.model_validate(collected)
    assert {i.role for i in result.items} == {Role.DEPENDENCY, Role.OUTPUT}


def test_in_process_through_the_core_host_table(scenes: dict[str, Any], collected: dict[str, Any]) -> None:
    proc = run_bpy("""
        import sys
        from vendor_publish.hosts import collect
        print("JSON=" + collect("blender", sys.argv[1]).model_dump_json())
        import bpy
        print("OPEN=" + bpy.data.filepath)
    """, scenes["blend"])
    lines = proc.stdout.splitlines()
    from vendor_publish.models import Collection

    got = Collection.model_validate_json(next(x for x in lines if x.startswith("JSON="))[5:])
    assert got == Collection.model_validate(collected)
    assert next(x for x in lines if x.startswith("OPEN="))[5:] == scenes["blend"]  # opened in that process


def test_missing_file_and_missing_blender_are_plain_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vendor_publish.errors import VendorPublishError

    from vendor_publish_blender.headless import collect_blend_file, find_blender

    with pytest.raises(VendorPublishError, match="No .blend file at"):
        collect_blend_file(str(tmp_path / "nope.blend"))
    monkeypatch.setenv("VENDOR_PUBLISH_BLENDER", str(tmp_path / "no-blender-here"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(VendorPublishError, match="No Blender found") as info:
        find_blender()
    assert "VENDOR_PUBLISH_BLENDER" in (info.value.hint or "")


def test_blender_that_fails_is_reported_with_its_words(tmp_path: Path) -> None:
    """A .blend Blender cannot read: the error names the file and carries Blender's message."""
    from vendor_publish.errors import VendorPublishError

    from vendor_publish_blender.headless import collect_blend_file

    bogus = tmp_path / "broken.blend"
    bogus.write_bytes(b"BLENDER-v405 but not really a blend file")
    with pytest.raises(VendorPublishError, match="could not collect .*broken.blend") as info:
        collect_blend_file(str(bogus), isolate=True, timeout=60)
    assert info.value.hint
