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
    DEFAULT_MAX_LIST_AGE_DAYS,
    NO_LISTS_TEXT,
    ListKind,
    Revision,
    RmapEntry,
    RmapState,
    RmapStatus,
    RmiList,
    SmelterStatus,
    is_stale,
    list_age_days,
    list_label,
    parse_audit_cycle,
    stale_warning,
)
from cmrt.smelters.rmi import RmiImportError, date_from_text, load_rmi_file, reference_from_lists
from cmrt.smelters.workbook import reference_from_workbook

__all__ = [
    "DEFAULT_MAX_LIST_AGE_DAYS",
    "NOT_LISTED",
    "NOT_YET_IDENTIFIED",
    "NO_LISTS_TEXT",
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
    "is_stale",
    "list_age_days",
    "list_label",
    "load_rmi_file",
    "parse_audit_cycle",
    "reference_from_lists",
    "reference_from_workbook",
    "stale_warning",
]
