"""The reference (id, look-up, fuzzy match with confidence) and the RMAP status of a smelter."""

from __future__ import annotations

import datetime as dt

import pytest

from cmrt.smelters import (
    ListKind,
    RmapEntry,
    RmapState,
    RmapStatus,
    RmiList,
    from_lookup_rows,
    is_stale,
    stale_warning,
)
from tests.unit.review.builder import reference, rmap

TODAY = dt.date(2026, 9, 1)


def test_lookup_is_case_insensitive_and_by_metal() -> None:
    ref = reference()
    assert ref.lookup("Tantalum", "h.c. starck co., ltd. ").smelter_id == "CID002544"  # type: ignore[union-attr]
    assert ref.lookup("Tin", "H.C. Starck Co., Ltd.") is None
    assert ref.has_id(" cid000004") and not ref.has_id("CID999999")
    assert len(ref.by_id("CID002544")) == 2


def test_fuzzy_match_reports_confidence() -> None:
    ref = reference()
    match = ref.match("Tungsten", "Xiamen Tungsten Co Ltd", "China")
    assert match is not None and match.entry.smelter_id == "CID002082" and match.method == "fuzzy"
    assert 0.85 <= match.confidence <= 1.0
    wrong_country = ref.match("Tungsten", "Xiamen Tungsten Co Ltd", "JAPAN")
    assert wrong_country is not None and wrong_country.confidence < match.confidence
    exact = ref.match("Tin", "THAISARCO", "Thailand")
    assert exact is not None and exact.method == "lookup" and exact.confidence == 1.0
    assert ref.match("Cobalt", "Anything", None) is None


def test_name_score() -> None:
    ref = reference()
    assert ref.name_score("CID000004", "ALMT Corp") >= 0.6
    assert ref.name_score("CID000004", "Thaisarco") < 0.6
    assert ref.name_score("CID000004", None) == 1.0


def test_from_lookup_rows_finds_header_and_skips_pseudo_rows() -> None:
    rows = [
        ["note"], [], [],
        ["Metal", "Smelter Look-up (*)", "Standard Smelter Names", "Smelter Facility Location: Country",
         "Smelter ID", "Source of Smelter Identification Number"],
        ["Gold", "Smelter not listed", "Unknown", "Unknown", "", ""],
        ["Gold", "Asahi Pretec Corp.", "Asahi Pretec Corp.", "JAPAN", "CID000082", "RMI"],
    ]
    ref = from_lookup_rows(rows)
    assert len(ref) == 1 and ref.standard("CID000082").country == "JAPAN"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="no smelter reference header"):
        from_lookup_rows([["a", "b"]])


@pytest.mark.parametrize(
    ("cid", "state"),
    [("CID002544", RmapState.CONFORMANT), ("CID002082", RmapState.CONFORMANT), ("CID001969", RmapState.CONFORMANT),
     ("CID002315", RmapState.ACTIVE), ("CID000572", RmapState.REMOVED), ("CID000766", RmapState.NOT_LISTED)],
)
def test_rmap_status_is_what_the_lists_publish(cid: str, state: RmapState) -> None:
    status = rmap().status(cid)
    assert status.state is state and status.list_date == dt.date(2026, 8, 22)


def test_no_expiry_is_invented_the_audit_cycle_is_information() -> None:
    xiamen = rmap().status("CID002082")  # last audit 29-May-2023, cycle "3 YearS": a re-audit was due 29-May-2026
    assert xiamen.state is RmapState.CONFORMANT and xiamen.audit_due == dt.date(2026, 5, 29)
    assert not xiamen.audit_cycle_elapsed(dt.date(2026, 5, 29)) and xiamen.audit_cycle_elapsed(dt.date(2026, 5, 30))
    assert xiamen.label(TODAY) == "conformant (list of 2026-08-22)"
    assert xiamen.label(dt.date(2026, 12, 1)) == "conformant (list of 2026-08-22, 101 days old)"
    ulba = rmap().status("CID001969")  # re-audit in progress: carried and shown, never counted against it
    assert ulba.reaudit_in_progress and not ulba.audit_cycle_elapsed(dt.date(2027, 1, 1))
    assert ulba.label(TODAY) == "conformant, re-audit in progress (list of 2026-08-22)"
    assert rmap().status("CID000766").label(TODAY) == "not listed (neither Conformant nor Active) (list of 2026-08-22)"


def test_a_newer_list_decides() -> None:
    lists = [
        RmiList(ListKind.CONFORMANT, dt.date(2026, 9, 5), "new.xml", entries=(
            RmapEntry(ListKind.CONFORMANT, "Tin", "CID000001", "New Smelter"),)),
        RmiList(ListKind.CONFORMANT, dt.date(2026, 8, 22), "old.xml", entries=(
            RmapEntry(ListKind.CONFORMANT, "Tin", "CID000002", "Dropped Smelter"),)),
    ]
    status = RmapStatus.from_lists(lists)
    assert status.status("CID000001").state is RmapState.CONFORMANT
    assert status.status("CID000002").state is RmapState.NOT_LISTED and status.list_date == dt.date(2026, 9, 5)


def test_stale_lists() -> None:
    day = dt.date(2026, 8, 22)
    assert not is_stale(day, day + dt.timedelta(days=45)) and is_stale(day, day + dt.timedelta(days=46))
    assert is_stale(None, day) and is_stale(day, day + dt.timedelta(days=11), max_age_days=10)
    assert stale_warning(day, day + dt.timedelta(days=45)) == ""
    assert "2026-08-22, 46 days old" in stale_warning(day, day + dt.timedelta(days=46))
