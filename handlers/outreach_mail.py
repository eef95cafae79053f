"""Sending supplier e-mails through the outbox: the typed API the scheduler, Slack and the inbound handler use.

Scheduler (implements ``handlers.ticks.OutboundMail``; the ticker moves the request's state itself)::

    mail = MailOutreach(db, outbox, templates=MailTemplates(cfg_dir), sender=SenderIdentity(...), notifier=n)
    mail.send_request(request_id, key="c3:r17:request")                      -> MailResult
    mail.send_reminder(request_id, key="c3:r17:reminder:2", number=2)       -> MailResult
    mail.send_clarification_followup(request_id, key="...", number=1)       -> MailResult

Slack (``SlackOutreach(mail)`` implements ``handlers.slack.deps.Outreach``; it also moves the request's state)::

    SlackOutreach(mail).send_reminder(request_id, actor="U123")             -> OutreachResult
    SlackOutreach(mail).send_clarification(request_id, body=text, actor="U123")
    SlackOutreach(mail).send_answer(request_id, body=text, actor="U123")   # in the question's mail thread
    SlackOutreach(mail).send_request(request_id, actor="U123")             # *Send now*

Inbound handler: ``mail.queue_acknowledgment(session, ack)`` inside the unit of work that records the reply (the
transactional outbox: the acknowledgment is recorded in the same commit), ``mail.deliver(queued)`` after the commit;
``mail.send_acknowledgment(request_id, key=..., reply_to_message_id=..., ...)`` does both in a unit of its own.

Every call renders the e-mail (templates, token in the subject, stable Message-ID from ``key``, threaded under the
request's first e-mail), records it in the outbox under ``key`` (a repeat with the same key is a no-op) and then
tries to send it at once (unless the rate limit is used up: then ``run_outbox`` sends it, and the caller never
waits). ``MailResult.accepted`` is True once the e-mail is recorded (a 4xx is retried later by
``run_outbox``); a 5xx gives ``accepted=False, permanent=True`` after the contact was marked as bouncing and the team
told. Start-up must call ``outbox.recover()`` once before sending (``run_outbox`` does).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import logging
import pathlib
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy.orm import Session

from cmrt.declaration import split_families
from cmrt.outreach import keys
from cmrt.outreach.states import RequestState
from handlers.acknowledgment import Acknowledgment
from handlers.findings import still_standing, supplier_points
from handlers.mail_store import StoreOutboxRepository
from handlers.notify import Notifier, NullNotifier, alert_uncertain
from handlers.outreach_state import missing_families, record_reminder
from handlers.slack.deps import OutreachResult
from handlers.ticks import MailResult
from mail.compose import Attachment, MailTemplates, OutgoingEmail, build_message, to_bytes
from mail.headers import HeaderInjectionError, domain_of, message_ids, references_for_reply, stable_message_id
from mail.outbox import Outbox, OutboxRecord
from mail.smtp import SendResult, SendStatus
from store import audit
from store import messages as message_repo
from store import requests as request_repo
from store import reviews as review_repo
from store import suppliers as supplier_repo
from store.engine import SessionSource
from store.states import Direction, OutboxKind, OutboxState

log = logging.getLogger("cmbot.mail.outreach")


@dataclass(frozen=True)
class SenderIdentity:
    """Who the e-mails come from (headers) and who signs them (``[outreach]``, unpacked by ``bot/``)."""

    from_address: str
    sender_company: str
    sender_name: str = ""
    from_name: str | None = None
    reply_to: str | None = None
    message_id_domain: str | None = None  # default: the domain of from_address


@dataclass(frozen=True)
class _Built:
    record: OutboxRecord
    thread_root: str | None


class MailOutreach:
    def __init__(
        self,
        db: SessionSource,
        outbox: Outbox,
        *,
        templates: MailTemplates,
        sender: SenderIdentity,
        blank_template: pathlib.Path | None = None,
        blank_templates: Mapping[str, pathlib.Path] | None = None,
        language: str = "en",
        send_immediately: bool = True,
        notifier: Notifier | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        """``blank_template``: the blank CMRT attached to requests and reminders; ``blank_templates``: one blank per
        template family (``{"EMRT": path}``), attached when a campaign asks for that family; ``language``: the
        language of suppliers without one (``[outreach] language``); ``send_immediately=False`` (the CLI) only
        records the e-mails, for the running bot's outbox loop to send."""
        self.db = db
        self.outbox = outbox
        self.templates = templates
        self.sender = sender
        self.send_immediately = send_immediately
        self.notifier = notifier or NullNotifier()
        self.clock = clock
        self.domain = sender.message_id_domain or domain_of(sender.from_address) or "localhost"
        self.language = language
        self._blanks: dict[str, Attachment] = {}
        for family, path in {**({"CMRT": blank_template} if blank_template else {}), **(blank_templates or {})}.items():
            file = pathlib.Path(path)
            self._blanks[family.upper()] = Attachment(file.name, file.read_bytes())

    # -- the scheduler's API (handlers.ticks.OutboundMail) ---------------------------------------------------
    def send_request(self, request_id: int, *, key: str) -> MailResult:
        return self._send(OutboxKind.REQUEST, request_id, key, {}, attach_blank=True)

    def send_reminder(self, request_id: int, *, key: str, number: int) -> MailResult:
        return self._send(OutboxKind.REMINDER, request_id, key, {"reminder_number": number}, attach_blank=True)

    def send_clarification_followup(self, request_id: int, *, key: str, number: int) -> MailResult:
        """A reminder that a corrected workbook is still missing (the last review's findings are listed again, in
        the supplier's language)."""
        extra = {"points": self._last_points(request_id), "reminder_number": number, "followup": True}
        return self._send(OutboxKind.CLARIFICATION, request_id, key, extra)

    def send_acceptance(self, request_id: int, *, key: str) -> MailResult:
        """Tell the supplier its declaration was accepted: nothing more is due (``[outreach] notify_on_accept``)."""
        return self._send(OutboxKind.ACCEPTANCE, request_id, key, {})

    # -- for Slack and the inbound handler -------------------------------------------------------------------
    def send_clarification(self, request_id: int, *, key: str, text: str) -> MailResult:
        return self._send(OutboxKind.CLARIFICATION, request_id, key, {"clarification_text": text})

    def send_answer(
        self,
        request_id: int,
        *,
        key: str,
        text: str,
        reply_to_message_id: str | None,
        reply_references: Sequence[str] = (),
        to_address: str | None = None,
        question_subject: str = "",
    ) -> MailResult:
        """The team's answer to a supplier's question (kind ``answer``): ``text`` as typed, In-Reply-To the
        question's Message-ID, References its thread."""
        extra = {"answer_text": text, "question_subject": _without_reply_prefix(question_subject)}
        return self._send(
            OutboxKind.ANSWER,
            request_id,
            key,
            extra,
            parent=reply_to_message_id,
            parent_refs=list(reply_references),
            to_address=to_address,
        )

    def send_acknowledgment(
        self,
        request_id: int,
        *,
        key: str,
        reply_to_message_id: str | None,
        reply_references: Sequence[str] = (),
        to_address: str | None = None,
        filenames: Sequence[str] = (),
        grade: str | None = None,
        score: int | float | None = None,
        findings: Sequence[Mapping[str, Any]] = (),
        accepted: bool = False,
        problems: Sequence[str] = (),
        already_received_at: dt.datetime | None = None,
    ) -> MailResult:
        """The acknowledgment of a reply; ``already_received_at``: the same workbook came before, so the supplier
        is told it need not send it again (kind ``already_received``) instead of getting the review once more."""
        kind, extra = _acknowledgment_mail(
            filenames, grade, score, findings, accepted=accepted, problems=problems,
            already_received_at=already_received_at,
        )  # fmt: skip
        return self._send(
            kind, request_id, key, extra, parent=reply_to_message_id, parent_refs=list(reply_references),
            to_address=to_address,
        )  # fmt: skip

    def queue_acknowledgment(self, session: Session, ack: Acknowledgment) -> Queued:
        """``send_acknowledgment`` in two halves, for the inbound handler: record the acknowledgment in the outbox
        inside ``session`` (the unit of work that records the reply: one commit, the transactional outbox), then,
        once the caller committed, ``deliver(queued)``."""
        kind, extra = _acknowledgment_mail(
            ack.filenames, ack.grade, ack.score, ack.findings, accepted=ack.accepted, problems=ack.problems,
            already_received_at=ack.already_received_at,
        )  # fmt: skip
        return self._queue(
            session, kind, ack.request_id, ack.key, extra, parent=ack.reply_to_message_id,
            parent_refs=list(ack.reply_references), to_address=ack.to_address,
        )  # fmt: skip

    # -- internals ------------------------------------------------------------------------------------------
    def _last_points(self, request_id: int) -> list[dict[str, Any]]:
        """The points the supplier was told about (on arrival, or sent later by the team) that still stand: a
        review made again after a list import is not repeated to the supplier unless the team sent it."""
        with self.db.session() as s:
            told = review_repo.latest_told(s, request_id)
            latest = review_repo.latest_reviews(s, [request_id]).get(request_id)
            if told is None or latest is None:
                return []
            return supplier_points(still_standing(told.findings or [], latest.findings or []))

    def _send(
        self,
        kind: OutboxKind,
        request_id: int,
        key: str,
        extra: Mapping[str, Any],
        *,
        attach_blank: bool = False,
        parent: str | None = None,
        parent_refs: Sequence[str] = (),
        to_address: str | None = None,
    ) -> MailResult:
        """Record the e-mail in the outbox in a unit of work of its own, then ``deliver`` it."""
        with self.db.session() as s:
            queued = self._queue(
                s, kind, request_id, key, extra, attach_blank=attach_blank, parent=parent, parent_refs=parent_refs,
                to_address=to_address,
            )  # fmt: skip
        return self.deliver(queued)

    def _queue(
        self,
        s: Session,
        kind: OutboxKind,
        request_id: int,
        key: str,
        extra: Mapping[str, Any],
        *,
        attach_blank: bool = False,
        parent: str | None = None,
        parent_refs: Sequence[str] = (),
        to_address: str | None = None,
    ) -> Queued:
        """Render the e-mail and record it in the outbox under ``key`` inside ``s`` (a key recorded before: that
        record, nothing rendered); nothing is sent until the caller commits and calls ``deliver``."""
        repo = self._repo()
        existing = repo.get_in(s, key)
        if existing is not None:
            return Queued(key, existing)
        try:
            built = self._build(s, kind, request_id, key, extra, attach_blank, parent, parent_refs, to_address)
        except _Refused as exc:
            return Queued(key, refused=str(exc))
        except HeaderInjectionError as exc:
            return Queued(key, refused=f"the e-mail could not be built safely: {exc}")
        stored, created = repo.add_in(s, built.record)
        if kind is OutboxKind.REQUEST and built.thread_root is None:
            req = request_repo.get(s, request_id)
            if req is not None and req.thread_message_id is None:
                req.thread_message_id = built.record.message_id
        return Queued(key, stored, created=created)

    def deliver(self, queued: Queued) -> MailResult:
        """After the unit of work that recorded ``queued`` committed: try to send it now (unless the rate limit is
        used up, or ``send_immediately`` is off: then ``run_outbox`` sends it)."""
        existing = queued.record
        if existing is None:
            return MailResult(False, queued.refused or "not recorded", permanent=True)
        self.outbox.recorded(existing, queued.created)
        if existing.state is OutboxState.SENT:
            return MailResult(True, "already sent")
        if existing.state is OutboxState.FAILED_PERMANENT:
            return MailResult(False, existing.last_error or "refused by the mail server", permanent=True)
        if existing.state is OutboxState.UNCERTAIN:
            return MailResult(True, "delivery uncertain after a restart; the team decides")
        if not self.send_immediately:
            return MailResult(True, "queued")
        delivery = self.outbox.send_record(existing, block=False)
        if delivery is None:
            return MailResult(True, "queued")
        if delivery.result.status is SendStatus.PERMANENT:
            return MailResult(False, f"{delivery.result.code} {delivery.result.detail}".strip(), permanent=True)
        if delivery.result.status is SendStatus.TRANSIENT:
            return MailResult(True, f"queued; the mail server said {delivery.result.code} {delivery.result.detail}")
        return MailResult(True, "sent")

    def _repo(self) -> StoreOutboxRepository:
        repo = self.outbox.repo
        if not isinstance(repo, StoreOutboxRepository):
            raise TypeError("MailOutreach records in the store's outbox (handlers.mail_store.StoreOutboxRepository)")
        return repo

    def _build(
        self,
        s: Session,
        kind: OutboxKind,
        request_id: int,
        key: str,
        extra: Mapping[str, Any],
        attach_blank: bool,
        parent: str | None,
        parent_refs: Sequence[str],
        to_address: str | None,
    ) -> _Built:
        req = request_repo.get(s, request_id)
        if req is None:
            raise _Refused(f"request {request_id} does not exist")
        supplier = req.supplier
        contact = supplier_repo.primary_contact(supplier)
        if to_address is None:
            recipients = supplier_repo.request_recipients(supplier)
            if not recipients.to:
                if contact is None:
                    raise _Refused(f"{supplier.name} has no contact address")
                raise _Refused(f"the contact of {supplier.name} is {contact.state} (fix the address first)")
        else:  # an answer to whom the caller chose (the inbound policy: the sender, or the known contacts when
            # the sender is not known, ``store.suppliers.reply_recipients``): the other known contacts in CC
            chosen = to_address.strip().lower()
            known = supplier_repo.request_recipients(supplier).all
            recipients = supplier_repo.Recipients((chosen,), tuple(a for a in known if a != chosen))
        to_address = recipients.to[0]
        campaign = req.campaign
        families = campaign_families(campaign.template_family)
        # partly returned (several templates asked for, not all came back): the acknowledgment says which are
        # still expected; a reminder names and attaches only those
        missing = list(missing_families(s, req)) if kind in _NAMES_MISSING else []
        received = [f for f in families if f not in missing] if missing else []
        if missing:  # a reminder is about the missing templates, an acknowledgment about those received
            families = missing if kind is OutboxKind.REMINDER else received
        blanks = [self._blanks[f] for f in families if f in self._blanks] if attach_blank else []
        context: dict[str, Any] = {
            "supplier_name": supplier.name,
            "contact_name": contact.name if contact is not None and contact.email == to_address else None,
            "campaign_year": campaign.year,
            "due_date": campaign.due_date.isoformat() if campaign.due_date else None,
            "token": req.token,
            "sender_name": self.sender.sender_name,
            "sender_company": self.sender.sender_company,
            "min_version": campaign.min_template_version,
            "families": families,
            "received_families": received,
            "still_expected": missing,
            "attachment_name": blanks[0].filename if blanks else None,
            "attachment_names": [b.filename for b in blanks],
            **extra,
        }
        language = supplier.language or self.language
        root = req.thread_message_id
        in_reply_to = parent or root
        refs = references_for_reply(
            in_reply_to, ([root] if root and root != in_reply_to else []) + list(parent_refs)
        )
        if root and refs and refs[0] != root:
            refs = [root, *[r for r in refs if r != root]]
        rendered = self.templates.render(kind.value, context, language)
        message_id = stable_message_id(key, self.domain, req.token)
        mail = OutgoingEmail(
            to_address=to_address,
            to_name=context["contact_name"],
            cc_addresses=recipients.to[1:] + recipients.cc,
            from_address=self.sender.from_address,
            from_name=self.sender.from_name,
            reply_to=self.sender.reply_to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            token=req.token,
            in_reply_to=in_reply_to if (kind is not OutboxKind.REQUEST or parent) else None,
            references=refs if (kind is not OutboxKind.REQUEST or parent) else (),
            attachments=blanks,
        )
        raw = to_bytes(build_message(mail, date=self.clock()))
        record = OutboxRecord(
            key=key,
            kind=kind,
            to_address=to_address,
            mail_from=self.sender.from_address,
            message_id=message_id,
            raw=raw,
            request_id=request_id,
        )
        return _Built(record, root)


class _Refused(Exception):
    pass


@dataclass(frozen=True)
class Queued:
    """An e-mail recorded in the outbox in the caller's unit of work (``MailOutreach.queue_acknowledgment``):
    ``record`` as stored (one recorded before under the same key: as it is), or ``refused`` (nothing recorded)."""

    key: str
    record: OutboxRecord | None = None
    created: bool = False
    refused: str | None = None


def _acknowledgment_mail(
    filenames: Sequence[str],
    grade: str | None,
    score: int | float | None,
    findings: Sequence[Mapping[str, Any]],
    *,
    accepted: bool,
    problems: Sequence[str],
    already_received_at: dt.datetime | None,
) -> tuple[OutboxKind, dict[str, Any]]:
    """The kind and the template context of an acknowledgment (``already_received`` when the same workbook came
    before)."""
    context = {
        "filenames": list(filenames),
        "grade": grade.replace("_", " ") if grade else None,
        "score": score,
        "points": supplier_points(findings),
        "accepted": accepted,
        "problems": list(problems),
        "received_at": already_received_at.date() if already_received_at else None,
    }
    return (OutboxKind.ALREADY_RECEIVED if already_received_at else OutboxKind.ACKNOWLEDGMENT), context


_NAMES_MISSING = frozenset({OutboxKind.REMINDER, OutboxKind.ACKNOWLEDGMENT})


_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|rif|r|res|odp|tr|wg|fw|fwd)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def _without_reply_prefix(subject: str) -> str:
    """A subject without its ``Re:``/``AW:``/``Fwd:`` prefixes (the answer's template adds one ``Re:``)."""
    return _REPLY_PREFIX.sub("", subject or "").strip()


def campaign_families(value: str | None) -> list[str]:
    """The template families a campaign asks for (``"CMRT"``, ``"CMRT,EMRT"``), upper-case, CMRT when unset."""
    return list(split_families(value))


class SlackOutreach:
    """``handlers.slack.deps.Outreach`` over ``MailOutreach``: keys per request and step, state changes, notes."""

    def __init__(self, mail: MailOutreach, *, notify_on_accept: bool = True) -> None:
        self.mail = mail
        self.notify_on_accept = notify_on_accept

    def send_acceptance(self, request_id: int, *, actor: str) -> OutreachResult:
        """After the team accepted a return: tell the supplier nothing more is due (``[outreach] notify_on_accept``);
        once per acceptance (the key names when it was accepted)."""
        if not self.notify_on_accept:
            return OutreachResult(False, "[outreach] notify_on_accept is off")
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is None:
                return OutreachResult(False, "that request no longer exists")
            when = req.accepted_at.strftime("%Y%m%dT%H%M%S") if req.accepted_at else "now"
            key = f"c{req.campaign_id}:r{request_id}:acceptance:{when}"
        result = self.mail.send_acceptance(request_id, key=key)
        if result.accepted:
            log.info("request %s: acceptance e-mail %s (%s)", request_id, result.detail, actor)
        return OutreachResult(result.accepted, result.detail)

    def send_reminder(self, request_id: int, *, actor: str) -> OutreachResult:
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is None:
                return OutreachResult(False, "that request no longer exists")
            number = req.reminder_count + 1
            key = keys.reminder(req.campaign_id, request_id, number)  # the scheduler's key: one reminder n, not two
        result = self.mail.send_reminder(request_id, key=key, number=number)
        if not result.accepted:
            return OutreachResult(False, result.detail)
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is not None:
                record_reminder(s, req, number, now=self.mail.clock(), actor=actor)
        self.mail.notifier.reminder_sent(request_id, number=number)
        return OutreachResult(True, result.detail)

    def send_clarification(self, request_id: int, *, body: str, actor: str) -> OutreachResult:
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is None:
                return OutreachResult(False, f"request {request_id} does not exist")
            key = keys.clarification(req.campaign_id, request_id, body)
        result = self.mail.send_clarification(request_id, key=key, text=body)
        if not result.accepted:
            return OutreachResult(False, result.detail)
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is not None and req.state != RequestState.CLARIFICATION_REQUESTED:
                try:
                    request_repo.transition(
                        s, req, RequestState.CLARIFICATION_REQUESTED, actor=actor, now=self.mail.clock()
                    )
                except ValueError:
                    log.info("request %s: clarification sent from state %s", request_id, req.state)
        self.mail.notifier.clarification_sent(request_id, actor=actor)
        return OutreachResult(True, result.detail)


    def send_request(self, request_id: int, *, actor: str) -> OutreachResult:
        """*Send now*: the initial request under the scheduler's key (one request e-mail, whoever sends it)."""
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is None:
                return OutreachResult(False, f"request {request_id} does not exist")
            if req.state != RequestState.NOT_SENT:
                return OutreachResult(False, f"the request is {req.state.value.replace('_', ' ')} already")
            key = keys.initial_request(req.campaign_id, request_id)
        result = self.mail.send_request(request_id, key=key)
        if not result.accepted:
            return OutreachResult(False, result.detail)
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is not None and req.state == RequestState.NOT_SENT:
                request_repo.transition(s, req, RequestState.SENT, actor=actor, now=self.mail.clock())
                req.next_due_at = self.mail.clock()  # the scheduler plans its reminders from now on
        self.mail.notifier.request_sent(request_id)
        return OutreachResult(True, result.detail)

    def send_answer(self, request_id: int, *, body: str, actor: str) -> OutreachResult:
        """The team's answer to the supplier's latest question, in its mail thread; the request stays waiting for
        the team (the caller resumes the reminders when the team says so)."""
        with self.mail.db.session() as s:
            req = request_repo.get(s, request_id)
            if req is None:
                return OutreachResult(False, f"request {request_id} does not exist")
            question = message_repo.latest_question(s, request_id)
            if question is None:
                return OutreachResult(False, "no question from the supplier was recorded")
            key = keys.answer(req.campaign_id, request_id, question.message_id, body)
            parent, refs = question.message_id, message_ids(question.references)
            to_address, subject = question.from_address, question.subject or ""
        result = self.mail.send_answer(
            request_id, key=key, text=body, reply_to_message_id=parent, reply_references=refs,
            to_address=to_address, question_subject=subject,
        )  # fmt: skip
        if not result.accepted:
            return OutreachResult(False, result.detail)
        with self.mail.db.session() as s:
            audit.record(s, actor, "mail.answer_sent", "request", request_id, {"key": key, "chars": len(body)})
        return OutreachResult(True, result.detail)


# -- outbox wiring -------------------------------------------------------------------------------------------------
def record_sent(db: SessionSource) -> Callable[[OutboxRecord], None]:
    """Outbox ``on_sent`` hook: keep the sent e-mail in ``messages`` (thread lookups, the audit trail)."""

    def hook(record: OutboxRecord) -> None:
        with db.session() as s:
            message_repo.add(
                s,
                direction=Direction.OUT,
                message_id=record.message_id,
                raw=record.raw,
                to_addresses=[record.to_address],
                from_address=_header_from(record.raw) or record.mail_from,  # not the VERP envelope sender
                request_id=record.request_id,
                sent_at=record.sent_at,
            )

    return hook


def _header_from(raw: bytes) -> str | None:
    head = raw.split(b"\r\n\r\n", 1)[0]
    parsed = BytesHeaderParser(policy=email.policy.default).parsebytes(head + b"\r\n\r\n")
    _, address = email.utils.parseaddr(str(parsed.get("From", "")))
    return address.lower() or None


def handle_permanent(db: SessionSource, notifier: Notifier) -> Callable[[OutboxRecord, SendResult], None]:
    """Outbox ``on_permanent`` hook: a refused recipient marks the contact bouncing; the team is told either way."""

    def hook(record: OutboxRecord, result: SendResult) -> None:
        detail = f"{result.code or ''} {result.detail}".strip()
        with db.session() as s:
            if result.recipient_fault:
                for contact in supplier_repo.contacts_by_email(s, record.to_address):
                    supplier_repo.mark_contact_bouncing(contact, detail)
            audit.record(s, audit.SYSTEM, "mail.send_failed", "request", record.request_id, {"detail": detail})
        what = "The address was refused" if result.recipient_fault else "The mail server refused the e-mail"
        notifier.team_alert(f"{what} ({detail}); the {record.kind} was not delivered.", request_id=record.request_id)

    return hook


def run_outbox(
    outbox: Outbox,
    stop: threading.Event,
    *,
    interval: float = 30.0,
    notifier: Notifier | None = None,
) -> None:
    """The outbox daemon: settle what a crash left ``sending``, then send what is due every ``interval`` s."""
    for record in outbox.recover():
        alert_uncertain(notifier or NullNotifier(), record.key, kind=record.kind, request_id=record.request_id)
    while not stop.is_set():
        try:
            outbox.deliver_due(stop=stop)
        except Exception:
            log.exception("outbox pass failed; retrying")
        stop.wait(interval)
