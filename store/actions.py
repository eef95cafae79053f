"""The outreach action log: every scheduled action is recorded by its idempotency key before it runs.

``claim`` inserts a ``pending`` row (a second claim of the same key, by a restart or another instance, gets
``None``); the caller executes the action and then ``finish``es it in the same unit of work as the action's
state changes. ``pending`` rows left by a crash are executed again by the next tick (the e-mail outbox's own
key makes that safe).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import OutreachAction
from store.types import utcnow

PENDING = "pending"
DONE = "done"
FAILED = "failed"
SUPERSEDED = "superseded"
CANCELLED = "cancelled"  # left pending by a crash and no longer wanted when the bot came back

EMAIL_KINDS = ("initial_request", "reminder", "clarification_followup")


def keys_for_campaign(session: Session, campaign_id: int) -> tuple[frozenset[str], dict[int, set[str]]]:
    """(campaign-level keys, request id -> keys) of every action recorded for a campaign, in any state."""
    campaign_keys: set[str] = set()
    by_request: dict[int, set[str]] = {}
    stmt = sa.select(OutreachAction.key, OutreachAction.request_id).where(OutreachAction.campaign_id == campaign_id)
    for key, request_id in session.connection().execute(stmt).all():
        if request_id is None:
            campaign_keys.add(key)
        else:
            by_request.setdefault(request_id, set()).add(key)
    return frozenset(campaign_keys), by_request


def claim(
    session: Session,
    *,
    key: str,
    kind: str,
    campaign_id: int,
    request_id: int | None,
    due_at: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
    state: str = PENDING,
) -> OutreachAction | None:
    """Record an action before it runs; ``None`` when the key is already recorded."""
    if session.scalars(sa.select(OutreachAction.id).where(OutreachAction.key == key)).first() is not None:
        return None
    now = now or utcnow()
    row = OutreachAction(
        key=key,
        kind=kind,
        campaign_id=campaign_id,
        request_id=request_id,
        state=state,
        due_at=due_at,
        reason=reason[:2000],
        attempts=0,
        created_at=now,
        done_at=now if state != PENDING else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def get(session: Session, key: str) -> OutreachAction | None:
    return session.scalars(sa.select(OutreachAction).where(OutreachAction.key == key)).one_or_none()


def pending(session: Session, limit: int = 500) -> Sequence[OutreachAction]:
    stmt = (
        sa.select(OutreachAction)
        .where(OutreachAction.state == PENDING)
        .order_by(OutreachAction.created_at, OutreachAction.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def finish(row: OutreachAction, *, now: dt.datetime, state: str = DONE, error: str | None = None) -> None:
    row.state = state
    row.done_at = now
    row.last_error = error


def record_attempt_failed(row: OutreachAction, error: str) -> None:
    row.attempts += 1
    row.last_error = error[:2000]


def email_count_since(session: Session, since: dt.datetime) -> int:
    stmt = (
        sa.select(sa.func.count())
        .select_from(OutreachAction)
        .where(OutreachAction.kind.in_(EMAIL_KINDS), OutreachAction.created_at > since)
    )
    return int(session.scalar(stmt) or 0)


def recent(session: Session, limit: int = 20, kinds: Iterable[str] | None = None) -> Sequence[OutreachAction]:
    stmt = sa.select(OutreachAction).order_by(OutreachAction.id.desc()).limit(limit)
    if kinds is not None:
        stmt = stmt.where(OutreachAction.kind.in_(list(kinds)))
    return session.scalars(stmt).all()


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(OutreachAction.state, sa.func.count()).group_by(OutreachAction.state)).all()
    return {str(state): int(n) for state, n in rows}


def release_failed(session: Session, request_ids: Iterable[int], *, reason: str) -> int:
    """Free the keys of the e-mail actions of ``request_ids`` that failed for good (a refused address), and of
    their outbox records, so the next tick plans and sends them again (after the team fixed the address).

    The failed rows stay, as history, under ``<key>~failed<id>``. Returns how many actions were released.
    """
    from store.models import OutboxItem
    from store.states import OutboxState

    ids = list(request_ids)
    if not ids:
        return 0
    rows = session.scalars(
        sa.select(OutreachAction).where(
            OutreachAction.request_id.in_(ids), OutreachAction.state == FAILED, OutreachAction.kind.in_(EMAIL_KINDS)
        )
    ).all()
    for row in rows:
        old = row.key
        item = session.scalars(sa.select(OutboxItem).where(OutboxItem.idempotency_key == old)).one_or_none()
        if item is not None and item.state == OutboxState.FAILED_PERMANENT:
            item.idempotency_key = f"{old}~failed{item.id}"[:255]
        row.key = f"{old}~failed{row.id}"[:255]
        row.last_error = f"{row.last_error or ''} (released: {reason})"[:2000]
    return len(rows)
