"""Import RMI's facilities-list exports exactly as published.

Accepted: Excel 2003 XML ("SpreadsheetML", UTF-8, with or without a byte-order mark) and CSV (UTF-8 with or
without BOM, else Windows-1252). The kind of list is recognised from its header row, not the file name:

- Conformant: Metal, Smelter ID, Standard Smelter Name, ..., Last Audit Date, Audit Cycle, Reaudit In Progress ...
- Active: Metal, Smelter_ID, Standard_Smelter_Name, Company_State_Province_Region, Country_Location
- Revisions: Metal, Smelter ID, Standard Smelter Name, Country, Basis for Revision, Details, Revision Date ...
- Reference: Metal, Smelter Reference (or Smelter Look-up), Standard Smelter Name, Country, Smelter ID ...

The list's date comes from the file name (``..._2026-08-22.xml``), else from a sheet name
(``Active Smelters2026-08-22``), else it is unknown (None).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence

from cmrt.smelters import spreadsheetml
from cmrt.smelters.reference import ReferenceEntry, SmelterReference, from_lookup_rows
from cmrt.smelters.rmap import ListKind, Revision, RmapEntry, RmiList
from cmrt.smelters.text import clean, fold, normalise_cid

_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), (1, 2, 3)),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), (1, 2, 3)),
    (re.compile(r"(?<!\d)(\d{2})-(\d{2})-(\d{4})(?!\d)"), (3, 1, 2)),
)


class RmiImportError(ValueError):
    """A file that is not one of RMI's lists, explained for a compliance analyst."""


def date_from_text(text: str | None) -> dt.date | None:
    if not text:
        return None
    for pattern, (y, m, d) in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                return dt.date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                continue
    return None


def _header_key(value: object) -> str:
    return re.sub(r"[\s_/]+", " ", fold(value)).strip()


_FIELDS = {
    "metal": "metal",
    "smelter id": "smelter_id",
    "standard smelter name": "name",
    "state province region": "state",
    "company state province region": "state",
    "country location": "country",
    "country": "country",
    "company website with cm policy": "website",
    "last audit date": "last_audit",
    "audit cycle": "cycle",
    "reaudit in progress": "reaudit",
    "lbma rg": "lbma",
    "rjc": "rjc",
    "basis for revision": "basis",
    "details": "details",
    "revision date": "revision_date",
    "smelter added date": "added_date",
    "smelter reference": "alias",
    "smelter look-up": "alias",
}


def _columns(header: Sequence[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(header):
        field = _FIELDS.get(_header_key(value))
        if field and field not in found:
            found[field] = index
    return found


def _kind(columns: dict[str, int]) -> ListKind | None:
    if not {"metal", "smelter_id"} <= columns.keys():
        return None
    if "basis" in columns:
        return ListKind.REVISIONS
    if "alias" in columns:
        return ListKind.REFERENCE
    if "last_audit" in columns or "cycle" in columns:
        return ListKind.CONFORMANT
    if "name" in columns:
        return ListKind.ACTIVE
    return None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean(value)
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%d-%b-%Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _table(name: str, data: bytes) -> tuple[list[tuple[str, Sequence[Sequence[object]]]], bool]:
    """(sheets as (name, rows)), is_xml."""
    if spreadsheetml.looks_like_spreadsheetml(data):
        try:
            return [(ws.name, ws.rows) for ws in spreadsheetml.parse(data)], True
        except spreadsheetml.SpreadsheetMLError as exc:
            raise RmiImportError(f"{name}: {exc}") from exc
    if data[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        raise RmiImportError(
            f"{name}: this is an .xlsx/.xls workbook; export the list from RMI's site as Excel 2003 XML or CSV"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [("", list(csv.reader(io.StringIO(text, newline=""), dialect)))], False
    except csv.Error as exc:
        raise RmiImportError(f"{name}: not a readable CSV file ({exc})") from exc


def load_rmi_file(name: str, data: bytes) -> RmiList:
    """Read one RMI export (Conformant, Active, Revisions or Reference) into an ``RmiList``."""
    sheets, _ = _table(name, data)
    for sheet_name, rows in sheets:
        for header_index, header in enumerate(rows[:10]):
            columns = _columns(header)
            kind = _kind(columns)
            if kind is None:
                continue
            list_date = date_from_text(name.rsplit("/", 1)[-1]) or date_from_text(sheet_name)
            body = rows[header_index + 1 :]
            source = name.rsplit("/", 1)[-1]
            if kind is ListKind.REFERENCE:
                ref = from_lookup_rows([header, *body], source=source, date=list_date)
                return RmiList(kind, list_date, source, reference_entries=ref.entries)
            if kind is ListKind.REVISIONS:
                return RmiList(kind, list_date, source, revisions=tuple(_revisions(columns, body)))
            return RmiList(kind, list_date, source, entries=tuple(_entries(kind, columns, body)))
    raise RmiImportError(
        f"{name}: not an RMI list we know (expected the Conformant, Active, revisions or smelter reference export "
        "with a header row naming Metal and Smelter ID)"
    )


def _getter(columns: dict[str, int], row: Sequence[object]):  # type: ignore[no-untyped-def]
    def get(field: str) -> object:
        index = columns.get(field)
        return row[index] if index is not None and index < len(row) else None

    return get


def _entries(kind: ListKind, columns: dict[str, int], rows: Sequence[Sequence[object]]) -> list[RmapEntry]:
    out: list[RmapEntry] = []
    for row in rows:
        get = _getter(columns, row)
        cid = normalise_cid(get("smelter_id"))
        metal = clean(get("metal"))
        if not cid or not metal:
            continue
        out.append(
            RmapEntry(
                kind=kind,
                metal=metal,
                smelter_id=cid,
                name=clean(get("name")) or "",
                country=clean(get("country")),
                state_province=clean(get("state")),
                website=clean(get("website")),
                last_audit_date=_as_date(get("last_audit")),
                audit_cycle_raw=clean(get("cycle")),
                reaudit_in_progress=fold(get("reaudit")) in ("yes", "y", "true", "1"),
                lbma_rg=clean(get("lbma")),
                rjc=clean(get("rjc")),
            )
        )
    return out


def _revisions(columns: dict[str, int], rows: Sequence[Sequence[object]]) -> list[Revision]:
    out: list[Revision] = []
    for row in rows:
        get = _getter(columns, row)
        cid = normalise_cid(get("smelter_id"))
        basis = clean(get("basis"))
        if not cid or not basis:
            continue
        out.append(
            Revision(
                metal=clean(get("metal")) or "",
                smelter_id=cid,
                name=clean(get("name")) or "",
                country=clean(get("country")),
                basis=" / ".join(part.strip() for part in basis.splitlines() if part.strip()),
                details=clean(get("details")),
                revision_date=_as_date(get("revision_date")),
                added_date=_as_date(get("added_date")),
            )
        )
    return out


def reference_from_lists(lists: Sequence[RmiList]) -> SmelterReference | None:
    """A SmelterReference from every REFERENCE list among ``lists`` (None when there is none)."""
    entries: list[ReferenceEntry] = []
    dates: list[dt.date] = []
    sources: list[str] = []
    for item in lists:
        if item.kind is ListKind.REFERENCE:
            entries.extend(item.reference_entries)
            sources.append(item.source_name)
            if item.list_date:
                dates.append(item.list_date)
    if not entries:
        return None
    return SmelterReference(entries, source=" + ".join(sources), date=max(dates) if dates else None)
