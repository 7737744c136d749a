"""Reproduces a crash of Debian's Blender 3.4.1 (built against Python 3.11) in its GUI: any Python
thread running while Blender redraws its Python-drawn interface ends in a segmentation fault.

    xvfb-run -a blender --factory-startup --python thread_crash_repro.py

Seen on 2 December 2026 (session 3). The same thread beside 1,500 operators did not crash Debian's
Blender 3.4 in background mode (-b), nor the official bpy 4.5 wheel; Blender's GUI test of the add-on
(planning and upload in worker threads) has not crashed either: its threads spend their time in C
(stat, hashing, sockets) with the GIL released. Not a test: it crashes Blender by design.
"""

import hashlib
import json
import os
import threading

import bpy

STATE = {"redraws": 0, "thread_loops": 0}
stop = False


def worker():
    """Plain Python, touching nothing of Blender's."""
    while not stop:
        total = 0
        for i in range(2000):
            total += i
        hashlib.sha256(b"x" * 4096).hexdigest()
        STATE["thread_loops"] += 1


def redraw():
    global stop
    window = bpy.context.window_manager.windows[0]
    with bpy.context.temp_override(window=window):
        for _ in range(10):
            bpy.ops.wm.redraw_timer(type="DRAW_WIN_SWAP", iterations=1)
            STATE["redraws"] += 1
    if STATE["redraws"] >= 400:
        stop = True
        print("SURVIVED " + json.dumps(STATE), flush=True)
        os._exit(0)
    return 0.01


threading.Thread(target=worker, daemon=True).start()
bpy.app.timers.register(redraw, first_interval=1.0)
