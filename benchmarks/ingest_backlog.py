"""Ingest a backlog of supplier replies from Dovecot: messages per second and peak memory.

    python benchmarks/ingest_backlog.py [--count 1000] [--workers N] [--batch 10] [--ack] [--keep]

Needs the mail harness (``bash tests/harness/harness.sh install`` once; the script starts it when it is not
running and stops it again afterwards if it started it). It creates a fresh bot mailbox, APPENDs ``--count`` replies,
each with a real returned CMRT from ``../shared/cmrt/returned`` (made byte-unique through the zip comment, so every
file is read and reviewed rather than recognised as a duplicate; the factory workbook when the corpus is absent),
from three suppliers with open requests in a fresh SQLite store, then times one ``ImapWatcher.run_once()`` with the
real ``InboundProcessor``: fetch, store raw, classify, extract, match, read, review, record, move to Processed.
``--ack`` also sends the acknowledgment e-mails through the outbox and SMTP relay. ``--workers N`` reads ahead
with N reader processes as ``cmrt-bot run`` does with ``[reader] workers`` (0: every step inline, the old path);
``--batch`` is ``[imap] fetch_batch``. Before the ingest the script times a bare ``FETCH BODY.PEEK[]`` of the same
backlog in the same batches (the baseline), and afterwards reports the store's size against the raw mail's.
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
from email.message import EmailMessage

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--ack", action="store_true", help="also send acknowledgments over SMTP")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite store")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="reader processes (0: inline)")
    parser.add_argument("--batch", type=int, default=10, help="messages per IMAP FETCH ([imap] fetch_batch)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    started = harness("status") != 0
    if started and harness("start") != 0:
        print("cannot start the mail harness (bash tests/harness/harness.sh install; run as root)", file=sys.stderr)
        return 2
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="cmbot-bench-"))
    try:
        e = env()
        host, imaps, smtp = "127.0.0.1", int(e["HARNESS_IMAPS_PORT"]), int(e["HARNESS_SMTP_PORT"])
        password = e.get("HARNESS_DYNAMIC_PASSWORD", "harness-dynamic")
        bot = f"bench-{uuid.uuid4().hex[:8]}@buyer-bench.test"
        harness("adduser", bot)
        url = f"sqlite:///{workdir / 'store.sqlite'}"
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
        from cmrt.workbook.isolation import configure

        configure(workers=max(args.workers, 1))
        options = InboundOptions(own_addresses=(bot,), acknowledge=args.ack, read_ahead_workers=args.workers)
        processor = InboundProcessor(db, outreach=outreach, options=options)
        settings = ImapMailbox(
            host=host, port=imaps, security=Security.TLS, username=bot, password=password, ca_file=e["HARNESS_CA"],
            timeout=120, batch_size=args.batch,
        )  # fmt: skip
        prefetch = processor.prefetch if args.workers > 0 else None
        watcher = ImapWatcher(settings, processor, StoreCheckpoints(db), prefetch=prefetch)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        handled = watcher.run_once()
        elapsed = time.perf_counter() - t0
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db_size = (workdir / "store.sqlite").stat().st_size / 1e6
        print(f"ingested {handled} messages in {elapsed:.1f} s: {handled / elapsed:.2f} messages/s")
        print(f"peak RSS {rss_peak:.0f} MB (before ingest {rss_before:.0f} MB); SQLite store {db_size:.0f} MB")
        print(f"ratio to the bare fetch: {elapsed / bare:.1f}x; store / raw mail: {db_size * 1e6 / total_bytes:.2f}")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        db.dispose()
        subprocess.run(
            ["doveadm", "-c", e["HARNESS_DOVECOT_CONF"], "expunge", "-u", bot, "mailbox", "*", "all"],
            stdin=subprocess.DEVNULL, capture_output=True, check=False,
        )  # fmt: skip
        return 0 if handled == args.count else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        if started:
            harness("stop")


if __name__ == "__main__":
    sys.exit(main())
