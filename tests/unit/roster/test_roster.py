"""cmrt.roster: header matching, e-mail syntax, missing id, duplicates, CSV and XLSX."""

from __future__ import annotations

import io

import openpyxl
import pytest

from cmrt.roster import RejectReason, RosterError, is_valid_email, parse_roster


def test_csv_with_every_kind_of_row() -> None:
    data = (
        b"Supplier ID,NAME,Contact_Email,contact name,Tier,tags,Notes\n"
        b"S-1,Acme Metals,anna@ACME.example,Anna,direct,\"metals, asia\",x\n"
        b"\n"
        b",No Id Inc,noid@example.com,,,,\n"
        b"S-2,Bad Mail,not-an-address,,,,\n"
        b"S-1,Acme again,other@acme.example,,,,\n"
        b"S-3,Indirect Co,bob@example.org,,INDIRECT,asia;metals|asia,\n"
        b"S-4,Weird Tier,c@example.org,,tier 3,,\n"
        b"S-5,,d@example.org,,,,\n"
        b"S-6,No Mail,,,,,\n"
        b"S-7,Mailto,mailto:e@example.org,,,,\n"
    )
    roster = parse_roster(data)
    assert [(e.row, e.supplier_id) for e in roster.entries] == [(2, "S-1"), (7, "S-3"), (11, "S-7")]
    first = roster.entries[0]
    assert first.name == "Acme Metals" and first.contact_email == "anna@acme.example"
    assert first.contact_name == "Anna" and first.tier == "direct" and first.tags == ("metals", "asia")
    assert roster.entries[1].tier == "indirect" and roster.entries[1].tags == ("asia", "metals")
    assert roster.entries[2].contact_email == "e@example.org"
    assert [(r.row, r.reason) for r in roster.rejected] == [
        (4, RejectReason.MISSING_ID),
        (5, RejectReason.BAD_EMAIL),
        (6, RejectReason.DUPLICATE_IN_FILE),
        (8, RejectReason.BAD_TIER),
        (9, RejectReason.MISSING_NAME),
        (10, RejectReason.MISSING_EMAIL),
    ]
    assert roster.rejected[1].message == "bad e-mail address 'not-an-address'"
    assert "first on row 2" in roster.rejected[2].message
    assert roster.ignored_columns == ("Notes",)
    assert roster.columns["supplier_id"] == "Supplier ID"


def test_semicolon_csv_in_windows_encoding_with_bom_free_header() -> None:
    data = "supplier_id;name;contact_email\n10;Müller GmbH;m@mueller.example\n".encode("cp1252")
    (entry,) = parse_roster(data).entries
    assert entry.name == "Müller GmbH" and entry.supplier_id == "10"


def test_utf8_bom_and_quoted_fields() -> None:
    data = '\ufeffsupplier_id,name,contact_email\n"7","Smith, Jones & Co","s@example.com"\n'.encode()
    (entry,) = parse_roster(data).entries
    assert entry.name == "Smith, Jones & Co"


def test_xlsx_first_sheet_numbers_become_ids() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Supplier_ID", "Name", "Contact_Email", "Tags"])
    ws.append([1001, "Numbered Ltd", "x@example.com", "emea"])
    ws.append([None, None, None, None])
    ws.append(["A-2", "Second", "bad@", None])
    buf = io.BytesIO()
    wb.save(buf)
    roster = parse_roster(buf.getvalue())
    assert [(e.row, e.supplier_id, e.tags) for e in roster.entries] == [(2, "1001", ("emea",))]
    assert [(r.row, r.reason) for r in roster.rejected] == [(4, RejectReason.BAD_EMAIL)]


def test_missing_columns_are_named() -> None:
    with pytest.raises(RosterError, match=r"required column\(s\) missing: contact_email"):
        parse_roster(b"supplier_id,name\n1,x\n")
    with pytest.raises(RosterError, match="empty"):
        parse_roster(b"\n\n")
    with pytest.raises(RosterError, match="neither a CSV"):
        parse_roster(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(RosterError, match="cannot be read"):
        parse_roster(b"PK\x03\x04garbage")


@pytest.mark.parametrize(
    ("address", "ok"),
    [("a@example.com", True), ("first.last+tag@sub.example.co.uk", True), ("a@b", False), ("a b@example.com", False),
     ("a@@example.com", False), ("@example.com", False), ("a@example,com", False), ("a.@example.com", False),
     ("a@-example.com", False), ("", False)],
)
def test_email_syntax(address: str, ok: bool) -> None:
    assert is_valid_email(address) is ok
