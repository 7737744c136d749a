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


def plan(settings: Any, facts: ProjectFacts, *, comment: str = "", exclude: Container[str] = (),
         files: SidecarFinder | None = None) -> Plan:
    """The files behind ``facts`` looked at and the plan made (any thread); optional entries whose
    id is in ``exclude`` stay left out. The profile's declared outputs are added by the planner."""
    with paused_gc():
        collection = Collection.model_validate(collecting.resolve(facts, files))
    made = workflow.make_plan(settings, collection, comment=comment)
    if not exclude:
        return made
    entries = [e.model_copy(update={"included": False}) if e.optional and e.id in exclude else e
               for e in made.entries]
    return made.model_copy(update={"entries": entries})
