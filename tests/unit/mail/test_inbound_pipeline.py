"""The inbound pipeline's steps that need no database: classification, telling the team, the runner."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy.orm import Session

from handlers.acknowledgment import Acknowledgment
from handlers.inbound import RECEIVE, InboundContext, InboundDeps, InboundOptions
from handlers.inbound.context import (
    Escalation,
    Flow,
    ReplyReceived,
    ReviewResult,
    TeamAlert,
    Unit,
    UnmatchedMail,
)
from handlers.inbound.pipeline import OneUnit, run
from handlers.inbound.receive import classify_message, store_raw
from handlers.inbound.tell import acknowledge, enqueue_acknowledgment, notify
from handlers.notify import FindingSummary
from handlers.outreach_mail import Queued
from mail.attachments import AttachmentLimits
from mail.classify import Kind, parse_inbound
from mail.outbox import OutboxRecord
from store.models import Message
from store.states import OutboxKind
from tests.unit.mail.helpers import XLSX, inbound, small_xlsx


class NoDatabase:
    def session(self) -> Any:
        raise AssertionError("this step must not touch the database")


class Told:
    """Records every notifier call by name; ``plain`` leaves out ``unmatched_mail`` (a notifier without buttons)."""

    def __init__(self, *, plain: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.plain = plain

    def __getattr__(self, name: str) -> Any:
        if self.plain and name == "unmatched_mail":
            raise AttributeError(name)
        return lambda *args, **kwargs: self.calls.append((name, (args, kwargs)))


def _ctx(raw: bytes) -> InboundContext:
    return InboundContext(raw=raw, message=parse_inbound(raw), message_id="<x@test>")


def test_classify_a_reply_with_a_workbook_without_the_database() -> None:
    raw = inbound(attachments=[("cmrt.xlsx", small_xlsx(), XLSX)])
    ctx = _ctx(raw)
    assert classify_message(ctx, InboundDeps(NoDatabase())) is None
    assert ctx.classification is not None and ctx.classification.kind is Kind.REPLY_WITH_WORKBOOK
    assert ctx.kind == "reply_workbook" and not ctx.own
    assert [w.filename for w in ctx.extracted.workbooks] == ["cmrt.xlsx"]


def test_classify_marks_the_bots_own_mail_case_insensitively() -> None:
    ctx = _ctx(inbound(sender="Bot@Example.test"))
    classify_message(ctx, InboundDeps(NoDatabase(), options=InboundOptions(own_addresses=("bot@example.TEST",))))
    assert ctx.own and ctx.kind == "own"


def test_classify_keeps_the_attachment_problems() -> None:
    ctx = _ctx(inbound(attachments=[("big.xlsx", small_xlsx(), XLSX)]))
    limits = AttachmentLimits(max_attachment_bytes=10)
    classify_message(ctx, InboundDeps(NoDatabase(), options=InboundOptions(attachment_limits=limits)))
    assert ctx.problems and not ctx.extracted.workbooks


def test_notify_tells_the_team_in_order() -> None:
    told = Told()
    notices = [
        ReplyReceived(7, "1 workbook(s): a.xlsx"),
        ReviewResult(7, "high_risk", 40, (FindingSummary("x", "high_risk", "m"),)),
        Escalation(7, "the review found high-risk points"),
        TeamAlert("bounced", request_id=None),
        UnmatchedMail(42, kind="reply_workbook", subject="Our CMRT"),
    ]
    assert notify(InboundContext(notices=list(notices)), InboundDeps(NoDatabase(), notifier=told)) is None  # type: ignore[arg-type]
    assert [c[0] for c in told.calls] == [
        "reply_received", "review_result", "escalation", "team_alert", "unmatched_mail",
    ]  # fmt: skip
    assert told.calls[1][1] == ((7,), {"grade": "high_risk", "score": 40, "findings": [notices[1].findings[0]]})
    assert told.calls[-1][1] == ((42,), {"kind": "reply_workbook", "subject": "Our CMRT"})


def test_unmatched_mail_is_a_plain_alert_for_a_notifier_without_buttons() -> None:
    told = Told(plain=True)
    ctx = InboundContext(notices=[UnmatchedMail(42, kind="reply_workbook", subject="Our CMRT")])
    notify(ctx, InboundDeps(NoDatabase(), notifier=told))  # type: ignore[arg-type]
    ((name, (args, _kwargs)),) = told.calls
    assert name == "team_alert" and "#42" in args[0] and "Our CMRT" in args[0]


def test_run_stops_at_the_first_stop() -> None:
    seen: list[str] = []

    def step(name: str, flow: Flow | None = None) -> Any:
        def it(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
            seen.append(name)
            return flow

        return it

    run((step("a"), step("b", Flow.STOP), step("c")), InboundContext(), InboundDeps(NoDatabase()))
    assert seen == ["a", "b"]


def test_a_recording_step_outside_its_unit_of_work_fails_clearly() -> None:
    with pytest.raises(RuntimeError, match="unit of work"):
        _ = InboundContext().work


def test_the_pipeline_reads_top_to_bottom() -> None:
    names = []
    for step in RECEIVE:
        if isinstance(step, OneUnit):
            names += [s.__name__ for s in step.steps + step.then]
        else:
            names.append(getattr(step, "__name__", ""))
    assert names == [
        "store_raw", "classify_message", "label", "read", "match", "bounce", "route", "review_workbooks", "record",
        "plan_acknowledgment", "enqueue_acknowledgment", "settle", "acknowledge", "notify", "finish",
    ]  # fmt: skip
    assert RECEIVE[0] is store_raw  # every inbound e-mail is stored before anything else happens


class Outreach:
    """Records the queued acknowledgments and what it was asked to send; ``refuse``: nothing is recorded."""

    def __init__(self, accepted: bool, refuse: str | None = None) -> None:
        self.accepted = accepted
        self.refuse = refuse
        self.queued: list[tuple[Any, Acknowledgment]] = []
        self.sent: list[str] = []

    def queue_acknowledgment(self, session: Any, ack: Acknowledgment) -> Queued:
        self.queued.append((session, ack))
        if self.refuse:
            return Queued(ack.key, refused=self.refuse)
        record = OutboxRecord(ack.key, OutboxKind.ACKNOWLEDGMENT, ack.to_address, "bot@b.test", "<a@b>", b"")
        return Queued(ack.key, record, created=True)

    def deliver(self, queued: Queued) -> Any:
        self.sent.append(queued.key)
        return type("Sent", (), {"accepted": self.accepted, "detail": "rate limit"})()


def _in_unit(plan: Acknowledgment | None) -> InboundContext:
    ctx = InboundContext(acknowledgment=plan)
    ctx.unit = Unit(session=cast(Session, "the unit's session"), row=cast(Message, None))
    return ctx


def test_the_plan_goes_to_the_outbox_in_the_unit_and_is_sent_after_it() -> None:
    plan = Acknowledgment(request_id=3, key="ack:<m@x>", reply_to_message_id="<m@x>", to_address="a@b.test",
                          grade="accepted", accepted=True)  # fmt: skip
    refused = Outreach(accepted=False)
    deps = InboundDeps(NoDatabase(), outreach=refused)  # type: ignore[arg-type]
    ctx = _in_unit(plan)
    assert enqueue_acknowledgment(ctx, deps) is None
    assert refused.queued == [("the unit's session", plan)] and refused.sent == []  # recorded, not sent
    ctx.unit = None
    assert acknowledge(ctx, deps) is None
    assert refused.sent == ["ack:<m@x>"]
    assert ctx.problems == ["acknowledgment not sent: rate limit"]


def test_a_refused_acknowledgment_is_a_problem_and_nothing_is_sent() -> None:
    plan = Acknowledgment(request_id=3, key="ack:<m@x>", reply_to_message_id="<m@x>", to_address="a@b.test")
    outreach = Outreach(accepted=True, refuse="Acme has no contact address")
    deps = InboundDeps(NoDatabase(), outreach=outreach)  # type: ignore[arg-type]
    ctx = _in_unit(plan)
    enqueue_acknowledgment(ctx, deps)
    acknowledge(ctx, deps)
    assert ctx.queued is None and outreach.sent == []
    assert ctx.problems == ["acknowledgment not sent: Acme has no contact address"]


def test_nothing_is_queued_when_switched_off_or_not_planned() -> None:
    plan = Acknowledgment(request_id=3, key="ack:<m@x>", reply_to_message_id="<m@x>", to_address="a@b.test")
    quiet = Outreach(accepted=True)
    off = InboundDeps(NoDatabase(), outreach=quiet, options=InboundOptions(acknowledge=False))  # type: ignore[arg-type]
    on = InboundDeps(NoDatabase(), outreach=quiet)  # type: ignore[arg-type]
    for ctx, deps in ((_in_unit(plan), off), (_in_unit(None), on)):
        enqueue_acknowledgment(ctx, deps)
        acknowledge(ctx, deps)
    assert quiet.queued == [] and quiet.sent == []  # switched off, or nothing planned
