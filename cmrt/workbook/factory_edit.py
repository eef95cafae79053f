"""Change real workbooks the way their users and tools do, for tests: type over cells, switch the language.

Works on the ``.xlsx`` package itself (the sheet XML), so everything else in the file stays byte for byte: cached
formula values, hidden rows, styles, the 1904 flag. ``edit_cells`` writes values as a person typing over a cell
would (any formula in the cell is gone) or as a tool caching ``#N/A`` would. ``set_language`` does what Excel
does when the language selector changes: every cached label text is re-read from the hidden ``L`` sheet in the
new language. ``xls_to_xlsx`` turns an old (decrypted) ``.xls`` into a values-only ``.xlsx`` so it can be edited.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Collection, Mapping
from typing import Any
from xml.sax.saxutils import escape

from cmrt.workbook.grid import col_index

_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#NAME?", "#DIV/0!", "#NULL!", "#NUM!"})
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")  # fmt: skip


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name (``xl/worksheets/sheet4.xml``)."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get("Target", "")
        targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    parts = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = {key.split(":")[-1]: value for key, value in _ATTR.findall(tag)}
        if attrs.get("id") in targets:
            parts[_unescape(attrs["name"])] = targets[attrs["id"]]
    return parts


def _rewrite(data: bytes, changes: Mapping[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, changes.get(info.filename, source.read(info)))
    return out.getvalue()


def _serial(value: dt.date, date1904: bool) -> float:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return (moment - epoch).total_seconds() / 86400


def _cell_xml(addr: str, value: Any, style: str | None, date1904: bool) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{addr}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{addr}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.date):
        value = _serial(value, date1904)
    if isinstance(value, int | float):
        return f'<c r="{addr}"{s}><v>{value!r}</v></c>'
    text = str(value)
    if text in _ERRORS:
        return f'<c r="{addr}"{s} t="e"><v>{text}</v></c>'
    return f'<c r="{addr}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _split(addr: str) -> tuple[int, int]:
    letters = "".join(ch for ch in addr if ch.isalpha())
    return int(addr[len(letters) :]), col_index(letters)


def _element(tag: str, key: str) -> re.Pattern[str]:
    """One ``<row r="5" ...>...</row>`` or ``<c r="B5" .../>`` element (cells and rows never nest in themselves)."""
    return re.compile(rf'<{tag} r="{key}"(?=[\s/>])[^>]*?(?:/>|>.*?</{tag}>)', re.DOTALL)


def _set_cell(xml: str, addr: str, value: Any, date1904: bool) -> str:
    row, col = _split(addr)
    row_match = _element("row", str(row)).search(xml)
    if row_match is None:  # a new row, placed before the first row with a higher number
        new_row = f'<row r="{row}">{_cell_xml(addr, value, None, date1904)}</row>'
        for match in re.finditer(r'<row r="(\d+)"', xml):
            if int(match.group(1)) > row:
                return xml[: match.start()] + new_row + xml[match.start() :]
        if "<sheetData/>" in xml:
            return xml.replace("<sheetData/>", f"<sheetData>{new_row}</sheetData>", 1)
        index = xml.index("</sheetData>")
        return xml[:index] + new_row + xml[index:]
    row_xml = row_match.group(0)
    if row_xml.endswith("/>"):
        row_xml = row_xml[:-2] + "></row>"
    cell_match = _element("c", addr).search(row_xml)
    if cell_match is not None:
        style = re.search(r'\ss="(\d+)"', cell_match.group(0)[: cell_match.group(0).find(">") + 1])
        cell = _cell_xml(addr, value, style.group(1) if style else None, date1904)
        row_xml = row_xml[: cell_match.start()] + cell + row_xml[cell_match.end() :]
    else:
        cell = _cell_xml(addr, value, None, date1904)
        position = row_xml.rindex("</row>")
        for match in re.finditer(r'<c r="([A-Z]+)\d+"', row_xml):
            if col_index(match.group(1)) > col:
                position = match.start()
                break
        row_xml = row_xml[:position] + cell + row_xml[position:]
    return xml[: row_match.start()] + row_xml + xml[row_match.end() :]


def edit_cells(data: bytes, edits: Mapping[str, Mapping[str, Any]]) -> bytes:
    """``edits``: sheet name -> {"B8": value}. A value replaces the cell (formula included); ``None`` empties it;
    ``"#N/A"`` (and the other Excel errors) is written as a cached error; dates use the workbook's epoch."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts = sheet_parts(archive)
    date1904 = bool(re.search(r'date1904="(1|true)"', archive.read("xl/workbook.xml").decode("utf-8")))
    changes: dict[str, bytes] = {}
    for sheet, cells in edits.items():
        part = parts[sheet]
        xml = archive.read(part).decode("utf-8")
        for addr, value in cells.items():
            xml = _set_cell(xml, addr.upper(), value, date1904)
        changes[part] = xml.encode("utf-8")
    return _rewrite(data, changes)


# ------------------------------------------------------------------------------------------- language


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
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts = sheet_parts(archive)
    mapping: dict[str, str] = {}
    for row in rows[1:]:
        if len(row) > max(old, new) and isinstance(row[old], str) and row[old].strip():
            mapping.setdefault(row[old], str(row[new]) if row[new] not in (None, "") else "")

    def translate(match: re.Match[str]) -> str:
        text = _unescape(match.group(2))
        for end in range(len(text), 0, -1):  # the longest label first: "钽(*)" before "钽" (a suffix may follow)
            label = mapping.get(text[:end])
            if label is not None:
                return f"{match.group(1)}{escape(label + text[end:])}</v>"
        return match.group(0)

    formula_value = re.compile(r'(<c r="[A-Z]+\d+"[^>]*t="str"[^>]*><f[^>]*(?:/>|>[^<]*</f>)<v>)([^<]*)</v>')
    changes: dict[str, bytes] = {}
    for name, part in parts.items():
        if name == "L" or part not in archive.NameToInfo or (sheets is not None and name not in sheets):
            continue
        xml = archive.read(part).decode("utf-8")
        changed = formula_value.sub(translate, xml)
        if name == "Declaration":
            changed = _set_cell(changed, "D3", language, False)
            changed = _set_cached_number(changed, "P3", new - 2)
        if changed != xml:
            changes[part] = changed.encode("utf-8")
    return _rewrite(data, changes)


def _set_cached_number(xml: str, addr: str, number: int) -> str:
    """Replace the cached value of a formula cell, keeping the formula (P3 = MATCH($D$3, LN, 0))."""
    match = _element("c", addr).search(xml)
    if match is None:
        return xml
    cell = re.sub(r"<v>[^<]*</v>", f"<v>{number}</v>", match.group(0))
    return xml[: match.start()] + cell + xml[match.end() :]


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
