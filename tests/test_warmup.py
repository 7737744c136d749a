"""The background import of the core: it imports, it can be waited for, and it never raises."""

from __future__ import annotations

import sys
import threading

from vendor_publish.warmup import Warmup


def write_module(folder, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(body)


def test_imports_the_modules_on_a_thread_after_prepare(tmp_path, monkeypatch):
    write_module(tmp_path, "vp_warm_a", "import threading\nTHREAD = threading.current_thread().name\n")
    write_module(tmp_path, "vp_warm_b", "VALUE = 2\n")
    order = []

    def prepare():
        order.append("prepare")
        monkeypatch.syspath_prepend(str(tmp_path))  # as ensure_core puts the vendored core first

    warm = Warmup(prepare, ["vp_warm_a", "vp_warm_b"])
    assert not warm.done
    warm.wait()  # not started: returns at once
    warm.start()
    warm.start()  # once only
    warm.wait()
    assert warm.done and warm.failed is None and order == ["prepare"]
    assert warm.imported == ["vp_warm_a", "vp_warm_b"]
    assert sys.modules["vp_warm_a"].THREAD == "vendor-publish warm-up" != threading.current_thread().name


def test_a_failure_is_kept_for_the_click_to_explain(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    write_module(tmp_path, "vp_warm_ok", "")
    write_module(tmp_path, "vp_warm_broken", "import vp_no_such_module_anywhere\n")
    warm = Warmup(lambda: None, ["vp_warm_ok", "vp_warm_broken", "vp_warm_never"])
    warm.start()
    warm.wait()
    assert warm.done and warm.imported == ["vp_warm_ok"]
    assert isinstance(warm.failed, ImportError) and "vp_no_such_module_anywhere" in str(warm.failed)


def test_prepare_failing_stops_before_any_import():
    def prepare():
        raise ImportError("vendor_publish is not installed for this Python")

    warm = Warmup(prepare, ["json"])
    warm.start()
    warm.wait()
    assert warm.imported == [] and "not installed" in str(warm.failed)
