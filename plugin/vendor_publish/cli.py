"""The ``vendor-publish`` command line.

Exit codes (stable, documented in the README):
0 success; 1 unexpected error; 2 bad usage or configuration; 3 blocking findings (nothing
sent); 4 accsyn refused or could not be reached; 5 the job failed or was aborted (--wait);
6 the submission's outcome is uncertain (safe to retry: a retry never makes a second job);
130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from vendor_publish import __version__
from vendor_publish.errors import (
    AccsynError,
    ConfigError,
    PlanChangedError,
    SubmissionUncertain,
    VendorPublishError,
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BLOCKED, EXIT_SERVICE, EXIT_JOB_FAILED, EXIT_UNCERTAIN = 0, 1, 2, 3, 4, 5, 6
EXIT_CANCELLED = 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(
        prog="vendor-publish",
        description="Publish your finished work back to the studio through accsyn.",
    )
    parser.add_argument("--version", action="version", version=f"vendor-publish {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="Show technical detail and every finding.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def settings_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--studio", help="Studio profile file (else VENDOR_PUBLISH_STUDIO).")
        p.add_argument("--server", help="accsyn server URL (else VENDOR_PUBLISH_SERVER); http:// only for loopback.")
        p.add_argument("--workspace", help="accsyn workspace (else ACCSYN_WORKSPACE or the studio profile).")
        p.add_argument("--user", help="Your accsyn e-mail (else ACCSYN_API_USER).")

    def project_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="*", metavar="PROJECT", help="Project file(s); one job per project.")
        p.add_argument("--host", default="generic", help="Host application that reads the project (generic, blender).")
        p.add_argument("--dep", action="append", default=[], metavar="PATH",
                       help="Generic host: a file, folder/, glob or sequence the project uses (repeatable).")
        p.add_argument("--output", action="append", default=[], metavar="PATH",
                       help="Generic host: an output file, folder/, glob or sequence (repeatable).")
        p.add_argument("--task", help="Task name for the job code (else from the project file name).")
        p.add_argument("--project-root", help="Local folder whose layout is kept under the upload root.")
        p.add_argument("--comment", default="", help="A note for the studio.")
        p.add_argument("--json", action="store_true", help="Print machine-readable JSON on stdout.")
        settings_args(p)

    p_plan = sub.add_parser("plan", help="Dry run: every file, destination and finding; sends nothing.")
    project_args(p_plan)
    p_plan.add_argument("--save", metavar="FILE", help="Save the plan to publish later with 'publish --plan FILE'.")
    p_plan.add_argument("--check-access", action="store_true", help="Also ask accsyn whether you may write there.")

    p_pub = sub.add_parser("publish", help="Plan, check, then create the accsyn upload job.")
    project_args(p_pub)
    p_pub.add_argument("--plan", dest="plan_file", metavar="FILE", help="Publish a plan saved by 'plan --save'.")
    p_pub.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
    p_pub.add_argument("--wait", action="store_true", help="Follow the job until it is done or failed.")
    p_pub.add_argument("--timeout", type=float, default=None, help="With --wait: stop waiting after N seconds.")

    p_status = sub.add_parser("status", help="Show a job's status and progress.")
    p_status.add_argument("job", help="Job id.")
    p_status.add_argument("--wait", action="store_true", help="Follow the job until it is done or failed.")
    p_status.add_argument("--json", action="store_true")
    p_status.add_argument("--timeout", type=float, default=None)
    settings_args(p_status)

    p_out = sub.add_parser("outbox", help="Publishes not yet confirmed by accsyn: list, retry or drop them.")
    p_out.add_argument("action", nargs="?", choices=("list", "retry", "drop"), default="list")
    p_out.add_argument("ids", nargs="*", metavar="PUBLISH_ID", help="Which publishes (default: all; drop needs ids).")
    p_out.add_argument("--json", action="store_true")
    p_out.add_argument("--wait", action="store_true", help="With retry: follow each job until done or failed.")
    p_out.add_argument("--timeout", type=float, default=None)
    settings_args(p_out)

    p_cfg = sub.add_parser("config", help="Show or change your settings.")
    cfg_sub = p_cfg.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    p_show = cfg_sub.add_parser("show", help="Effective settings and where each comes from (key masked).")
    p_show.add_argument("--json", action="store_true")
    settings_args(p_show)
    p_set = cfg_sub.add_parser("set", help="Store a setting in your config file (owner-only).")
    p_set.add_argument("key", help="workspace, user, api_key, server or studio.")
    p_set.add_argument("value", help="The value; for api_key give '-' to read it from standard input.")
    p_unset = cfg_sub.add_parser("unset", help="Remove a setting from your config file.")
    p_unset.add_argument("key")
    cfg_sub.add_parser("path", help="Print the config file's path.")

    p_sandbox = sub.add_parser("sandbox", help="Run a local accsyn-compatible server (for trials and tests).")
    from vendor_publish.sandbox import cli as sandbox_cli

    sandbox_cli.add_arguments(p_sandbox)

    for action, text in (("install", "Put the plugin into a host application (from this source folder)."),
                         ("uninstall", "Take the plugin out of a host application again.")):
        p_inst = sub.add_parser(action, help=text, add_help=False)
        p_inst.add_argument("host", choices=INSTALLERS, help="The host application.")
        p_inst.add_argument("options", nargs=argparse.REMAINDER,
                            help="The host installer's own options (see: vendor-publish install HOST --help).")

    p_demo = sub.add_parser("demo", help="Publish the tutorial's project into a local sandbox, end to end.")
    p_demo.add_argument("--dir", help="Work folder (default: a new temporary folder, kept for you to look at).")

    p_ingest = sub.add_parser("ingest", help="Studio side: verify a published job and run the studio's publish step.")
    from vendor_publish import ingest as ingest_mod

    ingest_mod.add_arguments(p_ingest)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return EXIT_CANCELLED
    except SubmissionUncertain as exc:
        _error(exc, args)
        return EXIT_UNCERTAIN
    except PlanChangedError as exc:
        _error(exc, args)
        return EXIT_BLOCKED
    except AccsynError as exc:
        _error(exc, args)
        return EXIT_SERVICE
    except (ConfigError, VendorPublishError) as exc:
        _error(exc, args)
        return EXIT_USAGE


def _error(exc: VendorPublishError, args: argparse.Namespace) -> None:
    print(f"error: {exc}", file=sys.stderr)
    if exc.hint:
        print(f"  what to do: {exc.hint}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": {"type": type(exc).__name__, "message": str(exc), "hint": exc.hint}}))


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("plan", "publish"):
        from vendor_publish import cli_publish

        return cli_publish.run(args)
    if args.command == "status":
        from vendor_publish import cli_publish

        return cli_publish.run_status(args)
    if args.command == "outbox":
        from vendor_publish import cli_publish

        return cli_publish.run_outbox(args)
    if args.command == "config":
        return _config(args)
    if args.command == "sandbox":
        from vendor_publish.sandbox import cli as sandbox_cli

        return sandbox_cli.run(args)
    if args.command in ("install", "uninstall"):
        return _install(args.command, args.host, args.options)
    if args.command == "demo":
        from vendor_publish import demo

        return demo.run(Path(args.dir) if args.dir else None)
    if args.command == "ingest":
        from vendor_publish import ingest

        return ingest.run(args)
    raise AssertionError(args.command)


INSTALLERS = ("blender", "qgis")


def _install(action: str, host: str, options: list[str]) -> int:
    """Run install/<host>.py from the source folder (it builds what the host's own Python needs)."""
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "install" / f"{host}.py"
    if not script.is_file():
        raise ConfigError(
            f"The {host} installer is not here ({script}); it ships with the vendor-publish source folder.",
            hint="Run it from a clone or the studio's offline bundle, or install the host's zip by hand.",
        )
    spec = importlib.util.spec_from_file_location(f"vendor_publish_install_{host}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if "-h" in options or "--help" in options:
        return module.main(["--help"])
    return module.main([action, *options])


def _config(args: argparse.Namespace) -> int:
    from vendor_publish import settings as settings_mod

    path = settings_mod.config_path()
    if args.config_command == "path":
        print(path)
        return EXIT_OK
    if args.config_command in ("set", "unset"):
        values, warnings = settings_mod.read_vendor_config(path)
        if args.config_command == "set":
            value: Any = args.value
            if args.key == "api_key" and value == "-":
                value = sys.stdin.readline().strip()
            elif args.key == "api_key":
                print("warning: a key typed on the command line stays in your shell history; "
                      "prefer: vendor-publish config set api_key -", file=sys.stderr)
            if args.key == "local_roots":
                raise ConfigError("local_roots is a table; edit it in the config file.", hint=str(path))
            values[args.key] = value
        else:
            values.pop(args.key, None)
        settings_mod.write_vendor_config(path, values)
        shown = "<set>" if args.key == "api_key" else values.get(args.key)
        print(f"{args.key} = {shown}  ({path})")
        return EXIT_OK
    settings = settings_mod.resolve_settings(
        studio=args.studio, workspace=args.workspace, user=args.user, server=args.server
    )
    described = settings.describe()
    if args.json:
        print(json.dumps({"settings": described, "warnings": list(settings.warnings)}, indent=2))
    else:
        for key, item in described.items():
            print(f"{key:17} {item['value'] if item['value'] is not None else '-'}    [{item['source']}]")
        for warning in settings.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
