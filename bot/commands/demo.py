"""``cmrt-bot demo``: the main job on embedded defaults, with nothing but this package.

Builds an example CMRT 6.5 workbook (as a supplier would return it) with the fixture factory, writes it to
``./demo`` (or ``--out``), and reads it back through the same code path as ``cmrt-bot check``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
from typing import Any

from bot.commands.check import check_paths
from cmrt.workbook.factory import CmrtSpec, ProductSpec, build_cmrt


def demo_spec() -> CmrtSpec:
    spec = CmrtSpec(version="6.5", language="en")
    spec.company_name = "Example Components Co., Ltd."
    spec.scope = "B. Product (or List of Products)"
    spec.products = [ProductSpec("EC-100", "Tantalum capacitor"), ProductSpec("EC-200", "Tin-plated connector")]
    spec.effective_date = "02-May-2025\t"  # typed as text, as some suppliers do
    return spec


def write_demo_workbook(folder: pathlib.Path) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "CMRT_6.5_Example_Components.xlsx"
    path.write_bytes(build_cmrt(demo_spec()))
    return path


def run(args: argparse.Namespace) -> int:
    folder = pathlib.Path(args.out)
    try:
        path = write_demo_workbook(folder)
    except OSError:
        folder = pathlib.Path(tempfile.mkdtemp(prefix="cmrt-demo-"))
        path = write_demo_workbook(folder)
    print(f"Example supplier workbook written to {path}", file=sys.stderr)
    return check_paths([path], as_json=args.json)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "demo",
        parents=[common],
        help="run the main job on embedded defaults (an example supplier workbook, read and summarised)",
    )
    parser.add_argument("--out", default="demo", metavar="DIR", help="folder for the example workbook (default ./demo)")
    parser.add_argument("--json", action="store_true", help="print the JSON form instead of the summary")
    parser.set_defaults(func=run)
