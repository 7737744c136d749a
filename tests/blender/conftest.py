"""Fixtures for the blender tests (defined in blender_support, importable by a unique name)."""

from blender_support import *  # noqa: F401,F403
