"""A click's two halves, shared by the plugin and the benchmark: what QGIS is asked on the main
thread, and the plan made from it in the planning task (any thread). Both hold the cyclic
garbage collector back while they allocate (``vendor_publish.gc_pause``)."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from qgis.core import QgsProject
from vendor_publish import workflow
from vendor_publish.gc_pause import paused_gc
from vendor_publish.models import Collection, Plan
from vendor_publish.validation import set_included

from . import collection as collecting
from .collection import ProjectFacts
from .sidecars import SidecarFinder


def read(project: QgsProject, pdfs: tuple[list, list] = ([], [])) -> ProjectFacts:
    """What QGIS says the project uses, plus exported layout PDFs as items and findings (main thread)."""
    with paused_gc():
        facts = collecting.read_project(project)
    facts.after.extend(("item", one) for one in pdfs[0])
    facts.after.extend(("finding", one) for one in pdfs[1])
    return facts


def plan(settings: Any, facts: ProjectFacts, *, comment: str = "", left_out: Container[tuple[str, str]] = (),
         files: SidecarFinder | None = None) -> Plan:
    """The files behind ``facts`` looked at and the plan made (any thread). Optional entries named
    in ``left_out`` as (role, source) stay left out, the plan checked again without them (entry ids
    are new in every plan: the source is what stays). The profile's declared outputs are added by
    the planner."""
    with paused_gc():
        collection = Collection.model_validate(collecting.resolve(facts, files))
    made = workflow.make_plan(settings, collection, comment=comment)
    if not left_out:
        return made
    return set_included(made, settings.profile, {e.id: False for e in made.entries
                                                 if e.optional and (e.role.value, e.source) in left_out})


def left_out_of(made: Plan) -> set[tuple[str, str]]:
    """What the analyst left out of a plan, as ``plan`` takes it for the next one."""
    return {(e.role.value, e.source) for e in made.entries if not e.included}
