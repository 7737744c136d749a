"""Child process of bench_plan: peak Python memory of one plan, measured with tracemalloc.

tracemalloc counts what Python allocates between start() and the peak, i.e. the plan itself
(interpreter and imported modules excluded: they are loaded before tracing starts). With
``--rss`` the plan runs untraced and the process's max RSS (ru_maxrss: interpreter, imports and
plan together) is reported instead, for context; tracemalloc's own bookkeeping would inflate it.
"""

from __future__ import annotations

import json
import resource
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import plan_project  # noqa: E402
from dataset import generate  # noqa: E402


def main() -> None:
    """Plan once and print {"peak_mb"} (tracemalloc) or, with --rss, {"rss_mb"} as JSON."""
    root, shape = Path(sys.argv[1]), json.loads(sys.argv[2])
    rss = "--rss" in sys.argv[3:]
    data = generate(root, **shape)
    import vendor_publish.planner  # noqa: F401  (imports are not the plan's memory)

    if not rss:
        tracemalloc.start()
    plan = plan_project(data)
    assert plan.totals.files == data.files
    if rss:
        print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"peak_mb": peak / 2**20}))


if __name__ == "__main__":
    main()
