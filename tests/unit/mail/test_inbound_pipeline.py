"""The inbound pipeline's steps that need no database: classification, telling the team, the runner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from handlers.inbound import RECEIVE, InboundContext, InboundDeps, InboundOptions
from handlers.inbound.context import (
    Escalation,
    Flow,
    ReplyReceived,
    ReviewResult,
    TeamAlert,
    UnmatchedMail,
)
from handlers.inbound.pipeline import OneUnit, run
from handlers.inbound.receive import classify_message, store_raw
from handlers.inbound.tell import notify
from handlers.notify import FindingSummary
from mail.attachments import AttachmentLimits
from mail.classify import Kind, parse_inbound
from tests.unit.mail.helpers import XLSX, inbound, small_xlsx


class NoDatabase:
    def session(self) -> Any:
        raise AssertionError("this step must not touch the database")


class Told:
    """A notifier that records what it is told (without ``unmatched_mail``: the plain alert is used)."""

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
        self.calls.append(("review_result", (request_id, grade, score, len(findings))))

    def clarification_sent(self, request_id: int, *, actor: str | None = None) -> None:
        self.calls.append(("clarification_sent", request_id))

    def escalation(self, request_id: int, *, reason: str) -> None:
        self.calls.append(("escalation", request_id))

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        self.calls.append(("team_alert", (request_id, text)))


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


def test_notify_tells_the_team_in_order_and_unmatched_mail_as_a_plain_alert() -> None:
    told = Told()
    ctx = InboundContext(
        notices=[
            ReplyReceived(7, "1 workbook(s): a.xlsx"),
            ReviewResult(7, "high_risk", 40, (FindingSummary("x", "high_risk", "m"),)),
            Escalation(7, "the review found high-risk points"),
            TeamAlert("bounced", request_id=None),
            UnmatchedMail(42, kind="reply_workbook", subject="Our CMRT"),
        ]
    )
    assert notify(ctx, InboundDeps(NoDatabase(), notifier=told)) is None
    assert [c[0] for c in told.calls] == ["reply_received", "review_result", "escalation", "team_alert", "team_alert"]
    assert told.calls[1][1] == (7, "high_risk", 40, 1)
    assert "#42" in told.calls[-1][1][1] and "Our CMRT" in told.calls[-1][1][1]


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
        "plan_acknowledgment", "acknowledge", "notify", "finish",
    ]  # fmt: skip
    assert RECEIVE[0] is store_raw  # every inbound e-mail is stored before anything else happens
