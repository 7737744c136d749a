"""``QgsProviderRegistry.decodeUri`` of every layer's source, on a few threads at once.

On a project of 500 file-backed layers decodeUri is most of a click's cost (~55 us a layer,
QGIS's C++ matching regular expressions), and PyQGIS lets go of Python's lock while it runs: two
threads on two cores decode 500 sources in ~23 ms instead of ~33. Only the string parsing runs
on the threads: the layers are asked for their provider and source on the main thread first,
and only providers whose decodeUri is QGIS's own C++ string parsing (local regular expressions
and string functions: no layer, no data, no Python; later QGIS versions keep those expressions
``thread_local`` for callers on several threads) are decoded off it. Others, and small
projects, are decoded on the calling thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

#: Providers whose decodeUri only parses the source string (QGIS 3.22 to 3.40).
THREADED_PROVIDERS = frozenset({"ogr", "gdal", "delimitedtext", "spatialite", "mdal", "pdal", "gpx"})
#: Sources per thread below which a thread costs more than it saves.
PER_THREAD = 64
#: More threads than this mostly wait for Python's lock between two decodes.
MOST_THREADS = 4

Decoder = Callable[[str, str], Any]


def thread_count(threaded: int, cpus: int | None = None) -> int:
    """How many threads (the caller's included) should decode ``threaded`` sources."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return max(1, min(cpus, MOST_THREADS, threaded // PER_THREAD))


def decode_all(pairs: Sequence[tuple[str, str]], decode: Decoder, *, threads: int | None = None) -> list[Any]:
    """``decode(provider, source)`` of each pair, in order; threads share the providers named in
    ``THREADED_PROVIDERS`` and the calling thread does the rest. What ``decode`` raises on a
    helper thread is raised here, once every thread has stopped."""
    results: list[Any] = [None] * len(pairs)
    raised: list[BaseException] = []
    threaded = [i for i, (provider, _) in enumerate(pairs) if provider in THREADED_PROVIDERS]
    count = threads if threads is not None else thread_count(len(threaded))
    if count < 2:
        threaded = []

    def run(indexes: Sequence[int]) -> None:
        for i in indexes:
            results[i] = decode(*pairs[i])

    def run_caught(indexes: Sequence[int]) -> None:
        try:
            run(indexes)
        except BaseException as exc:  # a thread's exception would otherwise only be printed
            raised.append(exc)

    # every count-th source: providers and path lengths spread evenly over the threads
    workers = [threading.Thread(target=run_caught, args=(threaded[k::count],), name=f"vendor-publish decodeUri {k}",
                                daemon=True) for k in range(1, count)] if threaded else []
    for worker in workers:
        worker.start()
    try:
        run(threaded[0::count] if threaded else ())
        run([i for i, (provider, _) in enumerate(pairs) if provider not in THREADED_PROVIDERS] if threaded
            else range(len(pairs)))
    finally:
        for worker in workers:
            worker.join()
    if raised:
        raise raised[0]
    return results
