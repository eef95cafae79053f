"""Requests: lookups and the state machine (every state change goes through ``transition``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from cmrt.outreach.states import RequestState, check_transition
from store import audit
from store.models import Request, Review, Supplier
from store.types import utcnow

RS = RequestState


def get(session: Session, request_id: int) -> Request | None:
    return session.get(Request, request_id)


def get_by_token(session: Session, token: str) -> Request | None:
    return session.scalars(sa.select(Request).where(Request.token == token.strip().upper())).one_or_none()


def by_thread_message_id(session: Session, message_ids: Iterable[str]) -> Request | None:
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    return session.scalars(sa.select(Request).where(Request.thread_message_id.in_(ids)).limit(1)).first()


def for_campaign(
    session: Session, campaign_id: int, states: Iterable[RequestState] | None = None
) -> Sequence[Request]:
    """A campaign's requests with their suppliers loaded, ordered by supplier external id."""
    stmt = (
        sa.select(Request)
        .join(Supplier, Request.supplier_id == Supplier.id)
        .options(joinedload(Request.supplier))
        .where(Request.campaign_id == campaign_id)
        .order_by(Supplier.external_id)
    )
    if states is not None:
        stmt = stmt.where(Request.state.in_(list(states)))
    return session.scalars(stmt).unique().all()


def due(session: Session, now: dt.datetime, limit: int | None = None) -> Sequence[Request]:
    """Requests whose ``next_due_at`` has passed and that are not snoozed."""
    stmt = (
        sa.select(Request)
        .where(Request.next_due_at.is_not(None), Request.next_due_at <= now)
        .where(sa.or_(Request.snoozed_until.is_(None), Request.snoozed_until <= now))
        .order_by(Request.next_due_at, Request.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


def counts_by_state(session: Session, campaign_id: int) -> dict[RequestState, int]:
    """Number of requests per state; every state is present (zero when unused)."""
    rows = session.execute(
        sa.select(Request.state, sa.func.count()).where(Request.campaign_id == campaign_id).group_by(Request.state)
    ).all()
    counts = dict.fromkeys(RequestState, 0)
    for state, n in rows:
        counts[RequestState(state)] = int(n)
    return counts


def latest_grades(session: Session, campaign_id: int) -> dict[int, str]:
    """request id -> grade of its most recent review."""
    stmt = (
        sa.select(Review.request_id, Review.grade, Review.id)
        .join(Request, Review.request_id == Request.id)
        .where(Request.campaign_id == campaign_id)
        .order_by(Review.id)
    )
    grades: dict[int, str] = {}
    for request_id, grade, _ in session.execute(stmt):
        if request_id is not None:
            grades[request_id] = grade
    return grades


def has_review(session: Session, request_id: int) -> bool:
    """Whether a returned workbook of the request was reviewed (what *accept* needs)."""
    found = session.scalar(sa.select(Review.id).where(Review.request_id == request_id).limit(1))
    return found is not None


def transition(
    session: Session,
    request: Request,
    target: RequestState,
    *,
    actor: str = audit.SYSTEM,
    now: dt.datetime | None = None,
    reason: str | None = None,
    details: dict[str, object] | None = None,
) -> Request:
    """Move ``request`` to ``target`` (``InvalidTransition`` if not allowed), set its timestamps, audit it.

    Sets: sent_at (sent), reminder_count/last_reminder_at (reminded), responded_at (responded),
    clarification_requested_at (clarification_requested), escalation_count/escalated_at (escalated),
    accepted_at and exception_reason (accepted), closed_at (closed), exception_reason (exempt). Scheduling
    fields (``next_due_at``, ``snoozed_until``) are the caller's business. *Accept* is refused unless a returned
    workbook of the request was reviewed. Going back from ``awaiting_team`` to the chased state it came from
    (``cmrt.outreach.states.resume_state``) changes no timestamp: the chasing goes on where it stopped.
    """
    now = now or utcnow()
    before = request.state
    check_transition(before, target, reviewed=target == RS.ACCEPTED and has_review(session, request.id))
    request.state = target
    if before == RS.AWAITING_TEAM and target in (RS.NOT_SENT, RS.SENT, RS.REMINDED, RS.ESCALATED,
                                                 RS.CLARIFICATION_REQUESTED):  # fmt: skip
        pass  # resumed: the reminders and escalations already recorded stand
    elif target == RS.SENT:
        request.sent_at = now
    elif target == RS.REMINDED:
        request.reminder_count += 1
        request.last_reminder_at = now
    elif target == RS.RESPONDED:
        request.responded_at = now
    elif target == RS.CLARIFICATION_REQUESTED:
        request.clarification_requested_at = now
    elif target == RS.ESCALATED:
        request.escalation_count += 1
        request.escalated_at = now
    elif target == RS.ACCEPTED:
        request.accepted_at = now
        if reason:
            request.exception_reason = reason
    elif target == RS.EXEMPT:
        request.exception_reason = reason
        request.next_due_at = None
    elif target == RS.CLOSED:
        request.closed_at = now
        request.next_due_at = None
    payload: dict[str, object] = {"from": before.value, "to": target.value}
    if reason:
        payload["reason"] = reason
    if details:
        payload.update(details)
    audit.record(session, actor, f"request.{target.value}", "request", request.id, payload, at=now)
    return request
