"""Benchmark: our own CMRT (``cmrt-bot rollup``) from 1,000 suppliers x 20 Smelter List rows (target: under 5 s; issue
16: 100,000 suppliers in under 30 s and 500 MB).

Uses the store of ``benchmarks/report.py`` (RMI's 2026-08-22 lists imported, one campaign whose suppliers each
returned a declaration of 20 Smelter List rows drawn from RMI's CMRT reference export, 1 in 20 "Smelter not
listed" with a name to match fuzzily, and answers to questions 1-8 that vary by supplier), then times:

* ``handlers.rollup.build_rollup`` in-process: load the campaign, consolidate, plan, write into RMI's blank CMRT
  6.4, read the result back and review it (median of ``--runs``; skipped with ``--runs 0``);
* the whole command as an operator runs it (``cmrt-bot rollup`` in a fresh process, imports included), with its
  CPU time and peak RSS, and with ``--baseline CHECKOUT`` the same command with that checkout's code on the same
  store.

    .venv/bin/python benchmarks/rollup.py [--suppliers 1000] [--rows 20] [--runs 3] [--keep DIR]
        [--baseline CHECKOUT]

``--keep DIR`` keeps the store (and reuses one built there by this script or by ``report.py`` with the same sizes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import CORPUS, store_in  # noqa: E402
from cmrt.rollup.model import CompanyInfo, PolicyAnswer  # noqa: E402
from handlers.rollup import RollupOrder, build_rollup  # noqa: E402
from store import Database  # noqa: E402

TEMPLATE = CORPUS / "templates" / "RMI_CMRT_6.4.xlsx"
TODAY = dt.date(2026, 9, 1)
COMPANY = CompanyInfo(name="Example Corporation", contact_name="Pat Doe", contact_email="pat@example.com",
                      contact_phone="+1 555 0100", authorizer_name="Sam Roe", authorizer_email="sam@example.com")
POLICY = {k: PolicyAnswer("Yes") for k in "ACDFG"} | {"B": PolicyAnswer("Yes", "https://example.com/policy"),
                                                      "H": PolicyAnswer("No")}  # fmt: skip
TARGET, TARGET_100K, MEMORY_MB = 5.0, 30.0, 500


def config_for(folder: pathlib.Path) -> pathlib.Path:
    """The store's configuration plus our company, the roll-up template and our own answers (questions A-H)."""
    url = f"sqlite:///{folder / 'bench.db'}"
    config = folder / "rollup.toml"
    config.write_text(
        f'[store]\nurl = "{url}"\n[company]\nname = "{COMPANY.name}"\ncontact_name = "Pat Doe"\n'
        'contact_email = "pat@example.com"\ncontact_phone = "+1 555 0100"\nauthorizer_name = "Sam Roe"\n'
        f'authorizer_email = "sam@example.com"\n[rollup]\ntemplate_path = "{TEMPLATE}"\n'
        '[rollup.company_questions]\nA = "Yes"\nB = {answer = "Yes", comment = "https://example.com/policy"}\n'
        'C = "Yes"\nD = "Yes"\nF = "Yes"\nG = "Yes"\nH = "No"\n',
        encoding="utf-8",
    )
    return config


def whole_command(config: pathlib.Path, out: pathlib.Path, tree: pathlib.Path) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS MB) of ``cmrt-bot rollup`` in a fresh process running ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "bot", "--config", str(config), "rollup", "--campaign",
         "2025", "--out", str(out), "--as-of", TODAY.isoformat()],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"cmrt-bot rollup failed ({tree}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, int(done.stderr.strip().splitlines()[-1]) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="in-process runs (0: only the whole command)")
    parser.add_argument("--keep", metavar="DIR", help="keep the store in DIR; reuse the one built there")
    parser.add_argument("--baseline", metavar="CHECKOUT", help="also time the command with this checkout's code")
    args = parser.parse_args()
    if not TEMPLATE.exists():
        print(f"no template at {TEMPLATE}", file=sys.stderr)
        return 2
    folder = pathlib.Path(args.keep) if args.keep else pathlib.Path(tempfile.mkdtemp(prefix="cmrt-rollup-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        _, reused = store_in(folder, args.suppliers, args.rows)
        print(f"store with {args.suppliers} suppliers x {args.rows} rows "
              + (f"reused from {folder}" if reused else f"built in {time.perf_counter() - started:.1f} s"))
        order = RollupOrder(template=TEMPLATE.read_bytes(), company=COMPANY, as_of=TODAY, effective_date=TODAY,
                            year=2025, policy=POLICY)  # fmt: skip
        times, cpus = [], []
        for _ in range(args.runs):
            with Database(f"sqlite:///{folder / 'bench.db'}") as db, db.read_session() as session:
                started, cpu = time.perf_counter(), time.process_time()
                rollup = build_rollup(session, order)
                times.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
        if times:
            print(f"build_rollup in-process: median {statistics.median(times):.2f} s wall, "
                  f"{statistics.median(cpus):.2f} s CPU, of {args.runs} ({', '.join(f'{t:.2f}' for t in times)}); "
                  f"{len(rollup.plan.smelters)} Smelter List rows, {len(rollup.plan.left_out)} left out, "
                  f"{len(rollup.data) / 1e6:.2f} MB")  # fmt: skip
        config = config_for(folder)
        wall, cpu, peak = whole_command(config, folder / "ours.xlsx", ROOT)
        print(f"cmrt-bot rollup (whole process): {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak} MB")
        if args.baseline:
            tree = pathlib.Path(args.baseline).resolve()
            b_wall, b_cpu, b_peak = whole_command(config, folder / "theirs.xlsx", tree)
            print(f"  baseline {tree}: {b_wall:.2f} s wall, {b_cpu:.2f} s CPU, peak {b_peak} MB")
        target = TARGET if args.suppliers <= 1000 else TARGET_100K
        verdict = "PASS" if wall < target and peak < MEMORY_MB else "FAIL"
        print(f"target: under {target:.0f} s and {MEMORY_MB} MB -> {verdict}; load average {os.getloadavg()[0]:.1f}")
        return 0 if verdict == "PASS" else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
