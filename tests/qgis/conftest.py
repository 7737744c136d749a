"""Fixtures for the qgis tests (defined in qgis_support, importable by a unique name)."""

from qgis_support import *  # noqa: F401,F403
