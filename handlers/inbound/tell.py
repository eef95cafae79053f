"""The steps at the end: inside the unit of work record the acknowledgment in the outbox (``enqueue_acknowledgment``)
and mark the e-mail processed (``settle``); after the commit send the acknowledgment, tell the team, mark the e-mail
processed where no ``settle`` ran (``finish``); and quarantine, when a step failed."""

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


def enqueue_acknowledgment(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Inside the unit of work: record the planned acknowledgment in the outbox under ``ack:<Message-ID>`` (a
    replay never sends it twice), so the reply, its review, the acknowledgment and the processed state are one
    commit (the transactional outbox); ``acknowledge`` sends it after the commit. A refusal (nobody to write to, an
    unsafe header) is a ``problem``, not an error."""
    ack = ctx.acknowledgment
    if ack is None or deps.outreach is None or not deps.options.acknowledge:
        return None
    ctx.queued = deps.outreach.queue_acknowledgment(ctx.work.session, ack)
    if ctx.queued.refused is not None:
        ctx.problems.append(f"acknowledgment not sent: {ctx.queued.refused}")
        ctx.queued = None
    return None


def acknowledge(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """After the commit: send the acknowledgment recorded in the outbox (or leave it to the outbox loop: rate limit,
    a passing error); a failure is a ``problem``, not an error (the outbox keeps it)."""
    if ctx.queued is None or deps.outreach is None:
        return None
    try:
        sent = deps.outreach.deliver(ctx.queued)
    except Exception as exc:  # recorded and committed: the outbox loop sends it (or settles it after a crash)
        log.warning("acknowledgment %s: not sent now (%s); the outbox sends it", ctx.queued.key, type(exc).__name__)
        ctx.problems.append(f"acknowledgment queued, not sent yet: {type(exc).__name__}")
        return None
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
    """Last in the unit of work, after the acknowledgment went to the outbox: mark the e-mail processed in that same
    unit (one commit records it all; a run that stops after it finds the acknowledgment in the outbox)."""
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
