"""The recording steps: they run in one unit of work (``ctx.work``: one session, committed when they are done), so
an e-mail is recorded completely or not at all. A step returning ``Flow.STOP`` ends the recording (the unit still
commits and the acknowledgment is still planned).

label -> read -> match -> bounce -> route -> review -> record, then plan_acknowledgment; ``take_assignment`` starts
the same review when the team assigns an unmatched e-mail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.declaration import Declaration
from cmrt.outreach.replies import after_review, worst_grade
from cmrt.outreach.states import InvalidTransition, RequestState
from cmrt.review import Grade, review
from cmrt.workbook import WorkbookError, read_workbook
from handlers.acknowledgment import acknowledgment_plan
from handlers.attachment_bytes import BytesMissing, attachment_bytes
from handlers.bounces import settle_bounce
from handlers.inbound.context import (
    Escalation,
    Flow,
    InboundContext,
    InboundDeps,
    NewAddress,
    Question,
    Reading,
    ReplyReceived,
    ReviewResult,
    TeamAlert,
    UnmatchedMail,
    WorkbookFile,
)
from handlers.mail_store import StoreDirectory
from handlers.notify import review_note
from handlers.questions import hold_for_team
from mail.classify import Classification, InboundMessage, Kind, parse_inbound
from mail.loops import never_answer
from mail.matching import (
    answer_to,
    authenticate,
    authentication_values,
    company_differs,
    decide,
    match_evidence,
)
from store import audit, runtime
from store import messages as message_repo
from store import outbox as outbox_repo
from store import requests as request_repo
from store.models import AuditEvent, Message, OutboxItem, Request, Submission
from store.states import OutboxKind

log = logging.getLogger("cmbot.mail.inbound")
ACK_KINDS = (OutboxKind.ACKNOWLEDGMENT, OutboxKind.ALREADY_RECEIVED)  # what counts against max_acks_per_request


def label(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Record the classification. Stops for an e-mail recorded by an earlier run (``replay``: its request and kind
    are taken back) and for the bot's own e-mail coming back (recorded as ``own``, nothing else)."""
    row = ctx.work.row
    if ctx.replay:
        ctx.request_id, ctx.kind = row.request_id, row.classification
        return Flow.STOP
    row.classification = ctx.kind
    return Flow.STOP if ctx.own else None


def read(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Store every attachment as a submission (once per sha256) and read each workbook (``cmrt.workbook``); an
    unreadable one is recorded with its error and named in ``problems``. Not for bounces.

    Needs ``ctx.extracted``; gives ``readings`` and ``names``."""
    if _classification(ctx).kind is Kind.BOUNCE:
        return None
    s, row = ctx.work.session, ctx.work.row
    # each submission is inserted once with its reading (no flush per row, no UPDATE rewriting its bytes)
    for wb in ctx.extracted.workbooks:
        sub, _ = message_repo.add_submission(
            s, row, filename=wb.filename, content=wb.content, content_type=wb.content_type, is_workbook=True,
            flush=False, digest=wb.sha256,
        )  # fmt: skip
        ctx.readings.append(Reading(sub, read_submission(ctx, deps, sub, wb.content)))
        ctx.names.append(wb.filename)
    for other in ctx.extracted.others:
        message_repo.add_submission(
            s, row, filename=other.filename, content=other.content, content_type=other.content_type, is_workbook=False,
            flush=False, digest=other.sha256,
        )  # fmt: skip
    s.flush()
    return None


def read_submission(
    ctx: InboundContext, deps: InboundDeps, sub: Submission, content: bytes, *, again: bool = False
) -> Declaration | None:
    """Read one stored workbook and record the result on its submission; None when unreadable, or (unless
    ``again``) when this message already carried the same file."""
    if not again and (sub.declaration is not None or sub.parse_error_code is not None):
        return None  # seen before (same file in this message)
    try:
        if deps.read_ahead is not None:
            decl = deps.read_ahead.read(content, filename=sub.filename, sha256=sub.sha256)
        else:
            decl = read_workbook(
                content, filename=sub.filename, limits=deps.options.read_limits, passwords=deps.options.passwords
            )
    except WorkbookError as exc:
        sub.parse_error_code, sub.parse_error = exc.code, exc.message
        ctx.problems.append(f"{sub.filename}: {exc.message}")
        return None
    sub.declaration = decl.to_json()
    sub.detected_family = decl.template.family.value if decl.template.family else None
    sub.detected_version = decl.template.version
    return decl


def match(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Find the supplier request the e-mail answers, with levels of evidence (``mail.matching.decide``: our token or
    thread, a known contact, a known domain -- the domain only when authenticated; the company named in a workbook
    is only a *proposal* the team confirms). Every submission goes with the request.

    An unverified sender (not a known contact, not on a known domain, or failed authentication) never changes an
    accepted request: the e-mail stays unassigned, kept for the team (``held``), and the recording stops. A sender
    who is not a known contact is shown to the team (``NewAddress``); a workbook whose company clearly differs from
    the supplier gets an info note.

    Needs ``ctx.message``, ``readings``; gives ``match``, ``decision``, ``request_id`` and ``ctx.work.request``."""
    s, row = ctx.work.session, ctx.work.row
    directory = StoreDirectory(s)
    message = _message(ctx)
    auth = authenticate(authentication_values(message.msg), deps.options.trusted_authserv_id)
    if _classification(ctx).kind is Kind.BOUNCE:
        ctx.match = match_evidence(message, directory, auth)
        return None  # the bounce step finds the request through the failed addresses
    names = [r.declaration.company.name for r in ctx.readings if r.declaration is not None]
    decision = decide(
        message, directory, directory.identity, auth=auth, company_names=names,
        own_addresses=deps.options.own_addresses,
    )  # fmt: skip
    ctx.decision, found = decision, decision.match
    request = request_repo.get(s, found.request_id) if found.request_id is not None else None
    if request is not None and request.state == RequestState.ACCEPTED and not decision.verified:
        ctx.held, ctx.match = True, found
        audit.record(
            s, audit.SYSTEM, "mail.held", "message", row.id,
            {"request_id": request.id, "evidence": decision.evidence.value, "auth": decision.auth.status.value},
        )  # fmt: skip
        text = (
            f"E-mail #{row.id} carries a reply for {request.supplier.name}'s accepted request, but its sender is not "
            f"a known contact ({decision.auth.status.value} authentication). Nothing changed and nothing was sent; "
            f"the e-mail is kept. If it should count, assign it (`cmrt-bot mail assign {row.id} "
            f"{request.supplier.external_id}`)."
        )
        ctx.notices.append(TeamAlert(text, request_id=request.id))
        ctx.notices.append(UnmatchedMail(row.id, kind=_classification(ctx).kind.value,
                                         subject=message.subject[:120], proposed_request_id=request.id))  # fmt: skip
        runtime.set_value(s, proposal_key(row.id), {"request_id": request.id})
        return Flow.STOP
    ctx.match, ctx.request_id = found, found.request_id
    ctx.work.request = request
    row.request_id = found.request_id
    for sub in row.submissions:
        sub.request_id = found.request_id
    if request is None and decision.proposal is not None and decision.proposal.request_id is not None:
        runtime.set_value(s, proposal_key(row.id), {"request_id": decision.proposal.request_id})
    if request is not None and decision.supplier is not None:
        if decision.new_address is not None:
            ctx.notices.append(NewAddress(request.id, decision.supplier.supplier_id, decision.new_address,
                                          decision.verified))  # fmt: skip
        differs = sorted({n for n in names if n and company_differs(n, request.supplier.name)})
        if differs:
            ctx.notices.append(TeamAlert(
                f"Info: the workbook names its company “{differs[0][:120]}”, which clearly differs from the supplier "
                f"record “{request.supplier.name}”. Check that the right supplier answered.",
                request_id=request.id,
            ))  # fmt: skip
    return None


def proposal_key(ref: int) -> str:
    """Where the supplier proposed for unmatched e-mail ``ref`` is kept (``store.runtime``) for the Assign flow."""
    return f"mail.proposal:{ref}"


def bounce(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """A bounce changes a contact only when it names an e-mail the bot sent (its VERP address or our Message-ID,
    ``handlers.bounces``): a permanent failure marks that e-mail's recipient as bouncing and the team is told on
    its request. Any other bounce is shown to the team as unverified and changes nothing. Ends the recording of a
    bounce; other e-mails pass."""
    result = _classification(ctx)
    if result.kind is not Kind.BOUNCE:
        return None
    assert ctx.message is not None
    settled = settle_bounce(
        ctx.work.session, ctx.work.row, ctx.message.msg, result,
        matched_request_id=ctx.match.request_id if ctx.match is not None else None,
        bounce_bases=(deps.options.bounce_address, *deps.options.own_addresses), now=deps.clock(),
    )  # fmt: skip
    ctx.request_id = settled.request_id
    for text, rid in settled.alerts:
        ctx.notices.append(TeamAlert(text, request_id=rid))
    return Flow.STOP


def route(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Audit the e-mail's arrival, then send it its way: unmatched, the team is asked to assign it; an auto-reply
    is only recorded; a question moves the request to ``awaiting_team`` and goes to the team with its text
    (``handlers.questions``), a link goes to the team; a reply with workbooks goes on to the review."""
    result, row = _classification(ctx), ctx.work.row
    audit.record(
        ctx.work.session, audit.SYSTEM, "mail.received", "message", row.id,
        {"kind": result.kind.value, "match": ctx.match.method.value if ctx.match else None,
         "request_id": ctx.request_id, "workbooks": len(ctx.extracted.workbooks),
         "others": len(ctx.extracted.others)},
    )  # fmt: skip
    request = ctx.work.request
    if request is None:
        proposal = ctx.decision.proposal if ctx.decision is not None else None
        proposed = proposal.request_id if proposal is not None else None
        ctx.notices.append(UnmatchedMail(row.id, kind=result.kind.value, subject=_message(ctx).subject[:120],
                                         proposed_request_id=proposed))  # fmt: skip
        return Flow.STOP
    if result.kind is Kind.AUTO_REPLY:
        return Flow.STOP
    if result.kind is Kind.QUESTION:  # the request waits for the team's answer; the thread shows the question
        text = hold_for_team(ctx.work.session, request, _message(ctx).text, deps.clock())
        ctx.notices.append(Question(request.id, text))
        return Flow.STOP
    if result.kind is Kind.REPLY_WITH_LINK:
        summary = "a link to a published CMRT"
        links = ", ".join(result.links[:3])
        text = f"The supplier replied with {summary}{': ' + links if links else ''}; please answer."
        ctx.notices += [ReplyReceived(request.id, summary), TeamAlert(text, request_id=request.id)]
        return Flow.STOP
    return None


def review_workbooks(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Review each workbook read (``cmrt.review`` with the request's review context); the same file seen before
    keeps its earlier review. Needs ``readings`` and ``ctx.work.request``; gives ``grades``, ``worst``, ``score`` and
    the ``summaries`` the team's note shows."""
    s, request = ctx.work.session, _request(ctx)
    context = deps.review_context(s, request, deps.clock().date())
    for reading in ctx.readings:
        sub, decl = reading.submission, reading.declaration
        if decl is None:
            continue
        earlier = [x for x in message_repo.submissions_with_sha256(s, sub.sha256) if x.id != sub.id and x.reviews]
        if earlier:  # the same file again: reuse its review
            prior = earlier[-1].reviews[-1]
            grade = Grade(prior.grade)
            message_repo.add_review(
                s, sub, grade=prior.grade, catalogue_version=prior.catalogue_version, findings=prior.findings,
                score=prior.score, rmap_date=prior.rmap_date,
            )  # fmt: skip
        else:
            res = review(decl, context)
            grade = res.grade
            message_repo.add_review(
                s, sub, grade=res.grade.value, catalogue_version=res.catalogue_version,
                findings=[f.to_json() for f in res.findings], score=res.score, rmap_date=res.rmap_date,
            )  # fmt: skip
            ctx.summaries += review_note(res.findings)
            ctx.score = res.score if ctx.score is None else min(ctx.score, res.score)
        ctx.grades.append(grade)
    ctx.worst = worst_grade(ctx.grades)
    return None


def record(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Move the request: responded, then where the worst grade leads (``cmrt.outreach.replies.after_review``: accepted,
    clarification requested, escalated; nothing readable asks for a readable file). A closed request keeps its
    state. The team is told of the reply, the review and an escalation."""
    s, request = ctx.work.session, _request(ctx)
    now = deps.clock()
    ctx.notices.append(ReplyReceived(request.id, f"{len(ctx.names)} workbook(s): {', '.join(ctx.names)}"))
    files = [WorkbookFile(request.id, r.submission.id) for r in ctx.readings]  # told last: the thread shows them
    if request.state != RequestState.RESPONDED:
        _move(s, request, RequestState.RESPONDED, now, "a workbook arrived")
    decision = after_review(ctx.worst)
    _move(s, request, decision.state, now, decision.reason)
    if ctx.worst is None:
        ctx.notices += files
        return None
    if decision.stop_chasing:
        request.next_due_at = None
    ctx.notices.append(ReviewResult(request.id, ctx.worst.value, ctx.score, tuple(ctx.summaries)))
    if decision.escalate:
        ctx.notices.append(Escalation(request.id, reason="the review found high-risk points"))
    ctx.notices += files
    return None


def take_assignment(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """The team assigned a stored, unmatched e-mail to request ``ctx.request_id`` (by ``ctx.actor``): audited, its
    submissions go with the request, and the workbooks not yet reviewed are read again. Stops when there is none."""
    s, row = ctx.work.session, ctx.work.row
    request = request_repo.get(s, ctx.request_id) if ctx.request_id is not None else None
    if request is None:
        raise ValueError("no such e-mail or request")
    ctx.work.request = request
    ctx.message = parse_inbound(message_repo.raw_bytes(s, row))
    ctx.message_id, ctx.row_id, ctx.kind = row.message_id, row.id, row.classification
    row.request_id = request.id
    audit.record(s, ctx.actor or audit.SYSTEM, "mail.assigned", "message", row.id, {"request_id": request.id})
    for sub in row.submissions:
        sub.request_id = request.id
        if sub.is_workbook and not sub.reviews:
            try:
                content = attachment_bytes(s, sub, parsed=ctx.message.msg)
            except BytesMissing:
                log.warning("submission %s of message %s: its bytes are no longer stored", sub.id, row.id)
                continue
            ctx.readings.append(Reading(sub, read_submission(ctx, deps, sub, content, again=True)))
            ctx.names.append(sub.filename)
    return None if ctx.readings else Flow.STOP


def plan_acknowledgment(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Plan the acknowledgment (``handlers.acknowledgment``: the grade and the findings to fix) from what is stored,
    so a replay plans the same one. None for the bot's own e-mail and for a robot's."""
    machine = ctx.classification is not None and ctx.classification.machine
    if ctx.own or machine or ctx.held:
        return None
    s, row, message = ctx.work.session, ctx.work.row, _message(ctx)
    if never_answer(message.msg):  # a robot or a list: never answered (mail.loops)
        return None
    plan = acknowledgment_plan(row, message, ctx.problems)
    if plan is None:
        return None
    recipients = _recipients(ctx, deps, s, row, message)
    if not recipients:
        return None
    key = plan.key
    if _twin(s, row):
        key = f"{key}#{row.raw_sha256[:12]}"  # another e-mail used this Message-ID too
    plan = dataclasses.replace(plan, key=key, to_address=recipients[0])
    subs = [x for x in row.submissions if x.is_workbook]
    if subs and all(_seen_before(s, row, x) for x in subs):  # the same workbook again: one short answer, then silence
        digest = hashlib.sha256("".join(sorted(x.sha256 for x in subs)).encode()).hexdigest()[:32]
        key = f"ack:again:r{plan.request_id}:{digest}"
        if outbox_repo.get_by_key(s, key) is not None:
            return None
        plan = dataclasses.replace(plan, key=key, grade=None, score=None, findings=[], accepted=False, problems=[])
    if outbox_repo.get_by_key(s, plan.key) is None and not _ack_budget_left(ctx, deps, s, plan.request_id):
        return None
    ctx.acknowledgment = plan
    return None


def _recipients(
    ctx: InboundContext, deps: InboundDeps, s: Session, row: Message, message: InboundMessage
) -> tuple[str, ...]:
    """Who the acknowledgment goes to: never anyone outside the supplier's contacts and known domains."""
    decision = ctx.decision
    if decision is not None and decision.match.request_id == row.request_id and decision.supplier is not None:
        return decision.ack_to
    if row.request_id is None:
        return ()
    supplier = StoreDirectory(s).identity(row.request_id)  # assigned by the team, or a replay
    if supplier is None:
        return ()
    auth = authenticate(authentication_values(message.msg), deps.options.trusted_authserv_id)
    return answer_to(message, supplier, auth, deps.options.own_addresses)[1]


def _twin(s: Session, row: Message) -> bool:
    """Another stored e-mail (older or newer) has this one's Message-ID."""
    stmt = sa.select(Message.id).where(Message.message_id == row.message_id, Message.id != row.id).limit(1)
    return s.scalar(stmt) is not None


def _seen_before(s: Session, row: Message, sub: Submission) -> bool:
    """The same file (sha256) came before in another e-mail for the same request and was reviewed."""
    return any(
        x.id != sub.id and x.message_id != row.id and x.request_id == row.request_id and x.reviews
        for x in message_repo.submissions_with_sha256(s, sub.sha256)
    )


def _ack_budget_left(ctx: InboundContext, deps: InboundDeps, s: Session, request_id: int) -> bool:
    """At most ``max_acks_per_request`` acknowledgments per request in 24 hours; the team is told once a day when
    the limit trips (a loop, or a very busy supplier)."""
    limit = deps.options.max_acks_per_request
    since = deps.clock() - dt.timedelta(days=1)
    sent = s.scalar(
        sa.select(sa.func.count()).select_from(OutboxItem).where(
            OutboxItem.request_id == request_id, OutboxItem.kind.in_(ACK_KINDS),
            OutboxItem.created_at >= since,
        )
    )  # fmt: skip
    if limit <= 0 or int(sent or 0) < limit:
        return True
    told = s.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "mail.ack_limit", AuditEvent.subject_id == str(request_id), AuditEvent.at >= since,
        )
    )  # fmt: skip
    if not told:
        audit.record(s, audit.SYSTEM, "mail.ack_limit", "request", request_id, {"limit": limit})
        ctx.notices.append(TeamAlert(
            f"This request got {limit} acknowledgments in a day (a mail loop, or a very busy supplier); further "
            "replies are recorded and reviewed but not answered until tomorrow.",
            request_id=request_id,
        ))  # fmt: skip
    return False


def _move(s: Session, request: Request, target: RequestState, now: dt.datetime, reason: str) -> None:
    """Transition when the state machine allows it (a closed request keeps its state; the reply is recorded)."""
    try:
        request_repo.transition(s, request, target, now=now, reason=reason)
    except InvalidTransition:
        log.info("request %s stays %s (a reply cannot move it to %s)", request.id, request.state, target)


def _classification(ctx: InboundContext) -> Classification:
    if ctx.classification is None:
        raise RuntimeError("the e-mail was not classified (classify_message runs first)")
    return ctx.classification


def _message(ctx: InboundContext) -> InboundMessage:
    if ctx.message is None:
        raise RuntimeError("the e-mail was not parsed (store_raw runs first)")
    return ctx.message


def _request(ctx: InboundContext) -> Request:
    if ctx.work.request is None:
        raise RuntimeError("no request to review for (match or take_assignment runs first)")
    return ctx.work.request
