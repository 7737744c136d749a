"""Digests: correct SHA-256, cache hits skip reading, two processes share the cache safely."""

from __future__ import annotations

import hashlib
import multiprocessing
import os

from vendor_publish.digests import DigestCache, FileKey, digest_files


def key(path):
    st = os.stat(path)
    return FileKey(str(path), st.st_size, st.st_mtime_ns, st.st_ino)


def test_digests_match_hashlib_and_cache_is_used(tmp_path):
    files = []
    for i in range(20):
        p = tmp_path / f"f{i}.bin"
        p.write_bytes(os.urandom(1000 * i + 1))
        files.append(p)
    cache = DigestCache(tmp_path / "cache.sqlite3")
    keys = [key(p) for p in files]
    got = digest_files(keys, cache=cache, workers=2)
    assert got == {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    # Change the bytes but keep size, mtime and inode: a cache hit must not read the file again.
    for p in files:
        st = p.stat()
        with open(p, "r+b") as fh:
            fh.write(b"Z")
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert digest_files(keys, cache=cache) == got
    assert digest_files(keys, cache=None) != got


def test_changed_file_is_read_again(tmp_path):
    p = tmp_path / "a.bin"
    p.write_bytes(b"one")
    cache = DigestCache(tmp_path / "c.sqlite3")
    first = digest_files([key(p)], cache=cache)[str(p)]
    p.write_bytes(b"two!")
    second = digest_files([key(p)], cache=cache)[str(p)]
    assert first != second == hashlib.sha256(b"two!").hexdigest()


def _hammer(args):
    db, folder, n = args
    cache = DigestCache(db)
    keys = []
    for i in range(n):
        p = os.path.join(folder, f"{i}.bin")
        keys.append(key(p))
    for _ in range(5):
        digest_files(keys, cache=cache, workers=2)
    return len(cache.lookup(keys))


def test_two_processes_share_the_cache(tmp_path):
    for i in range(200):
        (tmp_path / f"{i}.bin").write_bytes(str(i).encode())
    db = tmp_path / "shared.sqlite3"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        counts = pool.map(_hammer, [(str(db), str(tmp_path), 200)] * 3, chunksize=1)
    assert counts == [200, 200, 200]


def test_a_big_folder_gets_one_row_and_any_changed_file_falls_back_to_per_file_rows(tmp_path):
    import sqlite3

    seq = tmp_path / "seq"
    seq.mkdir()
    files = []
    for i in range(80):
        p = seq / f"img.{i:04d}.exr"
        p.write_bytes(os.urandom(100 + i))
        files.append(p)
    cache = DigestCache(tmp_path / "cache.sqlite3")
    truth = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert digest_files([key(p) for p in files], cache=cache) == truth
    with sqlite3.connect(tmp_path / "cache.sqlite3") as db:
        (folder, digests), = db.execute("SELECT folder, digests FROM folder_digests").fetchall()
    assert folder == str(seq) + os.sep and digests.split("\n") == [truth[str(p)] for p in files]
    assert cache.lookup([key(p) for p in files]) == truth
    # One file rewritten with the same size: the folder row no longer matches; that file is read again.
    files[7].write_bytes(b"y" * (100 + 7))
    os.utime(files[7], ns=(1, 1))
    truth[str(files[7])] = hashlib.sha256(files[7].read_bytes()).hexdigest()
    assert cache.lookup([key(p) for p in files]) == {k: v for k, v in truth.items() if k != str(files[7])}
    assert digest_files([key(p) for p in files], cache=cache) == truth
    assert cache.lookup([key(p) for p in files]) == truth
    cache.close()


def test_compute_digests_serves_a_sequence_from_its_folder_row_without_reading(tmp_path, monkeypatch):
    from projects import USER, geoscan_profile, write

    from vendor_publish import digests as digest_mod
    from vendor_publish.models import CollectedItem, Collection, Role
    from vendor_publish.planner import PlanContext, build_plan
    from vendor_publish.submission import compute_digests

    work = tmp_path / "proj002" / "FROM_VENDORS" / USER
    project = write(work / "p.analyze", "v1")
    for frame in range(1, 81):
        write(work / "solo" / f"a.{frame:04d}.exr", os.urandom(50 + frame).hex())
        write(work / "shared" / f"b.{frame:04d}.exr", os.urandom(50 + frame).hex())
    lone = write(work / "shared" / "notes.txt", "beside a sequence")
    coll = Collection(host="test", project_file=str(project), items=[
        CollectedItem(path=str(work / "solo" / "a.####.exr"), role=Role.OUTPUT, frames=(1, 80)),
        CollectedItem(path=str(work / "shared" / "b.####.exr"), role=Role.OUTPUT, frames=(1, 80)),
        CollectedItem(path=str(lone), role=Role.DEPENDENCY),
    ])
    context = PlanContext(profile=geoscan_profile(naming={}), user=USER, upload_root=f"FROM_VENDORS/{USER}",
                          project_root=str(work), share_local_root=str(tmp_path / "proj002"))
    cache = DigestCache(tmp_path / "cache.sqlite3")
    first = compute_digests(build_plan(coll, context), cache)
    truth = {f: hashlib.sha256(open(f, "rb").read()).hexdigest() for f in first}
    assert first == truth and len(truth) == 162
    reads = []
    original = digest_mod.file_digest
    monkeypatch.setattr(digest_mod, "file_digest", lambda path, *args: reads.append(path) or original(path, *args))
    assert compute_digests(build_plan(coll, context), cache) == truth and reads == []
    changed = work / "solo" / "a.0009.exr"
    changed.write_text("changed")
    truth[str(changed)] = hashlib.sha256(b"changed").hexdigest()
    assert compute_digests(build_plan(coll, context), cache) == truth and reads == [str(changed)]
    reads.clear()
    assert compute_digests(build_plan(coll, context), cache) == truth and reads == []
    cache.close()


# Worker processes (digest_workers): many small files are hashed outside this process's GIL.

SIZES = (0, 1, 2047, 2048, 65535, 65536, (1 << 20) + 1)


def _files(folder, sizes=SIZES, copies=1):
    paths = []
    for n in range(copies):
        for size in sizes:
            p = folder / f"f{n}_{size} é\nx.bin"  # a space, a non-ASCII letter and a newline travel too
            p.write_bytes(os.urandom(size))
            paths.append(p)
    return paths


def _truth(paths):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _force_workers(monkeypatch, digest_mod):
    """Worker processes for any number of files; reads in this process are counted."""
    monkeypatch.setattr(digest_mod, "PROCESS_MIN_FILES", 1)
    monkeypatch.setattr(digest_mod, "BATCH_FILES", 3)
    here = []
    original = digest_mod.file_digest
    monkeypatch.setattr(digest_mod, "file_digest", lambda path, *args: here.append(path) or original(path, *args))
    return here


def test_worker_processes_match_hashlib_for_every_size(tmp_path, monkeypatch):
    from vendor_publish import digests as digest_mod

    paths = _files(tmp_path, copies=3)
    here = _force_workers(monkeypatch, digest_mod)
    done = []
    got = digest_files([key(p) for p in paths], workers=2, progress=lambda d, t: done.append((d, t)))
    assert got == _truth(paths)
    big = {str(p) for p in paths if p.stat().st_size >= digest_mod.SMALL_FILE}
    assert set(here) == big  # the small files were all hashed by the workers
    total = sum(p.stat().st_size for p in paths)
    assert done[-1] == (total, total) and [d for d, _ in done] == sorted(d for d, _ in done)


def test_a_worker_reads_a_file_whose_size_changed_since_its_stat(tmp_path):
    from vendor_publish.digest_workers import Worker, python_executable

    paths = _files(tmp_path)
    keys = [key(p) for p in paths]
    for i, p in enumerate(paths):  # grown or shrunk after the plan's stat: the digest is of what is there now
        p.write_bytes(os.urandom(p.stat().st_size + 5) if i % 2 else os.urandom(3))
    worker = Worker(python_executable())
    try:
        assert worker.digest(keys) == [_truth(paths)[str(p)] for p in paths]
    finally:
        worker.close()


def test_an_unreadable_file_raises_as_before_through_workers_and_threads(tmp_path, monkeypatch):
    from vendor_publish import digests as digest_mod

    paths = _files(tmp_path, sizes=(10, 20, 30, 70000), copies=4)
    keys = [key(p) for p in paths]
    gone = paths[5]
    gone.unlink()
    for force in (False, True):
        if force:
            _force_workers(monkeypatch, digest_mod)
        try:
            digest_files(keys, workers=2)
        except FileNotFoundError as exc:
            assert exc.filename == str(gone) and exc.errno == 2
        else:
            raise AssertionError("a vanished file must raise")
    folder = tmp_path / "a folder"
    folder.mkdir()
    try:
        digest_files([*keys[:5], FileKey(str(folder), 10, 0, 0)], workers=2)
    except IsADirectoryError as exc:
        assert exc.filename == str(folder)
    else:
        raise AssertionError("a folder must raise")


def test_cancel_stops_small_batches_and_big_files(tmp_path, monkeypatch):
    from vendor_publish import digests as digest_mod

    (tmp_path / "big").mkdir()
    paths = _files(tmp_path, sizes=(100,), copies=600) + _files(tmp_path / "big", sizes=(64 << 20,))
    keys = [key(p) for p in paths]
    monkeypatch.setattr(digest_mod, "PROCESS_MIN_FILES", 1)
    monkeypatch.setattr(digest_mod, "BATCH_FILES", 16)
    seen = []
    cache = DigestCache(tmp_path / "c.sqlite3")
    got = digest_files(keys, cache=cache, workers=2, progress=lambda d, t: seen.append(d), cancelled=lambda: bool(seen))
    # The 64 MB file stopped after its first chunk or two, the small ones after a batch or two.
    assert str(paths[-1]) not in got and len(got) <= 4 * 16
    assert got == {k: v for k, v in _truth(paths[:-1]).items() if k in got}
    assert cache.lookup(keys) == got  # what was done is kept, as before
    cache.close()


def test_no_usable_python_means_threads(tmp_path, monkeypatch):
    from vendor_publish import digest_workers
    from vendor_publish import digests as digest_mod

    paths = _files(tmp_path, copies=2)
    here = _force_workers(monkeypatch, digest_mod)
    monkeypatch.setattr(digest_mod, "python_executable", lambda: None)
    assert digest_files([key(p) for p in paths], workers=2) == _truth(paths)
    assert sorted(here) == sorted(map(str, paths))
    # Inside Blender or QGIS sys.executable may be the application: never started as a worker.
    for name, ok in [("python", True), ("python3.11", True), ("PYTHON.EXE", True), ("python3", True),
                     ("blender", False), ("qgis-bin.exe", False), ("pythonw.exe", False), ("python-config", False)]:
        assert digest_workers._is_python_name(name) is ok, name
    monkeypatch.setattr(digest_workers.sys, "executable", str(tmp_path / "blender"))
    monkeypatch.setattr(digest_workers.sys, "_base_executable", "", raising=False)
    assert digest_workers.python_executable() is None


def test_a_worker_that_hangs_or_dies_falls_back_to_threads(tmp_path, monkeypatch):
    from vendor_publish import digest_workers
    from vendor_publish import digests as digest_mod

    paths = _files(tmp_path, copies=2)
    truth = _truth(paths)
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    monkeypatch.setattr(digest_workers, "START_TIMEOUT", 0.5)
    scripts = {
        "hangs": "#!/bin/sh\nsleep 30\n",
        "says hello, then dies": "#!/bin/sh\nprintf 'vp-digest-worker 1\\n'\nexit 3\n",
        "answers nonsense": "#!/bin/sh\nprintf 'vp-digest-worker 1\\n'\nread x\nprintf 'abc\\n'\nsleep 30\n",
        "is not a python": "#!/bin/sh\necho usage: blender [args]\n",
    }
    for what, script in scripts.items():
        fake.write_text(script)
        fake.chmod(0o755)
        here = _force_workers(monkeypatch, digest_mod)
        monkeypatch.setattr(digest_mod, "python_executable", lambda: str(fake))
        assert digest_files([key(p) for p in paths], workers=2) == truth, what
        assert sorted(here) == sorted(map(str, paths)), what


def test_worker_processes_are_capped_whatever_the_core_count(tmp_path, monkeypatch):
    from vendor_publish import digests as digest_mod

    paths = _files(tmp_path, sizes=(10, 100, 1000), copies=20)
    _force_workers(monkeypatch, digest_mod)
    monkeypatch.setattr(digest_mod, "MAX_PROCESSES", 3)
    started = []

    class Counted(digest_mod.Worker):
        def __init__(self, executable):
            started.append(executable)
            super().__init__(executable)

    monkeypatch.setattr(digest_mod, "Worker", Counted)
    assert digest_files([key(p) for p in paths], workers=64) == _truth(paths)
    assert 1 <= len(started) <= 3
