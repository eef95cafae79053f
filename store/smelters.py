"""Imported smelter lists (RMI conformant / active / reference / revisions) and their entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from store.models import SmelterList, SmelterListEntry
from store.states import SmelterListKind


def add_list(
    session: Session,
    *,
    kind: SmelterListKind,
    source_file: str,
    entries: Iterable[dict[str, Any]],
    list_date: dt.date | None = None,
    sha256: str | None = None,
) -> SmelterList:
    """Store one imported list. ``entries`` are dicts with SmelterListEntry column names; others go to ``extra``."""
    columns = {"metal", "smelter_id", "standard_name", "country", "state", "last_audit_date", "audit_cycle",
               "valid_until"}
    sl = SmelterList(kind=kind, source_file=source_file, list_date=list_date, sha256=sha256, row_count=0)
    session.add(sl)
    session.flush()
    rows = []
    for entry in entries:
        known = {k: v for k, v in entry.items() if k in columns}
        extra = {k: v for k, v in entry.items() if k not in columns and k != "extra"}
        extra.update(entry.get("extra") or {})
        rows.append(SmelterListEntry(list_id=sl.id, extra=extra, **known))
    session.add_all(rows)
    sl.row_count = len(rows)
    session.flush()
    return sl


def latest_list(session: Session, kind: SmelterListKind) -> SmelterList | None:
    stmt = (
        sa.select(SmelterList)
        .where(SmelterList.kind == kind)
        .order_by(SmelterList.list_date.desc().nulls_last(), SmelterList.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def entries(session: Session, list_id: int) -> Sequence[SmelterListEntry]:
    stmt = sa.select(SmelterListEntry).where(SmelterListEntry.list_id == list_id).order_by(SmelterListEntry.id)
    return session.scalars(stmt).all()


def lists(session: Session) -> Sequence[SmelterList]:
    return session.scalars(sa.select(SmelterList).order_by(SmelterList.imported_at, SmelterList.id)).all()
