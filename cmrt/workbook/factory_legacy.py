"""Fixture factory for old workbooks: CMRT 1.00 (EICC-GeSI, 2011) and Excel 95 (BIFF5) containers.

``build_cmrt_1`` writes a CMRT 1.00-shaped ``.xlsx`` (as a supplier's tool converts the original ``.xls``): the
company block in rows 7-17 with the completion date split into Day (E17), Month (H17) and Year (J17) after their
label cells, five questions for Tantalum/Tin/Gold/Tungsten (rows 19-47), company questions A-K (rows 51-71) and
the ``Smelter and Mine List`` (header row 4, data from row 6). ``build_excel95`` writes an OLE compound file whose
workbook stream is called ``Book`` (Excel 5.0/95), not ``Workbook`` (Excel 97 and later).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import openpyxl

from cmrt.workbook.factory import with_changes

METALS_1 = ("Tantalum", "Tin", "Gold", "Tungsten")
_METAL_LABELS_1 = {"Tantalum": "Tantalum (Ta) (*)", "Tin": "Tin (Sn) (*)", "Gold": "Gold (Au) (*)",
                   "Tungsten": "Tungsten (W) (*)"}  # fmt: skip
QUESTIONS_1 = (
    (19, "1) Are any of the following metals necessary to the functionality or production of your company's "
         "products? (*)"),
    (25, "2) Do any of the following metals originate from the Democratic Republic of the Congo (DRC) or an "
         "adjoining country? (*)"),
    (31, "3) Do any of the following metals come from a recycler or scrap supplier? (*)"),
    (37, "4) Have you identified all of the smelters supplying the following metals to your company? (*)"),
    (43, "5) Are all of the smelters supplying the following metals listed on the EICC-GeSI Conflict-Free "
         "Smelter (CFS) list? (*)"),
)  # fmt: skip
COMPANY_QUESTIONS_1 = (
    "A. Do you have a policy in place that includes DRC conflict-free sourcing? (*)",
    "B. Is this policy publicly available on your website? (*)",
    "C. Do you require your direct suppliers to be DRC conflict-free? (*)",
    "D. Do you require your direct suppliers to source from smelters validated as compliant to the CFS program? (*)",
    "E. Have you implemented due diligence measures for conflict-free sourcing? (*)",
    "F. Have you received completed templates from all of your suppliers? (*)",
    "G. Do you request your suppliers to fill out this Conflict Minerals Reporting Template? (*)",
    "H. Do you request smelter names from your suppliers? (*)",
    "I. Do you verify due diligence information received from your suppliers? (*)",
    "J. Does your verification process include corrective action management? (*)",
    "K. Are you subject to the SEC Conflict Minerals disclosure requirement rule? (*)",
)
_COMPANY_BLOCK_1 = (
    (7, "Company Name (*):", "company_name"),
    (8, "Company Unique Identifier:", "unique_id"),
    (9, "Address:", "address"),
    (10, "Authorized Management Representative (*):", "authorizer_name"),
    (11, "Representative Title:", "authorizer_title"),
    (12, "Representative Email (*):", "authorizer_email"),
    (13, "Representative Phone:", "authorizer_phone"),
    (14, "(If different from Authorized Management Representative) Contact Name (*):", "contact_name"),
    (15, "Contact Email (*):", "contact_email"),
    (16, "Contact Phone:", "contact_phone"),
)


@dataclass
class Cmrt1Spec:
    """A CMRT 1.00 declaration; the defaults make a complete one with every metal used."""

    company_name: str | None = "Example Metals Ltd."
    unique_id: str | None = "123456789"
    address: str | None = "1 Example Street, Springfield, USA"
    authorizer_name: str | None = "Sam Example"
    authorizer_title: str | None = "Compliance Manager"
    authorizer_email: str | None = "sam@example.com"
    authorizer_phone: str | None = "+1-555-0101"
    contact_name: str | None = "Pat Example"
    contact_email: str | None = "pat@example.com"
    contact_phone: str | None = "+1-555-0100"
    day: int | str | None = 15  # E17
    month: str | None = "July"  # H17, a month name from the dropdown
    year: int | str | None = 2011  # J17
    answers: dict[str, dict[str, str]] = field(
        default_factory=lambda: {f"Q{n}": dict.fromkeys(METALS_1, v) for n, v in
                                 ((1, "Yes"), (2, "No"), (3, "No"), (4, "Yes"), (5, "Yes"))}
    )  # fmt: skip
    company_answers: dict[str, str] = field(default_factory=lambda: dict.fromkeys("ABCDEFGHIJK", "Yes"))
    smelters: list[tuple[str, str, str]] = field(
        default_factory=lambda: [("Gold (Au)", "Metalor Technologies S.A.", "Neuchatel, SWITZERLAND")]
    )  # (metal as the 1.00 list writes it, smelter name, location)


def build_cmrt_1(spec: Cmrt1Spec | None = None, **changes: Any) -> bytes:
    """The bytes of a CMRT 1.00-shaped .xlsx; keyword arguments override fields of ``spec`` (or defaults)."""
    spec = with_changes(spec or Cmrt1Spec(), changes)
    wb = openpyxl.Workbook()
    revision = wb.active
    assert revision is not None
    revision.title = "Revision"
    revision.sheet_state = "hidden"
    revision.append(["REVISION", "ORIGINATOR", "RELEASE DATE", "DESCRIPTION"])
    revision.append(["1", "EICC-GeSI", "July 18th 2011", "First release"])
    wb.create_sheet("Instructions")["A2"] = "Instructions"
    wb.create_sheet("Definitions")["A1"] = "Definitions"
    ws = wb.create_sheet("Declaration")
    ws["D2"] = "Conflict Minerals Reporting Template"
    ws["B3"], ws["D3"] = "Select Language Preference Here:", "English"
    ws["I3"], ws["J3"] = "Revision", "1.   July 18th 2011"
    ws["B6"] = "Company Information"
    for row, text, attr in _COMPANY_BLOCK_1:
        ws[f"B{row}"] = text
        value = getattr(spec, attr)
        if value is not None:
            ws[f"D{row}"] = value
    ws["B17"], ws["D17"], ws["G17"], ws["I17"] = "Date of Completion (*):", "Day:", "Month:", "Year:"
    for addr, value in (("E17", spec.day), ("H17", spec.month), ("J17", spec.year)):
        if value is not None:
            ws[addr] = value
    for number, (header, text) in enumerate(QUESTIONS_1, start=1):
        ws[f"B{header}"], ws[f"D{header}"], ws[f"G{header}"] = text, "Answer", "Comments"
        for offset, metal in enumerate(METALS_1, start=1):
            ws[f"B{header + offset}"] = _METAL_LABELS_1[metal]
            answer = spec.answers.get(f"Q{number}", {}).get(metal)
            if answer is not None:
                ws[f"D{header + offset}"] = answer
    ws["B49"] = "Answer the Following Questions at a Company Level"
    for index, text in enumerate(COMPANY_QUESTIONS_1):
        row = 51 + 2 * index
        ws[f"B{row}"] = text
        answer = spec.company_answers.get(text[0])
        if answer is not None:
            ws[f"D{row}"] = answer
    ws["A73"] = "© 2011 Electronic Industry Citizenship Coalition, Incorporated and Global e-Sustainability Initiative."
    smelters = wb.create_sheet("Smelter and Mine List")
    for col, text in (("B", "Metal (*)"), ("D", "Smelter Name (*)"), ("E", "Tier Level"),
                      ("F", "Smelter Facility Location: Street / City / Country (*)"), ("H", "Contact Name"),
                      ("J", "Contact Email"), ("L", "Is this smelter on the EICC-GeSI CFS list? (*)"),
                      ("N", "Proposed next steps, if applicable"), ("P", "Name of Mine(s)"),
                      ("R", "Location (Country) of Mine(s)"), ("X", "Comments")):  # fmt: skip
        smelters[f"{col}4"] = text
    for index, (metal, name, location) in enumerate(spec.smelters):
        row = 6 + index
        smelters[f"B{row}"], smelters[f"D{row}"], smelters[f"F{row}"] = metal, name, location
    for metal in ("Tin", "Gold", "Tantalum", "Tungsten"):
        wb.create_sheet(metal).sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------ OLE compound files

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_SECTOR = 512


def _dir_entry(name: str, kind: int, *, child: int = _FREE, right: int = _FREE, start: int = _END,
               size: int = 0) -> bytes:  # fmt: skip
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    entry = encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1 if name else 0)
    entry += struct.pack("<III", _FREE, right, child) + bytes(16 + 4 + 16)
    return entry + struct.pack("<IQ", start, size)


def build_ole(streams: Mapping[str, bytes]) -> bytes:
    """A minimal OLE compound file (version 3) holding ``streams`` at the root, each padded with zeros to at least
    4 KiB so that none lives in the mini stream. Enough for format detection and for olefile/msoffcrypto."""
    names = list(streams)
    if not names or len(names) > 3:
        raise ValueError("build_ole writes one to three streams")
    data = [streams[n].ljust(max(4096, len(streams[n])), b"\0") for n in names]
    fat: list[int] = [_FAT, _END]  # sector 0: the FAT itself, sector 1: the directory
    starts: list[int] = []
    for blob in data:
        count = -(-len(blob) // _SECTOR)
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [_END]
    if len(fat) > _SECTOR // 4:
        raise ValueError("streams too large for a one-sector FAT")
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    entries = [_dir_entry("Root Entry", 5, child=1)]
    for index, (name, blob) in enumerate(zip(names, data, strict=True)):
        right = index + 2 if index + 1 < len(names) else _FREE
        entries.append(_dir_entry(name, 2, right=right, start=starts[index], size=len(blob)))
    while len(entries) < 4:
        entries.append(_dir_entry("", 0))
    header = bytearray(_SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    for index in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * index, _FREE)
    body = struct.pack(f"<{_SECTOR // 4}I", *fat) + b"".join(entries)
    for blob in data:
        body += blob.ljust(-(-len(blob) // _SECTOR) * _SECTOR, b"\0")
    return bytes(header) + body


def build_excel95() -> bytes:
    """An Excel 5.0/95 workbook (BIFF5): a ``Book`` stream starting with a BIFF5 BOF record."""
    bof = struct.pack("<HHHHHH", 0x0809, 8, 0x0500, 0x0005, 0x0DBB, 0x07CC)
    eof = struct.pack("<HH", 0x000A, 0)
    return build_ole({"Book": bof + eof})
