"""Ingest a backlog of supplier replies from Dovecot: messages per second and peak memory.

    python benchmarks/ingest_backlog.py [--count 1000] [--workers N] [--batch 10] [--ack] [--keep]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--baseline CHECKOUT] [--code CHECKOUT]
        [--profile PATH]

Needs the mail harness (``bash tests/harness/harness.sh install`` once; the script starts it when it is not
running and stops it again afterwards if it started it). It creates a fresh bot mailbox, APPENDs ``--count`` replies,
each with a real returned CMRT from ``../shared/cmrt/returned`` (made byte-unique through the zip comment, so every
file is read and reviewed rather than recognised as a duplicate; the factory workbook when the corpus is absent),
from three suppliers with open requests in a fresh store (a SQLite file, or with ``--url`` a new schema in that
PostgreSQL database, dropped afterwards), then times one ``ImapWatcher.run_once()`` with the
real ``InboundProcessor``: fetch, store raw, classify, extract, match, read, review, record, move to Processed.
``--ack`` also sends the acknowledgment e-mails through the outbox and SMTP relay. ``--workers N`` reads ahead
with N reader processes as ``cmrt-bot run`` does with ``[reader] workers`` (0: every step inline, the old path);
``--batch`` is ``[imap] fetch_batch``. Before the ingest the script times a bare ``FETCH BODY.PEEK[]`` of the same
backlog in the same batches (the baseline), and afterwards reports the store's size against the raw mail's, the
peak RSS of the process, and the CPU time per message of the process, of its main thread and of the reader
processes. ``--baseline CHECKOUT`` first runs this script over CHECKOUT's code (an earlier commit's worktree,
``--code CHECKOUT``) with the same options, so both are measured the same way in one run; ``--profile PATH``
writes a cProfile of the ingest.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import pathlib
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from email.message import EmailMessage

ROOT = pathlib.Path(__file__).resolve().parents[1]


def code_root() -> pathlib.Path:
    """Where the bot's code is imported from: this checkout, or ``--code CHECKOUT`` (what ``--baseline`` runs)."""
    if "--code" in sys.argv[:-1]:
        return pathlib.Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
    return ROOT


sys.path.insert(0, str(code_root()))

from imapclient import IMAPClient  # noqa: E402

from cmrt.workbook.factory import build_cmrt  # noqa: E402
from handlers.inbound import InboundOptions, InboundProcessor  # noqa: E402
from handlers.mail_store import StoreCheckpoints, StoreOutboxRepository  # noqa: E402
from handlers.outreach_mail import MailOutreach, SenderIdentity, record_sent  # noqa: E402
from mail.compose import MailTemplates  # noqa: E402
from mail.imap import ImapMailbox, ImapWatcher  # noqa: E402
from mail.outbox import Outbox  # noqa: E402
from mail.smtp import Security, SmtpSender, SmtpServer  # noqa: E402
from store import Database, upgrade  # noqa: E402
from tests.adapters.mail.support import seed_request  # noqa: E402

SCRIPT = ROOT / "tests" / "harness" / "harness.sh"
HARNESS_DIR = pathlib.Path(os.environ.get("HARNESS_DIR", "/tmp/cmbot-harness"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def harness(cmd: str, *args: str) -> int:
    return subprocess.run(
        ["bash", str(SCRIPT), cmd, *args], stdin=subprocess.DEVNULL, capture_output=True, check=False
    ).returncode


def env() -> dict[str, str]:
    text = (HARNESS_DIR / "harness.env").read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def workbooks() -> list[tuple[str, bytes]]:
    corpus = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt")) / "returned"
    files = sorted(corpus.glob("*.xlsx")) if corpus.is_dir() else []
    if files:
        return [(f.name, f.read_bytes()) for f in files]
    print("corpus not found: using the factory workbook", file=sys.stderr)
    return [("CMRT_factory.xlsx", build_cmrt())]


def unique(data: bytes, n: int) -> bytes:
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.comment = f"backlog {n}".encode()
    return buf.getvalue()


def bare_fetch(host: str, port: int, user: str, password: str, ctx: ssl.SSLContext, batch: int) -> float:
    """Seconds to download every message of the inbox with ``FETCH BODY.PEEK[]``, ``batch`` at a time."""
    client = IMAPClient(host, port, ssl=True, ssl_context=ctx, timeout=120)
    client.login(user, password)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["ALL"]))
        t0 = time.perf_counter()
        for start in range(0, len(uids), batch):
            client.fetch(uids[start : start + batch], ["BODY.PEEK[]"])
        return time.perf_counter() - t0
    finally:
        client.logout()


def fresh_store(url: str | None, workdir: pathlib.Path) -> tuple[str, Callable[[], float], Callable[[], None]]:
    """The store to ingest into: a new SQLite file, or a new schema in the PostgreSQL database of ``url``; returns its
    URL, a function giving its size in MB, and one that drops it."""
    if url is None or url.startswith("sqlite"):
        path = workdir / "store.sqlite"
        return f"sqlite:///{path}", lambda: path.stat().st_size / 1e6, lambda: None
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conninfo = url.replace("postgresql+psycopg://", "postgresql://").split("?", 1)[0]
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def size() -> float:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                (schema,),
            ).fetchone()
        return float(row[0] if row else 0) / 1e6

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{url.split('?', 1)[0]}?options=-csearch_path%3D{schema}", size, drop


def run_baseline(checkout: pathlib.Path, args: argparse.Namespace) -> None:
    """This script over another checkout's code (``--code CHECKOUT``) with the same options, printed before ours: the
    same measurements, on the same machine, in the same run."""
    options = ["--code", str(checkout), "--count", str(args.count), "--workers", str(args.workers)]
    options += ["--batch", str(args.batch), *(["--url", args.url] if args.url else [])]
    options += ["--ack"] if args.ack else []
    print(f"baseline: the code of {checkout}", flush=True)
    done = subprocess.run([sys.executable, __file__, *options], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        print(f"baseline: {line}", flush=True)
    if done.returncode != 0:
        print(f"baseline: exit status {done.returncode}: {done.stderr.strip()[-500:]}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="replies in the backlog (default 1000)")
    parser.add_argument("--ack", action="store_true", help="also send acknowledgments over SMTP")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite store (its path is printed)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="reader processes (0: inline)")
    parser.add_argument("--batch", type=int, default=10, help="messages per IMAP FETCH ([imap] fetch_batch)")
    parser.add_argument(
        "--url", help="store: postgresql+psycopg://user@host:5432/db (a fresh schema in it, dropped afterwards); "
        "default a fresh SQLite file",
    )  # fmt: skip
    parser.add_argument(
        "--baseline", metavar="CHECKOUT", type=pathlib.Path,
        help="first run this script over CHECKOUT's code (e.g. a worktree of an earlier commit: git worktree add "
        "--detach ../base COMMIT) with the same options, for ratios measured in the same run",
    )  # fmt: skip
    parser.add_argument(
        "--code", metavar="CHECKOUT", type=pathlib.Path, help="import the bot's code from CHECKOUT (--baseline uses it)"
    )
    parser.add_argument("--profile", metavar="PATH", help="write a cProfile of the ingest (main thread) to PATH")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    me = str(os.getpid())  # registered like a test session: a stop never pulls the harness from under the tests
    if harness("acquire", me) != 0:
        print("cannot start the mail harness (bash tests/harness/harness.sh install; run as root)", file=sys.stderr)
        return 2
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="cmbot-bench-"))
    drop: Callable[[], None] = lambda: None  # noqa: E731
    try:
        if args.baseline is not None:
            run_baseline(args.baseline.resolve(), args)
        e = env()
        host, imaps, smtp = "127.0.0.1", int(e["HARNESS_IMAPS_PORT"]), int(e["HARNESS_SMTP_PORT"])
        password = e.get("HARNESS_DYNAMIC_PASSWORD", "harness-dynamic")
        bot = f"bench-{uuid.uuid4().hex[:8]}@buyer-bench.test"
        harness("adduser", bot)
        url, store_size, drop = fresh_store(args.url, workdir)
        upgrade(url)
        db = Database(url)
        senders = []
        for n in range(3):
            address = f"supplier{n}-{uuid.uuid4().hex[:6]}@s{n}-bench.test"
            harness("adduser", address)
            senders.append(seed_request(db, address, name=f"Bench Supplier {n}", external_id=f"B-{n}").contact)

        files = workbooks()
        print(f"appending {args.count} messages ({', '.join(name for name, _ in files)}) ...", flush=True)
        ctx = ssl.create_default_context(cafile=e["HARNESS_CA"])
        t0 = time.perf_counter()
        client = IMAPClient(host, imaps, ssl=True, ssl_context=ctx, timeout=60)
        client.login(bot, password)
        total_bytes = 0
        for n in range(args.count):
            name, data = files[n % len(files)]
            msg = EmailMessage()
            msg["From"], msg["To"] = senders[n % len(senders)], bot
            msg["Subject"] = f"Re: CMRT request ({n})"
            msg["Message-ID"] = f"<bench-{n}-{uuid.uuid4().hex}@bench.test>"
            msg.set_content("Please find our CMRT attached.")
            msg.add_attachment(unique(data, n), maintype="application", subtype=XLSX.split("/")[1], filename=name)
            raw = msg.as_bytes()
            total_bytes += len(raw)
            client.append("INBOX", raw)
        client.logout()
        print(f"appended {total_bytes / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s", flush=True)

        outreach = None
        if args.ack:
            sender = SmtpSender(SmtpServer(host=host, port=smtp, security=Security.NONE, timeout=30))
            outbox = Outbox(StoreOutboxRepository(db, mail_from=bot), sender, on_sent=record_sent(db))
            outreach = MailOutreach(
                db, outbox, templates=MailTemplates(), sender=SenderIdentity(bot, sender_company="Bench Corp")
            )
        bare = bare_fetch(host, imaps, bot, password, ctx, args.batch)
        print(f"bare FETCH BODY.PEEK[] of the backlog: {bare:.1f} s ({args.count / bare:.1f} messages/s)", flush=True)
        from cmrt.workbook.isolation import configure, shutdown

        configure(workers=max(args.workers, 1))
        if args.workers > 0:
            try:  # as cmrt-bot run does for the IMAP inbox (bot.mail_wiring.inbound_processor)
                from bot.memory import limit_malloc_arenas

                limit_malloc_arenas()
            except ImportError:  # --code of a checkout without it
                pass
        options = InboundOptions(own_addresses=(bot,), acknowledge=args.ack, read_ahead_workers=args.workers)
        processor = InboundProcessor(db, outreach=outreach, options=options)
        settings = ImapMailbox(
            host=host, port=imaps, security=Security.TLS, username=bot, password=password, ca_file=e["HARNESS_CA"],
            timeout=120, batch_size=args.batch,
        )  # fmt: skip
        prefetch = processor.prefetch if args.workers > 0 else None
        watcher = ImapWatcher(settings, processor, StoreCheckpoints(db), prefetch=prefetch)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        thread_before = time.thread_time()
        t0 = time.perf_counter()
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            handled = profiler.runcall(watcher.run_once)
            profiler.dump_stats(args.profile)
        else:
            handled = watcher.run_once()
        elapsed = time.perf_counter() - t0
        thread_cpu = time.thread_time() - thread_before
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        shutdown()  # the reader processes end (and are waited for): their CPU time counts as the children's
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db_size = store_size()
        own_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        workers_cpu = (children_after.ru_utime + children_after.ru_stime) - (
            children_before.ru_utime + children_before.ru_stime
        )
        per = 1000 / max(handled, 1)
        kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"ingested {handled} messages in {elapsed:.1f} s: {handled / elapsed:.2f} messages/s ({kind})")
        print(f"peak RSS {rss_peak:.0f} MB (before ingest {rss_before:.0f} MB); {kind} store {db_size:.0f} MB")
        print(f"ratio to the bare fetch: {elapsed / bare:.1f}x; store / raw mail: {db_size * 1e6 / total_bytes:.2f}")
        print(
            f"CPU per message: main process {own_cpu * per:.0f} ms (its main thread {thread_cpu * per:.0f} ms), "
            f"reader processes {workers_cpu * per:.0f} ms; wall {elapsed * per:.0f} ms"
        )
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        db.dispose()
        subprocess.run(
            ["doveadm", "-c", e["HARNESS_DOVECOT_CONF"], "expunge", "-u", bot, "mailbox", "*", "all"],
            stdin=subprocess.DEVNULL, capture_output=True, check=False,
        )  # fmt: skip
        if args.keep:
            print(f"store kept: {url}")
        return 0 if handled == args.count else 1
    finally:
        if not args.keep:
            drop()
            shutil.rmtree(workdir, ignore_errors=True)
        harness("release", me)  # stops it only when no test session or other run still uses it


if __name__ == "__main__":
    sys.exit(main())
