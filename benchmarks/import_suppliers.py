"""Benchmark: `cmrt-bot suppliers import` of a 1,000-row CSV with 10 bad rows (target: under 5 s).

Runs the real command in-process against a fresh SQLite database (and PostgreSQL when reachable, or with
--pg-url), first import and idempotent re-import, and prints the wall-clock times.

    .venv/bin/python benchmarks/import_suppliers.py [--rows 1000] [--pg-url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pathlib
import secrets
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def timed_import(config: pathlib.Path, csv_path: pathlib.Path) -> tuple[float, str]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        rc = cli(["--config", str(config), "suppliers", "import", str(csv_path)])
    elapsed = time.perf_counter() - start
    if rc != 0:
        raise SystemExit(f"import failed ({rc}): {out.getvalue()}")
    return elapsed, out.getvalue().splitlines()[0]


def run(label: str, url: str, csv_path: pathlib.Path, work: pathlib.Path, repeat: int) -> None:
    config = work / f"{label}.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["--config", str(config), "db", "upgrade"]) == 0
    first, summary = timed_import(config, csv_path)
    again = [timed_import(config, csv_path)[0] for _ in range(repeat)]
    print(f"{label:<10} first import {first:6.3f} s   re-import median {statistics.median(again):6.3f} s   ({summary})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-url", default=os.environ.get("CMRT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        csv_path = work / "suppliers.csv"
        generate_csv(csv_path, args.rows, bad=max(args.rows // 100, 1))
        print(f"{args.rows} rows, target: first import under 5 s")
        run("sqlite", f"sqlite:///{work / 'bench.db'}", csv_path, work, args.repeat)
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
