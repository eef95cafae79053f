"""Importing RMI's exports: SpreadsheetML (BOM, skipped cells, hostile XML), CSV, list kinds and dates."""

from __future__ import annotations

import datetime as dt

import pytest

from cmrt.smelters import ListKind, RmiImportError, date_from_text, load_rmi_file, parse_audit_cycle
from cmrt.smelters.spreadsheetml import SpreadsheetMLError, parse

HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
    'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
)


def _row(*cells: str) -> str:
    return "<Row>" + "".join(cells) + "</Row>"


def _s(text: str, index: int | None = None) -> str:
    attr = f' ss:Index="{index}"' if index else ""
    return f'<Cell{attr}><Data ss:Type="String">{text}</Data></Cell>'


def _d(iso: str) -> str:
    return f'<Cell><Data ss:Type="DateTime">{iso}T00:00:00</Data></Cell>'


def _book(sheet: str, *rows: str) -> bytes:
    return (HEAD + f'<Worksheet ss:Name="{sheet}"><Table>' + "".join(rows) + "</Table></Worksheet></Workbook>").encode()


CONFORMANT_HEADER = _row(*(_s(h) for h in (
    "Metal", "Smelter ID", "Standard Smelter Name", "State/ Province/ Region", "Country Location",
    "Company Website with CM Policy", "Last Audit Date", "Audit Cycle", "Reaudit In Progress", "LBMA RG", "RJC")))


def _conformant_row(cid: str, audit: str, cycle: str, reaudit: str = "") -> str:
    return _row(_s("Tungsten"), _s(cid), _s("A.L.M.T. Corp."), _s("Toyama"), _s("JAPAN"), _s("https://x.jp"),
                _d(audit), _s(cycle), _s(reaudit), _s(""), _s(""))


def test_conformant_list_with_bom_and_cycles() -> None:
    data = b"\xef\xbb\xbf" + _book(
        "Full Conformant Smelter List...",
        CONFORMANT_HEADER,
        _conformant_row("CID000004", "2024-10-18", "3 Years"),
        _conformant_row("cid000005", "2025-02-28", "3 YearS", "Yes"),
        _conformant_row("CID000006", "2025-07-01", ""),
    )
    item = load_rmi_file("RMI_conformant_export_2026-08-22.xml", data)
    assert item.kind is ListKind.CONFORMANT
    assert item.list_date == dt.date(2026, 8, 22)
    first, second, third = item.entries
    assert first.audit_due == dt.date(2027, 10, 18)
    assert second.smelter_id == "CID000005" and second.reaudit_in_progress
    assert second.audit_due == dt.date(2028, 2, 28)
    assert third.audit_cycle_assumed and third.audit_due == dt.date(2026, 7, 1)


def test_active_list_date_from_sheet_name_and_skipped_cells() -> None:
    data = _book(
        "Active Smelters2026-08-22",
        _row(*(_s(h) for h in ("Metal", "Smelter_ID", "Standard_Smelter_Name", "Company_State_Province_Region",
                               "Country_Location"))),
        _row(_s("Cobalt"), _s("CID005612"), _s("PT CNGR DING XING NEW ENERGY"), _s("INDONESIA", index=5)),
    )
    item = load_rmi_file("active.xml", data)
    assert item.kind is ListKind.ACTIVE
    assert item.list_date == dt.date(2026, 8, 22)
    (entry,) = item.entries
    assert entry.country == "INDONESIA" and entry.state_province is None and entry.audit_due is None


def test_revisions_and_reference_kinds() -> None:
    rev = _book("Revisions_StdSmelterList",
                _row(*(_s(h) for h in ("Metal", "Smelter ID", "Standard Smelter Name", "Country",
                                       "Basis for Revision", "Details", "Revision Date", "Smelter Added Date"))),
                _row(_s("Tin"), _s("CID000572"), _s("Gold Bell Group"), _s("CHINA"), _s("Removed"),
                     _s("No longer operating"), _d("2014-04-09"), _s("")))
    item = load_rmi_file("RMI_smelter_list_revisions_export_2026-08-22.xml", rev)
    assert item.kind is ListKind.REVISIONS and item.revisions[0].removed
    assert item.revisions[0].revision_date == dt.date(2014, 4, 9)
    ref = _book("CMRT_Export",
                _row(*(_s(h) for h in ("Metal", "Smelter Reference", "Standard Smelter Name", "Country",
                                       "Smelter ID", "City", "State Province"))),
                _row(_s("Gold"), _s("8853 S.p.A."), _s("8853 S.p.A."), _s("ITALY"), _s("CID002763"), _s("Pero"),
                     _s("Lombardia")))
    item = load_rmi_file("ref.xml", ref)
    assert item.kind is ListKind.REFERENCE and item.reference_entries[0].smelter_id == "CID002763"


def test_csv_import_with_bom_and_semicolons() -> None:
    text = "\ufeffMetal;Smelter ID;Standard Smelter Name;Country Location;Last Audit Date;Audit Cycle\n" \
           "Gold;CID000015;Advanced Chemical Company;UNITED STATES OF AMERICA;11/27/2024;1 Year\n"
    item = load_rmi_file("conformant_20260822.csv", text.encode("utf-8"))
    assert item.kind is ListKind.CONFORMANT and item.list_date == dt.date(2026, 8, 22)
    assert item.entries[0].audit_due == dt.date(2025, 11, 27)


def test_entity_expansion_is_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row><Cell>'
            b'<Data>&b;</Data></Cell></Row></Table></Worksheet></Workbook>')
    with pytest.raises(SpreadsheetMLError, match="forbidden"):
        parse(bomb)
    with pytest.raises(RmiImportError):
        load_rmi_file("bomb.xml", bomb)


def test_unknown_and_binary_files_are_explained() -> None:
    with pytest.raises(RmiImportError, match="not an RMI list"):
        load_rmi_file("notes.csv", b"a,b,c\n1,2,3\n")
    with pytest.raises(RmiImportError, match="Excel 2003 XML or CSV"):
        load_rmi_file("list.xlsx", b"PK\x03\x04rest")


@pytest.mark.parametrize(
    ("raw", "months", "assumed"),
    [("1 Year", 12, False), ("3 YearS", 36, False), ("2 years", 24, False), ("", 12, True), (None, 12, True),
     ("18 Months", 18, False)],
)
def test_audit_cycle_normalisation(raw: str | None, months: int, assumed: bool) -> None:
    assert parse_audit_cycle(raw) == (months, assumed)


def test_dates_from_names() -> None:
    assert date_from_text("RMI_active_export_2026-08-22.xml") == dt.date(2026, 8, 22)
    assert date_from_text("Active Smelters2026-08-22") == dt.date(2026, 8, 22)
    assert date_from_text("list_20250131.csv") == dt.date(2025, 1, 31)
    assert date_from_text("Full Conformant Smelter List...") is None
