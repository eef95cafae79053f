"""The steps at the end: mark the e-mail processed in the unit of work when nothing is left to send (``settle``);
after the commit acknowledge the reply, tell the team, mark the e-mail processed if ``settle`` could not; and
quarantine, when a step failed."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from handlers.inbound.context import (
    Escalation,
    Flow,
    InboundContext,
    InboundDeps,
    NewAddress,
    Notice,
    Question,
    ReplyReceived,
    ReviewResult,
    TeamAlert,
    UnmatchedMail,
    WorkbookFile,
)
from handlers.notify import (
    Notifier,
    alert_new_address,
    alert_quarantined,
    alert_unmatched,
    share_workbook,
    tell_question,
)
from mail.imap import Disposition
from store import messages as message_repo
from store.models import Message
from store.states import MessageState

log = logging.getLogger("cmbot.mail.inbound")


def acknowledge(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Send the planned acknowledgment in the supplier's thread, through the outbox under ``ack:<Message-ID>`` (a
    replay never sends it twice); a failure is a ``problem``, not an error."""
    ack = ctx.acknowledgment
    if ack is None or deps.outreach is None or not deps.options.acknowledge:
        return None
    sent = deps.outreach.send_acknowledgment(
        ack.request_id, key=ack.key, reply_to_message_id=ack.reply_to_message_id,
        reply_references=ack.reply_references, to_address=ack.to_address, filenames=ack.filenames,
        grade=ack.grade, score=ack.score, findings=ack.findings, accepted=ack.accepted, problems=ack.problems,
        already_received_at=ack.already_received_at,
    )  # fmt: skip
    if not sent.accepted:
        ctx.problems.append(f"acknowledgment not sent: {sent.detail}")
    return None


def notify(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Tell the team (the injected ``Notifier``) what was recorded, in order."""
    for notice in ctx.notices:
        tell(deps.notifier, notice)
    return None


def tell(notifier: Notifier, notice: Notice) -> None:
    match notice:
        case ReplyReceived(request_id, summary):
            notifier.reply_received(request_id, summary=summary)
        case ReviewResult(request_id, grade, score, findings):
            notifier.review_result(request_id, grade=grade, score=score, findings=list(findings))
        case Escalation(request_id, reason):
            notifier.escalation(request_id, reason=reason)
        case TeamAlert(text, request_id):
            notifier.team_alert(text, request_id=request_id)
        case UnmatchedMail(ref, kind, subject, proposed):
            alert_unmatched(notifier, ref, kind=kind, subject=subject, proposed_request_id=proposed)
        case NewAddress(request_id, supplier_id, address, verified):
            alert_new_address(notifier, request_id, supplier_id=supplier_id, address=address, verified=verified)
        case Question(request_id, text):
            tell_question(notifier, request_id, text)
        case WorkbookFile(request_id, submission_id):
            share_workbook(notifier, request_id, submission_id)


def settle(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Inside the unit of work, after the acknowledgment is planned: when nothing is left to send, mark the e-mail
    processed in that same unit (one commit records it all). An e-mail with an acknowledgment to send is marked by
    ``finish`` only after it went to the outbox, so a run that stops before that sends it on the replay."""
    if ctx.acknowledgment is not None and deps.outreach is not None and deps.options.acknowledge:
        return None
    ctx.work.row.state = MessageState.PROCESSED
    ctx.processed = True
    return None


def finish(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Mark the e-mail processed (the mailbox moves it to the processed folder), unless ``settle`` did already."""
    if not ctx.processed:
        with deps.db.session() as s:
            row = _row(s, ctx)
            if row is not None:
                row.state = MessageState.PROCESSED
        ctx.processed = True
    ctx.disposition = Disposition.PROCESSED
    return None


def quarantine(ctx: InboundContext, deps: InboundDeps, exc: Exception) -> None:
    """A step failed after the e-mail was stored: keep it in quarantine with the error, and tell the team."""
    log.exception("inbound message could not be handled; quarantined")
    with deps.db.session() as s:
        row = _row(s, ctx)
        if row is not None:
            row.state = MessageState.QUARANTINED
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
    alert_quarantined(deps.notifier, ctx.row_id, reason=type(exc).__name__)


def _row(s: Session, ctx: InboundContext) -> Message | None:
    if ctx.row_id is not None:
        return message_repo.get(s, ctx.row_id)
    return message_repo.get_by_message_id(s, ctx.message_id)
