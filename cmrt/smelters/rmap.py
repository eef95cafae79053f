"""RMI's RMAP status lists (Conformant, Active) and the smelter-list revisions, as data, read as RMI publishes them.

A status is always "as of" a list date, and comes straight from the lists:

- ``conformant``: on the Conformant list of that date. RMI keeps a facility listed while it is re-assessed
  (``Reaudit In Progress``), and the list has no "valid until" column: the bot never invents an expiry. It stays
  conformant until a newer list says otherwise.
- ``active``: on the Active list (committed to an assessment, not yet conformant).
- ``removed``: on neither status list, and the revisions list records RMI's removal.
- ``not_listed``: on neither list (RMI publishes no "non-conformant" list).

Last audit date plus audit cycle ("1 Year", "3 YearS" ...; a blank cycle is read as one year, recorded as assumed)
is when a re-audit is due (``audit_due``): information for the team, never a status. A list older than
``max_age_days`` (45 by default) is stale, and every status label then says how old it is.
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


DEFAULT_MAX_LIST_AGE_DAYS = 45


class RmapState(StrEnum):
    CONFORMANT = "conformant"  # on the Conformant list of the list date
    ACTIVE = "active"  # on the Active list
    REMOVED = "removed"  # on neither list; the revisions list says RMI removed it
    NOT_LISTED = "not_listed"  # on neither list


STATE_TEXT = {
    RmapState.CONFORMANT: "conformant",
    RmapState.ACTIVE: "active",
    RmapState.REMOVED: "removed by RMI",
    RmapState.NOT_LISTED: "not listed (neither Conformant nor Active)",
}
NO_LISTS_TEXT = "unknown (no RMAP list imported)"


def list_age_days(list_date: dt.date | None, today: dt.date) -> int | None:
    return (today - list_date).days if list_date is not None else None


def is_stale(list_date: dt.date | None, today: dt.date, max_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS) -> bool:
    """An undated list, or one older than ``max_age_days`` on ``today``."""
    age = list_age_days(list_date, today)
    return age is None or age > max_age_days


def list_label(list_date: dt.date | None, today: dt.date, max_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS) -> str:
    """``list of 2026-08-22`` or, when stale, ``list of 2026-08-22, 104 days old`` (``undated list``)."""
    if list_date is None:
        return "undated list"
    age = list_age_days(list_date, today) or 0
    return f"list of {list_date.isoformat()}" + (f", {age} days old" if age > max_age_days else "")


def stale_warning(list_date: dt.date | None, today: dt.date, max_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS) -> str:
    """The team's warning about stale status lists, or "" when they are current."""
    if not is_stale(list_date, today, max_age_days):
        return ""
    if list_date is None:
        return "The RMAP status lists are undated: re-import them (`cmrt-bot smelters fetch`)."
    return (
        f"The RMAP status lists are of {list_date.isoformat()}, {list_age_days(list_date, today)} days old "
        f"(more than {max_age_days}): statuses may be out of date; run `cmrt-bot smelters fetch`."
    )


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
    def audit_due(self) -> dt.date | None:
        """Last audit date plus the audit cycle: when a re-audit is due, *not* when conformance ends (None on the
        Active list, which has no dates)."""
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
    """A smelter's RMAP status as published on the list of ``list_date``."""

    state: RmapState
    smelter_id: str
    list_date: dt.date | None = None  # the date of the list that says so
    entry: RmapEntry | None = None
    removed: Revision | None = None

    @property
    def reaudit_in_progress(self) -> bool:
        return bool(self.entry is not None and self.entry.reaudit_in_progress)

    @property
    def audit_due(self) -> dt.date | None:
        return self.entry.audit_due if self.entry is not None and self.state is RmapState.CONFORMANT else None

    def audit_cycle_elapsed(self, today: dt.date) -> bool:
        """Conformant, the audit cycle has passed and RMI shows no re-audit in progress: a *possible* lapse, worth
        a look on the next list. Information for the team only: RMI still lists the facility as conformant."""
        due = self.audit_due
        return due is not None and due < today and not self.reaudit_in_progress

    def label(self, today: dt.date, max_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS) -> str:
        """``conformant, re-audit in progress (list of 2026-08-22)``; the list's age is named when it is stale."""
        text = STATE_TEXT[self.state]
        if self.reaudit_in_progress:
            text += ", re-audit in progress"
        return f"{text} ({list_label(self.list_date, today, max_age_days)})"


@dataclass
class RmapStatus:
    """The newest Conformant and Active lists (and revisions), indexed by CID.

    ``from_lists`` keeps the newest list of each kind: a facility missing from a newer Conformant list is no longer
    conformant, whatever an older list said.
    """

    conformant: dict[str, RmapEntry] = field(default_factory=dict)
    active: dict[str, RmapEntry] = field(default_factory=dict)
    removals: dict[str, Revision] = field(default_factory=dict)
    list_dates: dict[str, dt.date | None] = field(default_factory=dict)  # kind -> date of the snapshot
    sources: list[str] = field(default_factory=list)

    @classmethod
    def from_lists(cls, lists: Iterable[RmiList]) -> RmapStatus:
        newest: dict[ListKind, RmiList] = {}
        for item in lists:
            held = newest.get(item.kind)
            if held is None or (item.list_date or dt.date.min) >= (held.list_date or dt.date.min):
                newest[item.kind] = item
        status = cls()
        for item in newest.values():
            status.add(item)
        return status

    def add(self, item: RmiList) -> None:
        """Add one list (the caller gives at most one per kind: see ``from_lists``)."""
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

    def status(self, smelter_id: str | None) -> SmelterStatus:
        """The status the lists publish; it does not depend on the day it is asked (no expiry is projected)."""
        cid = normalise_cid(smelter_id) or ""
        entry = self.conformant.get(cid)
        if entry is not None:
            return SmelterStatus(RmapState.CONFORMANT, cid, self.list_dates.get(ListKind.CONFORMANT.value), entry)
        entry = self.active.get(cid)
        if entry is not None:
            return SmelterStatus(RmapState.ACTIVE, cid, self.list_dates.get(ListKind.ACTIVE.value), entry)
        removal = self.removals.get(cid)
        if removal is not None:
            return SmelterStatus(RmapState.REMOVED, cid, self.list_date, removed=removal)
        return SmelterStatus(RmapState.NOT_LISTED, cid, self.list_date)
