"""Imported smelter lists (RMI conformant / active / reference / revisions) and their entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.smelters.reference import ReferenceEntry
from cmrt.smelters.rmap import ListKind, Revision, RmapEntry, RmiList
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


# ---------------------------------------------------------------- cmrt.smelters.RmiList <-> rows


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def rmi_list_entries(item: RmiList) -> list[dict[str, Any]]:
    """The entry dicts ``add_list`` stores for an imported RMI list (extras keep what has no column)."""
    rows: list[dict[str, Any]] = []
    for e in item.entries:
        rows.append({"metal": e.metal, "smelter_id": e.smelter_id, "standard_name": e.name, "country": e.country,
                     "state": (e.state_province or "")[:64] or None, "last_audit_date": e.last_audit_date,
                     "audit_cycle": e.audit_cycle_raw,  # valid_until stays empty: RMI publishes no expiry
                     "extra": {"state_province": e.state_province, "website": e.website,
                               "reaudit_in_progress": e.reaudit_in_progress, "lbma_rg": e.lbma_rg, "rjc": e.rjc}})
    for r in item.revisions:
        rows.append({"metal": r.metal, "smelter_id": r.smelter_id, "standard_name": r.name, "country": r.country,
                     "extra": {"basis": r.basis, "details": r.details, "revision_date": _iso(r.revision_date),
                               "added_date": _iso(r.added_date)}})
    for f in item.reference_entries:
        rows.append({"metal": f.metal, "smelter_id": f.smelter_id, "standard_name": f.standard_name,
                     "country": f.country, "state": (f.state or "")[:64] or None,
                     "extra": {"alias": f.alias, "source": f.source, "street": f.street, "city": f.city,
                               "state": f.state}})
    return rows


def add_rmi_list(session: Session, item: RmiList, *, sha256: str | None = None) -> SmelterList:
    return add_list(session, kind=SmelterListKind(item.kind.value), source_file=item.source_name[:255],
                    entries=rmi_list_entries(item), list_date=item.list_date, sha256=sha256)


def find_by_sha256(session: Session, sha256: str, list_date: dt.date | None = None) -> SmelterList | None:
    """A stored list with this content (and, given ``list_date``, of that date)."""
    stmt = sa.select(SmelterList).where(SmelterList.sha256 == sha256)
    if list_date is not None:
        stmt = stmt.where(SmelterList.list_date == list_date)
    return session.scalars(stmt.limit(1)).first()


def import_lists(session: Session, items: Sequence[tuple[RmiList, str]]) -> list[tuple[RmiList, SmelterList, bool]]:
    """Store every (list, sha256) of one download in the caller's unit of work: all of them or, when the
    transaction fails, none. A list already stored with the same content and date is not stored again.
    Returns (list, stored row, newly stored)."""
    out: list[tuple[RmiList, SmelterList, bool]] = []
    for item, sha256 in items:
        existing = find_by_sha256(session, sha256, item.list_date)
        if existing is not None:
            out.append((item, existing, False))
            continue
        out.append((item, add_rmi_list(session, item, sha256=sha256), True))
    return out


def status_list_date(session: Session) -> dt.date | None:
    """The date of the newest RMAP status lists (the older of the Conformant and Active dates, as
    ``RmapStatus.list_date``), without loading their rows; None when none is imported (or they are undated)."""
    dates = [sl.list_date for kind in (SmelterListKind.CONFORMANT, SmelterListKind.ACTIVE)
             if (sl := latest_list(session, kind)) is not None and sl.list_date is not None]  # fmt: skip
    return min(dates) if dates else None


def has_status_lists(session: Session) -> bool:
    return any(latest_list(session, kind) is not None for kind in (SmelterListKind.CONFORMANT, SmelterListKind.ACTIVE))


def latest_list_ids(session: Session) -> tuple[tuple[str, int], ...]:
    """(kind, id) of the lists ``latest_rmi_lists`` would load: a cheap fingerprint of "which lists are current"."""
    out: list[tuple[str, int]] = []
    for kind in SmelterListKind:
        sl = latest_list(session, kind)
        if sl is not None:
            out.append((kind.value, sl.id))
    return tuple(out)


def to_rmi_list(session: Session, sl: SmelterList) -> RmiList:
    """Rebuild the domain list from stored rows (what the review engine consumes)."""
    kind = ListKind(sl.kind.value)
    rows = entries(session, sl.id)
    if kind is ListKind.REVISIONS:
        revisions = tuple(
            Revision(r.metal or "", r.smelter_id or "", r.standard_name or "", r.country,
                     str(r.extra.get("basis") or ""), r.extra.get("details"), _date(r.extra.get("revision_date")),
                     _date(r.extra.get("added_date")))
            for r in rows
        )
        return RmiList(kind, sl.list_date, sl.source_file, revisions=revisions)
    if kind is ListKind.REFERENCE:
        refs = tuple(
            ReferenceEntry(r.metal or "", str(r.extra.get("alias") or r.standard_name or ""), r.standard_name or "",
                           r.country, r.smelter_id, r.extra.get("source"), r.extra.get("street"),
                           r.extra.get("city"), r.extra.get("state"))
            for r in rows
        )
        return RmiList(kind, sl.list_date, sl.source_file, reference_entries=refs)
    status = tuple(
        RmapEntry(kind, r.metal or "", r.smelter_id or "", r.standard_name or "", r.country,
                  r.extra.get("state_province"), r.extra.get("website"), r.last_audit_date, r.audit_cycle,
                  bool(r.extra.get("reaudit_in_progress")), r.extra.get("lbma_rg"), r.extra.get("rjc"))
        for r in rows
    )
    return RmiList(kind, sl.list_date, sl.source_file, entries=status)


def latest_rmi_lists(session: Session) -> list[RmiList]:
    """The newest stored list of each kind, as domain objects (for ``cmrt.review.adhoc.context_for``)."""
    out: list[RmiList] = []
    for kind in SmelterListKind:
        sl = latest_list(session, kind)
        if sl is None:
            continue
        if kind is SmelterListKind.REFERENCE and sl.list_date is not None:
            # RMI publishes one reference per template family (CMRT, EMRT ...): keep every one of that date
            same_day = session.scalars(
                sa.select(SmelterList)
                .where(SmelterList.kind == kind, SmelterList.list_date == sl.list_date)
                .order_by(SmelterList.id)
            ).all()
            out.extend(to_rmi_list(session, item) for item in same_day)
        else:
            out.append(to_rmi_list(session, sl))
    return out
