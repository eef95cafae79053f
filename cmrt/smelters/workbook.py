"""The smelter reference a returned workbook carries in its own ``Smelter Look-up`` sheet."""

from __future__ import annotations

import io

from python_calamine import CalamineWorkbook

from cmrt.smelters.reference import SmelterReference, from_lookup_rows

LOOKUP_SHEETS = ("Smelter Look-up", "Smelter Reference List", "Standard Smelter Names")


def reference_from_workbook(data: bytes, *, source: str = "workbook Smelter Look-up") -> SmelterReference | None:
    """Read the look-up sheet of a (decrypted) .xlsx/.xls; None when the workbook has none."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        return None
    for name in LOOKUP_SHEETS:
        if name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            try:
                return from_lookup_rows(rows, source=source)
            except ValueError:
                return None
    return None
