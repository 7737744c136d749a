"""decodeUri of many sources on a few threads: same answers, same order, the odd provider at home.

Plain Python (no QGIS needed); ``test_qgis_decoding_threads.py`` runs the real registry."""

from __future__ import annotations

import threading

import pytest

from vendor_publish_qgis import decoding


def recording_decoder():
    seen: dict[int, str] = {}

    def decode(provider: str, source: str) -> dict:
        seen[int(source)] = threading.current_thread().name
        return {"path": f"/data/{source}", "provider": provider}

    return decode, seen


def test_answers_keep_the_order_of_the_sources_and_threads_share_the_work():
    pairs = [("ogr" if i % 3 else "gdal", str(i)) for i in range(500)]
    decode, seen = recording_decoder()
    results = decoding.decode_all(pairs, decode, threads=3)
    assert results == [{"path": f"/data/{i}", "provider": p} for p, i in ((p, int(s)) for p, s in pairs)]
    names = set(seen.values())
    assert len(names) == 3 and threading.current_thread().name in names
    assert not [t for t in threading.enumerate() if t.name.startswith("vendor-publish decodeUri")]


def test_providers_not_known_to_be_plain_string_parsers_are_decoded_on_the_calling_thread():
    pairs = [("postgres" if i % 50 == 0 else "gdal", str(i)) for i in range(400)]
    pairs.append(("my_python_provider", "400"))
    decode, seen = recording_decoder()
    decoding.decode_all(pairs, decode, threads=4)
    here = threading.current_thread().name
    assert all(seen[i] == here for i, (provider, _) in enumerate(pairs) if provider not in decoding.THREADED_PROVIDERS)
    assert len({seen[i] for i, (p, _) in enumerate(pairs) if p == "gdal"}) == 4


def test_small_projects_and_single_cores_stay_on_one_thread():
    assert decoding.thread_count(decoding.PER_THREAD * 2 - 1, cpus=8) == 1
    assert decoding.thread_count(500, cpus=1) == 1
    assert decoding.thread_count(500, cpus=2) == 2
    assert decoding.thread_count(100_000, cpus=64) == decoding.MOST_THREADS
    decode, seen = recording_decoder()
    decoding.decode_all([("ogr", str(i)) for i in range(10)], decode)
    assert set(seen.values()) == {threading.current_thread().name}


def test_an_exception_on_a_helper_thread_reaches_the_caller_after_every_thread_stopped():
    def decode(provider: str, source: str) -> dict:
        if source == "7":
            raise ValueError("bad source 7")
        return {}

    with pytest.raises(ValueError, match="bad source 7"):
        decoding.decode_all([("ogr", str(i)) for i in range(200)], decode, threads=4)
    assert not [t for t in threading.enumerate() if t.name.startswith("vendor-publish decodeUri")]
