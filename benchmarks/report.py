"""Benchmark: ``cmrt-bot report`` over 1,000 suppliers x 20 Smelter List rows with RMI's full lists (target: the
whole command under 5 s).

Builds a SQLite store in a temporary folder: RMI's five exports of 2026-08-22 imported (Conformant, Active,
revisions, CMRT and EMRT references), 1,000 suppliers in campaign 2025, each with a returned declaration of 20
smelter rows drawn from the CMRT reference (19 in 20 by smelter id, 1 in 20 "Smelter not listed" with a name to
match fuzzily) and a review. Then runs the real command line as a user would (a new process each time, start-up
included): the text report, ``--format md``, ``--json`` and ``--smelters report.xlsx``.

    .venv/bin/python benchmarks/report.py [--suppliers 1000] [--rows 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cmrt.outreach.states import RequestState  # noqa: E402
from cmrt.smelters import load_rmi_file, reference_from_lists  # noqa: E402
from store import Database, campaigns, messages, upgrade  # noqa: E402
from store import smelters as smelter_repo  # noqa: E402
from store.models import Direction  # noqa: E402
from store.suppliers import SupplierData, upsert  # noqa: E402

CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TARGET = 5.0
SCOPES = ("company", "company", "product", "user_defined")
GRADES = ("accepted", "accepted", "needs_clarification", "high_risk")


def build(folder: pathlib.Path, suppliers: int, rows: int) -> pathlib.Path:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    lists = [load_rmi_file(p.name, p.read_bytes()) for p in sorted((CORPUS / "rmap").glob("*.xml"))]
    reference = reference_from_lists([item for item in lists if "CMRT" in item.source_name])
    assert reference is not None
    entries = reference.entries
    rnd = random.Random(1)
    sent = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
    with Database(url) as db:
        with db.session() as s:
            for item in lists:
                smelter_repo.add_rmi_list(s, item)
        with db.session() as s:
            people = [upsert(s, SupplierData(f"S{i:05d}", f"Supplier {i}", f"cm@s{i}.example.com"), lookup=False)[0]
                      for i in range(suppliers)]  # fmt: skip
            s.flush()
            campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=people)
            s.flush()
            for n, req in enumerate(campaign.requests):
                req.state, req.sent_at, req.responded_at = RequestState.ACCEPTED, sent, sent + dt.timedelta(days=9)
                smelters = []
                for r in range(rows):
                    e = rnd.choice(entries)
                    if r % 20 == 0:
                        smelters.append({"row": 5 + r, "metal": e.metal, "lookup": "Smelter not listed",
                                         "name": f"{e.standard_name} Ltd", "country": e.country})
                    else:
                        smelters.append({"row": 5 + r, "metal": e.metal, "lookup": e.alias, "name": e.standard_name,
                                         "country": e.country, "smelter_id": e.smelter_id})
                raw = f"Subject: CMRT {req.token}\r\n\r\nattached {n}".encode()
                msg, _ = messages.add(s, direction=Direction.IN, message_id=f"<{req.token}@bench>", raw=raw,
                                      request_id=req.id)  # fmt: skip
                msg.classification = "reply_workbook"
                sub, _ = messages.add_submission(s, msg, filename="cmrt.xlsx", content=raw)
                sub.declaration = {"company": {"name": f"Supplier {n}", "scope": SCOPES[n % 4]},
                                   "smelters": smelters, "mines": []}  # fmt: skip
                messages.add_review(s, sub, grade=GRADES[n % 4], catalogue_version="bench", findings=[])
    config = folder / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return config


def timed(config: pathlib.Path, *args: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child process, its output)."""
    exe = pathlib.Path(sys.executable).with_name("cmrt-bot")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(exe), "--config", str(config), "report", "--as-of", "2026-09-01", *args],
                          capture_output=True, text=True, check=False)  # fmt: skip
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"report {' '.join(args)} failed: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--keep", metavar="DIR", help="build the store in DIR and keep it")
    args = parser.parse_args()
    if not (CORPUS / "rmap").is_dir():
        print(f"no RMI lists under {CORPUS / 'rmap'}", file=sys.stderr)
        return 2
    folder = pathlib.Path(args.keep) if args.keep else pathlib.Path(tempfile.mkdtemp(prefix="cmrt-report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        config = build(folder, args.suppliers, args.rows)
        print(f"store with {args.suppliers} suppliers x {args.rows} rows and RMI's lists built in "
              f"{time.perf_counter() - start:.1f} s (not counted)")
        worst = 0.0
        for label, extra in (("text report", ()), ("--format md", ("--format", "md")), ("--json", ("--json",)),
                             ("--smelters report.xlsx", ("--smelters", str(folder / "report.xlsx")))):
            took, cpu, out = timed(config, *extra)
            worst = max(worst, took)
            first = out.splitlines()[2][:80] if label == "text report" else ""
            print(f"{label:<24} {took:5.2f} s wall, {cpu:5.2f} s CPU  {first}")
        verdict = "PASS" if worst < TARGET else "FAIL"
        print(f"slowest: {worst:.2f} s (target < {TARGET:.0f} s): {verdict}; load average {os.getloadavg()[0]:.2f}")
        return 0 if worst < TARGET else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
