#!/bin/sh
# What the Blender tests need on a fresh machine (CI calls this before pytest).
#  - bpy 4.5: Blender as a Python module, CPython 3.11 only (~370 MB download).
#  - blender-asset-tracer: test-only, the cross-check of what a .blend depends on.
#  - Debian's `blender` executable (optional, set WITH_BLENDER_EXE=1): exercises the
#    `blender -b` subprocess road; without it those two tests skip with a reason.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install "bpy==4.5.*" "blender-asset-tracer>=1.23"
if [ "${WITH_BLENDER_EXE:-0}" = "1" ]; then
    apt-get install -y --no-install-recommends blender
fi
