"""Checker-parity rules that depend on the template family."""

from __future__ import annotations

from dataclasses import replace

from cmrt.declaration import CompanyAnswer, Family, Template
from cmrt.review import CHECKS_BY_ID
from tests.unit.review.builder import base, context, with_answer


def _run(check_id: str, d):  # type: ignore[no-untyped-def]
    return CHECKS_BY_ID[check_id].func(d, context())


def test_undecided_mineral_without_rows_counts_for_cmrt_not_crt() -> None:
    d = with_answer(base(), "Q1", "Tin", None)  # Q1 blank: the CMRT Checker still wants tin smelters
    (item,) = _run("mineral.no_smelter_rows", d)
    assert item.mineral == "Tin" and "does not say whether Tin is used" in item.message
    crt = replace(d, template=Template(Family.CRT, "2.2"))
    assert _run("mineral.no_smelter_rows", crt) == []


def test_emrt_per_mineral_company_answers_count_one_by_one() -> None:
    """EMRT question C is answered per mineral; the Checker of EMRT 1.x and 2.x has a row for each."""
    d = replace(base(), template=Template(Family.EMRT, "2.1"))
    questions = dict(d.company_questions)
    questions["C"] = CompanyAnswer(None, per_mineral={"Cobalt": "Yes", "Mica": None, "Nickel": None})
    d = replace(d, company_questions=questions, cells={**d.cells, "company_questions.C.Mica": "Declaration!D124"})
    found = _run("company_questions.answer_missing", d)
    assert [(f.mineral, f.cell) for f in found] == [("Mica", "D124"), ("Nickel", None)]
    emrt1 = replace(d, template=Template(Family.EMRT, "1.3"))
    assert [f.message for f in _run("company_questions.answer_missing", emrt1)] == [
        "company question C is not answered for Mica", "company question C is not answered for Nickel"
    ]


def test_a_question_not_asked_for_a_mineral_is_not_missing() -> None:
    """EMRT 1.x question 4 (100 % recycled) asks about cobalt only: no finding for mica."""
    d = replace(base(), template=Template(Family.EMRT, "1.3"), minerals=("Cobalt", "Mica"),
                answers={"Q1": {"Cobalt": "Yes", "Mica": "Yes"}, "Q4": {"Cobalt": None}})  # fmt: skip
    found = [(f.mineral, f.message) for f in _run("mineral.answer_missing", d)]
    assert ("Cobalt", "question 4 is not answered for Cobalt") in found
    assert not [m for m, text in found if m == "Mica" and "question 4" in text]


def test_amrt_without_selected_minerals() -> None:
    d = replace(base(), template=Template(Family.AMRT, "1.3"), minerals=())
    assert "no minerals or metals are selected in scope" in [f.message for f in _run("company.required_missing", d)]
    assert _run("company.required_missing", replace(d, minerals=("Silver",))) == []
