"""Fixture factory: CMRT 6.x-shaped workbooks written with openpyxl, in English, Chinese, French or German.

The workbooks mirror the RMI templates where the reader looks: a hidden ``L`` sheet keyed like the real one
(``DeclarationB8`` → label in each language), labels cached in the selected language, the Declaration company
block (D8-D22), the eight question blocks (rows 25-71, Tantalum/Tin/Gold/Tungsten), company questions A-H
(rows 75-89), hidden dropdown-source rows 96-111, the Smelter List (header row 4, data from row 5), the Product
List (header row 5, footer ``©``), the Checker count (D2) and a small ``Smelter Look-up`` sheet.

Options reproduce what real files do: labels written as formulas without cached values (a file saved by a tool
that does not recalculate) or cached as ``#N/A``; smelter formula columns without cached values; the 1904 date
system; the effective date as text or a serial number. The Checker sheet is computed from the declaration as the
template's formulas do (``factory_checker``). Used by the tests and by ``cmrt-bot demo``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.worksheet import Worksheet

from cmrt.declaration import CMRT_METALS
from cmrt.workbook.factory_checker import checker_rows, write_checker
from cmrt.workbook.factory_labels import LABELS, LANGUAGE_HEADERS, PRODUCT_HEADERS_BEFORE_6_5

VERSIONS = ("6.01", "6.1", "6.2", "6.21", "6.22", "6.3", "6.31", "6.4", "6.5")
_RELEASES = {
    "6.01": "June 5, 2020", "6.1": "April 30, 2021", "6.2": "April 29, 2022", "6.21": "May 11, 2022",
    "6.22": "May 27, 2022", "6.3": "April 28, 2023", "6.31": "May 19, 2023", "6.4": "April 26, 2024",
    "6.5": "April 25, 2025",
}  # fmt: skip
LANGUAGES = {"en": "English", "zh": "中文 Chinese", "fr": "Français", "de": "Deutsch"}
METALS = CMRT_METALS
QUESTION_ROWS = {n: 25 + 6 * (n - 1) for n in range(1, 9)}
COMPANY_ROWS = {letter: 75 + 2 * i for i, letter in enumerate("ABCDEFGH")}
_METAL_KEYS = dict(zip(METALS, ("DeclarationB26", "DeclarationB27", "DeclarationB28", "DeclarationB29"), strict=True))
_DROPDOWN = ("Yes", "No", "Unknown", 1, "Greater than 90%", "Greater than 75%", "Greater than 50%", "50% or less",
             "None", "Yes, in conformance with IPC1755 (e.g., CMRT)", "Yes, using other format (describe)", "No",
             "Yes, with the SEC", "Yes, with the EU", "Yes, with the SEC and the EU", "No")  # fmt: skip


@dataclass
class SmelterSpec:
    metal: str | None
    lookup: str | None
    name: str | None = None
    country: str | None = None
    smelter_id: str | None = None
    source: str | None = "RMI"
    street: str | None = None
    city: str | None = None
    state: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    next_steps: str | None = None
    mine_names: str | None = None
    mine_countries: str | None = None
    recycled: str | None = None
    comments: str | None = None
    id_input: str | None = None


@dataclass
class ProductSpec:
    number: str
    name: str | None = None
    comment: str | None = None


#: A few real entries of the RMI Smelter Look-up (CMRT 6.5): metal, alias, standard name, country, ID, city, state.
LOOKUP_ROWS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("Gold", "Asahi Pretec Corp.", "Asahi Pretec Corp.", "JAPAN", "CID000082", "Kobe", "Hyogo"),
    ("Gold", "Metalor Technologies S.A.", "Metalor Technologies S.A.", "SWITZERLAND", "CID001153", "Marin",
     "Neuchatel"),
    ("Tantalum", "F&X Electro-Materials Ltd.", "F&X Electro-Materials Ltd.", "CHINA", "CID000460", "Jiangmen",
     "Guangdong Sheng"),
    ("Tantalum", "TANIOBIS Co., Ltd.", "TANIOBIS Co., Ltd.", "THAILAND", "CID002544", "Map Ta Phut", "Rayong"),
    ("Tin", "Minsur", "Minsur", "PERU", "CID001182", "Pisco", "Ica"),
    ("Tin", "Thaisarco", "Thaisarco", "THAILAND", "CID001898", "Phuket", "Phuket"),
    ("Tungsten", "Wolfram Bergbau und Hutten AG", "Wolfram Bergbau und Hutten AG", "AUSTRIA", "CID002044",
     "St. Martin i-S", "Steiermark"),
    ("Tungsten", "Global Tungsten & Powders LLC", "Global Tungsten & Powders LLC", "UNITED STATES OF AMERICA",
     "CID000568", "Towanda", "Pennsylvania"),
)  # fmt: skip


def _default_smelters() -> list[SmelterSpec]:
    out = []
    for metal, alias, _name, country, cid, city, state in LOOKUP_ROWS[::2]:
        out.append(
            SmelterSpec(
                metal, alias, country=country, smelter_id=cid, city=city, state=state, id_input=cid, recycled="No"
            )
        )
    out.append(SmelterSpec("Gold", "Smelter not listed", name="Example Refinery", country="JAPAN", source=None))
    return out


@dataclass
class CmrtSpec:
    """Everything a fixture workbook holds; the defaults make a complete, plausible CMRT declaration."""

    version: str = "6.5"
    language: str = "en"  # en, zh, fr, de
    company_name: str | None = "Example Metals Ltd."
    scope: str | None = "A. Company"
    scope_description: str | None = None
    unique_id: str | None = "123456789"
    unique_id_authority: str | None = "DUNS"
    address: str | None = "1 Example Street, Springfield, USA"
    contact_name: str | None = "Pat Example"
    contact_email: str | None = "pat@example.com"
    contact_phone: str | None = "+1-555-0100"
    authorizer_name: str | None = "Sam Example"
    authorizer_title: str | None = "Compliance Manager"
    authorizer_email: str | None = "sam@example.com"
    authorizer_phone: str | None = "+1-555-0101"
    effective_date: Any = dt.date(2025, 5, 2)  # a date, a serial number, a text, or None
    answers: dict[str, dict[str, Any]] = field(default_factory=lambda: default_answers())
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    company_answers: dict[str, Any] = field(default_factory=lambda: default_company_answers())
    company_comments: dict[str, str] = field(default_factory=lambda: {"B": "https://www.example.com/policy"})
    company_links: dict[str, str] = field(default_factory=dict)  # letter -> URL behind the comment cell
    smelters: list[SmelterSpec] = field(default_factory=_default_smelters)
    products: list[ProductSpec] = field(default_factory=list)
    # Checker!D2: "auto" computes it from the declaration as the template's formulas do (the Checker rows are
    # always written so); a number or None caches that instead (a stale file, or a tool that wrote -1)
    checker_remaining: Any = "auto"
    labels: str = "cached"  # "cached" | "formulas" (no cached values) | "errors" (#N/A)
    include_l_sheet: bool = True
    cache_smelter_formulas: bool = True
    include_lookup_sheet: bool = True
    date1904: bool = False


def default_answers() -> dict[str, dict[str, Any]]:
    values = {1: "Yes", 2: "Yes", 3: "No", 4: "No", 5: "No", 6: "100%", 7: "Yes", 8: "Yes"}
    return {f"Q{n}": dict.fromkeys(METALS, value) for n, value in values.items()}


def default_company_answers() -> dict[str, Any]:
    answers: dict[str, Any] = dict.fromkeys("ABCDEFG", "Yes")
    answers["E"] = "Yes, in conformance with IPC1755 (e.g., CMRT)"
    answers["H"] = "No"
    return answers


def _label(key: str, language: str) -> str:
    texts = LABELS[key]
    return texts.get(language) or texts["en"]


def _gated_percent(version: str) -> bool:
    """6.31+ write the string "100%"; older versions the number 1 formatted as a percentage."""
    parts = tuple(int(p) for p in version.split("."))
    return parts >= (6, 31)


class _Writer:
    def __init__(self, spec: CmrtSpec) -> None:
        self.spec = spec
        self.lang = spec.language if spec.language in LANGUAGES else "en"

    def label(self, ws: Worksheet, addr: str, key: str, text: str | None = None) -> None:
        mode = self.spec.labels
        if mode == "formulas":
            ws[addr] = f'=OFFSET(L!$C$1,MATCH("{key}",L!$A:$A,0)-1,SL,,)'
        elif mode == "errors":
            ws[addr] = "#N/A"
        else:
            ws[addr] = text if text is not None else _label(key, self.lang)

    def build(self) -> bytes:
        spec = self.spec
        wb = openpyxl.Workbook()
        if spec.date1904:
            wb.epoch = CALENDAR_MAC_1904
        revision = wb.active
        assert revision is not None
        revision.title = "Revision"
        revision.append(["REVISION", "ORIGINATOR", "RELEASE DATE", "DESCRIPTION OF FUNCTIONAL CHANGE"])
        revision.append([spec.version, "RMI", _RELEASES.get(spec.version, ""), "Fixture"])
        wb.create_sheet("Instructions")["A2"] = "Introduction"
        wb.create_sheet("Definitions")["A1"] = "Definitions"
        self.declaration(wb.create_sheet("Declaration"))
        self.smelter_list(wb.create_sheet("Smelter List"))
        checker = wb.create_sheet("Checker")
        rows = checker_rows(spec, lambda key: _label(key, self.lang))
        cached = sum(r.incomplete for r in rows) if spec.checker_remaining == "auto" else spec.checker_remaining
        write_checker(checker, rows, cached)
        self.label(checker, "D1", "CheckerD1")
        self.product_list(wb.create_sheet("Product List"))
        if spec.include_lookup_sheet:
            self.lookup(wb.create_sheet("Smelter Look-up"))
        if spec.include_l_sheet:
            self.l_sheet(wb.create_sheet("L"))
        wb.create_sheet("C").sheet_state = "hidden"
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    def declaration(self, ws: Worksheet) -> None:
        spec = self.spec
        ws["D2"] = _label("DeclarationD2", "en")
        ws["D3"] = LANGUAGES[self.lang]
        ws["P3"] = LANGUAGE_HEADERS.index(LANGUAGES[self.lang]) + 1
        ws["J3"] = f"Revision {spec.version}\n{_RELEASES.get(spec.version, '')}"
        for key in LABELS:
            if not key.startswith("Declaration"):
                continue
            addr = key[len("Declaration") :]
            if addr in ("D2",) or not addr[-1].isdigit() or addr in ("B26", "B27", "B28", "B29"):
                continue
            if addr == "B10" and spec.scope and spec.scope.startswith("C"):
                self.label(ws, addr, key, _label("DeclarationB10C", self.lang))
            else:
                self.label(ws, addr, key)
        ws["P9"], ws["Q9"], ws["R9"] = (
            "A. Company",
            "B. Product (or List of Products)",
            ("C. User defined [Specify in 'Description of scope']"),
        )
        fields = (
            (8, spec.company_name), (9, spec.scope), (10, spec.scope_description), (12, spec.unique_id),
            (13, spec.unique_id_authority), (14, spec.address), (15, spec.contact_name), (16, spec.contact_email),
            (17, spec.contact_phone), (18, spec.authorizer_name), (19, spec.authorizer_title),
            (20, spec.authorizer_email), (21, spec.authorizer_phone),
        )  # fmt: skip
        for row, value in fields:
            if value is not None:
                ws[f"D{row}"] = value
        if spec.effective_date is not None:
            ws["D22"] = spec.effective_date
            if isinstance(spec.effective_date, dt.date):
                ws["D22"].number_format = "dd-mmm-yyyy"
        gated = _gated_percent(spec.version)
        for number, header in QUESTION_ROWS.items():
            for offset, metal in enumerate(METALS, start=1):
                row = header + offset
                text = _label(_METAL_KEYS[metal], self.lang).rstrip() + "  (*)"
                if number == 1 or (number in (3, 4) and offset <= 4):
                    self.label(ws, f"B{row}", f"DeclarationB{row}" if f"DeclarationB{row}" in LABELS else "", text)
                elif spec.labels == "errors":
                    ws[f"B{row}"] = "#N/A"
                else:
                    ws[f"B{row}"] = text  # in the real templates these rows repeat B26:B29 by formula
                value = spec.answers.get(f"Q{number}", {}).get(metal)
                if value == "100%" and not gated:
                    ws[f"D{row}"] = 1
                    ws[f"D{row}"].number_format = "0%"
                elif value is not None:
                    ws[f"D{row}"] = value
                comment = spec.comments.get(f"Q{number}", {}).get(metal)
                if comment is not None:
                    ws[f"G{row}"] = comment
        for letter, row in COMPANY_ROWS.items():
            if letter in spec.company_answers and spec.company_answers[letter] is not None:
                ws[f"D{row}"] = spec.company_answers[letter]
            if letter in spec.company_comments:
                ws[f"G{row}"] = spec.company_comments[letter]
            if letter in spec.company_links:
                ws[f"G{row}"].hyperlink = spec.company_links[letter]
        ws["A91"] = f"© {2020 + int(spec.version.split('.')[1][:1] or 0)} Responsible Minerals Initiative."
        for index, item in enumerate(_DROPDOWN):
            ws[f"B{96 + index}"] = item
            ws.row_dimensions[96 + index].hidden = True

    def smelter_list(self, ws: Worksheet) -> None:
        spec = self.spec
        ws["B2"] = "TO BEGIN:"
        ws["Q3"] = f"Revision {spec.version}\n{_RELEASES.get(spec.version, '')}"
        for col in "ABCDEFGHIJKLMNOPQ":
            self.label(ws, f"{col}4", f"Smelter List{col}4")
        ws["R4"], ws["S4"], ws["T4"] = "Standard Smelter Name", "Country Code", "State / Province Code"
        for index, smelter in enumerate(spec.smelters):
            row = 5 + index
            values = {
                "A": smelter.id_input, "B": smelter.metal, "C": smelter.lookup, "D": smelter.name,
                "E": smelter.country, "F": smelter.smelter_id, "G": smelter.source, "H": smelter.street,
                "I": smelter.city, "J": smelter.state, "K": smelter.contact_name, "L": smelter.contact_email,
                "M": smelter.next_steps, "N": smelter.mine_names, "O": smelter.mine_countries,
                "P": smelter.recycled, "Q": smelter.comments,
            }  # fmt: skip
            formula_cols = "EFGHIJ" + ("BC" if smelter.id_input else "")
            for col, value in values.items():
                if not spec.cache_smelter_formulas and smelter.lookup != "Smelter not listed" and col in formula_cols:
                    ws[f"{col}{row}"] = f"=IFERROR(VLOOKUP($A{row},'Smelter Look-up'!$E:$I,1,FALSE),\"\")"
                elif value is not None:
                    ws[f"{col}{row}"] = value

    def product_list(self, ws: Worksheet) -> None:
        spec = self.spec
        ws["A1"] = 'Completion required only if reporting level "Product (or List of Products)" selected.'
        ws["B4"] = "Click here to return to Declaration tab"
        old = tuple(int(p) for p in spec.version.split(".")) < (6, 5)
        for col in "BCD":
            key = f"Product List{col}5"
            text = PRODUCT_HEADERS_BEFORE_6_5[key][self.lang] if old and key in PRODUCT_HEADERS_BEFORE_6_5 else None
            self.label(ws, f"{col}5", key, text)
        for index, product in enumerate(spec.products):
            row = 6 + index
            ws[f"B{row}"] = product.number
            ws[f"C{row}"] = product.name
            ws[f"D{row}"] = product.comment
        footer = 1001 if spec.version in ("6.01", "6.1") else 2006
        ws[f"B{footer}"] = "© Responsible Minerals Initiative. All rights reserved."

    def lookup(self, ws: Worksheet) -> None:
        ws["A1"] = "This list reflects RMI's latest smelter name/alias information as of this template's release."
        ws.append([])
        ws.append([])
        ws.append(["Metal", "Smelter Look-up (*)", "Standard Smelter Names", "Smelter Facility Location: Country",
                   "Smelter ID", "Source of Smelter Identification Number", "Smelter Street", "Smelter City",
                   "Smelter Facility Location: State / Province"])  # fmt: skip
        for metal, alias, name, country, cid, city, state in LOOKUP_ROWS:
            ws.append([metal, alias, name, country, cid, "RMI", None, city, state])
        for metal in METALS:
            ws.append([metal, "Smelter not listed", None, None, None, None, None, None, None])

    def l_sheet(self, ws: Worksheet) -> None:
        ws.sheet_state = "hidden"
        ws.append([None, "Sheets", "Cells", *LANGUAGE_HEADERS])
        columns = {"en": 0, "zh": 1, "fr": 4, "de": 6}
        for key, texts in LABELS.items():
            sheet = next(s for s in ("Declaration", "Smelter List", "Product List", "Checker") if key.startswith(s))
            row: list[Any] = [key, sheet, key[len(sheet) :], *([None] * len(LANGUAGE_HEADERS))]
            for lang, index in columns.items():
                row[3 + index] = texts.get(lang)
            ws.append(row)


_Spec = TypeVar("_Spec")


def with_changes(spec: _Spec, changes: dict[str, Any]) -> _Spec:
    """``spec`` with ``changes`` applied field by field; an unknown field is a TypeError."""
    for name, value in changes.items():
        if not hasattr(spec, name):
            raise TypeError(f"{type(spec).__name__} has no field {name!r}")
        setattr(spec, name, value)
    return spec


def build_cmrt(spec: CmrtSpec | None = None, **changes: Any) -> bytes:
    """The bytes of an .xlsx CMRT-shaped workbook; keyword arguments override fields of ``spec`` (or defaults)."""
    return _Writer(with_changes(spec or CmrtSpec(), changes)).build()
