"""Shared pieces of the benchmark: result rows, timing, and the plan context for the dataset."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from dataset import USER, Dataset


@dataclass
class Row:
    """One figure of the table: measured value against a baseline taken in the same run."""

    bench: str
    figure: str
    value: float
    baseline: float | None
    unit: str
    target: str  # e.g. '<= 1.5x', '>= 10x', '< 250 MB'
    passed: bool
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """value / baseline (None without a baseline)."""
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def best_of(repeat: int, *fns: Callable[[], object]) -> list[float]:
    """Run the functions interleaved ``repeat`` times; the best (lowest) wall time of each.

    Interleaving and keeping the minimum damps what other processes do to a shared machine:
    both the baseline and the measurement get the same chances of a quiet moment.
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def bare_stat_pass(top: str) -> int:
    """The baseline: every file under ``top`` listed with os.scandir and statted once."""
    count = 0
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat()
                    count += 1
    return count


def profile():
    """The studio profile used for the benchmark: naming and required-output rules that every file passes."""
    from vendor_publish.studio import StudioProfile

    return StudioProfile(
        display_name="GeoScan", workspace="geoscan", share="proj002-outsourcing", volume="production",
        share_path="proj002", naming={"output": ["sh*_beauty.*.exr"], "dependency": ["*.png", "*.blend"]},
        required={"output": 1},
    )


def plan_project(data: Dataset, listings=None):
    """Plan the dataset through the core as the generic host does: collection, then build_plan.

    ``listings`` (a ``ListingCache``) is what ``workflow.make_plan`` passes on a re-publish.
    """
    from vendor_publish import generic, mapping
    from vendor_publish.planner import PlanContext, build_plan

    prof = profile()
    collection = generic.collect_paths(
        str(data.project_file), outputs=data.sequence_patterns, dependencies=data.udim_patterns,
        base_dir=str(data.work),
    )
    context = PlanContext(
        profile=prof, user=USER, upload_root=mapping.upload_root_for(prof.upload_root, USER),
        project_root=str(data.work), share_local_root=str(data.production / "proj002"),
        task="DATASET_001_1203", job_code="DATASET_001_1203_output", listings=listings,
    )
    return build_plan(collection, context)
