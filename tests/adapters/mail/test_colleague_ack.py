"""Acceptance (issue 17): a colleague of the supplier's contact sends the workbook (same company domain, token in the
subject); the whole inbound pipeline reviews it and the acknowledgment goes to the colleague, the primary contact in
CC (headers and SMTP envelope)."""

from __future__ import annotations

import email
import email.policy
import pathlib

from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundProcessor
from handlers.mail_store import StoreOutboxRepository
from handlers.outreach_mail import MailOutreach, SenderIdentity
from mail.compose import MailTemplates
from mail.headers import token_tag
from mail.maildir_out import MaildirSender
from mail.outbox import Outbox
from store import Database
from tests.adapters.mail.support import seed_request
from tests.unit.mail.helpers import XLSX, inbound

BOT = "bot@buyer.test"
CONTACT = "anna@acme-metals.test"
COLLEAGUE = "kollege@acme-metals.test"


def test_the_acknowledgment_answers_the_colleague_with_the_contact_in_cc(
    mail_db: Database, tmp_path: pathlib.Path
) -> None:
    seeded = seed_request(mail_db, CONTACT)
    out = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(mail_db, mail_from=BOT), MaildirSender(out))
    mail = MailOutreach(mail_db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"))
    raw = inbound(sender=COLLEAGUE, subject=f"Re: CMRT {token_tag(seeded.token)}",
                  attachments=[("cmrt.xlsx", build_cmrt(company_name="Acme Metals Ltd"), XLSX)])  # fmt: skip
    outcome = InboundProcessor(mail_db, outreach=mail).process(raw)
    assert outcome.request_id == seeded.request_id
    (path,) = (out / "new").glob("*.eml")
    data = path.read_bytes()
    ack = email.message_from_bytes(data, policy=email.policy.default)
    assert str(ack["Subject"]).startswith("Received")
    assert [a.addr_spec for a in ack["To"].addresses] == [COLLEAGUE]
    assert [a.addr_spec for a in ack["Cc"].addresses] == [CONTACT]
    assert f"Delivered-To: {CONTACT}".encode() in data and f"Delivered-To: {COLLEAGUE}".encode() in data
    body = ack.get_body(preferencelist=("plain",))
    assert body is not None and "Dear Sir or Madam," in body.get_content()  # not Anna's name: the colleague wrote


def test_the_same_workbook_again_gets_already_received(mail_db: Database, tmp_path: pathlib.Path) -> None:
    seeded = seed_request(mail_db, CONTACT)
    out = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(mail_db, mail_from=BOT), MaildirSender(out))
    mail = MailOutreach(mail_db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"))
    workbook = build_cmrt(company_name="Acme Metals Ltd")
    for _ in range(2):
        raw = inbound(sender=CONTACT, subject=f"Re: CMRT {token_tag(seeded.token)}",
                      attachments=[("cmrt.xlsx", workbook, XLSX)])  # fmt: skip
        InboundProcessor(mail_db, outreach=mail).process(raw)
    subjects = sorted(str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"])
                      for p in (out / "new").glob("*.eml"))  # fmt: skip
    assert len(subjects) == 2 and subjects[0].startswith("Already received: CMRT 2025")
    assert subjects[1].startswith("Received")
