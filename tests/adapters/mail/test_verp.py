"""Each e-mail goes out with its own envelope sender (VERP, issue 11): the outbox keeps a random token per e-mail
and the SMTP sender passes ``bounces+<token>@domain`` as MAIL FROM, which the harness relay (aiosmtpd) records.
The store answers "which e-mail is this bounce about?" by token and by Message-ID."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from handlers.mail_store import StoreOutboxRepository, StoreSentLookup
from mail.bounces import SentMail, verp_token
from mail.outbox import Outbox, OutboxRecord
from mail.smtp import Security, SmtpSender, SmtpServer
from store import Database
from store.models import OutboxItem
from store.states import OutboxKind
from tests.harness.fixtures import MailHarness

pytestmark = pytest.mark.mailserver
BASE = "bounces@example.test"


def _record(to: str, subject: str) -> OutboxRecord:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Compliance <compliance@example.test>", to, subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    msg.set_content("Please send us your CMRT.")
    return OutboxRecord(key=f"verp:{subject}", kind=OutboxKind.REQUEST, to_address=to,
                        mail_from="compliance@example.test", message_id=str(msg["Message-ID"]),
                        raw=msg.as_bytes())  # fmt: skip


def test_mail_from_is_the_per_message_verp_address(
    mail_harness: MailHarness, mail_user: tuple[str, str], store_db: Database
) -> None:
    to, _ = mail_user
    sender = SmtpSender(SmtpServer(host=mail_harness.host, port=mail_harness.smtp_port, security=Security.STARTTLS,
                                   username="bot@example.test", password="botpass", ca_file=str(mail_harness.ca_path),
                                   timeout=10))  # fmt: skip
    outbox = Outbox(StoreOutboxRepository(store_db, mail_from=BASE), sender)
    subjects = [f"verp {uuid.uuid4().hex[:8]}" for _ in range(2)]
    records = [outbox.enqueue(_record(to, subject)) for subject in subjects]
    assert all(d.result.ok for d in outbox.deliver_due())
    with store_db.session() as s:
        tokens = {i.idempotency_key: i.envelope_token for i in s.scalars(sa.select(OutboxItem))}
    journal = {e["subject"]: e for e in mail_harness.journal_entries() if e["subject"] in subjects}
    senders = []
    for record, subject in zip(records, subjects, strict=True):
        token = tokens[record.key]
        assert token and len(token) == 16
        assert record.mail_from == f"bounces+{token}@example.test"
        assert journal[subject]["mail_from"] == record.mail_from  # the envelope, as the relay saw it
        assert verp_token(journal[subject]["mail_from"], BASE) == token
        senders.append(record.mail_from)
    assert len(set(senders)) == 2  # one address per e-mail

    with store_db.session() as s:
        lookup = StoreSentLookup(s, bounce_base=BASE)
        first = records[0]
        expected = SentMail(first.message_id, to, None)
        assert lookup.by_envelope_token(tokens[first.key]) == expected
        assert lookup.by_envelope_address(first.mail_from) == expected
        assert lookup.by_message_id(first.message_id) == expected
        assert lookup.by_envelope_token("ffffffffffffffff") is None
        assert lookup.by_message_id("<unknown@example.test>") is None
