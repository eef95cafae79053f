"""Run-time bookkeeping: IMAP checkpoints, component heartbeats, Slack retry de-duplication, named values."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import BotState, Heartbeat, ImapCheckpoint, SlackInteraction
from store.types import utcnow


def get_checkpoint(session: Session, folder: str) -> ImapCheckpoint | None:
    return session.scalars(sa.select(ImapCheckpoint).where(ImapCheckpoint.folder == folder)).one_or_none()


def set_checkpoint(session: Session, folder: str, uidvalidity: int, last_uid: int) -> ImapCheckpoint:
    cp = get_checkpoint(session, folder)
    if cp is None:
        cp = ImapCheckpoint(folder=folder, uidvalidity=uidvalidity, last_uid=last_uid)
        session.add(cp)
    else:
        cp.uidvalidity = uidvalidity
        cp.last_uid = last_uid
    session.flush()
    return cp


def beat(
    session: Session,
    component: str,
    *,
    state: str = "running",
    detail: str | None = None,
    now: dt.datetime | None = None,
) -> Heartbeat:
    """Record that ``component`` (inbox, slack, scheduler, ...) is alive in this process."""
    now = now or utcnow()
    hb = session.scalars(sa.select(Heartbeat).where(Heartbeat.component == component)).one_or_none()
    pid, host = os.getpid(), socket.gethostname()
    if hb is None:
        hb = Heartbeat(component=component, pid=pid, host=host, started_at=now)
        session.add(hb)
    elif hb.pid != pid or hb.host != host:
        hb.pid, hb.host, hb.started_at = pid, host, now
    hb.state = state
    hb.detail = detail
    hb.beat_at = now
    session.flush()
    return hb


def heartbeats(session: Session) -> Sequence[Heartbeat]:
    return session.scalars(sa.select(Heartbeat).order_by(Heartbeat.component)).all()


def claim_interaction(
    session: Session, dedupe_key: str, *, kind: str | None = None, user_id: str | None = None
) -> bool:
    """True the first time ``dedupe_key`` is seen (act on it), False for a retry (do nothing)."""
    if session.scalars(sa.select(SlackInteraction.id).where(SlackInteraction.dedupe_key == dedupe_key)).first():
        return False
    try:
        with session.begin_nested():
            session.add(SlackInteraction(dedupe_key=dedupe_key, kind=kind, user_id=user_id))
    except IntegrityError:
        return False
    return True


def get_value(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(BotState, key)
    return None if row is None else dict(row.value)


def set_value(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(BotState, key)
    if row is None:
        session.add(BotState(key=key, value=value))
    else:
        row.value = value
    session.flush()
