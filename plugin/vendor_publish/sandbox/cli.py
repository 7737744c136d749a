"""`vendor-publish sandbox ...`: run the sandbox in the foreground until Ctrl-C.

The main CLI mounts this with `add_arguments(parser)` and `run(args)`; it can also run alone:
`python -m vendor_publish.sandbox.cli --port 8181 --root ./sandbox --api-key KEY`.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from vendor_publish.sandbox.app import Sandbox
from vendor_publish.sandbox.seed import SEEDS


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox options to a (sub)parser."""
    parser.add_argument("--port", type=int, default=8181,
                        help="TCP port on 127.0.0.1 (default 8181, the official client's AS_DEV port; 0 = any free)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--root", type=Path, default=Path("sandbox"),
                        help="folder holding the sandbox's state, volumes and logs (default ./sandbox)")
    parser.add_argument("--seed", default="geoscan", choices=[*SEEDS, "none"],
                        help="world to create if missing (default geoscan; 'none' creates nothing)")
    parser.add_argument("--api-key", default=None,
                        help="API key every seeded user logs in with (default: $ACCSYN_API_KEY)")
    parser.add_argument("--local-root", action="append", type=_pair, default=[], metavar="EMAIL=DIR",
                        help="folder that plays EMAIL's machine (deliveries land there); repeatable")
    parser.add_argument("--hook", action="append", type=_pair, default=[], metavar="NAME=COMMAND",
                        help="studio hook command, e.g. post-done-server='python3 ingest.py ${PATH_JSON_INPUT}'")
    parser.add_argument("--offline", action="append", default=[], metavar="EMAIL",
                        help="start with EMAIL's desktop app offline; repeatable")
    parser.add_argument("--transfer-rate", type=float, default=None, metavar="BYTES_PER_S",
                        help="throttle transfers so progress is visible")
    parser.add_argument("--verbose", action="store_true", help="log every request")


def run(args: argparse.Namespace) -> int:
    """Start the sandbox and serve until interrupted; returns an exit status."""
    api_key = args.api_key or os.environ.get("ACCSYN_API_KEY")
    if not api_key:
        print("vendor-publish sandbox: give --api-key KEY (or set ACCSYN_API_KEY); every seeded user logs in "
              "with it.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sandbox = Sandbox(args.root, seed=None if args.seed == "none" else args.seed, api_key=api_key,
                          host=args.host, port=args.port, local_roots={k: Path(v) for k, v in args.local_root},
                          hooks=dict(args.hook), transfer_rate=args.transfer_rate)
        for email in args.offline:
            sandbox.set_client_online(email, False)
        sandbox.start()
    except (OSError, ValueError, KeyError) as exc:
        print(f"vendor-publish sandbox: cannot start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        # Handlers (not KeyboardInterrupt) so a signal arriving at any moment still stops cleanly.
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    print(f"accsyn sandbox for workspace '{sandbox.workspace}' listening on {sandbox.url}")
    print(f"  root:           {sandbox.root}")
    if sandbox.studio_profile_path.exists():
        print(f"  studio profile: {sandbox.studio_profile_path}")
    print(f"  hook log:       {sandbox.hook_log_path}")
    print(f"  official client: ACCSYN_PROXY={sandbox.host}:{sandbox.port} (or AS_DEV=1 on port 8181)")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        print("sandbox stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point."""
    parser = argparse.ArgumentParser(prog="vendor-publish sandbox", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
