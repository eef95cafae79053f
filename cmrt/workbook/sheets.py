"""Names of template sheets that more than the reader needs (a module without imports, cheap for anyone)."""

from __future__ import annotations

from typing import Any

#: The sheets that hold a template's own smelter look-up table, by the names templates have used (the first present
#: is the one read).
LOOKUP_SHEETS = ("Smelter Look-up", "Smelter Reference List", "Standard Smelter Names")

#: A look-up sheet's name and its rows (``cmrt.smelters.workbook.reference_from_sheet`` takes them).
LookupRows = tuple[str, list[list[Any]]]
