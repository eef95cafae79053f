"""Benchmark: our own CMRT (``cmrt-bot rollup``) from 1,000 suppliers x 20 Smelter List rows (target: under 5 s).

Builds a SQLite database (or uses ``--url``) with RMI's 2026-08-22 lists imported and one campaign of 1,000
suppliers, each answered with a stored declaration of 20 Smelter List rows drawn from RMI's CMRT reference
export (9 rows in 10 by smelter id, 1 in 10 "Smelter not listed" with a name to match fuzzily) and answers that
vary by supplier, then times:

* ``handlers.rollup.build_rollup`` in-process: load the campaign, consolidate, plan, write into RMI's blank CMRT
  6.4, read the result back and review it (median of several runs);
* the whole command as an operator runs it (``cmrt-bot rollup`` in a fresh process, imports included).

Usage: ``python benchmarks/rollup.py [--suppliers 1000] [--rows 20] [--url postgresql+psycopg://...]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cmrt.review.adhoc import context_for  # noqa: E402
from cmrt.rollup.model import CompanyInfo, PolicyAnswer  # noqa: E402
from cmrt.smelters import load_rmi_file  # noqa: E402
from handlers.rollup import RollupOrder, build_rollup  # noqa: E402
from store import Database, campaigns, messages, upgrade  # noqa: E402
from store import smelters as smelter_repo  # noqa: E402
from store.models import Direction  # noqa: E402
from store.suppliers import SupplierData, upsert  # noqa: E402

CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TEMPLATE = CORPUS / "templates" / "RMI_CMRT_6.4.xlsx"
TODAY = dt.date(2026, 9, 1)
METALS = ("Tantalum", "Tin", "Gold", "Tungsten")
TOPICS = {"Q1": "intentionally_added", "Q2": "remains_in_product", "Q3": "covered_countries", "Q4": "cahra",
          "Q5": "recycled_scrap", "Q6": "supplier_response", "Q7": "smelters_identified",
          "Q8": "smelter_info_reported"}  # fmt: skip
COMPANY = CompanyInfo(name="Example Corporation", contact_name="Pat Doe", contact_email="pat@example.com",
                      contact_phone="+1 555 0100", authorizer_name="Sam Roe", authorizer_email="sam@example.com")
POLICY = {k: PolicyAnswer("Yes") for k in "ACDFG"} | {"B": PolicyAnswer("Yes", "https://example.com/policy"),
                                                      "H": PolicyAnswer("No")}  # fmt: skip


def declaration(rng: random.Random, entries: list[Any], rows: int) -> dict[str, Any]:
    answers = {key: dict.fromkeys(METALS, "Yes") for key in TOPICS}
    for key in ("Q3", "Q4", "Q5"):
        answers[key] = {m: rng.choice(("Yes", "No", "Unknown")) for m in METALS}
    answers["Q6"] = dict.fromkeys(METALS, "100%")
    smelters = []
    for n in range(rows):
        e = rng.choice(entries)
        row: dict[str, Any] = {"row": 5 + n, "metal": e.metal, "country": e.country}
        if n % 10 == 0:
            row.update(lookup="Smelter not listed", name=f"{e.standard_name} Ltd")
        else:
            row.update(lookup=e.alias, smelter_id=e.smelter_id)
        smelters.append(row)
    return {"company": {"scope": "company"}, "answers": answers, "question_topics": TOPICS, "smelters": smelters}


def build(url: str, suppliers: int, rows: int) -> None:
    upgrade(url)
    files = sorted(p for p in (CORPUS / "rmap").glob("*.xml") if "EMRT" not in p.name)
    lists = [load_rmi_file(p.name, p.read_bytes()) for p in files]
    reference = context_for(today=TODAY, lists=lists).reference
    assert reference is not None
    entries = list(reference.entries)
    rng = random.Random(13)
    with Database(url) as db, db.session() as session:
        for item in lists:
            smelter_repo.add_rmi_list(session, item)
        records = []
        for i in range(suppliers):
            supplier, _ = upsert(session, SupplierData(f"S{i:05d}", f"Supplier {i}", f"c{i}@s{i}.example.com"))
            records.append(supplier)
        session.flush()
        campaign = campaigns.create(session, year=2025, due_date=dt.date(2026, 3, 31), suppliers=records)
        session.flush()
        for index, request in enumerate(campaign.requests):
            if index % 20 == 19:  # one in twenty stays silent
                request.state = "sent"  # type: ignore[assignment]
                continue
            request.state = "responded"  # type: ignore[assignment]
            raw = f"Subject: CMRT {request.token}\r\n\r\nattached".encode()
            message, _ = messages.add(session, direction=Direction.IN, message_id=f"<{request.token}@bench>",
                                      raw=raw, request_id=request.id)  # fmt: skip
            submission, _ = messages.add_submission(session, message, filename="cmrt.xlsx", content=raw,
                                                        keep_bytes=True)
            submission.declaration = declaration(rng, entries, rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="an empty database (default: a fresh SQLite file)")
    args = parser.parse_args()
    if not TEMPLATE.exists():
        print(f"no template at {TEMPLATE}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        build(url, args.suppliers, args.rows)
        print(f"built {args.suppliers} suppliers x {args.rows} rows in {time.perf_counter() - started:.1f} s")
        order = RollupOrder(template=TEMPLATE.read_bytes(), company=COMPANY, as_of=TODAY, effective_date=TODAY,
                            year=2025, policy=POLICY)  # fmt: skip
        times, cpus = [], []
        for _ in range(args.runs):
            with Database(url) as db, db.session() as session:
                started, cpu = time.perf_counter(), time.process_time()
                rollup = build_rollup(session, order)
                times.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
        plan = rollup.plan
        print(f"build_rollup in-process: median {statistics.median(times):.2f} s wall, "
              f"{statistics.median(cpus):.2f} s CPU, of {args.runs} ({', '.join(f'{t:.2f}' for t in times)}); "
              f"{len(plan.smelters)} Smelter List rows, "
              f"{len(plan.left_out)} left out, {len(rollup.data) / 1e6:.2f} MB")  # fmt: skip
        config = pathlib.Path(tmp) / "cmrt-bot.toml"
        config.write_text(
            f'[store]\nurl = "{url}"\n[company]\nname = "{COMPANY.name}"\ncontact_name = "Pat Doe"\n'
            'contact_email = "pat@example.com"\ncontact_phone = "+1 555 0100"\nauthorizer_name = "Sam Roe"\n'
            f'authorizer_email = "sam@example.com"\n[rollup]\ntemplate_path = "{TEMPLATE}"\n'
            '[rollup.company_questions]\nA = "Yes"\nB = {answer = "Yes", comment = "https://example.com/policy"}\n'
            'C = "Yes"\nD = "Yes"\nF = "Yes"\nG = "Yes"\nH = "No"\n',
            encoding="utf-8",
        )
        started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), "rollup", "--campaign", "2025", "--out",
             f"{tmp}/ours.xlsx", "--as-of", TODAY.isoformat()],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
        print(f"cmrt-bot rollup (whole process): {wall:.2f} s wall, {child_cpu:.2f} s CPU (target < 5 s); "
              f"load average {os.getloadavg()[0]:.1f}")
    return 0 if wall < 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
