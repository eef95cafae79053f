"""One finding per problem per row, and no false alarm for a hyperlinked policy address."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from cmrt.declaration import Declaration, SmelterRow
from cmrt.review import review
from cmrt.review.adhoc import context_for
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory import build_cmrt
from tests.unit.review.builder import add_smelters, base, context, full_context, with_answer


def _by_row(d: Declaration, **kw: object) -> dict[int, list[tuple[str, str | None]]]:
    rows: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for f in review(d, full_context(**kw)).findings:
        if f.row is not None and not f.check.startswith("mineral."):
            rows[f.row].append((f.check, f.cell))
    return rows


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (SmelterRow(row=20, metal="Tungsten", lookup="Smelter not yet identified"),
         [("smelter.not_yet_identified", "C20")]),  # not also 'fewer than 3 key fields' in column B
        (SmelterRow(row=20, metal="Tungsten", lookup="Smelter not listed"), [("smelter.not_listed_incomplete", "D20")]),
        (SmelterRow(row=20, metal=None, name="Some smelter", country="PERU"), [("smelter.metal_missing", "B20")]),
        (SmelterRow(row=20, metal="Tungsten", lookup="Foo", smelter_id="CID999999", country="CHINA"),
         [("smelter.id_not_in_reference", "F20")]),  # an unknown id: not also 'neither Conformant nor Active'
        (SmelterRow(row=20, metal="Tungsten", lookup="A.L.M.T. Corp.", smelter_id="CID002544", country="JAPAN",
                    id_input="CID000004"), [("smelter.id_input_mismatch", "A20")]),
        (SmelterRow(row=20, metal="Tungsten", lookup="Smelter not listed", name="!", country="!"),
         [("smelter.placeholder_left", "D20")]),
        (SmelterRow(row=20, metal="Tantalum", lookup="Ulba Metallurgical Plant JSC", smelter_id="CID001969",
                    country="Enter smelter details"), [("smelter.placeholder_left", "E20"),
                                                       ("smelter.reaudit_pending", "F20")]),
    ],
)  # fmt: skip
def test_one_finding_per_problem_per_row(row: SmelterRow, expected: list[tuple[str, str | None]]) -> None:
    assert _by_row(add_smelters(base(), row))[20] == expected


def test_a_removed_smelter_is_a_sourcing_risk_not_a_typo() -> None:
    removed = SmelterRow(row=20, metal="Tin", lookup="Gold Bell Group", smelter_id="CID000572", country="CHINA")
    d = add_smelters(with_answer(with_answer(base(), "Q1", "Tin", "Yes"), "Q2", "Tin", "Yes"), removed)
    assert [check for check, _ in _by_row(d)[20]] == ["smelter.not_conformant"]


def test_enter_smelter_details_is_what_a_not_listed_row_shows_in_its_id_source() -> None:
    row = SmelterRow(row=20, metal="Tungsten", lookup="Smelter not listed", name="Kyoto Tungsten Works",
                     country="JAPAN", id_source="Enter smelter details")  # fmt: skip
    assert "smelter.placeholder_left" not in [check for check, _ in _by_row(add_smelters(base(), row))[20]]


def test_an_invalid_gate_answer_is_one_finding() -> None:
    d = with_answer(base(), "Q1", "Tantalum", "Maybe")
    found = [(f.check, f.cell) for f in review(d, context()).findings if f.cell == "D26"]
    assert found == [("mineral.answer_missing", "D26")]


def test_a_hyperlinked_policy_address_is_a_web_address() -> None:
    data = build_cmrt(company_comments={"B": "Our policy"}, company_links={"B": "https://www.example.com/policy"})
    declaration = read_workbook(data, limits=ReadLimits(isolated=False))
    assert declaration.company_questions["B"].link == "https://www.example.com/policy"
    result = review(declaration, context_for(today=dt.date(2026, 8, 22), workbook=data))
    assert not [f for f in result.findings if f.check.startswith("company_questions.policy_url")]
