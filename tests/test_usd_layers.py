"""USD layers' dependencies become collection items: read by OpenUSD when ``pxr`` imports, by the
.usda text parser when it does not (both paths run here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from projects import USER, tutorial_project, write

from vendor_publish import usd_layers
from vendor_publish.models import CollectedItem, Collection, EntryKind, Role, Severity
from vendor_publish.usd_layers import asset_paths, with_usd_dependencies

HAVE_PXR = bool(usd_layers._pxr_tracer())
needs_pxr = pytest.mark.skipif(not HAVE_PXR, reason="needs OpenUSD's Python bindings: pip install usd-core")


@pytest.fixture(params=["text", pytest.param("pxr", marks=needs_pxr)])
def reader(request, monkeypatch):
    """Run a test once with pxr hidden (the text parser) and once with OpenUSD."""
    if request.param == "text":
        monkeypatch.setitem(sys.modules, "pxr", None)  # `from pxr import ...` now raises ImportError
    return request.param


def no_pxr(monkeypatch):
    monkeypatch.setitem(sys.modules, "pxr", None)


def collect(tmp_path: Path, *layers: Path, role: Role = Role.DEPENDENCY) -> Collection:
    items = [CollectedItem(path=str(p), role=role, origin=f"--dep {p.name}") for p in layers]
    return with_usd_dependencies(Collection(host="test", project_file=str(tmp_path / "proj.analyze"), items=items))


def added(coll: Collection) -> dict[str, CollectedItem]:
    """Items the USD step added, by path relative to the first layer's folder."""
    return {item.path: item for item in coll.items if item.origin and item.origin.startswith("referenced by")}


def rel(tmp_path: Path, coll: Collection) -> dict[str, str]:
    return {os.path.relpath(p, tmp_path): item.origin for p, item in added(coll).items()}


SHOT_USDA = """#usda 1.0
(
    doc = "mail me@example.com # not a comment, not @an asset@"
    subLayers = [
        @./layers/light.usda@,  # a comment holding @ignored.usda@
        @layers/anim.usda@
    ]
)

def Xform "World" (
    prepend references = @../library/chair.usda@</Chair>
    prepend payload = @@@cache/heavy @@ part.usda@@@
)
{
    asset inputs:file = @./tex/skin.<UDIM>.png@
    asset inputs:missing = @tex/gone.png@
    asset[] inputs:array = [@tex/a.png@, @@, @tex/a.png@]
    string note = '''triple @quoted.usda@ "with" quotes'''
}
"""


def shot_folder(tmp_path: Path) -> Path:
    """A hand-written shot: sublayers, a reference one level up, a payload, textures, a UDIM set."""
    shot = write(tmp_path / "shot" / "shot.usda", SHOT_USDA)
    write(tmp_path / "shot" / "layers" / "light.usda", "#usda 1.0\n")
    write(tmp_path / "shot" / "layers" / "anim.usda", '#usda 1.0\n(\n    subLayers = [@../shot.usda@]\n)\n')
    write(tmp_path / "library" / "chair.usda",
          '#usda 1.0\ndef "Chair"\n{\n    asset tex = @textures/wood.png@\n}\n')
    write(tmp_path / "library" / "textures" / "wood.png")
    write(tmp_path / "shot" / "cache" / "heavy @@ part.usda", "#usda 1.0\n")
    for tile in (1001, 1002):
        write(tmp_path / "shot" / "tex" / f"skin.{tile}.png")
    write(tmp_path / "shot" / "tex" / "a.png")
    return shot


def test_asset_paths_skip_strings_and_comments():
    text = '#usda 1.0\n# @no.usda@\nstring s = "a@b.c @x@"\nasset a = @one.png@\n' \
           "asset b = @@@we@@ird\\@@@.png@@@ # @no@\nstring t = 'it''s'\nasset c = @@\n"
    assert asset_paths(text) == ["one.png", "we@@ird@@@.png", ""]
    assert asset_paths('"""\n@a@\n"""') == []
    assert asset_paths("no assets at all") == []


def test_layers_are_followed_recursively_with_origins(tmp_path, reader):
    shot = shot_folder(tmp_path)
    coll = collect(tmp_path, shot)
    assert rel(tmp_path, coll) == {
        "shot/layers/light.usda": "referenced by layer 'shot.usda'",
        "shot/layers/anim.usda": "referenced by layer 'shot.usda'",
        "library/chair.usda": "referenced by layer 'shot.usda'",
        "shot/cache/heavy @@ part.usda": "referenced by layer 'shot.usda'",
        "shot/tex/skin.<UDIM>.png": "referenced by layer 'shot.usda'",  # stays a pattern
        "shot/tex/gone.png": "referenced by layer 'shot.usda'",  # missing: kept for the planner to report
        "shot/tex/a.png": "referenced by layer 'shot.usda'",  # listed twice in the layer: once here
        "library/textures/wood.png": "referenced by layer 'chair.usda'",
    }
    # anim.usda sublayers shot.usda back: the cycle ends, and the collected layer is not added again.
    assert [i.path for i in coll.items].count(str(shot)) == 1
    assert all(i.role is Role.DEPENDENCY and not i.optional for i in coll.items)
    assert coll.findings == []


def test_an_output_layer_brings_outputs_and_collected_files_are_not_repeated(tmp_path, reader):
    shot = shot_folder(tmp_path)
    wood = tmp_path / "library" / "textures" / "wood.png"
    coll = Collection(host="test", project_file=str(tmp_path / "proj.analyze"), items=[
        CollectedItem(path=str(wood), role=Role.DEPENDENCY, origin="node 'Wood'"),
        CollectedItem(path=str(shot), role=Role.OUTPUT, origin="export"),
    ])
    coll = with_usd_dependencies(coll)
    assert [i for i in coll.items if i.path == str(wood)] == [coll.items[0]]
    new = added(coll)
    assert len(new) == 7 and {i.role for i in new.values()} == {Role.OUTPUT}


@pytest.mark.timeout(60)
def test_cycle_between_layers_terminates(tmp_path, reader):
    a = write(tmp_path / "a.usda", "#usda 1.0\n(\n    subLayers = [@b.usda@]\n)\n")
    write(tmp_path / "b.usda", '#usda 1.0\n(\n    subLayers = [@./a.usda@]\n)\ndef "P" (references = @c.usda@) {}\n')
    write(tmp_path / "c.usda", '#usda 1.0\n(\n    subLayers = [@b.usda@, @a.usda@]\n)\n')
    coll = collect(tmp_path, a)
    assert rel(tmp_path, coll) == {"b.usda": "referenced by layer 'a.usda'", "c.usda": "referenced by layer 'b.usda'"}
    assert len(coll.items) == 3 and coll.findings == []


def test_unreadable_layer_is_a_finding_and_the_rest_is_still_followed(tmp_path, reader):
    shot = write(tmp_path / "shot.usda",
                 '#usda 1.0\n(\n    subLayers = [@broken.usda@, @ok.usda@]\n)\ndef "A"\n{\n    asset t = @t.png@\n}\n')
    write(tmp_path / "broken.usda", b"\x00\x01 garbage {{{")
    write(tmp_path / "ok.usda", '#usda 1.0\ndef "B"\n{\n    asset t = @ok.png@\n}\n')
    coll = collect(tmp_path, shot)
    assert set(rel(tmp_path, coll)) == {"broken.usda", "ok.usda", "t.png", "ok.png"}
    (f,) = coll.findings
    assert f.code == "usd-unreadable" and f.severity is Severity.WARNING
    assert f.path == str(tmp_path / "broken.usda") and "broken.usda" in f.message and f.fix
    assert f.origin == "referenced by layer 'shot.usda'"


def test_a_garbage_collected_layer_is_a_finding_not_an_exception(tmp_path, reader):
    bad = write(tmp_path / "cache.usd", "not usd at all @x.png@")
    coll = collect(tmp_path, bad)
    assert [(f.code, f.path, f.origin) for f in coll.findings] == [("usd-unreadable", str(bad), "--dep cache.usd")]
    assert len(coll.items) == 1


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root reads any file")
def test_a_layer_without_read_permission_is_a_finding(tmp_path, reader):
    shot = write(tmp_path / "shot.usda", "#usda 1.0\n(\n    subLayers = [@locked.usda@]\n)\n")
    locked = write(tmp_path / "locked.usda", "#usda 1.0\n")
    locked.chmod(0)
    try:
        coll = collect(tmp_path, shot)
    finally:
        locked.chmod(0o644)
    assert [f.code for f in coll.findings] == ["usd-unreadable"]


def test_unresolvable_asset_paths_are_findings_naming_layer_and_path(tmp_path, reader):
    shot = write(tmp_path / "shot.usda", '#usda 1.0\ndef "A"\n{\n'
                 '    asset a = @${PROJ_ROOT}/tex.png@\n'
                 '    asset b = @omniverse://server/lib/tree.usd@\n'
                 '    asset c = @kept.png@\n}\n')
    coll = collect(tmp_path, shot)
    assert set(rel(tmp_path, coll)) == {"kept.png"}
    assert [f.code for f in coll.findings] == ["usd-unresolved"] * 2
    for f, written in zip(coll.findings, ("${PROJ_ROOT}/tex.png", "omniverse://server/lib/tree.usd")):
        assert f.severity is Severity.WARNING and f.path == str(shot) and f.fix
        assert "'shot.usda'" in f.message and written in f.message


def test_usdz_is_published_as_one_file(tmp_path, reader):
    shot = write(tmp_path / "shot.usda", '#usda 1.0\ndef "A" (references = @props/lamp.usdz[lamp.usda]@)\n{\n}\n')
    with zipfile.ZipFile(write(tmp_path / "props" / "lamp.usdz"), "w") as package:  # stored, as usdz are
        package.writestr("lamp.usda", '#usda 1.0\ndef "Lamp"\n{\n    asset t = @tex.png@\n}\n')
        package.writestr("tex.png", "x")
    coll = collect(tmp_path, shot)
    assert set(rel(tmp_path, coll)) == {"props/lamp.usdz"} and coll.findings == []
    # a collected .usdz is not opened at all
    assert collect(tmp_path, tmp_path / "props" / "lamp.usdz").findings == []


# ---- without pxr


def test_without_pxr_binary_layers_are_findings(tmp_path, monkeypatch):
    no_pxr(monkeypatch)
    shot = write(tmp_path / "shot.usda", "#usda 1.0\n(\n    subLayers = [@anim.usdc@, @cache.usd@]\n)\n")
    write(tmp_path / "anim.usdc", b"PXR-USDC\x00\x00binary")
    write(tmp_path / "cache.usd", b"PXR-USDC\x00\x00binary")
    coll = collect(tmp_path, shot)
    assert set(rel(tmp_path, coll)) == {"anim.usdc", "cache.usd"}  # published, not followed
    assert [(f.code, os.path.basename(f.path)) for f in coll.findings] == [
        ("usd-not-traced", "anim.usdc"), ("usd-not-traced", "cache.usd")]
    f = coll.findings[0]
    assert f.severity is Severity.WARNING and "usd-core" in f.fix and "not followed" in f.message
    assert f.origin == "referenced by layer 'shot.usda'"


def test_without_pxr_variable_expressions_are_findings(tmp_path, monkeypatch):
    no_pxr(monkeypatch)
    shot = write(tmp_path / "shot.usda", '#usda 1.0\n(\n    expressionVariables = {\n        string S = "sh010"\n'
                 '    }\n    subLayers = [@`"./${S}.usda"`@]\n)\n')
    coll = collect(tmp_path, shot)
    (f,) = coll.findings
    assert f.code == "usd-unresolved" and '`"./${S}.usda"`' in f.message and "usd-core" in f.fix


def test_the_core_imports_without_pxr_and_never_imports_it_eagerly():
    code = ("import sys; sys.modules['pxr'] = None\n"
            "import vendor_publish.usd_layers, vendor_publish.workflow\n"
            "print(vendor_publish.usd_layers._pxr_tracer())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None"
    code = "import sys, vendor_publish.workflow; print('pxr' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ---- with pxr


def write_crate_shot(folder: Path) -> Path:
    """A binary (crate) shot written with OpenUSD: sublayer, reference, payload, textures."""
    from pxr import Sdf

    write(folder / "layers" / "light.usda", "#usda 1.0\n")
    write(folder / "assets" / "chair.usda", '#usda 1.0\ndef "Chair"\n{\n    asset tex = @../tex/wood.png@\n}\n')
    write(folder / "tex" / "wood.png")
    for tile in (1001, 1002, 1011):
        write(folder / "tex" / f"skin.{tile}.png")
    cache = Sdf.Layer.CreateNew(str(folder / "cache" / "anim.usdc"))
    Sdf.PrimSpec(cache, "Anim", Sdf.SpecifierDef, "Xform")
    cache.Save()
    shot = Sdf.Layer.CreateNew(str(folder / "shot.usdc"))
    shot.subLayerPaths.append("layers/light.usda")
    prim = Sdf.PrimSpec(shot, "World", Sdf.SpecifierDef, "Xform")
    prim.referenceList.Prepend(Sdf.Reference("./assets/chair.usda", "/Chair"))
    prim.payloadList.Prepend(Sdf.Payload("cache/anim.usdc", "/Anim"))
    for name, value in (("skin", "./tex/skin.<UDIM>.png"), ("gone", "tex/gone.png")):
        Sdf.AttributeSpec(prim, name, Sdf.ValueTypeNames.Asset).default = Sdf.AssetPath(value)
    shot.Save()
    assert (folder / "shot.usdc").read_bytes().startswith(b"PXR-USDC")
    return folder / "shot.usdc"


@needs_pxr
def test_with_pxr_binary_layers_are_followed(tmp_path):
    shot = write_crate_shot(tmp_path / "shot")
    coll = collect(tmp_path, shot)
    assert rel(tmp_path, coll) == {
        "shot/layers/light.usda": "referenced by layer 'shot.usdc'",
        "shot/assets/chair.usda": "referenced by layer 'shot.usdc'",
        "shot/cache/anim.usdc": "referenced by layer 'shot.usdc'",
        "shot/tex/skin.<UDIM>.png": "referenced by layer 'shot.usdc'",  # not its tiles: the planner expands
        "shot/tex/gone.png": "referenced by layer 'shot.usdc'",
        "shot/tex/wood.png": "referenced by layer 'chair.usda'",
    }
    assert coll.findings == []


@needs_pxr
def test_the_same_binary_layer_without_pxr_says_it_was_not_followed(tmp_path, monkeypatch):
    shot = write_crate_shot(tmp_path / "shot")
    no_pxr(monkeypatch)
    coll = collect(tmp_path, shot)
    assert added(coll) == {}
    assert [(f.code, f.path) for f in coll.findings] == [("usd-not-traced", str(shot))]


@needs_pxr
def test_with_pxr_variable_expressions_are_evaluated(tmp_path):
    shot = write(tmp_path / "shot.usda", '#usda 1.0\n(\n    expressionVariables = {\n        string S = "sh010"\n'
                 '    }\n    subLayers = [@`"./${S}.usda"`@]\n)\n')
    write(tmp_path / "sh010.usda", "#usda 1.0\n")
    coll = collect(tmp_path, shot)
    assert set(rel(tmp_path, coll)) == {"sh010.usda"} and coll.findings == []


# ---- through the planner


@pytest.mark.parametrize("mode", ["text", pytest.param("pxr", marks=needs_pxr),
                                  pytest.param("pxr-crate", marks=needs_pxr)])
def test_make_plan_publishes_what_layers_reference(tmp_path, monkeypatch, mode):
    from vendor_publish import workflow
    from vendor_publish.settings import resolve_settings

    p = tutorial_project(tmp_path / "production")
    shot = write_crate_shot(p["work"]) if mode == "pxr-crate" else shot_folder(p["work"])
    if mode == "text":
        no_pxr(monkeypatch)
    profile = write(tmp_path / "studio.json", json.dumps({"display_name": "G", "workspace": "geoscan",
                                                           "share": "proj002-outsourcing"}))
    settings = resolve_settings(env={"VENDOR_PUBLISH_HOME": str(tmp_path / "home"),
                                     "VENDOR_PUBLISH_STUDIO": str(profile), "ACCSYN_API_USER": USER})
    coll = Collection(host="test", project_file=str(p["project"]), items=[
        CollectedItem(path=str(shot), role=Role.DEPENDENCY, origin=f"--dep {shot.name}"),
        CollectedItem(path=str(p["output"]), role=Role.OUTPUT)])
    plan = workflow.make_plan(settings, coll, project_root=str(p["work"]))
    by_source = {e.source: e for e in plan.entries}
    udim = by_source[str(shot.parent / "tex" / "skin.<UDIM>.png")]
    assert udim.kind is EntryKind.SEQUENCE and udim.role is Role.DEPENDENCY
    assert udim.frames and udim.frames[:2] == [1001, 1002]
    assert udim.origin == f"referenced by layer '{shot.name}'"
    gone = str(shot.parent / "tex" / "gone.png")
    (missing,) = [f for f in plan.findings if f.code == "missing-file"]
    assert missing.path == gone and missing.origin == f"referenced by layer '{shot.name}'" and missing.blocking
    sources = {f.source for e in plan.entries for f in e.files()}
    assert {str(shot), str(shot.parent / "tex" / "skin.1002.png")} <= sources
    assert any(s.endswith(os.sep + "wood.png") for s in sources)  # a reference's own texture
    assert len(sources) == sum(e.count for e in plan.entries)  # every file once


def test_a_usd_project_file_brings_its_dependencies(tmp_path, reader):
    shot = shot_folder(tmp_path)
    coll = with_usd_dependencies(Collection(host="generic", project_file=str(shot)))
    assert len(added(coll)) == 8 and {i.role for i in coll.items} == {Role.DEPENDENCY}
    assert str(shot) not in {i.path for i in coll.items}  # the planner adds the project file itself
