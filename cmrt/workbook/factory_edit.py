"""Change real workbooks the way their users and tools do, for tests: type over cells, switch the language.

Works on the ``.xlsx`` package itself (the sheet XML), so everything else in the file stays byte for byte: cached
formula values, hidden rows, styles, the 1904 flag. ``edit_cells`` writes values as a person typing over a cell
would (any formula in the cell is gone) or as a tool caching ``#N/A`` would. ``set_language`` does what Excel
does when the language selector changes: every cached label text is re-read from the hidden ``L`` sheet in the
new language. ``xls_to_xlsx`` turns an old (decrypted) ``.xls`` into a values-only ``.xlsx`` so it can be edited.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Collection, Mapping
from typing import Any

from cmrt.rollup.xlsx import Cached, Edit, Value, fill, sheet_parts
from cmrt.workbook.values import EXCEL_ERRORS


def _serial(value: dt.date, date1904: bool) -> float:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return (moment - epoch).total_seconds() / 86400


def edit_cells(data: bytes, edits: Mapping[str, Mapping[str, Any]], *, cached: bool = False) -> bytes:
    """``edits``: sheet name -> {"B8": value}. A value replaces the cell as typed (a formula in it is gone);
    ``None`` empties it; dates use the workbook's epoch. An Excel error such as ``"#N/A"`` in a formula cell
    becomes the formula's cached result (what a tool that cannot evaluate it leaves), elsewhere a typed value;
    with ``cached`` every value for a formula cell does (what Excel saves after recalculating).
    The cells are written by ``cmrt.rollup.xlsx.fill``, which keeps every other part of the file."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    date1904 = bool(re.search(r'date1904="(1|true)"', archive.read("xl/workbook.xml").decode("utf-8")))
    parts = sheet_parts(archive)
    out: dict[str, dict[str, Edit]] = {}
    for sheet, cells in edits.items():
        formulas = set(_FORMULA_CELL.findall(archive.read(parts[sheet][0]).decode("utf-8")))
        typed: dict[str, Edit] = {}
        for addr, value in cells.items():
            ref = addr.upper()
            if value is None:
                typed[ref] = Value("")
            elif isinstance(value, dt.date):
                typed[ref] = Value(_serial(value, date1904))
            elif ref in formulas and (cached or value in EXCEL_ERRORS):
                typed[ref] = Cached(value)
            else:
                typed[ref] = Value(value)
        out[sheet] = typed
    return fill(data, out, full_calc_on_load=False)


#: A cell holding a formula (its reference).
_FORMULA_CELL = re.compile(r'<c r="([A-Z]+\d+)"[^>]*>\s*<f\b')


def _language_tables(data: bytes) -> tuple[list[list[Any]], str]:
    """The ``L`` sheet's rows and the language selected in Declaration!D3."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows: list[list[Any]] = book.get_sheet_by_name("L").to_python(skip_empty_area=False)
    declaration = book.get_sheet_by_name("Declaration").to_python(skip_empty_area=False)
    selected = declaration[2][3] if len(declaration) > 2 and len(declaration[2]) > 3 else ""
    return rows, str(selected).strip()


def set_language(data: bytes, language: str, *, sheets: Collection[str] | None = None) -> bytes:
    """The workbook as Excel saves it after Declaration!D3 is set to ``language`` (an ``L`` header such as
    ``"日本語 Japanese"``): D3 and P3 change, and every formula's cached text that is a label in the old language
    becomes the same label in the new one (answers, which are English constants, stay as they are). ``sheets``
    limits the relabelling to those sheets (a quicker build when a test looks at one sheet only)."""
    rows, old_name = _language_tables(data)
    header = [str(v).strip() for v in rows[0]]
    new = header.index(language)
    old = header.index(old_name) if old_name in header else 3
    mapping: dict[str, str] = {}
    for row in rows[1:]:
        if len(row) > max(old, new) and isinstance(row[old], str) and row[old].strip():
            mapping.setdefault(row[old], str(row[new]) if row[new] not in (None, "") else "")

    def translate(text: str) -> str | None:
        for end in range(len(text), 0, -1):  # the longest label first: "钽(*)" before "钽" (a suffix may follow)
            label = mapping.get(text[:end])
            if label is not None:
                return label + text[end:]
        return None

    archive = zipfile.ZipFile(io.BytesIO(data))
    edits: dict[str, dict[str, Edit]] = {}
    for name, (part, _) in sheet_parts(archive).items():
        if name == "L" or (sheets is not None and name not in sheets):
            continue
        cells: dict[str, Edit] = {}
        for ref, cached in _FORMULA_TEXT.findall(archive.read(part).decode("utf-8")):
            text = translate(html.unescape(cached))
            if text is not None:
                cells[ref] = Cached(text)
        if name == "Declaration":
            cells.update({"D3": Value(language), "P3": Cached(new - 2)})
        edits[name] = cells
    return fill(data, edits, full_calc_on_load=False)


#: A formula cell with a cached text result: its reference and the text.
_FORMULA_TEXT = re.compile(r'<c r="([A-Z]+\d+)"[^>]*t="str"[^>]*><f[^>]*(?:/>|>[^<]*</f>)<v>([^<]*)</v>')


# ---------------------------------------------------------------------------------------------- .xls


def xls_to_xlsx(data: bytes, *, password: str = "VelvetSweatshop") -> bytes:
    """A values-only ``.xlsx`` copy of an ``.xls`` (decrypted with ``password`` when encrypted): same sheets,
    same cached values, the same date system."""
    import msoffcrypto
    import openpyxl
    import python_calamine
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    from cmrt.workbook.container import xls_date1904

    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    if office.is_encrypted():
        office.load_key(password=password)
        plain = io.BytesIO()
        office.decrypt(plain)
        data = plain.getvalue()
    date1904 = xls_date1904(data)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    default = wb.active
    for name in book.sheet_names:
        ws = wb.create_sheet(name)
        for r, cells in enumerate(book.get_sheet_by_name(name).to_python(skip_empty_area=False), start=1):
            for c, value in enumerate(cells, start=1):
                if value not in ("", None):
                    ws.cell(r, c, value)
    if default is not None:
        wb.remove(default)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
