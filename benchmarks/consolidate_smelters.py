"""Benchmark: the consolidated smelter list of 1,000 suppliers x 100 Smelter List rows (target: under 5 s).

Builds synthetic declarations from RMI's reference export in the shared corpus (9 rows in 10 by id, 1 in 10
"Smelter not listed" with a name to match fuzzily), then times ``cmrt.smelters.consolidate.consolidate``
against the reference and the RMAP lists of the corpus.

    .venv/bin/python benchmarks/consolidate_smelters.py [--suppliers 1000] [--rows 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cmrt.declaration import SmelterRow  # noqa: E402
from cmrt.review.adhoc import context_for  # noqa: E402
from cmrt.smelters import load_rmi_file  # noqa: E402
from cmrt.smelters.consolidate import SupplierSmelters, consolidate  # noqa: E402

CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TODAY = dt.date(2026, 9, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100)
    args = parser.parse_args()
    files = sorted(p for p in (CORPUS / "rmap").glob("*.xml") if "EMRT" not in p.name)
    if not files:
        print(f"no RMI lists under {CORPUS / 'rmap'}", file=sys.stderr)
        return 2
    context = context_for(today=TODAY, lists=[load_rmi_file(p.name, p.read_bytes()) for p in files])
    assert context.reference is not None
    entries = context.reference.entries
    rnd = random.Random(1)
    items = []
    for i in range(args.suppliers):
        rows = []
        for n in range(args.rows):
            e = rnd.choice(entries)
            if n % 10 == 0:
                name = f"{e.standard_name} Ltd"
                rows.append(SmelterRow(n, e.metal, "Smelter not listed", name=name, country=e.country))
            else:
                rows.append(SmelterRow(n, e.metal, e.alias, country=e.country, smelter_id=e.smelter_id))
        items.append(SupplierSmelters(f"S{i:05d}", tuple(rows)))
    start = time.perf_counter()
    result = consolidate(items, today=TODAY, reference=context.reference, rmap=context.rmap)
    took = time.perf_counter() - start
    print(f"{args.suppliers} suppliers x {args.rows} rows = {result.rows_read} rows: {len(result.rows)} smelters, "
          f"{len(result.rejected)} rejected entries in {took:.2f} s (target < 5 s)")
    return 0 if took < 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
