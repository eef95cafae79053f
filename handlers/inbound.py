"""The reaction to one inbound e-mail: store raw -> classify -> extract -> match -> read -> review -> record ->
acknowledge -> notify. ``InboundProcessor`` is the handler the IMAP watcher and the Maildir source call.

1. The raw bytes are stored first (``messages``, unique Message-ID), committed: nothing is ever lost. A message
   already PROCESSED or QUARANTINED returns that disposition at once (idempotent re-delivery).
2. One unit of work records the outcome: classification, the matched request, every attachment as a
   ``submission`` (once per sha256), each workbook read (``cmrt.workbook.read_workbook``) and reviewed
   (``cmrt.review.review``), the request moved (responded, then accepted / clarification_requested / escalated;
   a corrected workbook after acceptance restarts the review), bounces mark the contact bouncing.
3. The acknowledgment goes back in the same thread (grade and the findings to fix) through the outbox under the
   key ``ack:<Message-ID>`` -- a replay after a crash never sends it twice.
4. The team is told through the ``Notifier``; then the message is marked PROCESSED.

Anything that goes wrong after step 1 quarantines the message (state QUARANTINED with the error, the team told),
and the watcher moves it to the quarantine folder. A replay of a message whose step 2 had committed (crash before
PROCESSED) skips the recording and finishes steps 3-4.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from cmrt.outreach.states import InvalidTransition, RequestState
from cmrt.review import Grade, ReviewContext, review
from cmrt.workbook import WorkbookError, read_workbook
from cmrt.workbook.errors import ReadLimits
from handlers.acknowledgment import GRADE_ORDER, acknowledgment_plan
from handlers.mail_store import StoreDirectory
from handlers.notify import FindingSummary, Notifier, NullNotifier, alert_unmatched, review_note
from handlers.outreach_mail import MailOutreach
from mail.attachments import AttachmentLimits, Extracted, extract_attachments
from mail.classify import Classification, InboundMessage, Kind, classify, parse_inbound
from mail.imap import Disposition, FetchedMessage
from mail.matching import Match, match_company, match_headers
from store import audit
from store import messages as message_repo
from store import requests as request_repo
from store import suppliers as supplier_repo
from store.engine import SessionSource
from store.models import Message, Request, Submission
from store.states import Direction, MessageState

log = logging.getLogger("cmbot.mail.inbound")

RS = RequestState
ContextFactory = Callable[[Session, Request | None, dt.date], ReviewContext]


@dataclass(frozen=True)
class InboundOptions:
    """How inbound mail is handled: the bot's own addresses, size limits, workbook passwords (``bot/`` fills it)."""

    own_addresses: tuple[str, ...] = ()  # the bot's own addresses: mail from them is never answered
    attachment_limits: AttachmentLimits = field(default_factory=AttachmentLimits)
    read_limits: ReadLimits | None = None
    passwords: tuple[str, ...] = ()  # extra workbook passwords to try (VelvetSweatshop is always tried)
    acknowledge: bool = True


@dataclass
class Outcome:
    message_id: str
    disposition: Disposition
    kind: str | None = None
    request_id: int | None = None
    match_method: str | None = None
    grades: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    replayed: bool = False


def default_context(session: Session, request: Request | None, today: dt.date) -> ReviewContext:
    if request is None:
        return ReviewContext(today=today)
    c = request.campaign
    return ReviewContext(
        today=today,
        required_family=c.template_family,
        min_version=c.min_template_version,
        requested_scope=c.scope,
        reporting_year=c.year,
    )


class InboundProcessor:
    def __init__(
        self,
        db: SessionSource,
        *,
        outreach: MailOutreach | None = None,
        notifier: Notifier | None = None,
        options: InboundOptions | None = None,
        review_context: ContextFactory = default_context,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.db = db
        self.outreach = outreach
        self.notifier = notifier or NullNotifier()
        self.options = options or InboundOptions()
        self.review_context = review_context
        self.clock = clock
        self.own = {a.lower() for a in self.options.own_addresses}

    def __call__(self, fetched: FetchedMessage) -> Disposition:
        return self.process(fetched.raw, folder=fetched.folder, uid=fetched.uid).disposition

    def process(self, raw: bytes, *, folder: str | None = None, uid: int | None = None) -> Outcome:
        try:
            message: InboundMessage | None = parse_inbound(raw)
        except Exception:  # unparseable bytes are still stored, then quarantined
            log.exception("inbound message could not be parsed")
            message = None
        with self.db.session() as s:  # 1. nothing is lost
            stored, _created = message_repo.add(
                s,
                direction=Direction.IN,
                message_id=message.message_id if message else None,
                raw=raw,
                subject=message.subject[:998] if message else None,
                from_address=message.from_address if message else None,
                to_addresses=message.to_addresses if message else [],
                in_reply_to=" ".join(message.in_reply_to) or None if message else None,
                references=" ".join(message.references) or None if message else None,
                received_at=self.clock(),
                imap_folder=folder,
                imap_uid=uid,
                state=MessageState.RECEIVED if message else MessageState.QUARANTINED,
            )
            mid, state, done = stored.message_id, MessageState(stored.state), stored.classification is not None
        if message is None:
            self.notifier.team_alert("An inbound e-mail could not be parsed at all; it is kept in quarantine.")
            return Outcome(mid, Disposition.QUARANTINE)
        if state == MessageState.PROCESSED:
            return Outcome(mid, Disposition.PROCESSED, replayed=True)
        if state == MessageState.QUARANTINED:
            return Outcome(mid, Disposition.QUARANTINE, replayed=True)
        try:
            return self._handle(mid, message, replay=done)
        except Exception as exc:
            log.exception("inbound message could not be handled; quarantined")
            with self.db.session() as s:
                row = message_repo.get_by_message_id(s, mid)
                if row is not None:
                    row.state = MessageState.QUARANTINED
                    row.error = f"{type(exc).__name__}: {exc}"[:2000]
            self.notifier.team_alert(
                f"An inbound e-mail could not be handled ({type(exc).__name__}); it is in quarantine for a person "
                "to check."
            )
            return Outcome(mid, Disposition.QUARANTINE, problems=[str(exc)])

    def assign(self, message_id: str, request_id: int, *, actor: str) -> Outcome:
        """The team assigned an unmatched e-mail to a request: review its workbooks, acknowledge, notify."""
        notes: list[Callable[[], None]] = []
        with self.db.session() as s:
            row = message_repo.get_by_message_id(s, message_id)
            request = request_repo.get(s, request_id)
            if row is None or request is None:
                raise ValueError("no such e-mail or request")
            message = parse_inbound(row.raw)
            outcome = Outcome(row.message_id, Disposition.PROCESSED, kind=row.classification, request_id=request_id)
            row.request_id = request_id
            audit.record(s, actor, "mail.assigned", "message", row.id, {"request_id": request_id})
            declarations: list[tuple[Submission, Any]] = []
            for sub in row.submissions:
                sub.request_id = request_id
                if sub.is_workbook and sub.content is not None and not sub.reviews:
                    declarations.append((sub, self._read(sub, sub.content, outcome, again=True)))
            if declarations:
                names = [sub.filename for sub, _ in declarations]
                self._review_all(s, request, declarations, names, outcome, notes)
            ack = acknowledgment_plan(row, message, outcome.problems)
        if ack is not None and self.outreach is not None and self.options.acknowledge:
            self.outreach.send_acknowledgment(**ack)
        for note in notes:
            note()
        return outcome

    # -- steps 2-4 ------------------------------------------------------------------------------------------
    def _handle(self, mid: str, message: InboundMessage, *, replay: bool) -> Outcome:
        extracted = extract_attachments(message.msg, self.options.attachment_limits)
        result = classify(message, has_workbook=extracted.has_workbook)
        own = message.from_address in self.own if message.from_address else False
        outcome = Outcome(mid, Disposition.PROCESSED, kind=result.kind.value, problems=list(extracted.problems))
        notes: list[Callable[[], None]] = []
        with self.db.session() as s:
            row = message_repo.get_by_message_id(s, mid)
            assert row is not None
            if own and not replay:  # our own e-mail came back (a loop, a copy): recorded, nothing else
                row.classification = "own"
                outcome.kind = "own"
            elif not replay:
                self._record(s, row, message, result, extracted, outcome, notes)
            else:
                outcome.request_id = row.request_id
                outcome.kind = row.classification
            ack = None if own or result.machine else acknowledgment_plan(row, message, outcome.problems)
        if ack is not None and self.outreach is not None and self.options.acknowledge:
            sent = self.outreach.send_acknowledgment(**ack)
            if not sent.accepted:
                outcome.problems.append(f"acknowledgment not sent: {sent.detail}")
        for note in notes:
            note()
        with self.db.session() as s:
            row = message_repo.get_by_message_id(s, mid)
            if row is not None:
                row.state = MessageState.PROCESSED
        return outcome

    def _record(
        self,
        s: Session,
        row: Message,
        message: InboundMessage,
        result: Classification,
        extracted: Extracted,
        outcome: Outcome,
        notes: list[Callable[[], None]],
    ) -> None:
        directory = StoreDirectory(s)
        match = match_headers(message, directory)
        row.classification = result.kind.value
        if result.kind is Kind.BOUNCE:
            self._bounce(s, row, result, match, outcome, notes)
            return
        declarations: list[tuple[Submission, Any]] = []
        for wb in extracted.workbooks:
            sub, _ = message_repo.add_submission(
                s, row, filename=wb.filename, content=wb.content, content_type=wb.content_type, is_workbook=True
            )
            declarations.append((sub, self._read(sub, wb.content, outcome)))
        for other in extracted.others:
            message_repo.add_submission(
                s,
                row,
                filename=other.filename,
                content=other.content,
                content_type=other.content_type,
                is_workbook=False,
            )
        if not match.matched:
            for _sub, decl in declarations:
                if decl is not None:
                    match = match_company(decl.company.name, directory)
                    if match.matched:
                        break
        request = request_repo.get(s, match.request_id) if match.request_id is not None else None
        outcome.request_id, outcome.match_method = match.request_id, match.method.value
        row.request_id = match.request_id
        for sub, _decl in declarations:
            sub.request_id = match.request_id
        for sub in row.submissions:
            sub.request_id = match.request_id
        audit.record(
            s,
            audit.SYSTEM,
            "mail.received",
            "message",
            row.id,
            {"kind": result.kind.value, "match": match.method.value, "request_id": match.request_id,
             "workbooks": len(extracted.workbooks), "others": len(extracted.others)},
        )  # fmt: skip
        if request is None:
            subject, ref, kind = message.subject[:120], row.id, result.kind.value
            notes.append(lambda: alert_unmatched(self.notifier, ref, kind=kind, subject=subject))
            return
        rid = request.id
        if result.kind is Kind.AUTO_REPLY:
            return
        if result.kind in (Kind.QUESTION, Kind.REPLY_WITH_LINK):
            summary = "no workbook, a question" if result.kind is Kind.QUESTION else "a link to a published CMRT"
            links = ", ".join(result.links[:3])
            text = f"The supplier replied with {summary}{': ' + links if links else ''}; please answer."
            notes.append(lambda: self.notifier.reply_received(rid, summary=summary))
            notes.append(lambda: self.notifier.team_alert(text, request_id=rid))
            return
        self._review_all(s, request, declarations, [w.filename for w in extracted.workbooks], outcome, notes)

    def _read(self, sub: Submission, content: bytes, outcome: Outcome, *, again: bool = False) -> Any:
        if not again and (sub.declaration is not None or sub.parse_error_code is not None):
            return None  # seen before (same file in this message)
        try:
            decl = read_workbook(
                content, filename=sub.filename, limits=self.options.read_limits, passwords=self.options.passwords
            )
        except WorkbookError as exc:
            sub.parse_error_code, sub.parse_error = exc.code, exc.message
            outcome.problems.append(f"{sub.filename}: {exc.message}")
            return None
        sub.declaration = decl.to_json()
        sub.detected_family = decl.template.family.value if decl.template.family else None
        sub.detected_version = decl.template.version
        return decl

    def _review_all(
        self,
        s: Session,
        request: Request,
        declarations: Sequence[tuple[Submission, Any]],
        names: Sequence[str],
        outcome: Outcome,
        notes: list[Callable[[], None]],
    ) -> None:
        rid = request.id
        now = self.clock()
        context = self.review_context(s, request, now.date())
        worst: Grade | None = None
        summaries: list[FindingSummary] = []
        score: int | None = None
        for sub, decl in declarations:
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
                summaries += review_note(res.findings)
                score = res.score if score is None else min(score, res.score)
            outcome.grades.append(grade.value)
            worst = grade if worst is None or GRADE_ORDER.index(grade) > GRADE_ORDER.index(worst) else worst
        summary = f"{len(names)} workbook(s): {', '.join(names)}"
        notes.append(lambda: self.notifier.reply_received(rid, summary=summary))
        if request.state != RS.RESPONDED:
            _move(s, request, RS.RESPONDED, now, "a workbook arrived")
        if worst is None:  # nothing readable: ask for a readable file
            _move(s, request, RS.CLARIFICATION_REQUESTED, now, "workbook unreadable")
            return
        target = {
            Grade.ACCEPTED: RS.ACCEPTED,
            Grade.NEEDS_CLARIFICATION: RS.CLARIFICATION_REQUESTED,
            Grade.REJECTED: RS.CLARIFICATION_REQUESTED,
            Grade.HIGH_RISK: RS.ESCALATED,
        }[worst]
        _move(s, request, target, now, f"review grade {worst.value}")
        request.next_due_at = None if target in (RS.ACCEPTED, RS.ESCALATED) else request.next_due_at
        grade_value, final_score = worst.value, score
        notes.append(lambda: self.notifier.review_result(rid, grade=grade_value, score=final_score, findings=summaries))
        if worst is Grade.HIGH_RISK:
            notes.append(lambda: self.notifier.escalation(rid, reason="the review found high-risk points"))

    def _bounce(
        self,
        s: Session,
        row: Message,
        result: Classification,
        match: Match,
        outcome: Outcome,
        notes: list[Callable[[], None]],
    ) -> None:
        request_ids: set[int] = {match.request_id} if match.request_id is not None else set()
        marked = 0
        for address in result.failed_addresses:
            for contact in supplier_repo.contacts_by_email(s, address):
                if not result.temporary:
                    supplier_repo.mark_contact_bouncing(contact, "; ".join(result.reasons), self.clock())
                    marked += 1
                request_ids.update(StoreDirectory(s)._open_for_suppliers([contact.supplier_id])[:1])
        row.request_id = match.request_id if match.request_id is not None else next(iter(request_ids), None)
        outcome.request_id = row.request_id
        audit.record(
            s, audit.SYSTEM, "mail.bounce", "message", row.id,
            {"temporary": result.temporary, "contacts_marked": marked, "addresses": len(result.failed_addresses)},
        )  # fmt: skip
        what = "was delayed" if result.temporary else "bounced; the contact is marked as failing"
        text = f"An e-mail to a supplier contact {what}. Please check the address."
        targets: list[int | None] = list(sorted(request_ids)) or [None]
        for rid in targets:
            notes.append(partial(self.notifier.team_alert, text, request_id=rid))


def _move(s: Session, request: Request, target: RequestState, now: dt.datetime, reason: str) -> None:
    """Transition when the state machine allows it (a closed request keeps its state; the reply is recorded)."""
    try:
        request_repo.transition(s, request, target, now=now, reason=reason)
    except InvalidTransition:
        log.info("request %s stays %s (a reply cannot move it to %s)", request.id, request.state, target)
