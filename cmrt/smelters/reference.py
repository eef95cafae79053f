"""The smelter reference: RMI's list of smelter names and aliases, each mapped to a standard name and a CID.

Built from a returned workbook's own ``Smelter Look-up`` sheet (``from_lookup_rows``), from RMI's reference
exports or the CSV copies of the look-up tables (``cmrt.smelters.rmi``). Rows without an id are matched by
metal, country and a fuzzy name (rapidfuzz); the match reports a confidence between 0 and 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from cmrt.smelters.text import clean, country_key, fold, match_key, metal_key, normalise_cid

NOT_LISTED = "smelter not listed"
NOT_YET_IDENTIFIED = "smelter not yet identified"
PSEUDO_LOOKUPS = frozenset({NOT_LISTED, NOT_YET_IDENTIFIED})
# A fuzzy name match at or above this is trusted: proposed as "probably" in a review, used when consolidating.
MATCH_THRESHOLD = 0.85


@dataclass(frozen=True)
class ReferenceEntry:
    metal: str
    alias: str  # the "Smelter Look-up" / "Smelter Reference" value
    standard_name: str
    country: str | None
    smelter_id: str | None
    source: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class SmelterMatch:
    entry: ReferenceEntry
    confidence: float  # 0..1
    method: str  # "id", "lookup", "fuzzy"


class SmelterReference:
    """Indexed, read-only reference list. Look-ups are O(1); fuzzy matching is per metal."""

    def __init__(self, entries: Iterable[ReferenceEntry], *, source: str = "", date: dt.date | None = None) -> None:
        self.entries: tuple[ReferenceEntry, ...] = tuple(
            e for e in entries if fold(e.alias) not in PSEUDO_LOOKUPS and e.smelter_id
        )
        self.source = source
        self.date = date
        self._by_id: dict[str, list[ReferenceEntry]] = {}
        self._by_lookup: dict[tuple[str, str], ReferenceEntry] = {}
        self._names: dict[str, list[tuple[str, ReferenceEntry]]] = {}
        for entry in self.entries:
            cid = normalise_cid(entry.smelter_id) or ""
            self._by_id.setdefault(cid, []).append(entry)
            metal = metal_key(entry.metal)
            self._by_lookup.setdefault((metal, fold(entry.alias)), entry)
            bucket = self._names.setdefault(metal, [])
            for name in {match_key(entry.alias), match_key(entry.standard_name)}:
                if name:
                    bucket.append((name, entry))
        self._choices = {metal: [name for name, _ in items] for metal, items in self._names.items()}

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def has_id(self, smelter_id: str | None) -> bool:
        return (normalise_cid(smelter_id) or "") in self._by_id

    def by_id(self, smelter_id: str | None) -> Sequence[ReferenceEntry]:
        """Every alias row of one CID (the first row carries the standard name)."""
        return self._by_id.get(normalise_cid(smelter_id) or "", ())

    def standard(self, smelter_id: str | None) -> ReferenceEntry | None:
        rows = self.by_id(smelter_id)
        return rows[0] if rows else None

    def lookup(self, metal: str | None, alias: str | None) -> ReferenceEntry | None:
        """The entry a template's look-up value (alias) stands for, case-insensitively."""
        return self._by_lookup.get((metal_key(metal), fold(alias)))

    def ids_for_metal(self, metal: str | None) -> set[str]:
        key = metal_key(metal)
        return {normalise_cid(e.smelter_id) or "" for _, e in self._names.get(key, ())}

    def name_score(self, smelter_id: str | None, name: str | None) -> float:
        """How well ``name`` fits any alias or the standard name of ``smelter_id`` (0..1)."""
        key = match_key(name)
        if not key:
            return 1.0
        best = 0.0
        for entry in self.by_id(smelter_id):
            for candidate in (entry.alias, entry.standard_name):
                best = max(best, fuzz.token_set_ratio(key, match_key(candidate)) / 100.0)
        return best

    def match(self, metal: str | None, name: str | None, country: str | None = None) -> SmelterMatch | None:
        """Best reference entry for a row without an id: exact look-up first, then a fuzzy name within the metal.

        The confidence is the name similarity, lowered by a third when the country disagrees.
        """
        exact = self.lookup(metal, name)
        if exact is not None:
            agree = not country or country_key(country) == country_key(exact.country)
            return SmelterMatch(exact, 1.0 if agree else 0.67, "lookup")
        key = match_key(name)
        metal_k = metal_key(metal)
        choices = self._choices.get(metal_k)
        if not key or not choices:
            return None
        hits = process.extract(key, choices, scorer=fuzz.token_sort_ratio, limit=5)
        best: SmelterMatch | None = None
        for _, score, index in hits:
            entry = self._names[metal_k][index][1]
            confidence = score / 100.0
            if country and country_key(country) != country_key(entry.country):
                confidence *= 2 / 3
            if best is None or confidence > best.confidence:
                best = SmelterMatch(entry, round(confidence, 2), "fuzzy")
        return best

    def merged(self, other: SmelterReference) -> SmelterReference:
        """This reference plus the entries of ``other`` (aliases ours first); the later date wins."""
        dates = [d for d in (self.date, other.date) if d]
        return SmelterReference(
            (*self.entries, *other.entries),
            source=" + ".join(s for s in (self.source, other.source) if s),
            date=max(dates) if dates else None,
        )


_LOOKUP_HEADERS = {
    "metal": "metal",
    "smelter look-up": "alias",
    "smelter look-up (*)": "alias",
    "smelter reference": "alias",
    "smelter reference list": "alias",
    "standard smelter name": "standard_name",
    "standard smelter names": "standard_name",
    "country": "country",
    "smelter facility location: country": "country",
    "smelter id": "smelter_id",
    "source of smelter id": "source",
    "source of smelter identification number": "source",
    "street": "street",
    "smelter street": "street",
    "city": "city",
    "smelter city": "city",
    "state/province": "state",
    "state province": "state",
    "smelter facility location: state / province": "state",
}


def header_map(row: Sequence[object]) -> dict[str, int]:
    """Column index of each known field in a header row (unknown headers ignored)."""
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        field = _LOOKUP_HEADERS.get(fold(value))
        if field and field not in found:
            found[field] = index
    return found


def from_lookup_rows(
    rows: Iterable[Sequence[object]], *, source: str = "workbook Smelter Look-up", date: dt.date | None = None
) -> SmelterReference:
    """Build a reference from table rows: a header row (found among the first rows) then data rows.

    Works for a workbook's ``Smelter Look-up`` sheet (header on row 4), RMI's reference exports and the CSV
    copies. Rows without a metal or an id are skipped.
    """
    columns: dict[str, int] | None = None
    entries: list[ReferenceEntry] = []
    for row in rows:
        if columns is None:
            candidate = header_map(row)
            if {"metal", "alias", "smelter_id"} <= candidate.keys():
                columns = candidate
            continue

        def get(field: str, row: Sequence[object] = row, columns: dict[str, int] = columns) -> str | None:
            index = columns.get(field)
            return clean(row[index]) if index is not None and index < len(row) else None

        metal, alias, cid = get("metal"), get("alias"), normalise_cid(get("smelter_id"))
        if not metal or not alias or not cid:
            continue
        entries.append(
            ReferenceEntry(
                metal=metal,
                alias=alias,
                standard_name=get("standard_name") or alias,
                country=get("country"),
                smelter_id=cid,
                source=get("source"),
                street=get("street"),
                city=get("city"),
                state=get("state"),
            )
        )
    if columns is None:
        raise ValueError("no smelter reference header (Metal, Smelter Look-up/Reference, Smelter ID) found")
    return SmelterReference(entries, source=source, date=date)
