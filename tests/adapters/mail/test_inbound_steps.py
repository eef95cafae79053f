"""The inbound pipeline's steps one by one, on a migrated SQLite store (``handlers.inbound``): each is run alone (or
with the steps it needs before it) and checked by what it leaves in the context and the store."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from cmrt.outreach.replies import after_review
from cmrt.outreach.states import RequestState
from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundContext, InboundDeps, InboundOptions, InboundProcessor
from handlers.inbound import record as steps
from handlers.inbound.context import Flow, Question, ReplyReceived, ReviewResult, TeamAlert, UnmatchedMail
from handlers.inbound.pipeline import OneUnit, run
from handlers.inbound.receive import classify_message, store_raw
from handlers.inbound.tell import finish
from handlers.mail_store import StoreOutboxRepository
from mail.headers import token_tag
from mail.imap import Disposition
from mail.outbox import OutboxRecord
from store import Database
from store import messages as message_repo
from store import requests as request_repo
from store import suppliers as supplier_repo
from store.models import Message, Submission
from store.states import ContactState, MessageState, OutboxKind
from tests.adapters.mail.support import Seeded, seed_request
from tests.unit.mail.helpers import XLSX, inbound

MATCHING = (steps.label, steps.read, steps.match)
REVIEWING = (*MATCHING, steps.bounce, steps.route, steps.review_workbooks)
RECORDING = (*REVIEWING, steps.record)
CONTACT = "anna@acme-metals.test"


def _received(db: Database, raw: bytes, deps: InboundDeps | None = None) -> tuple[InboundContext, InboundDeps]:
    deps = deps or InboundDeps(db)
    ctx = InboundContext(raw=raw)
    assert store_raw(ctx, deps) is None
    assert classify_message(ctx, deps) is None
    return ctx, deps


def _reply(seeded: Seeded, *, sender: str = CONTACT, subject: str | None = None, company: str = "Acme Metals Ltd",
           workbook: bool = True) -> bytes:  # fmt: skip
    attachments = [("cmrt.xlsx", build_cmrt(company_name=company), XLSX)] if workbook else []
    return inbound(sender=sender, subject=subject or f"Re: CMRT {token_tag(seeded.token)}", attachments=attachments)


def test_store_raw_commits_the_bytes_before_any_other_step(mail_db: Database) -> None:
    raw = inbound(subject="kept whatever follows")

    def boom(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
        raise RuntimeError("a later step failed")

    ctx = InboundContext(raw=raw)
    with pytest.raises(RuntimeError):
        run((store_raw, boom), ctx, InboundDeps(mail_db))
    with mail_db.session() as s:
        row = message_repo.get_by_message_id(s, ctx.message_id)
        assert row is not None and message_repo.raw_bytes(s, row) == raw and row.state == MessageState.RECEIVED


def test_store_raw_stops_for_a_message_handled_before(mail_db: Database) -> None:
    raw = inbound(subject="twice")
    first = InboundProcessor(mail_db).process(raw)
    assert first.disposition is Disposition.PROCESSED and not first.replayed
    ctx = InboundContext(raw=raw)
    assert store_raw(ctx, InboundDeps(mail_db)) is Flow.STOP
    assert ctx.replayed and ctx.disposition is Disposition.PROCESSED


def test_read_and_match_by_the_token(mail_db: Database) -> None:
    seeded = seed_request(mail_db, CONTACT)
    ctx, deps = _received(mail_db, _reply(seeded))
    OneUnit(MATCHING)(ctx, deps)
    assert [r.declaration is not None for r in ctx.readings] == [True] and ctx.names == ["cmrt.xlsx"]
    assert ctx.match is not None and ctx.match.method.value == "token" and ctx.request_id == seeded.request_id
    with mail_db.session() as s:
        row = message_repo.get_by_message_id(s, ctx.message_id)
        assert row is not None and row.classification == "reply_workbook" and row.request_id == seeded.request_id
        assert [sub.request_id for sub in row.submissions] == [seeded.request_id]


def test_the_company_named_in_the_workbook_is_only_a_proposal(mail_db: Database) -> None:
    """Issue 11: the company name inside a workbook is never enough alone; the team confirms the proposal."""
    from handlers.inbound.record import proposal_key
    from store import runtime

    seeded = seed_request(mail_db, CONTACT, name="Zircon Smelting Works")
    ctx, deps = _received(mail_db, _reply(seeded, sender="pat@elsewhere.test", subject="Our CMRT",
                                          company="Zircon Smelting Works"))  # fmt: skip
    OneUnit(MATCHING)(ctx, deps)
    assert ctx.match is not None and not ctx.match.matched and ctx.request_id is None
    assert ctx.decision is not None and ctx.decision.proposal is not None
    assert ctx.decision.proposal.request_id == seeded.request_id
    with mail_db.session() as s:
        assert runtime.get_value(s, proposal_key(ctx.row_id or 0)) == {"request_id": seeded.request_id}


def test_bounce_marks_the_contact_and_ends_the_recording(mail_db: Database) -> None:
    seeded = seed_request(mail_db, CONTACT)
    sent_id = f"<cmbot.{seeded.token}.request@buyer.test>"  # the request, as the outbox recorded it
    StoreOutboxRepository(mail_db, mail_from="bot@buyer.test").add(OutboxRecord(
        key="request", kind=OutboxKind.REQUEST, to_address=CONTACT, mail_from="bot@buyer.test", message_id=sent_id,
        raw=b"Subject: request\r\n\r\n", request_id=seeded.request_id))  # fmt: skip
    dsn = (
        "From: MAILER-DAEMON@mx.buyer.test\r\nTo: bot@buyer.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.buyer.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.buyer.test\r\n\r\n"
        f"Final-Recipient: rfc822; {CONTACT}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: {CONTACT}\r\nMessage-ID: {sent_id}\r\n\r\n--B--\r\n"
    ).encode()  # a bounce that names an e-mail the bot sent (handlers.bounces; forged ones: test_bounce_proof.py)
    ctx, deps = _received(mail_db, dsn)
    seen: list[str] = []

    def after(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
        seen.append("after")
        return None

    OneUnit((*MATCHING, steps.bounce, after))(ctx, deps)
    assert seen == [] and ctx.request_id == seeded.request_id
    assert [type(n) for n in ctx.notices] == [TeamAlert] and ctx.notices[0].request_id == seeded.request_id
    with mail_db.session() as s:
        (contact,) = supplier_repo.contacts_by_email(s, CONTACT)
        assert contact.state == ContactState.BOUNCING
        assert s.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_route_sends_a_question_to_the_team_and_an_unknown_sender_to_be_assigned(mail_db: Database) -> None:
    seeded = seed_request(mail_db, CONTACT)
    question = inbound(sender=CONTACT, subject=f"Re: CMRT {token_tag(seeded.token)}", body="Which template?")
    ctx, deps = _received(mail_db, question)
    assert OneUnit(REVIEWING)(ctx, deps) is None
    assert ctx.notices == [Question(seeded.request_id, "Which template?")] and ctx.grades == []
    with mail_db.session() as s:  # the request waits for the team's answer: no reminders meanwhile
        request = request_repo.get(s, seeded.request_id)
        assert request is not None and request.state == RequestState.AWAITING_TEAM

    ctx, deps = _received(mail_db, inbound(sender="who@nowhere.test", subject="hello"))
    OneUnit(REVIEWING)(ctx, deps)
    assert [type(n) for n in ctx.notices] == [UnmatchedMail] and ctx.request_id is None


def test_review_and_record_move_the_request_where_the_worst_grade_leads(mail_db: Database) -> None:
    seeded = seed_request(mail_db, CONTACT)
    ctx, deps = _received(mail_db, _reply(seeded))
    OneUnit(RECORDING, then=(steps.plan_acknowledgment,))(ctx, deps)
    assert ctx.worst is not None and ctx.grades == [ctx.worst]
    assert [type(n) for n in ctx.notices][:2] == [ReplyReceived, ReviewResult]
    with mail_db.session() as s:
        request = request_repo.get(s, seeded.request_id)
        assert request is not None and request.state == after_review(ctx.worst).state
        (sub,) = s.scalars(sa.select(Submission)).all()
        assert [r.grade for r in sub.reviews] == [ctx.worst.value]
    ack = ctx.acknowledgment
    assert ack is not None and ack.key == f"ack:{ctx.message_id}" and ack.to_address == CONTACT
    assert ack.grade == ctx.worst.value and ack.filenames == ["cmrt.xlsx"]
    finish(ctx, deps)
    with mail_db.session() as s:
        assert s.scalars(sa.select(Message.state)).one() == MessageState.PROCESSED


def test_a_failure_while_recording_rolls_the_unit_back_and_quarantines(mail_db: Database) -> None:
    seeded = seed_request(mail_db, CONTACT)
    with mail_db.session() as s:
        before = request_repo.get(s, seeded.request_id)
        assert before is not None
        state_before = before.state

    def broken(session: Any, request: Any, today: Any) -> Any:
        raise RuntimeError("lists unavailable")

    told: list[str] = []

    class Alerts:
        def __getattr__(self, name: str) -> Any:
            return lambda *a, **k: told.append(name)

    processor = InboundProcessor(mail_db, review_context=broken, notifier=Alerts())  # type: ignore[arg-type]
    outcome = processor.process(_reply(seeded))
    assert outcome.disposition is Disposition.QUARANTINE and outcome.problems == ["lists unavailable"]
    assert told == ["team_alert"]
    with mail_db.session() as s:
        row = message_repo.get_by_message_id(s, outcome.message_id)
        assert row is not None and row.state == MessageState.QUARANTINED and "lists unavailable" in (row.error or "")
        assert row.classification is None and row.submissions == []  # nothing half-recorded
        request = request_repo.get(s, seeded.request_id)
        assert request is not None and request.state == state_before


def test_label_records_the_bots_own_mail_and_nothing_else(mail_db: Database) -> None:
    own = inbound(sender="bot@buyer.test", attachments=[("cmrt.xlsx", build_cmrt(), XLSX)])
    ctx, deps = _received(mail_db, own, InboundDeps(mail_db, options=InboundOptions(own_addresses=("bot@buyer.test",))))
    OneUnit(MATCHING, then=(steps.plan_acknowledgment,))(ctx, deps)
    assert ctx.kind == "own" and ctx.readings == [] and ctx.acknowledgment is None
    with mail_db.session() as s:
        row = message_repo.get_by_message_id(s, ctx.message_id)
        assert row is not None and row.classification == "own" and row.submissions == []


def test_label_takes_back_what_an_earlier_run_recorded(mail_db: Database) -> None:
    seeded = seed_request(mail_db, CONTACT)
    raw = _reply(seeded)
    first, deps = _received(mail_db, raw)
    OneUnit(RECORDING)(first, deps)  # then the run stopped
    again, deps = _received(mail_db, raw)
    assert again.replay
    OneUnit(MATCHING, then=(steps.plan_acknowledgment,))(again, deps)
    assert again.request_id == seeded.request_id and again.kind == "reply_workbook" and again.readings == []
    assert again.acknowledgment is not None and again.acknowledgment.grade == first.worst.value  # type: ignore[union-attr]


def test_take_assignment_reviews_an_unmatched_e_mail_for_the_chosen_request(mail_db: Database) -> None:
    seeded = seed_request(mail_db, CONTACT)
    stranger = _reply(seeded, sender="pat@elsewhere.test", subject="Our CMRT", company="Nobody We Know Ltd")
    outcome = InboundProcessor(mail_db).process(stranger)
    assert outcome.request_id is None
    ctx = InboundContext(message_id=outcome.message_id, request_id=seeded.request_id, actor="U1")
    deps = InboundDeps(mail_db)
    OneUnit((steps.take_assignment, steps.review_workbooks, steps.record), then=(steps.plan_acknowledgment,))(ctx, deps)
    assert ctx.names == ["cmrt.xlsx"] and len(ctx.grades) == 1 and ctx.acknowledgment is not None
    assert [type(n) for n in ctx.notices][:2] == [ReplyReceived, ReviewResult]
    with mail_db.session() as s:
        row = message_repo.get_by_message_id(s, outcome.message_id)
        assert row is not None and row.request_id == seeded.request_id
        assert [sub.request_id for sub in row.submissions] == [seeded.request_id]
    again = InboundContext(message_id=outcome.message_id, request_id=seeded.request_id, actor="U1")
    assigned = OneUnit((steps.take_assignment, steps.review_workbooks))(again, deps)
    assert assigned is None and again.grades == []  # reviewed once


def test_read_inserts_each_submission_once_with_its_reading(mail_db: Database) -> None:
    """The submission row is inserted with its reading, not inserted and then updated by the read (on SQLite an
    UPDATE rewrites the row with its megabytes). The request it belongs to is still set once matching has run
    (one small UPDATE, until the bytes move to a table of their own)."""
    seeded = seed_request(mail_db, CONTACT)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(mail_db.engine, "before_cursor_execute", record)
    try:
        outcome = InboundProcessor(mail_db).process(_reply(seeded))
    finally:
        sa.event.remove(mail_db.engine, "before_cursor_execute", record)
    assert outcome.request_id == seeded.request_id
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO SUBMISSIONS")]
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE SUBMISSIONS")]
    assert len(inserts) == 1 and "declaration" in inserts[0]
    assert [u for u in updates if "declaration" in u or "parse_error" in u or "detected_" in u] == []
    with mail_db.session() as s:
        (sub,) = s.scalars(sa.select(Submission)).all()
        assert sub.declaration is not None and sub.detected_version
