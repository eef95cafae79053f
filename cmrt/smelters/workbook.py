"""The smelter reference a returned workbook carries in its own ``Smelter Look-up`` sheet.

The look-up's header row follows the language the template is set to (Chinese, Japanese, ... in the cached
labels), so when no English header is found the template's fixed layout is used: row 4 is the header and columns
A-I hold metal, look-up name (alias), standard name, country, smelter id, id source, street, city and state.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

from cmrt.smelters.reference import SmelterReference, from_lookup_rows
from cmrt.smelters.text import clean, is_cid, metal_key
from cmrt.workbook.sheets import LOOKUP_SHEETS

log = logging.getLogger("cmbot.cmrt.smelters")

#: The English header of the template's Smelter Look-up (CMRT 5+, EMRT, CRT, AMRT 1.3), columns A-I.
LOOKUP_HEADER = ("Metal", "Smelter Look-up", "Standard Smelter Names", "Smelter Facility Location: Country",
                 "Smelter ID", "Source of Smelter Identification Number", "Smelter Street", "Smelter City",
                 "Smelter Facility Location: State / Province")  # fmt: skip


def reference_from_workbook(data: bytes, *, source: str = "workbook Smelter Look-up") -> SmelterReference | None:
    """Read the look-up sheet of a .xlsx/.xls (decrypted with Excel's default password when needed); None when
    the workbook cannot be opened or has no look-up table."""
    from python_calamine import CalamineWorkbook

    from cmrt.workbook.container import Deadline, open_container
    from cmrt.workbook.errors import ReadLimits

    try:
        plain = open_container(data, ReadLimits(), (), Deadline(30)).data
        book = CalamineWorkbook.from_filelike(io.BytesIO(plain))
    except Exception as exc:  # WorkbookError, and calamine's own error types on damaged files
        log.debug("no smelter look-up: the workbook cannot be opened (%r)", exc)
        return None
    for name in LOOKUP_SHEETS:
        if name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            return reference_from_sheet(name, rows, source=source)
    return None


def reference_from_sheet(
    name: str, rows: Sequence[Sequence[object]], *, source: str = "workbook Smelter Look-up"
) -> SmelterReference | None:
    """The reference in one look-up sheet's rows: by its English header, else (``Smelter Look-up`` in another
    language) by the template's fixed columns; None when neither finds a table."""
    try:
        return from_lookup_rows(rows, source=source)
    except ValueError:
        pass
    if name != "Smelter Look-up":
        return None
    first = next((i for i, row in enumerate(rows[:20]) if _is_data_row(row)), None)
    if first is None:
        return None
    reference = from_lookup_rows([LOOKUP_HEADER, *rows[first:]], source=source)
    return reference if reference else None


def _is_data_row(row: Sequence[object]) -> bool:
    """A look-up entry in the fixed layout: a metal name in A and a CID in E."""
    return len(row) > 4 and bool(metal_key(clean(row[0]))) and is_cid(clean(row[4]))
