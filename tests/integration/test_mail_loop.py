"""The whole mail loop against the harness: request out over SMTP, replies in over IMAP, review, acknowledgment.

Every test gets its own bot mailbox and supplier mailboxes on their own domains, so runs of other helpers on the
same Dovecot never interfere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import io
import pathlib
import smtplib
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from msoffcrypto.format.ooxml import OOXMLFile

from cmrt.outreach.states import RequestState
from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundOptions, InboundProcessor
from handlers.mail_store import StoreCheckpoints, StoreOutboxRepository
from handlers.notify import FindingSummary
from handlers.outreach_mail import MailOutreach, SenderIdentity, handle_permanent, record_sent
from mail.compose import MailTemplates
from mail.headers import find_token, message_ids
from mail.imap import ImapMailbox, ImapWatcher
from mail.outbox import Outbox
from mail.smtp import Backoff, Security, SmtpSender, SmtpServer
from store import Database
from store import messages as message_repo
from store import requests as request_repo
from store import suppliers as supplier_repo
from store.models import Message, OutboxItem, Review
from store.states import ContactState, Direction, OutboxKind
from tests.adapters.mail.support import Seeded, seed_request
from tests.conftest import corpus_path
from tests.harness.fixtures import MailHarness
from tests.unit.mail.helpers import XLSX, zip_of

pytestmark = pytest.mark.mailserver


class RecordingNotifier:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def request_sent(self, request_id: int) -> None:
        self.calls.append(("request_sent", request_id))

    def reminder_sent(self, request_id: int, *, number: int) -> None:
        self.calls.append(("reminder_sent", request_id))

    def reply_received(self, request_id: int, *, summary: str) -> None:
        self.calls.append(("reply_received", (request_id, summary)))

    def review_result(
        self, request_id: int, *, grade: str, score: int | None, findings: Sequence[FindingSummary]
    ) -> None:
        self.calls.append(("review_result", (request_id, grade)))

    def clarification_sent(self, request_id: int, *, actor: str | None = None) -> None:
        self.calls.append(("clarification_sent", request_id))

    def escalation(self, request_id: int, *, reason: str) -> None:
        self.calls.append(("escalation", request_id))

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        self.calls.append(("team_alert", (request_id, text)))

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]

    def alerts(self) -> list[str]:
        return [c[1][1] for c in self.calls if c[0] == "team_alert"]


@dataclass
class Loop:
    h: MailHarness
    db: Database
    bot: str
    bot_password: str
    outreach: MailOutreach
    processor: InboundProcessor
    watcher: ImapWatcher
    notifier: RecordingNotifier
    suppliers: list[tuple[str, str]] = field(default_factory=list)

    def supplier(self, name: str = "Acme Metals Ltd") -> tuple[Seeded, str]:
        address, password = self.h.new_user("anna", domain=f"s{uuid.uuid4().hex[:8]}.test")
        seeded = seed_request(self.db, address, name=name, external_id=f"S-{uuid.uuid4().hex[:6]}")
        return seeded, password

    def send_as(self, sender: str, password: str, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.h.host, self.h.smtp_port, timeout=10) as smtp:
            smtp.starttls(context=self.h.ssl_context())
            smtp.login(sender, password)
            smtp.send_message(msg, from_addr=sender, to_addrs=[self.bot])

    def fetch_last(self, user: str, password: str, criteria: list[Any]) -> EmailMessage:
        uids = self.h.wait_for(user, criteria)
        assert uids, f"nothing matching {criteria} for {user}"
        client = self.h.imap(user, password)
        try:
            client.select_folder("INBOX", readonly=True)
            raw = client.fetch([uids[-1]], ["BODY.PEEK[]"])[uids[-1]][b"BODY[]"]
        finally:
            client.logout()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    def process_inbox(self, expected: int = 1, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        done = 0
        while done < expected and time.monotonic() < deadline:
            done += self.watcher.run_once()
            if done < expected:
                time.sleep(0.05)
        return done


@pytest.fixture
def loop(mail_harness: MailHarness, mail_db: Database, tmp_path: pathlib.Path) -> Iterator[Loop]:
    bot, bot_password = mail_harness.new_user("bot", domain=f"buyer{uuid.uuid4().hex[:6]}.test")
    notifier = RecordingNotifier()
    blank = tmp_path / "RMI_CMRT_6.5.xlsx"
    blank.write_bytes(build_cmrt(company_name=None))
    sender = SmtpSender(
        SmtpServer(host=mail_harness.host, port=mail_harness.smtp_port, security=Security.STARTTLS,
                     username=bot, password=bot_password, ca_file=str(mail_harness.ca_path), timeout=10)
    )  # fmt: skip
    outbox = Outbox(
        StoreOutboxRepository(mail_db, mail_from=bot), sender,
        on_sent=record_sent(mail_db), on_permanent=handle_permanent(mail_db, notifier), sleep=lambda _s: None,
    )  # fmt: skip
    outreach = MailOutreach(
        mail_db, outbox, templates=MailTemplates(),
        sender=SenderIdentity(from_address=bot, sender_company="Buyer Corp", sender_name="Compliance Team"),
        blank_template=blank,
        notifier=notifier,
    )  # fmt: skip
    processor = InboundProcessor(
        mail_db, outreach=outreach, notifier=notifier, options=InboundOptions(own_addresses=(bot,))
    )
    settings = ImapMailbox(
        host=mail_harness.host, port=mail_harness.imaps_port, security=Security.TLS, username=bot,
        password=bot_password, ca_file=str(mail_harness.ca_path), timeout=10, idle_renew=30,
        backoff=Backoff(base=0.2, cap=1.0),
    )  # fmt: skip
    watcher = ImapWatcher(settings, processor, StoreCheckpoints(mail_db, prefix=bot + ":"))
    yield Loop(mail_harness, mail_db, bot, bot_password, outreach, processor, watcher, notifier)


def _reply(
    to: str,
    sender: str,
    parent: EmailMessage | None,
    *,
    body: str = "Please find our CMRT attached.",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    subject: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, to
    msg["Subject"] = subject if subject is not None else f"Re: {parent['Subject']}" if parent else "CMRT"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@{sender.split('@')[1]}>"
    if parent is not None:
        msg["In-Reply-To"] = parent["Message-ID"]
        msg["References"] = parent["Message-ID"]
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, data, ctype in attachments:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _state(db: Database, request_id: int) -> RequestState:
    with db.session() as s:
        req = request_repo.get(s, request_id)
        assert req is not None
        return RequestState(req.state)


def _send_request(loop: Loop, seeded: Seeded, password: str) -> EmailMessage:
    result = loop.outreach.send_request(seeded.request_id, key=f"req-{seeded.request_id}:request")
    assert result.accepted, result.detail
    with loop.db.session() as s:
        req = request_repo.get(s, seeded.request_id)
        assert req is not None
        request_repo.transition(s, req, RequestState.SENT)
    return loop.fetch_last(seeded.contact, password, ["ALL"])


def test_request_reply_review_and_acknowledgment_in_one_thread(loop: Loop) -> None:
    seeded, password = loop.supplier()
    request = _send_request(loop, seeded, password)
    assert find_token(str(request["Subject"])) == seeded.token
    assert request["Auto-Submitted"] == "auto-generated"
    assert [p.get_filename() for p in request.iter_attachments()] == ["RMI_CMRT_6.5.xlsx"]
    again = loop.outreach.send_request(seeded.request_id, key=f"req-{seeded.request_id}:request")
    assert again.detail == "already sent"

    stop = threading.Event()
    thread = threading.Thread(target=loop.watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # in IDLE now
        reply = _reply(loop.bot, seeded.contact, request, attachments=[("CMRT_Acme.xlsx", build_cmrt(), XLSX)])
        loop.send_as(seeded.contact, password, reply)
        ack = loop.fetch_last(seeded.contact, password, ["HEADER", "In-Reply-To", str(reply["Message-ID"])])
    finally:
        stop.set()
        thread.join(10)
    assert find_token(str(ack["Subject"])) == seeded.token
    assert str(request["Message-ID"]) in message_ids(str(ack["References"]))
    assert ack["Auto-Submitted"] == "auto-generated"
    body = ack.get_body(("plain",))
    assert body is not None and "CMRT_Acme.xlsx" in body.get_content()
    state = _state(loop.db, seeded.request_id)
    assert state in (RequestState.ACCEPTED, RequestState.CLARIFICATION_REQUESTED, RequestState.ESCALATED)
    with loop.db.session() as s:
        review = message_repo.latest_review(s, seeded.request_id)
        assert review is not None
        if state == RequestState.CLARIFICATION_REQUESTED:
            assert "Please correct the following" in body.get_content()
    assert "reply_received" in loop.notifier.kinds() and "review_result" in loop.notifier.kinds()
    assert loop.h.folder_uids(loop.bot, "INBOX") == []
    assert len(loop.h.folder_uids(loop.bot, "Processed")) == 1

    # a corrected workbook restarts the review
    corrected = _reply(loop.bot, seeded.contact, ack, attachments=[("CMRT_Acme_v2.xlsx", build_cmrt(), XLSX)])
    corrected.replace_header("Subject", f"Re: {ack['Subject']}")
    loop.send_as(seeded.contact, password, corrected)
    assert loop.process_inbox() == 1
    with loop.db.session() as s:
        assert len(message_repo.submissions_for_request(s, seeded.request_id)) == 2
    # the same message again (re-delivery: the same bytes, or with other trace headers) changes nothing
    with loop.db.session() as s:
        delivered = message_repo.get_by_message_id(s, str(corrected["Message-ID"]))
        assert delivered is not None
        again = message_repo.raw_bytes(s, delivered)
    assert loop.processor.process(again).replayed
    assert loop.processor.process(b"Received: from elsewhere by mx2; Wed, 2 Dec 2026\r\n" + again).replayed


def test_several_workbooks_zip_xls_and_encrypted(loop: Loop) -> None:
    seeded, password = loop.supplier()
    request = _send_request(loop, seeded, password)
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(build_cmrt())).encrypt("secret-pw", encrypted)
    attachments = [
        ("first.xlsx", build_cmrt(company_name="Acme Metals Ltd"), XLSX),
        ("more.zip", zip_of({"inner/second.xlsx": build_cmrt(version="6.4")}), "application/zip"),
        ("locked.xlsx", encrypted.getvalue(), XLSX),
        ("policy.pdf", b"%PDF-1.4\n%fake\n", "application/pdf"),
    ]
    try:
        xls = corpus_path("legacy", "CMRT_2.03_synthetic_encrypted.xls").read_bytes()
        attachments.append(("legacy.xls", xls, "application/vnd.ms-excel"))
    except pytest.skip.Exception:
        xls = b""
    loop.send_as(seeded.contact, password, _reply(loop.bot, seeded.contact, request, attachments=attachments))
    assert loop.process_inbox() == 1
    with loop.db.session() as s:
        subs = message_repo.submissions_for_request(s, seeded.request_id)
        by_name = {x.filename: x for x in subs}
        assert {"first.xlsx", "second.xlsx", "locked.xlsx", "policy.pdf"} <= set(by_name)
        assert not by_name["policy.pdf"].is_workbook
        assert by_name["first.xlsx"].reviews and by_name["second.xlsx"].reviews
        assert by_name["locked.xlsx"].parse_error_code == "encrypted_unknown_password"
        if xls:
            assert by_name["legacy.xls"].reviews, by_name["legacy.xls"].parse_error
    ack = loop.fetch_last(seeded.contact, password, ["SUBJECT", seeded.token, "HEADER", "In-Reply-To", "@"])
    text = ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "locked.xlsx" in text and "password" in text


def test_auto_reply_question_and_link_are_not_acknowledged(loop: Loop) -> None:
    seeded, password = loop.supplier()
    request = _send_request(loop, seeded, password)
    loop.send_as(seeded.contact, password, _reply(loop.bot, seeded.contact, request, body="I am out until Monday.",
                                                  headers={"Auto-Submitted": "auto-replied"}))  # fmt: skip
    loop.send_as(seeded.contact, password, _reply(loop.bot, seeded.contact, request, body="Which products?"))
    loop.send_as(seeded.contact, password, _reply(loop.bot, seeded.contact, request,
                                                  body="See https://acme.test/compliance/CMRT-2025.xlsx"))  # fmt: skip
    assert loop.process_inbox(3) == 3
    assert _state(loop.db, seeded.request_id) == RequestState.AWAITING_TEAM  # the question waits for the team
    with loop.db.session() as s:
        stmt = sa.select(Message.classification).where(
            Message.request_id == seeded.request_id, Message.direction == Direction.IN
        )
        kinds = sorted(k or "" for k in s.scalars(stmt))
    assert kinds == ["auto_reply", "question", "reply_link"]
    alerts = " ".join(loop.notifier.alerts())
    assert "question" in alerts and "acme.test/compliance/CMRT-2025.xlsx" in alerts
    assert len(loop.h.folder_uids(seeded.contact, "INBOX")) == 1  # only the request: no acknowledgments


def test_bounce_marks_contact_and_tells_the_team(loop: Loop) -> None:
    seeded, password = loop.supplier()
    request = _send_request(loop, seeded, password)
    (entry,) = [e for e in loop.h.journal_entries() if e["message_id"] == str(request["Message-ID"])]
    bot_local, bot_domain = loop.bot.split("@")
    assert entry["mail_from"].startswith(f"{bot_local}+") and entry["mail_from"].endswith(f"@{bot_domain}")  # VERP
    dsn = (  # the report quotes the returned e-mail's headers: it names an e-mail the bot sent
        f"From: MAILER-DAEMON@mx.buyer.test\r\nTo: {loop.bot}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.buyer.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.buyer.test\r\n\r\n"
        f"Final-Recipient: rfc822; {seeded.contact}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: {seeded.contact}\r\n"
        f"Message-ID: {request['Message-ID']}\r\n\r\n--B--\r\n"
    ).encode()
    loop.h.append(loop.bot, dsn)
    assert loop.process_inbox() == 1
    with loop.db.session() as s:
        (contact,) = supplier_repo.contacts_by_email(s, seeded.contact)
        assert contact.state == ContactState.BOUNCING
    assert any("bounced" in a for a in loop.notifier.alerts())
    refused = loop.outreach.send_reminder(seeded.request_id, key=f"req-{seeded.request_id}:reminder-1", number=1)
    assert not refused.accepted and refused.permanent


def test_unmatched_sender_goes_to_the_team_who_can_assign_it(loop: Loop) -> None:
    seeded, _ = loop.supplier()
    stranger, password = loop.h.new_user("x", domain=f"unknown{uuid.uuid4().hex[:6]}.test")
    msg = _reply(loop.bot, stranger, None, subject="Our declaration",
                 attachments=[("c.xlsx", build_cmrt(company_name="Nobody Known GmbH"), XLSX)])  # fmt: skip
    loop.send_as(stranger, password, msg)
    assert loop.process_inbox() == 1
    assert any("could not be matched" in a for a in loop.notifier.alerts())
    assert loop.h.folder_uids(stranger, "INBOX") == []  # no acknowledgment to strangers
    outcome = loop.processor.assign(str(msg["Message-ID"]), seeded.request_id, actor="U123")
    assert outcome.grades
    with loop.db.session() as s:
        assert message_repo.latest_review(s, seeded.request_id) is not None
    # the acknowledgment goes to the supplier's known contact, never to the stranger (issue 11)
    assert len(loop.h.wait_for(seeded.contact, ["ALL"])) == 1
    assert loop.h.folder_uids(stranger, "INBOX") == []


def test_company_name_in_workbook_from_an_unknown_address_is_only_a_proposal(loop: Loop) -> None:
    """Issue 11: the company name alone never matches; the team is shown the proposal and confirms."""
    seeded, _ = loop.supplier(name=f"Zyxel Tantalum {uuid.uuid4().hex[:4]} Co., Ltd.")
    stranger, password = loop.h.new_user("y", domain=f"other{uuid.uuid4().hex[:6]}.test")
    workbook = build_cmrt(company_name=seeded.supplier_name.upper().replace(", LTD.", " LIMITED"))
    loop.send_as(stranger, password, _reply(loop.bot, stranger, None, attachments=[("c.xlsx", workbook, XLSX)]))
    assert loop.process_inbox() == 1
    with loop.db.session() as s:
        assert len(message_repo.submissions_for_request(s, seeded.request_id)) == 0
    assert any("points to a supplier" in a for a in loop.notifier.alerts())
    assert _state(loop.db, seeded.request_id) == RequestState.NOT_SENT
    assert loop.h.folder_uids(stranger, "INBOX") == []


def test_header_injection_attempt_is_harmless(loop: Loop) -> None:
    seeded, password = loop.supplier(name="Evil Corp\r\nBcc: victim@else.test")
    with loop.db.session() as s:
        (contact,) = supplier_repo.contacts_by_email(s, seeded.contact)
        contact.name = "Anna\r\nBcc: victim@else.test"
    request = _send_request(loop, seeded, password)
    assert request["Bcc"] is None
    assert [a.addr_spec for a in request["To"].addresses] == [seeded.contact]
    entries = [e for e in loop.h.journal_entries() if e["message_id"] == str(request["Message-ID"])]
    assert [e["rcpt_tos"] for e in entries] == [[seeded.contact]]
    # an inbound reply whose subject tries the same is stored and handled without harm
    evil = _reply(loop.bot, seeded.contact, request, body="question?")
    loop.send_as(seeded.contact, password, evil)
    assert loop.process_inbox() == 1


def test_reminders_stay_in_the_thread(loop: Loop) -> None:
    seeded, password = loop.supplier()
    request = _send_request(loop, seeded, password)
    text = request.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert (dt.date(2026, 3, 31)).isoformat() in text and seeded.token in text
    key = f"req-{seeded.request_id}:reminder-1"
    assert loop.outreach.send_reminder(seeded.request_id, key=key, number=1).accepted
    assert loop.outreach.send_reminder(seeded.request_id, key=key, number=1).detail == "already sent"
    reminder = loop.fetch_last(seeded.contact, password, ["SUBJECT", "Reminder"])
    assert str(reminder["In-Reply-To"]).strip() == str(request["Message-ID"]).strip()
    assert find_token(str(reminder["Subject"])) == seeded.token
    assert len(loop.h.folder_uids(seeded.contact, "INBOX")) == 2


def test_slack_outreach_reminder_and_clarification(loop: Loop) -> None:
    from handlers.outreach_mail import SlackOutreach

    seeded, password = loop.supplier()
    _send_request(loop, seeded, password)
    slack = SlackOutreach(loop.outreach)
    assert slack.send_reminder(seeded.request_id, actor="U1").queued
    assert _state(loop.db, seeded.request_id) == RequestState.REMINDED
    with loop.db.session() as s:
        req = request_repo.get(s, seeded.request_id)
        assert req is not None
        request_repo.transition(s, req, RequestState.RESPONDED)
    body = "1. Declaration D8: please enter your company name"
    assert slack.send_clarification(seeded.request_id, body=body, actor="U1").queued
    assert slack.send_clarification(seeded.request_id, body=body, actor="U1").queued  # same text: same e-mail
    assert _state(loop.db, seeded.request_id) == RequestState.CLARIFICATION_REQUESTED
    clarification = loop.fetch_last(seeded.contact, password, ["SUBJECT", "Questions about"])
    assert "please enter your company name" in clarification.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert len(loop.h.folder_uids(seeded.contact, "INBOX")) == 3  # request, reminder, one clarification
    assert {"reminder_sent", "clarification_sent"} <= set(loop.notifier.kinds())


def test_a_backlog_is_read_ahead_in_parallel_and_each_reply_is_handled_once(loop: Loop) -> None:
    """[reader] workers = 2, [imap] fetch_batch = 2: five replies waiting in the inbox are parsed and their
    workbooks read ahead (two reader processes) while the pipeline records them in order; every reply is stored
    once, reviewed once and acknowledged once, and every reading came from the read-ahead."""
    processor = InboundProcessor(
        loop.db, outreach=loop.outreach, notifier=loop.notifier,
        options=InboundOptions(own_addresses=(loop.bot,), read_ahead_workers=2),
    )  # fmt: skip
    mailbox = dataclasses.replace(loop.watcher.mailbox, batch_size=2)
    watcher = ImapWatcher(
        mailbox, processor, StoreCheckpoints(loop.db, prefix=loop.bot + ":"), prefetch=processor.prefetch
    )
    seeded = []
    for n in range(5):
        supplier, password = loop.supplier(name=f"Backlog Metals {n}")
        request = _send_request(loop, supplier, password)
        workbook = build_cmrt(company_name=f"Backlog Metals {n}")
        loop.send_as(supplier.contact, password, _reply(loop.bot, supplier.contact, request,
                                                       attachments=[(f"cmrt-{n}.xlsx", workbook, XLSX)]))  # fmt: skip
        seeded.append(supplier)
    deadline = time.monotonic() + 30
    while len(loop.h.wait_for(loop.bot, ["ALL"])) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    deadline = time.monotonic() + 60
    done = 0
    while done < 5 and time.monotonic() < deadline:
        done += watcher.run_once()
    assert done == 5
    read_ahead = processor.deps.read_ahead
    assert read_ahead is not None and read_ahead.taken == 5 and read_ahead.read_ahead == 5
    with loop.db.session() as s:
        inbound = s.scalars(sa.select(Message).where(Message.direction == Direction.IN)).all()
        assert len(inbound) == 5
        for supplier in seeded:
            reviews = s.scalars(sa.select(Review).where(Review.request_id == supplier.request_id)).all()
            acks = s.scalars(
                sa.select(OutboxItem).where(
                    OutboxItem.request_id == supplier.request_id, OutboxItem.kind == OutboxKind.ACKNOWLEDGMENT
                )
            ).all()
            assert len(reviews) == 1 and len(acks) == 1
    for supplier in seeded:
        assert _state(loop.db, supplier.request_id) is not RequestState.SENT
