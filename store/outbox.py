"""The outbox: every e-mail is recorded (with an idempotency key) before it is sent.

Protocol for a sender: ``enqueue`` in the same unit of work as the state change that causes the e-mail;
later ``claim_due`` (marks items ``sending`` and counts the attempt, committed before talking to SMTP), then
``mark_sent`` or ``mark_failed``. After a crash, items left in ``sending`` are returned by
``stuck_sending``; the mail layer decides (e.g. by searching the Sent folder for the Message-ID) whether
they went out, so nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import blobs
from store.models import OutboxItem
from store.states import OutboxKind, OutboxState
from store.types import utcnow


def get_by_key(session: Session, key: str) -> OutboxItem | None:
    return session.scalars(sa.select(OutboxItem).where(OutboxItem.idempotency_key == key)).one_or_none()


def enqueue(
    session: Session,
    *,
    key: str,
    kind: OutboxKind,
    to_address: str,
    message_id: str,
    message_bytes: bytes,
    request_id: int | None = None,
    now: dt.datetime | None = None,
    envelope_token: str | None = None,
) -> tuple[OutboxItem, bool]:
    """Record an e-mail to send (its bytes as a blob, ``raw_bytes`` reads them); a second call with the same key
    returns the first item and ``False``."""
    existing = get_by_key(session, key)
    if existing is not None:
        return existing, False
    now = now or utcnow()
    item = OutboxItem(
        idempotency_key=key,
        kind=kind,
        to_address=to_address,
        message_id=message_id,
        request_id=request_id,
        envelope_token=envelope_token,
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            item.raw_blob = blobs.put(session, message_bytes)
            session.add(item)
    except IntegrityError:
        found = get_by_key(session, key)
        if found is None:
            raise
        return found, False
    return item, True


def raw_bytes(session: Session, item: OutboxItem) -> bytes:
    """The recorded e-mail's bytes."""
    return blobs.get(session, item.raw_blob)


def claim_due(session: Session, now: dt.datetime, limit: int = 50) -> list[OutboxItem]:
    """Pending or temporarily failed items due by ``now``, marked ``sending`` (attempts + 1)."""
    stmt = (
        sa.select(OutboxItem)
        .where(OutboxItem.state.in_([OutboxState.PENDING, OutboxState.FAILED_TEMPORARY]))
        .where(sa.or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now))
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    items = list(session.scalars(stmt))
    for item in items:
        item.state = OutboxState.SENDING
        item.attempts += 1
    session.flush()
    return items


def stuck_sending(session: Session) -> Sequence[OutboxItem]:
    return session.scalars(
        sa.select(OutboxItem).where(OutboxItem.state == OutboxState.SENDING).order_by(OutboxItem.id)
    ).all()


def mark_sent(item: OutboxItem, now: dt.datetime | None = None) -> None:
    item.state = OutboxState.SENT
    item.sent_at = now or utcnow()
    item.next_attempt_at = None
    item.last_error = None


def mark_failed(item: OutboxItem, error: str, *, retry_at: dt.datetime | None) -> None:
    """Temporary failure when ``retry_at`` is given (retried then), permanent otherwise."""
    item.last_error = error
    if retry_at is None:
        item.state = OutboxState.FAILED_PERMANENT
        item.next_attempt_at = None
    else:
        item.state = OutboxState.FAILED_TEMPORARY
        item.next_attempt_at = retry_at


def counts(session: Session) -> dict[OutboxState, int]:
    rows = session.execute(sa.select(OutboxItem.state, sa.func.count()).group_by(OutboxItem.state)).all()
    result = dict.fromkeys(OutboxState, 0)
    for state, n in rows:
        result[OutboxState(state)] = int(n)
    return result
