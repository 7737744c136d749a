"""What collected USD layers depend on: sublayers, references, payloads and asset-valued
attributes (textures...), recursively, as items of the collection.

Hosts collect a USD file (a Blender cache, ``--dep scene.usda``) but not what it references,
so the studio would get a layer whose references are all missing. Applied by the core to every
host's collection. With OpenUSD's bindings (``pxr``, the ``usd-core`` wheel) layers are walked by
``UsdUtils.ComputeAllDependencies``, which also reads binary crate layers and evaluates variable
expressions; without them ``.usda`` text is parsed here and a binary layer is a finding.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable

from vendor_publish.models import CollectedItem, Collection, Finding, Role, Severity

LAYER_EXTS = (".usd", ".usda", ".usdc")  # .usdz is a self-contained package: nothing to follow
CRATE_MAGIC = b"PXR-USDC"
TEXT_MAGIC = b"#usda"

# Tokens of .usda text that can hide or hold an asset path, leftmost first: a '#' or '@' inside a
# string or comment is not an asset path, so strings and comments are matched (and skipped) whole.
_TOKEN_RE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|\#[^\n]*"
    r"|@@@(?P<triple>(?:[^@\\]|\\.|@(?!@@))*)@@@"
    r"|@(?P<single>[^@\n]*)@",
    re.S,
)
_VARIABLE_RE = re.compile(r"`|\$\{?[A-Za-z_]")  # an expression (`"${VAR}"`) or an environment variable
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")  # omniverse://, http://... (one letter is a drive)
_WINDOWS_ROOT_RE = re.compile(r"[A-Za-z]:[\\/]|[\\/]{2}")
_UDIM_RE = re.compile(r"<UDIM>", re.I)

Trace = tuple[list[tuple[str, str]], list[Finding]]  # (layer, file it references) pairs; findings

INSTALL_HINT = "install usd-core in the host's Python (pip install usd-core)"


def is_layer(path: str) -> bool:
    """True for a USD layer whose dependencies can be followed (.usd, .usda, .usdc)."""
    return path.lower().endswith(LAYER_EXTS)


def with_usd_dependencies(collection: Collection) -> Collection:
    """The collection plus every file its USD layers reference, recursively; problems as findings."""
    home = os.path.dirname(os.path.abspath(collection.project_file))
    collected = [CollectedItem(path=collection.project_file, role=Role.DEPENDENCY, origin="project file"),
                 *collection.items]
    # An output layer's references are part of what was produced; anything else's are dependencies.
    roots = [(_absolute(i.path, home), Role.OUTPUT if i.role is Role.OUTPUT else Role.DEPENDENCY, i.origin)
             for i in collected if not i.is_dir and is_layer(i.path)]
    roots = [root for root in roots if os.path.isfile(root[0])]
    if not roots:  # the usual case: nothing to read, and pxr is not imported
        return collection
    seen = {_key(_absolute(i.path, home)) for i in collected}
    origins = {_key(p): o for p, _, o in roots}
    trace = _pxr_tracer() or _trace_text
    traced: set[str] = set()
    items: list[CollectedItem] = []
    findings: list[Finding] = []
    for root, role, _ in roots:
        if _key(root) in traced:  # already reached through another collected layer
            continue
        refs, found = trace(root, traced)
        for layer, path in refs:
            origin = f"referenced by layer '{os.path.basename(layer)}'"
            origins.setdefault(_key(path), origin)
            if _key(path) in seen:  # collected already, or referenced by another layer too
                continue
            seen.add(_key(path))
            items.append(CollectedItem(path=path, role=role, origin=origin,
                                       kind="usd layer" if is_layer(path) else "usd asset"))
        findings += [f.model_copy(update={"origin": origins.get(_key(f.path or ""), f.origin)}) for f in found]
    return collection.model_copy(update={"items": [*collection.items, *items],
                                         "findings": [*collection.findings, *findings]})


def asset_paths(text: str) -> list[str]:
    """The asset paths (``@path@``, ``@@@path@@@``) written in .usda text, outside strings and comments."""
    if "@" not in text:  # most of a big layer is numbers: skip the scan when it cannot find anything
        return []
    found = []
    for m in _TOKEN_RE.finditer(text):
        if m.group("triple") is not None:
            found.append(m.group("triple").replace("\\@@@", "@@@"))
        elif m.group("single") is not None:
            found.append(m.group("single"))
    return found


def _trace_text(root: str, traced: set[str]) -> Trace:
    """Follow .usda layers by reading their text (no pxr); binary layers become findings."""
    refs: list[tuple[str, str]] = []
    findings: list[Finding] = []
    queue = deque([root])
    while queue:
        layer = queue.popleft()
        if _key(layer) in traced:  # a cycle, or a layer two others reference
            continue
        traced.add(_key(layer))
        assets, problem = _read_usda(layer)
        if problem is not None:
            findings.append(problem)
        for asset in assets:
            path = _anchor(layer, asset, findings, evaluated=False)
            if path is not None:
                refs.append((layer, path))
                if is_layer(path) and os.path.isfile(path):
                    queue.append(path)
    return refs, findings


def _read_usda(layer: str) -> tuple[list[str], Finding | None]:
    try:
        with open(layer, "rb") as f:
            data = f.read()
    except OSError as exc:
        return [], _unreadable(layer, exc.strerror or str(exc))
    if data.startswith(CRATE_MAGIC):
        name = os.path.basename(layer)
        return [], Finding(
            code="usd-not-traced", severity=Severity.WARNING, path=layer,
            message=f"'{name}' is a binary USD layer: the files it references were not followed "
                    f"(reading it needs OpenUSD's Python bindings).",
            fix=f"To publish what it references, {INSTALL_HINT}, or publish those files explicitly (--dep).")
    if not data.startswith(TEXT_MAGIC):
        return [], _unreadable(layer, "not a USD layer (no '#usda' header)")
    try:
        return asset_paths(data.decode("utf-8")), None
    except UnicodeDecodeError:
        return [], _unreadable(layer, "not UTF-8 text")


def _pxr_tracer() -> Callable[[str, set[str]], Trace] | None:
    """A tracer using OpenUSD, or None when pxr cannot be imported (optional: never at module import)."""
    try:
        from pxr import Ar, Sdf, Tf, UsdUtils
    except (ImportError, OSError):  # absent, or a broken build whose libraries do not load
        return None

    def trace(root: str, traced: set[str]) -> Trace:
        records: list[tuple[str, str, str, list[str]]] = []

        def record(layer, info):  # called once per asset path a layer holds, as written in it
            records.append((layer.identifier, layer.realPath, info.assetPath, list(info.dependencies)))
            return info

        traced.add(_key(root))
        error = None
        try:
            opened = UsdUtils.ComputeAllDependencies(Sdf.AssetPath(root), record)[0]
        except Tf.ErrorException as exc:  # a layer it reached did not open; the walk went on past it
            opened, error = [], exc
        except TypeError:  # Boost.Python.ArgumentError: a pxr too old to take the callback
            return _trace_text(root, traced)
        refs: list[tuple[str, str]] = []
        findings: list[Finding] = []
        layers = [root]
        for identifier, layer, asset, resolved in records:
            if not layer or Ar.IsPackageRelativePath(identifier):  # inside a .usdz: travels with it
                continue
            traced.add(_key(layer))
            # A <UDIM> set stays one pattern (the planner expands it; this lists the tiles found);
            # other assets listing files (value-clip templates) are those files.
            for written in [asset] if _UDIM_RE.search(asset) or not resolved else resolved:
                path = _anchor(layer, written, findings, evaluated=True)
                if path is not None:
                    refs.append((layer, path))
                    if is_layer(path) or path.lower().endswith(".usdz"):  # may be what failed
                        layers.append(path)
        # A layer that does not open is only a warning on stderr (an error, raised, for some): the
        # layers reached but not in the opened list are the ones to report.
        done = {_key(Ar.SplitPackageRelativePathOuter(layer.identifier)[0]) for layer in opened}
        bad = [_unreadable(p, why) for p in dict.fromkeys(layers)
               if _key(p) not in done and os.path.isfile(p) and (why := _open_error(Sdf, Tf, p))]
        if error is not None and not bad:
            bad = [_unreadable(root, _error_text(error))]
        findings += bad
        return refs, findings

    return trace


def _open_error(Sdf, Tf, layer: str) -> str | None:
    if not os.access(layer, os.R_OK):
        return "permission denied"
    try:
        return None if Sdf.Layer.FindOrOpen(layer) is not None else "OpenUSD could not open it"
    except Tf.ErrorException as exc:
        return _error_text(exc)


def _anchor(layer: str, asset: str, findings: list[Finding], *, evaluated: bool) -> str | None:
    """The local path an asset path names, relative to its layer's folder; None (and a finding) if none."""
    asset = asset.strip()
    if not asset:
        return None
    why = None
    fix = ("Write it as a path relative to the layer (or absolute on this machine), "
           "or publish the file it names explicitly (--dep).")
    if _VARIABLE_RE.search(asset) and not evaluated:
        why = "holds a variable, which only OpenUSD evaluates"
        fix = (f"To publish what it names, {INSTALL_HINT} so OpenUSD evaluates it,"
               " or publish that file explicitly (--dep).")
    elif _VARIABLE_RE.search(asset):
        why = "holds a variable OpenUSD did not evaluate"
    elif _SCHEME_RE.match(asset):
        why = "is a URI, not a file on this machine"
    elif os.name != "nt" and _WINDOWS_ROOT_RE.match(asset):
        why = "is a Windows path, not a file on this machine"
    if why:
        findings.append(Finding(
            code="usd-unresolved", severity=Severity.WARNING, path=layer, fix=fix,
            message=f"Layer '{os.path.basename(layer)}' refers to '{asset}', which {why}; it was not published."))
        return None
    if asset.endswith("]") and ".usdz[" in asset.lower():  # a file inside a package: the package
        asset = asset[: asset.lower().index(".usdz[") + 5]
    return _absolute(asset, os.path.dirname(layer))


def _unreadable(layer: str, why: str) -> Finding:
    return Finding(
        code="usd-unreadable", severity=Severity.WARNING, path=layer,
        message=f"USD layer '{os.path.basename(layer)}' could not be read ({why}); "
                "the files it references were not followed.",
        fix="Check the file opens in a USD application, or publish the files it references explicitly (--dep).")


def _error_text(exc: BaseException) -> str:
    # Tf errors read "Error in '<C++ function>' at line N in file F : '<message>'": keep the message.
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0].rsplit(" : ", 1)[-1].strip("'") if lines else type(exc).__name__


def _absolute(path: str, base: str) -> str:
    return os.path.normpath(os.path.join(base, path))


def _key(path: str) -> str:
    return os.path.normcase(os.path.normpath(path))
