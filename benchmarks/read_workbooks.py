"""Median read + parse time per real CMRT 6.4 return: cmrt.workbook (python-calamine) vs openpyxl.

Run: ``python benchmarks/read_workbooks.py [--runs N] [--openpyxl-runs M]``. Needs the shared corpus
(``CMRT_CORPUS``, default ``../shared/cmrt``). Target: median read + parse at most 100 ms per file.

Measured in the same run:
- ``cmrt.workbook.read_workbook``: container checks, calamine read of the Declaration, L, Smelter List, Checker
  and Product List sheets, and the full parse into a Declaration;
- calamine alone (the same sheets, no parsing) to show the parser's share;
- openpyxl full load (``data_only=True``) and openpyxl read-only mode reading the Declaration and Smelter List
  values: the baselines the issue names.
"""

from __future__ import annotations

import argparse
import io
import os
import pathlib
import platform
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import openpyxl
import python_calamine

from cmrt.workbook import read_workbook

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TARGET_MS = 100.0


def timed(func: Callable[[], object], runs: int) -> list[float]:
    func()  # warm-up (imports, caches)
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        out.append((time.perf_counter() - started) * 1000)
    return out


def calamine_only(data: bytes) -> None:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in ("Declaration", "L", "Smelter List", "Checker", "Product List"):
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def openpyxl_full(data: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    for name in ("Declaration", "Smelter List"):
        for _row in book[name].iter_rows(values_only=True):
            pass


def openpyxl_read_only(data: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    for name in ("Declaration", "Smelter List"):
        for _row in book[name].iter_rows(values_only=True):
            pass
    book.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per file for the reader (default 21)")
    parser.add_argument("--openpyxl-runs", type=int, default=3, help="timed runs per file for openpyxl (default 3)")
    args = parser.parse_args()
    files = sorted((CORPUS / "returned").glob("CMRT_6.4_*.xlsx"))
    if not files:
        print(f"no CMRT 6.4 returns under {CORPUS / 'returned'} (set CMRT_CORPUS)", file=sys.stderr)
        return 2
    print(f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"{'file':32} {'reader':>10} {'p95':>8} {'calamine':>9} {'openpyxl full':>14} {'openpyxl r/o':>13}")
    reader_medians = []
    for path in files:
        data = path.read_bytes()
        reader = timed(lambda data=data: read_workbook(data), args.runs)  # type: ignore[misc]
        raw = timed(lambda data=data: calamine_only(data), args.runs)  # type: ignore[misc]
        full = timed(lambda data=data: openpyxl_full(data), args.openpyxl_runs)  # type: ignore[misc]
        read_only = timed(lambda data=data: openpyxl_read_only(data), args.openpyxl_runs)  # type: ignore[misc]
        median = statistics.median(reader)
        reader_medians.append(median)
        p95 = sorted(reader)[max(0, int(len(reader) * 0.95) - 1)]
        print(
            f"{path.name:32} {median:8.1f}ms {p95:6.1f}ms {statistics.median(raw):7.1f}ms"
            f" {statistics.median(full):12.0f}ms {statistics.median(read_only):11.0f}ms"
        )
    overall = statistics.median(reader_medians)
    verdict = "PASS" if max(reader_medians) <= TARGET_MS else "FAIL"
    print(f"median of per-file medians: {overall:.1f} ms; worst file {max(reader_medians):.1f} ms"
          f" (target <= {TARGET_MS:.0f} ms per file): {verdict}")  # fmt: skip
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
