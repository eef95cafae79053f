"""What a newer set of RMI lists changes, per metal, and whether a downloaded list can be trusted at all.

Pure: the status before (None when nothing was imported yet) and after in, data out. ``check_download`` refuses a
file that is not the list it should be, is empty, or shrank so much that a broken download is likelier than RMI
dropping most facilities at once (the previous lists are then kept).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cmrt.smelters.rmap import ListKind, RmapEntry, RmapStatus, RmiList

MIN_SHARE_OF_PREVIOUS = 0.5  # a list with less than half the rows of the one it replaces is refused


@dataclass
class MetalChanges:
    metal: str
    new_conformant: list[str] = field(default_factory=list)  # CIDs now on the Conformant list
    no_longer_conformant: list[str] = field(default_factory=list)  # CIDs that left the Conformant list
    newly_active: list[str] = field(default_factory=list)  # CIDs now on the Active list
    newly_removed: list[str] = field(default_factory=list)  # CIDs the revisions list now records as removed

    def __bool__(self) -> bool:
        return bool(self.new_conformant or self.no_longer_conformant or self.newly_active or self.newly_removed)

    def summary(self) -> str:
        parts = [
            (len(self.new_conformant), "new conformant"),
            (len(self.no_longer_conformant), "no longer conformant"),
            (len(self.newly_active), "newly active"),
            (len(self.newly_removed), "removed by RMI"),
        ]
        return f"{self.metal}: " + ", ".join(f"{n} {what}" for n, what in parts if n)

    def to_json(self) -> dict[str, list[str]]:
        return {
            "new_conformant": self.new_conformant,
            "no_longer_conformant": self.no_longer_conformant,
            "newly_active": self.newly_active,
            "removed": self.newly_removed,
        }


def _by_metal(entries: dict[str, RmapEntry]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for cid, entry in entries.items():
        out.setdefault(entry.metal.strip().title() or "Unknown", set()).add(cid)
    return out


def list_changes(before: RmapStatus | None, after: RmapStatus) -> dict[str, MetalChanges]:
    """Per metal (only metals with a change), sorted: what the newer lists add and take away."""
    old = before or RmapStatus()
    changes: dict[str, MetalChanges] = {}

    def entry(metal: str) -> MetalChanges:
        return changes.setdefault(metal, MetalChanges(metal))

    new_c, old_c = _by_metal(after.conformant), _by_metal(old.conformant)
    for metal in set(new_c) | set(old_c):
        added = sorted(new_c.get(metal, set()) - old_c.get(metal, set()))
        gone = sorted(old_c.get(metal, set()) - new_c.get(metal, set()))
        if added:
            entry(metal).new_conformant.extend(added)
        if gone:
            entry(metal).no_longer_conformant.extend(gone)
    new_a, old_a = _by_metal(after.active), _by_metal(old.active)
    for metal, cids in new_a.items():
        added = sorted(cids - old_a.get(metal, set()))
        if added:
            entry(metal).newly_active.extend(added)
    for cid in sorted(set(after.removals) - set(old.removals)):
        entry(after.removals[cid].metal.strip().title() or "Unknown").newly_removed.append(cid)
    return {metal: changes[metal] for metal in sorted(changes) if changes[metal]}


def check_download(expected: ListKind, item: RmiList, previous: RmiList | None = None,
                   today: dt.date | None = None) -> list[str]:
    """Why ``item`` (downloaded as the ``expected`` list) must not be imported; empty when it may."""
    problems: list[str] = []
    if item.kind is not expected:
        problems.append(f"expected RMI's {expected.value} list, got a {item.kind.value} list")
    if not len(item):
        problems.append("the list has no rows")
    if previous is not None and len(previous) and len(item) < MIN_SHARE_OF_PREVIOUS * len(previous):
        problems.append(
            f"{len(item)} rows where the list it would replace has {len(previous)}: probably a broken download"
        )
    if today is not None and item.list_date is not None and item.list_date > today + dt.timedelta(days=1):
        problems.append(f"the list is dated {item.list_date.isoformat()}, in the future")
    if previous is not None and item.list_date and previous.list_date and item.list_date < previous.list_date:
        problems.append(
            f"the list is dated {item.list_date.isoformat()}, older than the one imported "
            f"({previous.list_date.isoformat()})"
        )
    return problems
