"""RMI's RMAP status lists (Conformant, Active) and the smelter-list revisions, as data.

Conformance is valid until the last audit date plus the audit cycle ("1 Year", "3 YearS", "2 years" ...;
a blank cycle is read as RMI's default of one year and recorded as assumed). The lists are dated snapshots:
every review records the date of the list it was checked against.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from cmrt.smelters.reference import ReferenceEntry
from cmrt.smelters.text import normalise_cid

DEFAULT_CYCLE_YEARS = 1
_CYCLE = re.compile(r"(\d+)\s*(year|yr|month)", re.IGNORECASE)


class ListKind(StrEnum):
    CONFORMANT = "conformant"
    ACTIVE = "active"
    REVISIONS = "revisions"
    REFERENCE = "reference"


class RmapState(StrEnum):
    CONFORMANT = "conformant"
    CONFORMANT_EXPIRED = "conformant_expired"  # on the list, but last audit + cycle is in the past
    ACTIVE = "active"
    REMOVED = "removed"  # the revisions list says RMI removed it
    NOT_LISTED = "not_listed"


def parse_audit_cycle(raw: str | None) -> tuple[int, bool]:
    """("3 YearS") -> (36 months, False); blank -> (12, True) meaning assumed. Months, to allow "18 Months"."""
    if raw:
        match = _CYCLE.search(raw)
        if match:
            number = int(match.group(1))
            return (number if match.group(2).lower() == "month" else number * 12), False
    return DEFAULT_CYCLE_YEARS * 12, True


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


@dataclass(frozen=True)
class RmapEntry:
    kind: ListKind  # CONFORMANT or ACTIVE
    metal: str
    smelter_id: str
    name: str
    country: str | None = None
    state_province: str | None = None
    website: str | None = None
    last_audit_date: dt.date | None = None
    audit_cycle_raw: str | None = None
    reaudit_in_progress: bool = False
    lbma_rg: str | None = None
    rjc: str | None = None

    @property
    def audit_cycle_months(self) -> int:
        return parse_audit_cycle(self.audit_cycle_raw)[0]

    @property
    def audit_cycle_assumed(self) -> bool:
        return parse_audit_cycle(self.audit_cycle_raw)[1]

    @property
    def valid_until(self) -> dt.date | None:
        """Last audit date plus the audit cycle; None on the Active list (no dates)."""
        if self.last_audit_date is None:
            return None
        return add_months(self.last_audit_date, self.audit_cycle_months)


@dataclass(frozen=True)
class Revision:
    metal: str
    smelter_id: str
    name: str
    country: str | None
    basis: str  # "Removed", "Added", "Name correction" ...
    details: str | None
    revision_date: dt.date | None
    added_date: dt.date | None

    @property
    def removed(self) -> bool:
        return self.basis.strip().lower().startswith("removed")


@dataclass(frozen=True)
class RmiList:
    """One imported file: what it is, its date, its rows."""

    kind: ListKind
    list_date: dt.date | None
    source_name: str
    entries: tuple[RmapEntry, ...] = ()
    revisions: tuple[Revision, ...] = ()
    reference_entries: tuple[ReferenceEntry, ...] = ()

    def __len__(self) -> int:
        return len(self.entries) + len(self.revisions) + len(self.reference_entries)


@dataclass(frozen=True)
class SmelterStatus:
    state: RmapState
    smelter_id: str
    entry: RmapEntry | None = None
    valid_until: dt.date | None = None
    removed: Revision | None = None


@dataclass
class RmapStatus:
    """The loaded Conformant and Active lists (and revisions), indexed by CID."""

    conformant: dict[str, RmapEntry] = field(default_factory=dict)
    active: dict[str, RmapEntry] = field(default_factory=dict)
    removals: dict[str, Revision] = field(default_factory=dict)
    list_dates: dict[str, dt.date | None] = field(default_factory=dict)  # kind -> date of the snapshot
    sources: list[str] = field(default_factory=list)

    @classmethod
    def from_lists(cls, lists: Iterable[RmiList]) -> RmapStatus:
        status = cls()
        for item in lists:
            status.add(item)
        return status

    def add(self, item: RmiList) -> None:
        if item.kind in (ListKind.CONFORMANT, ListKind.ACTIVE):
            target = self.conformant if item.kind is ListKind.CONFORMANT else self.active
            for entry in item.entries:
                target.setdefault(normalise_cid(entry.smelter_id) or entry.smelter_id, entry)
        elif item.kind is ListKind.REVISIONS:
            for rev in sorted(item.revisions, key=lambda r: r.revision_date or dt.date.min):
                if rev.removed:
                    self.removals[normalise_cid(rev.smelter_id) or rev.smelter_id] = rev
        else:
            return
        previous = self.list_dates.get(item.kind.value)
        if previous is None or (item.list_date and item.list_date > previous):
            self.list_dates[item.kind.value] = item.list_date
        self.sources.append(item.source_name)

    @property
    def has_status_lists(self) -> bool:
        return bool(self.conformant or self.active)

    @property
    def list_date(self) -> dt.date | None:
        """Date of the status snapshot (the older of the Conformant and Active dates when they differ)."""
        dates = [d for k, d in self.list_dates.items() if k != ListKind.REVISIONS.value and d]
        return min(dates) if dates else None

    def status(self, smelter_id: str | None, today: dt.date) -> SmelterStatus:
        cid = normalise_cid(smelter_id) or ""
        entry = self.conformant.get(cid)
        if entry is not None:
            until = entry.valid_until
            if until is not None and until < today:
                return SmelterStatus(RmapState.CONFORMANT_EXPIRED, cid, entry, until)
            return SmelterStatus(RmapState.CONFORMANT, cid, entry, until)
        entry = self.active.get(cid)
        if entry is not None:
            return SmelterStatus(RmapState.ACTIVE, cid, entry)
        removal = self.removals.get(cid)
        if removal is not None:
            return SmelterStatus(RmapState.REMOVED, cid, removed=removal)
        return SmelterStatus(RmapState.NOT_LISTED, cid)
