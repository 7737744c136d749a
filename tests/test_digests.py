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
    monkeypatch.setattr(digest_mod, "file_digest", lambda path, buffer=None: reads.append(path) or original(path))
    assert compute_digests(build_plan(coll, context), cache) == truth and reads == []
    changed = work / "solo" / "a.0009.exr"
    changed.write_text("changed")
    truth[str(changed)] = hashlib.sha256(b"changed").hexdigest()
    assert compute_digests(build_plan(coll, context), cache) == truth and reads == [str(changed)]
    reads.clear()
    assert compute_digests(build_plan(coll, context), cache) == truth and reads == []
    cache.close()
