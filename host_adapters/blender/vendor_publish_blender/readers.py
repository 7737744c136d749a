"""All readers, in the order they run (image users before images)."""

from __future__ import annotations

from .read_context import ReadContext, Reader, Ref
from .readers_data import DATA_READERS
from .readers_output import OUTPUT_READERS
from .readers_sim import SIM_READERS

DEFAULT_READERS: tuple[Reader, ...] = DATA_READERS + SIM_READERS + OUTPUT_READERS

__all__ = ["DEFAULT_READERS", "ReadContext", "Reader", "Ref"]
