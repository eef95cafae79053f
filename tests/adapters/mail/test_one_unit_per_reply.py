"""Issue 16: one unit of work per inbound reply. A returned workbook with an acknowledgment is two commits: the raw
e-mail alone (nothing is lost), then its recording with the acknowledgment in the outbox and the processed state
(the transactional outbox); the SMTP send comes after both. A crash between the two commits leaves the raw e-mail
and nothing else, and the replay acknowledges it exactly once. Read ahead, the raw e-mail's digests come from the
reader that took it apart."""

from __future__ import annotations

import hashlib
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from cmrt.workbook.errors import ReadLimits
from cmrt.workbook.factory import build_cmrt
from handlers.acknowledgment import Acknowledgment
from handlers.inbound import InboundOptions, InboundProcessor
from handlers.mail_store import StoreOutboxRepository
from handlers.outreach_mail import MailOutreach, Queued, SenderIdentity, record_sent
from mail.compose import MailTemplates
from mail.headers import token_tag
from mail.imap import Disposition, FetchedMessage
from mail.maildir_out import MaildirSender
from mail.outbox import Outbox
from store import Database, blobs
from store import messages as message_repo
from store.models import Message, OutboxItem
from store.states import Direction, MessageState, OutboxState
from tests.adapters.mail.support import seed_request
from tests.unit.mail.helpers import XLSX, inbound

BOT = "bot@buyer.test"
CONTACT = "anna@acme-metals.test"


class Crash(BaseException):
    """The process dies (not an error the pipeline handles: nothing quarantines the e-mail)."""


class CrashingOutreach(MailOutreach):
    """Records the acknowledgment in the unit of work, then dies before the unit commits."""

    def queue_acknowledgment(self, session: Session, ack: Acknowledgment) -> Queued:
        queued = super().queue_acknowledgment(session, ack)
        assert queued.record is not None and queued.created
        raise Crash("killed between the raw commit and the recording commit")


def _outreach(db: Database, out: pathlib.Path, *, cls: type[MailOutreach] = MailOutreach,
              send_immediately: bool = True) -> MailOutreach:  # fmt: skip
    outbox = Outbox(StoreOutboxRepository(db, mail_from=BOT), MaildirSender(out), on_sent=record_sent(db))
    return cls(db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"),
               send_immediately=send_immediately)  # fmt: skip


@pytest.fixture
def commits(mail_db: Database) -> Iterator[list[str]]:
    """Every database transaction committed (the engine's ``commit`` event)."""
    seen: list[str] = []

    def count(_conn: sa.Connection) -> None:
        seen.append("commit")

    event.listen(mail_db.engine, "commit", count)
    yield seen
    event.remove(mail_db.engine, "commit", count)


def _reply(token: str) -> bytes:
    return inbound(sender=CONTACT, subject=f"Re: CMRT {token_tag(token)}", message_id="<reply-1@acme-metals.test>",
                   attachments=[("cmrt.xlsx", build_cmrt(company_name="Acme Metals Ltd"), XLSX)])  # fmt: skip


def _sent(out: pathlib.Path) -> list[pathlib.Path]:
    return sorted((out / "new").glob("*.eml")) if (out / "new").exists() else []


def _outbox_rows(db: Database) -> list[tuple[str, Any]]:
    with db.session() as s:
        return [(k, st) for k, st in s.execute(sa.select(OutboxItem.idempotency_key, OutboxItem.state))]


def test_a_reply_with_a_workbook_and_an_acknowledgment_is_two_commits(
    mail_db: Database, tmp_path: pathlib.Path, commits: list[str]
) -> None:
    seeded = seed_request(mail_db, CONTACT)
    out = tmp_path / "outbox"
    mail = _outreach(mail_db, out, send_immediately=False)  # the outbox loop sends: only the inbound's commits
    commits.clear()
    outcome = InboundProcessor(mail_db, outreach=mail).process(_reply(seeded.token))
    assert outcome.disposition is Disposition.PROCESSED and outcome.grades and not outcome.problems
    assert len(commits) == 2  # the raw e-mail; the recording + the acknowledgment in the outbox + PROCESSED
    assert _outbox_rows(mail_db) == [("ack:<reply-1@acme-metals.test>", OutboxState.PENDING)]
    assert _sent(out) == []  # nothing is sent inside the transaction
    assert len(mail.outbox.deliver_due()) == 1 and len(_sent(out)) == 1


def test_with_immediate_sending_only_the_outbox_delivery_commits_follow(
    mail_db: Database, tmp_path: pathlib.Path, commits: list[str]
) -> None:
    seeded = seed_request(mail_db, CONTACT)
    out = tmp_path / "outbox"
    mail = _outreach(mail_db, out)
    at_send: list[int] = []
    original = mail.outbox.sender.send

    def send(raw: bytes, **kwargs: Any) -> Any:
        at_send.append(len(commits))
        return original(raw, **kwargs)

    mail.outbox.sender.send = send  # type: ignore[method-assign]
    commits.clear()
    outcome = InboundProcessor(mail_db, outreach=mail).process(_reply(seeded.token))
    assert outcome.disposition is Disposition.PROCESSED and not outcome.problems
    assert at_send == [2]  # the e-mail's two commits came first; the send follows them
    # then the outbox's own protocol: the claim before DATA, "sent", the sent e-mail kept in ``messages``
    assert len(commits) == 2 + 3
    assert _outbox_rows(mail_db) == [("ack:<reply-1@acme-metals.test>", OutboxState.SENT)]
    assert len(_sent(out)) == 1


def test_a_crash_between_the_two_commits_keeps_the_raw_email_and_the_replay_acknowledges_once(
    mail_db: Database, tmp_path: pathlib.Path
) -> None:
    seeded = seed_request(mail_db, CONTACT)
    out = tmp_path / "outbox"
    raw = _reply(seeded.token)
    with pytest.raises(Crash):
        InboundProcessor(mail_db, outreach=_outreach(mail_db, out, cls=CrashingOutreach)).process(raw)
    with mail_db.session() as s:
        (row,) = s.scalars(sa.select(Message).where(Message.direction == Direction.IN)).all()
        assert message_repo.raw_bytes(s, row) == raw  # stored and committed before anything else
        assert row.state == MessageState.RECEIVED and row.classification is None and not row.submissions
    assert _outbox_rows(mail_db) == [] and _sent(out) == []  # the acknowledgment went with the rolled-back unit

    mail = _outreach(mail_db, out)
    for _ in range(2):  # the replay after the restart, then a re-delivery of the same e-mail
        InboundProcessor(mail_db, outreach=mail).process(raw)
    mail.outbox.deliver_due()
    assert _outbox_rows(mail_db) == [("ack:<reply-1@acme-metals.test>", OutboxState.SENT)]
    assert len(_sent(out)) == 1  # acknowledged exactly once
    with mail_db.session() as s:
        assert s.scalar(sa.select(Message.state).where(Message.direction == Direction.IN)) == MessageState.PROCESSED


def test_an_error_in_the_unit_quarantines_without_an_acknowledgment_and_a_retry_acknowledges_once(
    mail_db: Database, tmp_path: pathlib.Path
) -> None:
    seeded = seed_request(mail_db, CONTACT)
    out = tmp_path / "outbox"
    raw = _reply(seeded.token)

    class Failing(MailOutreach):
        def queue_acknowledgment(self, session: Session, ack: Acknowledgment) -> Queued:
            super().queue_acknowledgment(session, ack)
            raise RuntimeError("the unit fails after the acknowledgment was recorded")

    outcome = InboundProcessor(mail_db, outreach=_outreach(mail_db, out, cls=Failing)).process(raw)
    assert outcome.disposition is Disposition.QUARANTINE
    assert _outbox_rows(mail_db) == [] and _sent(out) == []
    mail = _outreach(mail_db, out)
    assert InboundProcessor(mail_db, outreach=mail).process(raw).disposition is Disposition.PROCESSED  # mail retry
    assert len(_sent(out)) == 1 and len(_outbox_rows(mail_db)) == 1


@pytest.mark.parametrize("isolated", [True, False], ids=["reader-process", "thread"])
def test_the_raw_email_is_keyed_by_the_digests_taken_ahead(
    mail_db: Database, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, isolated: bool
) -> None:
    """Read ahead, the bot's main thread hashes nothing: store_raw passes the digests the reader computed."""
    seeded = seed_request(mail_db, CONTACT)
    raw = _reply(seeded.token)
    options = InboundOptions(read_ahead_workers=1, read_limits=ReadLimits(isolated=isolated))
    processor = InboundProcessor(mail_db, outreach=_outreach(mail_db, tmp_path / "outbox"), options=options)
    try:
        processor.prefetch([FetchedMessage("INBOX", 1, 7, raw)])
        with monkeypatch.context() as m:
            m.setattr(message_repo, "message_digest", _not_on_the_main_thread(raw, message_repo.message_digest))
            m.setattr(blobs, "key", _not_on_the_main_thread(raw, blobs.key))
            outcome = processor.process(raw, folder="INBOX", uid=7)
    finally:
        processor.close()
    assert outcome.disposition is Disposition.PROCESSED and not outcome.problems
    with mail_db.session() as s:
        row = s.scalars(sa.select(Message).where(Message.direction == Direction.IN)).one()
        assert row.raw_sha256 == message_repo.message_digest(raw) and row.raw_blob == hashlib.sha256(raw).hexdigest()
    # without the read-ahead (another source, a worker that failed) store_raw hashes the bytes itself
    other = _reply(seeded.token).replace(b"reply-1@", b"reply-2@")
    InboundProcessor(mail_db, outreach=_outreach(mail_db, tmp_path / "outbox")).process(other)
    with mail_db.session() as s:
        assert message_repo.get_by_key(s, "<reply-2@acme-metals.test>", message_repo.message_digest(other)) is not None


def _not_on_the_main_thread(inbound_raw: bytes, digest: Callable[[bytes], str]) -> Callable[[bytes], str]:
    def guarded(data: bytes) -> str:
        if data == inbound_raw:
            raise AssertionError("the inbound e-mail was hashed on the bot's main thread: the reader had done it")
        return digest(data)  # the acknowledgment's own bytes

    return guarded
