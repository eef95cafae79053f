"""RMI's real 2026-08-22 exports and the template look-up CSVs, read exactly as published."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from cmrt.smelters import (
    ListKind,
    RmapState,
    RmapStatus,
    load_rmi_file,
    reference_from_lists,
    reference_from_workbook,
)
from tests.conftest import corpus_path

DATE = dt.date(2026, 8, 22)


def _load(*parts: str):  # type: ignore[no-untyped-def]
    path = corpus_path(*parts)
    return load_rmi_file(path.name, path.read_bytes())


def test_conformant_export() -> None:
    item = _load("rmap", "RMI_conformant_export_2026-08-22.xml")
    assert item.kind is ListKind.CONFORMANT and item.list_date == DATE
    assert len(item.entries) == 420
    assumed = [e for e in item.entries if e.audit_cycle_assumed]
    assert len(assumed) == 1  # the one blank cycle
    cycles = Counter(e.audit_cycle_months for e in item.entries)
    assert set(cycles) == {12, 24, 36}
    almt = next(e for e in item.entries if e.smelter_id == "CID000004")
    assert almt.last_audit_date == dt.date(2024, 10, 18) and almt.audit_due == dt.date(2027, 10, 18)


def test_active_and_revisions_exports() -> None:
    active = _load("rmap", "RMI_active_export_2026-08-22.xml")
    assert active.kind is ListKind.ACTIVE and len(active.entries) == 24 and active.list_date == DATE
    revisions = _load("rmap", "RMI_smelter_list_revisions_export_2026-08-22.xml")
    assert revisions.kind is ListKind.REVISIONS
    assert sum(1 for r in revisions.revisions if r.removed) == 238
    status = RmapStatus.from_lists([active, revisions, _load("rmap", "RMI_conformant_export_2026-08-22.xml")])
    assert status.list_date == DATE and len(status.conformant) == 420


def test_reference_exports_and_csv() -> None:
    cmrt_ref = _load("rmap", "RMI_smelter_reference_CMRT_export_2026-08-22.xml")
    assert cmrt_ref.kind is ListKind.REFERENCE and len(cmrt_ref.reference_entries) == 666
    csv_ref = _load("smelters", "rmi_smelter_lookup_cmrt_6.5.csv")
    assert csv_ref.kind is ListKind.REFERENCE and csv_ref.list_date is None
    assert len(csv_ref.reference_entries) == 629  # 637 rows minus the 'not listed'/'not yet identified' rows
    ref = reference_from_lists([cmrt_ref, csv_ref])
    assert ref is not None and ref.has_id("CID002082") and ref.date == DATE


def test_reference_from_a_returned_workbook() -> None:
    ref = reference_from_workbook(corpus_path("returned", "CMRT_6.4_JX.xlsx").read_bytes())
    assert ref is not None and len(ref) > 600
    assert ref.lookup("Tantalum", "ULBA").smelter_id == "CID001969"  # type: ignore[union-attr]
    assert reference_from_workbook(b"not a workbook") is None


def test_every_facility_on_the_conformant_list_is_conformant_on_the_list_date() -> None:
    """RMI's list is the status: no expiry is projected from last audit + cycle, a re-audit never counts against."""
    conformant = _load("rmap", "RMI_conformant_export_2026-08-22.xml")
    status = RmapStatus.from_lists([conformant, _load("rmap", "RMI_active_export_2026-08-22.xml"),
                                    _load("rmap", "RMI_smelter_list_revisions_export_2026-08-22.xml")])
    elapsed = [e for e in conformant.entries if e.audit_due is not None and e.audit_due < DATE]
    reaudit = [e for e in conformant.entries if e.reaudit_in_progress]
    assert elapsed and reaudit  # the real list has both kinds
    for entry in conformant.entries:
        found = status.status(entry.smelter_id)
        assert found.state is RmapState.CONFORMANT and found.list_date == DATE, entry.smelter_id
        assert found.label(DATE).startswith("conformant") and "2026-08-22" in found.label(DATE)
    for entry in reaudit:
        assert "re-audit in progress" in status.status(entry.smelter_id).label(DATE)
        assert not status.status(entry.smelter_id).audit_cycle_elapsed(DATE)
    # a CID removed from the reference list but still on the Conformant list stays conformant
    removed_yet_listed = [cid for cid in status.removals if cid in status.conformant]
    assert removed_yet_listed and all(status.status(cid).state is RmapState.CONFORMANT for cid in removed_yet_listed)
