"""The reference (id, look-up, fuzzy match with confidence) and the RMAP status of a smelter."""

from __future__ import annotations

import datetime as dt

import pytest

from cmrt.smelters import RmapState, from_lookup_rows
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
    [("CID002544", RmapState.CONFORMANT), ("CID002082", RmapState.CONFORMANT_EXPIRED),
     ("CID002315", RmapState.ACTIVE), ("CID000572", RmapState.REMOVED), ("CID000766", RmapState.NOT_LISTED)],
)
def test_rmap_status(cid: str, state: RmapState) -> None:
    assert rmap().status(cid, TODAY).state is state


def test_rmap_expiry_is_relative_to_today() -> None:
    status = rmap()
    assert status.status("CID002082", dt.date(2026, 5, 29)).state is RmapState.CONFORMANT
    assert status.status("CID002082", dt.date(2026, 5, 30)).state is RmapState.CONFORMANT_EXPIRED
    assert status.list_date == dt.date(2026, 8, 22)
