"""The append-only audit log: who (system, a Slack user id, an OS user, a supplier address) did what, when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from store.models import AuditEvent
from store.types import utcnow

SYSTEM = "system"


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit events are never changed or deleted")


def record(
    session: Session,
    actor: str,
    action: str,
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event. ``details`` must be JSON-serialisable; keep personal data out of it where possible."""
    ev = AuditEvent(
        at=at or utcnow(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=details or {},
    )
    session.add(ev)
    return ev


def events(
    session: Session,
    *,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    since: dt.datetime | None = None,
    limit: int | None = None,
) -> Sequence[AuditEvent]:
    """Events in the order they happened, optionally filtered."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if subject_type is not None:
        stmt = stmt.where(AuditEvent.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == str(subject_id))
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()
