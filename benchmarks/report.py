"""Benchmark: ``cmrt-bot report`` over 1,000 suppliers x 20 Smelter List rows with RMI's full lists (target: the
whole command under 5 s).

Builds a SQLite store in a temporary folder: RMI's five exports of 2026-08-22 imported (Conformant, Active,
revisions, CMRT and EMRT references), 1,000 suppliers in campaign 2025, each with a returned declaration of 20
smelter rows drawn from the CMRT reference (19 in 20 by smelter id, 1 in 20 "Smelter not listed" with a name to
match fuzzily), answers to questions 1-8 (for ``benchmarks/rollup.py``, which uses the same store) and a review.
Then runs the real command line as a user would (a new process each time, start-up included): the text report,
``--format md``, ``--json`` and ``--smelters report.xlsx``.

    .venv/bin/python benchmarks/report.py [--suppliers 1000] [--rows 20] [--keep DIR] [--variants N]
        [--baseline OTHER_CHECKOUT]

``--keep DIR`` keeps the store in DIR and reuses it next time when it was built there with the same sizes at the
current schema (the 100,000-supplier store takes about a minute to build; ``rollup.py --keep DIR`` reuses it too).
``--baseline`` runs each variant with another checkout's code on the same store (its schema must be the same).
With more than 1,000 suppliers the target is issue 16's: under 30 s and under 500 MB peak RSS (100,000 suppliers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import pathlib
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cmrt.outreach.states import RequestState  # noqa: E402
from cmrt.smelters import load_rmi_file, reference_from_lists  # noqa: E402
from store import Database, StoreError, campaigns, check_schema_current, upgrade  # noqa: E402
from store import smelters as smelter_repo  # noqa: E402
from store.messages import message_digest  # noqa: E402
from store.models import Blob, Direction, Message, Request, Review, Submission, Supplier  # noqa: E402
from store.suppliers import SupplierData, add_many  # noqa: E402

CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TARGET = 5.0  # 1,000 suppliers
TARGET_100K = 30.0  # more suppliers (issue 16: 100,000 in under 30 s and 500 MB)
MEMORY_MB = 500
BATCH = 5000
SCOPES = ("company", "company", "product", "user_defined")
GRADES = ("accepted", "accepted", "needs_clarification", "high_risk")
STORE_VERSION = 2  # what build() writes: 2 added the answers to questions 1-8
METALS = ("Tantalum", "Tin", "Gold", "Tungsten")
TOPICS = {"Q1": "intentionally_added", "Q2": "remains_in_product", "Q3": "covered_countries", "Q4": "cahra",
          "Q5": "recycled_scrap", "Q6": "supplier_response", "Q7": "smelters_identified",
          "Q8": "smelter_info_reported"}  # fmt: skip


def store_in(folder: pathlib.Path, suppliers: int, rows: int) -> tuple[pathlib.Path, bool]:
    """(the config of the store in ``folder``, whether it was reused): a store built there before with the same sizes
    and at the current schema is reused; otherwise it is built afresh."""
    config, marker = folder / "cmrt-bot.toml", folder / "store.json"
    wanted = {"suppliers": suppliers, "rows": rows, "version": STORE_VERSION}
    if config.exists() and marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        try:
            check_schema_current(f"sqlite:///{folder / 'bench.db'}")
            return config, True
        except StoreError:
            pass
    for stale in folder.glob("bench.db*"):
        stale.unlink()
    config = build(folder, suppliers, rows)
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return config, False


def answers(rnd: random.Random) -> dict[str, dict[str, str]]:
    """Answers to questions 1-8 by metal: Q3-Q5 vary by supplier, the rest say Yes (Q6: 100%)."""
    given = {key: dict.fromkeys(METALS, "Yes") for key in TOPICS}
    for key in ("Q3", "Q4", "Q5"):
        given[key] = {m: rnd.choice(("Yes", "No", "Unknown")) for m in METALS}
    given["Q6"] = dict.fromkeys(METALS, "100%")
    return given


def build(folder: pathlib.Path, suppliers: int, rows: int) -> pathlib.Path:
    """The store, written with bulk INSERTs (100,000 suppliers build in minutes, not hours)."""
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
            add_many(s, [SupplierData(f"S{i:06d}", f"Supplier {i}", f"cm@s{i}.example.com") for i in range(suppliers)])
            campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[])
            supplier_ids = [row[0] for row in s.execute(sa.select(Supplier.id).order_by(Supplier.external_id))]
            for start in range(0, suppliers, BATCH):
                chunk = range(start, min(start + BATCH, suppliers))
                request_ids = s.execute(sa.insert(Request).returning(Request.id, sort_by_parameter_order=True), [
                    {"campaign_id": campaign.id, "supplier_id": supplier_ids[n], "state": RequestState.ACCEPTED,
                     "token": f"B{n:07d}", "sent_at": sent, "responded_at": sent + dt.timedelta(days=9)}
                    for n in chunk]).scalars().all()  # fmt: skip
                raws = [f"Subject: CMRT B{n:07d}\r\n\r\nattached {n}".encode() for n in chunk]
                s.execute(sa.insert(Blob), [{"sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw), "data": raw}
                                            for raw in raws])  # fmt: skip
                message_ids = s.execute(sa.insert(Message).returning(Message.id, sort_by_parameter_order=True), [
                    {"direction": Direction.IN, "message_id": f"<B{n:07d}@bench>",
                     "raw_blob": hashlib.sha256(raw).hexdigest(),
                     "raw_sha256": message_digest(raw), "request_id": rid, "classification": "reply_workbook"}
                    for n, raw, rid in zip(chunk, raws, request_ids, strict=True)]).scalars().all()  # fmt: skip
                add_submission = sa.insert(Submission).returning(Submission.id, sort_by_parameter_order=True)
                submission_ids = s.execute(add_submission, [
                    {"message_id": mid, "request_id": rid, "sha256": hashlib.sha256(raw).hexdigest(),
                     "filename": "cmrt.xlsx", "size": len(raw),
                     "declaration": {"company": {"name": f"Supplier {n}", "scope": SCOPES[n % 4]},
                                     "smelters": smelter_rows(rnd, entries, rows), "mines": [],
                                     "answers": answers(rnd), "question_topics": TOPICS}}
                    for n, raw, rid, mid in zip(chunk, raws, request_ids, message_ids, strict=True)
                ]).scalars().all()  # fmt: skip
                s.execute(sa.insert(Review), [
                    {"submission_id": sid, "request_id": rid, "grade": GRADES[n % 4], "catalogue_version": "bench",
                     "findings": []}
                    for n, rid, sid in zip(chunk, request_ids, submission_ids, strict=True)])  # fmt: skip
    config = folder / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return config


def smelter_rows(rnd: random.Random, entries: Sequence[Any], rows: int) -> list[dict[str, Any]]:
    """``rows`` Smelter List rows from the reference: 19 in 20 by smelter id, 1 in 20 'Smelter not listed'."""
    smelters: list[dict[str, Any]] = []
    for r in range(rows):
        e = rnd.choice(entries)
        if r % 20 == 0:
            smelters.append({"row": 5 + r, "metal": e.metal, "lookup": "Smelter not listed",
                             "name": f"{e.standard_name} Ltd", "country": e.country})
        else:
            smelters.append({"row": 5 + r, "metal": e.metal, "lookup": e.alias, "name": e.standard_name,
                             "country": e.country, "smelter_id": e.smelter_id})
    return smelters


def timed(config: pathlib.Path, *args: str, tree: pathlib.Path = ROOT) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the child process, its peak RSS in MB, its output); ``tree``: the checkout
    whose code runs (a baseline measured in the same run)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "bot", "--config", str(config),
                           "report", "--as-of", "2026-09-01", *args],
                          capture_output=True, text=True, check=False, cwd=tree, env=env)  # fmt: skip
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"report {' '.join(args)} failed: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = int(done.stderr.strip().splitlines()[-1]) // 1024
    return took, cpu, peak, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the store in DIR; reuse the one built there with the same sizes")
    parser.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)  # kept for old command lines
    parser.add_argument("--variants", type=int, default=4, help="how many of text, md, json, xlsx to run")
    parser.add_argument("--baseline", metavar="TREE", help="also run each variant with the code of this checkout")
    args = parser.parse_args()
    if not (CORPUS / "rmap").is_dir():
        print(f"no RMI lists under {CORPUS / 'rmap'}", file=sys.stderr)
        return 2
    folder = pathlib.Path(args.keep) if args.keep else pathlib.Path(tempfile.mkdtemp(prefix="cmrt-report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        target = TARGET if args.suppliers <= 1000 else TARGET_100K
        start = time.perf_counter()
        config, reused = store_in(folder, args.suppliers, args.rows)
        print(f"store with {args.suppliers} suppliers x {args.rows} rows and RMI's lists "
              + (f"reused from {folder}" if reused else f"built in {time.perf_counter() - start:.1f} s (not counted)"))
        worst, biggest = 0.0, 0
        runs: list[tuple[str, tuple[str, ...]]] = [
            ("text report", ()), ("--format md", ("--format", "md")), ("--json", ("--json",)),
            ("--smelters report.xlsx", ("--smelters", str(folder / "report.xlsx")))]  # fmt: skip
        for label, extra in runs[: args.variants]:
            took, cpu, peak, out = timed(config, *extra)
            worst, biggest = max(worst, took), max(biggest, peak)
            first = out.splitlines()[2][:80] if label == "text report" else ""
            print(f"{label:<24} {took:6.2f} s wall, {cpu:6.2f} s CPU, peak {peak:5d} MB  {first}")
            if args.baseline:
                took, cpu, peak, _ = timed(config, *extra, tree=pathlib.Path(args.baseline))
                print(f"{'  baseline ' + args.baseline:<24} {took:6.2f} s wall, {cpu:6.2f} s CPU, peak {peak:5d} MB")
        verdict = "PASS" if worst < target and biggest < MEMORY_MB else "FAIL"
        print(f"slowest: {worst:.2f} s (target < {target:.0f} s), peak {biggest} MB (target < {MEMORY_MB} MB): "
              f"{verdict}; load average {os.getloadavg()[0]:.2f}")
        return 0 if verdict == "PASS" else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
