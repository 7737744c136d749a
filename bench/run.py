"""vendor-publish benchmarks: ./dev bench [--quick] [--only plan,digest,submit,startup,blender,qgis] [--data DIR].

Generates its own project (about 200,000 small files; --quick: about 2,000), measures each
figure against a baseline taken in the same run, prints a table, and exits 1 when a target is
missed. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import dataset  # noqa: E402
from common import Row  # noqa: E402

BENCHES = ("plan", "digest", "submit", "startup", "blender", "qgis")
HOST_BENCHES = ("blender", "qgis")  # build their own scenes and projects


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks and print the table; 0 when every target is met."""
    args = _parser().parse_args(argv)
    chosen = {b.strip() for b in args.only.split(",")} if args.only else set(BENCHES)
    unknown = chosen - set(BENCHES)
    # Always in the table's order: the plan is timed in this process, before the digest bench
    # leaves hundreds of MB of objects behind it.
    only = [b for b in BENCHES if b in chosen]
    if unknown:
        print(f"bench: unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    repeat = args.repeat or (2 if args.quick else 3)
    sequences, frames, tiles = dataset.spec(args.quick)
    root = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="vp-bench-"))
    rows: list[Row] = []
    try:
        data = None
        if set(only) - {"startup", *HOST_BENCHES}:
            t = time.perf_counter()
            data = dataset.generate(root, sequences=sequences, frames=frames, tiles=tiles)
            print(f"data: {data.files:,} files, {data.bytes / 1e6:.0f} MB in {data.work} "
                  f"({time.perf_counter() - t:.0f} s to prepare)", file=sys.stderr)
        for name in only:
            print(f"bench: {name} ...", file=sys.stderr)
            t = time.perf_counter()
            if name == "startup":
                import bench_startup

                rows += bench_startup.run(repeat)
            elif name in HOST_BENCHES:
                module = __import__(f"bench_{name}")
                rows += [Row(bench=name, figure=r["name"].split(": ", 1)[-1], value=r["value"], baseline=r["baseline"],
                             unit=r["unit"], target=r["target"], passed=r["passed"], note=r.get("note", ""))
                         for r in module.run(args.quick, args.repeat)]
            else:
                module = __import__(f"bench_{name}")
                rows += module.run(data, repeat)
            print(f"bench: {name} done in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    finally:
        if not args.data:
            shutil.rmtree(root, ignore_errors=True)
    print(render(rows))
    failed = [r for r in rows if not r.passed]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} targets met" + (" (quick run: small data)" if args.quick else ""))
    return 1 if failed else 0


def render(rows: list[Row]) -> str:
    """The results as a fixed-width table: value, baseline, ratio, target, PASS/FAIL, note."""
    head = ("bench", "figure", "measured", "baseline", "ratio", "target", "result", "note")
    lines = [head]
    for r in rows:
        lines.append((
            r.bench, r.figure, _num(r.value, r.unit), _num(r.baseline, r.unit) if r.baseline is not None else "-",
            _ratio(r),
            r.target, "PASS" if r.passed else "FAIL", r.note,
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1])
        if n == 0:
            out.append("  ".join("-" * w for w in widths) + "  " + "-" * 4)
    return "\n".join(out)


def _ratio(r: Row) -> str:
    # Ratios read in the target's direction: "<= 1.5x" shows measured/baseline, "faster" and
    # "fewer" targets show baseline/measured (how many times better).
    if r.ratio is None or math.isnan(r.ratio) or r.ratio == 0:
        return "-"
    if "faster" in r.target or "fewer" in r.target:
        return f"{1 / r.ratio:.1f}x"
    return f"{r.ratio:.2f}x"


def _num(value: float, unit: str) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    return f"{value:,.1f} {unit}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small data (10 x 200 frames + 100 tiles): a smoke run")
    p.add_argument("--only", metavar="LIST", help=f"comma-separated subset of: {', '.join(BENCHES)}")
    p.add_argument("--repeat", type=int, metavar="N", help="runs per figure, best kept (default 3; quick 2)")
    p.add_argument("--data", metavar="DIR", help="generate (or reuse) the project here and keep it")
    return p


if __name__ == "__main__":
    sys.exit(main())
