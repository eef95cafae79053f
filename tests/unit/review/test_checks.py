"""Every check in the catalogue: one declaration that fires it, one that does not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest

from cmrt.declaration import Declaration, Family, MineRow, Scope, SmelterRow, Template
from cmrt.review import CATALOGUE, CHECKS_BY_ID, ReviewContext
from cmrt.smelters import ReferenceEntry, SmelterReference
from tests.unit.review.builder import (
    add_smelters,
    base,
    context,
    full_context,
    in_scope,
    not_in_scope,
    smelter,
    with_answer,
    with_authorizer,
    with_company,
    with_company_question,
    with_contact,
    with_products,
)

Build = Callable[[], Declaration]
b = base


def _all_out_of_scope() -> Declaration:
    d = base()
    for mineral in d.minerals:
        d = not_in_scope(d, mineral)
    return d


# check id -> (fires, stays quiet, context)
CASES: dict[str, tuple[Build, Build, Callable[[], ReviewContext]]] = {
    "template.not_reporting_template": (lambda: replace(b(), template=Template(None, None)), b, context),
    "template.wrong_family": (lambda: replace(b(), template=Template(Family.EMRT, "2.1")), b,
                              lambda: context(required_family="CMRT")),
    "template.version_too_old": (lambda: replace(b(), template=Template(Family.CMRT, "6.22")),
                                 lambda: replace(b(), template=Template(Family.CMRT, "6.5")),
                                 lambda: context(required_family="CMRT", min_version="6.4")),
    "template.not_english": (lambda: replace(b(), language="中文 Chinese"), b, context),
    "company.required_missing": (lambda: with_contact(b(), phone=None), b, context),
    "company.email_invalid": (lambda: with_contact(b(), email="a,b@x.com"),
                              lambda: with_contact(b(), email="first.last+cm@sub.example.co.jp"), context),
    "company.placeholder": (lambda: with_authorizer(b(), name="Same"), b, context),
    "company.effective_date_invalid": (
        lambda: with_company(b(), effective_date=None, effective_date_raw="sometime in May"),
        lambda: with_company(b(), effective_date=None, effective_date_raw="02-May-2024"), context),
    "company.effective_date_future": (lambda: with_company(b(), effective_date=dt.date(2026, 12, 1)), b, context),
    "company.effective_date_before_period": (b, lambda: with_company(b(), effective_date=dt.date(2025, 3, 1)),
                                             lambda: context(reporting_year=2025)),
    "scope.description_missing": (
        lambda: with_company(b(), scope=Scope.USER_DEFINED, scope_description=None),
        lambda: with_company(b(), scope=Scope.USER_DEFINED, scope_description="Electronic materials division"),
        context),
    "scope.product_list_empty": (lambda: with_company(b(), scope=Scope.PRODUCT),
                                 lambda: with_products(with_company(b(), scope=Scope.PRODUCT), "P-100"), context),
    "scope.differs_from_request": (b, lambda: with_company(b(), scope=Scope.PRODUCT),
                                   lambda: context(requested_scope="product")),
    "mineral.answer_missing": (lambda: with_answer(b(), "Q4", "Tantalum", None), b, context),
    "mineral.answer_invalid": (lambda: with_answer(b(), "Q3", "Tantalum", "Maybe"),
                               lambda: with_answer(b(), "Q3", "Tantalum", "Unknown"), context),
    "mineral.gating_ignored": (lambda: with_answer(b(), "Q3", "Tin", "No"), b, context),
    "mineral.covered_countries": (lambda: with_answer(b(), "Q3", "Tantalum", "Yes"),
                                  lambda: with_answer(b(), "Q3", "Tantalum", "Unknown"), context),
    "mineral.cahra": (lambda: with_answer(b(), "Q4", "Tungsten", "Yes"), b, context),
    "mineral.no_origin_unsupported": (lambda: with_answer(b(), "Q7", "Tantalum", "No"),
                                      lambda: with_answer(with_answer(b(), "Q7", "Tantalum", "No"), "Q3", "Tantalum",
                                                          "Unknown"), context),
    "mineral.response_low": (lambda: with_answer(b(), "Q6", "Tantalum", "50% or less"),
                             lambda: with_answer(b(), "Q6", "Tantalum", "Greater than 90%"), context),
    "mineral.identified_without_full_response": (
        lambda: with_answer(b(), "Q6", "Tungsten", "Greater than 90%"),
        lambda: with_answer(with_answer(b(), "Q6", "Tungsten", "Greater than 90%"), "Q7", "Tungsten", "No"),
        context),
    "mineral.smelter_info_not_reported": (lambda: with_answer(b(), "Q8", "Tantalum", "No"), b, context),
    "mineral.no_smelter_rows": (lambda: in_scope(b(), "Tin"),
                                lambda: add_smelters(in_scope(b(), "Tin"),
                                                     smelter(7, "Tin", "Thaisarco", "CID001898", "THAILAND")),
                                context),
    "mineral.rows_not_declared": (lambda: add_smelters(b(), smelter(7, "Gold", "Asahi Pretec Corp.", "CID000082",
                                                                    "JAPAN")), b, context),
    "company_questions.answer_missing": (lambda: with_company_question(b(), "F", None),
                                         lambda: with_company_question(_all_out_of_scope(), "F", None), context),
    "company_questions.no_policy": (lambda: with_company_question(b(), "A", "No"), b, context),
    "company_questions.no_due_diligence": (lambda: with_company_question(b(), "D", "No"), b, context),
    "company_questions.no_review": (lambda: with_company_question(b(), "F", "No"), b, context),
    "company_questions.no_corrective_action": (lambda: with_company_question(b(), "G", "No"),
                                               lambda: with_company_question(_all_out_of_scope(), "G", "No"),
                                               context),
    "company_questions.no_validated_smelters": (lambda: with_company_question(b(), "C", "No"), b, context),
    "company_questions.no_survey": (lambda: with_company_question(b(), "E", "No"), b, context),
    "company_questions.policy_url_missing": (lambda: with_company_question(b(), "B", "Yes"),
                                             lambda: with_company_question(b(), "B", "No"), context),
    "company_questions.policy_url_invalid": (
        lambda: with_company_question(b(), "B", "Yes", "Honeywell Conflict Minerals Policy"),
        lambda: with_company_question(b(), "B", "Yes", "www.example.com/policy"), context),
    "company_questions.policy_not_public": (lambda: with_company_question(b(), "B", "No"), b, context),
    "company_questions.other_format_undescribed": (
        lambda: with_company_question(b(), "E", "Yes, using other format (describe)"),
        lambda: with_company_question(b(), "E", "Yes, using other format (describe)", "Our own web survey"),
        context),
    "smelter.metal_missing": (lambda: add_smelters(b(), smelter(7, None, "Thaisarco", "CID001898", "THAILAND")), b,
                              context),
    "smelter.lookup_missing": (lambda: add_smelters(b(), smelter(7, "Tungsten", None, "CID002082", "CHINA")), b,
                               context),
    "smelter.not_yet_identified": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Smelter not yet identified", None, "Unknown", "Unknown")),
        b, context),
    "smelter.not_listed_incomplete": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Smelter Not Listed", None, None, "Some Smelter Ltd")),
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Smelter Not Listed", None, "CHINA", "Some Smelter Ltd")),
        context),
    "smelter.not_listed": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Smelter not listed", None, "CHINA", "Xiamen Tungsten Co")),
        b, full_context),
    "smelter.id_missing": (lambda: add_smelters(b(), smelter(7, "Tungsten", "Xiamen Tungsten Co., Ltd.", None,
                                                             "CHINA")), b, context),
    "smelter.id_invalid": (lambda: add_smelters(b(), smelter(7, "Gold", "Asahi", "1JPN058", "JAPAN")), b, context),
    "smelter.id_input_mismatch": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "JAPAN",
                                          id_input="CID000005")), b, context),
    "smelter.id_not_in_reference": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Foo Tungsten", "CID999999", "CHINA")), b, full_context),
    "smelter.lookup_inconsistent": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Xiamen Tungsten Co., Ltd.", "CID000004", "JAPAN")),
        lambda: add_smelters(b(), smelter(7, "Tantalum", "H.C. Starck Co., Ltd.", "CID002544", "THAILAND")),
        full_context),
    "smelter.name_inconsistent": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "JAPAN", "Thaisarco")),
        lambda: add_smelters(b(), smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "JAPAN", "ALMT Corp")),
        full_context),
    "smelter.country_inconsistent": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "CHINA")),
        lambda: add_smelters(b(), smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "Japan")), full_context),
    "smelter.duplicate": (lambda: add_smelters(b(), smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "JAPAN")),
                          b, context),
    "smelter.few_key_fields": (lambda: add_smelters(b(), SmelterRow(row=7, metal="Tin", country="CHINA")), b,
                               context),
    "smelter.not_conformant": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Hunan Chenzhou Mining Co., Ltd.", "CID000766", "CHINA")),
        b, full_context),
    "smelter.active_not_conformant": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Ganzhou Jiangwu Ferrotungsten Co., Ltd.", "CID002315",
                                          "CHINA")), b, full_context),
    "smelter.conformance_expired": (
        lambda: add_smelters(b(), smelter(7, "Tungsten", "Xiamen Tungsten Co., Ltd.", "CID002082", "CHINA")), b,
        full_context),
    "smelter.reaudit_pending": (
        lambda: add_smelters(b(), smelter(7, "Tantalum", "Ulba Metallurgical Plant JSC", "CID001969",
                                          "KAZAKHSTAN")), b, full_context),
    "smelter.whole_list": (
        lambda: add_smelters(b(), *(smelter(10 + i, "Gold", f"Refinery {i}", f"CID1{i:05d}", "JAPAN")
                                    for i in range(30))),
        lambda: add_smelters(b(), *(smelter(10 + i, "Gold", f"Refinery {i}", f"CID1{i:05d}", "JAPAN")
                                    for i in range(20))),
        lambda: full_context(reference=_gold_reference(50))),
    "mine.incomplete": (
        lambda: replace(b(), mines=(MineRow(row=5, metal="Cobalt", smelter_name="Some Refinery", mine_name=None,
                                            country="CONGO, DEMOCRATIC REPUBLIC OF THE"),)),
        lambda: replace(b(), mines=(MineRow(row=5, metal="Cobalt", smelter_name="Some Refinery", mine_name="Mine A",
                                            country="ZAMBIA"), MineRow(row=6))),
        context),
    "smelter.placeholder_left": (
        lambda: add_smelters(b(), SmelterRow(row=9, metal="Tin", lookup="Smelter not listed", name="!",
                                             country="INDONESIA")),
        lambda: add_smelters(b(), SmelterRow(row=9, metal="Tin", lookup="Smelter not listed", name="Tin Co",
                                             country="INDONESIA", id_source="Enter smelter details")), context),
    "text.cell_too_long": (lambda: with_company(b(), name="Example Metals " * 20), b, context),
    "text.conflict_free_claim": (  # quiet: the claim is backed (all identified, 100 %, every smelter Conformant)
        lambda: with_answer(replace(b(), answer_comments={"Q3": {"Tantalum": "All our tantalum is conflict-free"}}),
                            "Q6", "Tantalum", "Greater than 90%"),
        lambda: replace(b(), answer_comments={"Q3": {"Tantalum": "All our tantalum is conflict-free"}}),
        full_context),
    "history.smelters_changed": (b, lambda: replace(b(), smelters=b().smelters[:1]),
                                 lambda: context(previous=replace(b(), smelters=b().smelters[:1]))),
    "history.origin_flipped": (b, lambda: with_answer(b(), "Q3", "Tantalum", "Yes"),
                               lambda: context(previous=with_answer(b(), "Q3", "Tantalum", "Yes"))),
    "history.answer_changed": (lambda: with_company_question(b(), "A", "No"),
                               lambda: with_company_question(b(), "A", "Yes"), lambda: context(previous=b())),
    "history.scope_changed": (lambda: with_company(b(), scope_level="company"),
                              lambda: with_company(b(), scope=Scope.PRODUCT, scope_level="product"),
                              lambda: context(previous=with_company(b(), scope=Scope.PRODUCT, scope_level="product",
                                                                    scope_raw="B. Product (or List of Products)"))),
    "history.policy_url_gone": (lambda: with_company_question(b(), "B", "Yes", None), b,
                                lambda: context(previous=b())),
    "limits.no_smelter_reference": (b, lambda: replace(b(), smelters=()), context),
    "limits.checker_count": (lambda: replace(b(), checker_remaining=2, checker_open=("company", "company")), b,
                             context),
}


def _gold_reference(count: int) -> SmelterReference:
    return SmelterReference(ReferenceEntry("Gold", f"Refinery {i}", f"Refinery {i}", "JAPAN", f"CID1{i:05d}")
                            for i in range(count))


def test_every_catalogue_check_has_a_case() -> None:
    assert set(CASES) == set(CHECKS_BY_ID), set(CASES) ^ set(CHECKS_BY_ID)


@pytest.mark.parametrize("check_id", [c.id for c in CATALOGUE])
def test_check_fires(check_id: str) -> None:
    fires, _, ctx = CASES[check_id]
    findings = CHECKS_BY_ID[check_id].func(fires(), ctx())
    assert findings, f"{check_id} did not fire"
    for item in findings:
        assert item.check == check_id
        assert item.severity is CHECKS_BY_ID[check_id].severity
        assert item.sheet, f"{check_id} finding has no sheet"
        assert item.message


@pytest.mark.parametrize("check_id", [c.id for c in CATALOGUE])
def test_check_stays_quiet(check_id: str) -> None:
    _, quiet, ctx = CASES[check_id]
    assert CHECKS_BY_ID[check_id].func(quiet(), ctx()) == []


@pytest.mark.parametrize("check_id", [c.id for c in CATALOGUE if c.needs in ("reference", "rmap")])
def test_reference_checks_are_silent_without_lists(check_id: str) -> None:
    fires, _, _ = CASES[check_id]
    assert CHECKS_BY_ID[check_id].func(fires(), context()) == []
