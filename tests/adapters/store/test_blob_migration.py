"""Migration 0008 moves raw e-mails into ``blobs`` and drops the second copy of each attachment, on SQLite and
PostgreSQL: afterwards every stored e-mail and every attachment's bytes are still there, byte for byte, and an
attachment is kept once, inside its e-mail (on its own only when no stored e-mail holds it).

The rows are written with plain SQL into the schema of revision 0007, as the previous release left them."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zipfile
from email.message import EmailMessage

import sqlalchemy as sa

from handlers.attachment_bytes import attachment_bytes
from handlers.mail_store import StoreOutboxRepository
from store import Database, head_revisions, make_engine, upgrade
from store import messages as message_repo
from store.models import Blob, Message, Submission

BEFORE = "0007"
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)

MESSAGES = sa.table("messages", *(sa.column(n, t) for n, t in (
    ("id", sa.Integer()), ("direction", sa.String()), ("message_id", sa.String()), ("to_addresses", sa.JSON()),
    ("raw", sa.LargeBinary()), ("raw_sha256", sa.String()), ("state", sa.String()),
    ("created_at", sa.DateTime(timezone=True)))))  # fmt: skip
SUBMISSIONS = sa.table("submissions", *(sa.column(n, t) for n, t in (
    ("id", sa.Integer()), ("message_id", sa.Integer()), ("sha256", sa.String()), ("filename", sa.String()),
    ("size", sa.BigInteger()), ("content", sa.LargeBinary()), ("is_workbook", sa.Boolean()),
    ("created_at", sa.DateTime(timezone=True)))))  # fmt: skip
OUTBOX = sa.table("outbox", *(sa.column(n, t) for n, t in (
    ("id", sa.Integer()), ("idempotency_key", sa.String()), ("kind", sa.String()), ("to_address", sa.String()),
    ("message_id", sa.String()), ("message_bytes", sa.LargeBinary()), ("state", sa.String()),
    ("attempts", sa.Integer()), ("created_at", sa.DateTime(timezone=True)))))  # fmt: skip


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _zipped(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _email(n: int, *files: tuple[str, bytes]) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "anna@supplier.test", "cmrt@buyer.test", f"CMRT {n}"
    msg["Message-ID"] = f"<reply-{n}@supplier.test>"
    msg.set_content("Please find our CMRT attached.")
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


WORKBOOK = b"PK\x03\x04" + os.urandom(40_000)  # the bytes only matter, not that they read as a workbook
ZIPPED = b"PK\x03\x04" + os.urandom(20_000)
ELSEWHERE = b"PK\x03\x04" + os.urandom(10_000)  # a submission's bytes its e-mail does not hold
PDF = b"%PDF-1.7 " + os.urandom(5_000)
RAW = {
    1: _email(1, ("cmrt.xlsx", WORKBOOK), ("scan.pdf", PDF)),
    2: _email(2, ("cmrt.zip", _zipped("inner/cmrt.xlsx", ZIPPED))),
    3: _email(3),
    # an outbound e-mail, also in the outbox
    4: b"From: bot@buyer.test\r\nMessage-ID: <req-1@buyer.test>\r\n\r\nsent\r\n",
}
SUBS = {  # id -> (message, filename, bytes)
    1: (1, "cmrt.xlsx", WORKBOOK), 2: (1, "scan.pdf", PDF), 3: (2, "cmrt.xlsx", ZIPPED), 4: (3, "old.xlsx", ELSEWHERE),
}  # fmt: skip
OUTBOX_RAW = {1: RAW[4], 2: b"From: bot@buyer.test\r\n\r\npending\r\n"}


def _seed_before(url: str) -> None:
    upgrade(url, BEFORE)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for n, raw in RAW.items():
                conn.execute(sa.insert(MESSAGES).values(
                    id=n, direction="out" if n == 4 else "in", message_id=f"<m{n}@test>", to_addresses=[], raw=raw,
                    raw_sha256=_sha(raw), state="processed", created_at=NOW))  # fmt: skip
            for n, (message, name, data) in SUBS.items():
                conn.execute(sa.insert(SUBMISSIONS).values(
                    id=n, message_id=message, sha256=_sha(data), filename=name, size=len(data), content=data,
                    is_workbook=name.endswith(".xlsx"), created_at=NOW))  # fmt: skip
            for n, raw in OUTBOX_RAW.items():
                conn.execute(sa.insert(OUTBOX).values(
                    id=n, idempotency_key=f"k{n}", kind="request", to_address="anna@supplier.test",
                    message_id=f"<req-{n}@buyer.test>", message_bytes=raw, state="sent" if n == 1 else "pending",
                    attempts=0, created_at=NOW))  # fmt: skip
    finally:
        engine.dispose()


def test_every_email_and_attachment_survives_and_is_kept_once(store_url: str) -> None:
    _seed_before(store_url)
    assert upgrade(store_url)[1] == head_revisions()
    with Database(store_url) as db:
        with db.session() as s:
            for n, raw in RAW.items():
                message = s.get(Message, n)
                assert message is not None
                assert message_repo.raw_bytes(s, message) == raw
            for n, (_, _, data) in SUBS.items():
                sub = s.get(Submission, n)
                assert sub is not None
                got = attachment_bytes(s, sub)
                assert got == data and _sha(got) == sub.sha256
            kept = set(s.scalars(sa.select(Blob.sha256)))
        # each e-mail once (the sent one is both a message and an outbox item), and only the attachment that no
        # e-mail holds on its own
        assert kept == {_sha(raw) for raw in RAW.values()} | {_sha(OUTBOX_RAW[2]), _sha(ELSEWHERE)}
        repo = StoreOutboxRepository(db, mail_from="bot@buyer.test")
        for n, raw in OUTBOX_RAW.items():
            record = repo.get(f"k{n}")
            assert record is not None and record.raw == raw
        assert [r.raw for r in repo.due(NOW + dt.timedelta(days=1), 10)] == [OUTBOX_RAW[2]]
    assert upgrade(store_url) == (head_revisions(), head_revisions())


def test_downgrade_puts_the_bytes_back(store_url: str) -> None:
    _seed_before(store_url)
    upgrade(store_url)
    from alembic import command

    from store.migrate import _migration_engine, alembic_config

    engine = _migration_engine(store_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, BEFORE)
        with engine.connect() as conn:
            assert dict(conn.execute(sa.select(MESSAGES.c.id, MESSAGES.c.raw)).all()) == RAW
            assert dict(conn.execute(sa.select(OUTBOX.c.id, OUTBOX.c.message_bytes)).all()) == OUTBOX_RAW
            subs = dict(conn.execute(sa.select(SUBMISSIONS.c.id, SUBMISSIONS.c.content)).all())
            assert subs == {n: data for n, (_, _, data) in SUBS.items()}
    finally:
        engine.dispose()
