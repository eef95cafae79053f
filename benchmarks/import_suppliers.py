"""Benchmark: `cmrt-bot suppliers import` of a 1,000-row CSV with 10 bad rows (target: under 5 s; issue 16: 100,000
rows in under 30 s, the re-import included).

Runs the real command in-process against a fresh SQLite database (and PostgreSQL when reachable, or with
--pg-url; --no-pg skips it), first import and idempotent re-import, and prints the wall-clock and CPU times.

    .venv/bin/python benchmarks/import_suppliers.py [--rows 1000] [--repeat 3] [--no-pg]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1/test] [--baseline CHECKOUT]

``--baseline CHECKOUT`` then runs the same measurements with that checkout's code (this script, in a new process,
importing the command from there), so both figures come from the same minutes of a loaded machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pathlib
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# --code CHECKOUT (what --baseline passes): import the command from that checkout instead of this one
CODE = next((pathlib.Path(v).resolve() for k, v in zip(sys.argv, sys.argv[1:], strict=False)
             if k == "--code"), ROOT)
sys.path.insert(0, str(CODE))

from bot.cli import main as cli  # noqa: E402


def generate_csv(path: pathlib.Path, rows: int = 1000, bad: int = 10) -> None:
    """``rows`` data rows of which ``bad`` are invalid (bad e-mail, missing id, duplicate id, in turn)."""
    lines = ["supplier_id,name,contact_email,contact_name,tier,tags"]
    step = rows // max(bad, 1)
    bad_rows = {step * k + step // 2 for k in range(bad)}
    for i in range(rows):
        sid = f"S{i:05d}"
        email = f"contact{i}@supplier{i}.example.com"
        if i in bad_rows:
            kind = sorted(bad_rows).index(i) % 3
            if kind == 0:
                email = f"contact{i}-at-supplier{i}.example.com"
            elif kind == 1:
                sid = ""
            else:
                sid = "S00000"
        tier = "indirect" if i % 5 == 0 else "direct"
        tags = "metals;asia" if i % 3 == 0 else "plastics"
        lines.append(f'{sid},"Supplier {i} Ltd.",{email},Contact {i},{tier},{tags}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed_import(config: pathlib.Path, csv_path: pathlib.Path) -> tuple[float, float, str]:
    """(wall s, CPU s, the command's summary line)."""
    out = io.StringIO()
    start, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out):
        rc = cli(["--config", str(config), "suppliers", "import", str(csv_path)])
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if rc != 0:
        raise SystemExit(f"import failed ({rc}): {out.getvalue()}")
    return elapsed, cpu, out.getvalue().splitlines()[0]


def run(label: str, url: str, csv_path: pathlib.Path, work: pathlib.Path, repeat: int) -> None:
    config = work / f"{label}.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["--config", str(config), "db", "upgrade"]) == 0
    first, first_cpu, summary = timed_import(config, csv_path)
    again = [timed_import(config, csv_path)[:2] for _ in range(repeat)]
    wall, cpu = statistics.median(t for t, _ in again), statistics.median(c for _, c in again)
    print(f"{label:<10} first import {first:6.2f} s ({first_cpu:.2f} s CPU)   re-import median {wall:6.2f} s "
          f"({cpu:.2f} s CPU)   ({summary})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-url", default=os.environ.get("CMRT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--baseline", metavar="CHECKOUT", help="then the same with this checkout's code")
    parser.add_argument("--code", metavar="CHECKOUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        return measure(args)
    finally:
        if args.baseline:
            print(f"baseline {args.baseline}:", flush=True)
            own = [a for a in sys.argv[1:] if a != "--baseline" and a != args.baseline]
            subprocess.run([sys.executable, __file__, *own, "--code", args.baseline], check=False)


def measure(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        csv_path = work / "suppliers.csv"
        generate_csv(csv_path, args.rows, bad=max(args.rows // 100, 1))
        print(f"{args.rows} rows, target: each import under {5 if args.rows <= 1000 else 30} s")
        run("sqlite", f"sqlite:///{work / 'bench.db'}", csv_path, work, args.repeat)
        if args.no_pg:
            return 0
        try:
            import psycopg

            schema = f"bench_{secrets.token_hex(4)}"
            conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
        except Exception as exc:
            print(f"postgresql skipped: {exc}")
            return 0
        try:
            run("postgresql", f"{args.pg_url}?options=-csearch_path%3D{schema}", csv_path, work, args.repeat)
        finally:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
