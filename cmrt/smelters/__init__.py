"""Smelter reference data: RMI's reference list, the RMAP Conformant/Active lists and the revisions.

Pure: bytes in, data out. ``load_rmi_file(name, data)`` imports one RMI export (SpreadsheetML or CSV);
``RmapStatus.from_lists`` indexes the status lists; ``SmelterReference`` answers id/look-up/fuzzy questions.
"""

from __future__ import annotations

from cmrt.smelters.reference import (
    NOT_LISTED,
    NOT_YET_IDENTIFIED,
    ReferenceEntry,
    SmelterMatch,
    SmelterReference,
    from_lookup_rows,
)
from cmrt.smelters.rmap import (
    ListKind,
    Revision,
    RmapEntry,
    RmapState,
    RmapStatus,
    RmiList,
    SmelterStatus,
    parse_audit_cycle,
)
from cmrt.smelters.rmi import RmiImportError, date_from_text, load_rmi_file, reference_from_lists
from cmrt.smelters.workbook import reference_from_workbook

__all__ = [
    "NOT_LISTED",
    "NOT_YET_IDENTIFIED",
    "ListKind",
    "ReferenceEntry",
    "Revision",
    "RmapEntry",
    "RmapState",
    "RmapStatus",
    "RmiImportError",
    "RmiList",
    "SmelterMatch",
    "SmelterReference",
    "SmelterStatus",
    "date_from_text",
    "from_lookup_rows",
    "load_rmi_file",
    "parse_audit_cycle",
    "reference_from_lists",
    "reference_from_workbook",
]
