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
from functools import partial

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import openpyxl
import python_calamine

from cmrt.workbook import ReadLimits, read_workbook

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TARGET_MS = 100.0
IN_PROCESS = ReadLimits(isolated=False)


def timed(funcs: dict[str, Callable[[], object]], runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """Interleaved runs (so every contender sees the same machine load): name -> (wall ms, CPU ms)."""
    for func in funcs.values():
        func()  # warm-up (imports, caches)
    out: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in funcs}
    for _ in range(runs):
        for name, func in funcs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            func()
            out[name][0].append((time.perf_counter() - wall) * 1000)
            out[name][1].append((time.process_time() - cpu) * 1000)
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
    print(f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs,"
          f" load average {os.getloadavg()[0]:.2f} (other processes share the CPUs)")  # fmt: skip
    print("median wall time per file; p95 of the reader's wall time; CPU time of in-process runs in brackets")
    print("reader = read_workbook as shipped (worker process); in-process = ReadLimits(isolated=False)")
    header = (
        f"{'file':28} {'reader':>9} {'p95':>8} {'in-process':>17} {'calamine only':>17} {'openpyxl full':>14}"
        f" {'openpyxl r/o':>13}"
    )
    print(header)
    walls, cpus = [], []
    for path in files:
        data = path.read_bytes()
        fast = timed(
            {
                "reader": partial(read_workbook, data),
                "in_process": partial(read_workbook, data, limits=IN_PROCESS),
                "calamine": partial(calamine_only, data),
            },
            args.runs,
        )
        slow = timed(
            {"full": partial(openpyxl_full, data), "read_only": partial(openpyxl_read_only, data)}, args.openpyxl_runs
        )
        wall = statistics.median(fast["reader"][0])
        local_wall, cpu = (statistics.median(v) for v in fast["in_process"])
        walls.append(wall)
        cpus.append(cpu)
        p95 = sorted(fast["reader"][0])[max(0, int(len(fast["reader"][0]) * 0.95) - 1)]
        raw_wall, raw_cpu = (statistics.median(v) for v in fast["calamine"])
        print(
            f"{path.name:28} {wall:6.1f} ms {p95:6.1f}ms {local_wall:6.1f} ({cpu:5.1f}) ms"
            f" {raw_wall:6.1f} ({raw_cpu:5.1f}) ms"
            f" {statistics.median(slow['full'][0]):11.0f} ms {statistics.median(slow['read_only'][0]):10.0f} ms"
        )
    verdict = "PASS" if max(walls) <= TARGET_MS else "FAIL"
    print(
        f"reader: median wall {statistics.median(walls):.1f} ms (worst file {max(walls):.1f} ms); in-process median"
        f" CPU {statistics.median(cpus):.1f} ms (worst file {max(cpus):.1f} ms); target <= {TARGET_MS:.0f} ms per file:"
        f" {verdict} on wall time, {'PASS' if max(cpus) <= TARGET_MS else 'FAIL'} on CPU time"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
