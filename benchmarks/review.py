"""Median time to review an already parsed declaration (target: at most 5 ms).

    python benchmarks/review.py [--runs N]

Reads the three real CMRT 6.4 returns once (reader time is not measured), builds the context the bot uses
(each workbook's own Smelter Look-up as reference, RMI's 2026-08-22 Conformant/Active/revisions lists), then
times ``cmrt.review.review`` alone, plus a worst case: a 500-row smelter list with 'not listed' rows that need
fuzzy matching. Needs the shared corpus (../shared/cmrt or $CMRT_CORPUS).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cmrt.declaration import Declaration, SmelterRow  # noqa: E402
from cmrt.review import ReviewContext, review  # noqa: E402
from cmrt.review.adhoc import context_for  # noqa: E402
from cmrt.smelters import load_rmi_file  # noqa: E402
from cmrt.workbook import read_workbook  # noqa: E402

CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TARGET_MS = 5.0


def _time(declaration: Declaration, ctx: ReviewContext, runs: int) -> tuple[float, float]:
    review(declaration, ctx)  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        review(declaration, ctx)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _big(declaration: Declaration) -> Declaration:
    rows = list(declaration.smelters)
    extra: list[SmelterRow] = []
    for i in range(500 - len(rows)):
        template = rows[i % len(rows)]
        if i % 10 == 0:
            template = dataclasses.replace(template, lookup="Smelter not listed", smelter_id=None, id_input=None,
                                           name=f"{template.lookup} Refining {i}")
        extra.append(dataclasses.replace(template, row=100 + i))
    return dataclasses.replace(declaration, smelters=(*rows, *extra))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"shared corpus not found at {CORPUS} (set CMRT_CORPUS)", file=sys.stderr)
        return 2
    lists = [load_rmi_file(p.name, p.read_bytes()) for p in sorted((CORPUS / "rmap").glob("RMI_*_export_*.xml"))
             if "reference" not in p.name]
    today = dt.date(2026, 8, 22)
    worst = 0.0
    print(f"review of an already parsed declaration, {args.runs} runs each (target <= {TARGET_MS} ms median)")
    for path in sorted((CORPUS / "returned").glob("*.xlsx")):
        data = path.read_bytes()
        declaration = read_workbook(data, filename=path.name)
        ctx = context_for(today=today, lists=lists, workbook=data)
        median, p95 = _time(declaration, ctx, args.runs)
        worst = max(worst, median)
        print(f"  {path.name:<32} {len(declaration.smelters):>4} smelter rows  median {median:6.3f} ms  "
              f"p95 {p95:6.3f} ms")
        if "Honeywell" in path.name:
            big = _big(declaration)
            median, p95 = _time(big, ctx, max(20, args.runs // 10))
            print(f"  {'synthetic (Honeywell x 500 rows)':<32} {len(big.smelters):>4} smelter rows  median "
                  f"{median:6.3f} ms  p95 {p95:6.3f} ms  (not part of the target)")
    verdict = "OK" if worst <= TARGET_MS else "OVER TARGET"
    print(f"worst median on the real returns: {worst:.3f} ms -> {verdict}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
