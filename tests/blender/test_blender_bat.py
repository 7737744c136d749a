"""Cross-check against Blender Asset Tracer, which reads .blend files without Blender.

Every dependency BAT reports (and every file it expands) must be in our collection. We find
more; each extra kind is listed below with the reason, and an unexplained extra fails.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from blender_matching import covered_by_any, files_on_disk
from blender_support import needs_bpy

pytestmark = needs_bpy

#: Kinds we collect that BAT does not report at all, and why.
EXTRA_KINDS = {
    "text": "BAT has no handler for Text data-blocks; a script kept in an external file is still part of the scene.",
    "ies": "BAT reads IES files only from light node trees; Cycles also reads IES Texture nodes in materials.",
    "render_output": "BAT traces inputs only; the rendered frames are what the vendor hands back.",
    "file_output": "BAT traces inputs only; compositor File Output frames are outputs too.",
}
#: Kinds where we name more files than BAT expands, and why.
EXTRA_FILES = {
    "movieclip": "BAT treats every movie clip as one file (its own TODO); an image-sequence clip reads all its frames.",
    "point_cache": "BAT globs one cache's files; we send the .blend's whole blendcache folder (all its caches).",
}

#: Where BAT names a parent folder and we name the sub-folder Blender really uses.
NARROWED = {
    "bake": "BAT names the Nodes modifier's bake_directory; Blender writes each bake into "
            "<bake_directory>/<bake id> (get_node_bake_path), which is what we collect.",
}


def _inside(child: str, folder: str) -> bool:
    return child.startswith(folder.rstrip(os.sep) + os.sep)


@pytest.fixture(scope="module")
def bat_usages(scenes: dict[str, Any], collected: dict[str, Any]) -> list[tuple[str, list[str], str]]:
    """(path, expanded files, block name) for every usage BAT reports, libraries followed.

    Traced after Blender opened the scene (``collected``): opening it writes the particle
    system's first cache frame, and both sides must see the same disk.
    """
    from blender_asset_tracer import trace

    logging.getLogger("blender_asset_tracer").setLevel(logging.ERROR)
    usages = []
    for usage in trace.deps(Path(scenes["blend"])):
        usages.append((os.path.normpath(str(usage.abspath)), [os.path.normpath(str(f)) for f in usage.files()],
                       usage.block_name.decode("utf-8", "replace")))
    return usages


def test_bat_found_the_scene(bat_usages: list[tuple[str, list[str], str]], scenes: dict[str, Any]) -> None:
    paths = {p for p, _, _ in bat_usages}
    assert os.path.normpath(os.path.join(scenes["root"], "project", "libs", "sub", "deep_tex", "stone.png")) in paths
    assert len(bat_usages) >= 12


def test_every_bat_dependency_is_collected(bat_usages: list[tuple[str, list[str], str]],
                                           collected: dict[str, Any]) -> None:
    items = [i for i in collected["items"] if i["role"] == "dependency"]
    narrowed = [p for p, _, _ in bat_usages if os.path.isdir(p)
                and any(i["kind"] in NARROWED and _inside(i["path"], p) for i in items)]
    assert narrowed, "the scene has a geometry-nodes bake BAT names by its parent folder"
    missing_paths = [(p, b) for p, _, b in bat_usages if not covered_by_any(items, p) and p not in narrowed]
    missing_files = [(f, b) for _, files, b in bat_usages for f in files if not covered_by_any(items, f)]
    assert missing_paths == []
    assert missing_files == []


def test_our_extras_are_explained(bat_usages: list[tuple[str, list[str], str]], collected: dict[str, Any]) -> None:
    bat_paths = [p for p, _, _ in bat_usages]
    bat_files = {f for _, files, _ in bat_usages for f in files}
    extra_kinds = {i["kind"] for i in collected["items"]
                   if not any(covered_by_any([i], p) or (i["kind"] in NARROWED and _inside(i["path"], p))
                              for p in bat_paths)}
    assert extra_kinds == set(EXTRA_KINDS)
    extra_file_kinds = {
        i["kind"] for i in collected["items"]
        if i["kind"] not in EXTRA_KINDS and set(files_on_disk(i)) - bat_files
    }
    assert "movieclip" in extra_file_kinds
    assert extra_file_kinds <= set(EXTRA_FILES)

