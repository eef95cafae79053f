"""Read Excel 2003 XML ("SpreadsheetML") as RMI's facilities-list pages export it.

Parsed with defusedxml (no entity expansion, no external entities). A UTF-8 byte-order mark is tolerated.
``ss:Index`` (skipped cells) and ``ss:MergeAcross`` are honoured so columns never shift.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

NS = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = f"{{{NS}}}"

CellValue = str | float | dt.datetime | bool | None


class SpreadsheetMLError(ValueError):
    """The file is not an Excel 2003 XML workbook we can read."""


@dataclass(frozen=True)
class Worksheet:
    name: str
    rows: tuple[tuple[CellValue, ...], ...]


def looks_like_spreadsheetml(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]


def _value(data: Element | None) -> CellValue:
    if data is None:
        return None
    text = "".join(data.itertext())
    kind = data.get(_SS + "Type", "String")
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "DateTime":
        try:
            return dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return text
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    return text


def parse(data: bytes) -> list[Worksheet]:
    """All worksheets of a SpreadsheetML document, each as rows of cell values (None where empty)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise SpreadsheetMLError(f"the XML file uses forbidden constructs ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        raise SpreadsheetMLError(f"not a well-formed XML file: {exc}") from exc
    if root.tag != _SS + "Workbook":
        raise SpreadsheetMLError("not an Excel 2003 XML (SpreadsheetML) workbook")
    sheets: list[Worksheet] = []
    for ws in root.iter(_SS + "Worksheet"):
        rows: list[tuple[CellValue, ...]] = []
        table = ws.find(_SS + "Table")
        if table is not None:
            for row in table.iter(_SS + "Row"):
                row_index = row.get(_SS + "Index")
                if row_index and row_index.isdigit():
                    while len(rows) < int(row_index) - 1:
                        rows.append(())
                cells: list[CellValue] = []
                for cell in row.findall(_SS + "Cell"):
                    index = cell.get(_SS + "Index")
                    if index and index.isdigit():
                        while len(cells) < int(index) - 1:
                            cells.append(None)
                    cells.append(_value(cell.find(_SS + "Data")))
                    merge = cell.get(_SS + "MergeAcross")
                    if merge and merge.isdigit():
                        cells.extend([None] * int(merge))
                rows.append(tuple(cells))
        sheets.append(Worksheet(name=ws.get(_SS + "Name", ""), rows=tuple(rows)))
    return sheets
