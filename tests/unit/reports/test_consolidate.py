"""The consolidated smelter list: identification, rejection reasons, distinct suppliers, RMAP status, privacy."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from cmrt.declaration import MineRow, SmelterRow
from cmrt.smelters import ListKind, ReferenceEntry, Revision, RmapEntry, RmapStatus, RmiList, SmelterReference
from cmrt.smelters import consolidate as consolidate_module
from cmrt.smelters.consolidate import RowReader, SupplierSmelters, consolidate, rows_from_json
from cmrt.smelters.reference import SmelterMatch

TODAY = dt.date(2026, 9, 1)

REFERENCE = SmelterReference(
    [
        ReferenceEntry("Gold", "Asahi Pretec Corp.", "Asahi Pretec Corp.", "JAPAN", "CID000082"),
        ReferenceEntry("Gold", "Asahi Pretec", "Asahi Pretec Corp.", "JAPAN", "CID000082"),
        ReferenceEntry("Gold", "Metalor Technologies S.A.", "Metalor Technologies S.A.", "SWITZERLAND", "CID001153"),
        ReferenceEntry("Tin", "Minsur", "Minsur", "PERU", "CID001182"),
        ReferenceEntry("Tin", "Thaisarco", "Thaisarco", "THAILAND", "CID001898"),
        ReferenceEntry("Tungsten", "Xiamen Tungsten Co., Ltd.", "Xiamen Tungsten Co., Ltd.", "CHINA", "CID002082"),
        ReferenceEntry("Tantalum", "TANIOBIS GmbH", "TANIOBIS GmbH", "GERMANY", "CID002545"),
    ],
    source="test",
    date=dt.date(2026, 8, 22),
)


def _rmap() -> RmapStatus:
    conformant = RmiList(
        ListKind.CONFORMANT,
        dt.date(2026, 8, 22),
        "conformant.xml",
        entries=(
            RmapEntry(ListKind.CONFORMANT, "Gold", "CID000082", "Asahi Pretec Corp.",
                      last_audit_date=dt.date(2026, 1, 10), audit_cycle_raw="1 Year"),
            RmapEntry(ListKind.CONFORMANT, "Tin", "CID001182", "Minsur",
                      last_audit_date=dt.date(2025, 3, 1), audit_cycle_raw="1 Year"),  # expired 2026-03-01
            RmapEntry(ListKind.CONFORMANT, "Tungsten", "CID002082", "Xiamen Tungsten Co., Ltd.",
                      last_audit_date=dt.date(2025, 6, 1), audit_cycle_raw="3 Years"),
        ),
    )  # fmt: skip
    active = RmiList(
        ListKind.ACTIVE, dt.date(2026, 8, 22), "active.xml",
        entries=(RmapEntry(ListKind.ACTIVE, "Tin", "CID001898", "Thaisarco"),),
    )  # fmt: skip
    revisions = RmiList(
        ListKind.REVISIONS, dt.date(2026, 8, 22), "revisions.xml",
        revisions=(Revision("Tantalum", "CID002545", "TANIOBIS GmbH", "GERMANY", "Removed", None,
                            dt.date(2026, 5, 1), None),),
    )  # fmt: skip
    return RmapStatus.from_lists([conformant, active, revisions])


def row(n: int, metal: str | None, lookup: str | None = None, *, name: str | None = None,
        country: str | None = None, cid: str | None = None) -> SmelterRow:  # fmt: skip
    return SmelterRow(row=n, metal=metal, lookup=lookup, name=name, country=country, smelter_id=cid)


def suppliers() -> list[SupplierSmelters]:
    a = SupplierSmelters("S001", (
        row(5, "Gold", "Asahi Pretec Corp.", country="JAPAN", cid="CID000082"),
        row(6, "Gold", "Asahi Pretec Corp.", country="JAPAN", cid="CID000082"),  # same supplier twice: counts once
        row(7, "Tin", "Minsur", country="PERU", cid="cid001182 "),
        row(8, "Tungsten", "Smelter not yet identified"),
        row(9, "Cobalt", "Some cobalt refiner", cid="CID009999"),
        row(10, None, name="Orphan Row"),
        row(11, None),  # empty row: skipped, not counted
    ))  # fmt: skip
    b = SupplierSmelters("S002", (
        row(5, "Gold", "Smelter not listed", name="Asahi Pretec Corporation", country="Japan"),  # fuzzy
        row(6, "Tin", "Thaisarco", country="THAILAND"),  # look-up value, no id
        row(7, "Tin", "Minsur", country="Peru", cid="CID001182"),
        row(8, "Tin", "Xiamen Tungsten Co., Ltd.", cid="CID002082"),  # a tungsten id under tin
        row(9, "Gold", "Smelter not listed", name="Totally Unknown Refinery", country="NARNIA"),
        row(10, "Gold", "Smelter not listed", name="xx"),
        row(11, "Tantalum", "Old Name", cid="CID777777"),
    ))  # fmt: skip
    c = SupplierSmelters("S003", (
        row(5, "Tungsten", "Xiamen Tungsten Co., Ltd.", country="CHINA", cid="CID002082"),
        row(6, "Gold", "Metalor Technologies S.A.", country="SWITZERLAND", cid="CID001153"),
        row(7, "Tin", "Minsur", country="PERU", cid="CID001182"),
    ))  # fmt: skip
    return [a, b, c]


def test_rows_are_identified_deduplicated_and_counted_by_distinct_supplier() -> None:
    result = consolidate(suppliers(), today=TODAY, reference=REFERENCE, rmap=_rmap())
    by_id = {(r.metal, r.smelter_id): r for r in result.rows}
    assert sorted(by_id) == [
        ("Gold", "CID000082"), ("Gold", "CID001153"), ("Tin", "CID001182"), ("Tin", "CID001898"),
        ("Tungsten", "CID002082"),
    ]  # fmt: skip
    asahi = by_id[("Gold", "CID000082")]
    assert asahi.suppliers == 2  # S001 twice + S002 by fuzzy name
    assert asahi.matched_by == "id" and asahi.standard_name == "Asahi Pretec Corp."
    assert asahi.status == "conformant" and asahi.list_date == dt.date(2026, 8, 22)
    assert asahi.audit_due == dt.date(2027, 1, 10) and not asahi.audit_cycle_elapsed
    assert asahi.status_text == "conformant (list of 2026-08-22)"
    assert asahi.to_json()["valid_until"] is None and asahi.to_json()["rmap_list_date"] == "2026-08-22"
    minsur = by_id[("Tin", "CID001182")]
    assert minsur.suppliers == 3 and minsur.country == "PERU"  # "PERU" twice beats "Peru" once
    # on the Conformant list: conformant, although last audit + cycle (2026-03-01) has passed (team information)
    assert minsur.status == "conformant" and minsur.audit_due == dt.date(2026, 3, 1) and minsur.audit_cycle_elapsed
    thaisarco = by_id[("Tin", "CID001898")]
    assert thaisarco.matched_by == "lookup" and thaisarco.status == "active" and thaisarco.confidence == 1.0
    metalor = by_id[("Gold", "CID001153")]
    assert metalor.status == "not_conformant" and metalor.suppliers == 1
    assert result.suppliers == 3 and result.rows_read == 16
    assert [r.metal for r in result.rows] == sorted(r.metal for r in result.rows)


def test_fuzzy_only_smelter_reports_its_confidence() -> None:
    only = [SupplierSmelters("S9", (row(5, "Gold", "Smelter not listed", name="Asahi Pretek Corporation",
                                            country="JAPAN"),))]  # fmt: skip
    result = consolidate(only, today=TODAY, reference=REFERENCE)
    (smelter,) = result.rows
    assert smelter.smelter_id == "CID000082" and smelter.matched_by == "fuzzy"
    assert 0.85 <= smelter.confidence < 1.0
    assert smelter.status == "unknown"  # no RMAP lists given
    gold = result.by_metal["Gold"]
    assert gold.conformant_share is None and gold.to_json()["percent_conformant"] is None  # unknown, never 0 %
    assert smelter.status_text == "unknown (no RMAP list imported)"


def test_every_unusable_row_is_rejected_with_a_reason() -> None:
    result = consolidate(suppliers(), today=TODAY, reference=REFERENCE, rmap=_rmap())
    reasons = {(r.reason, r.metal) for r in result.rejected}
    assert reasons == {
        ("not_yet_identified", "Tungsten"),
        ("not_3tg", "Cobalt"),
        ("missing_metal", None),
        ("metal_mismatch", "Tin"),
        ("no_match", "Gold"),
        ("invalid_name", "Gold"),
        ("id_not_in_reference", "Tantalum"),
    }
    mismatch = next(r for r in result.rejected if r.reason == "metal_mismatch")
    assert "Tungsten" in mismatch.message
    # rows in = consolidated rows + rejected rows (each row goes to exactly one report)
    placed = sum(1 for s in suppliers() for r in s.rows if r.metal or r.name)
    assert placed == result.rows_read


def test_removed_smelter_id_names_the_removal() -> None:
    items = [SupplierSmelters("S1", (row(5, "Tantalum", "TANIOBIS GmbH", cid="CID002545"),))]
    reference = SmelterReference([e for e in REFERENCE.entries if e.smelter_id != "CID002545"])
    result = consolidate(items, today=TODAY, reference=reference, rmap=_rmap())
    (entry,) = result.rejected
    assert entry.reason == "id_not_in_reference" and "removed" in entry.message and "2026-05-01" in entry.message
    # with the id on the reference, the removal is the smelter's RMAP status
    result = consolidate(items, today=TODAY, reference=REFERENCE, rmap=_rmap())
    assert result.rows[0].status == "removed"


def test_without_reference_ids_are_kept_and_names_cannot_be_identified() -> None:
    result = consolidate(suppliers(), today=TODAY, rmap=_rmap())
    ids = {r.smelter_id for r in result.rows}
    assert "CID777777" in ids and "CID002082" in ids
    assert any(r.reason == "no_reference" for r in result.rejected)
    # the RMAP list still knows CID002082 is tungsten
    assert any(r.reason == "metal_mismatch" for r in result.rejected)


def test_metal_summary_counts_percentages_and_countries() -> None:
    result = consolidate(suppliers(), today=TODAY, reference=REFERENCE, rmap=_rmap())
    tin = result.by_metal["Tin"]
    assert tin.smelters == 2 and tin.statuses["active"] == 1 and tin.statuses["conformant"] == 1
    assert tin.to_json()["percent_conformant"] == 50.0 and tin.to_json()["percent_conformant_or_active"] == 100.0
    assert tin.to_json()["conformance_expired"] == 0 and tin.audit_cycle_elapsed == 1
    gold = result.by_metal["Gold"].to_json()
    assert gold["smelters"] == 2 and gold["percent_conformant"] == 50.0
    assert gold["countries"] == {"JAPAN": 1, "SWITZERLAND": 1}
    assert result.by_metal["Tantalum"].smelters == 0
    assert list(result.by_metal) == ["Gold", "Tantalum", "Tin", "Tungsten"]
    assert sum(result.countries.values()) == len(result.rows)


def test_suppliers_are_named_only_when_asked() -> None:
    hidden = json.dumps(consolidate(suppliers(), today=TODAY, reference=REFERENCE, rmap=_rmap()).to_json())
    assert "S001" not in hidden and "S002" not in hidden and "supplier_keys" not in hidden
    shown = consolidate(suppliers(), today=TODAY, reference=REFERENCE, rmap=_rmap(), with_suppliers=True)
    asahi = next(r for r in shown.rows if r.smelter_id == "CID000082")
    assert asahi.supplier_keys == ("S001", "S002")
    assert "supplier_keys" in shown.to_json()["rows"][0]


def test_output_is_deterministic_whatever_the_input_order() -> None:
    items = suppliers()
    one = consolidate(items, today=TODAY, reference=REFERENCE, rmap=_rmap()).to_json()
    reversed_items = [SupplierSmelters(s.supplier, tuple(reversed(s.rows))) for s in reversed(items)]
    two = consolidate(reversed_items, today=TODAY, reference=REFERENCE, rmap=_rmap()).to_json()
    assert json.dumps(one, sort_keys=False) == json.dumps(two, sort_keys=False)


def test_rows_from_declaration_json() -> None:
    data = [{"row": 5, "metal": "Gold", "lookup": "Asahi Pretec Corp.", "smelter_id": "CID000082",
             "unexpected": 1, "country": None}]  # fmt: skip
    (parsed,) = rows_from_json(data)
    assert parsed == SmelterRow(row=5, metal="Gold", lookup="Asahi Pretec Corp.", smelter_id="CID000082")


def test_country_spellings_count_together_and_take_the_reference_name() -> None:
    items = [
        SupplierSmelters("S1", (row(5, "Tin", "Minsur", country="Peru", cid="CID001182"),)),
        SupplierSmelters("S2", (row(5, "Tin", "Minsur", country="peru ", cid="CID001182"),)),
        SupplierSmelters("S3", (row(5, "Tin", "Minsur", country="CHILE", cid="CID001182"),)),
        SupplierSmelters("S4", (row(5, "Tin", "Thaisarco", country="Russia", cid="CID001898"),)),
        SupplierSmelters("S5", (row(5, "Tin", "Thaisarco", country="Russian Federation", cid="CID001898"),)),
    ]
    result = consolidate(items, today=TODAY, reference=REFERENCE)
    countries = {r.smelter_id: r.country for r in result.rows}
    assert countries == {"CID001182": "PERU", "CID001898": "RUSSIAN FEDERATION"}
    assert result.countries == {"PERU": 1, "RUSSIAN FEDERATION": 1}


def test_declared_mine_countries_count_distinct_suppliers() -> None:
    items = [
        SupplierSmelters("S1", (SmelterRow(5, "Tin", "Minsur", smelter_id="CID001182",
                                           mine_countries="Peru; Bolivia"),),
                         (MineRow(5, "Tin", country="PERU"), MineRow(6, "Gold", country="Unknown"))),
        SupplierSmelters("S2", (SmelterRow(5, "Tin", "Minsur", smelter_id="CID001182", mine_countries="Recycled"),),
                         (MineRow(5, "Tin", country="Peru"), MineRow(6, "Cobalt", country="Congo"))),
    ]  # fmt: skip
    result = consolidate(items, today=TODAY, reference=REFERENCE)
    assert result.by_metal["Tin"].mine_countries == {"PERU": 2, "BOLIVIA, PLURINATIONAL STATE OF": 1}
    assert result.by_metal["Gold"].mine_countries == {}
    assert result.to_json()["mine_countries"] == {"PERU": 2, "BOLIVIA, PLURINATIONAL STATE OF": 1}


def test_old_cfsi_ids_are_checked_against_the_metal_and_matched_by_name() -> None:
    items = [SupplierSmelters("S1", (
        row(5, "Gold", "Smelter not listed", name="Minsur", country="PERU", cid="2PER001"),  # a tin id under gold
        SmelterRow(6, "Tin", "Smelter not listed", name="Minsur", country="PERU", smelter_id="2PER001"),
    ))]  # fmt: skip
    result = consolidate(items, today=TODAY, reference=REFERENCE)
    (rejected,) = result.rejected
    assert rejected.reason == "metal_mismatch" and "2PER001 is a Tin id" in rejected.message
    assert [(r.metal, r.smelter_id, r.matched_by) for r in result.rows] == [("Tin", "CID001182", "lookup")]


class _CountingReference(SmelterReference):
    """The test reference, counting how often a row is looked up by id or matched by name."""

    def __init__(self) -> None:
        super().__init__(REFERENCE.entries, source="test", date=REFERENCE.date)
        self.calls = 0

    def standard(self, smelter_id: str | None) -> ReferenceEntry | None:
        self.calls += 1
        return super().standard(smelter_id)

    def match(self, metal: str | None, name: str | None, country: str | None = None) -> SmelterMatch | None:
        self.calls += 1
        return super().match(metal, name, country)


def test_a_row_many_suppliers_repeat_is_classified_once_and_counted_for_each() -> None:
    reference = _CountingReference()
    rows = tuple(r for s in suppliers() for r in s.rows)
    distinct = {(r.metal, r.lookup, r.name, r.country, r.smelter_id) for r in rows}
    many = [SupplierSmelters(f"S{n:03d}", tuple(replace(r, row=r.row + n) for r in rows)) for n in range(40)]
    result = consolidate(many, today=TODAY, reference=reference, rmap=_rmap())
    looked_up = sum(1 for r in distinct if r[4] or (r[1] or "").lower() == "smelter not listed")
    assert 0 < reference.calls <= looked_up
    assert result.suppliers == 40 and result.rows_read == 40 * sum(1 for r in rows if r.metal or r.name)
    assert {r.smelter_id: r.suppliers for r in result.rows}["CID000082"] == 40
    assert all(r.suppliers == 40 for r in result.rejected)
    minsur = next(r for r in result.rows if r.smelter_id == "CID001182")
    assert minsur.country == "PERU"  # countries count rows: 80 "PERU" against 40 "Peru" (the same country)


def test_classification_past_the_memo_limit_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    items = suppliers() + [SupplierSmelters(f"T{s.supplier}", s.rows, s.mines) for s in suppliers()]
    whole = consolidate(items, today=TODAY, reference=REFERENCE, rmap=_rmap(), with_suppliers=True).to_json()
    monkeypatch.setattr(consolidate_module, "MEMO_LIMIT", 1)
    bounded = consolidate(items, today=TODAY, reference=REFERENCE, rmap=_rmap(), with_suppliers=True).to_json()
    assert bounded == whole


def test_row_reader_reads_only_what_the_consolidation_uses_and_shares_equal_rows() -> None:
    stored = [{"row": 5 + n, "metal": "Gold", "lookup": "Asahi Pretec Corp.", "smelter_id": "CID000082",
               "contact_email": "someone@example.com", "comments": "a long comment", "mine_countries": "Japan"}
              for n in range(3)] + [{"row": 9, "metal": "Tin", "smelter_id": 1182, "name": ["odd"]}]  # fmt: skip
    reader = RowReader()
    first, second, third, odd = reader.smelters(stored)
    assert first is second is third
    assert first == SmelterRow(0, "Gold", "Asahi Pretec Corp.", smelter_id="CID000082", mine_countries="Japan")
    assert odd == SmelterRow(0, "Tin", name="['odd']", smelter_id="1182")  # as rows_from_json reads it
    assert reader.smelters(None) == () and reader.mines([{"row": 1, "metal": "Tin", "country": "Peru",
                                                           "mine_name": "X"}]) == (MineRow(0, "Tin", country="Peru"),)
    items = [SupplierSmelters("S1", reader.smelters(stored[:1])), SupplierSmelters("S2", rows_from_json(stored[:1]))]
    assert consolidate(items, today=TODAY, reference=REFERENCE).rows[0].suppliers == 2
