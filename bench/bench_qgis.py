"""Benchmark: menu click to dialog on a QGIS project with N file-backed layers, against a bare
``decodeUri`` + ``stat`` pass over the same layers (target: at most 2x). Not a test.

    .venv/bin/python bench/bench_qgis.py [--layers 500] [--repeat 3] [--gui] [--data DIR]
    (or as part of ./dev bench: --only qgis)

The offscreen figure times the plugin's own code path in QGIS's Python (collection, plan,
dialog built and shown), interleaved with the baseline, best of ``--repeat``. ``--gui`` also
clicks the menu entry in the real QGIS under Xvfb, once after the plugin's background import of
the core and then ``--repeat`` more times, and reports the wall time until the dialog is shown
and painted (that includes handing the plan to a QgsTask and back).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
QGIS_TESTS = HERE.parent / "tests" / "qgis"
sys.path.insert(0, str(QGIS_TESTS))  # the QGIS test helpers: its Python, environment, GUI driver

from qgis_support import qgis_env, qgis_python  # noqa: E402

TARGET = 2.0


def measure(layers: int, repeat: int, *, gui: bool = False, data: Path | None = None) -> dict:
    """Build a project with ``layers`` file-backed layers and time click-to-dialog against the baseline."""
    python = qgis_python()
    if python is None:
        raise RuntimeError("QGIS is not installed here (apt-get install python3-qgis qgis-providers).")
    with tempfile.TemporaryDirectory(prefix="vp-bench-qgis-") as tmp:
        root = data or Path(tmp)
        work = root / "Production" / "proj002" / "FROM_VENDORS" / "jennifer@gda.com" / "bench"
        work.mkdir(parents=True, exist_ok=True)
        profile = root / "studio.toml"
        profile.write_text('display_name = "GeoScan"\nworkspace = "geoscan"\nshare = "proj002-outsourcing"\n'
                           'volume = "production"\nshare_path = "proj002"\noutput_folders = ["exports"]\n')
        import importlib.util

        spec = importlib.util.spec_from_file_location("install_qgis", HERE.parent / "install" / "qgis.py")
        installer = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(installer)
        plugin = installer.install("default", profiles_root=Path(tmp) / "profiles", qgis_python=python)
        env = {"VENDOR_PUBLISH_STUDIO": str(profile), "VENDOR_PUBLISH_HOME": str(Path(tmp) / "vp"),
               "ACCSYN_API_USER": "jennifer@gda.com", "ACCSYN_PRODUCTION_PATH": str(root / "Production"),
               "XDG_RUNTIME_DIR": tmp}
        proc = subprocess.run([python, str(HERE / "bench_qgis_inner.py"), str(work), str(layers), str(repeat)],
                              capture_output=True, text=True, timeout=1800,
                              env=qgis_env({**env, "PYTHONPATH": f"{plugin / '_vendor'}:{plugin.parent}"}),
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError(f"the QGIS measurement failed:\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if gui:
            from test_qgis_gui import run_qgis_gui

            shots = Path(tmp) / "gui"
            shots.mkdir()
            clicks = run_qgis_gui(shots, result["project"], {**env, "VP_GUI_AGAIN": str(repeat), "VP_GUI_WARM": "1"},
                                  publish=False)
            result["gui_first_s"] = clicks["click_to_dialog_s"]
            result["gui_again_s"] = clicks["click_to_dialog_again_s"]
            result["gui_again_stages_ms"] = clicks.get("stages_again_ms", [])
            result["gui_baseline_s"] = clicks.get("baseline_here_s")
        return result


def run(quick: bool, repeat: int | None = None) -> list[dict]:
    """Rows for bench/run.py: click-to-dialog (offscreen) against decodeUri + stat (target <= 2x)."""
    layers = 100 if quick else 500
    repeat = repeat or (2 if quick else 5)  # best of 5 by default, as the Blender click-to-dialog figure
    try:
        r = measure(layers, repeat)
    except RuntimeError as exc:
        return [_row("qgis: menu click to plan dialog", float("nan"), None, f"<= {TARGET:g}x", False, note=str(exc)[:120])]
    ms = 1000.0
    base = r["baseline_s"] * ms
    ratio = r["measured_s"] / r["baseline_s"]
    stages = r["stages_of_best_s"]
    return [
        _row("qgis: menu click to plan dialog (offscreen)", r["measured_s"] * ms, base, f"<= {TARGET:g}x",
             ratio <= TARGET, note=f"best of {repeat}; {r['layers']} layers, {r['files']} files planned "
                                   f"in {r['entries']} entries; decodeUri on {r['threads']} threads; "
                                   "baseline decodeUri + stat per layer, one thread"),
        _row("qgis: the same click, decodeUri on one thread", r["one_thread_s"] * ms, base, "info", True,
             note=f"{r['one_thread_s'] / r['baseline_s']:.2f}x: what a one-core machine gets"),
        _row("qgis: of which reading the project (main thread)", stages["read"] * ms, base, "info", True,
             note=f"settings, layers, decodeUri, symbols, layouts; layers + decodeUri alone, one thread: "
                  f"{r['decode_s'] * ms:.0f} ms"),
        _row("qgis: of which files and plan (worker)", stages["worker"] * ms, base, "info", True,
             note=f"sidecars etc. and make_plan: {stages['plan'] * ms:.1f} ms ({r['folders_listed']} folder "
                  f"listing(s), {r['sidecar_fallbacks']} sidecarFilesForPath fallbacks); the rest is the hop to the "
                  "worker and back"),
        _row("qgis: of which dialog built and painted", stages["dialog"] * ms, base, "info", True,
             note="table model: only the rows on screen are asked for"),
        _row("qgis: decodeUri + sidecars + stat of every file", r["full_pass_s"] * ms, base, "info", True,
             note="decodeUri + QgsFileUtils.sidecarFilesForPath + stat: the naive floor of a correct collector"),
    ]


def _row(name: str, value: float, baseline: float | None, target: str, passed: bool, unit: str = "ms",
         note: str = "") -> dict:
    return {"name": name, "value": value, "baseline": baseline, "target": target, "passed": passed, "unit": unit,
            "note": note}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gui", action="store_true", help="also measure in the real QGIS GUI under Xvfb")
    parser.add_argument("--data", type=Path, help="keep the generated project there")
    args = parser.parse_args()
    if qgis_python() is None:
        print("QGIS is not installed here; nothing to measure.", file=sys.stderr)
        return 2
    r = measure(args.layers, args.repeat, gui=args.gui, data=args.data)
    ratio = r["measured_s"] / r["baseline_s"]
    print(f"{r['layers']} layers, {r['files']} files in the plan, in {r['entries']} entries")
    print(f"bare decodeUri + stat pass:          {r['baseline_s'] * 1000:8.1f} ms")
    print(f"(for reference: decodeUri + sidecarFilesForPath + stat of every file: {r['full_pass_s'] * 1000:.1f} ms)")
    print(f"collection + plan + dialog (offscreen): {r['measured_s'] * 1000:8.1f} ms   ratio {ratio:5.2f}x  "
          f"target <= {TARGET}x  {'PASS' if ratio <= TARGET else 'FAIL'}  (decodeUri on {r['threads']} threads)")
    print(f"  the same click with decodeUri on one thread: {r['one_thread_s'] * 1000:.1f} ms   ratio "
          f"{r['one_thread_s'] / r['baseline_s']:5.2f}x  (what a one-core machine gets)")
    stages = r["stages_of_best_s"]
    print("  stages: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in stages.items())
          + f" ({r['folders_listed']} folder listing(s), {r['sidecar_fallbacks']} sidecarFilesForPath fallbacks)")
    print(f"  layers + decodeUri alone, on one thread: {r['decode_s'] * 1000:.1f} ms")
    worst = ratio
    if r.get("gui_baseline_s"):
        print(f"bare decodeUri + stat pass in the QGIS GUI, map drawn: {r['gui_baseline_s'] * 1000:8.1f} ms")
    for label, key in (("first click, after the background import of the core", "gui_first_s"), (f"later clicks, best of {args.repeat}", "gui_again_s")):
        if key in r:
            # against the baseline run in the same QGIS (the same machine load), when it was
            gui_ratio = r[key] / (r.get("gui_baseline_s") or r["baseline_s"])
            print(f"menu click to dialog, real QGIS GUI, {label}: {r[key] * 1000:8.1f} ms   ratio "
                  f"{gui_ratio:5.2f}x  target <= {TARGET}x  {'PASS' if gui_ratio <= TARGET else 'FAIL'}")
            worst = max(worst, gui_ratio)
    if r.get("gui_again_stages_ms"):
        print("  the best later click, ms after the click: "
              + ", ".join(f"{name} {ms:.0f}" for name, ms in r["gui_again_stages_ms"]))
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
