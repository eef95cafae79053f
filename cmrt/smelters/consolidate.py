"""The consolidated smelter list of a campaign: every smelter the suppliers reported, once, with its RMAP status.

Pure: plain records in (one ``SupplierSmelters`` per supplier, from its latest declaration), data out. Each
reported Smelter List row either joins a consolidated smelter or lands among the rejected entries with a reason
(the ddm consolidation rules, see the shared validation notes section C):

* rows naming a metal other than gold, tin, tantalum or tungsten, rows without a metal, rows with neither an id
  nor a usable name, and "Smelter not yet identified" rows are rejected;
* a row with an RMI id (``CID`` + six digits) is identified by that id; with a reference list loaded the id must
  be on it (``id_not_in_reference``) and belong to the row's metal (``metal_mismatch``);
* a row without an id (or with a placeholder/unknown id) is identified by the reference's look-up value or a
  fuzzy name match by metal and country at or above ``match_threshold``; otherwise it is rejected (``no_match``,
  or ``no_reference`` when no reference is loaded).

Consolidated smelters are keyed by (metal, smelter id) — the reference gives one standard name per id — and
count *distinct* suppliers (a supplier listing a smelter twice counts once). The country shown is the most
frequently reported one, recognised against ISO 3166 (``cmrt.smelters.countries``: "Russia" is RUSSIAN
FEDERATION; text that is no country is not counted; ties: the reference's country, then A-Z). The mine
countries of origin the suppliers declared (Mine List, and the Smelter List's mine-country column) are counted
by distinct suppliers per metal. The RMAP status is the one RMI's newest lists publish, named with their date
(``cmrt.smelters.rmap``): conformant (re-audit in progress carried), active, removed, not_conformant (on neither
list), or unknown when no status list was loaded; ``today`` only tells how old the lists are and whether an audit
cycle has passed (information for the team). Confidentiality: supplier keys are kept only with
``with_suppliers=True``; by default the result holds counts, never who reported what. Ordering is deterministic
(metal, standard name, id).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from cmrt.declaration import CMRT_METALS, MineRow, SmelterRow
from cmrt.smelters.countries import country_name
from cmrt.smelters.reference import (
    MATCH_THRESHOLD,
    NOT_LISTED,
    NOT_YET_IDENTIFIED,
    SmelterMatch,
    SmelterReference,
)
from cmrt.smelters.rmap import DEFAULT_MAX_LIST_AGE_DAYS, NO_LISTS_TEXT, RmapState, RmapStatus, SmelterStatus
from cmrt.smelters.text import clean, fold, is_cid, metal_key, normalise_cid

METALS = {metal.lower(): metal for metal in CMRT_METALS}
PLACEHOLDER_IDS = frozenset({"not listed", "not supplied", "unknown", "n/a", "na", "none", "tbd", "-"})
STATUSES = ("conformant", "active", "removed", "not_conformant", "unknown")
STATUS_TEXT = {
    "conformant": "conformant",
    "active": "active",
    "removed": "removed by RMI",
    "not_conformant": "not listed (neither Conformant nor Active)",
    "unknown": NO_LISTS_TEXT,
}
_STATE_NAMES = {
    RmapState.CONFORMANT: "conformant",
    RmapState.ACTIVE: "active",
    RmapState.REMOVED: "removed",
    RmapState.NOT_LISTED: "not_conformant",
}

#: The most distinct rows (and mine-country texts) whose classification is kept; past it a row is classified again.
MEMO_LIMIT = 100_000

REASONS = {
    "missing_metal": "the row has no metal",
    "not_3tg": "the metal is not gold, tin, tantalum or tungsten",
    "not_yet_identified": "the supplier selected 'Smelter not yet identified'",
    "too_few_fields": "the row has neither a smelter id nor a smelter name",
    "invalid_name": "the smelter name is too short or meaningless to identify a smelter",
    "id_not_in_reference": "the smelter id is not on RMI's smelter reference list",
    "metal_mismatch": "the smelter id belongs to a smelter of another metal",
    "invalid_id": "the smelter id is not an RMI id and the name matches no smelter on the reference list",
    "no_match": "no smelter id, and the name matches no smelter on the reference list",
    "no_reference": "no smelter id, and no reference list is loaded to identify the name",
}


@dataclass(frozen=True)
class SupplierSmelters:
    """One supplier's Smelter List rows (from its latest declaration); ``supplier`` is any stable key."""

    supplier: str
    rows: tuple[SmelterRow, ...]
    mines: tuple[MineRow, ...] = ()  # the Mine List, for the declared countries of origin


def rows_from_json(smelters: Iterable[Mapping[str, Any]]) -> tuple[SmelterRow, ...]:
    """``SmelterRow``s from the ``smelters`` list of ``Declaration.to_json()`` (unknown keys ignored)."""
    return tuple(_records(SmelterRow, smelters))


def _records(kind: Any, items: Iterable[Mapping[str, Any]]) -> list[Any]:
    names = {f.name for f in fields(kind)}
    out: list[Any] = []
    for item in items:
        values: dict[str, Any] = {
            k: (None if v is None else (v if k == "row" else str(v))) for k, v in item.items() if k in names
        }
        values["row"] = int(values.get("row") or 0)
        out.append(kind(**values))
    return out


#: The fields of a stored Smelter List / Mine List row the consolidation reads (``RowReader`` reads no others).
SMELTER_FIELDS = ("metal", "lookup", "name", "country", "smelter_id", "id_input", "standard_name", "mine_countries")
MINE_FIELDS = ("metal", "country")


class RowReader:
    """The consolidation's rows from stored declarations (the lists of ``Declaration.to_json()``), for a stream of
    many: only the fields it reads (``SMELTER_FIELDS``, ``MINE_FIELDS``; the row number is 0), and one shared row
    per distinct content, so that suppliers repeating the same few hundred smelters cost a few hundred rows, not
    one per supplier and row. At most ``limit`` distinct rows of each kind are kept for sharing."""

    def __init__(self, limit: int | None = None) -> None:
        self._limit = MEMO_LIMIT if limit is None else limit
        self._smelters: dict[tuple[Any, ...], SmelterRow] = {}
        self._mines: dict[tuple[Any, ...], MineRow] = {}

    def smelters(self, items: Iterable[Mapping[str, Any]] | None) -> tuple[SmelterRow, ...]:
        return self._read(items or (), SmelterRow, SMELTER_FIELDS, self._smelters)

    def mines(self, items: Iterable[Mapping[str, Any]] | None) -> tuple[MineRow, ...]:
        return self._read(items or (), MineRow, MINE_FIELDS, self._mines)

    def _read(
        self, items: Iterable[Mapping[str, Any]], kind: Any, names: tuple[str, ...], shared: dict[tuple[Any, ...], Any]
    ) -> tuple[Any, ...]:
        out = []
        for item in items:
            key = tuple(map(item.get, names))
            try:
                row = shared.get(key)
            except TypeError:  # a list or an object where text belongs: read it, do not share it
                row = _row(kind, names, key)
            else:
                if row is None:
                    row = _row(kind, names, key)
                    if len(shared) < self._limit:
                        shared[key] = row
            out.append(row)
        return tuple(out)


def _row(kind: Any, names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return kind(row=0, **{n: None if v is None else str(v) for n, v in zip(names, values, strict=True)})


@dataclass(frozen=True)
class ConsolidatedSmelter:
    metal: str
    smelter_id: str
    standard_name: str
    country: str | None  # the most frequently reported country
    reference_country: str | None
    suppliers: int  # distinct suppliers reporting it
    status: str  # one of STATUSES
    list_date: dt.date | None  # the date of the RMI list the status comes from
    matched_by: str  # id | lookup | fuzzy (the best way any supplier identified it)
    confidence: float  # 1.0 for id and look-up; the lowest accepted fuzzy score otherwise
    reported_names: tuple[str, ...] = ()
    supplier_keys: tuple[str, ...] = ()  # only with with_suppliers=True
    reaudit_in_progress: bool = False
    last_audit_date: dt.date | None = None
    audit_due: dt.date | None = None  # last audit + cycle: when a re-audit is due (never an expiry)
    audit_cycle_elapsed: bool = False  # audit_due passed, no re-audit in progress: team information
    status_text: str = ""  # "conformant, re-audit in progress (list of 2026-08-22)"

    def to_json(self, with_suppliers: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "metal": self.metal,
            "smelter_id": self.smelter_id,
            "standard_name": self.standard_name,
            "country": self.country,
            "reference_country": self.reference_country,
            "suppliers": self.suppliers,
            "rmap_status": self.status,
            "valid_until": None,  # kept for compatibility: RMI publishes no expiry, and the bot invents none
            "matched_by": self.matched_by,
            "confidence": self.confidence,
            "reported_names": list(self.reported_names),
            "rmap_list_date": self.list_date.isoformat() if self.list_date else None,
            "rmap_status_text": self.status_text,
            "reaudit_in_progress": self.reaudit_in_progress,
            "last_audit_date": self.last_audit_date.isoformat() if self.last_audit_date else None,
            "audit_due": self.audit_due.isoformat() if self.audit_due else None,
            "audit_cycle_elapsed": self.audit_cycle_elapsed,
        }
        if with_suppliers:
            data["supplier_keys"] = list(self.supplier_keys)
        return data


@dataclass(frozen=True)
class RejectedEntry:
    """Identical rejected rows of several suppliers, counted once per supplier."""

    reason: str  # a key of REASONS
    metal: str | None
    name: str | None
    country: str | None
    smelter_id: str | None
    suppliers: int
    detail: str = ""
    supplier_keys: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return REASONS[self.reason] + (f" ({self.detail})" if self.detail else "")

    def to_json(self, with_suppliers: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "reason": self.reason,
            "message": self.message,
            "metal": self.metal,
            "name": self.name,
            "country": self.country,
            "smelter_id": self.smelter_id,
            "suppliers": self.suppliers,
        }
        if with_suppliers:
            data["supplier_keys"] = list(self.supplier_keys)
        return data


@dataclass(frozen=True)
class MetalSummary:
    metal: str
    smelters: int
    statuses: dict[str, int]
    countries: dict[str, int]  # smelter country -> number of smelters
    mine_countries: dict[str, int] = field(default_factory=dict)  # declared mine country -> suppliers
    reaudit_in_progress: int = 0  # conformant smelters RMI is re-assessing
    audit_cycle_elapsed: int = 0  # conformant, cycle passed, no re-audit shown: team information

    @property
    def known(self) -> bool:
        """False when no RMAP status list was loaded: the shares are unknown, not 0 %."""
        return self.statuses.get("unknown", 0) < self.smelters or not self.smelters

    @property
    def conformant_share(self) -> float | None:
        if not self.known:
            return None
        return self.statuses.get("conformant", 0) / self.smelters if self.smelters else 0.0

    @property
    def conformant_or_active_share(self) -> float | None:
        if not self.known:
            return None
        done = self.statuses.get("conformant", 0) + self.statuses.get("active", 0)
        return done / self.smelters if self.smelters else 0.0

    def to_json(self) -> dict[str, Any]:
        share, either = self.conformant_share, self.conformant_or_active_share
        return {
            "smelters": self.smelters,
            **{status: self.statuses.get(status, 0) for status in STATUSES},
            "conformance_expired": 0,  # kept for compatibility: a listed facility is conformant on the list date
            "reaudit_in_progress": self.reaudit_in_progress,
            "audit_cycle_elapsed": self.audit_cycle_elapsed,
            "percent_conformant": round(share * 100, 1) if share is not None else None,
            "percent_conformant_or_active": round(either * 100, 1) if either is not None else None,
            "countries": dict(self.countries),
            "mine_countries": dict(self.mine_countries),
        }


@dataclass(frozen=True)
class Consolidation:
    rows: tuple[ConsolidatedSmelter, ...]
    rejected: tuple[RejectedEntry, ...]
    by_metal: dict[str, MetalSummary]
    countries: dict[str, int]  # all metals: smelter country -> number of smelters
    suppliers: int  # suppliers whose declarations were consolidated
    rows_read: int  # Smelter List rows with data
    with_suppliers: bool = False
    rmap_list_date: dt.date | None = None
    reference_date: dt.date | None = None
    has_status_lists: bool = False
    mine_countries: dict[str, int] = field(default_factory=dict)  # all metals: declared mine country -> suppliers

    def to_json(self) -> dict[str, Any]:
        return {
            "by_metal": {metal: summary.to_json() for metal, summary in self.by_metal.items()},
            "countries": dict(self.countries),
            "mine_countries": dict(self.mine_countries),
            "suppliers": self.suppliers,
            "rows_read": self.rows_read,
            "rows": [r.to_json(self.with_suppliers) for r in self.rows],
            "rejected": [r.to_json(self.with_suppliers) for r in self.rejected],
        }


@dataclass
class _Acc:
    metal: str
    cid: str
    standard_name: str | None = None
    reference_country: str | None = None
    suppliers: set[str] = field(default_factory=set)
    countries: Counter[str] = field(default_factory=Counter)  # canonical country name -> rows reporting it
    names: set[str] = field(default_factory=set)
    methods: dict[str, float] = field(default_factory=dict)  # method -> lowest confidence


def _has_data(row: SmelterRow) -> bool:
    return any(clean(v) for v in (row.metal, row.lookup, row.name, row.country, row.smelter_id))


def _bad_name(name: str | None) -> bool:
    text = (clean(name) or "").strip()
    return len(text) < 3 or len(set(text.casefold())) == 1


_V2_ID = re.compile(r"^([1-4])[A-Z]{3}\d{3}$")
_V2_METALS = {"1": "Gold", "2": "Tin", "3": "Tantalum", "4": "Tungsten"}


def _row_id(row: SmelterRow) -> tuple[str | None, str | None]:
    """(CID or None, the id as typed when it is not a CID and not a placeholder)."""
    raw = clean(row.smelter_id) or clean(row.id_input)
    if raw is None or fold(raw) in PLACEHOLDER_IDS:
        return None, None
    cid = normalise_cid(raw)
    return (cid, None) if is_cid(cid) else (None, raw)


def consolidate(
    declarations: Iterable[SupplierSmelters],
    *,
    today: dt.date,
    reference: SmelterReference | None = None,
    rmap: RmapStatus | None = None,
    with_suppliers: bool = False,
    match_threshold: float = MATCH_THRESHOLD,
    max_list_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS,
) -> Consolidation:
    """Each distinct row (its content, whatever its row number or supplier) is classified once: suppliers repeat
    the same few hundred smelters, so two million rows cost a few thousand classifications and, per row, a look-up
    and the counting (``_Outcome``). Memos are bounded (``MEMO_LIMIT``): past it a row is classified again, with the
    same result."""
    accs: dict[tuple[str, str], _Acc] = {}
    rejected: dict[tuple[str, str | None, str | None, str | None, str | None, str], set[str]] = {}
    suppliers: set[str] = set()
    rows_read = 0
    matches: dict[tuple[str, str, str], SmelterMatch | None] = {}
    outcomes: dict[tuple[str | None, ...], _Outcome] = {}
    origin_memo: dict[tuple[str | None, str], tuple[tuple[str, str], ...]] = {}

    origins: dict[str, dict[str, set[str]]] = {}  # metal ("" for all) -> country -> suppliers
    for item in declarations:
        supplier = item.supplier
        suppliers.add(supplier)
        for metal, origin in _mine_origins(item, origin_memo):
            for bucket in (metal, ""):
                origins.setdefault(bucket, {}).setdefault(origin, set()).add(supplier)
        for row in item.rows:
            key = (row.metal, row.lookup, row.name, row.country, row.smelter_id, row.id_input, row.standard_name)
            outcome = outcomes.get(key)
            if outcome is None:
                outcome = _classify(row, reference, rmap, match_threshold, accs, rejected, matches)
                if len(outcomes) < MEMO_LIMIT:
                    outcomes[key] = outcome
            if outcome.suppliers is None:  # no data in the row
                continue
            rows_read += 1
            outcome.suppliers.add(supplier)
            if outcome.countries is not None and outcome.country:
                outcome.countries[outcome.country] += 1

    out_rows = []
    for acc in accs.values():
        found = rmap.status(acc.cid) if rmap is not None and rmap.has_status_lists else None
        method = next((m for m in ("id", "lookup", "fuzzy") if m in acc.methods), "id")
        country = _country(acc)
        out_rows.append(
            ConsolidatedSmelter(
                metal=acc.metal,
                smelter_id=acc.cid,
                standard_name=acc.standard_name or (sorted(acc.names)[0] if acc.names else acc.cid),
                country=country,
                reference_country=acc.reference_country,
                suppliers=len(acc.suppliers),
                matched_by=method,
                confidence=round(acc.methods.get(method, 1.0), 2),
                reported_names=tuple(sorted(acc.names)),
                supplier_keys=tuple(sorted(acc.suppliers)) if with_suppliers else (),
                **_status_fields(found, today, max_list_age_days),
            )
        )
    out_rows.sort(key=lambda r: (r.metal, fold(r.standard_name), r.smelter_id))
    out_rejected = [
        RejectedEntry(
            reason, metal, name, country, sid, len(keys), detail,
            tuple(sorted(keys)) if with_suppliers else (),
        )
        for (reason, metal, name, country, sid, detail), keys in rejected.items()
    ]  # fmt: skip
    out_rejected.sort(key=lambda r: (r.metal or "~", r.reason, fold(r.name), r.smelter_id or "", fold(r.country)))
    def mine_counts(metal: str) -> dict[str, int]:
        counts = {country: len(keys) for country, keys in origins.get(metal, {}).items()}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    by_metal = {
        metal: replace(m, mine_countries=mine_counts(metal)) for metal, m in _by_metal(out_rows).items()
    }
    return Consolidation(
        rows=tuple(out_rows),
        rejected=tuple(out_rejected),
        by_metal=by_metal,
        mine_countries=mine_counts(""),
        countries=_count_countries(out_rows),
        suppliers=len(suppliers),
        rows_read=rows_read,
        with_suppliers=with_suppliers,
        rmap_list_date=rmap.list_date if rmap is not None else None,
        reference_date=reference.date if reference is not None else None,
        has_status_lists=bool(rmap is not None and rmap.has_status_lists),
    )


@dataclass(slots=True)
class _Outcome:
    """What one distinct Smelter List row comes to, whichever supplier reports it: the set its suppliers join (its
    consolidated smelter's, or its rejected entry's; None: the row holds no data) and, for a smelter, the country
    it reports (counted per row) with the counter it goes to."""

    suppliers: set[str] | None = None
    countries: Counter[str] | None = None
    country: str | None = None


_EMPTY_ROW = _Outcome()


def _classify(
    row: SmelterRow,
    reference: SmelterReference | None,
    rmap: RmapStatus | None,
    threshold: float,
    accs: dict[tuple[str, str], _Acc],
    rejected: dict[tuple[str, str | None, str | None, str | None, str | None, str], set[str]],
    matches: dict[tuple[str, str, str], SmelterMatch | None],
) -> _Outcome:
    """Where a row goes: its consolidated smelter (created or completed: names, standard name, how it was
    identified) or its rejected entry. Classifying the same row again changes nothing."""
    if not _has_data(row):
        return _EMPTY_ROW
    rejection = _place(row, reference, rmap, threshold, accs, matches)
    if isinstance(rejection, _Acc):
        # "Russia" is RUSSIAN FEDERATION; "n/a" is no country
        return _Outcome(rejection.suppliers, rejection.countries, country_name(clean(row.country)))
    reason, metal, detail = rejection
    name = clean(row.name) or clean(row.lookup)
    key = (reason, metal, name, clean(row.country), clean(row.smelter_id) or clean(row.id_input), detail)
    return _Outcome(rejected.setdefault(key, set()))


def _place(
    row: SmelterRow,
    reference: SmelterReference | None,
    rmap: RmapStatus | None,
    threshold: float,
    accs: dict[tuple[str, str], _Acc],
    matches: dict[tuple[str, str, str], SmelterMatch | None],
) -> _Acc | tuple[str, str | None, str]:
    """The consolidated smelter a row joins (its names and identification recorded), or why it is rejected:
    (reason, metal, detail)."""
    if not clean(row.metal):
        return "missing_metal", None, ""
    metal = METALS.get(metal_key(row.metal))
    if metal is None:
        return "not_3tg", clean(row.metal), ""
    lookup = fold(row.lookup)
    if lookup == NOT_YET_IDENTIFIED:
        return "not_yet_identified", metal, ""
    cid, odd_id = _row_id(row)
    listed_name = clean(row.lookup) if lookup and lookup != NOT_LISTED else None
    name = clean(row.name) or listed_name
    if cid is None and odd_id is None and name is None:
        return "too_few_fields", metal, ""

    method, confidence = "id", 1.0
    standard: str | None = None
    ref_country: str | None = None
    if cid is not None:
        if reference is not None and reference:
            entry = reference.standard(cid)
            if entry is None:
                removal = rmap.removals.get(cid) if rmap is not None else None
                when = removal.revision_date.isoformat() if removal and removal.revision_date else ""
                note = f"; RMI removed it from the smelter list {when}".rstrip() if removal else ""
                return "id_not_in_reference", metal, cid + note
            if metal_key(entry.metal) != metal_key(metal):
                return "metal_mismatch", metal, f"{cid} is a {entry.metal} smelter"
            standard, ref_country = entry.standard_name, entry.country
        else:
            listed = _rmap_metal(rmap, cid)
            if listed is not None and metal_key(listed) != metal_key(metal):
                return "metal_mismatch", metal, f"{cid} is a {listed} smelter"
            standard = clean(row.standard_name) or listed_name or clean(row.name)
    else:
        v2 = _V2_ID.match(odd_id.upper()) if odd_id else None
        if v2 and _V2_METALS[v2.group(1)] != metal:  # CFSI v2 ids: 1 gold, 2 tin, 3 tantalum, 4 tungsten
            return "metal_mismatch", metal, f"{odd_id} is a {_V2_METALS[v2.group(1)]} id"
        if name is None or _bad_name(name):
            return ("invalid_name" if name else "too_few_fields"), metal, ""
        if reference is None or not reference:
            return ("invalid_id" if odd_id else "no_reference"), metal, odd_id or ""
        found = reference.lookup(metal, listed_name) if listed_name else None
        if found is not None:
            match_method, match_conf, entry = "lookup", 1.0, found
        else:
            memo = (metal, name, clean(row.country) or "")  # suppliers repeat names: match each once
            if memo not in matches:
                matches[memo] = reference.match(metal, name, row.country)
            best = matches[memo]
            if best is None or best.confidence < threshold:
                hint = ""
                if best is not None:
                    hint = f"closest: {best.entry.standard_name}, {best.entry.smelter_id}, {best.confidence:.0%}"
                return ("invalid_id" if odd_id else "no_match"), metal, hint
            match_method, match_conf, entry = best.method, best.confidence, best.entry
        cid = normalise_cid(entry.smelter_id) or ""
        method, confidence = match_method, match_conf
        standard, ref_country = entry.standard_name, entry.country

    acc = accs.setdefault((metal, cid), _Acc(metal, cid))
    if standard and acc.standard_name is None:
        acc.standard_name = standard
    if ref_country and acc.reference_country is None:
        acc.reference_country = ref_country
    for text in (clean(row.name), listed_name):
        if text:
            acc.names.add(text)
    acc.methods[method] = min(confidence, acc.methods.get(method, 1.0))
    return acc


def _rmap_metal(rmap: RmapStatus | None, cid: str) -> str | None:
    if rmap is None:
        return None
    entry = rmap.conformant.get(cid) or rmap.active.get(cid)
    if entry is not None:
        return entry.metal
    removal = rmap.removals.get(cid)
    return removal.metal if removal is not None else None


def _country(acc: _Acc) -> str | None:
    """The most frequently reported (recognisable) country; ties go to the reference's, then A-Z."""
    ref = country_name(acc.reference_country) or (acc.reference_country.upper() if acc.reference_country else None)
    if not acc.countries:
        return ref
    return sorted(acc.countries.items(), key=lambda kv: (-kv[1], 0 if kv[0] == ref else 1, kv[0]))[0][0]


_SPLIT = re.compile(r"[,;/\n|]+")


def _mine_origins(
    item: SupplierSmelters, memo: dict[tuple[str | None, str], tuple[tuple[str, str], ...]]
) -> set[tuple[str, str]]:
    """(metal, country) pairs the supplier declared as mine origins: the Mine List and the Smelter List's
    "mine countries" column. Texts that are no country ("unknown", "recycled", "see RCOI list") are skipped. Each
    distinct (metal, text) is read once (``memo``)."""
    found: set[tuple[str, str]] = set()
    pairs = [(m.metal, m.country) for m in item.mines if m.country]
    pairs += [(r.metal, r.mine_countries) for r in item.rows if r.mine_countries]
    for metal_text, text in pairs:
        key = (metal_text, str(text))
        known = memo.get(key)
        if known is None:
            known = _origins(metal_text, text)
            if len(memo) < MEMO_LIMIT:
                memo[key] = known
        found.update(known)
    return found


def _origins(metal_text: str | None, text: object) -> tuple[tuple[str, str], ...]:
    metal = METALS.get(metal_key(metal_text))
    if metal is None or not clean(text):
        return ()
    countries = (country_name(clean(part)) for part in _SPLIT.split(str(text)))
    return tuple(dict.fromkeys((metal, country) for country in countries if country))


def _status_fields(found: SmelterStatus | None, today: dt.date, max_age_days: int) -> dict[str, Any]:
    """The ConsolidatedSmelter fields of one RMAP status (``found`` None: no status list loaded)."""
    if found is None:
        return {"status": "unknown", "list_date": None, "status_text": NO_LISTS_TEXT}
    entry = found.entry if found.state is RmapState.CONFORMANT else None
    return {
        "status": _STATE_NAMES[found.state],
        "list_date": found.list_date,
        "status_text": found.label(today, max_age_days),
        "reaudit_in_progress": found.reaudit_in_progress,
        "last_audit_date": entry.last_audit_date if entry is not None else None,
        "audit_due": found.audit_due,
        "audit_cycle_elapsed": found.audit_cycle_elapsed(today),
    }


def _count_countries(rows: Sequence[ConsolidatedSmelter]) -> dict[str, int]:
    counts = Counter(r.country or "UNKNOWN" for r in rows)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _by_metal(rows: Sequence[ConsolidatedSmelter]) -> dict[str, MetalSummary]:
    out: dict[str, MetalSummary] = {}
    for metal in sorted(METALS.values()):
        mine = [r for r in rows if r.metal == metal]
        statuses = Counter(r.status for r in mine)
        out[metal] = MetalSummary(
            metal=metal,
            smelters=len(mine),
            statuses={s: statuses.get(s, 0) for s in STATUSES},
            countries=_count_countries(mine),
            reaudit_in_progress=sum(1 for r in mine if r.reaudit_in_progress),
            audit_cycle_elapsed=sum(1 for r in mine if r.audit_cycle_elapsed),
        )
    return out
