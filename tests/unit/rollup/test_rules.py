"""cmrt.rollup.rules: every rule of docs/rollup.md, branch by branch, on plain supplier answers."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from cmrt.declaration import QuestionTopic as Q
from cmrt.rollup.docs import rules_table
from cmrt.rollup.rules import (
    RULES,
    Facts,
    MetalSmelters,
    RuleError,
    SupplierAnswers,
    decide,
    in_scope,
    response_bucket,
)

ROOT = pathlib.Path(__file__).resolve().parents[3]
QUESTIONS = {"Q1": Q.INTENTIONALLY_ADDED, "Q2": Q.REMAINS_IN_PRODUCT, "Q3": Q.COVERED_COUNTRIES, "Q4": Q.CAHRA,
             "Q5": Q.RECYCLED_SCRAP, "Q6": Q.SUPPLIER_RESPONSE, "Q7": Q.SMELTERS_IDENTIFIED,
             "Q8": Q.SMELTER_INFO_REPORTED}  # fmt: skip
BUCKETS = ("100%", "Greater than 90%", "Greater than 75%", "Greater than 50%", "50% or less", "None")
GOLD = "Gold"


def supplier(**answers: str | None) -> SupplierAnswers:
    """A responding supplier's Gold answers by question key (Q1 ... Q8, as CMRT 6.x numbers them)."""
    return SupplierAnswers({QUESTIONS[k]: {GOLD: v} for k, v in answers.items()})


def in_scope_supplier(**answers: str | None) -> SupplierAnswers:
    return supplier(Q1="Yes", Q2="Yes", **answers)


SILENT = SupplierAnswers(None)


def gold(suppliers: list[SupplierAnswers], identified: int = 3, left_out: int = 0,
         overrides: dict[str, dict[str, str]] | None = None) -> dict[str, str | None]:  # fmt: skip
    responded = sum(1 for s in suppliers if s.responded)
    facts = Facts(suppliers, len(suppliers), responded, {GOLD: MetalSmelters(identified, left_out)})
    result = decide(QUESTIONS, [GOLD], facts, overrides or {}, BUCKETS)
    return {key: (None if per[GOLD] is None else per[GOLD].value) for key, per in result.items()}


def test_q1_yes_when_any_responding_supplier_uses_the_metal_else_no() -> None:
    assert gold([supplier(Q1="No"), in_scope_supplier(), SILENT])["Q1"] == "Yes"
    assert gold([supplier(Q1="No"), supplier(Q1="No"), SILENT])["Q1"] == "No"
    assert gold([SILENT])["Q1"] == "No"  # nobody responded: the template offers only Yes or No
    old = SupplierAnswers({Q.NECESSARY: {GOLD: "Yes"}})  # CMRT 2.x "necessary" counts as use
    assert gold([old])["Q1"] == "Yes"


def test_q1_no_leaves_every_other_question_blank() -> None:
    answers = gold([supplier(Q1="No", Q2="Yes", Q3="Yes")])
    assert answers["Q1"] == "No" and all(answers[f"Q{n}"] is None for n in range(2, 9))


def test_q2_yes_when_a_supplier_has_the_metal_in_scope_else_no_and_no_closes_the_rest() -> None:
    assert gold([supplier(Q1="Yes", Q2="No"), in_scope_supplier(Q3="No")])["Q2"] == "Yes"
    answers = gold([supplier(Q1="Yes", Q2="No")])
    assert answers["Q1"] == "Yes" and answers["Q2"] == "No"
    assert all(answers[f"Q{n}"] is None for n in range(3, 9))
    assert gold([supplier(Q1="Yes", Q2=None, Q3="No")])["Q2"] == "Yes"  # Q2 blank: not closed, Q1 Yes opens it


@pytest.mark.parametrize("key", ["Q3", "Q4"])
def test_q3_q4_yes_then_unknown_then_no(key: str) -> None:
    assert gold([in_scope_supplier(**{key: "No"}), in_scope_supplier(**{key: "Yes"}), SILENT])[key] == "Yes"
    assert gold([in_scope_supplier(**{key: "No"}), in_scope_supplier(**{key: "Unknown"})])[key] == "Unknown"
    assert gold([in_scope_supplier(**{key: "No"}), in_scope_supplier(**{key: None})])[key] == "Unknown"
    assert gold([in_scope_supplier(**{key: "No"}), SILENT])[key] == "Unknown"
    assert gold([in_scope_supplier(**{key: "No"}), supplier(Q1="No")])[key] == "No"
    # a supplier that does not use gold cannot make it Unknown; one outside scope answering Yes does not count
    assert gold([in_scope_supplier(**{key: "No"}), supplier(Q1="Yes", Q2="No", **{key: "Yes"})])[key] == "No"


def test_q5_yes_only_when_all_responded_and_all_in_scope_say_yes() -> None:
    assert gold([in_scope_supplier(Q5="Yes"), in_scope_supplier(Q5="Yes"), supplier(Q1="No")])["Q5"] == "Yes"
    assert gold([in_scope_supplier(Q5="Yes"), SILENT])["Q5"] == "Unknown"
    assert gold([in_scope_supplier(Q5="Yes"), in_scope_supplier(Q5="Unknown")])["Q5"] == "Unknown"
    assert gold([in_scope_supplier(Q5="Yes"), in_scope_supplier(Q5="No"), SILENT])["Q5"] == "No"


def test_q6_is_the_templates_bucket_for_the_response_rate_computed_exactly() -> None:
    assert gold([in_scope_supplier()])["Q6"] == "100%"
    assert gold([in_scope_supplier(), *[SILENT] * 3])["Q6"] == "50% or less"
    assert gold([in_scope_supplier(), in_scope_supplier(), SILENT])["Q6"] == "Greater than 50%"
    assert response_bucket(9, 10, BUCKETS) == "Greater than 75%"  # 90 % is not "greater than 90%"
    assert response_bucket(19, 20, BUCKETS) == "Greater than 90%"
    assert response_bucket(3, 4, BUCKETS) == "Greater than 50%"
    assert response_bucket(1, 2, BUCKETS) == "50% or less"
    assert response_bucket(0, 5, BUCKETS) == "None" and response_bucket(0, 0, BUCKETS) == "None"
    with pytest.raises(RuleError, match="no drop-down value fits"):
        response_bucket(1, 3, ("100%", "None"))


def test_q7_yes_only_when_everything_is_identified() -> None:
    base = [in_scope_supplier(Q7="Yes"), supplier(Q1="No")]
    assert gold(base)["Q7"] == "Yes"
    assert gold([*base, SILENT])["Q7"] == "No"
    assert gold([in_scope_supplier(Q7="Yes"), in_scope_supplier(Q7="No")])["Q7"] == "No"
    assert gold(base, left_out=1)["Q7"] == "No"
    assert gold(base, identified=0)["Q7"] == "No"


def test_q8_no_when_reported_smelter_information_was_left_out() -> None:
    assert gold([in_scope_supplier(Q8="No")])["Q8"] == "Yes"  # what we received is all on our list
    assert gold([in_scope_supplier(Q8="Yes")], left_out=2)["Q8"] == "No"


def test_overrides_win_and_gate_the_rest() -> None:
    answers = gold([in_scope_supplier(Q3="Yes")], overrides={"Q3": {"*": "Unknown"}, "Q1": {GOLD: "No"}})
    assert answers["Q1"] == "No" and answers["Q3"] is None
    answers = gold([in_scope_supplier(Q3="Yes")], overrides={"Q3": {GOLD: "No"}})
    assert answers["Q3"] == "No"
    facts = Facts([in_scope_supplier()], 1, 1, {})
    decisions = decide(QUESTIONS, [GOLD], facts, {"Q4": {"*": "Unknown"}}, BUCKETS)
    assert decisions["Q4"][GOLD] is not None and decisions["Q4"][GOLD].rule == "override"
    assert "every metal" in decisions["Q4"][GOLD].reason
    assert in_scope(decisions, QUESTIONS, GOLD)


def test_reasons_never_name_suppliers_and_every_rule_is_documented() -> None:
    facts = Facts([in_scope_supplier(Q3="Yes"), SILENT], 2, 1, {GOLD: MetalSmelters(1, 1)})
    decisions = decide(QUESTIONS, [GOLD], facts, {}, BUCKETS)
    assert decisions["Q3"][GOLD] is not None and decisions["Q3"][GOLD].reason == (
        "1 supplier with Gold in scope declares Yes")  # fmt: skip
    assert {rule.question for rule in RULES} == set(QUESTIONS)
    text = (ROOT / "docs" / "rollup.md").read_text(encoding="utf-8")
    assert rules_table() in text, "docs/rollup.md is stale: python -m cmrt.rollup.docs"


def test_supplier_answers_come_from_the_stored_declaration_by_topic() -> None:
    stored = {"answers": {"Q1": {"Gold": "Yes"}, "Q3": {"Gold": "Unknown"}},
              "question_topics": {"Q1": "intentionally_added", "Q3": "covered_countries"}}  # fmt: skip
    answers = SupplierAnswers.from_declaration(stored)
    assert answers.uses(GOLD) and answers.answer(Q.COVERED_COUNTRIES, GOLD) == "Unknown"
    assert not SupplierAnswers.from_declaration(None).responded


def test_suppliers_answering_alike_share_their_answers() -> None:
    def stored(q3: str) -> dict[str, Any]:
        return {"answers": {"Q1": {"Gold": "Yes", "Tin": "No"}, "Q3": {"Gold": q3}},
                "question_topics": {"Q1": "intentionally_added", "Q3": "covered_countries"}}  # fmt: skip

    shared: dict[Any, Any] = {}
    one, two, three = (SupplierAnswers.from_declaration(stored(q3), shared) for q3 in ("Yes", "Yes", "No"))
    assert one == two == SupplierAnswers.from_declaration(stored("Yes")) and three != one
    assert one.answers and two.answers and three.answers
    assert one.answers[Q.INTENTIONALLY_ADDED] is two.answers[Q.INTENTIONALLY_ADDED] is three.answers[
        Q.INTENTIONALLY_ADDED]  # fmt: skip
    assert len(shared) == 3  # Q1 once, Q3 "Yes" and "No"
