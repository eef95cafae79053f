"""The team settles what the mail loop could not: unmatched inbound e-mails and outbox e-mails left ``uncertain``.

Shared by Slack (``handlers.slack.mail_actions``) and the CLI (``cmrt-bot mail ...``):

* ``unmatched(session)``: inbound e-mails stored without a supplier request (newest first), each with its short
  reference (the ``messages`` row id, shown as ``#42``).
* ``assign(db, processor, ref, request_id, actor=...)``: hands the e-mail to ``InboundProcessor.assign`` (which
  reviews the workbooks, moves the request, acknowledges and notifies) once; a second assignment of the same
  e-mail is refused, so a repeated click or command never reviews or acknowledges twice.
* ``release(db, outbox, key, resend=..., actor=...)``: ``Outbox.release`` for an ``uncertain`` e-mail, audited.
* ``retry(db, processor, ref, actor=...)``: a quarantined inbound e-mail is handled again from its stored bytes
  (after a person fixed the cause, or when the cause was passing); audited. Moving it back to the INBOX folder
  does the same.

Results are plain data; the caller renders them (Slack escapes every supplier-provided part).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.outreach import keys
from mail.headers import domain_of
from store import audit, runtime
from store import messages as message_repo
from store.engine import SessionSource
from store.models import Message, Request
from store.states import Direction, MessageState

if TYPE_CHECKING:
    from handlers.inbound import Outcome

log = logging.getLogger("cmbot.mail.mailroom")

NOT_ASSIGNABLE = ("own", "bounce")  # our own mail coming back and bounces are not supplier replies


class Assigner(Protocol):
    """``handlers.inbound.InboundProcessor`` (only its ``assign``)."""

    def assign(self, message_id: str, request_id: int, *, actor: str, ref: int | None = None) -> Outcome: ...


class Retrier(Protocol):
    """``handlers.inbound.InboundProcessor`` (only its ``process``)."""

    def process(self, raw: bytes, *, folder: str | None = None, uid: int | None = None) -> Outcome: ...


class Releaser(Protocol):
    """``mail.outbox.Outbox`` (only its ``release``)."""

    def release(self, key: str, *, resend: bool) -> bool: ...


class BadReference(ValueError):
    """The reference does not name an inbound e-mail (the message says what to type)."""


@dataclass(frozen=True)
class Unmatched:
    ref: int
    received_at: dt.datetime | None
    sender: str | None  # the full address: for the operator's screen only, never logged
    sender_domain: str | None
    subject: str
    kind: str | None
    attachments: int


@dataclass(frozen=True)
class Result:
    ok: bool
    text: str  # plain text; may quote supplier names (the Slack caller escapes)
    request_id: int | None = None
    grades: tuple[str, ...] = ()


def parse_ref(text: str) -> int:
    """``42``, ``#42`` or ``M42`` -> 42."""
    raw = text.strip().lstrip("#").removeprefix("M").removeprefix("m")
    if not raw.isdigit():
        raise BadReference(f"“{text.strip()[:40]}” is not an e-mail reference (a number such as #42).")
    return int(raw)


def ref_text(ref: int) -> str:
    return f"#{ref}"


def _unmatched_query() -> sa.Select[Message]:
    return (
        sa.select(Message)
        .where(Message.direction == Direction.IN, Message.request_id.is_(None))
        .where(Message.state == MessageState.PROCESSED)  # quarantined mail is a person's job in the mail client
        .where(sa.or_(Message.classification.is_(None), Message.classification.not_in(NOT_ASSIGNABLE)))
    )


def _row(message: Message) -> Unmatched:
    sender = message.from_address
    return Unmatched(
        ref=message.id,
        received_at=message.received_at,
        sender=sender,
        sender_domain=domain_of(sender) if sender else None,
        subject=(message.subject or "")[:200],
        kind=message.classification,
        attachments=len(message.submissions),
    )


def unmatched(session: Session, limit: int = 200) -> list[Unmatched]:
    rows = session.scalars(_unmatched_query().order_by(Message.id.desc()).limit(limit)).all()
    return [_row(m) for m in rows]


def get_unmatched(session: Session, ref: int) -> Unmatched | None:
    message = session.scalars(_unmatched_query().where(Message.id == ref)).first()
    return _row(message) if message is not None else None


def proposal(session: Session, ref: int) -> tuple[str, str] | None:
    """(supplier id, name) the company name in unmatched e-mail ``ref``'s workbook points to (kept when it
    arrived, ``handlers.inbound.record.proposal_key``), for the Assign flow to pre-select; None when there is none."""
    kept = runtime.get_value(session, f"mail.proposal:{ref}")
    request = session.get(Request, int(kept.get("request_id", 0))) if kept else None
    if request is None:
        return None
    return request.supplier.external_id, request.supplier.name


def _describe(request: Request) -> str:
    return f"{request.supplier.name} ({request.supplier.external_id})"


def assign(db: SessionSource, processor: Assigner, ref: int, request_id: int, *, actor: str) -> Result:
    """Assign inbound e-mail ``ref`` to ``request_id`` once (audited with ``actor`` by the processor)."""
    with db.session() as s:
        message = s.get(Message, ref)
        request = s.get(Request, request_id)
        if message is None or message.direction != Direction.IN:
            return Result(False, f"There is no inbound e-mail {ref_text(ref)}.")
        if request is None:
            return Result(False, "That supplier request no longer exists.")
        if message.request_id is not None:
            current = s.get(Request, message.request_id)
            where = _describe(current) if current is not None else "a request"
            return Result(False, f"E-mail {ref_text(ref)} is already assigned to {where}.", message.request_id)
        if message.classification in NOT_ASSIGNABLE:
            return Result(False, f"E-mail {ref_text(ref)} is a {message.classification} and cannot be assigned.")
        if message.state != MessageState.PROCESSED:
            return Result(False, f"E-mail {ref_text(ref)} is {message.state.value}; it cannot be assigned.")
        message_id, name = message.message_id, _describe(request)
    # claim the e-mail (compare-and-set) so that two people assigning at once cannot both review it
    with db.session() as s:
        result = s.execute(
            sa.update(Message)
            .where(Message.id == ref, Message.request_id.is_(None))
            .values(request_id=request_id)
            .execution_options(synchronize_session=False)
        )
        claimed = getattr(result, "rowcount", 0) == 1
    if not claimed:
        return Result(False, f"E-mail {ref_text(ref)} was just assigned by someone else.")
    try:
        outcome = processor.assign(message_id, request_id, actor=actor, ref=ref)
    except Exception as exc:
        log.exception("assigning inbound message %s failed", ref)
        with db.session() as s:
            s.execute(sa.update(Message).where(Message.id == ref).values(request_id=None))
        return Result(False, f"E-mail {ref_text(ref)} could not be assigned ({type(exc).__name__}); see the bot's log.")
    log.info("inbound message %s assigned to request %s", ref, request_id)
    grades = tuple(outcome.grades)
    with db.session() as s:
        request = s.get(Request, request_id)
        state = str(request.state.value if request is not None else "?").replace("_", " ")
    review = f" Review: {', '.join(g.replace('_', ' ') for g in grades)}." if grades else ""
    text = f"E-mail {ref_text(ref)} is assigned to {name}; the request is {state}.{review}"
    return Result(True, text, request_id, grades)


def release(db: SessionSource, outbox: Releaser, key: str, *, resend: bool, actor: str) -> Result:
    """Settle an ``uncertain`` outbox e-mail: queue it again (``resend``) or count it as sent."""
    done = outbox.release(key, resend=resend)
    if not done:  # an alert posted before the upgrade names the e-mail by its earlier key
        with db.session() as s:
            campaign_of = sa.select(Request.campaign_id).where(Request.id == sa.bindparam("rid"))
            current = keys.from_legacy(key, lambda rid: s.scalar(campaign_of, {"rid": rid}))
        if current is not None:
            key = current
            done = outbox.release(key, resend=resend)
    if not done:
        return Result(False, "That e-mail is no longer waiting for a decision (someone settled it already).")
    with db.session() as s:
        audit.record(s, actor, "mail.released", "outbox", key[:100], {"resend": resend})
    log.info("outbox %s released by a person (resend=%s)", key, resend)
    if resend:
        return Result(True, "The e-mail is queued again; the bot sends it within a minute.")
    return Result(True, "The e-mail counts as sent; it will not be sent again.")


def retry(db: SessionSource, processor: Retrier, ref: int, *, actor: str) -> Result:
    """Handle quarantined inbound e-mail ``ref`` again from its stored bytes (once per quarantine: a second click
    while it runs is refused)."""
    with db.session() as s:
        message = s.get(Message, ref)
        if message is None or message.direction != Direction.IN:
            return Result(False, f"There is no inbound e-mail {ref_text(ref)}.")
        if message.state != MessageState.QUARANTINED:
            state = str(message.state.value if hasattr(message.state, "value") else message.state)
            return Result(False, f"E-mail {ref_text(ref)} is {state}; only a quarantined e-mail can be retried.")
        result = s.execute(
            sa.update(Message)
            .where(Message.id == ref, Message.state == MessageState.QUARANTINED)
            .values(state=MessageState.RECEIVED, error=None)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return Result(False, f"E-mail {ref_text(ref)} is being retried by someone else.")
        audit.record(s, actor, "mail.retried", "message", ref, {})
        raw, folder, uid = message_repo.raw_bytes(s, message), message.imap_folder, message.imap_uid
    outcome = processor.process(raw, folder=folder, uid=uid)
    log.info("inbound message %s retried by a person", ref)
    disposition = outcome.disposition.value
    with db.session() as s:
        message = s.get(Message, ref)
        if message is not None and disposition == "quarantine" and message.state != MessageState.QUARANTINED:
            message.state = MessageState.QUARANTINED  # could not be handled again: back where it was
        request_id = message.request_id if message is not None else None
    if disposition == "quarantine":
        return Result(False, f"E-mail {ref_text(ref)} still cannot be handled; it stays in quarantine.", request_id)
    return Result(True, f"E-mail {ref_text(ref)} was handled again.", request_id, tuple(outcome.grades))
