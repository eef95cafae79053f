"""``cmrt-bot demo``: the main job on embedded defaults, with nothing but this package.

First builds an example CMRT 6.5 workbook (as a supplier would return it) with the fixture factory and reads it
back through the same code path as ``cmrt-bot check``. Then (unless ``--check-only``) runs the whole loop locally
in ``./demo`` (or ``--dir``): configuration and database, supplier import, campaign, requests, simulated replies
read and reviewed, acknowledgment and clarification, a reminder, and the status and report figures
(``bot.demo_loop``). No network, mail server or Slack is needed; every e-mail is an ``.eml`` file in the folder.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from bot.commands.check import check_paths

if TYPE_CHECKING:  # openpyxl is imported only when the demo runs: every other command starts faster
    from cmrt.workbook.factory import CmrtSpec


def demo_spec() -> CmrtSpec:
    from cmrt.workbook.factory import CmrtSpec, ProductSpec

    spec = CmrtSpec(version="6.5", language="en")
    spec.company_name = "Example Components Co., Ltd."
    spec.scope = "B. Product (or List of Products)"
    spec.products = [ProductSpec("EC-100", "Tantalum capacitor"), ProductSpec("EC-200", "Tin-plated connector")]
    spec.effective_date = "02-May-2025\t"  # typed as text, as some suppliers do
    return spec


def write_demo_workbook(folder: pathlib.Path) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    from cmrt.workbook.factory import build_cmrt

    path = folder / "CMRT_6.5_Example_Components.xlsx"
    path.write_bytes(build_cmrt(demo_spec()))
    return path


def run(args: argparse.Namespace) -> int:
    from bot.commands._common import run_command

    folder = pathlib.Path(args.dir)
    if args.check_only or args.json:
        try:
            path = write_demo_workbook(folder)
        except OSError:
            folder = pathlib.Path(tempfile.mkdtemp(prefix="cmrt-demo-"))
            path = write_demo_workbook(folder)
        print(f"Example supplier workbook written to {path}", file=sys.stderr)
        return check_paths([path], as_json=args.json)
    return run_command("demo", args, full_demo)


def full_demo(args: argparse.Namespace) -> int:
    from bot.demo_loop import prepare_folder, run_loop

    folder = pathlib.Path(args.dir)
    print("== Step 0: an example supplier workbook, read as `cmrt-bot check` reads it")
    prepare_folder(folder)
    path = write_demo_workbook(folder)
    sys.stdout.flush()
    check_paths([path], as_json=False)
    sys.stdout.flush()
    return run_loop(folder, fresh=False)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "demo",
        parents=[common],
        help="a full local demo of the loop: requests, replies, review, reminders, status (no servers needed)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dir", "--out", dest="dir", default="demo", metavar="PATH",
                        help="folder for the demo (default ./demo); emptied and rebuilt on every run")
    parser.add_argument("--check-only", action="store_true",
                        help="only the example workbook and its `check` summary (the earlier demo)")
    parser.add_argument("--json", action="store_true",
                        help="print the example workbook's JSON form (implies --check-only)")
    parser.set_defaults(func=run)
